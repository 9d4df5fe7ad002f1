"""No message is lost or delivered twice when daemons die at any moment.

Messages are sent from several clients while qmgr or local is killed with
SIGKILL again and again; master restarts them, and in the end every
message must be in the Maildir exactly once and the queue must be empty.
"""

import os
import re
import signal
import smtplib
import threading
import time

from postern_instance import wait_until


def send_many(instance, rcpt, tag, n, clients):
    """Send n messages from `clients` threads; return the tags that got a 250."""
    accepted = []
    lock = threading.Lock()

    def worker(k):
        for i in range(k, n, clients):
            body = "Subject: %s-%d\r\nX-Tag: %s-%d\r\n\r\nmessage %d\r\n" % (tag, i, tag, i, i)
            for attempt in range(50):
                try:
                    with smtplib.SMTP(instance.addr, instance.port, timeout=30) as s:
                        s.sendmail("sender@client.test", [rcpt], body)
                    with lock:
                        accepted.append("%s-%d" % (tag, i))
                    break
                except (smtplib.SMTPException, OSError):
                    time.sleep(0.05)  # the client keeps the message and retries

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    return threads, accepted


def killer(instance, program, stop, kills):
    while not stop.is_set():
        for pid in instance.daemon_pids(program):
            try:
                os.kill(pid, signal.SIGKILL)
                kills.append(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.15)


def run_with_killer(instance, user, program, n=150, clients=5):
    stop = threading.Event()
    kills = []
    k = threading.Thread(target=killer, args=(instance, program, stop, kills))
    k.start()
    threads, accepted = send_many(instance, user.name + "@test.example", program, n, clients)
    for t in threads:
        t.join()
    time.sleep(0.5)
    stop.set()
    k.join()
    assert kills, "the test never managed to kill %s" % program
    # Master restarts the daemon (with back-off); everything must arrive.
    wait_until(lambda: len(user.messages()) >= len(accepted), 120,
               what="%d deliveries after killing %s %d times" % (len(accepted), program,
                                                                 len(kills)))
    instance.wait_queue_empty(60)
    time.sleep(1)  # a late duplicate would show up now
    tags = user.tags()
    dups = sorted(t for t in set(tags) if tags.count(t) > 1)
    assert not dups, "delivered more than once: %s" % dups
    assert sorted(tags) == sorted(accepted), "lost: %s" % sorted(set(accepted) - set(tags))
    assert len(accepted) == n
    log = instance.read_log()
    assert "killed by signal 9" in log
    return kills


def test_kill_qmgr_repeatedly(instance, user):
    run_with_killer(instance, user, "qmgr")


def test_kill_local_repeatedly(instance, user):
    run_with_killer(instance, user, "local")


def test_kill_smtpd_mid_session_keeps_nothing_half_done(instance, user):
    """A session killed before the final dot leaves no message and no litter."""
    import socket
    s = socket.create_connection((instance.addr, instance.port))
    s.recv(512)
    # EHLO on its own: RFC 2920 does not let anything follow it in one write.
    s.sendall(b"EHLO client.test\r\n")
    wait_until(lambda: b"250 " in s.recv(4096), 10, what="EHLO reply")
    s.sendall(b"MAIL FROM:<a@client.test>\r\nRCPT TO:<%s@test.example>\r\n"
              b"DATA\r\n" % user.name.encode())
    wait_until(lambda: b"354" in s.recv(4096), 10, what="354")
    s.sendall(b"Subject: half\r\n\r\nhalf a message")
    pids = wait_until(lambda: instance.daemon_pids("smtpd"), 5, what="smtpd")
    for pid in pids:  # one of them holds our session
        os.kill(pid, signal.SIGKILL)
    s.close()
    instance.wait_log("pid %d killed by signal 9" % pids[-1])
    time.sleep(1.5)
    assert user.messages() == []
    assert [f for f in instance.queue_files() if not f.startswith("incoming/.")] == []


def test_restart_recovers_queued_mail(make_instance, user):
    """Mail accepted while delivery is impossible is delivered after a restart."""
    inst = make_instance()
    # Take local away: mail is accepted, then deferred.
    inst.write_master_cf(inst.master_cf[:2])
    inst.postern("reload")
    time.sleep(0.5)
    with smtplib.SMTP(inst.addr, inst.port) as s:
        s.sendmail("a@client.test", [user.name + "@test.example"],
                   "Subject: later\r\nX-Tag: later-1\r\n\r\nlater\r\n")
    inst.wait_log("status=deferred (mail transport unavailable)")
    assert user.messages() == []
    assert [f for f in inst.queue_files() if f.startswith("deferred/")]
    # Stop everything, bring local back, start again: the mail arrives.
    inst.postern("stop")
    inst.write_master_cf(inst.master_cf)
    inst.postern("start")
    user.wait_for(1)
    inst.wait_queue_empty()
    assert user.tags() == ["later-1"]
