"""ESMTP extensions of smtpd, on the wire and in the queue: the EHLO list,
CHUNKING/BDAT (RFC 3030: BDAT 0 LAST, one octet, many chunks, chunks
pipelined in one packet, a chunk over message_size_limit, BDAT out of
order with its octets still consumed, bad syntax), SIZE (RFC 1870), DSN
parameters (RFC 3461) read back from the queue file, SMTPUTF8 (RFC 6531: a
UTF-8 address refused without it, delivered to a virtual mailbox with it),
smtpd_forbid_bare_newline_exclusions, and an enhanced status code on every
reply.  Raw sockets where the bytes matter (smtp_raw.py), smtplib where a
real client's behaviour is the point."""

import os
import re
import smtplib
import struct

import pytest

from postern_instance import wait_until
from smtp_raw import Client, queued_id
from test_virtual import build_map, wait_mailbox

MSG = b"Subject: chunks\r\nX-Tag: %s\r\n\r\nline one\r\nline two\r\n"


def stored(msg):
    """What the queue and the mailbox keep of MSG: LF line ends."""
    return msg.replace(b"\r\n", b"\n")


def bdat_session(c, user, chunks, tag):
    """MAIL, RCPT, then each chunk as BDAT (the last with LAST); the final reply."""
    c.mail_to("alice@client.test", [user.name + "@test.example"])
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        c.send(b"BDAT %d%s\r\n" % (len(chunk), b" LAST" if last else b"") + chunk)
        r = c.reply()
        assert r is not None, "no reply to chunk %d" % i
        if not last:
            assert r.line == "250 2.0.0 Ok: %d bytes" % len(chunk), r
    return r


def delivered(user, tag):
    user.wait_for(1)
    for data in user.contents():
        if b"X-Tag: " + tag.encode() + b"\n" in data:
            return data
    raise AssertionError("no message tagged %s in %s" % (tag, user.contents()))


def test_ehlo_announces_the_extensions(instance):
    with Client(instance) as c:
        r = c.ehlo()
    keywords = [line[4:] for line in r.lines[1:]]
    for kw in ("PIPELINING", "SIZE 10240000", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN",
               "SMTPUTF8", "CHUNKING"):
        assert kw in keywords, "%s not in %r" % (kw, keywords)


def test_bdat_one_chunk_last(instance, user):
    body = MSG % b"one"
    with Client(instance) as c:
        c.ehlo()
        r = bdat_session(c, user, [body], "one")
        queued_id(r)
    assert stored(body) in delivered(user, "one")


def test_bdat_several_chunks_split_inside_crlf(instance, user):
    body = MSG % b"several"
    # cut between CR and LF, and in the middle of words
    cuts = [body[:5], body[5:16], body[16:17], body[17:40], body[40:]]
    assert b"".join(cuts) == body and cuts[1].endswith(b"\r") and cuts[2] == b"\n"
    with Client(instance) as c:
        c.ehlo()
        queued_id(bdat_session(c, user, cuts, "several"))
    data = delivered(user, "several")
    assert stored(body) in data and b"\r" not in data


def test_bdat_one_octet_chunks_then_bdat_0_last(instance, user):
    body = MSG % b"octets"
    with Client(instance) as c:
        c.ehlo()
        chunks = [body[i:i + 1] for i in range(len(body))] + [b""]
        queued_id(bdat_session(c, user, chunks, "octets"))
    assert stored(body) in delivered(user, "octets")


def test_bdat_0_last_alone_is_an_empty_message(instance, user):
    with Client(instance) as c:
        c.ehlo()
        qid = queued_id(bdat_session(c, user, [b""], "empty"))
    user.wait_for(1)
    data = user.contents()[0]
    # our headers only: Return-Path, Delivered-To, Received, then nothing of the client's
    assert data.split(b"\n")[2].startswith(b"Received: from client.test"), data
    assert ("id %s" % qid).encode() in data and data.endswith(b"\n")
    assert b"X-Tag" not in data


