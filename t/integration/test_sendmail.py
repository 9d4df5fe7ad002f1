"""The sendmail interface, as a local user's programs use it: sendmail run
by an unprivileged account hands the message to the setgid postdrop, which
writes maildrop/; pickup moves it into the queue and local delivers it.

Each test looks at what arrived (the Maildir file: Return-Path, Received,
the headers sendmail added or removed) and at the log (pickup's "uid=N
from=<...>" line), and every refused submission is checked for its
sysexits.h code, its one line on stderr, and that nothing was queued.
"""

import os
import pwd
import re
import smtplib
import socket
import stat
import subprocess
import time

import pytest

from postern_instance import wait_until

EX_USAGE, EX_DATAERR, EX_UNAVAILABLE, EX_TEMPFAIL, EX_CONFIG = 64, 65, 69, 75, 78


@pytest.fixture
def inst(make_instance):
    i = make_instance(start=False)
    i.with_commands()
    i.start()
    return i


def addr(user):
    return user.name + "@mx.test.example"


def read_mail(user, n=1):
    paths = user.wait_for(n)
    assert len(paths) == n, paths
    out = []
    for p in paths:
        with open(p, "rb") as f:
            out.append(f.read())
    return out


def headers(data):
    return data.split(b"\n\n", 1)[0].decode()


def nothing_queued(inst):
    """No file in any queue, maildrop/ included (temporary names too)."""
    found = []
    for q in ["maildrop", "incoming", "local", "remote", "deferred", "hold", "corrupt"]:
        found += [q + "/" + n for n in os.listdir(os.path.join(inst.queue, q))]
    return found == []


def one_error_line(r, status, text):
    assert r.returncode == status, (r.returncode, r.stderr)
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1 and text in lines[0], lines


def test_user_submission_is_delivered_with_the_user_as_sender(inst, user, user2):
    uid = pwd.getpwnam(user.name).pw_uid
    r = inst.run_as(user, "sendmail", user2.name,
                    input=b"Subject: from a user\nX-Tag: t1\n\nhello from a user\n")
    assert (r.returncode, r.stderr) == (0, b"")
    data, = read_mail(user2)
    lines = data.split(b"\n")
    assert lines[0] == b"Return-Path: <%s>" % addr(user).encode()
    hdr = headers(data)
    assert re.search(r"\nReceived: by mx\.test\.example \(Postern, from userid %d\)\n\tid "
                     r"[0-9A-F]+; " % uid, hdr), hdr
    # As Postfix's cleanup does for local mail: the missing headers are added.
    assert re.search(r"\nMessage-Id: <\d{14}\.\d+\.\d+\.0@mx\.test\.example>\n", hdr), hdr
    assert re.search(r"\nDate: \w{3}, \d+ \w{3} \d{4} ", hdr), hdr
    assert re.search(r"\nFrom: .*<%s>\n" % re.escape(addr(user)), hdr + "\n") or \
        ("\nFrom: %s\n" % addr(user)) in hdr + "\n", hdr
    assert data.endswith(b"\n\nhello from a user\n")
    log = inst.read_log()
    m = re.search(r"postern/pickup\[\d+\]: ([0-9A-F]+): uid=%d from=<%s>" % (uid, re.escape(addr(user))),
                  log)
    assert m, log[-2000:]
    wait_until(lambda: re.search(r"local\[\d+\]: %s: to=<%s>.*status=sent"
                                 % (m.group(1), re.escape(addr(user2))), inst.read_log()),
               what="the delivery's log line")
    inst.wait_queue_empty()
    assert nothing_queued(inst)


def test_sender_option_and_full_name(inst, user, user2):
    uid = pwd.getpwnam(user.name).pw_uid
    r = inst.run_as(user, "sendmail", "-f", "lists@other.example", "-F", "Ann \"The\" User",
                    "-oi", user2.name, input=b"Subject: x\n\nbody\n")
    assert (r.returncode, r.stderr) == (0, b"")
    data, = read_mail(user2)
    assert data.startswith(b"Return-Path: <lists@other.example>\n")
    assert b'\nFrom: "Ann \\"The\\" User" <lists@other.example>\n' in data
    # The sender a user chose is logged with the uid who chose it.
    inst.wait_log("uid=%d from=<lists@other.example>" % uid)


