"""SMTP smuggling defence and DATA framing (see the header of smtpd/smtpd_data.c).

The end of data is exactly <CR><LF>.<CR><LF>.  A client (or a broken
outbound relay in front of it) that sends a lookalike such as <LF>.<LF> must
never get a second, hidden message accepted: by default the whole thing is
refused once, with 550 5.5.2, at its real end.  These tests pipeline the
attack in one write, count every reply, and look in the victim's Maildir and
the queue, because a smuggled message shows up there, not in a reply code.
Raw sockets throughout: smtplib would normalise the very line ends under test.
"""

import re

import pytest

from smtp_raw import Client, delivered_body, queued_id


def sent_lines(inst):
    return re.findall(r"^.*status=sent.*$", inst.read_log(), re.M)


def clean_message_in_session(c, inst, user, subject=b"clean"):
    """RSET, NOOP and one well-formed message on an open connection."""
    r = c.cmd("RSET")
    assert r.code == 250, "RSET after the rejection: %r" % r
    r = c.cmd("NOOP")
    assert r.code == 250, "NOOP after the rejection: %r" % r
    c.mail_to("alice@client.test", [user.name + "@test.example"])
    r = c.data(b"Subject: " + subject + b"\r\n\r\nall is well\r\n.\r\n")
    return queued_id(r)


# --------------------------------------------------------------------------
# Smuggling
# --------------------------------------------------------------------------

# (name, fake end-of-data sequence, the 550 reason the server must give)
LOOKALIKES = [
    ("LF.LF", b"\n.\n", "bare <LF>"),
    ("LF.CRLF", b"\n.\r\n", "bare <LF>"),
    ("CRLF.LF", b"\r\n.\n", "bare <LF>"),
    ("CR.CR", b"\r.\r", "bare <CR>"),
    ("CRLF.CR", b"\r\n.\r", "bare <CR>"),
    ("CRLF.CRCRLF", b"\r\n.\r\r\n", "bare <CR>"),
    ("CR.CRLF", b"\r.\r\n", "bare <CR>"),
]


@pytest.mark.parametrize("seq,reason", [(s, r) for _, s, r in LOOKALIKES],
                         ids=[n for n, _, _ in LOOKALIKES])
def test_smuggled_message_is_refused_once(instance, user, user2, seq, reason):
    victim = user2.name + "@test.example"
    payload = (b"Subject: first\r\n\r\nbody" + seq +
               b"MAIL FROM:<evil@client.test>\r\n"
               b"RCPT TO:<" + victim.encode() + b">\r\n"
               b"DATA\r\n"
               b"Subject: smuggled\r\n\r\nhidden\r\n"
               b"\r\n.\r\n")
    with Client(instance, timeout=5.0) as c:
        assert c.cmd("EHLO client.test").code == 250
        # The transaction pipelined as RFC 2920 allows, then after the 354 the
        # content, the real end and a sentinel command, all in one write.
        # (Sending the content before the 354 is refused on its own:
        # test_smtpd_protocol.py.)
        c.send(b"MAIL FROM:<alice@client.test>\r\n"
               b"RCPT TO:<" + user.name.encode() + b"@test.example>\r\n"
               b"DATA\r\n")
        replies = c.replies_until(354)
        c.send(payload + b"HELP\r\n")
        replies += c.replies_until(214)
        codes = [r.code for r in replies]
        assert codes == [250, 250, 354, 550, 214], \
            "fake end %r: want MAIL, RCPT, DATA, one 550 and HELP's 214, got %r" % (seq, replies)
        assert replies[3].line == "550 5.5.2 Error: %s received" % reason, \
            "fake end %r refused with the wrong reply: %r" % (seq, replies[3])
        assert [f for f in instance.queue_files()] == [], \
            "the refused message left files in the queue: %r" % instance.queue_files()
        # The session goes on, and a clean message in it is delivered.
        qid = clean_message_in_session(c, instance, user)
        assert c.cmd("QUIT").code == 221
    user.wait_for(1)
    instance.wait_queue_empty()
    bodies = [delivered_body(d) for d in user.contents()]
    assert bodies == [b"Subject: clean\n\nall is well\n"], \
        "fake end %r: the user's mailbox should hold only the clean message: %r" % (seq, bodies)
    assert user2.messages() == [], \
        "fake end %r: a SMUGGLED message reached the victim: %r" % (seq, user2.contents())
    log = instance.read_log()
    assert len(sent_lines(instance)) == 1 and qid in sent_lines(instance)[0], \
        "expected exactly one delivery (%s), log has %r" % (qid, sent_lines(instance))
    assert "from=<evil@client.test>" not in log, "the smuggled sender reached the queue:\n" + log
    assert re.search(r"[0-9A-F]+: reject: DATA from client\.test\[127\.0\.0\.1\]: 550 5\.5\.2 "
                     r"Error: %s received; from=<alice@client\.test> proto=ESMTP "
                     r"helo=<client\.test>" % re.escape(reason), log), \
        "no 'reject: DATA ... 550 5.5.2' line in the log:\n" + log


