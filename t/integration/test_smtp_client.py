"""The outbound SMTP client (smtp/): delivery between two instances through
real MX lookups (fallback, null MX, implicit MX, NXDOMAIN, loops), to
Postfix's smtp-sink, over STARTTLS, and against a scriptable peer
(smtp_peer.py) that answers 4xx/5xx at each stage, closes mid-DATA or
hangs, to check that each reply leads to Postfix's outcome and that no
message is lost or sent twice; and pipelining, dot-stuffing and CRLF on
the wire.

Instances are on 127.0.0.2 (the sender, "a.test") and 127.0.0.3 ("b.test");
the peer is on 127.0.0.7, smtp-sink on 127.0.0.5, and 127.0.0.19 is where
nothing listens.  With relayhost=[127.0.0.7]:PORT the peer tests need no
DNS.
"""

import os
import pathlib
import re
import shutil
import smtplib
import subprocess
import tempfile
import time

import pytest

from postfix_tools import smtp_sink
from postern_instance import free_port, wait_until
from smtp_peer import CLOSE, HANG, Peer, unstuff
from tls_certs import make_cert

SMTP_LINE = "smtp unix - - n - - smtp"
PEER_ADDR = "127.0.0.7"

# Short timeouts, so a hanging server costs seconds, not minutes.
FAST = {
    "smtp_connect_timeout": "2s",
    "smtp_helo_timeout": "3s",
    "smtp_mail_timeout": "3s",
    "smtp_rcpt_timeout": "3s",
    "smtp_data_init_timeout": "3s",
    "smtp_data_xfer_timeout": "3s",
    "smtp_data_done_timeout": "2s",
    "smtp_quit_timeout": "2s",
    "smtp_tls_security_level": "none",
}


def sender(make_instance, main_cf=None, dns=None, start=True):
    """The sending instance, a.test on 127.0.0.2, with the smtp service."""
    params = dict(FAST)
    params.update(main_cf or {})
    a = make_instance(start=False, addr="127.0.0.2", mydomain="a.test", main_cf=params,
                      dns=dns or [])
    a.master_cf.append(SMTP_LINE)
    a.write_master_cf(a.master_cf)
    if start:
        a.start()
    return a


def submit(inst, rcpt, body, mail_from="sender@a.test"):
    """Send body to inst by SMTP; its queue ID."""
    with smtplib.SMTP(inst.addr, inst.port, timeout=15) as s:
        s.ehlo("client.test")
        s.mail(mail_from)
        code, resp = s.rcpt(rcpt)
        assert code == 250, resp
        code, resp = s.data(body)
        assert code == 250, resp
    return re.search(rb"queued as ([0-9A-Za-z]+)", resp).group(1).decode()


def message(tag, extra=b""):
    return (b"From: sender@a.test\r\nTo: someone\r\nSubject: test " + tag.encode() +
            b"\r\nX-Tag: " + tag.encode() + b"\r\n\r\nbody of " + tag.encode() + b"\r\n" + extra)


def log_line(inst, qid, status, timeout=20.0):
    """The delivery log line of qid with that status."""
    m = inst.wait_log_re(r"%s: to=<[^>]*>, relay=\S+, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/"
                         r"[0-9.]+/[0-9.]+, dsn=\d\.\d+\.\d+, status=%s \(.*\)" % (qid, status),
                         timeout)
    return m.group(0)


def dsn_of(line):
    return re.search(r"dsn=(\S+),", line).group(1)


def in_queue(inst, queue, qid):
    return any(os.path.basename(f) == qid for f in inst.queue_files(queue))


@pytest.fixture
def peer():
    p = Peer(PEER_ADDR)
    yield p
    p.stop()


@pytest.fixture
def b(make_instance, user):
    """The receiving instance, b.test on 127.0.0.3."""
    return make_instance(addr="127.0.0.3", mydomain="b.test")


# 1. two instances -------------------------------------------------------------

