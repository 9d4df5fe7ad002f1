"""What smtpd refuses, and how: unknown users, relaying, size and line limits,
command syntax and limits, timeouts and garbage.

Every refusal is checked three ways: the exact reply (code, enhanced code,
text where Postfix users rely on it), the log line an operator would grep
for, and the queue and the Maildir (a refused message must leave nothing
behind, an accepted one must arrive).  Raw sockets are used wherever smtplib
would hide what is on the wire.
"""

import os
import random
import re
import smtplib
import socket
import time

import pytest

from postern_instance import MailUser, wait_until
from smtp_raw import Client, delivered_body, queued_id

CLIENT_IP = "127.0.0.9"      # outside mynetworks = 127.0.0.1/32
TRUSTED_IP = "127.0.0.1"


def real_queue_files(inst):
    """Everything in the queue directories, temporary files included."""
    return inst.queue_files()


def assert_queue_empty_now(inst, why):
    files = real_queue_files(inst)
    assert files == [], "%s, but the queue holds %s" % (why, files)


def deliver_clean(inst, user, subject="clean", source=None):
    """Send one well-formed message with smtplib and wait until it arrives."""
    before = len(user.messages())
    body = b"Subject: " + subject.encode() + b"\r\n\r\nclean message\r\n"
    kw = {"source_address": (source, 0)} if source else {}
    with smtplib.SMTP(inst.addr, inst.port, timeout=10, **kw) as s:
        s.ehlo("client.test")
        refused = s.sendmail("alice@client.test", [user.name + "@test.example"], body)
        assert refused == {}, "clean message refused: %r" % refused
    user.wait_for(before + 1)
    return body


# --------------------------------------------------------------------------
# Recipient policy
# --------------------------------------------------------------------------

def test_unknown_local_user_rejected_and_known_one_delivered(instance, user):
    rcpt = user.name + "@test.example"
    with Client(instance) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<alice@client.test>").code == 250
        r = c.cmd("RCPT TO:<nosuchuser@test.example>")
        assert r.line == ("550 5.1.1 <nosuchuser@test.example>: Recipient address rejected: "
                          "User unknown in local recipient table"), \
            "unknown local user not rejected as Postfix does: %r" % r
        # myhostname is a local domain too: the same rule applies.
        r = c.cmd("RCPT TO:<nosuchuser@mx.test.example>")
        assert r.line.startswith("550 5.1.1 <nosuchuser@mx.test.example>: Recipient address "
                                 "rejected: User unknown"), "unknown user@myhostname: %r" % r
        r = c.cmd("RCPT TO:<%s>" % rcpt)
        assert r.code == 250, "known user refused after an unknown one: %r" % r
        r = c.data(b"Subject: half\r\n\r\nfor the known one only\r\n.\r\n")
        qid = queued_id(r)
        assert c.cmd("QUIT").code == 221
    log = instance.read_log()
    assert re.search(r"NOQUEUE: reject: RCPT from client\.test\[127\.0\.0\.1\]: 550 5\.1\.1 "
                     r"<nosuchuser@test\.example>: Recipient address rejected: User unknown "
                     r"in local recipient table; from=<alice@client\.test> "
                     r"to=<nosuchuser@test\.example> proto=ESMTP helo=<client\.test>", log), \
        "no NOQUEUE reject line for the unknown user in the log:\n" + log
    user.wait_for(1)
    instance.wait_queue_empty()
    assert len(user.messages()) == 1, "the known user got %d messages" % len(user.messages())
    data = user.contents()[0]
    assert b"\tfor <" + rcpt.encode() + b">; " in data, \
        "the unknown user was queued as a recipient too (no single 'for <>'): %r" % data[:400]
    assert delivered_body(data) == b"Subject: half\n\nfor the known one only\n"
    log = instance.read_log()
    assert re.search(r"%s: to=<%s>, relay=local, .*status=sent" % (qid, re.escape(rcpt)), log), \
        "no delivery line for the known user:\n" + log
    assert not re.search(r"to=<nosuchuser@[^>]*>, relay=", log), \
        "a delivery was attempted for the rejected user:\n" + log


