#!/usr/bin/python3
"""Delivery agents for tests, started by master like a real one (listening
socket on fd 4, master's arguments; the last one is the mode):

  silent   accept connections and never say anything (no greeting)
  stuck    greet, read requests, and never answer them
  sink     a well-behaved remote transport: for each recipient, mark it
           delivered in the queue file (status byte 'D', fdatasync) and
           report it sent, or report it deferred when its address starts
           with "defer"; a recipient found already delivered is reported
           sent again without a new delivery.  Each new delivery is
           appended as "ID address" to $POSTERN_SINK_LOG.
"""

import fcntl
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attr_client import (attr_data, attr_int, attr_str, decode, frame, hello,  # noqa: E402
                         read_frame)


def result(offset, status, dsn, reason):
    return attr_data("result", attr_int("offset", offset) + attr_str("status", status) +
                     attr_str("dsn", dsn) + attr_str("reason", reason))


def deliver(req):
    qid = req["queue_id"]
    path = os.path.join(req["queue_name"], qid)
    results = []
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        for offset, address in req["rcpts"]:
            if address.startswith("defer"):
                results.append(result(offset, "deferred", "4.4.1", "simulated deferral"))
                continue
            if os.pread(fd, 1, offset) == b"P":
                os.pwrite(fd, b"D", offset)
                os.fdatasync(fd)
                with open(os.environ["POSTERN_SINK_LOG"], "a") as log:
                    log.write("%s %s\n" % (qid, address))
            results.append(result(offset, "sent", "2.0.0", "simulated delivery"))
    finally:
        os.close(fd)
    return frame(*(results + [attr_int("last", 0)]))


def serve_sink(conn):
    conn.sendall(hello("deliver", 1))
    while True:
        payload = read_frame(conn)
        if payload is None:
            return
        req = {"rcpts": []}
        for name, value in decode(payload):
            if name == "rcpt":
                r = dict(decode(value))
                req["rcpts"].append((r["offset"], r["address"]))
            else:
                req[name] = value
        conn.sendall(deliver(req))


mode = sys.argv[-1]
listener = socket.socket(fileno=4)
held = []
while True:
    conn, _ = listener.accept()
    held.append(conn)  # keep it open: the peer must wait, not see a close
    if mode == "stuck":
        conn.sendall(hello("deliver", 1))
    elif mode == "sink":
        threading.Thread(target=serve_sink, args=(conn,), daemon=True).start()
    time.sleep(0.01)