def test_mx_delivery_between_instances(make_instance, b, user):
    a = sender(make_instance, {"smtp_tcp_port": str(b.port)},
               ["b.test. MX 10 mx.b.test.", "mx.b.test. A 127.0.0.3"])
    qid = submit(a, user.name + "@b.test", message("two", b".leading dot\r\n..two dots\r\n"))
    data = user.wait_for(1)[0]
    data = open(data, "rb").read()
    line = log_line(a, qid, "sent")
    assert "to=<%s@b.test>" % user.name in line
    assert "relay=mx.b.test[127.0.0.3]:%d," % b.port in line
    assert dsn_of(line) == "2.0.0"
    assert re.search(r"status=sent \(250 2\.0\.0 Ok: queued as [0-9A-Za-z]+\)", line)
    # a's smtpd got it from the test client, b's smtpd from a's smtp client
    received = re.findall(rb"^Received: .*(?:\n\t.*)*", data, re.M)
    assert len(received) == 2, data[:2000]
    assert b"by mx.b.test" in received[0] and b"mx.a.test" in received[0]
    assert b"by mx.a.test" in received[1]
    # dot-stuffing undone by a real receiver; LF line ends in the Maildir
    assert b"\n.leading dot\n..two dots\n" in data
    assert b"\r" not in data
    a.wait_queue_empty()


# 2. MX fallback ---------------------------------------------------------------

@pytest.mark.parametrize("dead", ["refuses", "hangs up"])
def test_mx_fallback_to_second_mx(make_instance, b, user, dead):
    """The preferred MX refuses connections (nothing listens there), or
    accepts and hangs up before its greeting: the next MX gets the mail."""
    p = None
    if dead == "hangs up":
        p = Peer("127.0.0.19", port=b.port)
        p.rule("greeting", CLOSE)
    try:
        a = sender(make_instance, {"smtp_tcp_port": str(b.port)},
                   ["b.test. MX 5 dead.b.test.", "b.test. MX 10 mx.b.test.",
                    "dead.b.test. A 127.0.0.19", "mx.b.test. A 127.0.0.3"])
        qid = submit(a, user.name + "@b.test", message("fallback"))
        user.wait_for(1)
        line = log_line(a, qid, "sent")
        assert "relay=mx.b.test[127.0.0.3]:%d," % b.port in line
        # the failure at the first MX is not an outcome of the recipient
        assert "status=deferred" not in a.read_log()
        if p:
            assert p.session_count() == 1  # it was tried first
    finally:
        if p:
            p.stop()


def test_equal_preference_mx_both_orders(make_instance, b, user):
    # each message picks afresh: no session kept from the one before
    a = sender(make_instance, {"smtp_tcp_port": str(b.port),
                               "smtp_connection_cache_on_demand": "no"},
               ["b.test. MX 10 mx1.b.test.", "b.test. MX 10 mx2.b.test.",
                "mx1.b.test. A 127.0.0.3", "mx2.b.test. A 127.0.0.3"])
    relays = set()
    for i in range(12):
        qid = submit(a, user.name + "@b.test", message("eq%d" % i))
        line = log_line(a, qid, "sent")
        relays.add(re.search(r"relay=(mx\d)\.b\.test", line).group(1))
        if len(relays) == 2:
            break
    assert relays == {"mx1", "mx2"}


# 3. null MX, implicit MX, NXDOMAIN, loops ---------------------------------------

def test_null_mx_bounces_at_once(make_instance, b):
    a = sender(make_instance, {"smtp_tcp_port": str(b.port)}, ["b.test. MX 0 ."])
    qid = submit(a, "nobody@b.test", message("nullmx"))
    line = log_line(a, qid, "bounced")
    assert dsn_of(line) == "5.1.10"
    assert "relay=none," in line
    wait_until(lambda: in_queue(a, "hold", qid), 10, what="the message in hold/")


def test_implicit_mx_a_record(make_instance, b, user):
    a = sender(make_instance, {"smtp_tcp_port": str(b.port)}, ["b.test. A 127.0.0.3"])
    qid = submit(a, user.name + "@b.test", message("implicit"))
    user.wait_for(1)
    line = log_line(a, qid, "sent")
    assert "relay=b.test[127.0.0.3]:%d," % b.port in line