def test_bdat_pipelined_chunks_in_one_packet(instance, user):
    body = MSG % b"pipelined"
    half = len(body) // 2
    with Client(instance) as c:
        c.ehlo()
        c.send(b"MAIL FROM:<alice@client.test>\r\nRCPT TO:<%s@test.example>\r\n"
               % user.name.encode() +
               b"BDAT %d\r\n" % half + body[:half] +
               b"BDAT %d LAST\r\n" % (len(body) - half) + body[half:] +
               b"NOOP\r\n")
        replies = [c.reply() for _ in range(5)]
    assert [r.line[:9] for r in replies[:3]] == ["250 2.1.0", "250 2.1.5", "250 2.0.0"], replies
    queued_id(replies[3])
    assert replies[4].line == "250 2.0.0 Ok"
    assert stored(body) in delivered(user, "pipelined")


@pytest.fixture
def small(make_instance):
    return make_instance(main_cf={"message_size_limit": "1000"})


def test_bdat_chunk_over_the_size_limit(small, user):
    with Client(small) as c:
        c.ehlo()
        c.mail_to("alice@client.test", [user.name + "@test.example"])
        # 600 fit, 600 more do not: the second is refused, read and dropped
        c.send(b"BDAT 600\r\n" + b"x" * 600)
        assert c.reply().line == "250 2.0.0 Ok: 600 bytes"
        c.send(b"BDAT 600\r\n" + b"y" * 598 + b"\r\n")
        assert c.reply().line == "552 5.3.4 Message size exceeds fixed limit"
        # the transaction is over: a further chunk is refused, its octets consumed
        c.send(b"BDAT 6 LAST\r\nQUIT\r\n")
        assert c.reply().line == "503 5.5.1 Error: need MAIL command"
        assert c.cmd("NOOP").line == "250 2.0.0 Ok"
        # one chunk alone over the limit, in a new transaction
        c.mail_to("alice@client.test", [user.name + "@test.example"])
        c.send(b"BDAT 1001 LAST\r\n" + b"z" * 1001)
        assert c.reply().line == "552 5.3.4 Message size exceeds fixed limit"
        assert c.cmd("NOOP").line == "250 2.0.0 Ok"
    small.wait_log("reject: BDAT from")
    assert small.queue_files("incoming") == []
    assert [n for n in os.listdir(os.path.join(small.queue, "incoming"))] == []
    assert user.messages() == []


def test_size_parameter_over_the_limit(small):
    with Client(small) as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<alice@client.test> SIZE=1001")
        assert r.line == "552 5.3.4 Message size exceeds fixed limit"
        assert c.cmd("MAIL FROM:<alice@client.test> SIZE=1000").code == 250
        assert c.cmd("RSET").code == 250
        assert c.cmd("MAIL FROM:<alice@client.test> SIZE=1x").line == \
            "501 5.5.4 Bad message size syntax"


def test_bdat_out_of_order_consumes_its_octets(instance, user):
    with Client(instance) as c:
        c.ehlo()
        # without MAIL: 503, and the 6 octets "QUIT\r\n" are content, not a command
        c.send(b"BDAT 6\r\nQUIT\r\n")
        assert c.reply().line == "503 5.5.1 Error: need MAIL command"
        assert c.cmd("NOOP").line == "250 2.0.0 Ok"
        # without RCPT
        assert c.cmd("MAIL FROM:<alice@client.test>").code == 250
        c.send(b"BDAT 6 LAST\r\nRSET\r\n")
        assert c.reply().line == "503 5.5.1 Error: need RCPT command"
        assert c.cmd("RCPT TO:<%s@test.example>" % user.name).code == 250
        # DATA after BDAT in one transaction
        c.send(b"BDAT 3\r\nabc")
        assert c.reply().line == "250 2.0.0 Ok: 3 bytes"
        assert c.cmd("DATA").line == "503 5.5.1 Error: DATA after BDAT"
        # RSET ends the transaction and drops what it had
        assert c.cmd("RSET").code == 250
        c.send(b"BDAT 1 LAST\r\nx")
        assert c.reply().line == "503 5.5.1 Error: need MAIL command"
    assert instance.queue_files("incoming") == []


