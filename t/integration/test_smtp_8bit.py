"""An 8-bit message to a server without 8BITMIME (Postfix's smtp-sink -8)
goes as quoted-printable, converted by the one MIME parser (mime_qp.h), and
arrives intact: decoding the parts gives back the bytes that were sent.
With disable_mime_output_conversion = yes it is deferred instead."""

import email
import email.policy
import glob
import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time

import pytest

from postfix_tools import smtp_sink
from postern_instance import free_port, wait_until

TEXT = "Grüße aus Köln: ½ € — ça va?\n" * 3
MESSAGE = ("From: a@a.test\r\nTo: r@remote.test\r\nSubject: 8bit\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
           "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n" + TEXT.replace("\n", "\r\n") +
           "--b1\r\nContent-Type: application/octet-stream\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--b1--\r\n")


@pytest.fixture
def sink():
    port = free_port("127.0.0.6")
    dump = tempfile.mkdtemp(prefix="postern-sink-")  # smtp-sink writes as nobody
    os.chmod(dump, 0o777)
    p = subprocess.Popen([smtp_sink(), "-8", "-u", "nobody", "-d", str(dump) + "/%M.", "127.0.0.6:%d" % port,
                          "10"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: _listening(port), 10, what="smtp-sink")
    yield port, dump
    p.terminate()
    p.wait(5)
    shutil.rmtree(dump, ignore_errors=True)


def _listening(port):
    try:
        socket.create_connection(("127.0.0.6", port), timeout=1).close()
        return True
    except OSError:
        return False


def sender(make_instance, port, **main_cf):
    a = make_instance(start=False, addr="127.0.0.4", mydomain="a.test",
                      main_cf=dict({"relayhost": "[127.0.0.6]:%d" % port,
                                    "minimal_backoff_time": "60s",
                                    "maximal_backoff_time": "60s"}, **main_cf))
    a.master_cf.append("smtp unix - - y - - smtp")
    a.write_master_cf(a.master_cf)
    a.start()
    with smtplib.SMTP(a.addr, a.port, timeout=30) as s:
        s.sendmail("a@a.test", ["r@remote.test"], MESSAGE.encode(), mail_options=["BODY=8BITMIME"])
    return a


def test_converted_and_intact(make_instance, sink):
    port, dump = sink
    a = sender(make_instance, port)
    m = a.wait_log_re(r"to=<r@remote\.test>, .*status=(\w+)")
    assert m.group(1) == "sent", m.group(0)
    files = wait_until(lambda: glob.glob(str(dump) + "/*"), 10, what="the dumped message")
    raw = open(files[0], "rb").read()
    # the wire carried no 8-bit octet
    body = raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in raw else raw
    assert max(body) < 0x80, "8-bit octets reached a server without 8BITMIME"
    msg = email.message_from_bytes(raw[raw.find(b"From: "):], policy=email.policy.default)
    parts = list(msg.iter_parts())
    assert parts[0]["Content-Transfer-Encoding"] == "quoted-printable"
    # intact (the line end before a boundary belongs to the boundary, RFC 2046 5.1.1)
    assert parts[0].get_content().replace("\r\n", "\n") == TEXT.rstrip("\n")
    assert parts[1].get_content() == bytes([0, 1, 2, 3])  # base64 untouched


def test_deferred_when_conversion_is_off(make_instance, sink):
    port, dump = sink
    a = sender(make_instance, port, disable_mime_output_conversion="yes")
    m = a.wait_log_re(r"to=<r@remote\.test>, .*dsn=(\S+), status=(\w+) \(([^\n]*)\)")
    assert m.group(2) == "deferred" and "8BITMIME" in m.group(3), m.group(0)
    time.sleep(0.5)
    assert not glob.glob(str(dump) + "/*")
