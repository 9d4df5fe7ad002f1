"""A daemon that runs out of descriptors backs off instead of spinning.

The listening socket stays readable while accept() fails with EMFILE, so a
daemon that simply tries again burns a whole CPU and floods the log.  The
test lowers a running smtpd's descriptor limit to what it holds already
(prlimit on its pid, as root), makes a client wait, and measures the CPU
time the process uses and the log lines it writes meanwhile; then raises
the limit again and the waiting client is served.
"""

import os
import pwd
import socket
import subprocess
import sys
import time

from postern_instance import wait_until


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def set_nofile(pid, soft):
    """prlimit() on smtpd, as its own user: the sandbox may deny root the
    capability to change another user's limits, and a soft limit below the
    hard one is always the owner's to set."""
    pw = pwd.getpwnam("postern")
    code = ("import resource; h = resource.prlimit(%d, resource.RLIMIT_NOFILE)[1]; "
            "resource.prlimit(%d, resource.RLIMIT_NOFILE, (%d if %d >= 0 else h, h))"
            % (pid, pid, soft, soft))
    def become_postern():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    subprocess.run([sys.executable, "-c", code], check=True, preexec_fn=become_postern)


def test_emfile_backs_off(instance):
    # One session first, so an idle smtpd waits for the next connection.
    with socket.create_connection((instance.addr, instance.port)) as s:
        assert s.recv(512).startswith(b"220")
        s.sendall(b"QUIT\r\n")
        s.recv(512)
    # Every idle smtpd (the start-up probe may have left a second one) gets
    # a descriptor limit at the lowest free descriptor number, so that the
    # next accept() fails with EMFILE.
    pids = wait_until(lambda: instance.daemon_pids("smtpd"), 10, what="smtpd")
    time.sleep(0.3)
    for pid in pids:
        used_fds = {int(n) for n in os.listdir("/proc/%d/fd" % pid)}
        set_nofile(pid, min(set(range(len(used_fds) + 1)) - used_fds))
    client = socket.create_connection((instance.addr, instance.port))
    client.settimeout(20)
    try:
        cpu0 = sum(cpu_seconds(pid) for pid in pids)
        time.sleep(3)
        used = sum(cpu_seconds(pid) for pid in pids) - cpu0
        warnings = instance.read_log().count("accept: Too many open files")
        assert used < 0.5, "smtpd used %.2f s of CPU in 3 s while out of descriptors" % used
        assert 1 <= warnings <= 3 * len(pids), "%d accept warnings in 3 s" % warnings
        assert "backing off" in instance.read_log()
        for pid in pids:
            set_nofile(pid, -1)
        assert client.recv(512).startswith(b"220"), "the waiting client is served"
    finally:
        client.close()
