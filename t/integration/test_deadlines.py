"""No wait is without end.  Each test makes one party stop answering and
checks that the waiting one gives up with a log line, and that the message
is deferred and delivered later rather than stuck:

  - local waits for a queue-file lock at most deliver_lock_attempts x
    deliver_lock_delay;
  - qmgr waits for an agent's greeting at most ipc_timeout, and for its
    reply at most daemon_timeout (t/integration/fake_agent.py plays the
    agent that never greets, or never replies).
"""

import fcntl
import os
import smtplib

from postern_instance import wait_until


def send(inst, user, tag="x"):
    with smtplib.SMTP(inst.addr, inst.port, timeout=30) as s:
        s.sendmail("a@client.test", [user.name + "@test.example"],
                   "Subject: %s\r\nX-Tag: %s\r\n\r\nbody\r\n" % (tag, tag))


def with_fake_agent(make_instance, mode, qmgr_opts):
    """An instance whose local transport is the fake agent in this mode."""
    inst = make_instance(start=False)
    inst.with_fake_agent()
    inst.master_cf = [
        inst.master_cf[0],
        "qmgr unix n - n 300 1 qmgr " + qmgr_opts,
        "local unix - n n - 1 fake_agent " + mode,
    ]
    inst.real_local = "local unix - n n - - local"
    inst.write_master_cf(inst.master_cf)
    inst.start()
    return inst


def real_local_back(inst):
    inst.master_cf[2] = inst.real_local
    inst.write_master_cf(inst.master_cf)
    inst.postern("reload")


def test_agent_that_never_greets(make_instance, user):
    inst = with_fake_agent(make_instance, "silent", "-o ipc_timeout=2")
    send(inst, user)
    inst.wait_log("transport local: no greeting from the delivery agent within 2 s")
    inst.wait_log("status=deferred (delivery agent did not answer)")
    wait_until(lambda: inst.queue_files("deferred"), 10, what="the message in deferred/")
    real_local_back(inst)
    user.wait_for(1)
    inst.wait_queue_empty()


def test_agent_that_never_replies(make_instance, user):
    inst = with_fake_agent(make_instance, "stuck", "-o daemon_timeout=2")
    send(inst, user)
    inst.wait_log("transport local: no reply from the delivery agent within 2 s")
    inst.wait_log("status=deferred (delivery agent did not reply in time)")
    real_local_back(inst)
    user.wait_for(1)
    inst.wait_queue_empty()
    assert len(user.messages()) == 1


def test_local_gives_up_on_a_held_lock(make_instance, user):
    """Another delivery holds the queue file's lock and never lets go: local
    defers after deliver_lock_attempts x deliver_lock_delay, and a retry
    after the lock is free delivers."""
    inst = make_instance(start=False, main_cf={"deliver_lock_attempts": "2",
                                               "deliver_lock_delay": "1s"})
    inst.write_master_cf(inst.master_cf[:2])
    inst.start()
    send(inst, user)
    qid = os.path.basename(wait_until(lambda: inst.queue_files("deferred"), 10,
                                      what="a deferred message")[0])
    lock = open(os.path.join(inst.queue, "deferred", qid))
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        inst.write_master_cf(inst.master_cf)
        inst.postern("reload")
        inst.wait_log("%s: queue file is locked by another delivery" % qid)
        inst.wait_log("status=deferred (queue file is locked by another delivery)")
        assert user.messages() == []
    finally:
        lock.close()
    user.wait_for(1)
    inst.wait_queue_empty()
