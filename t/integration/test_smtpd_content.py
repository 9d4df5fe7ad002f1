"""What smtpd writes about a message: addresses in their quoted RFC 5321
form in the Received header and in its log lines, and the size limit that
EHLO announces and MAIL FROM SIZE= checks (never more than a queue file can
hold, whatever message_size_limit says).  The >2 GiB transfer itself is in
test_smtpd_bigmsg.py.
"""

import re

import pytest

from smtp_raw import Client, delivered_body, queued_id

# What a queue file's content record can hold (2^31 - 1) less the room kept
# for smtpd's Received header (lib/global/qfile.h, QFILE_MESSAGE_MAX).
QUEUE_FILE_MAX = 0x7fffffff - 65536


def test_quoted_addresses_in_received_and_log(make_instance, user):
    """The internal form "john doe@client.test" goes into the queue file; on
    the wire, in headers and in logs it must be "john doe"@client.test, or
    it is a different (and invalid) address."""
    inst = make_instance(main_cf={"recipient_delimiter": "+"},
                         dns=["client.test. A 127.0.0.1"], ptr=["127.0.0.1 client.test"])
    rcpt = '"%s+john doe"@test.example' % user.name
    with Client(inst) as c:
        c.ehlo()
        assert c.cmd('MAIL FROM:<"john doe"@client.test>').code == 250
        r = c.cmd("RCPT TO:<nosuchuser@test.example>")
        assert r.code == 550
        r = c.cmd("RCPT TO:<%s>" % rcpt)
        assert r.code == 250, "a quoted local part with an extension: %r" % r
        qid = queued_id(c.data(b"Subject: quoted\r\n\r\nhello\r\n.\r\n"))
        # A refused message logs the sender too.
        assert c.cmd('MAIL FROM:<"john doe"@client.test>').code == 250
        assert c.cmd("RCPT TO:<%s>" % rcpt).code == 250
        r = c.data(b"Subject: bare\r\n\r\nbare\nlf\r\n.\r\n")
        assert r.code == 550
    user.wait_for(1)
    data = user.contents()[0]
    received = re.search(rb"^Received: .*?(?=\n[^\t])", data, re.M | re.S).group(0)
    assert b"\tfor <" + rcpt.encode() + b">; " in received, \
        "the Received header's for <> is not in external form: %r" % received
    assert delivered_body(data) == b"Subject: quoted\n\nhello\n"
    # local's own headers use the same form.
    assert data.startswith(b'Return-Path: <"john doe"@client.test>\n'
                           b'Delivered-To: "%s+john doe"@test.example\n' % user.name.encode()), \
        data[:200]
    log = inst.read_log()
    assert ('NOQUEUE: reject: RCPT from client.test[127.0.0.1]: 550 5.1.1 '
            '<nosuchuser@test.example>: Recipient address rejected: User unknown in local '
            'recipient table; from=<"john doe"@client.test> to=<nosuchuser@test.example> '
            'proto=ESMTP helo=<client.test>') in log, log
    assert re.search(r'[0-9A-F]+: reject: DATA from client\.test\[127\.0\.0\.1\]: 550 5\.5\.2 '
                     r'Error: bare <LF> received; from=<"john doe"@client\.test> proto=ESMTP',
                     log), log
    assert qid in log


@pytest.mark.parametrize("limit", ["0", "5000000000"])
def test_size_never_above_what_a_queue_file_holds(make_instance, limit):
    """message_size_limit = 0 (no limit) or a limit above 2 GiB: the SIZE
    EHLO announces and MAIL FROM SIZE= accepts are what a queue file can
    hold, so a client is told the truth before it sends gigabytes."""
    inst = make_instance(main_cf={"message_size_limit": limit})
    with Client(inst) as c:
        r = c.ehlo()
        assert "250-SIZE %d" % QUEUE_FILE_MAX in r.lines, \
            "EHLO does not announce the queue file limit: %r" % r.lines
        r = c.cmd("MAIL FROM:<alice@client.test> SIZE=3000000000")
        assert r.line == "552 5.3.4 Message size exceeds fixed limit", \
            "SIZE=3000000000 with message_size_limit = %s: %r" % (limit, r)
        r = c.cmd("MAIL FROM:<alice@client.test> SIZE=%d" % (QUEUE_FILE_MAX + 1))
        assert r.code == 552, r
        r = c.cmd("MAIL FROM:<alice@client.test> SIZE=%d" % QUEUE_FILE_MAX)
        assert r.code == 250, "SIZE equal to the limit: %r" % r
    assert inst.queue_files() == []


def test_size_limit_below_the_queue_file_limit_is_kept(make_instance):
    inst = make_instance(main_cf={"message_size_limit": "123456"})
    with Client(inst) as c:
        assert "250-SIZE 123456" in c.ehlo().lines
        assert c.cmd("MAIL FROM:<alice@client.test> SIZE=123457").code == 552
        assert c.cmd("MAIL FROM:<alice@client.test> SIZE=123456").code == 250


def test_helo_name_control_bytes_never_reach_a_header(instance, user):
    """The HELO argument goes into Received: and the log; a control byte in
    it (a bare CR, a tab, DEL) or a non-ASCII byte becomes '?', as Postfix's
    printable() makes it."""
    with Client(instance) as c:
        r = c.cmd(b"EHLO evil\x01host\x7fname\xc3\xa9")
        assert r.code == 250
        c.mail_to("a@client.test", [user.name + "@test.example"])
        qid = queued_id(c.data(b"Subject: helo\r\n\r\nhi\r\n.\r\n"))
    user.wait_for(1)
    data = user.contents()[0]
    assert b"Received: from evil?host?name?? (" in data, data[:300]
    assert qid in instance.read_log()
