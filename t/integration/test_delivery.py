"""The first mail path: SMTP in, through the queue, byte-exact into a Maildir."""

import os
import re
import smtplib
import socket
import subprocess

from postern_instance import wait_until

RECEIVED_RE = re.compile(
    rb"Received: from (\S+) \((\S+) \[([0-9a-f.:]+)\]\)\n"
    rb"\tby (\S+) \(Postern\) with (E?SMTP) id ([0-9A-F]+)"
    rb"(?:\n\tfor <([^>]+)>; |;\n\t)"
    rb"[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(\w+\)\n")


def split_delivered(data):
    """Split a delivered file into (return_path, delivered_to, received match, body)."""
    lines = data.split(b"\n", 2)
    assert lines[0].startswith(b"Return-Path: <"), data[:200]
    assert lines[1].startswith(b"Delivered-To: "), data[:200]
    rest = lines[2]
    m = RECEIVED_RE.match(rest)
    assert m, "no Received: header of the expected form in %r" % rest[:400]
    return lines[0], lines[1], m, rest[m.end():]


def test_smtplib_message_is_byte_exact(instance, user):
    body = (b"From: Alice <alice@client.test>\r\n"
            b"To: <" + user.name.encode() + b"@test.example>\r\n"
            b"Subject: byte exact\r\n"
            b"Message-ID: <exact-1@client.test>\r\n"
            b"\r\n"
            b"line one\r\n"
            b".a line that starts with a dot\r\n"
            b"..two dots\r\n"
            b"\r\n"
            b"8-bit: \xc3\xa9\xe2\x82\xac \xff\xfe\r\n"
            b"trailing spaces   \r\n"
            b"tab\there\r\n")
    with smtplib.SMTP(instance.addr, instance.port) as s:
        s.ehlo("client.test")
        s.sendmail("alice@client.test", [user.name + "@test.example"], body,
                   mail_options=["BODY=8BITMIME"])
    [data] = user.contents() if user.messages() else [user.wait_for(1) and user.contents()[0]]
    rp, dt, rcvd, rest = split_delivered(data)
    assert rp == b"Return-Path: <alice@client.test>"
    assert dt == b"Delivered-To: " + user.name.encode() + b"@test.example"
    assert rcvd.group(1) == b"client.test"                # HELO name
    assert rcvd.group(2) == b"client.test"                # verified reverse name
    assert rcvd.group(3) == b"127.0.0.1"
    assert rcvd.group(4) == instance.hostname.encode()
    assert rcvd.group(5) == b"ESMTP"
    assert rcvd.group(7) == user.name.encode() + b"@test.example"
    assert rest == body.replace(b"\r\n", b"\n")
    # The queue ID in Received: is the one smtpd announced and logged.
    qid = rcvd.group(6).decode()
    instance.wait_log("%s: removed" % qid)
    log = instance.read_log()
    assert "%s: client=client.test[127.0.0.1]" % qid in log
    assert re.search(r"%s: to=<%s@test.example>, relay=local, delay=[0-9.e-]+, "
                     r"dsn=2\.0\.0, status=sent \(delivered to maildir\)" % (qid, user.name), log)
    # Delivered as the user, into new/, with nothing left behind.
    path = user.messages()[0]
    st = os.stat(path)
    assert (st.st_uid, st.st_gid) == (user.uid, user.gid)
    assert os.path.dirname(path).endswith("/new")
    assert os.listdir(os.path.join(user.maildir, "tmp")) == []
    assert "S=%d" % len(data) in os.path.basename(path)
    instance.wait_queue_empty()


