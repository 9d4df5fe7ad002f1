"""A real transfer of more than 2 GiB with message_size_limit = 0.

A queue file's content record has a 32-bit length, so "no limit" still
stops at what a queue file can hold.  Such a message used to abort smtpd
(a panic in qfile_content_end() after the whole transfer).  Now it must be
refused with 552 5.3.4 at its end, its temporary file must stop growing at
the limit and be removed, and the session must go on.

The transfer takes about 10 s on a loopback (2 GiB at a few hundred MB/s,
with the sanitizer build); it is the honest test of the real limit, so it
is done for real rather than with a smaller configured cap.
"""

import os
import threading
import time

from smtp_raw import Client, delivered_body, queued_id

CONTENT_MAX = 0x7fffffff         # octets a content record can hold
MIB = 1024 * 1024


def watch_incoming(inst, stop, seen):
    """Record the largest temporary queue file while the message arrives."""
    incoming = os.path.join(inst.queue, "incoming")
    while not stop.is_set():
        for name in os.listdir(incoming):
            try:
                size = os.stat(os.path.join(incoming, name)).st_size
            except FileNotFoundError:
                continue
            seen["max"] = max(seen["max"], size)
        time.sleep(0.05)


def test_message_over_2gib_is_refused_not_a_panic(make_instance, user):
    inst = make_instance(main_cf={"message_size_limit": "0"},
                         dns=["client.test. A 127.0.0.1"], ptr=["127.0.0.1 client.test"])
    rcpt = user.name + "@test.example"
    stop, seen = threading.Event(), {"max": 0}
    watcher = threading.Thread(target=watch_incoming, args=(inst, stop, seen))
    watcher.start()
    try:
        with Client(inst, timeout=300) as c:
            c.ehlo()
            c.mail_to("alice@client.test", [rcpt])
            assert c.cmd("DATA").code == 354
            chunk = (b"y" * 1022 + b"\r\n") * 1024          # 1 MiB of 1 KiB lines
            total = 2048 + 64                                # MiB: well over 2 GiB
            t0 = time.time()
            c.send(b"Subject: huge\r\n\r\n")
            for _ in range(total):
                c.send(chunk)
            c.send(b".\r\n")
            r = c.reply()
            elapsed = time.time() - t0
            print("sent %d MiB in %.1f s" % (total, elapsed))
            assert r is not None and r.line == "552 5.3.4 Error: message file too big", \
                "a %d MiB message with message_size_limit = 0: %r" % (total, r)
            assert inst.queue_files() == [], \
                "the refused message left files: %r" % inst.queue_files()
            # The session goes on, and a small message in it is delivered.
            assert c.cmd("NOOP").code == 250
            c.mail_to("alice@client.test", [rcpt])
            queued_id(c.data(b"Subject: small\r\n\r\nfits\r\n.\r\n"))
            assert c.cmd("QUIT").code == 221
    finally:
        stop.set()
        watcher.join()
    # Writing stopped at the limit: the file never outgrew a content record.
    assert 0 < seen["max"] <= CONTENT_MAX + 65536, \
        "the temporary queue file reached %d octets" % seen["max"]
    user.wait_for(1)
    inst.wait_queue_empty()
    assert [delivered_body(d) for d in user.contents()] == [b"Subject: small\n\nfits\n"]
    log = inst.read_log()
    assert "reject: DATA from client.test[127.0.0.1]: 552 5.3.4 Error: message file too big" in log
    assert "panic" not in log
