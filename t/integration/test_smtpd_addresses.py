"""Addresses as smtpd takes them: which recipients are one delivery, the
trailing dot of an absolute domain name, and address literals that name
this host.

Relayed mail cannot leave yet (there is no smtp transport), so it stays in
deferred/; its queue file is read here (the record format is in
lib/global/qfile.h) to see exactly which recipients were queued.
"""

import os
import re
import struct

from postern_instance import wait_until
from smtp_raw import Client, delivered_body, queued_id

OUTSIDE = "127.0.0.9"  # not in mynetworks = 127.0.0.1/32


def queue_file(inst, qid):
    """Path of the queue file of qid, in whichever queue it is now."""
    def find():
        for q in ("incoming", "remote", "deferred", "local", "hold"):
            path = os.path.join(inst.queue, q, qid)
            if os.path.exists(path):
                return path
        return None
    return wait_until(find, 10, what="queue file " + qid)


def queued_recipients(path):
    """The addresses of the 'R' records of a queue file, in order."""
    with open(path, "rb") as f:
        data = f.read()
    pos, rcpts = 0, []
    while pos < len(data):
        rtype, rlen = data[pos:pos + 1], struct.unpack(">I", data[pos + 1:pos + 5])[0]
        rec = data[pos + 5:pos + 5 + rlen]
        pos += 5 + rlen
        if rtype == b"R":
            rcpts.append(rec[2:].decode())
        if rtype == b"E":
            break
    return rcpts


def test_relay_recipients_differ_by_local_part_case(make_instance):
    """RFC 5321 2.4: the local part is case-sensitive except at the host
    that delivers it.  John@ and john@ of a domain we relay for are two
    recipients (only an exact repeat, domain in any case, is merged)."""
    inst = make_instance(main_cf={"mynetworks": "127.0.0.1/32", "relay_domains": "relay.test"})
    with Client(inst, source=OUTSIDE) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<alice@client.test>").code == 250
        for rcpt in ("John@relay.test", "john@relay.test", "John@RELAY.test", "JOHN@relay.test",
                     "john@Relay.Test"):
            r = c.cmd("RCPT TO:<%s>" % rcpt)
            assert r.code == 250, "%s: %r" % (rcpt, r)
        qid = queued_id(c.data(b"Subject: case\r\n\r\nthree people\r\n.\r\n"))
    path = queue_file(inst, qid)
    assert queued_recipients(path) == ["John@relay.test", "john@relay.test", "JOHN@relay.test"], \
        "queued recipients of %s" % path
    inst.wait_log("%s: from=<alice@client.test>" % qid)
    assert re.search(r"%s: from=<alice@client\.test>, size=\d+, nrcpt=3 " % qid, inst.read_log())


def test_local_recipients_folded_as_local_delivers(instance, user):
    """For our own domains the account name is folded to lower case when it
    is delivered (local_user.c): PTEST1@ and ptest1@ are one mailbox, and
    get one copy."""
    name = user.name
    with Client(instance) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<alice@client.test>").code == 250
        for rcpt in (name, name.upper(), name.capitalize()):
            for domain in ("test.example", "TEST.Example"):
                r = c.cmd("RCPT TO:<%s@%s>" % (rcpt, domain))
                assert r.code == 250, "%s@%s: %r" % (rcpt, domain, r)
        qid = queued_id(c.data(b"Subject: once\r\n\r\nfor one mailbox\r\n.\r\n"))
    user.wait_for(1)
    instance.wait_queue_empty()
    assert len(user.messages()) == 1, "%d copies for one mailbox" % len(user.messages())
    assert delivered_body(user.contents()[0]) == b"Subject: once\n\nfor one mailbox\n"
    log = instance.read_log()
    assert re.search(r"%s: from=<alice@client\.test>, size=\d+, nrcpt=1 " % qid, log), log
    assert len(re.findall(r"%s: to=<[^>]*>, relay=local, .*status=sent" % qid, log)) == 1