def test_t_takes_to_cc_bcc_and_removes_bcc(inst, user, user2):
    body = ("To: First <%s>\nCc: undisclosed-recipients:;\nBcc: (hidden) %s\n"
            "Subject: bcc test\n\nsecret list\n" % (user.name, user2.name)).encode()
    r = inst.run_as(user, "sendmail", "-t", "-i", input=body)
    assert (r.returncode, r.stderr) == (0, b"")
    for u in (user, user2):
        data, = read_mail(u)
        hdr = headers(data)
        assert "\nTo: First <%s>\n" % user.name in hdr, hdr
        assert "Bcc" not in hdr and "hidden" not in hdr, hdr
    inst.wait_queue_empty()


def test_t_recipients_add_to_command_line_once(inst, user, user2):
    body = ("To: %s, %s\n\nbody\n" % (addr(user), user2.name)).encode()
    r = inst.run_as(user, "sendmail", "-t", user.name, input=body)
    assert r.returncode == 0, r.stderr
    assert len(read_mail(user)) == 1  # on the command line and in To: only once
    assert len(read_mail(user2)) == 1
    inst.wait_queue_empty()


def test_line_ends_dot_and_from_line(inst, user):
    body = b"From someone Mon Jan  1 00:00:00 2024\r\nSubject: crlf\r\nX-Tag: d1\r\n\r\nline\r\n.\r\nafter\r\n"
    r = inst.run_as(user, "sendmail", user.name, input=body)
    assert r.returncode == 0, r.stderr
    data, = read_mail(user)
    assert b"\r" not in data
    assert data.endswith(b"\n\nline\n")  # the "." line ended it
    assert b"From someone" not in data
    r = inst.run_as(user, "sendmail", "-i", user.name, input=b"Subject: i\n\nline\n.\nafter")
    assert r.returncode == 0, r.stderr
    data = [d for d in read_mail(user, 2) if b"Subject: i\n" in d][0]
    assert data.endswith(b"\n\nline\n.\nafter\n")


def test_dsn_options_are_stored(inst, user):
    # No local delivery: the queue file stays for us to read.
    inst.write_master_cf(inst.master_cf[:2] + inst.master_cf[3:])
    inst.postern("reload")
    r = inst.run_as(user, "sendmail", "-N", "success,delay", "-R", "hdrs", "-V", "env-1",
                    user.name, input=b"Subject: dsn\n\nx\n")
    assert r.returncode == 0, r.stderr
    path = wait_until(lambda: [os.path.join(inst.queue, q, n) for q in ("local", "incoming",
                                                                        "deferred")
                               for n in os.listdir(os.path.join(inst.queue, q))
                               if not n.startswith(".")], what="the queue file")[0]
    with open(path, "rb") as f:
        data = f.read()
    assert b"dsn_ret=HDRS" in data and b"dsn_envid=env-1" in data
    # R record: pending, NOTIFY = success|delay (2|8 = 10, the digit ':'), the address.
    assert b"P:" + addr(user).encode() in data


class StdioSMTP(smtplib.SMTP):
    """smtplib over one end of a socketpair whose other end is sendmail -bs."""

    def __init__(self, sock):
        self._sock_given = sock
        super().__init__()

    def _get_socket(self, host, port, timeout):
        return self._sock_given


def test_bs_speaks_smtp(inst, user, user2):
    ours, theirs = socket.socketpair()
    cmd = ["setpriv", "--reuid=" + user.name, "--regid=" + user.name, "--init-groups",
           os.path.join(inst.sbin, "sendmail"), "-C", inst.etc, "-bs"]
    p = subprocess.Popen(cmd, stdin=theirs, stdout=theirs, env=inst.env(), stderr=subprocess.PIPE)
    theirs.close()
    s = StdioSMTP(ours)
    code, banner = s.connect("localhost", 0)
    assert code == 220 and b"mx.test.example" in banner
    code, _ = s.ehlo("client.local")
    assert code == 250 and s.has_extn("size") and s.has_extn("pipelining")
    s.sendmail(addr(user), [addr(user2)], "Subject: via -bs\r\nX-Tag: bs\r\n\r\n..dot\r\nbody\r\n")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        s.sendmail(addr(user), ["not an address"], "Subject: no\r\n\r\nx\r\n")
    s.quit()
    assert p.wait(30) == 0, p.stderr.read()
    data, = read_mail(user2)
    assert data.startswith(b"Return-Path: <%s>\n" % addr(user).encode())
    assert data.endswith(b"\n\n..dot\nbody\n")  # unstuffed once, LF line ends
    assert b"\nMessage-Id: <" in data


