"""Postern's IPC attributes (lib/global/attr.h) and queue files
(lib/global/qfile.h) in Python, so that tests can play a daemon's peer: a
fake qmgr that sends a delivery agent requests, a fake agent, a queue file
written by hand.

A frame is a 4-byte big-endian payload length and then attributes, each
type (S, I or D), name length and name, value length (4 bytes) and value;
strings carry their NUL, integers are 8 bytes signed big-endian, and data
holds nested attributes.
"""

import socket
import struct


def attr_str(name, value):
    v = value.encode() + b"\0"
    return b"S" + bytes([len(name)]) + name.encode() + struct.pack(">I", len(v)) + v


def attr_int(name, value):
    return b"I" + bytes([len(name)]) + name.encode() + struct.pack(">Iq", 8, value)


def attr_data(name, value):
    return b"D" + bytes([len(name)]) + name.encode() + struct.pack(">I", len(value)) + value


def frame(*attrs):
    payload = b"".join(attrs)
    return struct.pack(">I", len(payload)) + payload


def decode(payload):
    """[(name, value)] with str, int or bytes (nested data) values."""
    out, pos = [], 0
    while pos < len(payload):
        t = payload[pos:pos + 1]
        nlen = payload[pos + 1]
        name = payload[pos + 2:pos + 2 + nlen].decode()
        pos += 2 + nlen
        (vlen,) = struct.unpack(">I", payload[pos:pos + 4])
        value = payload[pos + 4:pos + 4 + vlen]
        pos += 4 + vlen
        if t == b"S":
            value = value[:-1].decode(errors="replace")
        elif t == b"I":
            (value,) = struct.unpack(">q", value)
        out.append((name, value))
    return out


def read_frame(sock):
    """The payload of the next frame, or None at end of file."""
    head = _read(sock, 4)
    if head is None:
        return None
    (n,) = struct.unpack(">I", head)
    return _read(sock, n)


def _read(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def hello(protocol, version):
    return frame(attr_str("protocol", protocol), attr_int("version", version))


def deliver_request(queue_name, queue_id, rcpts, flags=0, arrival=(1700000000, 0)):
    """A delivery request (lib/global/deliver_proto.h); rcpts: [(offset, address)]."""
    attrs = [attr_str("queue_name", queue_name), attr_str("queue_id", queue_id),
             attr_int("flags", flags), attr_int("arrival_sec", arrival[0]),
             attr_int("arrival_usec", arrival[1])]
    for offset, address in rcpts:
        attrs.append(attr_data("rcpt", attr_int("offset", offset) + attr_str("address", address)))
    return frame(*attrs)


def ask_agent(path, request, timeout=30):
    """Be qmgr for one request: connect to an agent's socket, check its hello,
    send the request, return its reply as {offset: (status, dsn, reason)}."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(path)
        greeting = dict(decode(read_frame(s)))
        assert greeting["protocol"] == "deliver", greeting
        s.sendall(request)
        reply = read_frame(s)
        assert reply is not None, "the agent closed the connection without a reply"
        results = {}
        for name, value in decode(reply):
            if name == "result":
                r = dict(decode(value))
                results[r["offset"]] = (r["status"], r["dsn"], r["reason"])
        return results


def queue_file(sender, rcpts, content, arrival=(1700000000, 0)):
    """The bytes of a queue file, and the offsets of the recipients' status bytes."""
    out = bytearray()
    offsets = []

    def rec(t, data):
        out.extend(t + struct.pack(">I", len(data)))
        out.extend(data)

    rec(b"V", b"postern-queue 1")
    rec(b"T", ("%d %d" % arrival).encode())
    rec(b"F", sender.encode())
    for r in rcpts:
        offsets.append(len(out) + 5)
        rec(b"R", b"P0" + r.encode())
    rec(b"M", content)
    rec(b"E", b"")
    return bytes(out), offsets