def test_relay_denied_outside_mynetworks(make_instance, user):
    inst = make_instance(main_cf={"mynetworks": "127.0.0.1/32"})
    with Client(inst, source=CLIENT_IP) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<alice@client.test>").code == 250
        r = c.cmd("RCPT TO:<x@other.example>")
        assert r.line == "554 5.7.1 <x@other.example>: Relay access denied", \
            "foreign domain from outside mynetworks not refused as relay: %r" % r
        r = c.cmd("DATA")
        assert r.code == 554 and r.line.startswith("554 5.5.1") and \
            "no valid recipients" in r.line, "DATA after only refused RCPTs: %r" % r
        # Nothing was queued, not even a temporary file.
        assert_queue_empty_now(inst, "relaying was refused")
        # Still allowed: mail for our own domain, in the same session.
        assert c.cmd("RSET").code == 250
        c.mail_to("alice@client.test", [user.name + "@test.example"])
        r = c.data(b"Subject: local is fine\r\n\r\nhello\r\n.\r\n")
        queued_id(r)
        assert c.cmd("QUIT").code == 221
    log = inst.read_log()
    assert re.search(r"NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.9\]: 554 5\.7\.1 "
                     r"<x@other\.example>: Relay access denied; from=<alice@client\.test> "
                     r"to=<x@other\.example>", log), "no relay-denied log line:\n" + log
    user.wait_for(1)
    inst.wait_queue_empty()
    assert [delivered_body(d) for d in user.contents()] == [b"Subject: local is fine\n\nhello\n"]
    assert "other.example>, relay=" not in inst.read_log(), "a relay delivery was attempted"


def test_client_in_mynetworks_may_relay(make_instance):
    inst = make_instance(main_cf={"mynetworks": "127.0.0.1/32"})
    with Client(inst, source=TRUSTED_IP) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<alice@client.test>").code == 250
        r = c.cmd("RCPT TO:<x@other.example>")
        assert r.code == 250, "client in mynetworks may not relay: %r" % r
        qid = queued_id(c.data(b"Subject: relayed\r\n\r\nout\r\n.\r\n"))
    # There is no smtp transport yet: the message must stay queued, not vanish.
    wait_until(lambda: re.search(r"%s: to=<x@other\.example>, relay=none, .*dsn=4\.\d\.\d, "
                                 r"status=deferred \(mail transport unavailable\)" % qid,
                                 inst.read_log()),
               10, what="'mail transport unavailable' deferral of " + qid)
    files = real_queue_files(inst)
    assert any(f in ("remote/" + qid, "deferred/" + qid) for f in files), \
        "relayed message %s not in remote/ or deferred/: %s" % (qid, files)


def test_relay_domains_accepted_from_any_client(make_instance):
    inst = make_instance(main_cf={"mynetworks": "127.0.0.1/32",
                                  "relay_domains": "relay.example"})
    with Client(inst, source=CLIENT_IP) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<alice@client.test>").code == 250
        r = c.cmd("RCPT TO:<x@relay.example>")
        assert r.code == 250, "relay_domains domain refused from outside mynetworks: %r" % r
        r = c.cmd("RCPT TO:<y@sub.relay.example>")
        assert r.code == 250, "subdomain of a relay_domains entry refused: %r" % r
        for other in ("z@notrelay.example", "z@relay.example.org", "z@xrelay.example"):
            r = c.cmd("RCPT TO:<%s>" % other)
            assert r.line == "554 5.7.1 <%s>: Relay access denied" % other, \
                "%s is not a relay domain but got %r" % (other, r)
        qid = queued_id(c.data(b"Subject: to relay domain\r\n\r\nx\r\n.\r\n"))
    wait_until(lambda: any(f in ("remote/" + qid, "deferred/" + qid)
                           for f in real_queue_files(inst)),
               10, what="message %s queued for the relay domain" % qid)
    inst.wait_log("%s: from=<alice@client.test>" % qid)
    log = inst.read_log()
    assert re.search(r"%s: from=<alice@client\.test>, size=\d+, nrcpt=2 " % qid, log), \
        "the relay-domain message does not have exactly the two accepted recipients:\n" + log