def test_snail_sends_through_sendmail(inst, user, user2):
    r = inst.run_as(user, "/usr/bin/s-nail", "-:/", "-Smta=" + os.path.join(inst.sbin, "sendmail"),
                    "-Ssendwait", "-s", "from s-nail", addr(user2), input=b"written in s-nail\n",
                    env={"POSTERN_CONFIG_DIR": inst.etc, "HOME": user.home}, config=False)
    assert r.returncode == 0, r.stderr
    data, = read_mail(user2)
    assert b"\nSubject: from s-nail\n" in data
    assert data.startswith(b"Return-Path: <%s>\n" % addr(user).encode())
    assert data.endswith(b"written in s-nail\n")


# Refused submissions: one line, the code, nothing queued ------------------------

def test_no_recipients(inst, user):
    r = inst.run_as(user, "sendmail", input=b"Subject: x\n\nbody\n")
    one_error_line(r, EX_USAGE, "Recipient addresses must be specified on the command line or via "
                                "the -t option")
    r = inst.run_as(user, "sendmail", "-t", input=b"Subject: x\nTo: undisclosed-recipients:;\n\nb\n")
    one_error_line(r, EX_USAGE, "%s(%d): No recipient addresses found in message header"
                   % (user.name, user.uid))
    assert nothing_queued(inst)


def test_malformed_addresses(inst, user):
    r = inst.run_as(user, "sendmail", "bad@@address", input=b"Subject: x\n\nb\n")
    one_error_line(r, EX_USAGE, "bad recipient address")
    r = inst.run_as(user, "sendmail", "-f", "a@b@c", user.name, input=b"Subject: x\n\nb\n")
    one_error_line(r, EX_USAGE, "-f option specified malformed sender")
    r = inst.run_as(user, "sendmail", "-t", input=b"To: %s\nCc: <broken\n\nb\n" % user.name.encode())
    one_error_line(r, EX_DATAERR, "unable to extract recipients from the Cc: header")
    assert nothing_queued(inst)


def test_message_too_big(make_instance, user):
    inst = make_instance(start=False, main_cf={"message_size_limit": "2000"}).with_commands()
    inst.start()
    r = inst.run_as(user, "sendmail", user.name, input=b"Subject: big\n\n" + b"x" * 3000 + b"\n")
    one_error_line(r, EX_UNAVAILABLE, "message file too big")
    r = inst.run_as(user, "sendmail", user.name, input=b"Subject: fits\n\n" + b"x" * 1000 + b"\n")
    assert r.returncode == 0, r.stderr
    read_mail(user)
    inst.wait_queue_empty()
    assert nothing_queued(inst)


def test_broken_or_unreadable_main_cf(inst, user):
    main_cf = os.path.join(inst.etc, "main.cf")
    with open(main_cf, "a") as f:
        f.write("no_such_parameter = 1\n")
    r = inst.run_as(user, "sendmail", user.name, input=b"Subject: x\n\nb\n")
    one_error_line(r, EX_CONFIG, "unknown parameter \"no_such_parameter\"")
    inst.write_main_cf(inst.params)
    os.chmod(main_cf, 0o600)
    r = inst.run_as(user, "sendmail", user.name, input=b"Subject: x\n\nb\n")
    one_error_line(r, EX_CONFIG, "main.cf")
    os.chmod(main_cf, 0o644)
    assert nothing_queued(inst)