@pytest.mark.parametrize("seq,reason", [(s, r) for _, s, r in LOOKALIKES],
                         ids=[n for n, _, _ in LOOKALIKES])
def test_smuggling_at_piece_boundaries_is_refused(instance, user, user2, seq, reason):
    """Long lines are read in pieces: a fake end right at (or one off) a piece
    boundary must be caught exactly as on a short line - the boundary never
    makes a line start, a stuffed dot or an end of data."""
    victim = user2.name.encode() + b"@test.example"
    smuggled = (b"MAIL FROM:<evil@client.test>\r\nRCPT TO:<" + victim + b">\r\nDATA\r\n"
                b"Subject: smuggled\r\n\r\nhidden\r\n")
    with Client(instance, timeout=5.0) as c:
        assert c.cmd("EHLO client.test").code == 250
        for n in (2046, 2047, 2048, 2049, 4095, 4096):
            c.mail_to("alice@client.test", [user.name + "@test.example"])
            assert c.cmd("DATA").code == 354
            c.send(b"Subject: long\r\n\r\n" + b"k" * n + seq + smuggled + b"\r\n.\r\nHELP\r\n")
            replies = c.replies_until(214)
            assert [r.code for r in replies] == [550, 214] and \
                replies[0].line == "550 5.5.2 Error: %s received" % reason, \
                "fake end %r after %d octets: %r" % (seq, n, replies)
        assert instance.queue_files() == [], "refused messages left %r" % instance.queue_files()
        clean_message_in_session(c, instance, user)
    user.wait_for(1)
    instance.wait_queue_empty()
    assert [delivered_body(d) for d in user.contents()] == [b"Subject: clean\n\nall is well\n"]
    assert user2.messages() == [], "a SMUGGLED message reached the victim"
    assert "from=<evil@client.test>" not in instance.read_log()


@pytest.mark.parametrize("body,reason", [
    (b"Subject: lf\r\n\r\none\ntwo\r\n", "bare <LF>"),
    (b"Subject: lf in header\nX-A: b\r\n\r\ntext\r\n", "bare <LF>"),
    (b"Subject: cr\r\n\r\none\rtwo\r\n", "bare <CR>"),
    (b"Subject: cr at eol\r\n\r\none\r\r\n", "bare <CR>"),
    (b"Subject: lf last\r\n\r\nlast line\n", "bare <LF>"),
], ids=["LF-in-body", "LF-in-header", "CR-in-body", "CR-before-CRLF", "LF-last-line"])
def test_bare_newline_in_content_is_refused(instance, user, body, reason):
    with Client(instance, timeout=5.0) as c:
        assert c.cmd("EHLO client.test").code == 250
        c.mail_to("alice@client.test", [user.name + "@test.example"])
        r = c.data(body + b"\r\n.\r\n" if not body.endswith(b"\r\n") else body + b".\r\n")
        assert r.line == "550 5.5.2 Error: %s received" % reason, \
            "content %r: want 550 5.5.2 %s, got %r" % (body, reason, r)
        assert instance.queue_files() == [], "refused message left %r" % instance.queue_files()
        clean_message_in_session(c, instance, user)
    user.wait_for(1)
    instance.wait_queue_empty()
    assert [delivered_body(d) for d in user.contents()] == [b"Subject: clean\n\nall is well\n"]