def test_swaks_message_is_byte_exact(instance, user, tmp_path):
    body = (b"From: swaks <swaks@client.test>\r\n"
            b"Subject: from swaks\r\n"
            b"\r\n"
            b"Hello from swaks.\r\n"
            b".\r\n"          # a lone dot inside the body must survive stuffing
            b"end\r\n")
    msg = tmp_path / "msg.eml"
    msg.write_bytes(body)
    r = subprocess.run(["swaks", "--server", "%s:%d" % (instance.addr, instance.port),
                        "--helo", "client.test", "--from", "swaks@client.test",
                        "--to", user.name + "@test.example", "--data", "@" + str(msg)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "250 2.0.0 Ok: queued as" in r.stdout
    [data] = [user.wait_for(1) and user.contents()[0]]
    _, _, _, rest = split_delivered(data)
    # swaks sends one more CR LF before the final dot than the file holds.
    assert rest == body.replace(b"\r\n", b"\n") + b"\n"


def test_several_recipients_and_null_sender(instance, user, user2):
    body = b"Subject: two\r\n\r\nfor both\r\n"
    with smtplib.SMTP(instance.addr, instance.port) as s:
        refused = s.sendmail("<>", [user.name + "@test.example", user2.name + "@TEST.example",
                                    user.name + "@test.example"], body)
        assert refused == {}
    user.wait_for(1)
    user2.wait_for(1)
    instance.wait_queue_empty()
    # The duplicate recipient was delivered once.
    assert len(user.messages()) == 1
    for u in (user, user2):
        rp, _, rcvd, rest = split_delivered(u.contents()[0])
        assert rp == b"Return-Path: <>"
        assert rcvd.group(7) is None          # no "for" with several recipients
        assert rest == body.replace(b"\r\n", b"\n")


def smtp_exchange(instance, payload, read_until=None, timeout=10):
    """Send raw bytes and collect the server's replies until it has sent read_until."""
    with socket.create_connection((instance.addr, instance.port), timeout=timeout) as s:
        s.recv(4096)  # greeting
        s.sendall(payload)
        out = b""
        while read_until is None or read_until not in out:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
        return out


def test_pipelining_several_messages_in_one_session(instance, user):
    """RFC 2920 pipelining: MAIL, RCPT and DATA in one write, the content
    after the 354, and with it the next transaction's MAIL, RCPT and DATA
    (or QUIT).  (Sending the content before the 354 is refused:
    test_smtpd_protocol.py.)"""
    n = 5
    with socket.create_connection((instance.addr, instance.port), timeout=10) as s:
        f = s.makefile("rb")
        assert f.readline().startswith(b"220 ")
        s.sendall(b"EHLO client.test\r\n")
        codes = []
        while True:
            line = f.readline()
            if line[3:4] == b" ":
                codes.append(line[:3])
                break
        envelope = (b"MAIL FROM:<alice@client.test>\r\n"
                    b"RCPT TO:<" + user.name.encode() + b"@test.example>\r\n"
                    b"DATA\r\n")
        s.sendall(envelope)
        queued = []
        for i in range(n):
            codes += [f.readline()[:3] for _ in range(3)]       # MAIL, RCPT, DATA
            # The content, its end, and the next group in one write.
            s.sendall(b"Subject: pipelined %d\r\n\r\nbody %d\r\n.\r\n" % (i, i) +
                      (envelope if i + 1 < n else b"QUIT\r\n"))
            line = f.readline()
            codes.append(line[:3])
            if b"queued as" in line:
                queued.append(line)
        codes.append(f.readline()[:3])
    assert codes == [b"250"] + [b"250", b"250", b"354", b"250"] * n + [b"221"], codes
    assert len(queued) == n and len(set(queued)) == n
    user.wait_for(n)
    instance.wait_queue_empty()
    subjects = sorted(c.split(b"Subject: ")[1].split(b"\n")[0] for c in user.contents())
    assert subjects == [b"pipelined %d" % i for i in range(n)]


def test_ehlo_advertises_the_extensions(instance):
    with smtplib.SMTP(instance.addr, instance.port) as s:
        code, text = s.ehlo("client.test")
        assert code == 250
        lines = text.decode().split("\n")
        assert lines[0] == instance.hostname
        for ext in ("PIPELINING", "SIZE 10240000", "8BITMIME", "ENHANCEDSTATUSCODES"):
            assert ext in lines
        assert s.has_extn("size")


def test_session_commands(instance):
    with smtplib.SMTP(instance.addr, instance.port) as s:
        assert s.helo("client.test")[0] == 250
        assert s.noop()[0] == 250
        assert s.rset()[0] == 250
        code, text = s.verify("root@test.example")
        assert code == 252
        code, text = s.docmd("HELP")
        assert code == 214
        code, text = s.docmd("EXPN", "staff")
        assert code == 502
        code, text = s.docmd("DATA")
        assert code == 503 and text.startswith(b"5.5.1")
        code, text = s.docmd("RCPT", "TO:<root@test.example>")
        assert code == 503
        code, text = s.docmd("MAIL", "FROM:<a@client.test>")
        assert code == 250
        code, text = s.docmd("MAIL", "FROM:<a@client.test>")
        assert code == 503 and b"nested" in text
        code, text = s.docmd("BOGUS")
        assert code == 502 and text.startswith(b"5.5.2")
    # After QUIT the session is over and logged with its command counts.
    instance.wait_log("disconnect from client.test[127.0.0.1]")