def test_postdrop_refuses_a_users_own_configuration(inst, user):
    """A user may point sendmail at any main.cf, but the setgid postdrop reads
    only one that root alone can change."""
    mine = os.path.join(user.home, "cf")
    os.makedirs(mine, exist_ok=True)
    with open(os.path.join(inst.etc, "main.cf")) as f:
        text = f.read()
    with open(os.path.join(mine, "main.cf"), "w") as f:
        f.write(text)
    os.chown(mine, user.uid, user.gid)
    os.chown(os.path.join(mine, "main.cf"), user.uid, user.gid)
    try:
        r = inst.run_as(user, "sendmail", "-C", mine, user.name, input=b"Subject: x\n\nb\n",
                        config=False)
        one_error_line(r, EX_CONFIG, "only a directory that root alone can change is used")
        r = inst.run_as(user, "postern-queue", "-c", mine, "-p", config=False)
        one_error_line(r, EX_CONFIG, "root alone can change")
    finally:
        subprocess.run(["rm", "-rf", mine])
    assert nothing_queued(inst)


def test_full_maildrop_is_a_temporary_failure(make_instance, user):
    from test_disk_full import mount_tmpfs, umount
    inst = make_instance(start=False).with_commands()
    mount_tmpfs(inst.queue, "1m")
    try:
        inst.start()
        filler = os.path.join(inst.queue, "filler")
        subprocess.run(["dd", "if=/dev/zero", "of=" + filler, "bs=64k"], capture_output=True)
        r = inst.run_as(user, "sendmail", user.name, input=b"Subject: x\n\n" + b"y" * 200000)
        one_error_line(r, EX_TEMPFAIL, "No space left on device")
        assert nothing_queued(inst)
        os.unlink(filler)
        r = inst.run_as(user, "sendmail", user.name, input=b"Subject: room again\n\nb\n")
        assert r.returncode == 0, r.stderr
        read_mail(user)
        inst.stop()
    finally:
        umount(inst.queue)


# The queue as users see it -------------------------------------------------------

def test_mailq_and_json_as_a_user(inst, user, user2):
    inst.write_master_cf(inst.master_cf[:2] + inst.master_cf[3:])  # no local: mail stays
    inst.postern("reload")
    r = inst.run_as(user, "sendmail", user2.name, "%s" % user.name, input=b"Subject: q\n\nbody\n")
    assert r.returncode == 0, r.stderr
    inst.wait_log("(queue active)")
    log = inst.read_log()
    qid = re.search(r"([0-9A-F]+): from=<%s>, size=(\d+), nrcpt=2 \(queue active\)"
                    % re.escape(addr(user)), inst.read_log())
    assert qid, log
    qid, size = qid.group(1), int(qid.group(2))
    for argv in (["mailq"], ["sendmail", "-bp"]):
        r = inst.run_as(user, *argv)
        assert (r.returncode, r.stderr) == (0, b""), r.stderr
        out = r.stdout.decode().splitlines()
        assert out[0].split() == ["-Queue", "ID-", "--Size--", "----Arrival", "Time----",
                                  "-Sender/Recipient-------"], out
        m = re.match(r"^(%s)\*?\s+(\d+) \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d  (\S+)$" % qid, out[1])
        assert m and int(m.group(2)) == size and m.group(3) == addr(user), out
        assert sorted(l.strip() for l in out[2:4]) == sorted([addr(user), addr(user2)]), out
        assert out[-1] == "-- 0 Kbytes in 1 Request.", out
    r = inst.run_as(user, "postern-queue", "-j", config=False, env={"POSTERN_CONFIG_DIR": inst.etc})
    assert r.returncode == 0, r.stderr
    import json
    objs = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert len(objs) == 1, objs
    o = objs[0]
    assert o["queue_id"] == qid and o["queue_name"] in ("active", "incoming", "deferred")
    assert o["sender"] == addr(user) and o["message_size"] == size
    assert abs(o["arrival_time"] - time.time()) < 120
    assert o["force_expired"] is False
    assert sorted(x["address"] for x in o["recipients"]) == sorted([addr(user), addr(user2)])


