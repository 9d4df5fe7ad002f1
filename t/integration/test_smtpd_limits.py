"""Per-client limits shared by every smtpd process, counted by anvil:
connection count, connection rate, message rate and recipient rate, with
Postfix's replies and warnings; the exceptions ($mynetworks); mail that
still flows when anvil is down; and the recipient limit per message.

Every smtpd process serves one client, so several concurrent connections
from one address are several processes asking one anvil.  Clients bind
127.0.0.x source addresses, outside mynetworks (127.0.0.1/32 here) unless
a test says otherwise.
"""

import os
import signal
import socket
import time

from postern_instance import MailUser, wait_until
from smtp_raw import Client, queued_id

MSG = b"Subject: limits\r\n\r\nbody\r\n.\r\n"


def limits_instance(make_instance, start=True, **params):
    main_cf = {"mynetworks": "127.0.0.1/32", "smtpd_client_event_limit_exceptions": "",
               "smtpd_peername_lookup": "no"}
    main_cf.update(params)
    return make_instance(start=start, main_cf=main_cf)


def service(inst):
    return "%s:%d" % (inst.addr, inst.port)


def refused(inst, source):
    """Connect from source and return the first reply line, which must end the session."""
    s = socket.create_connection((inst.addr, inst.port), timeout=10, source_address=(source, 0))
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.decode()


def send_one(c, user, subject=b"limits"):
    c.mail_to("sender@client.test", ["%s@test.example" % user.name])
    r = c.data(b"Subject: " + subject + b"\r\n\r\nbody\r\n.\r\n")
    assert r.code == 250, r
    return queued_id(r)


def test_connection_count_limit(make_instance):
    inst = limits_instance(make_instance, smtpd_client_connection_count_limit="3",
                           anvil_status_update_time="1s")
    src = "127.0.0.20"
    held = [Client(inst, source=src) for _ in range(3)]  # three smtpd processes
    text = refused(inst, src)
    assert text == "421 4.7.0 %s Error: too many connections from %s\r\n" % (inst.hostname, src), \
        text
    inst.wait_log("warning: Connection concurrency limit exceeded: 4 from unknown[%s] for "
                  "service %s" % (src, service(inst)))
    # Another address is counted apart.
    with Client(inst, source="127.0.0.21") as other:
        assert other.cmd("QUIT").code == 221
    # A client that leaves gives its slot back.
    assert held[0].cmd("QUIT").code == 221
    held[0].close()
    wait_until(lambda: _greets(inst, src), 10, what="a free slot after QUIT")
    # The refused one was counted too, as in Postfix.
    inst.wait_log("statistics: max connection count 4 for (%s:%s) at " % (service(inst), src))
    for c in held[1:]:
        c.close()
    inst.check_sanitizers()


def _greets(inst, src):
    try:
        with Client(inst, source=src) as c:
            c.cmd("QUIT")
        return True
    except AssertionError:
        return False


def test_killed_smtpd_releases_its_count(make_instance):
    """anvil forgets what a process counted when its connection to anvil ends."""
    inst = limits_instance(make_instance, smtpd_client_connection_count_limit="1")
    src = "127.0.0.22"
    c = Client(inst, source=src)
    assert refused(inst, src).startswith("421 4.7.0 ")
    busy = [p for p in inst.daemon_pids("smtpd") if _serves(p, src)]
    assert len(busy) == 1, busy
    os.kill(busy[0], signal.SIGKILL)
    c.close()
    wait_until(lambda: _greets(inst, src), 10, what="the killed session's slot back")


def _serves(pid, src):
    """Does process pid hold a TCP connection from src? (/proc/PID/net/tcp is per netns)"""
    want = "%08X" % int.from_bytes(socket.inet_aton(src), "little")
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    with open("/proc/%d/net/tcp" % pid) as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[2].split(":")[0] == want and fields[9] in inodes:
                return True
    return False