def test_nxdomain_bounces_544(make_instance):
    # With unbound's 'local-zone: "." static', a name with no data at all is
    # NXDOMAIN.  Postfix bounces that at once: "Host or domain name not found" 5.4.4.
    a = sender(make_instance, dns=["other.test. A 127.0.0.3"])
    qid = submit(a, "nobody@nx.test", message("nx"))
    line = log_line(a, qid, "bounced")
    assert dsn_of(line) == "5.4.4"
    assert "relay=none," in line


def test_mx_to_myself_loops(make_instance):
    a = sender(make_instance, {"inet_interfaces": "127.0.0.2"},
               ["b.test. MX 10 mx.b.test.", "mx.b.test. A 127.0.0.2"])
    qid = submit(a, "nobody@b.test", message("loop"))
    line = log_line(a, qid, "bounced")
    assert dsn_of(line) == "5.4.6"
    assert "mail for b.test loops back to myself" in line


@pytest.mark.parametrize("where", ["greeting", "ehlo"])
def test_server_with_own_hostname_loops(make_instance, where):
    p = Peer(PEER_ADDR, hostname="mx.a.test") if where == "greeting" else \
        Peer(PEER_ADDR, ehlo_name="mx.a.test")
    try:
        a = sender(make_instance, {"relayhost": "[%s]:%d" % (PEER_ADDR, p.port)})
        qid = submit(a, "nobody@b.test", message("loop2"))
        line = log_line(a, qid, "bounced")
        assert dsn_of(line) == "5.4.6"
        assert "loops back to myself" in line
        assert p.messages() == []
        assert not any(c.startswith("MAIL") for c in p.sessions[0].commands)
    finally:
        p.stop()


# 4. Postfix's smtp-sink, and TLS to a Postern instance ---------------------------

