"""Local delivery through aliases, .forward and :include: files, as
Postfix's local(8) does it: every destination type (another address, nested
aliases, a file, a command, an include file, an address of another domain),
the rights commands and files run with, a command that defers and then
succeeds, one that fails, loops, postmaster in any case, and .forward."""

import os
import pwd
import re
import shutil
import smtplib
import stat
import subprocess
import tempfile

import pytest

from postern_instance import BIN_DIR, wait_until


def build_aliases(inst, text, owner=None):
    path = os.path.join(inst.etc, "aliases")
    with open(path, "w") as f:
        f.write(text)
    if owner:
        pw = pwd.getpwnam(owner)
        os.chown(path, pw.pw_uid, pw.pw_gid)
    r = subprocess.run([os.path.join(BIN_DIR, "postern-map"), "-c", inst.etc, "-a", path],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return "hash:" + path


def aliased(make_instance, text, owner=None, **main_cf):
    inst = make_instance(start=False, main_cf=main_cf)
    inst.params["alias_maps"] = build_aliases(inst, text, owner)
    inst.write_main_cf(inst.params)
    inst.start()
    return inst


def send(inst, rcpts, body="Subject: hi\r\n\r\nhello\r\n", sender="a@client.test"):
    with smtplib.SMTP(inst.addr, inst.port, timeout=30) as s:
        return s.sendmail(sender, rcpts, body)


@pytest.fixture
def scratch():
    """A directory that the commands and files of a test may write in."""
    d = tempfile.mkdtemp(prefix="postern-alias-")
    os.chmod(d, 0o1777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_addresses_nested_and_list(make_instance, user, user2):
    inst = aliased(make_instance, "team: %s, inner\ninner: %s\nboth: team\n" % (user.name,
                                                                             user2.name))
    send(inst, ["both@test.example"])
    user.wait_for(1)
    user2.wait_for(1)
    inst.wait_queue_empty()
    log = inst.read_log()
    assert "to=<%s@test.example>, orig_to=<both@test.example>, relay=local" % user.name in log
    assert "to=<%s@test.example>, orig_to=<both@test.example>, relay=local" % user2.name in log
    # Delivered-To names the mailbox's own address.
    assert b"Delivered-To: %s@test.example\n" % user.name.encode() in user.contents()[0]


def test_postmaster_in_any_case(make_instance, user):
    inst = aliased(make_instance, "postmaster: %s\n" % user.name)
    send(inst, ["POSTMASTER@test.example", "PostMaster@mx.test.example"])
    user.wait_for(1)
    inst.wait_queue_empty()
    assert len(user.messages()) == 1  # one mailbox, one copy


def test_postmaster_accepted_without_alias(make_instance):
    """RFC 5321 4.5.1: postmaster is accepted whatever the tables say."""
    inst = make_instance()
    with smtplib.SMTP(inst.addr, inst.port) as s:
        s.ehlo("client.test")
        s.mail("a@client.test")
        assert s.rcpt("PoStMaStEr@test.example")[0] == 250
        assert s.rcpt("nosuchuser@test.example")[0] == 550


def test_alias_loop(make_instance):
    inst = aliased(make_instance, "loop1: loop2\nloop2: loop1\n")
    send(inst, ["loop1@test.example"])
    inst.wait_log("status=bounced (mail forwarding loop for loop1@test.example)")


def test_delivered_to_loop(make_instance, user):
    inst = aliased(make_instance, "fwd: %s\n" % user.name)
    send(inst, ["fwd@test.example"],
         body="Delivered-To: fwd@test.example\r\nSubject: loop\r\n\r\nx\r\n")
    inst.wait_log("status=bounced (mail forwarding loop for fwd@test.example)")
    assert user.messages() == []


def test_file_and_command_as_default_privs(make_instance, scratch):
    """An alias file owned by root: files and commands run as default_privs."""
    out = os.path.join(scratch, "archive")
    cmd_out = os.path.join(scratch, "cmd")
    inst = aliased(make_instance,
                   'archive: %s\nrun: "|id -un > %s; cat >> %s"\n' % (out, cmd_out, cmd_out))
    send(inst, ["archive@test.example", "run@test.example"],
         body="Subject: files\r\n\r\nFrom the start\r\nbody\r\n")
    wait_until(lambda: os.path.exists(out) and os.path.exists(cmd_out), 20, what="both")
    inst.wait_queue_empty()
    text = open(out).read()
    assert text.startswith("From a@client.test ")
    assert "\n>From the start\n" in text  # mbox quoting
    assert os.stat(out).st_uid == pwd.getpwnam("nobody").pw_uid
    got = open(cmd_out).read()
    assert got.startswith("nobody\n")
    assert "Delivered-To: run@test.example\n" in got and "From the start\n" in got


def test_command_as_alias_owner(make_instance, user, scratch):
    out = os.path.join(scratch, "whoami")
    inst = aliased(make_instance, 'me: "|id -un > %s"\n' % out, owner=user.name)
    send(inst, ["me@test.example"])
    wait_until(lambda: os.path.exists(out) and os.path.getsize(out) > 0, 20, what="output")
    assert open(out).read() == user.name + "\n"


def test_command_that_defers_then_succeeds(make_instance, scratch):
    flag = os.path.join(scratch, "flag")
    got = os.path.join(scratch, "got")
    script = os.path.join(scratch, "once.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\nif [ ! -e %s ]; then touch %s; echo not yet; exit 75; fi\n"
                "cat > %s\n" % (flag, flag, got))
    os.chmod(script, 0o755)
    inst = aliased(make_instance, "once: |%s\n" % script)
    send(inst, ["once@test.example"])
    inst.wait_log("dsn=4.3.0, status=deferred (temporary failure. Command output: not yet)")
    wait_until(lambda: os.path.exists(got), 30, what="the retry")
    inst.wait_queue_empty()
    assert "hello" in open(got).read()


def test_command_that_fails(make_instance):
    inst = aliased(make_instance, 'nope: "|echo go away; exit 1"\n')
    send(inst, ["nope@test.example"])
    inst.wait_log('status=bounced (Command died with status 1: "echo go away; exit 1". '
                  'Command output: go away)')
    # Failed recipients are held until the bounce service exists.
    wait_until(lambda: inst.queue_files("hold"), 10, what="the held message")


def test_commands_and_files_can_be_refused(make_instance, scratch):
    inst = aliased(make_instance, "f: %s/x\nc: |true\n" % scratch,
                   allow_mail_to_commands="forward", allow_mail_to_files="forward")
    send(inst, ["f@test.example", "c@test.example"])
    inst.wait_log("status=bounced (mail to file is restricted)")
    inst.wait_log("status=bounced (mail to command is restricted)")
    assert not os.path.exists(os.path.join(scratch, "x"))


def test_include_file(make_instance, user, user2, scratch):
    inc = os.path.join(scratch, "list")
    with open(inc, "w") as f:
        f.write("# the list\n%s\n%s\n" % (user.name, user2.name))
    os.chmod(inc, 0o644)
    inst = aliased(make_instance, "list: :include:%s\n" % inc)
    send(inst, ["list@test.example"])
    user.wait_for(1)
    user2.wait_for(1)
    # A list anyone may write is not trusted.
    os.chmod(inc, 0o666)
    send(inst, ["list@test.example"])
    inst.wait_log("cannot use include file %s: writable by others than its owner" % inc)
    assert len(user.messages()) == 1


def test_forward_to_another_domain(make_instance, user):
    """An alias for another domain: the message goes back into the queue for
    it, once, with a Delivered-To: line for the alias."""
    inst = aliased(make_instance, "out: %s, far@remote.example\n" % user.name,
                   relay_domains="remote.example")
    send(inst, ["out@test.example"])
    user.wait_for(1)
    m = inst.wait_log("status=sent (forwarded as ")
    log = inst.read_log()
    new_id = re.search(r"to=<far@remote.example>, orig_to=<out@test.example>, relay=local, "
                       r"[^\n]*forwarded as ([0-9A-F]+)\)", log).group(1)
    # No smtp transport in this test: the copy waits in deferred/.
    wait_until(lambda: os.path.exists(os.path.join(inst.queue, "deferred", new_id)), 20,
               what="the forwarded copy in deferred/")
    data = open(os.path.join(inst.queue, "deferred", new_id), "rb").read()
    assert b"forwarded_from=" in data and b"Delivered-To: out@test.example\n" in data
    assert b"far@remote.example" in data
    assert len(user.messages()) == 1


def test_dot_forward(make_instance, user, scratch):
    inst = make_instance()
    out = os.path.join(scratch, "vacation")
    fwd = os.path.join(user.home, ".forward")
    try:
        with open(fwd, "w") as f:
            f.write('# keep a copy, and run something\n\\%s\n"|id -un > %s"\n' % (user.name, out))
        os.chown(fwd, user.uid, user.gid)
        os.chmod(fwd, 0o644)
        send(inst, [user.name + "@test.example"])
        user.wait_for(1)
        wait_until(lambda: os.path.exists(out) and os.path.getsize(out) > 0, 20, what="output")
        assert open(out).read() == user.name + "\n"  # as the user
        # A .forward someone else can write is ignored: plain mailbox delivery.
        os.chmod(fwd, 0o666)
        send(inst, [user.name + "@test.example"])
        user.wait_for(2)
        inst.wait_log("%s: writable by others than its owner; not used" % fwd)
    finally:
        os.unlink(fwd)


def test_extension_folder(make_instance, user):
    inst = make_instance(main_cf={"recipient_delimiter": "+", "local_extension_folders": "yes"})
    folder = os.path.join(user.maildir, ".Lists")
    for sub in ("", "/tmp", "/new", "/cur"):
        os.makedirs(folder + sub, exist_ok=True)
    for root, dirs, files in os.walk(user.maildir):
        os.chown(root, user.uid, user.gid)
    send(inst, [user.name + "+Lists@test.example", user.name + "+nofolder@test.example"])
    wait_until(lambda: os.listdir(os.path.join(folder, "new")), 20, what="the folder copy")
    user.wait_for(1)  # the inbox: Maildir/new and cur/, not the folder
    inst.wait_queue_empty()
    assert len(os.listdir(os.path.join(folder, "new"))) == 1
    assert len(user.messages()) == 1
