"""Each daemon runs with the least privilege it needs (checked in /proc)."""

import os
import pwd
import smtplib
import socket
import stat

from postern_instance import wait_until


def ids(pid):
    """(uids, gids, groups) from /proc/PID/status."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.split()
    return ([int(x) for x in out["Uid"]], [int(x) for x in out["Gid"]],
            [int(x) for x in out["Groups"]])


def test_daemons_run_as_postern(instance, user):
    postern = pwd.getpwnam("postern")
    # Hold a session open so that an smtpd exists, and deliver one message
    # so that local exists too.
    with smtplib.SMTP(instance.addr, instance.port) as s:
        s.sendmail("a@client.test", [user.name + "@test.example"], "Subject: p\r\n\r\np\r\n")
        user.wait_for(1)
        for program in ("smtpd", "qmgr"):
            pids = wait_until(lambda: instance.daemon_pids(program), 10, what=program)
            for pid in pids:
                uids, gids, groups = ids(pid)
                assert uids == [postern.pw_uid] * 4, (program, uids)
                assert gids == [postern.pw_gid] * 4, (program, gids)
                assert groups == [postern.pw_gid], (program, groups)
    # local stays root (it becomes each recipient per delivery) but idles as root.
    for pid in instance.daemon_pids("local"):
        uids, gids, _ = ids(pid)
        assert uids[0] == 0 and uids[1] == 0, uids
    # master is root and owns the listening socket.
    uids, _, _ = ids(instance.master_pid())
    assert uids == [0, 0, 0, 0]


def test_queue_and_sockets_belong_to_postern(instance, user):
    postern = pwd.getpwnam("postern")
    for d in ("incoming", "local", "remote", "deferred", "hold", "corrupt", "private"):
        st = os.stat(os.path.join(instance.queue, d))
        assert st.st_uid == postern.pw_uid and stat.S_IMODE(st.st_mode) == 0o700, d
    st = os.stat(os.path.join(instance.queue, "private", "local"))
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_uid == postern.pw_uid
    # A queue file written by smtpd is postern's and private.
    with socket.create_connection((instance.addr, instance.port)) as c:
        c.recv(512)
        # One command at a time: after HELO (no PIPELINING) RFC 2920 allows no more.
        for cmd, want in ((b"HELO c", b"250"), (b"MAIL FROM:<a@client.test>", b"250"),
                          (b"RCPT TO:<%s@test.example>" % user.name.encode(), b"250"),
                          (b"DATA", b"354")):
            c.sendall(cmd + b"\r\n")
            wait_until(lambda: want in c.recv(4096), 10, what=want.decode())
        c.sendall(b"Subject: x\r\n\r\n")
        tmp = wait_until(lambda: [f for f in os.listdir(os.path.join(instance.queue, "incoming"))
                                  if f.startswith(".")], 10, what="a file being written")
        st = os.stat(os.path.join(instance.queue, "incoming", tmp[0]))
        assert st.st_uid == postern.pw_uid and stat.S_IMODE(st.st_mode) == 0o600
        c.sendall(b".\r\nQUIT\r\n")
    user.wait_for(1)


def test_mail_for_root_owned_paths_is_not_written_as_root(make_instance, user):
    """local writes as the recipient: a Maildir the user cannot write is refused."""
    inst = make_instance()
    os.makedirs(user.maildir, exist_ok=True)
    os.chown(user.maildir, 0, 0)
    os.chmod(user.maildir, 0o755)
    with smtplib.SMTP(inst.addr, inst.port) as s:
        s.sendmail("a@client.test", [user.name + "@test.example"], "Subject: x\r\n\r\nx\r\n")
    inst.wait_log("status=deferred (maildir delivery failed")
    assert os.listdir(user.maildir) == []
    assert "Permission denied" in inst.read_log()