def test_delivery_to_postfix_smtp_sink(make_instance):
    sink = smtp_sink()
    port = free_port("127.0.0.5")
    top = tempfile.mkdtemp(prefix="postern-sink-")
    os.chmod(top, 0o755)
    dump = pathlib.Path(top) / "dump"
    dump.mkdir()
    os.chmod(dump, 0o777)  # smtp-sink writes it as nobody
    proc = subprocess.Popen([sink, "-u", "nobody", "-D", str(dump / "mail"),
                             "127.0.0.5:%d" % port, "16"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: subprocess.run(["ss", "-ltnH", "src", "127.0.0.5:%d" % port],
                                          capture_output=True, text=True).stdout.strip(),
                   10, what="smtp-sink listening")
        a = sender(make_instance, {"relayhost": "[127.0.0.5]:%d" % port})
        qid = submit(a, "someone@sink.test", message("sink", b".dot line\r\n"))
        line = log_line(a, qid, "sent")
        assert "relay=127.0.0.5[127.0.0.5]:%d," % port in line
        assert dsn_of(line).startswith("2.")
        data = wait_until(lambda: (dump / "mail").exists() and
                          b"X-Tag: sink" in (dump / "mail").read_bytes() and
                          (dump / "mail").read_bytes(), 10, what="smtp-sink's dump")
        assert b"RCPT TO:<someone@sink.test>" in data or b"someone@sink.test" in data
        a.wait_queue_empty()
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(top, ignore_errors=True)


@pytest.mark.parametrize("level", ["may", "encrypt"])
def test_starttls_to_postern_instance(make_instance, user, level):
    b = make_instance(start=False, addr="127.0.0.3", mydomain="b.test")
    d = os.path.join(b.dir, "tls")
    os.makedirs(d)
    cert, key = make_cert(d, "rsa", b.hostname, "rsa")
    b.params.update({"smtpd_tls_security_level": "may", "smtpd_tls_cert_file": cert,
                     "smtpd_tls_key_file": key, "smtpd_tls_received_header": "yes"})
    b.write_main_cf(b.params)
    b.start()
    a = sender(make_instance, {"relayhost": "[127.0.0.3]:%d" % b.port,
                               "smtp_tls_security_level": level})
    qid = submit(a, user.name + "@b.test", message("tls"))
    data = open(user.wait_for(1)[0], "rb").read()
    log_line(a, qid, "sent")
    assert re.search(r"Untrusted TLS connection established to 127\.0\.0\.3\[127\.0\.0\.3\]:%d: "
                     r"TLSv1\.3 with cipher \S+" % b.port, a.read_log()), a.read_log()[-3000:]
    first = re.search(rb"^Received: .*(?:\n\t.*)*", data, re.M).group(0)
    assert b"mx.a.test" in first and re.search(rb"\(using TLSv1\.3 with cipher ", first), first


# 5. replies at each stage, a connection closed mid-DATA, a hanging server ------

STAGES = ["greeting", "mail", "rcpt", "data", "dot"]


@pytest.mark.parametrize("code", [421, 451, 550, 552])
@pytest.mark.parametrize("stage", STAGES)
def test_reply_at_stage(make_instance, peer, stage, code):
    ext = {421: "4.3.2", 451: "4.3.0", 550: "5.7.1", 552: "5.3.4"}[code]
    peer.rule(stage, "%d %s scripted %s" % (code, ext, stage), sessions=1)
    a = sender(make_instance, {"relayhost": "[%s]:%d" % (PEER_ADDR, peer.port)})
    tag = "%s-%d" % (stage, code)
    qid = submit(a, "someone@peer.test", message(tag))
    # Postfix: a 5xx greeting means "try the next server" (smtp_skip_5xx_greeting=yes)
    temporary = code < 500 or stage == "greeting"
    if temporary:
        line = log_line(a, qid, "deferred")
        # a skipped 5xx greeting keeps its detail as 4.x.x, as in Postfix
        assert dsn_of(line) == "4" + ext[1:], line
        if stage == "greeting":
            assert "refused to talk to me: %d %s scripted" % (code, ext) in line
        else:
            assert "said: %d %s scripted %s" % (code, ext, stage) in line
        wait_until(lambda: in_queue(a, "deferred", qid), 10, what="the message in deferred/")
        # nothing reached the peer for good before the retry
        assert peer.messages(tag, accepted=True) == []
        log_line(a, qid, "sent", timeout=30)
        assert len(peer.messages(tag, accepted=True)) == 1
        # received once, or (refused after the dot) once more before the retry
        assert len(peer.messages(tag)) == (2 if stage == "dot" else 1)
        a.wait_queue_empty()
    else:
        line = log_line(a, qid, "bounced")
        assert dsn_of(line) == ext, line
        assert "said: %d %s scripted %s (in reply to" % (code, ext, stage) in line
        wait_until(lambda: in_queue(a, "hold", qid), 10, what="the message in hold/")
        time.sleep(1.0)  # no retry happens (the back-off is 1s)
        assert peer.messages(tag, accepted=True) == []
        assert peer.session_count() == 1


@pytest.mark.parametrize("stage,what", [
    ("data_mid", "lost connection with"),
    ("greeting", "timed out while receiving the initial server greeting"),
    ("rcpt", "timed out while sending RCPT TO"),
    ("dot", "timed out while sending end of data -- message may be sent more than once"),
])
def test_lost_or_hanging_server_defers(make_instance, peer, stage, what):
    peer.rule(stage, CLOSE if stage == "data_mid" else HANG, sessions=1)
    a = sender(make_instance, {"relayhost": "[%s]:%d" % (PEER_ADDR, peer.port)})
    tag = "lost-" + stage
    qid = submit(a, "someone@peer.test", message(tag))
    line = log_line(a, qid, "deferred")
    assert dsn_of(line) == "4.4.2", line
    assert what in line, line
    wait_until(lambda: in_queue(a, "deferred", qid), 10, what="the message in deferred/")
    log_line(a, qid, "sent", timeout=30)
    assert len(peer.messages(tag, accepted=True)) == 1
    # a server that took the whole message and never answered has it twice
    # (the "may be sent more than once" case); every other one once
    assert len(peer.messages(tag)) == (2 if stage == "dot" else 1)
    a.wait_queue_empty()


# 6. TLS policy ------------------------------------------------------------------

def test_tls_encrypt_without_starttls_defers(make_instance, peer):
    a = sender(make_instance, {"relayhost": "[%s]:%d" % (PEER_ADDR, peer.port),
                               "smtp_tls_security_level": "encrypt"})
    qid = submit(a, "someone@peer.test", message("encrypt"))
    line = log_line(a, qid, "deferred")
    assert dsn_of(line) == "4.7.4"
    assert "TLS is required, but was not offered by host %s[%s]" % (PEER_ADDR, PEER_ADDR) in line
    assert peer.messages() == []


@pytest.mark.parametrize("how", ["garbage", CLOSE])
def test_tls_may_failed_handshake_falls_back_to_plaintext(make_instance, how):
    p = Peer(PEER_ADDR, ehlo=("PIPELINING", "STARTTLS", "8BITMIME"))
    try:
        p.rule("starttls", how)
        a = sender(make_instance, {"relayhost": "[%s]:%d" % (PEER_ADDR, p.port),
                                   "smtp_tls_security_level": "may"})
        qid = submit(a, "someone@peer.test", message("tlsfail"))
        log_line(a, qid, "sent")
        assert len(p.messages("tlsfail", accepted=True)) == 1
        assert "STARTTLS" in p.sessions[0].commands
        assert "STARTTLS" not in p.sessions[1].commands
        assert "status=deferred" not in a.read_log()
    finally:
        p.stop()


# 7. pipelining ------------------------------------------------------------------

@pytest.mark.parametrize("pipelining", [True, False])
def test_pipelining(make_instance, pipelining):
    ext = ("PIPELINING", "8BITMIME") if pipelining else ("8BITMIME",)
    p = Peer(PEER_ADDR, ehlo=ext, settle=0.2)
    try:
        a = sender(make_instance, {"relayhost": "[%s]:%d" % (PEER_ADDR, p.port)})
        with smtplib.SMTP(a.addr, a.port, timeout=15) as s:
            s.ehlo("client.test")
            s.mail("sender@a.test")
            s.rcpt("one@peer.test")
            s.rcpt("two@peer.test")
            s.data(message("pipe"))
        wait_until(lambda: p.messages("pipe", accepted=True), 20, what="the message at the peer")
        sess = [s for s in p.sessions if s.messages][0]
        verbs = [c.split(" ", 1)[0].split(":", 1)[0] for c in sess.commands]
        assert verbs[:5] == ["EHLO", "MAIL", "RCPT", "RCPT", "DATA"], sess.commands
        if pipelining:
            # everything up to DATA was there before the reply to MAIL went out
            assert [l.split(":")[0] for l in sess.pending["MAIL"]] == ["RCPT TO", "RCPT TO",
                                                                      "DATA"], sess.pending
        else:
            assert sess.pending["MAIL"] == [] and sess.pending["RCPT"] == [], sess.pending
    finally:
        p.stop()


# 8. dot-stuffing and line ends ----------------------------------------------------

def test_dot_stuffing_and_crlf_on_the_wire(make_instance, peer):
    # Runs of lines that are just "." on both sides of the client's 64 KiB
    # read blocks, shifted by an odd number of bytes between them, so that
    # some dot line starts exactly at a block boundary whatever the header
    # length; plus long lines and lines with dots inside.
    body = (b"first line\n.leading\n..two\n.\n. space\nmid.dle\n" +
            b".\n" * 40000 + b"xx\n" + b".\n" * 40000 +
            b"".join(b"%05d " % i + b"y" * 900 + b"\n" for i in range(200)) +
            b".last\n")
    a = sender(make_instance, {"relayhost": "[%s]:%d" % (PEER_ADDR, peer.port)})
    qid = submit(a, "someone@peer.test",
                 b"Subject: dots\r\nX-Tag: dots\r\n\r\n" + body.replace(b"\n", b"\r\n"))
    log_line(a, qid, "sent", timeout=30)
    wire = peer.messages("X-Tag: dots", accepted=True)
    assert len(wire) == 1
    wire = wire[0]
    assert wire.count(b"\n") == wire.count(b"\r\n"), "a bare LF on the wire"
    assert b"\r\r" not in wire
    head, sep, wire_body = wire.partition(b"\r\n\r\n")
    assert sep
    stuffed = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n"
                       for l in body.split(b"\n")[:-1])
    assert wire_body == stuffed
    assert unstuff(wire).endswith(b"\n\n" + body)


