"""Every name a queue file has is known to qmgr, so a finished file is never
recycled while another name still points at it.

A move between queues links the new name before it removes the old one, so
a crash (of qmgr, or of the machine) can leave one file with two names.
These tests build such states by hand, with qmgr stopped, and check that a
starting qmgr settles them: the message is delivered once, the leftover
name goes, spare/ never holds a file with a second name, and the messages
that reuse recycled files later arrive intact.
"""

import os
import re
import smtplib

from postern_instance import wait_until


def send(inst, rcpt, tag):
    with smtplib.SMTP(inst.addr, inst.port, timeout=30) as s:
        s.sendmail("a@client.test", [rcpt], "Subject: %s\r\nX-Tag: %s\r\n\r\n%s\r\n" %
                   (tag, tag, tag * 50))


def without_qmgr(inst):
    inst.write_master_cf([l for l in inst.master_cf if " qmgr" not in l])
    inst.postern("reload")
    wait_until(lambda: not inst.daemon_pids("qmgr"), 10, what="qmgr to stop")


def with_qmgr(inst):
    inst.write_master_cf(inst.master_cf)
    inst.postern("reload")


def one_incoming(inst):
    return wait_until(lambda: [n for n in os.listdir(os.path.join(inst.queue, "incoming"))
                               if not n.startswith(".")], 10, what="a file in incoming/")[0]


def test_leftover_incoming_name_is_removed_and_never_recycled(make_instance, user):
    """The issue's reproduction: incoming/ID also linked as local/ID, the state
    a SIGKILL of qmgr between link() and unlink() leaves."""
    inst = make_instance()
    rcpt = user.name + "@test.example"
    without_qmgr(inst)
    send(inst, rcpt, "first")
    qid = one_incoming(inst)
    os.link(os.path.join(inst.queue, "incoming", qid), os.path.join(inst.queue, "local", qid))
    with_qmgr(inst)
    user.wait_for(1)
    inst.wait_queue_empty()
    inst.check_queue_invariants()
    # Recycled files carry the next messages, each exactly once and intact.
    for i in range(8):
        send(inst, rcpt, "next%d" % i)
    user.wait_for(9)
    inst.wait_queue_empty()
    assert sorted(user.tags()) == sorted(["first"] + ["next%d" % i for i in range(8)])
    for data in user.contents():
        tag = re.search(rb"\nX-Tag: (\S+)\n", data).group(1)
        assert data.endswith(b"\n\n" + tag * 50 + b"\n"), "content of %s is damaged" % tag
    inst.check_queue_invariants()


def test_leftover_deferred_name(make_instance, user):
    """A message deferred while its local/ name was still there (a crash
    between the link into deferred/ and the unlink)."""
    inst = make_instance()
    without_qmgr(inst)
    send(inst, user.name + "@test.example", "twice")
    qid = one_incoming(inst)
    for q in ("local", "deferred"):
        os.link(os.path.join(inst.queue, "incoming", qid), os.path.join(inst.queue, q, qid))
    os.unlink(os.path.join(inst.queue, "incoming", qid))
    with_qmgr(inst)
    user.wait_for(1)
    inst.wait_queue_empty()
    inst.check_queue_invariants()
    assert sorted(user.tags()) == ["twice"]


def test_interrupted_move_to_hold_is_finished(make_instance, user):
    """hold/ is where a message goes last: a file found in hold/ and in an
    active queue was being held when the crash came, and stays held."""
    inst = make_instance()
    without_qmgr(inst)
    send(inst, user.name + "@test.example", "held")
    qid = one_incoming(inst)
    for q in ("local", "hold"):
        os.link(os.path.join(inst.queue, "incoming", qid), os.path.join(inst.queue, q, qid))
    os.unlink(os.path.join(inst.queue, "incoming", qid))
    with_qmgr(inst)
    inst.wait_log("%s: finishing an interrupted move to hold/" % qid)
    assert inst.queue_files() == ["hold/" + qid]
    inst.check_queue_invariants()
    assert user.messages() == []


def test_shared_spare_file_is_not_reused(make_instance, user):
    """Two names in spare/ for one inode (what the old recycling made): two
    sessions must not both write into it."""
    inst = make_instance()
    rcpt = user.name + "@test.example"
    spare = os.path.join(inst.queue, "spare")
    path = os.path.join(spare, "AAAAA12345")
    with open(path, "w") as f:
        f.write("stale")
    os.chown(path, os.stat(spare).st_uid, os.stat(spare).st_gid)
    os.link(path, os.path.join(spare, "AAAAA12346"))
    for i in range(4):
        send(inst, rcpt, "s%d" % i)
    user.wait_for(4)
    inst.wait_queue_empty()
    assert sorted(user.tags()) == ["s0", "s1", "s2", "s3"]
    assert "spare queue file is shared" in inst.read_log()
    inst.check_queue_invariants()


def test_unready_file_is_left_to_its_writer(make_instance, user):
    """smtpd renames a message into incoming/ before the directory fsync and
    marks it ready only after: if the fsync fails it removes the name again
    and answers 4xx.  So a running qmgr must never take a file that is not
    ready (its safety scan runs every 5 s); a starting one takes it, since
    after a crash the mark may not have reached the disk."""
    import pwd
    import time
    from attr_client import queue_file
    inst = make_instance()
    data, _ = queue_file("a@client.test", [user.name + "@test.example"],
                         b"Subject: unready\nX-Tag: unready\n\nbody\n",
                         arrival=(int(time.time()), 0))
    path = os.path.join(inst.queue, "incoming", "ABCDE%X" % os.getpid())
    with open(path, "wb") as f:
        f.write(data)
    pw = pwd.getpwnam("postern")
    os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(path, 0o600)
    time.sleep(7)
    assert user.messages() == [], "a running qmgr took a file that was not ready"
    assert os.path.exists(path)
    inst.postern("reload")  # a new qmgr starts
    user.wait_for(1)
    inst.wait_queue_empty()
    assert "taking a queue file that was never marked accepted" in inst.read_log()
