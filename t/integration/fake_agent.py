#!/usr/bin/python3
"""A misbehaving delivery agent for tests, started by master like a real one
(listening socket on fd 4, master's arguments; the last one is the mode):

  silent   accept connections and never say anything (no greeting)
  stuck    greet, read requests, and never answer them
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attr_client import hello  # noqa: E402

mode = sys.argv[-1]
listener = socket.socket(fileno=4)
held = []
while True:
    conn, _ = listener.accept()
    held.append(conn)  # keep it open: the peer must wait, not see a close
    if mode == "stuck":
        conn.sendall(hello("deliver", 1))
    time.sleep(0.1)
