"""smtpd's side of the SMTP conversation: RFC 2920 synchronization, bare LF
in command lines, time limits, long replies and the session counters.

Each test drives a real instance with the raw client (smtplib would wait for
every reply and hide what a misbehaving client does), and checks the reply
on the wire, the log line an operator greps for (Postfix's wording), and the
Maildir and the queue: a refused session must leave nothing behind.
"""

import re
import socket
import time

import pytest

from postern_instance import wait_until
from smtp_raw import Client, delivered_body, queued_id

SYNC = "554 5.5.0 Error: SMTP protocol synchronization"
TIMEOUT = "421 4.4.2 mx.test.example Error: timeout exceeded"
CLIENT = "client.test[127.0.0.1]"


def disconnect_line(inst, marker):
    """The first "disconnect from" line logged after marker (text from the
    session in question: the harness's own probe session comes first)."""
    def find():
        log = inst.read_log()
        at = log.find(marker)
        m = re.search(r"^.*(disconnect from .*)$", log[at:], re.M) if at >= 0 else None
        return m.group(1) if m else None
    return wait_until(find, 20, what="a disconnect line after %r" % marker)


def assert_nothing_queued(inst, user):
    time.sleep(0.5)
    assert inst.queue_files() == [], "the queue holds %r" % inst.queue_files()
    assert user.messages() == [], "something was delivered: %r" % user.contents()


def envelope(user, n=1):
    return (b"MAIL FROM:<alice@client.test>\r\n" +
            b"".join(b"RCPT TO:<%s@test.example>\r\n" % u.name.encode() for u in user[:n]) +
            b"DATA\r\n")


# --------------------------------------------------------------------------
# RFC 2920: what may be pipelined (smtpd_forbid_unauth_pipelining = yes)
# --------------------------------------------------------------------------

