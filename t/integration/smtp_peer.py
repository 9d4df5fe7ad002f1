"""A scriptable SMTP server for testing the SMTP client: it listens on a
loopback address, answers in threads, and records what it was sent.

By default it behaves like a well-mannered receiver (EHLO with
PIPELINING, 250 to everything, 354 to DATA).  A test scripts it with
rules for the first sessions: at a stage ("greeting", "ehlo", "helo",
"mail", "rcpt" or "rcpt ADDRESS", "data", "dot", "starttls") answer this reply instead,
"close" the connection, or "hang" (say nothing until the client hangs
up); at "data_mid" it closes after the first line of content.  A rule
given with sessions=N applies to the first N sessions only, so a retry
finds a working server.

What it records, per session: the command lines, the lines that had
already arrived when each reply went out (so that a test can tell a
pipelining client from one that waits), every message's content as it
was on the wire, and whether the message got a 250 after its final dot.
"""

import select
import socket
import ssl
import threading
import time

from postern_instance import free_port

CLOSE = "close"
HANG = "hang"


class Session:
    def __init__(self, n):
        self.n = n
        self.commands = []      # command lines, without CRLF
        self.pending = {}       # command verb -> lines already buffered when its reply went out
        self.messages = []      # (wire bytes between 354 and the final dot, accepted?)
        self.rcpts = []         # the recipients accepted for each of those messages
        self.closed_by_peer = False


class Peer:
    def __init__(self, addr="127.0.0.7", ehlo=("PIPELINING", "SIZE 10240000", "8BITMIME"),
                 hostname="peer.test", settle=0.0, port=None, ehlo_name=None):
        self.addr = addr
        self.port = port or free_port(addr)
        self.ehlo = list(ehlo)
        self.hostname = hostname
        self.ehlo_name = ehlo_name or hostname  # the name in the EHLO reply
        self.settle = settle     # seconds to wait before each reply, to see what else arrives
        self.rules = {}          # stage -> [reply, sessions left (None: all)]
        self.starttls_garbage = b"\x15\x03\x03\x00\x02\x02\x28garbage\r\n"
        self.sessions = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, self.port))
        self.sock.listen(16)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    # scripting -----------------------------------------------------------------

    def rule(self, stage, reply, sessions=None):
        """At stage answer reply (a reply line, CLOSE or HANG) in the next
        sessions sessions (all when None)."""
        with self.lock:
            self.rules[stage] = [reply, sessions]

    def reset(self):
        with self.lock:
            self.rules = {}
            self.sessions = []

    # observing -----------------------------------------------------------------

    def messages(self, token=None, accepted=None):
        """Messages (wire bytes) received, those containing token, those
        accepted (or not) when accepted is given."""
        with self.lock:
            out = []
            for s in self.sessions:
                for data, ok in s.messages:
                    if (token is None or token.encode() in data) and \
                            (accepted is None or ok == accepted):
                        out.append(data)
            return out

    def deliveries(self, token):
        """[recipients] of each accepted message containing token, in order."""
        with self.lock:
            return [r for s in self.sessions for (data, ok), r in zip(s.messages, s.rcpts)
                    if ok and token.encode() in data]

    def session_count(self):
        with self.lock:
            return len(self.sessions)

    def stop(self):
        self.stopping.set()
        try:
            self.sock.close()
        except OSError:
            pass

    # serving -------------------------------------------------------------------

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                sess = Session(len(self.sessions))
                self.sessions.append(sess)
                rules = {}
                for stage, r in self.rules.items():
                    if r[1] is None or r[1] > 0:
                        rules[stage] = r[0]
                        if r[1] is not None:
                            r[1] -= 1
            threading.Thread(target=self._serve, args=(conn, sess, rules), daemon=True).start()

    def _serve(self, conn, sess, rules):
        conn.settimeout(30)
        conv = _Conv(conn, self, sess)
        try:
            self._dialogue(conv, sess, rules)
        except (OSError, ssl.SSLError, _Closed):
            pass
        finally:
            try:
                conv.sock.close()
            except OSError:
                pass

    def _answer(self, conv, rules, stage, default, verb=None):
        """Reply for stage; False when the session is over (closed or hung)."""
        reply = rules.get(stage, default)
        if self.settle:
            time.sleep(self.settle)
        if verb:
            conv.sess.pending[verb] = conv.buffered_lines()
        if reply == CLOSE:
            return False
        if reply == HANG:
            conv.hang(self.stopping)
            return False
        conv.send(reply)
        if reply.startswith("421"):
            return False
        return True

    def _dialogue(self, conv, sess, rules):
        if not self._answer(conv, rules, "greeting", "220 %s ESMTP peer" % self.hostname):
            return
        rcpts = []
        while True:
            line = conv.readline()
            sess.commands.append(line)
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                ext = list(self.ehlo)
                if conv.tls:
                    ext = [e for e in ext if e != "STARTTLS"]
                text = "\r\n".join("250-" + l for l in [self.ehlo_name] + ext[:-1])
                last = "250 " + (ext[-1] if ext else self.ehlo_name)
                if ext:
                    text += "\r\n" + last
                else:
                    text = last
                if not self._answer(conv, rules, "ehlo", text, verb):
                    return
            elif verb == "HELO":
                if not self._answer(conv, rules, "helo", "250 " + self.hostname, verb):
                    return
            elif verb == "STARTTLS":
                reply = rules.get("starttls", "220 2.0.0 Ready to start TLS")
                if reply in ("garbage", CLOSE):
                    conv.send("220 2.0.0 Ready to start TLS")
                    if reply == "garbage":
                        conv.sock.sendall(self.starttls_garbage)
                        time.sleep(0.2)
                    return
                if not self._answer(conv, rules, "starttls", reply, verb):
                    return
            elif verb == "MAIL":
                rcpts = []
                if not self._answer(conv, rules, "mail", "250 2.1.0 Ok", verb):
                    return
            elif verb == "RCPT":
                addr = line.split(":", 1)[-1].split(">", 1)[0].lstrip(" <").lower()
                stage = "rcpt " + addr if "rcpt " + addr in rules else "rcpt"
                if not self._answer(conv, rules, stage, "250 2.1.5 Ok", verb):
                    return
                if rules.get(stage, "250").startswith("2"):
                    rcpts.append(addr)
            elif verb == "DATA":
                reply = rules.get("data", "354 End data with <CR><LF>.<CR><LF>")
                if not self._answer(conv, rules, "data", reply, verb):
                    return
                if not reply.startswith("354"):
                    continue
                data = conv.read_data(rules.get("data_mid") == CLOSE)
                if data is None:
                    return
                reply = rules.get("dot", "250 2.0.0 Ok: queued as PEER%d" % sess.n)
                ok = reply.startswith("2")
                with self.lock:
                    sess.messages.append((data, ok))
                    sess.rcpts.append(list(rcpts))
                if not self._answer(conv, rules, "dot", reply, "."):
                    with self.lock:
                        sess.messages[-1] = (data, False)
                    return
            elif verb == "RSET":
                conv.send("250 2.0.0 Ok")
            elif verb == "NOOP":
                conv.send("250 2.0.0 Ok")
            elif verb == "QUIT":
                conv.send("221 2.0.0 Bye")
                return
            else:
                conv.send("502 5.5.2 Error: command not recognized")