# more: recipients one by one, HELO, SIZE, a 5xx greeting at the first MX -------

def test_partial_deferral_resends_only_the_deferred_recipient(make_instance, peer):
    """One recipient 451 (once), one 550, one 250: the 250 one is sent once,
    the 550 one bounced, the 451 one sent alone on the retry."""
    peer.rule("rcpt later@peer.test", "451 4.2.0 try later", sessions=1)
    peer.rule("rcpt bad@peer.test", "550 5.1.1 no such user")
    a = sender(make_instance, {"relayhost": "[%s]:%d" % (PEER_ADDR, peer.port)})
    with smtplib.SMTP(a.addr, a.port, timeout=15) as s:
        s.ehlo("client.test")
        s.mail("sender@a.test")
        for r in ("now@peer.test", "later@peer.test", "bad@peer.test"):
            assert s.rcpt(r)[0] == 250
        code, resp = s.data(message("partial"))
    qid = re.search(rb"queued as ([0-9A-Za-z]+)", resp).group(1).decode()
    a.wait_log_re(r"%s: to=<later@peer\.test>.*dsn=4\.2\.0, status=deferred \(host %s\[%s\] "
                  r"said: 451 4\.2\.0 try later \(in reply to RCPT TO command\)\)"
                  % (qid, PEER_ADDR, PEER_ADDR))
    a.wait_log_re(r"%s: to=<bad@peer\.test>.*dsn=5\.1\.1, status=bounced" % qid)
    a.wait_log_re(r"%s: to=<now@peer\.test>.*dsn=2\.0\.0, status=sent" % qid)
    a.wait_log_re(r"%s: to=<later@peer\.test>.*dsn=2\.0\.0, status=sent" % qid, timeout=30)
    assert peer.deliveries("partial") == [["now@peer.test"], ["later@peer.test"]]
    # the bounced recipient parks the message in hold/ (bounces come later)
    wait_until(lambda: in_queue(a, "hold", qid), 10, what="the message in hold/")