@pytest.mark.parametrize("arg", ["", "abc", "-1", "1 LASTX", "1 MORE", "1234567890123456789"])
def test_bdat_bad_syntax_ends_the_session(instance, arg):
    with Client(instance) as c:
        c.ehlo()
        c.mail_to("alice@client.test", ["postmaster"])
        r = c.cmd("BDAT " + arg)
        if arg == "":
            assert r.line == "501 5.5.4 Syntax: BDAT size [LAST]"
        else:
            assert r.line == "501 5.5.4 Syntax: BDAT count [LAST]"
            assert c.wait_closed()


def test_bdat_bare_cr_refused_bare_lf_kept(instance, user):
    with Client(instance) as c:
        c.ehlo()
        r = bdat_session(c, user, [b"Subject: cr\r\n\r\nbare\rcr\r\n"], "cr")
        assert r.line == "550 5.5.2 Error: bare <CR> received"
        body = b"Subject: lf\nX-Tag: lf\n\nbare lf\n"
        queued_id(bdat_session(c, user, [body], "lf"))
    assert body in delivered(user, "lf")
    assert len(user.messages()) == 1


def test_bare_newline_exclusions(make_instance, user):
    inst = make_instance(main_cf={"smtpd_forbid_bare_newline_exclusions": "127.0.0.0/8"})
    with Client(inst) as c:
        c.ehlo()
        c.mail_to("alice@client.test", [user.name + "@test.example"])
        queued_id(c.data(b"Subject: x\nX-Tag: excl\n\nbare lf\n\r\n.\r\n"))
    assert b"bare lf\n" in delivered(user, "excl")


# ---------------------------------------------------------------- DSN --

def queue_records(path):
    """The records of a queue file as (type, data) pairs."""
    with open(path, "rb") as f:
        data = f.read()
    out, pos = [], 0
    while pos < len(data):
        t, n = data[pos:pos + 1], struct.unpack(">I", data[pos + 1:pos + 5])[0]
        out.append((t.decode(), data[pos + 5:pos + 5 + n]))
        pos += 5 + n
    assert out and out[-1][0] == "E", "no end record in %s" % path
    return out


@pytest.fixture
def noqmgr(make_instance):
    """An instance without qmgr: what smtpd queues stays in incoming/."""
    inst = make_instance(start=False)
    inst.master_cf = [line for line in inst.master_cf if not line.startswith("qmgr")]
    inst.write_master_cf(inst.master_cf)
    inst.start()
    return inst


def test_dsn_parameters_in_the_queue_file(noqmgr, user):
    rcpt = user.name + "@test.example"
    with Client(noqmgr) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<alice@client.test> RET=HDRS ENVID=QQ+2B314 BODY=8BITMIME "
                     "SIZE=100").code == 250
        assert c.cmd("RCPT TO:<%s> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;Orig+2Bx@client.test"
                     % rcpt).code == 250
        assert c.cmd("RCPT TO:<postmaster> NOTIFY=NEVER").code == 250
        c.send(b"BDAT 9 LAST\r\nSubject: ")
        qid = queued_id(c.reply())
    path = os.path.join(noqmgr.queue, "incoming", qid)
    recs = queue_records(path)
    attrs = dict(d.decode().split("=", 1) for t, d in recs if t == "A")
    assert attrs["dsn_ret"] == "HDRS" and attrs["dsn_envid"] == "QQ+314"
    assert attrs["body"] == "8BITMIME" and "smtputf8" not in attrs
    rc = [(t, d) for t, d in recs if t in "DR"]
    # NOTIFY is the digit after the status: SUCCESS(2)|DELAY(8) = 10, NEVER = 1
    assert rc == [("D", b"rfc822;Orig+x@client.test"),
                  ("R", b"P" + bytes([ord("0") + 10]) + rcpt.encode()),
                  ("R", b"P1postmaster")], rc
    noqmgr.check_queue_invariants()


