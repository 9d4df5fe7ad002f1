"""Root never follows a path that an unprivileged user controls.

mail_owner owns most of the queue (private/, public/, local/, ...).  A
compromised mail_owner process could put symlinks, hard links or FIFOs
there; these tests do exactly that, as the attacker would, and check that
no root process writes, connects or reads through them: master's wake-up
connections, local's queue-file opens, and the maillog_file that every
daemon opens as root.
"""

import os
import pwd
import socket
import stat
import subprocess
import tempfile
import threading
import time

from attr_client import ask_agent, deliver_request, queue_file
from postern_instance import BIN_DIR, Instance, wait_until


def owner():
    pw = pwd.getpwnam("postern")
    return pw.pw_uid, pw.pw_gid


def start_fails(inst, text):
    r = inst.postern("start", check=False)
    assert r.returncode != 0, "postern start should fail: %s" % r.stderr
    assert text in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, "want one line: %r" % r.stderr
    assert not os.path.exists(os.path.join(inst.queue, "pid", "master.pid"))


def test_maillog_symlink_refused(make_instance):
    inst = make_instance(start=False)
    target = os.path.join(inst.dir, "precious")
    with open(target, "w") as f:
        f.write("root's file\n")
    os.symlink(target, inst.log)
    start_fails(inst, "maillog_file %s: is a symbolic link" % inst.log)
    r = inst.postern("check", check=False)
    assert r.returncode == 78 and "maillog_file %s: is a symbolic link" % inst.log in r.stderr
    with open(target) as f:
        assert f.read() == "root's file\n"


def test_maillog_in_mail_owner_directory_refused(make_instance):
    """A directory mail_owner can write lets it swap the log for a symlink."""
    d = tempfile.mkdtemp(prefix="postern-log-")
    os.chown(d, *owner())
    os.chmod(d, 0o755)
    try:
        log = os.path.join(d, "maillog")
        inst = make_instance(start=False, main_cf={"maillog_file": log})
        start_fails(inst, "maillog_file %s: its directory is not root's alone" % log)
        assert not os.path.exists(log)
    finally:
        subprocess.run(["rm", "-rf", d])


def test_maillog_hard_link_refused(make_instance):
    inst = make_instance(start=False)
    target = os.path.join(inst.dir, "precious")
    with open(target, "w") as f:
        f.write("x\n")
    os.link(target, inst.log)
    start_fails(inst, "has more than one name")


def test_maillog_owned_by_someone_else_refused(make_instance):
    inst = make_instance(start=False)
    with open(inst.log, "w"):
        pass
    os.chown(inst.log, *owner())
    start_fails(inst, "not owned by root")


def craft_local_request(inst, path, user, make_file):
    """Put something at local/ID (as mail_owner could) and ask local to deliver it."""
    data, offsets = queue_file("attacker@client.test", [user.name + "@test.example"],
                               b"Subject: stolen\n\nroot's secrets\n")
    qid = "ABCDE%X" % os.getpid()
    make_file(os.path.join(inst.queue, "local", qid), data)
    return ask_agent(os.path.join(inst.queue, "private", "local"),
                     deliver_request("local", qid, [(offsets[0], user.name + "@test.example")]),
                     timeout=20), offsets[0]


def test_local_never_reads_a_root_file_through_the_queue(make_instance, user):
    """A queue name that points at a file only root may read (here: a valid
    queue file, root's, mode 0600) must not be delivered: local opens queue
    files with mail_owner's rights."""
    inst = make_instance()

    def root_file(path, data):
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o600)

    results, off = craft_local_request(inst, "local", user, root_file)
    assert results[off][0] == "deferred", results
    time.sleep(0.5)
    assert user.messages() == []
    assert "not delivered" in inst.read_log() or "cannot open queue file" in inst.read_log()


def test_local_refuses_a_fifo_without_hanging(make_instance, user):
    inst = make_instance()

    def fifo(path, data):
        os.mkfifo(path, 0o600)
        os.chown(path, *owner())

    t0 = time.time()
    results, off = craft_local_request(inst, "local", user, fifo)
    assert results[off][0] == "deferred", results
    assert time.time() - t0 < 10
    assert "not a regular file owned by postern" in inst.read_log()


def test_wakeup_does_not_follow_a_symlink(make_instance):
    """master wakes qmgr by connecting to public/qmgr; as root, a symlink
    there would let mail_owner make root connect (and write) anywhere."""
    inst = make_instance(start=False)
    inst.master_cf = [l.replace("n 300 1 qmgr", "n 1 1 qmgr") for l in inst.master_cf]
    inst.write_master_cf(inst.master_cf)
    inst.start()
    secret = tempfile.mkdtemp(prefix="postern-rootonly-")
    os.chmod(secret, 0o700)
    path = os.path.join(secret, "sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(5)
    srv.settimeout(4)
    qsock = os.path.join(inst.queue, "public", "qmgr")
    os.rename(qsock, qsock + ".real")
    os.symlink(path, qsock)
    try:
        got = None
        try:
            conn, _ = srv.accept()
            got = conn.recv(100)
        except socket.timeout:
            pass
        assert got is None, "root followed mail_owner's symlink and sent %r" % got
        wait_until(lambda: "wakeup public/qmgr: Permission denied" in inst.read_log(), 10,
                   what="the refused wake-up in the log")
    finally:
        srv.close()
        os.unlink(qsock)
        os.rename(qsock + ".real", qsock)
        subprocess.run(["rm", "-rf", secret])
