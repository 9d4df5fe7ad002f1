"""Crash-point testing: one run of the suite per durable step of the queue.

lib/global/crash_point.h lists every point where a message's state on disk
changes (a write, fsync, link, rename, unlink, status byte or reply).  For
each one, an instance is started with POSTERN_CRASH_POINT naming it; the
first daemon to reach it dies as if killed with SIGKILL, master restarts
it, and the same mail is sent by a client that retries as real clients do.
Once the queue has settled, SPEC.md section 6 must hold:

  - every message that got 250 is delivered exactly once to each
    recipient, or is still queued (here: held, for the one recipient that
    always defers and expires);
  - an attempt that got no 250 is delivered at most once (the reply window
    every MTA has: the client sends it again);
  - no inode has two queue names, nothing in spare/ is also queued, and
    corrupt/ is empty; what is left in incoming/ was never acknowledged;
  - and the crash really happened at that point.

One message goes in through sendmail, run by a test account, so that the
points of postdrop (maildrop/) and pickup (into incoming/) are reached too;
for it "250" is sendmail's exit status 0, and it is sent again until it
gets one.

Remote recipients go to t/integration/fake_agent.py in "sink" mode as the
smtp transport, so that messages with local and remote recipients, and
deferrals, take the same paths as they will with the real smtp client.

Local mail goes to Maildirs, except for the mbox points ("mbox-*"): there
home_mailbox is empty and it goes to mbox files in a spool directory of the
instance, so that those points are reached (home_mailbox is one setting for
every user, and the other points need no second run).
"""

import grp
import mailbox
import os
import re
import smtplib
import stat
import socket
import subprocess
import threading
import time

import pytest

from postern_instance import BIN_DIR, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = os.path.join(HERE, "..", "..", "lib", "global", "crash_point.h")


def crash_points():
    with open(HEADER) as f:
        return re.findall(r'X\(\w+, "([a-z-]+)"\)', f.read())


def test_the_list_is_read():
    points = crash_points()
    assert len(points) >= 20 and len(set(points)) == len(points), points


def use_mbox(inst):
    """mbox files in a spool directory of the instance, made like Debian's."""
    inst.spool = os.path.join(inst.dir, "mail")
    os.makedirs(inst.spool)
    os.chown(inst.spool, 0, grp.getgrnam("mail").gr_gid)
    os.chmod(inst.spool, 0o2775)
    inst.params.update({
        "home_mailbox": "",
        "mail_spool_directory": inst.spool,
        # A local killed while it held the mailbox's dotlock leaves it
        # behind; it is broken once older than this (500s by default).
        "stale_lock_time": "2s",
    })
    inst.write_main_cf(inst.params)


def tags(inst, user):
    """The X-Tag of every message delivered to user, from Maildir or mbox."""
    if inst.spool is None:
        return user.tags()
    path = os.path.join(inst.spool, user.name)
    if not os.path.exists(path):
        return []
    box = mailbox.mbox(path, create=False)
    try:
        return [box.get_message(k)["X-Tag"] for k in box.keys()]
    finally:
        box.close()


def vbox_tags(inst):
    """The X-Tag of every message in the virtual mailbox box@v.test."""
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(inst.vbase, "v.test", "box", sub)
        for n in os.listdir(d) if os.path.isdir(d) else []:
            with open(os.path.join(d, n), "rb") as f:
                m = re.search(rb"\nX-Tag: (\S+)\n", f.read())
            out.append(m.group(1).decode())
    return out


