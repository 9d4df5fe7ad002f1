"""qmgr's retries: a deferred message waits in deferred/ with its next
attempt time as the file's mtime, is tried again when that time comes, and
is delivered once delivery works again."""

import os
import re
import smtplib
import time

from postern_instance import wait_until


def test_deferred_message_is_retried_with_backoff(make_instance, user):
    inst = make_instance(start=False, main_cf={"minimal_backoff_time": "3s",
                                               "maximal_backoff_time": "3s",
                                               "queue_run_delay": "1s"})
    # No local transport yet: every attempt defers.
    inst.write_master_cf(inst.master_cf[:2])
    inst.start()
    with smtplib.SMTP(inst.addr, inst.port) as s:
        s.sendmail("a@client.test", [user.name + "@test.example"], "Subject: r\r\n\r\nretry\r\n")
    first = time.time()
    inst.wait_log("status=deferred (mail transport unavailable)")
    [name] = wait_until(lambda: [f for f in inst.queue_files("deferred")], 10, what="deferred file")
    qid = os.path.basename(name)
    # The next attempt is the file's mtime: now + minimal_backoff_time.
    due = os.stat(os.path.join(inst.queue, name)).st_mtime
    assert 1.5 <= due - first <= 4.5, due - first

    def attempts():
        return len(re.findall(r"%s: to=<[^>]+>, relay=none, .*status=deferred" % qid,
                              inst.read_log()))
    wait_until(lambda: attempts() >= 2, 15, what="a second attempt")
    assert time.time() - first >= 2.5, "retried before its time"
    assert user.messages() == []
    # Delivery works again: the next retry delivers it, once.
    inst.write_master_cf(inst.master_cf)
    inst.postern("reload")
    user.wait_for(1, timeout=30)
    inst.wait_queue_empty()
    assert len(user.messages()) == 1
    assert "%s: removed" % qid in inst.read_log()


def test_expired_message_is_kept_for_a_bounce(make_instance, user):
    """Past maximal_queue_lifetime the recipients fail; with no bounce service
    yet, the message is kept in hold/ (never lost, never silently dropped)."""
    inst = make_instance(start=False, main_cf={"minimal_backoff_time": "1s",
                                               "maximal_backoff_time": "1s",
                                               "maximal_queue_lifetime": "2s"})
    inst.write_master_cf(inst.master_cf[:2])
    inst.start()
    with smtplib.SMTP(inst.addr, inst.port) as s:
        s.sendmail("a@client.test", [user.name + "@test.example"], "Subject: x\r\n\r\nold\r\n")
    [name] = wait_until(lambda: inst.queue_files("hold"), 20, what="the message in hold/")
    qid = os.path.basename(name)
    log = inst.read_log()
    assert re.search(r"%s: to=<%s@test.example>, relay=none, delay=[0-9.]+, dsn=4\.4\.7, "
                     r"status=expired \(message too old\)" % (qid, user.name), log)
    assert "%s: held:" % qid in log
    assert [f for f in inst.queue_files() if not f.startswith("hold/")] == []
    # The recipient is marked failed in the file itself.
    with open(os.path.join(inst.queue, name), "rb") as f:
        data = f.read()
    assert b"R" + (len(user.name) + len("@test.example") + 2).to_bytes(4, "big") + b"F" in data