# --------------------------------------------------------------------------
# Size limits
# --------------------------------------------------------------------------

def test_size_limit_advertised_and_checked_at_mail_from(make_instance):
    inst = make_instance(main_cf={"message_size_limit": "2000"})
    with Client(inst) as c:
        r = c.ehlo()
        assert "250-SIZE 2000" in r.lines or "250 SIZE 2000" in r.lines, \
            "EHLO does not advertise SIZE 2000: %r" % r
        r = c.cmd("MAIL FROM:<alice@client.test> SIZE=5000")
        assert r.code == 552 and r.line.startswith("552 5.3.4"), \
            "declared SIZE over the limit not refused with 552 5.3.4: %r" % r
        r = c.cmd("MAIL FROM:<alice@client.test> SIZE=2000")
        assert r.code == 250, "declared SIZE equal to the limit refused: %r" % r
        assert c.cmd("RSET").code == 250
        r = c.cmd("MAIL FROM:<alice@client.test> SIZE=12x")
        assert r.code == 501 and r.line.startswith("501 5.5.4"), "bad SIZE syntax: %r" % r
    assert_queue_empty_now(inst, "no message was sent")


def test_oversize_message_refused_after_final_dot_and_session_goes_on(make_instance, user):
    inst = make_instance(main_cf={"message_size_limit": "2000"})
    rcpt = user.name + "@test.example"
    big = b"Subject: too big\r\n\r\n" + b"".join(b"line %05d %s\r\n" % (i, b"x" * 60)
                                                 for i in range(800))   # ~55 KB
    with Client(inst) as c:
        c.ehlo()
        c.mail_to("alice@client.test", [rcpt])
        r = c.data(big + b".\r\n")
        assert r.code == 552 and r.line.startswith("552 5.3.4"), \
            "message over message_size_limit not refused with 552 5.3.4: %r" % r
        assert_queue_empty_now(inst, "the oversize message was refused")
        # The session goes on: the next small message in it is delivered.
        assert c.cmd("NOOP").code == 250
        c.mail_to("alice@client.test", [rcpt])
        queued_id(c.data(b"Subject: small\r\n\r\nfits\r\n.\r\n"))
        assert c.cmd("QUIT").code == 221
    user.wait_for(1)
    inst.wait_queue_empty()
    assert [delivered_body(d) for d in user.contents()] == [b"Subject: small\n\nfits\n"], \
        "expected only the small message to be delivered"
    assert re.search(r"reject: DATA from .*: 552 5\.3\.4", inst.read_log()), \
        "the oversize rejection is not logged"


# --------------------------------------------------------------------------
# Line length limits (line_length_limit = 2048 by default)
# --------------------------------------------------------------------------

LIMIT = 2048


def test_overlong_command_line_refused_and_session_goes_on(instance):
    with Client(instance) as c:
        c.ehlo()
        r = c.cmd(b"NOOP " + b"a" * (LIMIT - 4))         # LIMIT + 1 characters
        assert r.line == "500 5.5.2 Error: line too long", "over-long command line: %r" % r
        r = c.cmd("NOOP")
        assert r.code == 250, "session did not go on after an over-long line: %r" % r
        # Much longer than the read buffer, and a MAIL command at that.
        r = c.cmd(b"MAIL FROM:<" + b"b" * 100000 + b"@client.test>")
        assert r.line == "500 5.5.2 Error: line too long", "100 KB command line: %r" % r
        # The tail of the long line was not taken for a command: no MAIL in progress.
        r = c.cmd("RCPT TO:<postmaster@test.example>")
        assert r.code == 503, "the over-long MAIL command was partly accepted: %r" % r
        # A line of exactly the limit is not "too long".
        r = c.cmd(b"HELP " + b"c" * (LIMIT - 5))
        assert "line too long" not in r.line, "a line of exactly %d bytes: %r" % (LIMIT, r)
        assert c.cmd("QUIT").code == 221