def test_dsn_and_parameter_errors(instance):
    cases = [
        ("MAIL FROM:<alice@client.test> RET=SOME", "501 5.5.4 Bad RET parameter syntax"),
        ("MAIL FROM:<alice@client.test> RET=FULL RET=FULL", "501 5.5.4 Bad RET parameter syntax"),
        ("MAIL FROM:<alice@client.test> ENVID=a+2", "501 5.5.4 Bad ENVID parameter syntax"),
        ("MAIL FROM:<alice@client.test> ENVID=a ENVID=b", "501 5.5.4 Bad ENVID parameter syntax"),
        ("MAIL FROM:<alice@client.test> NOTIFY=NEVER", "555 5.5.4 Unsupported option: NOTIFY"),
        ("MAIL FROM:<alice@client.test> XSHADOW=1", "555 5.5.4 Unsupported option: XSHADOW"),
        ("MAIL FROM:<alice@client.test> BODY=BINARYMIME",
         "501 5.5.4 Unsupported BODY parameter value"),
        ("MAIL FROM:<alice@client.test> SMTPUTF8=1",
         "501 5.5.4 Error: SMTPUTF8 takes no parameter"),
    ]
    rcpt_cases = [
        ("RCPT TO:<postmaster> NOTIFY=NEVER,SUCCESS", "501 5.5.4 Error: Bad NOTIFY parameter syntax"),
        ("RCPT TO:<postmaster> NOTIFY=DELAY NOTIFY=DELAY",
         "501 5.5.4 Error: Bad NOTIFY parameter syntax"),
        ("RCPT TO:<postmaster> ORCPT=rfc822", "501 5.5.4 Error: Bad ORCPT parameter syntax"),
        ("RCPT TO:<postmaster> ORCPT=rfc822;a+0Ab", "501 5.5.4 Error: Bad ORCPT parameter syntax"),
        ("RCPT TO:<postmaster> RET=FULL", "555 5.5.4 Unsupported option: RET"),
        ("RCPT TO:<postmaster> X", "555 5.5.4 Unsupported option: X"),
    ]
    with Client(instance) as c:
        c.ehlo()
        for line, want in cases:
            assert c.cmd(line).line == want, line
        assert c.cmd("MAIL FROM:<alice@client.test>").code == 250
        for line, want in rcpt_cases:
            assert c.cmd(line).line == want, line
        # parameters before EHLO are refused
    with Client(instance) as c:
        assert c.cmd("HELO client.test").code == 250
        assert c.cmd("MAIL FROM:<alice@client.test> RET=FULL").line == \
            "555 5.5.4 Error: parameters need EHLO"


def test_every_reply_has_an_enhanced_code(instance):
    lines = ["NOOP", "RCPT TO:<postmaster>", "DATA", "MAIL FROM:<alice@client.test> X=1",
             "MAIL FROM:<alice@client.test>", "MAIL FROM:<bob@client.test>",
             "RCPT TO:<nobody@test.example>", "RCPT TO:<a b@test.example>",
             "BDAT 0", "BDAT 3 LAST\r\nx",  # cmd() adds the CR LF: 3 octets
             "VRFY x", "EXPN x", "HELP", "AUTH PLAIN", "STARTTLS", "BOGUS", "RSET", "QUIT"]
    with Client(instance) as c:
        c.ehlo()
        for line in lines:
            r = c.cmd(line)
            for text in r.lines:
                assert re.match(r"^\d{3}[ -]%s\.\d{1,3}\.\d{1,3}( |$)" % text[0], text), \
                    "%r: %r" % (line, text)


# ----------------------------------------------------------- SMTPUTF8 --

JOSE = "j\u00f6s\u00e9@corp.example"