def make(make_instance, point, member, vowner):
    inst = make_instance(start=False, main_cf={
        "relay_domains": "remote.test",
        "maximal_queue_lifetime": "3s",
        "minimal_backoff_time": "1s",
        "maximal_backoff_time": "1s",
    })
    inst.spool = None
    if point.startswith("mbox-"):
        use_mbox(inst)
    inst.with_fake_agent()
    # An alias with a member in another domain: the copy for it is forwarded
    # in a new queue file (local_resubmit.c).
    aliases = os.path.join(inst.etc, "aliases")
    with open(aliases, "w") as f:
        f.write("fwd: %s, far@remote.test\n" % member)
    r = subprocess.run([os.path.join(BIN_DIR, "postern-map"), "-c", inst.etc, "-a", aliases],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    inst.params["alias_maps"] = "hash:" + aliases
    # A virtual mailbox, delivered by the "virtual" service (local's program).
    inst.vbase = os.path.join(inst.dir, "vmail")
    os.mkdir(inst.vbase, 0o700)
    os.chown(inst.vbase, vowner.uid, vowner.gid)
    inst.params.update({
        "virtual_mailbox_domains": "v.test",
        "virtual_mailbox_maps": "inline:{box@v.test=v.test/box/}",
        "virtual_mailbox_base": inst.vbase,
        "virtual_uid_maps": "static:%d" % vowner.uid,
        "virtual_gid_maps": "static:%d" % vowner.gid,
    })
    inst.write_main_cf(inst.params)
    inst.master_cf.append("smtp unix - - n - - fake_agent sink")
    inst.write_master_cf(inst.master_cf)
    crash_dir = os.path.join(inst.dir, "crash")
    os.makedirs(crash_dir)
    os.chmod(crash_dir, 0o1777)
    inst.sink_log = os.path.join(inst.dir, "sink.log")
    open(inst.sink_log, "w").close()
    inst.extra_env = {"POSTERN_CRASH_POINT": point, "POSTERN_CRASH_DIR": crash_dir,
                      "POSTERN_SINK_LOG": inst.sink_log}
    inst.crash_dir = crash_dir
    inst.sendmail_stderr = ""  # postdrop, a user's command, reports there and not in the log
    inst.with_commands()
    inst.start()
    return inst


def send(inst, i, rcpts):
    """Send message i until it gets 250; returns (attempts, tag of the 250, queue ID)."""
    attempts = []
    deadline = time.time() + 60
    while time.time() < deadline:
        tag = "m%d-a%d" % (i, len(attempts))
        attempts.append(tag)
        body = "Subject: %s\r\nX-Tag: %s\r\n\r\nmessage %d\r\n" % (tag, tag, i)
        try:
            with smtplib.SMTP(inst.addr, inst.port, timeout=20) as s:
                s.ehlo("client.test")
                s.mail("sender@client.test")
                for r in rcpts:
                    s.rcpt(r)
                if i == 0:
                    # BDAT (smtpd_bdat.c) commits through the queue-file writer
                    # DATA uses: the first message meets smtpd's points that way
                    raw = body.encode()
                    s.send(b"BDAT %d LAST\r\n" % len(raw) + raw)
                    code, text = s.getreply()
                else:
                    code, text = s.data(body)
            if code == 250:
                return attempts, tag, text.decode().rsplit(" ", 1)[1]
        except (smtplib.SMTPException, OSError):
            pass
        time.sleep(0.2)  # the client keeps the message and tries again
    raise AssertionError("message %d never accepted" % i)


def send_sendmail(inst, sender, i, rcpts):
    """As send(), through sendmail: again until it exits 0 (the queue ID is pickup's)."""
    attempts = []
    deadline = time.time() + 60
    while time.time() < deadline:
        tag = "m%d-a%d" % (i, len(attempts))
        attempts.append(tag)
        body = "Subject: %s\nX-Tag: %s\n\nmessage %d\n" % (tag, tag, i)
        r = inst.run_as(sender, "sendmail", *rcpts, input=body.encode())
        inst.sendmail_stderr += r.stderr.decode(errors="replace")
        if r.returncode == 0:
            return attempts, tag, None
        time.sleep(0.2)
    raise AssertionError("message %d never accepted by sendmail" % i)


def pickup_copy(path):
    """Is this an unready copy that pickup has yet to hand over (pickup.h)?"""
    try:
        with open(path, "rb") as f:
            return b"pickup_from=" in f.read()
    except OSError:
        return False


def settled(inst):
    """Nothing left to do: only held files, and unacknowledged ones in incoming/
    and maildrop/ (an unready maildrop file is taken only a minute later)."""
    for name in os.listdir(os.path.join(inst.queue, "maildrop")):
        if not name.startswith(".") and \
                os.lstat(os.path.join(inst.queue, "maildrop", name)).st_mode & stat.S_IXUSR:
            return False
    for f in inst.queue_files():
        q, name = f.split("/")
        if name.startswith(".") or q == "hold":
            continue
        path = os.path.join(inst.queue, f)
        if q == "incoming" and not os.lstat(path).st_mode & stat.S_IXUSR and not pickup_copy(path):
            continue
        return False
    return True


@pytest.mark.parametrize("point", [p for p in crash_points() if not p.startswith("smtp-")])
def test_crash_point(make_instance, user, user2, point):
    inst = make(make_instance, point, user2.name, user2)
    a, b = user.name + "@test.example", user2.name + "@test.example"
    plan = [
        [a],
        [a, b],
        [a, "r1@remote.test"],
        [a, "defer1@remote.test"],  # its remote recipient defers, expires and is held
        [b],
        [a, b, "r2@remote.test"],
        ["fwd@test.example"],  # the alias: b, and far@remote.test in a forwarded copy
        [a, "box@v.test"],  # a virtual mailbox
        ["sendmail", a],  # through sendmail, postdrop and pickup
    ]
    sent = []
    for i, rcpts in enumerate(plan):
        if rcpts[0] == "sendmail":
            rcpts = rcpts[1:]
            sent.append((rcpts,) + send_sendmail(inst, user, i, rcpts))
        else:
            sent.append((rcpts,) + send(inst, i, rcpts))
        time.sleep(0.2)
    wait_until(lambda: settled(inst), 60, what="the queue to settle after a crash at " + point)
    time.sleep(1)  # a late duplicate would show up now

    assert os.path.exists(os.path.join(inst.crash_dir, "fired")), "never reached " + point
    log = inst.read_log()
    if point.startswith("postdrop-"):
        assert "crash point %s: dying as if killed" % point in inst.sendmail_stderr
        assert "postdrop was killed by signal 9" in inst.sendmail_stderr
    else:
        assert "crash point %s: dying as if killed" % point in log
        assert "killed by signal 9" in log

    delivered = {user.name: tags(inst, user), user2.name: tags(inst, user2)}
    with open(inst.sink_log) as f:
        sunk = [tuple(line.split()) for line in f]
    acked = {qid for _, _, _, qid in sent if qid}
    for rcpts, attempts, good, qid in sent:
        for r in rcpts:
            local, domain = r.split("@")
            if domain == "v.test":
                got = vbox_tags(inst)
                assert got.count(good) == 1, "%s got %s %d times" % (r, good, got.count(good))
                continue
            if domain == "remote.test":
                if not local.startswith("defer"):
                    assert sunk.count((qid, r)) == 1, "%s of %s: %s" % (r, good, sunk)
                continue
            if local == "fwd":
                far = [q for q, addr in sunk if addr == "far@remote.test"]
                assert len(far) == 1 and far[0] != qid, "the forwarded copy: %s" % sunk
                local = user2.name
            got = delivered[local]
            assert got.count(good) == 1, "%s got %s %d times" % (r, good, got.count(good))
            for t in attempts:
                assert got.count(t) <= 1, "%s got %s twice" % (r, t)
    for qid, r in sunk:
        assert sunk.count((qid, r)) == 1, "remote delivery repeated: %s %s" % (qid, r)
    # The held message is the one with the expired recipient.
    held = sorted(os.listdir(os.path.join(inst.queue, "hold")))
    assert held == [sent[3][3]], "hold/ has %s" % held
    # Anything left in incoming/ was never acknowledged, and no forwarded copy
    # waits there: it would go out a minute later, a second time.
    for name in os.listdir(os.path.join(inst.queue, "incoming")):
        assert name.startswith(".") or name not in acked, "acknowledged %s left in incoming/" % name
        if not name.startswith("."):
            with open(os.path.join(inst.queue, "incoming", name), "rb") as f:
                assert b"forwarded_from=" not in f.read(), "a forwarded copy left: " + name
    inst.check_queue_invariants()


class Sink:
    """A remote SMTP server for the real smtp client: takes every message and
    records (recipient, X-Tag) for each recipient of each one it took."""

    def __init__(self):
        self.got = []
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.7", 0))
        self.srv.listen(16)
        self.port = self.srv.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self.session, args=(conn,), daemon=True).start()

    def session(self, conn):
        f = conn.makefile("rb")
        rcpts, out = [], conn.sendall
        out(b"220 sink.test ESMTP\r\n")
        for line in f:
            cmd = line.decode(errors="replace").strip().upper()
            if cmd.startswith(("EHLO", "HELO")):
                out(b"250 sink.test\r\n")
            elif cmd.startswith("MAIL"):
                rcpts = []
                out(b"250 2.1.0 Ok\r\n")
            elif cmd.startswith("RCPT"):
                rcpts.append(line.decode().split("<", 1)[1].split(">", 1)[0])
                out(b"250 2.1.5 Ok\r\n")
            elif cmd == "DATA":
                out(b"354 go\r\n")
                tag = None
                for body in f:
                    if body == b".\r\n":
                        break
                    if body.startswith(b"X-Tag: "):
                        tag = body[7:].strip().decode()
                self.got.extend((r, tag) for r in rcpts)
                out(b"250 2.0.0 Ok: queued\r\n")
            elif cmd == "QUIT":
                out(b"221 2.0.0 Bye\r\n")
                break
            else:
                out(b"250 2.0.0 Ok\r\n")
        conn.close()

    def close(self):
        self.srv.close()