def test_overlong_data_lines_are_delivered_intact(instance, user):
    """Postfix: "upon input, long lines are chopped up into pieces of at most
    this length; upon delivery, long lines are reconstructed."  So a DATA
    line over line_length_limit is accepted and delivered whole, byte-exact,
    with no line break inserted (it used to be refused with 500)."""
    rcpt = user.name + "@test.example"
    rng = random.Random(11)
    long_header = b"X-Long: " + bytes(rng.choice(b"abcdefghij ") for _ in range(4992))  # 5000
    long_body = bytes(rng.choice(b"0123456789abcdef.:") for _ in range(10000))
    with Client(instance) as c:
        c.ehlo()
        c.mail_to("alice@client.test", [rcpt])
        r = c.data(b"Subject: long\r\n" + long_header + b"\r\n\r\n" + long_body +
                   b"\r\nafter\r\n.\r\n")
        queued_id(r)
        # A huge line, dot-started: unstuffed once, and it ends nothing.
        c.mail_to("alice@client.test", [rcpt])
        queued_id(c.data(b"Subject: huge\r\n\r\n.." + b"z" * 300000 + b"\r\n.\r\n"))
        assert c.cmd("NOOP").code == 250, "session did not go on"
    user.wait_for(2)
    instance.wait_queue_empty()
    bodies = sorted(delivered_body(d) for d in user.contents())
    want = sorted([b"Subject: long\n" + long_header + b"\n\n" + long_body + b"\nafter\n",
                   b"Subject: huge\n\n." + b"z" * 300000 + b"\n"])
    assert len(bodies) == 2 and bodies == want, \
        "long lines not delivered byte-exact (sizes %r, want %r)" % (
            [len(b) for b in bodies], [len(b) for b in want])
    assert "line too long" not in instance.read_log()


def test_data_line_of_exactly_the_limit_is_delivered_byte_exact(instance, user):
    rcpt = user.name + "@test.example"
    exact = bytes(random.Random(7).choice(b"abcdefghijklmnopqrstuvwxyz0123456789 ")
                  for _ in range(LIMIT))
    body = (b"Subject: exact\r\n\r\n" + exact + b"\r\n" + b"x" * (LIMIT - 1) + b"\r\n" +
            b"." + b"w" * (LIMIT - 1) + b"\r\nend\r\n")
    with Client(instance) as c:
        c.ehlo()
        c.mail_to("alice@client.test", [rcpt])
        r = c.data(body + b".\r\n")
        assert r.code == 250, "a line of exactly line_length_limit bytes was refused: %r" % r
    user.wait_for(1)
    got = delivered_body(user.contents()[0])
    want = (b"Subject: exact\n\n" + exact + b"\n" + b"x" * (LIMIT - 1) + b"\n" +
            b"w" * (LIMIT - 1) + b"\nend\n")
    assert got == want, "line of exactly the limit not delivered byte-exact (got %d bytes, " \
        "want %d)" % (len(got), len(want))


def test_dot_stuffed_line_of_exactly_the_limit_is_delivered(instance, user):
    """RFC 5321 4.5.3.1.6: the dot duplicated for transparency is not counted.

    A content line of exactly line_length_limit bytes that starts with a dot
    is line_length_limit + 1 bytes on the wire; it must still be accepted.
    """
    rcpt = user.name + "@test.example"
    line = b"." + b"d" * (LIMIT - 1)
    with Client(instance) as c:
        c.ehlo()
        c.mail_to("alice@client.test", [rcpt])
        r = c.data(b"Subject: stuffed\r\n\r\n." + line + b"\r\n.\r\n")
        assert r.code == 250, ("a %d-byte content line, dot-stuffed to %d bytes on the wire, "
                               "was refused: %r" % (LIMIT, LIMIT + 1, r))
    user.wait_for(1)
    assert delivered_body(user.contents()[0]) == b"Subject: stuffed\n\n" + line + b"\n"


