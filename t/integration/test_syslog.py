"""Without maillog_file, every daemon logs to syslog, facility mail, as
postern/<program>, in Postfix's line format.  The test plays syslogd: it
binds a datagram socket at /dev/log (or, if a real syslogd has one, mounts
its own over it in a private mount namespace for the instance)."""

import os
import re
import smtplib
import socket
import subprocess

from postern_instance import BIN_DIR, Instance, wait_until

LOG_MAIL = 2


def test_daemons_log_to_syslog(user):
    inst = Instance(dns=["client.test. A 127.0.0.1"], ptr=["127.0.0.1 client.test"])
    del inst.params["maillog_file"]
    inst.write_main_cf(inst.params)
    sock_path = os.path.join(inst.dir, "log")  # reachable by the unprivileged daemons
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    os.chmod(sock_path, 0o666)
    sock.settimeout(0.2)
    own_dev_log = not os.path.exists("/dev/log")
    try:
        if own_dev_log:
            os.symlink(sock_path, "/dev/log")
            inst.start()
        else:
            r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                'mount --bind "$1" /dev/log && exec "$2" -c "$3" start', "sh",
                                sock_path, os.path.join(BIN_DIR, "postern"), inst.etc],
                               capture_output=True, text=True, env=inst.env(), timeout=60)
            assert r.returncode == 0, r.stderr
            inst.started = True
            wait_until(inst._listening, 10, what="smtpd")
        with smtplib.SMTP(inst.addr, inst.port) as s:
            s.sendmail("a@client.test", [user.name + "@test.example"], "Subject: s\r\n\r\ns\r\n")
        user.wait_for(1)
        lines = []

        def collect():
            try:
                while True:
                    lines.append(sock.recv(65536).decode(errors="replace"))
            except socket.timeout:
                pass
            return any("status=sent" in l for l in lines) and any(": removed" in l for l in lines)
        wait_until(collect, 10, what="the delivery lines in syslog")
    finally:
        inst.cleanup()
        if own_dev_log:
            os.unlink("/dev/log")
        sock.close()
    programs = set()
    for l in lines:
        m = re.match(r"<(\d+)>([A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d )?(postern/\w+)\[\d+\]: ", l)
        assert m, "not a syslog line from postern: %r" % l
        assert int(m.group(1)) >> 3 == LOG_MAIL, "not facility mail: %r" % l
        programs.add(m.group(3))
    assert {"postern/master", "postern/smtpd", "postern/qmgr", "postern/local"} <= programs
    text = "\n".join(lines)
    assert re.search(r"postern/smtpd\[\d+\]: connect from client\.test\[127\.0\.0\.1\]", text)
    assert re.search(r"postern/local\[\d+\]: [0-9A-F]+: to=<%s@test\.example>, relay=local, "
                     r"delay=[0-9.]+, dsn=2\.0\.0, status=sent \(delivered to maildir\)"
                     % user.name, text)