def test_connection_rate_limit(make_instance):
    inst = limits_instance(make_instance, smtpd_client_connection_rate_limit="2",
                           anvil_status_update_time="1s")
    src = "127.0.0.23"
    for _ in range(2):
        with Client(inst, source=src) as c:
            assert c.cmd("QUIT").code == 221
    text = refused(inst, src)
    assert text == "421 4.7.0 %s Error: too many connections from %s\r\n" % (inst.hostname, src), \
        text
    inst.wait_log("warning: Connection rate limit exceeded: 3 from unknown[%s] for service %s"
                  % (src, service(inst)))
    inst.wait_log("statistics: max connection rate 3/60s for (%s:%s) at " % (service(inst), src))
    with Client(inst, source="127.0.0.24") as c:
        assert c.cmd("QUIT").code == 221


def test_message_rate_limit(make_instance, user):
    inst = limits_instance(make_instance, smtpd_client_message_rate_limit="2")
    src = "127.0.0.25"
    with Client(inst, source=src) as c:
        c.ehlo()
        send_one(c, user, b"first")
        assert c.cmd("MAIL FROM:<sender@client.test>").code == 250
        assert c.cmd("RSET").code == 250
        r = c.cmd("MAIL FROM:<sender@client.test>")
        assert r.line == "450 4.7.1 Error: too much mail from %s" % src, r
        # The limit is per client across sessions.
    with Client(inst, source=src) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<sender@client.test>").code == 450
    with Client(inst, source="127.0.0.26") as c:
        c.ehlo()
        send_one(c, user, b"second")
    inst.wait_log("warning: Message delivery request rate limit exceeded: 3 from unknown[%s] for "
                  "service %s" % (src, service(inst)))
    msgs = user.wait_for(2)
    assert len(msgs) == 2


def test_recipient_rate_limit(make_instance, user):
    inst = limits_instance(make_instance, smtpd_client_recipient_rate_limit="2")
    src = "127.0.0.27"
    rcpt = "RCPT TO:<%s@test.example>" % user.name
    with Client(inst, source=src) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<sender@client.test>").code == 250
        assert c.cmd(rcpt).code == 250
        assert c.cmd(rcpt).code == 250
        r = c.cmd(rcpt)
        assert r.line == "450 4.7.1 Error: too many recipients from %s" % src, r
        assert c.data(MSG).code == 250
    inst.wait_log("warning: Recipient address rate limit exceeded: 3 from unknown[%s] for "
                  "service %s" % (src, service(inst)))
    assert len(user.wait_for(1)) == 1


def test_exceptions_default_to_mynetworks(make_instance, user):
    inst = make_instance(main_cf={"mynetworks": "127.0.0.0/8", "smtpd_peername_lookup": "no",
                                  "smtpd_client_connection_count_limit": "1",
                                  "smtpd_client_message_rate_limit": "1"})
    src = "127.0.0.28"
    a, b = Client(inst, source=src), Client(inst, source=src)
    b.ehlo()
    send_one(b, user, b"one")
    send_one(b, user, b"two")
    a.close()
    b.close()
    assert len(user.wait_for(2)) == 2
    assert "limit exceeded" not in inst.read_log()


def test_mail_flows_without_anvil(make_instance, user):
    inst = limits_instance(make_instance, start=False, smtpd_client_connection_count_limit="1")
    inst.master_cf = [l for l in inst.master_cf if not l.startswith("anvil ")]
    inst.write_master_cf(inst.master_cf)
    inst.start()
    src = "127.0.0.29"
    a = Client(inst, source=src)
    with Client(inst, source=src) as b:
        b.ehlo()
        send_one(b, user)
    a.close()
    assert len(user.wait_for(1)) == 1
    log = inst.read_log()
    assert "warning: anvil service private/anvil: " in log, log[-3000:]
    assert "client connection and rate limits are not enforced" in log
    assert "limit exceeded" not in log


def test_recipient_limit_per_message(make_instance, user):
    inst = limits_instance(make_instance, smtpd_recipient_limit="3", recipient_delimiter="+")
    with Client(inst, source="127.0.0.30") as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<sender@client.test>").code == 250
        for i in range(3):
            assert c.cmd("RCPT TO:<%s+%d@test.example>" % (user.name, i)).code == 250
        r = c.cmd("RCPT TO:<%s@test.example>" % user.name)
        assert r.line == "452 4.5.3 Error: too many recipients", r
        assert c.data(MSG).code == 250
    time.sleep(1)
    assert len(user.wait_for(3)) == 3  # one copy per accepted address, none for the refused one
