"""mbox delivery (lib/global/mbox.h): with an empty home_mailbox (Postfix's
default) mail goes to mail_spool_directory/USER, here a directory of the
instance made like Debian's /var/mail (root:mail, mode 2775); a
home_mailbox that names a file (Mail/inbox) is an mbox in the home.

The file is read back with Python's mailbox module, which splits at From_
lines but does not undo the ">From " quoting, so the tests undo it (mboxrd:
one '>' off every "^>+From " line) and also look at the raw bytes."""

import grp
import mailbox
import os
import re
import shutil
import smtplib
import stat
import subprocess
import threading

import pytest

from postern_instance import wait_until

FROM_LINE_RE = re.compile(rb"From (\S+)  [A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$")
MAIL_GID = grp.getgrnam("mail").gr_gid


def make_spool(path):
    """A spool directory as Debian has /var/mail: root:mail, 2775."""
    os.makedirs(path, exist_ok=True)
    os.chown(path, 0, MAIL_GID)
    os.chmod(path, 0o2775)


@pytest.fixture
def spool_instance(make_instance):
    inst = make_instance(start=False, main_cf={"home_mailbox": ""})
    inst.spool = os.path.join(inst.dir, "mail")
    make_spool(inst.spool)
    inst.params["mail_spool_directory"] = inst.spool
    inst.write_main_cf(inst.params)
    inst.start()
    return inst


def unquote(payload):
    """Undo mboxrd quoting: one '>' off each line that matches ^>+From ."""
    return re.sub(rb"(?m)^>(>*From )", rb"\1", payload)


def read_mbox(path):
    """[(from_line, message bytes after the From_ line, unquoted)] of an mbox."""
    box = mailbox.mbox(path, create=False)
    try:
        return [(box.get_message(k).get_from(), unquote(box.get_bytes(k))) for k in box.keys()]
    finally:
        box.close()


def wait_messages(path, n, timeout=30):
    def count():
        try:
            return len(read_mbox(path)) >= n
        except (FileNotFoundError, mailbox.Error):
            return False
    wait_until(count, timeout, what="%d messages in %s" % (n, path))
    return read_mbox(path)


def send(inst, rcpt, body, sender="alice@client.test"):
    with smtplib.SMTP(inst.addr, inst.port, timeout=30) as s:
        s.ehlo("client.test")
        s.sendmail(sender, [rcpt], body)


def test_spool_mailbox_raw_and_parsed(spool_instance, user):
    inst = spool_instance
    body = ("Subject: mbox one\r\nX-Tag: one\r\n\r\n"
            "From the first line of the body\r\n"
            ">From quoted by the sender\r\n"
            ">>From quoted twice\r\n"
            "From\r\n"
            "Fromage\r\n"
            "last line")
    send(inst, user.name + "@test.example", body)
    send(inst, user.name + "@test.example", "Subject: bounce\r\nX-Tag: two\r\n\r\nfrom <>\r\n",
         sender="")
    path = os.path.join(inst.spool, user.name)
    msgs = wait_messages(path, 2)
    inst.wait_queue_empty()

    # The raw file: From_ lines, our headers, quoting, an empty line after each.
    with open(path, "rb") as f:
        raw = f.read()
    first, rest = raw.split(b"\n", 1)
    m = FROM_LINE_RE.match(first)
    assert m and m.group(1) == b"alice@client.test", first
    assert rest.startswith(b"Return-Path: <alice@client.test>\nDelivered-To: %s@test.example\n"
                           % user.name.encode())
    for line in (b"\n>From the first line of the body\n", b"\n>>From quoted by the sender\n",
                 b"\n>>>From quoted twice\n", b"\nFrom\nFromage\nlast line\n\nFrom "):
        assert line in raw, line
    assert re.search(rb"\nFrom MAILER-DAEMON  [A-Z]", raw)
    assert b"Return-Path: <>\n" in raw
    assert raw.endswith(b"from <>\n\n")
    assert len(re.findall(rb"(?m)^From ", raw)) == 2

    # Parsed: two messages, the body given back exactly once unquoted.
    (f1, m1), (f2, m2) = msgs
    assert f1.startswith("alice@client.test  ") and f2.startswith("MAILER-DAEMON  ")
    assert m1.endswith(b"\n" + body.replace("\r\n", "\n").encode() + b"\n")
    assert b"X-Tag: two\n" in m2

    # The user's, group mail (the directory's), mode 0600, no lock left.
    st = os.lstat(path)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (user.uid, MAIL_GID, 0o600)
    assert not os.path.exists(path + ".lock")
    log = inst.read_log()
    assert log.count("status=sent (delivered to mailbox)") == 2


