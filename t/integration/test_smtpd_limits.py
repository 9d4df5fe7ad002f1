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
import threading
import time

import pytest

from postern_instance import MailUser, wait_until
from smtp_raw import Client, queued_id



def shipped_smtp_maxproc():
    """The smtp service's process limit in the shipped etc/master.cf: the
    slow-client tests check the configuration users get."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "etc",
                        "master.cf")
    for line in open(path):
        f = line.split()
        if f and f[0] == "smtp" and f[1] == "inet":
            return f[6]
    raise AssertionError("no smtp inet service in " + path)


SMTP_MAXPROC = shipped_smtp_maxproc()
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


class Hogs:
    """n connections from n addresses (127.0.0.2 and up) that read the
    banner and then say nothing, or (trickle) send a byte a second and never
    end a line."""

    def __init__(self, inst, n, trickle):
        self.socks = []
        for i in range(n):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.%d" % (2 + i), 0))
            s.setblocking(False)
            s.connect_ex((inst.addr, inst.port))
            self.socks.append(s)
        self.trickle = trickle
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        last = {}  # socket -> when it last sent a byte; only once greeted
        while not self.stop:
            now = time.time()
            for s in self.socks:
                try:
                    if s.recv(4096) and s not in last:
                        last[s] = 0
                except OSError:
                    pass
                # Only after the banner: input before it ends the session at once (RFC 2920).
                if self.trickle and s in last and now - last[s] >= 1:
                    last[s] = now
                    try:
                        s.send(b"X")
                    except OSError:
                        pass
            time.sleep(0.1)

    def close(self):
        self.stop = True
        self.thread.join()
        for s in self.socks:
            s.close()


def served_in(inst, user, source):
    """Seconds from connect to the 250 for one message from source."""
    t0 = time.time()
    with Client(inst, source=source, timeout=60) as c:
        c.ehlo()
        send_one(c, user, b"among hogs")
    return time.time() - t0


def smtpd_memory_kb(inst):
    """Private memory (Pss) of the smtpd processes, in kB, and how many there are."""
    total, pids = 0, inst.daemon_pids("smtpd")
    for pid in pids:
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total, len(pids)


@pytest.mark.parametrize("trickle", [False, True], ids=["silent", "trickle"])
def test_slow_clients_leave_room(make_instance, user, trickle):
    inst = limits_instance(make_instance, start=False)
    inst.master_cf[0] = inst.master_cf[0].replace("inet n - n - - smtpd",
                                                  "inet n - n - %s smtpd" % SMTP_MAXPROC)
    inst.write_master_cf(inst.master_cf)
    inst.start()
    hogs = Hogs(inst, 200, trickle)
    try:
        time.sleep(3)  # every hog connected and greeted (or waiting for a process)
        took = served_in(inst, user, "127.0.0.250")
        pss, n = smtpd_memory_kb(inst)
        assert n > 200, "only %d smtpd processes: the slow clients did not all hold one" % n
        print("\n%s: 200 hogs, a message accepted in %.2f s; %d smtpd processes, %d kB Pss "
              "(%d kB each)" % ("trickle" if trickle else "silent", took, n, pss, pss // max(n, 1)))
        assert took < 5, "a normal client waited %.1f s behind 200 slow ones" % took
        assert len(user.wait_for(1)) == 1
    finally:
        hogs.close()


def test_trickling_clients_give_way_under_stress(make_instance, user):
    """More slow clients than processes: under stress smtpd_timeout (2 s
    here) bounds a whole command line (smtpd_per_record_deadline), so
    clients that trickle a byte a second lose their process as surely as
    silent ones, and the normal client waiting behind them is served."""
    # With smtpd_per_record_deadline = no the normal client gets no banner in 60 s.
    inst = limits_instance(make_instance, start=False, smtpd_timeout="${stress?{2}:{300}}s")
    inst.master_cf[0] = inst.master_cf[0].replace("inet n - n - - smtpd", "inet n - n - 10 smtpd")
    inst.write_master_cf(inst.master_cf)
    inst.start()
    hogs = Hogs(inst, 20, trickle=True)
    try:
        time.sleep(1)
        took = served_in(inst, user, "127.0.0.250")
        print("\n20 trickling clients, 10 processes: a message accepted in %.2f s" % took)
        assert took < 20, took
    finally:
        hogs.close()
    log = inst.read_log()
    assert log.count("timeout after CONNECT from unknown[127.0.0.") >= 10, log[-3000:]
    assert len(user.wait_for(1)) == 1


def smtpd_rss_kb(inst, pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_hostile_input_keeps_memory_bounded(make_instance, user):
    """Endless over-long lines, then thousands of RCPTs: smtpd's memory
    stays where one ordinary session puts it."""
    inst = limits_instance(make_instance, smtpd_hard_error_limit="1000",
                           smtpd_recipient_limit="1000", recipient_delimiter="+")
    with Client(inst, source="127.0.0.31", timeout=60) as c:
        c.ehlo()
        pid = [p for p in inst.daemon_pids("smtpd") if _serves(p, "127.0.0.31")][0]
        base = smtpd_rss_kb(inst, pid)
        chunk = b"X" * 65536
        for _ in range(4):  # 4 x 16 MB lines, each refused
            for _ in range(256):
                c.send(chunk)
            c.send(b"\r\n")
            assert c.reply().line == "500 5.5.2 Error: line too long"
        after_lines = smtpd_rss_kb(inst, pid)
        c.send(b"MAIL FROM:<sender@client.test>\r\n")
        assert c.reply().code == 250
        n = 1900  # 900 refused: below smtpd_hard_error_limit
        c.send(b"".join(b"RCPT TO:<%s+%d@test.example>\r\n" % (user.name.encode(), i)
                        for i in range(n)))
        codes = [c.reply().code for _ in range(n)]
        assert codes.count(250) == 1000 and codes.count(452) == n - 1000, set(codes)
        after_rcpts = smtpd_rss_kb(inst, pid)
        print("\nsmtpd RSS: %d kB at EHLO, %d kB after 64 MB of long lines, %d kB after %d RCPTs"
              % (base, after_lines, after_rcpts, n))
        assert after_lines - base < 4096, (base, after_lines)
        assert after_rcpts - base < 16384, (base, after_rcpts)  # ASan keeps freed memory a while
        assert c.cmd("QUIT").code == 221


def test_check_reports_bad_exceptions(make_instance):
    inst = limits_instance(make_instance, start=False,
                           smtpd_client_event_limit_exceptions="192.0.2.0/33")
    r = inst.postern("check", check=False)
    assert r.returncode != 0
    assert 'smtpd_client_event_limit_exceptions: "192.0.2.0/33"' in r.stderr, r.stderr


def test_stuck_anvil_costs_a_second(make_instance, user):
    """An anvil that accepts but never answers (stopped) delays a session
    by the client's 1 s timeout once, and then mail flows without limits."""
    inst = limits_instance(make_instance, smtpd_client_connection_count_limit="1")
    src = "127.0.0.32"
    with Client(inst, source=src) as c:  # anvil is up and has a process now
        assert c.cmd("QUIT").code == 221
    pids = inst.daemon_pids("anvil")
    assert len(pids) == 1, pids
    os.kill(pids[0], signal.SIGSTOP)
    try:
        t0 = time.time()
        a = Client(inst, source=src, timeout=30)
        took = time.time() - t0
        with Client(inst, source=src) as b:
            b.ehlo()
            send_one(b, user)
        a.close()
    finally:
        os.kill(pids[0], signal.SIGCONT)
    print("\nbanner after %.2f s with anvil stopped" % took)
    assert took < 5, took
    assert len(user.wait_for(1)) == 1
    inst.wait_log("client connection and rate limits are not enforced")