class _Closed(Exception):
    pass


class _Conv:
    """One connection: a line buffer over a socket."""

    def __init__(self, sock, peer, sess):
        self.sock = sock
        self.peer = peer
        self.sess = sess
        self.buf = b""
        self.tls = False

    def send(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            self.sess.closed_by_peer = True
            raise _Closed()
        self.buf += data

    def readline(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def buffered_lines(self):
        """The complete lines that have arrived and are not read yet."""
        while True:
            r, _, _ = select.select([self.sock], [], [], 0)
            if not r:
                break
            data = self.sock.recv(65536)
            if not data:
                break
            self.buf += data
        return [l.decode("utf-8", "replace") for l in self.buf.split(b"\r\n")[:-1]]

    def read_data(self, close_mid):
        """The content up to the final dot, as sent; None if we closed it."""
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            line, self.buf = self.buf.split(b"\r\n", 1)
            if line == b".":
                return out
            out += line + b"\r\n"
            if close_mid:
                self.sock.shutdown(socket.SHUT_RDWR)
                return None

    def hang(self, stopping):
        """Say nothing until the client hangs up (or 60 s)."""
        deadline = time.time() + 60
        while time.time() < deadline and not stopping.is_set():
            r, _, _ = select.select([self.sock], [], [], 0.2)
            if r:
                try:
                    if not self.sock.recv(65536):
                        return
                except OSError:
                    return


def unstuff(wire):
    """What a receiver makes of the content on the wire: LF line ends, the
    leading dot of each line removed where it was doubled."""
    lines = wire.split(b"\r\n")
    assert lines[-1] == b"", "content does not end in CRLF"
    out = [l[1:] if l.startswith(b".") else l for l in lines[:-1]]
    return b"".join(l + b"\n" for l in out)