def test_mailq_empty_and_mail_system_down(inst, user):
    r = inst.run_as(user, "mailq")
    assert (r.returncode, r.stdout) == (0, b"Mail queue is empty\n"), r.stderr
    inst.postern("stop")
    inst.started = False
    r = inst.run_as(user, "mailq")
    one_error_line(r, EX_UNAVAILABLE, "Queue report unavailable - mail system is down")
    r = inst.run_as(user, "sendmail", "-q")
    one_error_line(r, EX_UNAVAILABLE, "the mail system is down")
    # Mail can still be submitted: it waits in maildrop/ for pickup.
    r = inst.run_as(user, "sendmail", user.name, input=b"Subject: while down\n\nb\n")
    assert r.returncode == 0, r.stderr
    names = os.listdir(os.path.join(inst.queue, "maildrop"))
    assert len(names) == 1 and not names[0].startswith("."), names
    st = os.stat(os.path.join(inst.queue, "maildrop", names[0]))
    assert st.st_uid == user.uid and stat.S_IMODE(st.st_mode) == 0o544
    inst.start()
    read_mail(user)


def test_queue_run_and_help(inst, user):
    r = inst.run_as(user, "sendmail", "-q")
    assert (r.returncode, r.stderr) == (0, b"")
    for name, args in (("sendmail", ["--help"]), ("postern-queue", ["--help"])):
        r = inst.run_as(user, name, *args, config=False)
        assert r.returncode == 0 and b"usage:" in r.stdout, r
    r = inst.run_as(user, "postern-queue", "-x", config=False)
    assert r.returncode == EX_USAGE and b"usage:" in r.stderr


def test_newaliases(inst):
    aliases = os.path.join(inst.etc, "aliases")
    with open(aliases, "w") as f:
        f.write("team: root\n")
    inst.params["alias_database"] = "hash:" + aliases
    inst.write_main_cf(inst.params)
    for argv in (["newaliases"], ["sendmail", "-bi"]):
        if os.path.exists(aliases + ".db"):
            os.unlink(aliases + ".db")
        r = inst.run_as(None, *argv)
        assert (r.returncode, r.stderr) == (0, b""), r.stderr
        assert os.path.exists(aliases + ".db")
    r = inst.command("postern-map", "-q", "team", "hash:" + aliases)
    assert r.stdout == "root\n"


# maildrop/ is hostile input ---------------------------------------------------------

def test_malformed_maildrop_file_goes_to_corrupt(inst, user):
    maildrop = os.path.join(inst.queue, "maildrop")
    bad = os.path.join(maildrop, "ABCDE12345")
    with open(bad, "wb") as f:
        f.write(b"V\x00\x00\x00\x0fpostern-queue 1garbage")
    os.chown(bad, user.uid, -1)
    os.chmod(bad, 0o544)
    weird = os.path.join(maildrop, "not-an-id")
    with open(weird, "wb") as f:
        f.write(b"hello")
    r = inst.run_as(user, "sendmail", "-q")  # wakes pickup
    assert r.returncode == 0, r.stderr
    inst.wait_log("; moved to corrupt/ABCDE12345")
    log = inst.read_log()
    assert re.search(r"warning: maildrop/ABCDE12345: uid=%d: [^;]+; moved to corrupt/ABCDE12345"
                     % user.uid, log), log[-2000:]
    inst.wait_log("maildrop/not-an-id: not a maildrop file name; moved to corrupt/not-an-id")
    assert sorted(os.listdir(os.path.join(inst.queue, "corrupt"))) == ["ABCDE12345", "not-an-id"]
    assert os.listdir(maildrop) == []


def test_forged_maildrop_file_goes_to_corrupt(inst, user, user2):
    """A well-formed file that breaks maildrop's rules: the uid record names
    someone other than the file's owner."""
    import struct

    def rec(t, data):
        return t + struct.pack(">I", len(data)) + data
    content = b"Subject: forged\n\nx\n"
    data = (rec(b"V", b"postern-queue 1") + rec(b"T", b"1700000000 1") + rec(b"A", b"uid=0") +
            rec(b"F", b"root@mx.test.example") + rec(b"R", b"P0" + addr(user2).encode()) +
            rec(b"M", content) + rec(b"E", b""))
    path = os.path.join(inst.queue, "maildrop", "ABCDE99999")
    with open(path, "wb") as f:
        f.write(data)
    os.chown(path, user.uid, -1)
    os.chmod(path, 0o544)
    inst.run_as(user, "sendmail", "-q")
    inst.wait_log("uid record does not match the file's owner; moved to corrupt/ABCDE99999")
    assert os.listdir(os.path.join(inst.queue, "maildrop")) == []
    assert user2.messages() == []