def test_line_of_exactly_the_limit_with_crlf_split_across_reads(instance, user):
    """The CR of a maximal line arrives, the LF comes in the next segment.

    A line of line_length_limit bytes is legal however TCP cuts it; the
    reader must wait for the LF before it decides the line is too long.
    """
    rcpt = user.name + "@test.example"
    line = b"q" * LIMIT
    with Client(instance) as c:
        c.ehlo()
        # Command line first: "NOOP " and filler up to the limit, "<CR>" | "<LF>".
        c.send(b"HELP " + b"h" * (LIMIT - 5) + b"\r")
        time.sleep(0.3)    # let smtpd read the first part on its own
        c.send(b"\n")
        r = c.reply()
        assert r is not None and "line too long" not in r.line, \
            "a command line of exactly the limit, CR and LF in two reads: %r" % r
        c.mail_to("alice@client.test", [rcpt])
        assert c.cmd("DATA").code == 354
        c.send(b"Subject: split\r\n\r\n" + line + b"\r")
        time.sleep(0.3)
        c.send(b"\nend\r\n.\r\n")
        r = c.reply()
        assert r is not None and r.code == 250, \
            "a DATA line of exactly the limit, CR and LF in two reads, refused: %r" % r
    user.wait_for(1)
    assert delivered_body(user.contents()[0]) == b"Subject: split\n\n" + line + b"\nend\n"


def test_100k_line_without_newline(instance, user):
    # Then CR LF and QUIT: one "line too long", then the goodbye.
    with Client(instance) as c:
        c.send(b"A" * 100000)
        c.send(b"\r\nQUIT\r\n")
        r1, r2 = c.reply(), c.reply()
        assert r1 is not None and r1.line == "500 5.5.2 Error: line too long", \
            "100 KB line without a newline: %r" % r1
        assert r2 is not None and r2.code == 221, "QUIT after the long line: %r" % r2
        assert c.wait_closed(), "connection not closed after QUIT"
    # The client sends 100 KB and half-closes: the server must notice and end.
    lost = instance.read_log().count("lost connection after CONNECT")
    with Client(instance) as c:
        c.send(b"B" * 100000)
        c.sock.shutdown(socket.SHUT_WR)
        assert c.wait_closed(), "server did not close after EOF in an endless line"
    wait_until(lambda: instance.read_log().count("lost connection after CONNECT") > lost, 10,
               what="'lost connection after CONNECT' for the endless line")
    # Same inside DATA.
    with Client(instance) as c:
        c.ehlo()
        c.mail_to("alice@client.test", [user.name + "@test.example"])
        assert c.cmd("DATA").code == 354
        c.send(b"C" * 100000)
        c.sock.shutdown(socket.SHUT_WR)
        assert c.wait_closed(), "server did not close after EOF in an endless DATA line"
    instance.wait_log("lost connection after DATA")
    assert_queue_empty_now(instance, "the client went away in DATA")
    deliver_clean(instance, user)
    assert "killed by signal" not in instance.read_log()


# --------------------------------------------------------------------------
# Command syntax and limits
# --------------------------------------------------------------------------

