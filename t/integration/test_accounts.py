"""postern-account and the auth service: virtual mailbox users kept in step
across the mailbox map (text and .db), the password table and the Maildir;
passwords checked only by the auth service, running as its own user, which
delays every failure and refuses an address after too many.

Checked: add, passwd, del and add again, with every file looked at after
each step; the crash-safe order (a state a crash leaves is finished by
running the command again); check's answers, and wrong and unknown users
looking the same from outside, timing included; the password file out of
mail_owner's reach, and the service's user and its socket; the failure
delay not holding up other clients; the per-address limit; root's
fallback when the service is not running; --help, usage and failures with
one line on stderr and a sysexits code.
"""

import os
import pty
import pwd
import select
import socket
import stat
import subprocess
import termios
import threading
import time
import warnings

import pytest

from accounts import account, accounts_instance, become, ok
from attr_client import attr_int, attr_str, decode, frame, read_frame
from postern_instance import BIN_DIR, wait_until

EX_USAGE, EX_DATAERR, EX_NOUSER, EX_UNAVAILABLE = 64, 65, 67, 69
EX_CANTCREAT, EX_TEMPFAIL, EX_NOPERM, EX_CONFIG = 73, 75, 77, 78


def fails(r, status, text):
    assert r.returncode == status, r
    assert text in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, "want one line: %r" % r.stderr
    return r


def check(inst, address, password, client=None, as_user=None):
    args = ["check"] + (["-a", client] if client else []) + [address]
    return account(inst, *args, input=password + "\n", as_user=as_user)