@pytest.fixture
def uinst(make_instance, user2):
    """A virtual mailbox domain with a UTF-8 local part; user2 owns the mailboxes."""
    inst = make_instance(start=False)
    base = os.path.join(inst.dir, "vmail")
    os.mkdir(base, 0o700)
    os.chown(base, user2.uid, user2.gid)
    inst.vbase = base
    inst.params.update({
        "virtual_mailbox_base": base,
        "virtual_mailbox_maps": build_map(inst, "vmailbox",
                                          "%s  corp.example/jose/\n" % JOSE),
        "virtual_mailbox_domains": "corp.example",
        "virtual_uid_maps": "static:%d" % user2.uid,
        "virtual_gid_maps": "static:%d" % user2.gid,
    })
    inst.write_main_cf(inst.params)
    inst.start()
    return inst


def test_utf8_address_needs_smtputf8(uinst):
    with Client(uinst) as c:
        c.ehlo()
        r = c.cmd(("MAIL FROM:<%s>" % JOSE).encode())
        assert r.line == "553 5.6.7 Must declare SMTPUTF8 to send unicode address"
        assert c.cmd("MAIL FROM:<alice@client.test>").code == 250
        r = c.cmd(("RCPT TO:<%s>" % JOSE).encode())
        assert r.line == "553 5.6.7 Must declare SMTPUTF8 to send unicode address"
        # invalid UTF-8 is bad syntax even with SMTPUTF8
        assert c.cmd("RSET").code == 250
        assert c.cmd("MAIL FROM:<alice@client.test> SMTPUTF8").code == 250
        assert c.cmd(b"RCPT TO:<j\xc3@corp.example>").line.startswith("501 5.1.3 ")
        assert c.cmd(b"RCPT TO:<j\xc2\x85@corp.example>").line.startswith("501 5.1.3 ")


def test_utf8_address_delivered_to_virtual_mailbox(uinst):
    with smtplib.SMTP(uinst.addr, uinst.port, timeout=30) as s:
        s.ehlo("client.test")
        assert s.has_extn("smtputf8")
        s.sendmail("s\u00e9nder@client.test", [JOSE],
                   "Subject: utf8\r\nX-Tag: utf8\r\n\r\nhej\r\n".encode(),
                   mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    box = wait_mailbox(uinst, "corp.example/jose")
    with open(box[0], "rb") as f:
        data = f.read()
    assert ("Delivered-To: %s\n" % JOSE).encode() in data
    assert ("Return-Path: <s\u00e9nder@client.test>\n").encode() in data
    assert b"with UTF8SMTP id" in data
    uinst.wait_log("status=sent")
    text = uinst.read_log()
    assert ("to=<%s>" % JOSE) in text
    # logged safely: no control characters from the session anywhere
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]", text)


def test_banner_and_exclusions_checked(make_instance):
    inst = make_instance(start=False, main_cf={"smtpd_banner": "$myhostname ESMTP corp mail"})
    inst.params["smtpd_forbid_bare_newline_exclusions"] = "not-a-network"
    inst.write_main_cf(inst.params)
    r = inst.postern("check", check=False)
    assert r.returncode != 0 and \
        'smtpd_forbid_bare_newline_exclusions: "not-a-network"' in r.stderr, r.stderr
    inst.params["smtpd_forbid_bare_newline_exclusions"] = "$mynetworks"
    inst.write_main_cf(inst.params)
    inst.start()
    with Client(inst) as c:
        assert c.greeting.line == "220 %s ESMTP corp mail" % inst.hostname


def test_bdat_short_chunk_times_out(make_instance, user):
    """A client that announces more octets than it sends is cut off by
    smtpd_timeout, and nothing of its message is queued."""
    inst = make_instance(main_cf={"smtpd_timeout": "2s"})
    with Client(inst, timeout=20) as c:
        c.ehlo()
        c.mail_to("alice@client.test", [user.name + "@test.example"])
        c.send(b"BDAT 100 LAST\r\n" + b"x" * 10)
        r = c.reply()
        assert r is not None and r.line == "421 4.4.2 %s Error: timeout exceeded" % inst.hostname
        assert c.wait_closed()
    inst.wait_log("timeout after BDAT (10 bytes) from")
    assert inst.queue_files("incoming") == [] and user.messages() == []