# --------------------------------------------------------------------------
# smtpd_forbid_bare_newline = normalize
# --------------------------------------------------------------------------

def test_normalize_accepts_bare_lf_and_stores_lf(make_instance, user):
    inst = make_instance(main_cf={"smtpd_forbid_bare_newline": "normalize"})
    with Client(inst, timeout=5.0) as c:
        assert c.cmd("EHLO client.test").code == 250
        c.mail_to("alice@client.test", [user.name + "@test.example"])
        r = c.data(b"Subject: unix\nX-Mixed: yes\r\n\nline one\nline two\r\nline three\n"
                   b"\r\n.\r\n")
        queued_id(r)
    user.wait_for(1)
    assert delivered_body(user.contents()[0]) == \
        b"Subject: unix\nX-Mixed: yes\n\nline one\nline two\nline three\n\n", \
        "bare-LF lines not stored with plain LF ends: %r" % user.contents()[0]


@pytest.mark.parametrize("seq", [b"\n.\n", b"\n.\r\n", b"\r\n.\n"],
                         ids=["LF.LF", "LF.CRLF", "CRLF.LF"])
def test_normalize_fake_end_does_not_end_the_message(make_instance, user, user2, seq):
    inst = make_instance(main_cf={"smtpd_forbid_bare_newline": "normalize"})
    victim = user2.name + "@test.example"
    payload = (b"Subject: first\r\n\r\nbody" + seq +
               b"MAIL FROM:<evil@client.test>\r\n"
               b"RCPT TO:<" + victim.encode() + b">\r\n"
               b"DATA\r\n"
               b"Subject: smuggled\r\n\r\nhidden\r\n"
               b"\r\n.\r\n")
    with Client(inst, timeout=5.0) as c:
        assert c.cmd("EHLO client.test").code == 250
        c.send(b"MAIL FROM:<alice@client.test>\r\n"
               b"RCPT TO:<" + user.name.encode() + b"@test.example>\r\n"
               b"DATA\r\n")
        replies = c.replies_until(354)
        c.send(payload + b"HELP\r\n")
        replies += c.replies_until(214)
        assert [r.code for r in replies] == [250, 250, 354, 250, 214], \
            "normalize, fake end %r: want exactly one message accepted, got %r" % (seq, replies)
        queued_id(replies[3])
    user.wait_for(1)
    inst.wait_queue_empty()
    assert len(user.messages()) == 1, "more than one message for the user"
    assert user2.messages() == [], "normalize, fake end %r: the SMUGGLED message was " \
        "delivered to the victim: %r" % (seq, user2.contents())
    rest = (b"MAIL FROM:<evil@client.test>\nRCPT TO:<" + victim.encode() + b">\nDATA\n"
            b"Subject: smuggled\n\nhidden\n\n")
    # The lone "." line is content; whether its dot is removed (as a leading
    # dot is) is not fixed by RFC 5321, so both forms are allowed.
    got = delivered_body(user.contents()[0])
    assert got in (b"Subject: first\n\nbody\n\n" + rest, b"Subject: first\n\nbody\n.\n" + rest), \
        "normalize, fake end %r: the text after it is not part of the one message: %r" % (seq, got)
    assert len(sent_lines(inst)) == 1, "expected one delivery: %r" % sent_lines(inst)


# --------------------------------------------------------------------------
# Dot-stuffing and the end of data
# --------------------------------------------------------------------------

def test_dot_stuffing_is_undone(instance, user):
    wire = (b"Subject: dots\r\n\r\n"
            b"..\r\n"          # "."
            b"...\r\n"         # ".."
            b"....x\r\n"       # "...x"
            b".x\r\n"          # unstuffed by a sloppy client: the dot still goes (4.5.2)
            b"a.\r\n"
            b". \r\n"          # " "
            b"end\r\n"
            b".\r\n")
    with Client(instance, timeout=5.0) as c:
        assert c.cmd("EHLO client.test").code == 250
        c.mail_to("alice@client.test", [user.name + "@test.example"])
        queued_id(c.data(wire))
    user.wait_for(1)
    got = delivered_body(user.contents()[0])
    assert got == b"Subject: dots\n\n.\n..\n...x\nx\na.\n \nend\n", \
        "dot-stuffed lines not unstuffed exactly once: %r" % got