@pytest.mark.parametrize("point", [p for p in crash_points() if p.startswith("smtp-")])
def test_smtp_crash_point(make_instance, user, point):
    """The real smtp client dies at its points: what it sent and marked is
    not sent again, what it had not finished is sent after the restart."""
    sink = Sink()
    inst = make_instance(start=False, main_cf={
        "relay_domains": "remote.test",
        "relayhost": "[127.0.0.7]:%d" % sink.port,
        "smtp_tls_security_level": "none",
    })
    inst.master_cf.append("smtp unix - - n - - smtp")
    inst.write_master_cf(inst.master_cf)
    crash_dir = os.path.join(inst.dir, "crash")
    os.makedirs(crash_dir)
    os.chmod(crash_dir, 0o1777)
    inst.extra_env = {"POSTERN_CRASH_POINT": point, "POSTERN_CRASH_DIR": crash_dir}
    inst.start()
    try:
        a = user.name + "@test.example"
        plan = [["r1@remote.test"], [a, "r2@remote.test", "r3@remote.test"], ["r4@remote.test"]]
        sent = [(rcpts,) + send(inst, i, rcpts) for i, rcpts in enumerate(plan, start=1)]
        wait_until(lambda: not [f for f in inst.queue_files() if not f.split("/")[1].startswith(".")],
                   60, what="the queue to empty after a crash at " + point)
        time.sleep(1)  # a late duplicate would show up now
        assert os.path.exists(os.path.join(crash_dir, "fired")), "never reached " + point
        assert "crash point %s: dying as if killed" % point in inst.read_log()
        for rcpts, attempts, good, qid in sent:
            for r in rcpts:
                if r == a:
                    assert user.tags().count(good) == 1
                else:
                    assert sink.got.count((r, good)) == 1, "%s of %s: %s" % (r, good, sink.got)
        inst.check_queue_invariants()
    finally:
        sink.close()