def test_mail_and_rcpt_syntax_and_parameters(instance):
    cases = [
        ("MAIL FROM:<alice>", "501 5.1.7"),                 # no domain
        ("MAIL FROM:<alice@client.test", "501 5.1.7"),      # unterminated
        ("MAIL FROM:<alice@client.test>junk", "501 5.1.7"),
        ("MAIL FROM:<a b@client.test>", "501 5.1.7"),
        ("MAIL FRM:<alice@client.test>", "501 5.5.4"),
        ("MAIL FROM:", "501 5.5.4"),
        ("MAIL", "501 5.5.4"),
        ("MAIL FROM:<alice@client.test> FOO=BAR", "555 5.5.4"),
        ("MAIL FROM:<alice@client.test> AUTH=<>", "555 5.5.4"),
        ("MAIL FROM:<alice@client.test> BODY=BINARYMIME", "501 5.5.4"),
    ]
    with Client(instance) as c:
        c.ehlo()
        for line, want in cases:
            r = c.cmd(line)
            assert r.line.startswith(want + " "), "%r: want %s, got %r" % (line, want, r)
        r = c.cmd("MAIL FROM:<alice@client.test> BODY=8BITMIME SIZE=100")
        assert r.code == 250, "good MAIL FROM refused after syntax errors: %r" % r
        # DSN's NOTIFY and ORCPT are known (test_smtpd_extensions.py); others are not
        for line, want in [("RCPT TO:<postmaster@test.example> NOTIFY=SOMETIMES", "501 5.5.4"),
                           ("RCPT TO:<postmaster@test.example> XORCPT=rfc822;x@y", "555 5.5.4"),
                           ("RCPT TO:<@test.example>", "501 5.1.3"),
                           ("RCPT TO:", "501 5.5.4")]:
            r = c.cmd(line)
            assert r.line.startswith(want + " "), "%r: want %s, got %r" % (line, want, r)
        assert c.cmd("RSET").code == 250
        # HELO (not EHLO) client: no parameters at all.
        r = c.cmd("HELO client.test")
        assert r.code == 250
        r = c.cmd("MAIL FROM:<alice@client.test> SIZE=10")
        assert r.code == 555, "MAIL parameter accepted without EHLO: %r" % r
    assert_queue_empty_now(instance, "no message was sent")


def test_recipient_limit(make_instance, user, user2):
    inst = make_instance(main_cf={"smtpd_recipient_limit": "3"})
    user3 = MailUser()
    try:
        rcpts = [u.name + "@test.example" for u in (user, user2, user3)]
        with Client(inst) as c:
            c.ehlo()
            c.mail_to("alice@client.test", rcpts)
            r = c.cmd("RCPT TO:<%s@mx.test.example>" % user.name)
            assert r.code == 452 and r.line.startswith("452 4.5.3"), \
                "4th recipient over smtpd_recipient_limit=3: %r" % r
            qid = queued_id(c.data(b"Subject: three\r\n\r\nonly three\r\n.\r\n"))
        for u in (user, user2, user3):
            u.wait_for(1)
        inst.wait_queue_empty()
        for u in (user, user2, user3):
            assert len(u.messages()) == 1, "%s got %d messages" % (u.name, len(u.messages()))
        log = inst.read_log()
        assert re.search(r"%s: from=<alice@client\.test>, size=\d+, nrcpt=3 " % qid, log), \
            "the message does not have exactly 3 recipients:\n" + log
        assert "mx.test.example>, relay=" not in log, "the refused 4th recipient got mail"
    finally:
        user3.release()


def test_nul_byte_in_command(instance):
    with Client(instance) as c:
        for line in (b"NOOP\x00", b"EHLO client\x00.test", b"\x00",
                     b"MAIL FROM:<alice@client.test>\x00 SIZE=1"):
            r = c.cmd(line)
            assert r.code == 500 and r.line.startswith("500 5.5.2"), \
                "NUL in command %r: %r" % (line, r)
        # Not taken as a half command: no EHLO, no MAIL happened.
        r = c.cmd("RCPT TO:<postmaster@test.example>")
        assert r.code == 503, "command with a NUL was partly executed: %r" % r
        assert c.cmd("NOOP").code == 250


