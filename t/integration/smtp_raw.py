"""A raw SMTP client for tests that must control every byte on the wire
(smtplib normalises line ends and dot-stuffing, which is what some tests
are about), and helpers to read what was delivered."""

import re
import socket


class Reply:
    def __init__(self, lines):
        self.lines = lines                     # decoded lines without CR LF
        self.code = int(lines[-1][:3])
        self.line = lines[-1]                  # the last (or only) line

    def __repr__(self):
        return "Reply(%r)" % "\n".join(self.lines)


class Client:
    """One SMTP connection that never normalises what it sends."""

    def __init__(self, inst, source=None, timeout=10.0):
        self.sock = socket.create_connection(
            (inst.addr, inst.port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = False
        self.greeting = self.reply()
        assert self.greeting is not None and self.greeting.code == 220, \
            "no 220 greeting: %r" % self.greeting

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        """Read more; False at EOF, reset or timeout."""
        if self.eof:
            return False
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def reply(self):
        """The next complete reply, or None if the server closed or went silent."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                if not self._fill():
                    return None
            raw, self.buf = self.buf.split(b"\r\n", 1)
            line = raw.decode("latin-1")
            assert re.match(r"^[2-5]\d\d([ -]|$)", line), "malformed reply line %r" % line
            lines.append(line)
            if len(line) < 4 or line[3] == " ":
                return Reply(lines)

    def cmd(self, line):
        if isinstance(line, str):
            line = line.encode()
        self.send(line + b"\r\n")
        r = self.reply()
        assert r is not None, "no reply to %r (connection closed or timed out)" % line[:80]
        return r

    def replies_until(self, code):
        """All replies up to and including the first with this code (or EOF/timeout)."""
        out = []
        while True:
            r = self.reply()
            if r is None:
                return out
            out.append(r)
            if r.code == code:
                return out

    def wait_closed(self):
        """True if the server closes the connection (without sending more)."""
        extra = b""
        while self._fill():
            extra += self.buf
            self.buf = b""
        assert not extra, "unexpected data before close: %r" % extra[:200]
        return self.eof

    def ehlo(self, name="client.test"):
        r = self.cmd("EHLO " + name)
        assert r.code == 250, "EHLO refused: %r" % r
        return r

    def mail_to(self, sender, rcpts):
        r = self.cmd("MAIL FROM:<%s>" % sender)
        assert r.code == 250, "MAIL FROM:<%s> refused: %r" % (sender, r)
        for rcpt in rcpts:
            r = self.cmd("RCPT TO:<%s>" % rcpt)
            assert r.code == 250, "RCPT TO:<%s> refused: %r" % (rcpt, r)

    def data(self, wire):
        """DATA, then the given bytes as sent (must include the final dot)."""
        r = self.cmd("DATA")
        assert r.code == 354, "DATA not answered with 354: %r" % r
        self.send(wire)
        r = self.reply()
        assert r is not None, "no reply after the end of data"
        return r


def queued_id(reply):
    m = re.match(r"250 2\.0\.0 Ok: queued as ([0-9A-F]+)$", reply.line)
    assert m, "not a 'queued as' reply: %r" % reply
    return m.group(1)


def delivered_body(data):
    """The message as the client sent it: the delivered file minus our headers."""
    lines = data.split(b"\n")
    assert lines[0].startswith(b"Return-Path: <"), "no Return-Path first: %r" % data[:200]
    assert lines[1].startswith(b"Delivered-To: "), "no Delivered-To second: %r" % data[:200]
    assert lines[2].startswith(b"Received: "), "no Received third: %r" % data[:300]
    i = 3
    while lines[i].startswith(b"\t"):
        i += 1
    return b"\n".join(lines[i:])