def test_end_of_data_edge_cases(instance, user):
    rcpt = user.name + "@test.example"
    with Client(instance, timeout=5.0) as c:
        assert c.cmd("EHLO client.test").code == 250
        # 1. The body's last line has no CR LF of its own: the CR LF of
        #    <CRLF>.<CRLF> ends it (RFC 5321 4.1.1.4); no empty line is added.
        c.mail_to("alice@client.test", [rcpt])
        queued_id(c.data(b"Subject: one\r\n\r\nno newline at the end\r\n.\r\n"))
        # 2. A dot at the end of a line, not on a line of its own, is text:
        #    the following commands are content, one 250 for all of it.
        c.mail_to("alice@client.test", [rcpt])
        assert c.cmd("DATA").code == 354
        c.send(b"Subject: two\r\n\r\ntext.\r\nNOOP\r\n.\r\nHELP\r\n")
        replies = c.replies_until(214)
        assert [r.code for r in replies] == [250, 214], \
            "'text.' taken as the end of data, or NOOP as a command: %r" % replies
        # 3. The empty message: DATA's own CR LF and then ".".
        c.mail_to("alice@client.test", [rcpt])
        queued_id(c.data(b".\r\n"))
        # 4. The end split across segments between CR and LF.
        c.mail_to("alice@client.test", [rcpt])
        assert c.cmd("DATA").code == 354
        c.send(b"Subject: four\r\n\r\nsplit\r\n.\r")
        c.send(b"\n")
        r = c.reply()
        assert r is not None and r.code == 250, "end of data split before LF: %r" % r
        assert c.cmd("QUIT").code == 221
    user.wait_for(4)
    instance.wait_queue_empty()
    bodies = sorted(delivered_body(d) for d in user.contents())
    assert bodies == sorted([b"Subject: one\n\nno newline at the end\n",
                             b"Subject: two\n\ntext.\nNOOP\n",
                             b"",
                             b"Subject: four\n\nsplit\n"]), "delivered: %r" % bodies


def test_dot_after_a_cut_over_long_line_is_not_the_end(instance, user):
    """The reader takes an over-long line in pieces of line_length_limit; a
    "." right after a piece boundary is the rest of that line, not a line
    of its own: it must neither end the message nor be taken for a stuffed
    dot.  Long lines are accepted (as Postfix does) and stored whole."""
    with Client(instance, timeout=5.0) as c:
        assert c.cmd("EHLO client.test").code == 250
        # Put the "." right after the boundary, wherever the reader puts it
        # (2048, or 2049 if it allows for a stuffed dot), and after two.
        for n in (2048, 2049, 4096, 4097):
            c.mail_to("alice@client.test", [user.name + "@test.example"])
            assert c.cmd("DATA").code == 354
            c.send(b"Subject: long %d\r\n\r\n" % n + b"k" * n + b".\r\nmore\r\n.\r\nHELP\r\n")
            replies = c.replies_until(214)
            assert [r.code for r in replies] == [250, 214], \
                "the '.' after a line cut at %d bytes ended the data: %r" % (n, replies)
            queued_id(replies[0])
        # A dot that does start a line after a long one is still unstuffed once.
        c.mail_to("alice@client.test", [user.name + "@test.example"])
        queued_id(c.data(b"Subject: long then dot\r\n\r\n" + b"k" * 5000 + b"\r\n..x\r\n.\r\n"))
    user.wait_for(5)
    instance.wait_queue_empty()
    bodies = sorted(delivered_body(d) for d in user.contents())
    want = sorted([b"Subject: long %d\n\n" % n + b"k" * n + b".\nmore\n"
                   for n in (2048, 2049, 4096, 4097)] +
                  [b"Subject: long then dot\n\n" + b"k" * 5000 + b"\n.x\n"])
    assert bodies == want, "long lines around a dot not delivered intact"