def test_hard_error_limit_disconnects(make_instance):
    inst = make_instance(main_cf={"smtpd_hard_error_limit": "5"})
    with Client(inst) as c:
        for i in range(4):
            r = c.cmd("BOGUS%d" % i)
            assert r.line.startswith("502 5.5.2"), "bogus command %d: %r" % (i, r)
        # The 5th error reaches the limit: error reply, then 421 and goodbye.
        r = c.cmd("RCPT TO:<postmaster@test.example>")
        assert r.code == 503, "RCPT without MAIL: %r" % r
        r = c.reply()
        assert r is not None and re.match(r"421 4\.7\.0 mx\.test\.example .*too many errors",
                                           r.line), "no 421 after 5 errors: %r" % r
        assert c.wait_closed(), "the connection stayed open after 421"
    inst.wait_log("too many errors after")
    inst.wait_log("disconnect from unknown[127.0.0.1]")


def test_data_without_recipients(instance):
    with Client(instance) as c:
        c.ehlo()
        r = c.cmd("DATA")
        assert r.code == 503, "DATA without MAIL: %r" % r
        assert c.cmd("MAIL FROM:<alice@client.test>").code == 250
        r = c.cmd("DATA")
        assert r.code == 503 and r.line.startswith("503 5.5.1"), "DATA without RCPT: %r" % r
        # The refused DATA must not have put the server into data mode.
        r = c.cmd("NOOP")
        assert r.code == 250, "NOOP after refused DATA: %r" % r
        assert c.cmd("QUIT").code == 221
    assert_queue_empty_now(instance, "DATA without recipients was refused")
    assert "client=" not in instance.read_log(), "a queue file was started without recipients"


# --------------------------------------------------------------------------
# Timeouts
# --------------------------------------------------------------------------

def test_timeout_after_connect(make_instance):
    inst = make_instance(main_cf={"smtpd_timeout": "2s"})
    t0 = time.time()
    with Client(inst) as c:
        r = c.reply()
        elapsed = time.time() - t0
        assert r is not None and re.match(r"421 4\.4\.2 mx\.test\.example .*timeout exceeded",
                                           r.line), "silent client: %r" % r
        assert 1.5 <= elapsed <= 8, "timeout after %.1fs, smtpd_timeout is 2s" % elapsed
        assert c.wait_closed(), "connection not closed after the timeout"
    inst.wait_log("timeout after CONNECT from unknown[127.0.0.1]")


def test_timeout_in_the_middle_of_data(make_instance, user):
    inst = make_instance(main_cf={"smtpd_timeout": "2s"})
    with Client(inst) as c:
        c.ehlo()
        c.mail_to("alice@client.test", [user.name + "@test.example"])
        assert c.cmd("DATA").code == 354
        c.send(b"Subject: never finished\r\n\r\nhalf a line")
        # Either a 421 or nothing, then the connection must close.
        r = c.reply()
        assert r is None or r.code == 421, "unexpected reply to a stalled DATA: %r" % r
        assert c.wait_closed(), "server did not close a connection stalled in DATA"
    inst.wait_log("timeout after DATA")
    assert_queue_empty_now(inst, "the client timed out in DATA (no temporary file may stay)")
    deliver_clean(inst, user)
    inst.wait_queue_empty()
    assert [delivered_body(d) for d in user.contents()] == [b"Subject: clean\n\nclean message\n"]


# --------------------------------------------------------------------------
# Garbage
# --------------------------------------------------------------------------

def blast(inst, data, prefix=b"", wait=False):
    """Send data (after prefix), collecting whatever comes back until close.

    With wait, the greeting is awaited first and prefix is sent one line at
    a time, each after the reply to the one before: the garbage then meets
    the command parser and the DATA reader, not the RFC 2920 check."""
    sock = socket.create_connection((inst.addr, inst.port), timeout=10)
    got = b""
    try:
        if wait:
            got += sock.recv(65536)
            for line in prefix.split(b"\r\n")[:-1]:
                sock.sendall(line + b"\r\n")
                start = len(got)
                while not re.search(rb"(^|\r\n)\d\d\d [^\r\n]*\r\n$", got[start:]):
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    got += chunk
        elif prefix:
            sock.sendall(prefix)
        try:
            for i in range(0, len(data), 8192):
                sock.sendall(data[i:i + 8192])
        except (BrokenPipeError, ConnectionResetError):
            pass                   # the server gave up on us: allowed
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            got += chunk
    finally:
        sock.close()
    return got