def crypt_ok(password, hashed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
    return crypt.crypt(password, hashed) == hashed


@pytest.fixture
def accts(make_instance, user):
    return accounts_instance(make_instance, user)


def maildir_is_whole(a, address):
    md = a.maildir(address)
    for d in (md, md + "/cur", md + "/new", md + "/tmp"):
        st = os.lstat(d)
        assert stat.S_ISDIR(st.st_mode), d
        assert stat.S_IMODE(st.st_mode) == 0o700, (d, oct(st.st_mode))
        assert (st.st_uid, st.st_gid) == (a.owner.uid, a.owner.gid), d


def test_add_passwd_del(accts):
    a, inst = accts, accts.inst
    ok(account(inst, "add", "Alice@Corp.Example", input="first secret\n"))
    # the map: text and .db; the password: a yescrypt hash, private; the Maildir: whole
    assert a.map_lines() == ["alice@corp.example corp.example/alice/"]
    assert a.db_value("alice@corp.example") == "corp.example/alice/"
    hashes = a.hashes()
    assert list(hashes) == ["alice@corp.example"]
    assert hashes["alice@corp.example"].startswith("$y$j9T$")
    assert crypt_ok("first secret", hashes["alice@corp.example"])
    assert "first secret" not in open(a.passwd).read()
    a.passwd_is_private()
    maildir_is_whole(a, "alice@corp.example")
    assert not [n for n in os.listdir(os.path.join(a.base, "corp.example")) if n.startswith(".")]
    assert ok(check(inst, "alice@corp.example", "first secret")).stdout == ""

    # passwd: only the hash changes
    map_before = open(a.map).read()
    db_before = os.stat(a.map + ".db").st_ino
    ok(account(inst, "passwd", "alice@corp.example", input="second secret\n"))
    new = a.hashes()["alice@corp.example"]
    assert new != hashes["alice@corp.example"] and crypt_ok("second secret", new)
    a.passwd_is_private()
    assert open(a.map).read() == map_before and os.stat(a.map + ".db").st_ino == db_before
    maildir_is_whole(a, "alice@corp.example")
    time.sleep(1.1)  # the service looks for a replaced table at most once a second
    assert check(inst, "alice@corp.example", "first secret").returncode == 1
    assert check(inst, "alice@corp.example", "second secret").returncode == 0

    # a second user, with a quota in the map for delivery
    ok(account(inst, "add", "-q", "500M", "bob@corp.example", input="bobs\n"))
    assert a.map_lines() == ["alice@corp.example corp.example/alice/",
                             "bob@corp.example corp.example/bob/ quota=500M"]
    assert a.db_value("bob@corp.example") == "corp.example/bob/ quota=500M"
    assert ok(account(inst, "list")).stdout.splitlines() == a.map_lines()

    # del: password and map entry go, mail stays
    with open(os.path.join(a.maildir("alice@corp.example"), "new", "1.kept"), "w") as f:
        f.write("Subject: kept\n\nkept\n")
    ok(account(inst, "del", "alice@corp.example"))
    assert a.map_lines() == ["bob@corp.example corp.example/bob/ quota=500M"]
    assert a.db_value("alice@corp.example") is None
    assert a.db_value("bob@corp.example") == "corp.example/bob/ quota=500M"
    assert list(a.hashes()) == ["bob@corp.example"]
    a.passwd_is_private()
    assert os.path.exists(os.path.join(a.maildir("alice@corp.example"), "new", "1.kept"))
    time.sleep(1.1)
    assert check(inst, "alice@corp.example", "second secret").returncode == 1
    fails(account(inst, "del", "alice@corp.example"), EX_NOUSER, "no such user")

    # add again: the kept Maildir is the mailbox once more
    ok(account(inst, "add", "alice@corp.example", input="third\n"))
    assert os.path.exists(os.path.join(a.maildir("alice@corp.example"), "new", "1.kept"))
    assert a.db_value("alice@corp.example") == "corp.example/alice/"
    time.sleep(1.1)
    assert check(inst, "alice@corp.example", "third").returncode == 0
    inst.wait_log("account: client=local, user=alice@corp.example, status=ok")


def test_what_a_crash_leaves_is_finished_by_running_again(accts):
    """add writes the Maildir, then the map, then the password; del undoes
    the password first.  Every state in between has a mailbox and no login,
    and the same command, run again, completes it."""
    a, inst = accts, accts.inst
    # add stopped after the map text, before its .db and the password
    md = a.maildir("carol@corp.example")
    for d in (os.path.dirname(md), md, md + "/cur"):  # as the owner made them
        os.mkdir(d)
        os.chmod(d, 0o700)
        os.chown(d, a.owner.uid, a.owner.gid)
    with open(a.map, "w") as f:
        f.write("carol@corp.example corp.example/carol/\n")
    # no password table yet: "cannot tell" (75), which is no login either
    assert check(inst, "carol@corp.example", "pw").returncode == EX_TEMPFAIL
    ok(account(inst, "add", "carol@corp.example", input="pw\n"))
    assert a.db_value("carol@corp.example") == "corp.example/carol/"
    maildir_is_whole(a, "carol@corp.example")
    assert list(a.hashes()) == ["carol@corp.example"]
    time.sleep(1.1)
    assert check(inst, "carol@corp.example", "pw").returncode == 0
    # del stopped after the password, before the map
    with open(a.passwd, "w") as f:
        f.write("")
    ok(account(inst, "del", "carol@corp.example"))
    assert a.map_lines() == [] and a.db_value("carol@corp.example") is None
    # a map entry for another mailbox is not taken over
    with open(a.map, "w") as f:
        f.write("dave@corp.example elsewhere/dave/\n")
    fails(account(inst, "add", "dave@corp.example", input="pw\n"), EX_CANTCREAT,
          "is in %s already" % a.map)
    assert not os.path.exists(a.maildir("dave@corp.example"))
    assert a.hashes() == {}
    # ... but passwd gives a user of the map a password
    ok(account(inst, "passwd", "dave@corp.example", input="pw\n"))
    assert list(a.hashes()) == ["dave@corp.example"]
    # list notes what only a crash or a hand edit makes
    with open(a.passwd, "a") as f:
        f.write("erin@corp.example " + a.hashes()["dave@corp.example"] + "\n")
    with open(a.map, "a") as f:
        f.write("frank@corp.example corp.example/frank/\n")
    assert ok(account(inst, "list")).stdout.splitlines() == [
        "dave@corp.example elsewhere/dave/",
        "frank@corp.example corp.example/frank/ (no password)",
        "erin@corp.example - (no mailbox map entry)"]
    assert ok(account(inst, "list", "other.example")).stdout == ""


def test_check_wrong_and_unknown_look_the_same(accts):
    inst = accts.inst
    ok(account(inst, "add", "alice@corp.example", input="right\n"))
    right = check(inst, "alice@corp.example", "right")
    wrong = check(inst, "alice@corp.example", "wrong")
    unknown = check(inst, "nobody@corp.example", "wrong")
    assert right.returncode == 0 and right.seconds < 0.9
    for r in (wrong, unknown):
        assert (r.returncode, r.stdout, r.stderr) == (1, "", "")
        assert 1.0 <= r.seconds < 3.0, r.seconds  # auth_failure_delay = 1s
    assert abs(wrong.seconds - unknown.seconds) < 0.5
    # an empty password, and one longer than any stored, are wrong too
    assert check(inst, "alice@corp.example", "").returncode == 1
    assert check(inst, "alice@corp.example", "x" * 256).returncode == 1
    fails(check(inst, "alice@corp.example", "x" * 257), EX_DATAERR, "longer than 256")
    log = inst.read_log()
    assert "user=alice@corp.example, status=fail (wrong password)" in log
    assert "user=nobody@corp.example, status=fail (unknown user)" in log
    assert "right" not in log and "wrong" not in log.replace("wrong password", "")


def proc_ids(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = [int(x) for x in value.split()] if key in ("Uid", "Gid") else value
    return out["Uid"], out["Gid"]


def test_hashes_are_out_of_mail_owners_reach(accts):
    a, inst = accts, accts.inst
    ok(account(inst, "add", "alice@corp.example", input="right\n"))
    probe = subprocess.run(["/usr/bin/python3", "-c", "open(%r)" % a.passwd],
                           capture_output=True, text=True, preexec_fn=become("postern"))
    assert probe.returncode != 0 and "PermissionError" in probe.stderr, probe
    # the service runs as postern-auth, not as mail_owner or root
    assert check(inst, "alice@corp.example", "right").returncode == 0
    auth = pwd.getpwnam("postern-auth")
    pids = wait_until(lambda: inst.daemon_pids("auth"), 10, what="the auth process")
    uids, gids = proc_ids(pids[0])
    assert uids == [auth.pw_uid] * 4 and gids == [auth.pw_gid] * 4
    st = os.stat(os.path.join(inst.queue, "private", "auth"))
    postern = pwd.getpwnam("postern")
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_uid == postern.pw_uid
    # mail_owner may ask the service (smtpd, pop3d and imapd will) but change nothing
    assert check(inst, "alice@corp.example", "right", as_user="postern").returncode == 0
    assert check(inst, "alice@corp.example", "wrong", as_user="postern").returncode == 1
    fails(account(inst, "add", "x@corp.example", input="pw\n", as_user="postern"), EX_NOPERM,
          "requires root")
    assert ok(account(inst, "list", as_user="postern")).stdout == \
        "alice@corp.example corp.example/alice/\n"
    # anyone else may not even connect
    fails(check(inst, "alice@corp.example", "right", as_user="nobody"), EX_NOPERM,
          "only root and postern may ask")


def test_failure_delay_does_not_hold_up_others(make_instance, user):
    a = accounts_instance(make_instance, user, auth_failure_delay="3s")
    inst = a.inst
    ok(account(inst, "add", "alice@corp.example", input="right\n"))
    slow = []
    threads = [threading.Thread(target=lambda: slow.append(
        check(inst, "alice@corp.example", "wrong", client="192.0.2.%d" % i)))
        for i in (1, 2, 3)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # the three wait out their delay in the service now
    fast = check(inst, "alice@corp.example", "right")
    for t in threads:
        t.join()
    assert fast.returncode == 0 and fast.seconds < 1.5, fast.seconds
    assert [r.returncode for r in slow] == [1, 1, 1]
    assert all(3.0 <= r.seconds < 6.0 for r in slow), [r.seconds for r in slow]


def test_per_address_limit(make_instance, user):
    a = accounts_instance(make_instance, user, auth_client_failure_limit="3",
                          auth_client_block_time="4s")
    inst = a.inst
    ok(account(inst, "add", "alice@corp.example", input="right\n"))
    for _ in range(3):
        assert check(inst, "alice@corp.example", "wrong", client="192.0.2.9").returncode == 1
    inst.wait_log("client=192.0.2.9: 3 authentication failures")
    # refused now, the right password too, and with the same delay
    refused = check(inst, "alice@corp.example", "right", client="192.0.2.9")
    assert refused.returncode == 1 and refused.seconds >= 1.0
    inst.wait_log("client=192.0.2.9, user=alice@corp.example, status=refused "
                  "(client refused after too many failures)")
    # other addresses are not
    assert check(inst, "alice@corp.example", "right", client="192.0.2.10").returncode == 0
    assert check(inst, "alice@corp.example", "right", client="2001:db8::9").returncode == 0
    # and the block ends
    time.sleep(4.0)
    assert check(inst, "alice@corp.example", "right", client="192.0.2.9").returncode == 0
    fails(check(inst, "alice@corp.example", "right", client="a b"), EX_USAGE, "client address")


def test_root_checks_alone_without_the_service(make_instance, user):
    a = accounts_instance(make_instance, user, start=False)
    inst = a.inst
    ok(account(inst, "add", "alice@corp.example", input="right\n"))
    right = check(inst, "alice@corp.example", "right")
    wrong = check(inst, "alice@corp.example", "wrong")
    unknown = check(inst, "nobody@corp.example", "wrong")
    assert right.returncode == 0 and right.seconds < 0.9
    assert wrong.returncode == 1 and unknown.returncode == 1
    assert wrong.seconds >= 1.0 and abs(wrong.seconds - unknown.seconds) < 0.5
    os.makedirs(os.path.join(inst.queue, "private"), exist_ok=True)
    fails(check(inst, "alice@corp.example", "right", as_user="postern"), EX_UNAVAILABLE,
          "the auth service is not running")
    # a password table nobody can read is "cannot tell", not "wrong"
    os.chmod(a.passwd, 0o000)
    os.rename(a.passwd, a.passwd + ".away")
    fails(check(inst, "alice@corp.example", "right"), EX_TEMPFAIL, "cannot tell")


def test_service_without_a_password_table_says_tempfail(accts):
    inst = accts.inst
    fails(check(inst, "alice@corp.example", "pw"), EX_TEMPFAIL, "cannot tell")
    inst.wait_log("logins fail with a temporary error until it opens")
    ok(account(inst, "add", "alice@corp.example", input="pw\n"))
    wait_until(lambda: check(inst, "alice@corp.example", "pw").returncode == 0, 10,
               what="the service to open the new table")


def test_help_usage_and_failures(make_instance, user):
    a = accounts_instance(make_instance, user, start=False)
    inst = a.inst
    r = account(inst, "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: postern-account") and r.stderr == ""
    assert "only when" in r.stdout and "root" in r.stdout  # check's fallback is documented
    assert account(inst, "add", "--help").returncode == 0
    for args in ([], ["bogus"], ["add"], ["add", "a@corp.example", "b@corp.example"],
                 ["del", "-x", "a@corp.example"], ["list", "a", "b"]):
        fails(account(inst, *args), EX_USAGE, "usage:")
    fails(account(inst, "add", "-q", "lots", "a@corp.example"), EX_USAGE, "bad quota")
    fails(account(inst, "add", "-q", "0", "a@corp.example"), EX_USAGE, "bad quota")
    for bad in ("no-domain", "a@[192.0.2.1]", "../x@corp.example", "a/b@corp.example",
                '"a b"@corp.example', "a@b@corp.example", "<a@corp.example>x", "@corp.example"):
        fails(account(inst, "add", bad, input="pw\n"), EX_DATAERR, "bad address")
    fails(account(inst, "add", "x@corp.example", input="\n"), EX_DATAERR, "empty password")
    fails(account(inst, "add", "x@corp.example", input="a\0b\n"), EX_DATAERR, "NUL")
    assert not os.path.exists(a.passwd) and a.map_lines() == []
    fails(account(inst, "passwd", "x@corp.example", input="pw\n"), EX_NOUSER, "no such user")
    fails(account(inst, "del", "x@corp.example"), EX_NOUSER, "no such user")
    ok(account(inst, "add", "x@corp.example", input="pw\n"))
    fails(account(inst, "add", "X@corp.example", input="pw\n"), EX_CANTCREAT, "already exists")
    fails(account(inst, "add", "y@corp.example", input="pw\n", as_user="nobody"), EX_NOPERM,
          "requires root")
    # a map postern-account cannot keep, or none
    for maps, text in (("", "virtual_mailbox_maps is empty"),
                       ("regexp:/etc/x", "only hash:, btree: and texthash:")):
        inst.params["virtual_mailbox_maps"] = maps
        inst.write_main_cf(inst.params)
        fails(account(inst, "add", "y@corp.example", input="pw\n"), EX_CONFIG, text)
    inst.params["virtual_mailbox_maps"] = "texthash:" + a.map
    inst.params["virtual_uid_maps"] = "static:0"
    inst.write_main_cf(inst.params)
    fails(account(inst, "add", "y@corp.example", input="pw\n"), EX_CONFIG,
          "is not a number from 100 up")
    assert not os.path.exists(a.maildir("y@corp.example"))


def test_a_maildir_is_made_as_its_owner(make_instance, user):
    """The base belongs to the virtual user, so root must not make things
    in it: a symlink the user put there is refused, not followed."""
    a = accounts_instance(make_instance, user, start=False)
    inst = a.inst
    outside = os.path.join(inst.dir, "outside")
    os.mkdir(outside, 0o700)  # root's: the virtual user cannot write here
    os.symlink(outside, os.path.join(a.base, "corp.example"))
    fails(account(inst, "add", "x@corp.example", input="pw\n"), EX_CANTCREAT,
          "corp.example: not a directory")
    assert os.listdir(outside) == []
    assert a.hashes() == {} and a.map_lines() == []
    # and a base the virtual user cannot write in: the Maildir is not made by root
    os.unlink(os.path.join(a.base, "corp.example"))
    os.chown(a.base, 0, 0)
    fails(account(inst, "add", "x@corp.example", input="pw\n"), EX_NOPERM,
          "mkdir %s/corp.example" % a.base)
    assert os.listdir(a.base) == []
    made = os.path.join(a.base, "corp.example")
    os.mkdir(made, 0o755)  # the domain's directory made by root, by hand
    fails(account(inst, "add", "x@corp.example", input="pw\n"), EX_NOPERM,
          "mkdir %s/.x.new" % made)
    assert os.listdir(made) == []


def auth_request(user, password, client="192.0.2.50", extra=()):
    return frame(attr_str("service", "smtp"), attr_str("user", user),
                 attr_str("password", password), attr_str("client_address", client), *extra)


def test_service_reads_requests_strictly(accts):
    """The protocol as smtpd, pop3d and imapd will speak it, and what ends
    a connection: a request before the last reply, an attribute the
    service does not know, a user name it could not log safely."""
    inst = accts.inst
    ok(account(inst, "add", "alice@corp.example", input="right\n"))
    path = os.path.join(inst.queue, "private", "auth")

    def connect():
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(path)
        assert decode(read_frame(s)) == [("protocol", "auth"), ("version", 1)]
        return s

    with connect() as s:  # several requests, one at a time, on one connection
        for password, status in (("right", "ok"), ("wrong", "fail"), ("right", "ok")):
            s.sendall(auth_request("alice@corp.example", password))
            assert decode(read_frame(s)) == [("status", status)]
    for bad, why in ((auth_request("alice@corp.example", "wrong") +
                      auth_request("alice@corp.example", "right"),
                      "a request came before the reply to the last one"),
                     (auth_request("alice@corp.example", "right", extra=[attr_str("x", "y")]),
                      "unexpected attribute"),
                     (auth_request("alice@corp.example\nforged", "right"), "bad user name"),
                     (frame(attr_str("service", "smtp"), attr_int("user", 1)),
                      "attribute has the wrong type")):
        with connect() as s:
            s.sendall(bad)
            assert read_frame(s) is None  # closed, without an answer
        inst.wait_log("dropping an auth client: " + why)
    assert "forged" not in inst.read_log()


def on_terminal(inst, args, answers):
    """Run postern-account on a pseudo-terminal, answering each prompt; the
    exit status, everything it printed, and whether echo was off at each
    prompt."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(os.path.join(BIN_DIR, "postern-account"),
                  ["postern-account", "-c", inst.etc] + args, inst.env())
    out, echo_off = b"", []
    for answer in answers:
        while not out.rstrip().endswith(b":"):
            r, _, _ = select.select([fd], [], [], 20)
            assert r, "no prompt: %r" % out
            out += os.read(fd, 1024)
        # the terminal as the program left it while it waits for the password
        echo_off.append(not termios.tcgetattr(fd)[3] & termios.ECHO)
        os.write(fd, answer.encode() + b"\n")
        out += b"|"  # the next prompt is a new one
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # EIO: the program is gone
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    # the terminal as the program left it (echo back on, whatever happened)
    echo_off.append(not termios.tcgetattr(fd)[3] & termios.ECHO)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace"), echo_off


def test_password_from_the_terminal(accts):
    inst = accts.inst
    status, out, echo_off = on_terminal(inst, ["add", "alice@corp.example"],
                                        ["typed secret", "typed secret"])
    assert status == 0, out
    assert "New password:" in out and "Retype new password:" in out
    assert echo_off == [True, True, False]
    assert "typed secret" not in out
    assert check(inst, "alice@corp.example", "typed secret").returncode == 0
    status, out, echo_off = on_terminal(inst, ["passwd", "alice@corp.example"], ["one", "two"])
    assert status == EX_DATAERR and "the passwords differ" in out, out
    assert echo_off == [True, True, False]
    # a failure while echo is off still gives the terminal back as it was
    status, out, echo_off = on_terminal(inst, ["passwd", "alice@corp.example"], ["x" * 5000])
    assert status == EX_DATAERR and "longer than" in out, out
    assert echo_off == [True, False]
    status, out, echo_off = on_terminal(inst, ["check", "alice@corp.example"], ["typed secret"])
    assert status == 0 and echo_off == [True, False] and "typed secret" not in out, out


def test_a_domain_that_is_not_virtual_is_noted(accts):
    inst = accts.inst
    r = account(inst, "add", "bob@other.example", input="pw\n")
    assert r.returncode == 0
    assert r.stderr.strip() == ("postern-account: warning: other.example is not in "
                                "virtual_mailbox_domains: mail to bob@other.example is not "
                                "delivered to the new Maildir until it is")


def test_postern_check_knows_the_auth_user(make_instance, user):
    a = accounts_instance(make_instance, user, start=False)
    inst = a.inst
    assert inst.postern("check", check=False).returncode == 0
    for owner, text in (("nobody-such-user", 'auth_owner: unknown user "nobody-such-user"'),
                        ("postern", "is mail_owner's user ID"), ("root", "is root")):
        inst.params["auth_owner"] = owner
        inst.write_main_cf(inst.params)
        r = inst.postern("check", check=False)
        assert r.returncode == EX_CONFIG and text in r.stderr, r
    # a service that would read the password table as mail_owner does not start either
    inst.params["auth_owner"] = "postern"
    inst.write_main_cf(inst.params)
    assert "is mail_owner's user ID" in inst.postern("start", check=False).stderr