def test_body_before_354_is_refused(instance, user):
    """The whole transaction, message included, in one write: the client
    cannot know that its recipient was accepted.  Postfix 3.9 answers the
    DATA with 554 5.5.0 and disconnects; nothing is queued."""
    with Client(instance) as c:
        c.ehlo()
        c.send(envelope([user]) + b"Subject: too soon\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        replies = c.replies_until(554)
        assert [r.line for r in replies] == ["250 2.1.0 Ok", "250 2.1.5 Ok", SYNC], \
            "want MAIL and RCPT accepted and DATA refused: %r" % replies
        assert c.wait_closed(), "connection not closed after 554"
    log = instance.read_log()
    assert ("improper command pipelining after DATA from %s: Subject: too soon\\r\\n\\r\\nbody"
            "\\r\\n.\\r\\nQUIT\\r\\n" % CLIENT) in log, \
        "no improper pipelining line with the early input:\n" + log
    assert disconnect_line(instance, "improper command pipelining") == \
        "disconnect from %s ehlo=1 mail=1 rcpt=1 data=0/1 commands=3/4" % CLIENT
    assert "client=" not in log, "a queue file was started"
    assert_nothing_queued(instance, user)


def test_commands_after_ehlo_in_one_write_are_refused(instance, user):
    with Client(instance) as c:
        c.send(b"EHLO client.test\r\n" + envelope([user]))
        r = c.reply()
        assert r is not None and r.line == SYNC, "pipelining after EHLO: %r" % r
        assert c.wait_closed()
    assert ("improper command pipelining after EHLO from %s: MAIL FROM:<alice@client.test>\\r\\n"
            "RCPT TO:<%s@test.example>\\r\\nDATA\\r\\n" % (CLIENT, user.name)) in instance.read_log()
    assert disconnect_line(instance, "improper command pipelining") == \
        "disconnect from %s ehlo=0/1 commands=0/1" % CLIENT
    assert_nothing_queued(instance, user)


def test_commands_after_quit_are_refused(instance):
    with Client(instance) as c:
        c.ehlo()
        c.send(b"QUIT\r\nNOOP\r\n")
        r = c.reply()
        assert r is not None and r.line == SYNC, "pipelining after QUIT: %r" % r
        assert c.wait_closed()
    assert "improper command pipelining after QUIT from %s: NOOP\\r\\n" % CLIENT in \
        instance.read_log()


def test_pipelining_before_ehlo_is_refused(instance, user):
    """Before EHLO the client has not seen PIPELINING: nothing may follow any
    command (Postfix applies this to HELO clients for the whole session)."""
    with Client(instance) as c:
        assert c.cmd("HELO client.test").code == 250
        c.send(b"MAIL FROM:<alice@client.test>\r\nRCPT TO:<%s@test.example>\r\n" %
               user.name.encode())
        r = c.reply()
        assert r is not None and r.line == SYNC, "pipelining after HELO: %r" % r
        assert c.wait_closed()
    assert disconnect_line(instance, "improper command pipelining") == \
        "disconnect from %s helo=1 mail=0/1 commands=1/2" % CLIENT
    assert_nothing_queued(instance, user)


def test_input_before_the_greeting_is_refused(instance):
    """A client that talks before the 220: 554 instead of the greeting, as
    Postfix ("improper command pipelining after CONNECT").  smtpd looks at
    the socket after its peer lookups, so input sent right after connect()
    is there by then; a few attempts rule out an unlucky schedule."""
    for attempt in range(5):
        with socket.create_connection((instance.addr, instance.port), timeout=10) as s:
            s.sendall(b"EHLO client.test\r\n")
            got = s.recv(4096)
            if got.startswith(b"220"):
                continue  # smtpd was quicker than our packet: try again
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        break
    assert got == SYNC.encode() + b"\r\n", "input before the greeting: %r" % got
    log = instance.read_log()
    assert "improper command pipelining after CONNECT from %s: EHLO client.test\\r\\n" % CLIENT \
        in log, log
    assert disconnect_line(instance, "improper command pipelining") == \
        "disconnect from %s commands=0" % CLIENT


def test_rfc2920_pipelining_still_works(instance, user, user2):
    """MAIL, RCPT, RCPT, DATA in one packet, the content after the 354 and
    QUIT after the final dot: what RFC 2920 allows, accepted and delivered."""
    with Client(instance) as c:
        c.ehlo()
        c.send(envelope([user, user2], 2))
        replies = c.replies_until(354)
        assert [r.code for r in replies] == [250, 250, 250, 354], replies
        c.send(b"Subject: pipelined\r\n\r\nby the book\r\n.\r\nQUIT\r\n")
        r = c.reply()
        qid = queued_id(r)
        assert c.reply().code == 221
    for u in (user, user2):
        u.wait_for(1)
        assert [delivered_body(d) for d in u.contents()] == [b"Subject: pipelined\n\nby the book\n"]
    log = instance.read_log()
    assert "improper command pipelining" not in log, log
    assert disconnect_line(instance, qid) == \
        "disconnect from %s ehlo=1 mail=1 rcpt=2 data=1 quit=1 commands=6" % CLIENT
    assert qid in log


def test_forbid_unauth_pipelining_no_accepts_and_logs_once(make_instance, user):
    inst = make_instance(main_cf={"smtpd_forbid_unauth_pipelining": "no"},
                         dns=["client.test. A 127.0.0.1"], ptr=["127.0.0.1 client.test"])
    with Client(inst) as c:
        c.send(b"EHLO client.test\r\n" + envelope([user]) +
               b"Subject: sloppy\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n")
        replies = c.replies_until(221)
        assert [r.code for r in replies] == [250, 250, 250, 354, 250, 250, 221], replies
    user.wait_for(1)
    assert [delivered_body(d) for d in user.contents()] == [b"Subject: sloppy\n\nbody\n"]
    assert inst.read_log().count("improper command pipelining after") == 1, \
        "improper pipelining is logged once per session"
    assert "after EHLO from %s" % CLIENT in inst.read_log()


# --------------------------------------------------------------------------
# Bare LF in command lines (smtpd_forbid_bare_newline)
# --------------------------------------------------------------------------

def test_bare_lf_command_is_refused_and_disconnected(instance, user):
    with Client(instance) as c:
        c.send(b"EHLO client.test\n")
        r = c.reply()
        assert r is not None and r.line == "550 5.5.2 Error: bare <LF> received", \
            "EHLO ending in a bare LF: %r" % r
        assert c.wait_closed(), "the session went on after a bare LF command line"
    with Client(instance) as c:
        c.ehlo()
        c.send(b"MAIL FROM:<alice@client.test>\n")
        r = c.reply()
        assert r is not None and r.line == "550 5.5.2 Error: bare <LF> received", r
        assert c.wait_closed()
    log = instance.read_log()
    assert "NOQUEUE: reject: EHLO from %s: 550 5.5.2 Error: bare <LF> received; proto=SMTP " \
        "helo=<>" % CLIENT in log, log
    assert "NOQUEUE: reject: MAIL from %s: 550 5.5.2 Error: bare <LF> received; proto=ESMTP " \
        "helo=<client.test>" % CLIENT in log, log
    assert disconnect_line(instance, "reject: EHLO") == \
        "disconnect from %s ehlo=0/1 commands=0/1" % CLIENT
    assert disconnect_line(instance, "reject: MAIL") == \
        "disconnect from %s ehlo=1 mail=0/1 commands=1/2" % CLIENT
    assert_nothing_queued(instance, user)


def test_bare_lf_command_is_accepted_with_normalize(make_instance, user):
    inst = make_instance(main_cf={"smtpd_forbid_bare_newline": "normalize"})
    with Client(inst) as c:
        for line in (b"EHLO client.test", b"MAIL FROM:<alice@client.test>",
                     b"RCPT TO:<%s@test.example>" % user.name.encode()):
            c.send(line + b"\n")
            r = c.reply()
            assert r is not None and r.code == 250, "%r with a bare LF: %r" % (line, r)
        c.send(b"DATA\n")
        assert c.reply().code == 354
        c.send(b"Subject: lf\r\n\r\nok\r\n.\r\n")
        queued_id(c.reply())
    user.wait_for(1)
    assert [delivered_body(d) for d in user.contents()] == [b"Subject: lf\n\nok\n"]


# --------------------------------------------------------------------------
# Time limits: smtpd_timeout per read, smtpd_session_time_limit in all
# --------------------------------------------------------------------------

def test_session_time_limit_ends_a_busy_session(make_instance, user):
    """A client that keeps sending, each command well within smtpd_timeout,
    is still cut off once smtpd_session_time_limit is used up."""
    inst = make_instance(main_cf={"smtpd_timeout": "60s", "smtpd_session_time_limit": "3s"},
                         dns=["client.test. A 127.0.0.1"], ptr=["127.0.0.1 client.test"])
    t0 = time.time()
    noops = 0
    with Client(inst, timeout=20) as c:
        c.ehlo()
        while True:
            c.send(b"NOOP\r\n")
            r = c.reply()
            assert r is not None, "closed without a 421"
            if r.code != 250:
                break
            noops += 1
            time.sleep(0.3)
        elapsed = time.time() - t0
        assert r.line == TIMEOUT, "end of the session: %r" % r
        assert c.wait_closed()
    assert 2.0 <= elapsed <= 15, "cut off after %.1fs, the limit is 3s" % elapsed
    assert noops >= 3
    assert disconnect_line(inst, "timeout after NOOP from %s" % CLIENT) == \
        "disconnect from %s ehlo=1 noop=%d commands=%d" % (CLIENT, noops, noops + 1)


def test_session_time_limit_during_data(make_instance, user):
    """Content that trickles in forever: the session limit ends it too, with
    421, and no temporary queue file stays behind."""
    inst = make_instance(main_cf={"smtpd_timeout": "60s", "smtpd_session_time_limit": "3s"},
                         dns=["client.test. A 127.0.0.1"], ptr=["127.0.0.1 client.test"])
    with Client(inst, timeout=20) as c:
        c.ehlo()
        c.mail_to("alice@client.test", [user.name + "@test.example"])
        assert c.cmd("DATA").code == 354
        c.sock.settimeout(0.3)
        r = None
        for i in range(100):
            try:
                c.send(b"line %d\r\n" % i)
            except OSError:
                break
            if c._fill():
                break
        c.sock.settimeout(10)
        r = c.reply()
        assert r is not None and r.line == TIMEOUT, "trickling DATA: %r" % r
    inst.wait_log("timeout after DATA (")
    assert re.search(r"timeout after DATA \(\d+ bytes\) from client\.test\[127\.0\.0\.1\]",
                     inst.read_log())
    assert disconnect_line(inst, "timeout after DATA") == \
        "disconnect from %s ehlo=1 mail=1 rcpt=1 data=0/1 commands=3/4" % CLIENT
    assert_nothing_queued(inst, user)


def test_timeout_in_data_gets_421(make_instance, user):
    inst = make_instance(main_cf={"smtpd_timeout": "2s"},
                         dns=["client.test. A 127.0.0.1"], ptr=["127.0.0.1 client.test"])
    with Client(inst) as c:
        c.ehlo()
        c.mail_to("alice@client.test", [user.name + "@test.example"])
        assert c.cmd("DATA").code == 354
        c.send(b"Subject: never finished\r\n\r\nhalf a line")
        r = c.reply()
        assert r is not None and r.line == TIMEOUT, "stalled DATA: %r" % r
        assert c.wait_closed()
    assert disconnect_line(inst, "timeout after DATA (25 bytes) from %s" % CLIENT) == \
        "disconnect from %s ehlo=1 mail=1 rcpt=1 data=0/1 commands=3/4" % CLIENT
    assert_nothing_queued(inst, user)


def test_timeout_after_ehlo_counts_ehlo_as_done(make_instance):
    """The 421 on timeout is the server's, not an answer to EHLO: "ehlo=1"."""
    inst = make_instance(main_cf={"smtpd_timeout": "2s"},
                         dns=["client.test. A 127.0.0.1"], ptr=["127.0.0.1 client.test"])
    with Client(inst) as c:
        c.ehlo()
        r = c.reply()
        assert r is not None and r.line == TIMEOUT, r
    assert disconnect_line(inst, "timeout after EHLO from %s" % CLIENT) == \
        "disconnect from %s ehlo=1 commands=1" % CLIENT


def test_lost_connection_in_data_counts_data_as_failed(instance, user):
    with Client(instance) as c:
        c.ehlo()
        c.mail_to("alice@client.test", [user.name + "@test.example"])
        assert c.cmd("DATA").code == 354
        c.send(b"Subject: cut\r\n\r\npart")
    instance.wait_log("lost connection after DATA (")
    assert re.search(r"lost connection after DATA \(\d+ bytes\) from client\.test\[127\.0\.0\.1\]",
                     instance.read_log())
    assert disconnect_line(instance, "lost connection after DATA") == \
        "disconnect from %s ehlo=1 mail=1 rcpt=1 data=0/1 commands=3/4" % CLIENT
    assert_nothing_queued(instance, user)


def test_session_counters(instance, user):
    """Postfix's form: name=ok/total only where something failed."""
    with Client(instance) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<alice@client.test>").code == 250
        assert c.cmd("RCPT TO:<nosuchuser@test.example>").code == 550
        assert c.cmd("RCPT TO:<%s@test.example>" % user.name).code == 250
        queued_id(c.data(b"Subject: counted\r\n\r\nx\r\n.\r\n"))
        assert c.cmd("RSET").code == 250
        assert c.cmd("BOGUS").code == 502
        assert c.cmd("QUIT").code == 221
    assert disconnect_line(instance, "NOQUEUE: reject: RCPT") == (
        "disconnect from %s ehlo=1 mail=1 rcpt=1/2 data=1 rset=1 "
                                         "quit=1 unknown=0/1 commands=6/8" % CLIENT)


# --------------------------------------------------------------------------
# Replies longer than a line
# --------------------------------------------------------------------------

@pytest.mark.parametrize("words", [300, 2000])
def test_long_banner_is_wrapped(make_instance, user, words):
    """A reply over 1 KiB used to abort smtpd.  The greeting is the reply an
    administrator controls: wrapped at 512 octets into a multi-line 220,
    capped (the 2000-word banner is cut), and the session works."""
    banner = " ".join("word%d" % i for i in range(words))
    inst = make_instance(main_cf={"smtpd_banner": "$myhostname ESMTP " + banner})
    with Client(inst) as c:
        lines = c.greeting.lines
        assert len(lines) > 1, "a long banner in one line: %r" % lines[:1]
        for i, line in enumerate(lines):
            assert len(line) + 2 <= 512, "reply line of %d octets" % (len(line) + 2)
            assert line.startswith("220 " if i == len(lines) - 1 else "220-"), line[:10]
        text = " ".join(line[4:] for line in lines)
        if words == 300:
            assert text == "mx.test.example ESMTP " + banner, "the banner was not kept whole"
        else:
            assert 3000 < len(text) <= 4096 and ("mx.test.example ESMTP " + banner).startswith(
                text), "the banner was not cut cleanly"
        c.ehlo()
        c.mail_to("alice@client.test", [user.name + "@test.example"])
        queued_id(c.data(b"Subject: after a long banner\r\n\r\nok\r\n.\r\n"))
    user.wait_for(1)
    assert "panic" not in inst.read_log()