@pytest.mark.parametrize("forbid", ["no", "yes"])
def test_random_garbage_never_crashes_smtpd(make_instance, user, forbid):
    """With smtpd_forbid_unauth_pipelining = no more of the garbage reaches
    the parsers; with yes (the default) much of it ends at the first RFC 2920
    violation with 554 5.5.0.  Either way nothing crashes or is queued."""
    instance = make_instance(main_cf={"smtpd_forbid_unauth_pipelining": forbid},
                             dns=["client.test. A 127.0.0.1"], ptr=["127.0.0.1 client.test"])
    rng = random.Random(20240613)
    rcpt = user.name.encode() + b"@test.example"
    tokens = [b"MAIL FROM:<", b"RCPT TO:<", b"DATA", b"EHLO ", b"HELO x", b"RSET", b"BDAT 9",
              b">", b"<", b"@", b"\r\n", b"\n", b"\r", b".", b"\r\n.\r\n", b"\x00", b"\xff",
              b" SIZE=", b"9" * 30, b"A" * 3000, b"=", b":"]
    token_soup = b"".join(rng.choice(tokens) if rng.random() < 0.6 else
                          bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20)))
                          for _ in range(8000))
    binary = bytes(rng.randrange(256) for _ in range(200000))
    sessions = [
        (b"", binary),
        (b"EHLO client.test\r\n", token_soup),
        (b"EHLO client.test\r\nMAIL FROM:<alice@client.test>\r\nRCPT TO:<" + rcpt +
         b">\r\nDATA\r\n", binary[:100000] + b"\r\n.\r\nQUIT\r\n"),
        (b"", binary[::-1]),
    ]
    for n, (prefix, data) in enumerate(sessions):
        got = blast(instance, data, prefix, wait=True)
        assert got.startswith(b"220 "), "no greeting before garbage: %r" % got[:200]
        for line in got.split(b"\r\n"):
            assert line == b"" or re.match(rb"^[2-5]\d\d[ -]", line), \
                "malformed reply line to garbage: %r" % line[:200]
        assert b"queued as" not in got, "garbage was queued as a message: %r" % got[-500:]
        if n == 2:
            # Binary content holds bare CR and LF: refused at the real end;
            # the pipelined QUIT after it is fine (it ends its group).
            assert b"\r\n550 5.5.2 Error: bare <" in got and got.endswith(b"221 2.0.0 Bye\r\n"), \
                "binary garbage in DATA not refused with 550 5.5.2: %r" % got[-300:]
        else:
            # Too many errors, a bad line, a command line ending in a bare LF
            # (refused since smtpd_forbid_bare_newline covers commands too),
            # or (with the default) the first RFC 2920 violation.
            want = rb"421 4\.7\.0|50[02] 5\.5\.2|550 5\.5\.2 Error: bare <LF>"
            if forbid == "yes":
                want += rb"|554 5\.5\.0 Error: SMTP protocol synchronization"
            assert re.search(want, got), "garbage got no error reply at all: %r" % got[-300:]
    # The server still works, and nothing died.
    deliver_clean(instance, user)
    instance.wait_queue_empty()
    assert [delivered_body(d) for d in user.contents()] == [b"Subject: clean\n\nclean message\n"], \
        "something other than the clean message was delivered"
    log = instance.read_log()
    for bad in ("panic", "fatal", "killed by signal", "exit status"):
        assert bad not in log, "%r in the log after garbage:\n%s" % (bad, log[-3000:])
    os.kill(instance.master_pid(), 0)