def test_ehlo_refused_falls_back_to_helo(make_instance, peer):
    peer.rule("ehlo", "502 5.5.2 Error: command not recognized")
    a = sender(make_instance, {"relayhost": "[%s]:%d" % (PEER_ADDR, peer.port)})
    qid = submit(a, "someone@peer.test", message("helo"))
    log_line(a, qid, "sent")
    cmds = peer.sessions[0].commands
    assert cmds[0].startswith("EHLO ") and cmds[1] == "HELO mx.a.test", cmds
    # no ESMTP, so no SIZE= or BODY= on MAIL
    assert cmds[2] == "MAIL FROM:<sender@a.test>", cmds


def test_message_over_servers_size_limit_bounces(make_instance):
    p = Peer(PEER_ADDR, ehlo=("PIPELINING", "SIZE 1000"))
    try:
        a = sender(make_instance, {"relayhost": "[%s]:%d" % (PEER_ADDR, p.port)})
        qid = submit(a, "someone@peer.test", message("size", b"x" * 2000 + b"\r\n"))
        line = log_line(a, qid, "bounced")
        assert dsn_of(line) == "5.3.4"
        assert "exceeds size limit 1000 of server" in line
        assert not any(c.startswith("MAIL") for c in p.sessions[0].commands)
    finally:
        p.stop()


def test_5xx_greeting_at_first_mx_uses_the_next(make_instance, b, user):
    p = Peer(PEER_ADDR, port=b.port)
    p.rule("greeting", "554 5.7.1 go away")
    try:
        a = sender(make_instance, {"smtp_tcp_port": str(b.port)},
                   ["b.test. MX 5 peer.b.test.", "b.test. MX 10 mx.b.test.",
                    "peer.b.test. A %s" % PEER_ADDR, "mx.b.test. A 127.0.0.3"])
        qid = submit(a, user.name + "@b.test", message("skip5xx"))
        user.wait_for(1)
        line = log_line(a, qid, "sent")
        assert "relay=mx.b.test[127.0.0.3]:%d," % b.port in line
        assert p.session_count() == 1
    finally:
        p.stop()


