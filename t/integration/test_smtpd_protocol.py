"""smtpd's side of the SMTP conversation: time limits, long replies and the
session counters.

Each test drives a real instance with the raw client (smtplib would wait for
every reply and hide what a misbehaving client does), and checks the reply
on the wire, the log line an operator greps for (Postfix's wording), and the
Maildir and the queue: a refused session must leave nothing behind.
"""

import re
import time

import pytest

from postern_instance import wait_until
from smtp_raw import Client, delivered_body, queued_id

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
    assert disconnect_line(inst, "timeout after DATA (") == \
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
        assert c.cmd("BOGUS").code == 500
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