def test_two_sessions_at_once_none_interleaved(spool_instance, user):
    inst = spool_instance
    n, clients, lines = 20, 2, 200
    errors = []

    def worker(k):
        try:
            with smtplib.SMTP(inst.addr, inst.port, timeout=60) as s:
                for i in range(k, n * clients, clients):
                    text = "".join("message %d line %d\r\n" % (i, j) for j in range(lines))
                    s.sendmail("load@client.test", [user.name + "@test.example"],
                               "Subject: par\r\nX-Tag: %d\r\n\r\n%s" % (i, text))
        except Exception as e:  # noqa: BLE001 - report every failure
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    path = os.path.join(inst.spool, user.name)
    msgs = wait_messages(path, n * clients, timeout=90)
    inst.wait_queue_empty(60)
    tags = []
    for _, data in msgs:
        i = int(re.search(rb"\nX-Tag: (\d+)\n", data).group(1))
        tags.append(i)
        want = b"".join(b"message %d line %d\n" % (i, j) for j in range(lines))
        assert data.endswith(b"\n\n" + want), "message %d is not whole" % i
    assert sorted(tags) == list(range(n * clients))
    assert "status=deferred" not in inst.read_log()


def test_home_mailbox_file(make_instance, user):
    inst = make_instance(main_cf={"home_mailbox": "Mail/inbox"})
    folder = os.path.join(user.home, "Mail")
    try:
        os.makedirs(folder)
        os.chown(folder, user.uid, user.gid)
        os.chmod(folder, 0o700)
        send(inst, user.name + "@test.example", "Subject: home\r\nX-Tag: home\r\n\r\nFrom me\r\n")
        path = os.path.join(folder, "inbox")
        [(_, data)] = wait_messages(path, 1)
        inst.wait_queue_empty()  # the locks go after the data, before the status
        assert data.endswith(b"\n\nFrom me\n")
        st = os.lstat(path)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (user.uid, user.gid, 0o600)
        # The dotlock was made in the user's own folder and removed.
        assert os.listdir(folder) == ["inbox"]
        assert not os.path.exists(user.maildir)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_symlink_is_refused_and_deferred(spool_instance, user):
    inst = spool_instance
    target = os.path.join(inst.dir, "precious")
    with open(target, "w") as f:
        f.write("precious\n")
    os.chown(target, user.uid, user.gid)
    path = os.path.join(inst.spool, user.name)
    os.symlink(target, path)
    send(inst, user.name + "@test.example", "Subject: link\r\n\r\nx\r\n")
    inst.wait_log("is a symbolic link")
    assert "dsn=4.2.0, status=deferred (cannot update mailbox %s" % path in inst.read_log()
    with open(target) as f:
        assert f.read() == "precious\n"
    # Once it is a file of the user's own, the retry delivers.
    os.unlink(path)
    wait_messages(path, 1)


def mount_tmpfs(path, size):
    r = subprocess.run(["mount", "-t", "tmpfs", "-o",
                        "size=%s,mode=2775,uid=0,gid=%d" % (size, MAIL_GID), "tmpfs", path],
                       capture_output=True, text=True)
    assert r.returncode == 0, "cannot mount a tmpfs for the test: %s" % r.stderr


def test_full_mailbox_defers_and_leaves_it_as_it_was(spool_instance, user):
    inst = spool_instance
    path = os.path.join(inst.spool, user.name)
    mount_tmpfs(inst.spool, "64k")
    try:
        send(inst, user.name + "@test.example", "Subject: small\r\nX-Tag: small\r\n\r\nok\r\n")
        wait_messages(path, 1)
        with open(path, "rb") as f:
            before = f.read()
        body = "Subject: large\r\nX-Tag: large\r\n\r\n" + ("y" * 998 + "\r\n") * 100  # 100 KB
        send(inst, user.name + "@test.example", body)
        inst.wait_log("dsn=4.2.2, status=deferred (cannot update mailbox %s" % path)
        wait_until(lambda: [f for f in inst.queue_files() if f.startswith("deferred/")], 10,
                   what="the message in deferred/")
        with open(path, "rb") as f:
            assert f.read() == before
        assert os.listdir(inst.spool) == [user.name]
    finally:
        subprocess.run(["umount", "-l", inst.spool], capture_output=True)
    # The real directory has room: the retry creates the mailbox there.
    [(_, data)] = wait_messages(path, 1)
    assert b"X-Tag: large\n" in data