@pytest.mark.parametrize("dns,name", [
    (["b.test. MX 10 mx.b.test."], "mx.b.test"),   # the only MX host does not exist
    (["b.test. TXT hello"], "b.test"),             # no MX, and the implicit MX has no address
])
def test_no_address_for_any_mx_host_bounces_544(make_instance, dns, name):
    # Postfix: "status=bounced (Host or domain name not found. Name service
    # error for name=... type=A: Host not found)", dsn=5.4.4.
    a = sender(make_instance, dns=dns)
    qid = submit(a, "nobody@b.test", message("noaddr"))
    line = log_line(a, qid, "bounced")
    assert dsn_of(line) == "5.4.4", line
    assert "Host or domain name not found. Name service error for name=%s " % name in line


def test_dead_mx_hosts_defer(make_instance):
    """A server that refuses the connection, and an MX host without an
    address next to one with: temporary, retried."""
    a = sender(make_instance, {"smtp_tcp_port": str(free_port("127.0.0.19"))},
               ["b.test. MX 10 mx.b.test.", "b.test. MX 20 gone.b.test.",
                "mx.b.test. A 127.0.0.19"])
    qid = submit(a, "nobody@b.test", message("dead"))
    line = log_line(a, qid, "deferred")
    assert dsn_of(line).startswith("4."), line
    assert "connect to mx.b.test[127.0.0.19]" in line
    wait_until(lambda: in_queue(a, "deferred", qid), 10, what="the message in deferred/")


def test_tls_encrypt_failed_handshake_defers_without_plaintext(make_instance):
    p = Peer(PEER_ADDR, ehlo=("PIPELINING", "STARTTLS"))
    try:
        p.rule("starttls", "garbage")
        a = sender(make_instance, {"relayhost": "[%s]:%d" % (PEER_ADDR, p.port),
                                   "smtp_tls_security_level": "encrypt"})
        qid = submit(a, "someone@peer.test", message("tlsenc"))
        line = log_line(a, qid, "deferred")
        assert dsn_of(line) == "4.7.5", line
        assert "TLS handshake with" in line
        assert p.messages() == []
        assert all("MAIL" not in " ".join(s.commands) for s in p.sessions)
    finally:
        p.stop()


def test_two_domains_in_one_message(make_instance, b, user):
    """Recipients in two domains: each domain's server gets its own copy
    with only its recipient; one refusing does not touch the other."""
    p = Peer(PEER_ADDR, port=b.port)
    p.rule("rcpt", "550 5.1.1 no such user")
    try:
        a = sender(make_instance, {"smtp_tcp_port": str(b.port)},
                   ["b.test. MX 10 mx.b.test.", "mx.b.test. A 127.0.0.3",
                    "c.test. A %s" % PEER_ADDR])
        with smtplib.SMTP(a.addr, a.port, timeout=15) as s:
            s.ehlo("client.test")
            s.mail("sender@a.test")
            assert s.rcpt(user.name + "@b.test")[0] == 250
            assert s.rcpt("nobody@c.test")[0] == 250
            code, resp = s.data(message("twodom"))
        qid = re.search(rb"queued as ([0-9A-Za-z]+)", resp).group(1).decode()
        user.wait_for(1)
        a.wait_log_re(r"%s: to=<%s@b\.test>, relay=mx\.b\.test\[127\.0\.0\.3\]:%d, .*status=sent"
                      % (qid, user.name, b.port))
        line = a.wait_log_re(r"%s: to=<nobody@c\.test>, .*status=bounced.*" % qid).group(0)
        assert "dsn=5.1.1" in line and "said: 550 5.1.1 no such user" in line
        time.sleep(1.0)
        assert len(user.messages()) == 1
        assert [c for c in p.sessions[0].commands if c.startswith("RCPT")] == \
            ["RCPT TO:<nobody@c.test>"]
    finally:
        p.stop()
