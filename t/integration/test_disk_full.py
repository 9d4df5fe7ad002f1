"""Running out of disk loses nothing: a full queue makes smtpd answer 452
(the client keeps the message) and leaves no half-written file; a full
mailbox makes local defer (4.2.2) and deliver once there is room again.
The file systems are small tmpfs mounts made for the test (we run as root)."""

import os
import smtplib
import subprocess

import pytest

from postern_instance import wait_until


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", path],
                       capture_output=True, text=True)
    assert r.returncode == 0, "cannot mount a tmpfs for the test: %s" % r.stderr


def umount(path):
    subprocess.run(["umount", "-l", path], capture_output=True)


@pytest.fixture
def small_queue(make_instance):
    inst = make_instance(start=False, main_cf={"message_size_limit": "0"})
    mount_tmpfs(inst.queue, "2m")
    inst.start()
    yield inst
    inst.stop()
    umount(inst.queue)


def test_full_queue_answers_452_and_keeps_nothing_half_done(small_queue, user):
    inst = small_queue
    body = "Subject: big\r\n\r\n" + ("x" * 998 + "\r\n") * 300  # about 300 KB
    accepted, refused = 0, 0
    # Stop delivery so the queue fills up.
    inst.write_master_cf(inst.master_cf[:2])
    inst.postern("reload")
    for i in range(12):
        try:
            with smtplib.SMTP(inst.addr, inst.port, timeout=30) as s:
                s.sendmail("a@client.test", [user.name + "@test.example"], body)
            accepted += 1
        except smtplib.SMTPDataError as e:
            assert e.smtp_code == 452 and e.smtp_error.startswith(b"4.3.1"), e
            refused += 1
    assert accepted >= 1 and refused >= 1, (accepted, refused)
    assert "queue file write error: No space left on device" in inst.read_log()
    # No temporary file survives a refused message.
    assert [f for f in os.listdir(os.path.join(inst.queue, "incoming")) if f.startswith(".")] == []
    # Room again (delivery back): every accepted message arrives, exactly once.
    inst.write_master_cf(inst.master_cf)
    inst.postern("reload")
    user.wait_for(accepted, timeout=60)
    inst.wait_queue_empty(60)
    assert len(user.messages()) == accepted


def test_full_mailbox_defers_then_delivers(make_instance, user):
    inst = make_instance()
    os.makedirs(user.maildir, exist_ok=True)
    mount_tmpfs(user.maildir, "64k")
    try:
        os.chown(user.maildir, user.uid, user.gid)
        os.chmod(user.maildir, 0o700)
        body = "Subject: large\r\n\r\n" + ("y" * 998 + "\r\n") * 100  # about 100 KB
        with smtplib.SMTP(inst.addr, inst.port) as s:
            s.sendmail("a@client.test", [user.name + "@test.example"], body)
        inst.wait_log("dsn=4.2.2, status=deferred (maildir delivery failed")
        assert [f for f in inst.queue_files() if f.startswith("deferred/")]
        assert os.listdir(os.path.join(user.maildir, "tmp")) == []
    finally:
        umount(user.maildir)
    # The mailbox has room again (the real file system): the retry delivers.
    os.chown(user.maildir, user.uid, user.gid)
    user.wait_for(1, timeout=30)
    inst.wait_queue_empty()
    assert len(user.messages()) == 1


def fill_inodes(directory):
    """Create empty files until the file system has no inode left."""
    os.makedirs(directory, exist_ok=True)
    n = 0
    while True:
        try:
            with open(os.path.join(directory, "f%d" % n), "w"):
                pass
        except OSError as e:
            assert e.errno == 28, e  # ENOSPC
            return n
        n += 1


def test_message_that_cannot_be_moved_is_not_stranded(make_instance, user):
    """When the link into deferred/ fails for want of room, qmgr must keep the
    message and try again: forgotten, it would sit in local/ until qmgr
    restarts, since local/ is only scanned at start.  tmpfs counts hard
    links against its inode limit, so a full one refuses link() with ENOSPC."""
    import fcntl
    inst = make_instance(start=False)
    mount_tmpfs(inst.queue, "8m,nr_inodes=400")
    try:
        inst.write_master_cf(inst.master_cf[:2])  # no local: delivery defers at once
        inst.start()
        with smtplib.SMTP(inst.addr, inst.port) as s:
            s.sendmail("a@client.test", [user.name + "@test.example"],
                       "Subject: stuck\r\n\r\nnot lost\r\n")
        qid = os.path.basename(wait_until(
            lambda: [f for f in inst.queue_files("deferred")], 10, what="a deferred message")[0])
        # Hold the file's lock, so that the next delivery waits for us.
        lock = open(os.path.join(inst.queue, "deferred", qid))
        fcntl.flock(lock, fcntl.LOCK_EX)
        # And make that delivery defer: the Maildir is not a directory.
        with open(user.maildir, "w"):
            pass
        inst.write_master_cf(inst.master_cf)
        inst.postern("reload")
        wait_until(lambda: os.path.exists(os.path.join(inst.queue, "local", qid)) and
                   not os.path.exists(os.path.join(inst.queue, "deferred", qid)), 20,
                   what="the retry to reach local/")
        filled = fill_inodes(os.path.join(inst.queue, "filler"))
        assert filled > 0
        lock.close()  # the delivery goes on, defers, and the move to deferred/ fails
        inst.wait_log("%s: link local/ to deferred/: No space left on device" % qid)
        inst.wait_log("%s: queue file not moved; trying again" % qid)
        # Room again, and a mailbox: the message arrives.
        subprocess.run(["rm", "-rf", os.path.join(inst.queue, "filler")], check=True)
        os.unlink(user.maildir)
        user.wait_for(1, timeout=60)
        inst.wait_queue_empty(30)
        assert len(user.messages()) == 1
        inst.check_queue_invariants()
    finally:
        if os.path.isfile(user.maildir):
            os.unlink(user.maildir)
        inst.stop()
        umount(inst.queue)