def test_trailing_dot_is_dropped(instance, user):
    """user@domain. is the absolute form of user@domain: accepted (it used to
    get 501) and stored without the dot, as Postfix does.  One dot only, and
    never after an address literal."""
    rcpt = user.name + "@test.example"
    with Client(instance) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<alice@client.test.>").code == 250
        r = c.cmd("RCPT TO:<%s.>" % rcpt)
        assert r.code == 250, "trailing dot: %r" % r
        for bad in ("<%s..>" % rcpt, "<%s@[127.0.0.1].>" % user.name, "<%s@.>" % user.name):
            r = c.cmd("RCPT TO:" + bad)
            assert r.line == "501 5.1.3 Bad recipient address syntax", "%s: %r" % (bad, r)
        r = c.cmd("RCPT TO:<nosuchuser@test.example.>")
        assert r.line.startswith("550 5.1.1 <nosuchuser@test.example>: "), \
            "the dotted domain is one of ours, and shown without the dot: %r" % r
        qid = queued_id(c.data(b"Subject: dot\r\n\r\nabsolute\r\n.\r\n"))
    user.wait_for(1)
    data = user.contents()[0]
    assert b"\tfor <" + rcpt.encode() + b">; " in data, data[:400]
    assert data.startswith(b"Return-Path: <alice@client.test>\n"), data[:100]
    instance.wait_log_re(r"%s: to=<%s>, relay=local" % (qid, re.escape(rcpt)))


def test_own_address_literal_is_local(make_instance, user):
    """user@[our address] is mail for us: inet_interfaces = all means every
    interface address (lo has 127.0.0.1; the instance itself listens on
    127.0.0.2), and proxy_interfaces adds more.  A literal that is not ours
    is relaying, refused from outside mynetworks."""
    inst = make_instance(main_cf={"inet_interfaces": "all", "proxy_interfaces": "192.0.2.77",
                                  "mynetworks": "192.0.2.0/24"})
    with Client(inst) as c:   # from 127.0.0.1: outside mynetworks here
        c.ehlo()
        assert c.cmd("MAIL FROM:<alice@client.test>").code == 250
        r = c.cmd("RCPT TO:<%s@[127.0.0.1]>" % user.name)
        assert r.code == 250, "our own address literal: %r" % r
        r = c.cmd("RCPT TO:<nosuchuser@[127.0.0.1]>")
        assert r.line.startswith("550 5.1.1 <nosuchuser@[127.0.0.1]>: Recipient address "
                                 "rejected: User unknown"), r
        r = c.cmd("RCPT TO:<x@[192.0.2.1]>")
        assert r.line == "554 5.7.1 <x@[192.0.2.1]>: Relay access denied", r
        qid = queued_id(c.data(b"Subject: literal\r\n\r\nto [127.0.0.1]\r\n.\r\n"))
        assert c.cmd("MAIL FROM:<alice@client.test>").code == 250
        r = c.cmd("RCPT TO:<%s@[192.0.2.77]>" % user.name)
        assert r.code == 250, "proxy_interfaces literal: %r" % r
        queued_id(c.data(b"Subject: proxy\r\n\r\nto [192.0.2.77]\r\n.\r\n"))
    user.wait_for(2)
    inst.wait_queue_empty()
    assert sorted(delivered_body(d) for d in user.contents()) == \
        [b"Subject: literal\n\nto [127.0.0.1]\n", b"Subject: proxy\n\nto [192.0.2.77]\n"]
    assert re.search(r"%s: to=<%s@\[127\.0\.0\.1\]>, relay=local, .*status=sent" %
                     (qid, user.name), inst.read_log())


def test_literal_of_an_address_we_do_not_use(make_instance, user):
    """With inet_interfaces naming only 127.0.0.2, 127.0.0.1 is not ours."""
    inst = make_instance(main_cf={"inet_interfaces": "127.0.0.2", "mynetworks": "192.0.2.0/24"})
    with Client(inst) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<alice@client.test>").code == 250
        r = c.cmd("RCPT TO:<%s@[127.0.0.1]>" % user.name)
        assert r.line == "554 5.7.1 <%s@[127.0.0.1]>: Relay access denied" % user.name, r
        r = c.cmd("RCPT TO:<%s@[127.0.0.2]>" % user.name)
        assert r.code == 250, r
        queued_id(c.data(b"Subject: .2\r\n\r\nours\r\n.\r\n"))
    user.wait_for(1)
