"""Virtual domains, as Postfix's virtual(5) and virtual(8) have them: two
mailbox domains with the same local part keep two mailboxes, unknown
addresses are refused at RCPT in each kind of domain, a virtual alias
domain with a catch-all, a distribution list whose members are local,
virtual and remote (each delivered or queued where it belongs, logged with
orig_to=), aliases of our local domain, loops and oversized lists refused
with 451 and nothing queued, an mbox mailbox, and quotas: deferred while
there is time to make room, bounced after virtual_quota_defer_time."""

import os
import re
import shutil
import smtplib
import subprocess

import pytest

from postern_instance import BIN_DIR, wait_until


def build_map(inst, name, text):
    path = os.path.join(inst.etc, name)
    with open(path, "w") as f:
        f.write(text)
    r = subprocess.run([os.path.join(BIN_DIR, "postern-map"), "-c", inst.etc, path],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return "hash:" + path


MAILBOXES = """\
alice@corp.example     corp.example/alice/
bob@corp.example       corp.example/bob/
alice@other.example    other.example/alice/
catchall@corp.example  corp.example/catchall/
mboxer@corp.example    corp.example/mboxer
small@corp.example     corp.example/small/  quota=2K
"""

ALIASES = """\
lists.example            virtual-alias-domain
sales@lists.example      alice@corp.example, alice@other.example
@lists.example           catchall@corp.example
all@corp.example         alice@corp.example, %(local)s@test.example, far@remote.example,
                         sales@lists.example
info@test.example        bob@corp.example
loop1@lists.example      loop2@lists.example
loop2@lists.example      loop1@lists.example
fwd.example              virtual-alias-domain
known@fwd.example        bob@corp.example
big@lists.example        a@remote.example, b@remote.example, c@remote.example,
                         d@remote.example, e@remote.example, f@remote.example
"""


@pytest.fixture
def vinst(make_instance, user, user2):
    """An instance with two virtual mailbox domains and one alias domain;
    the mailboxes belong to user2 (the site's "vmail" account), local mail
    goes to user."""
    inst = make_instance(start=False, main_cf={
        "virtual_alias_expansion_limit": "5",
    })
    base = os.path.join(inst.dir, "vmail")
    os.mkdir(base, 0o700)
    os.chown(base, user2.uid, user2.gid)
    inst.vbase = base
    inst.params.update({
        "virtual_mailbox_base": base,
        "virtual_mailbox_maps": build_map(inst, "vmailbox", MAILBOXES),
        "virtual_mailbox_domains": "corp.example, other.example",
        "virtual_alias_maps": build_map(inst, "virtual", ALIASES % {"local": user.name}),
        "virtual_uid_maps": "static:%d" % user2.uid,
        "virtual_gid_maps": "static:%d" % user2.gid,
    })
    inst.write_main_cf(inst.params)
    inst.with_commands()
    inst.start()
    return inst


def send(inst, rcpts, tag="t", body=None, sender="a@client.test"):
    data = body or ("Subject: hi\r\nX-Tag: %s\r\n\r\nhello\r\n" % tag)
    with smtplib.SMTP(inst.addr, inst.port, timeout=30) as s:
        return s.sendmail(sender, rcpts, data)


def mailbox(inst, path):
    """Messages in a Maildir under the virtual base."""
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(inst.vbase, path, sub)
        if os.path.isdir(d):
            out += [os.path.join(d, n) for n in sorted(os.listdir(d))]
    return out


def wait_mailbox(inst, path, n=1):
    return wait_until(lambda: len(mailbox(inst, path)) >= n and mailbox(inst, path),
                      what="%d messages in %s" % (n, path))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def rcpt_reply(inst, rcpt):
    with smtplib.SMTP(inst.addr, inst.port, timeout=30) as s:
        s.mail("a@client.test")
        return s.rcpt(rcpt)


def test_same_local_part_two_domains(vinst, user2):
    send(vinst, ["alice@corp.example"], tag="corp")
    send(vinst, ["Alice@Other.Example"], tag="other")
    corp = wait_mailbox(vinst, "corp.example/alice")
    other = wait_mailbox(vinst, "other.example/alice")
    assert b"X-Tag: corp" in read(corp[0]) and b"X-Tag: other" in read(other[0])
    assert b"Delivered-To: alice@corp.example\n" in read(corp[0])
    assert b"Delivered-To: alice@other.example\n" in read(other[0])
    # written with the ids of virtual_uid_maps/virtual_gid_maps, privately
    st = os.stat(corp[0])
    assert (st.st_uid, st.st_gid) == (user2.uid, user2.gid)
    st = os.stat(os.path.join(vinst.vbase, "corp.example"))
    assert st.st_uid == user2.uid and st.st_mode & 0o077 == 0
    vinst.wait_log("to=<Alice@Other.Example>, relay=virtual")
    assert len(mailbox(vinst, "corp.example/alice")) == 1


def test_unknown_recipients_refused(vinst):
    code, text = rcpt_reply(vinst, "nobody@corp.example")
    assert code == 550 and b"5.1.1" in text and b"virtual mailbox table" in text
    code, text = rcpt_reply(vinst, "alice@corp.example")
    assert code == 250
    # the alias domain has a catch-all: anything goes
    code, _ = rcpt_reply(vinst, "whoever@lists.example")
    assert code == 250
    # our local domain still knows only its accounts and aliases
    code, text = rcpt_reply(vinst, "nosuchuser@test.example")
    assert code == 550 and b"local recipient table" in text
    code, _ = rcpt_reply(vinst, "info@test.example")
    assert code == 250
    vinst.wait_log("NOQUEUE: reject: RCPT from")


def test_alias_domain_without_catchall(make_instance, user2):
    inst = make_instance(start=False)
    inst.params["virtual_alias_maps"] = build_map(
        inst, "virtual", "alias.example x\nsales@alias.example far@remote.example\n")
    inst.write_main_cf(inst.params)
    inst.start()
    code, text = rcpt_reply(inst, "nobody@alias.example")
    assert code == 550 and b"5.1.1" in text and b"virtual alias table" in text
    assert rcpt_reply(inst, "sales@alias.example")[0] == 250


def test_catchall_and_list(vinst):
    send(vinst, ["sales@lists.example", "random@lists.example"], tag="list")
    assert b"X-Tag: list" in read(wait_mailbox(vinst, "corp.example/alice")[0])
    wait_mailbox(vinst, "other.example/alice")
    wait_mailbox(vinst, "corp.example/catchall")
    vinst.wait_log("to=<catchall@corp.example>, orig_to=<random@lists.example>")
    vinst.wait_log("to=<alice@corp.example>, orig_to=<sales@lists.example>, relay=virtual")


def test_distribution_list_local_virtual_remote(vinst, user):
    send(vinst, ["all@corp.example"], tag="all")
    # each member once, though sales@ names alice@corp.example again
    user.wait_for(1)
    wait_mailbox(vinst, "corp.example/alice")
    wait_mailbox(vinst, "other.example/alice")
    vinst.wait_log("to=<far@remote.example>, orig_to=<all@corp.example>")
    # the message is in the Maildir a moment before local logs it
    vinst.wait_log_re(r"to=<%s@test.example>, orig_to=<all@corp.example>, relay=local.*"
                      r"status=sent" % user.name)
    log = vinst.read_log()
    assert re.search(r"to=<far@remote.example>, orig_to=<all@corp.example>.*status=deferred",
                     log)
    wait_until(lambda: len(mailbox(vinst, "corp.example/alice")) == 1)
    assert len(mailbox(vinst, "corp.example/alice")) == 1
    # the remote member waits in the queue for the SMTP client
    files = vinst.queue_files()
    assert any(f.split("/")[0] in ("deferred", "remote") for f in files), files


def test_local_domain_alias(vinst):
    send(vinst, ["info@test.example"], tag="info")
    assert b"Delivered-To: bob@corp.example\n" in read(wait_mailbox(vinst, "corp.example/bob")[0])
    vinst.wait_log("to=<bob@corp.example>, orig_to=<info@test.example>, relay=virtual")


def test_loops_and_limits_not_queued(vinst):
    for rcpt in ("loop1@lists.example", "big@lists.example"):
        with smtplib.SMTP(vinst.addr, vinst.port, timeout=30) as s:
            s.mail("a@client.test")
            assert s.rcpt(rcpt)[0] == 250
            code, text = s.docmd("DATA")
            assert code == 451 and b"4.3.0" in text, (rcpt, code, text)
            assert s.docmd("RSET")[0] == 250  # the session goes on
    vinst.wait_log("more than 5 addresses")
    vinst.wait_log("virtual alias loop at loop1@lists.example")
    assert [f for f in vinst.queue_files() if not os.path.basename(f).startswith(".")] == []


def test_mbox_mailbox(vinst, user2):
    send(vinst, ["mboxer@corp.example"], tag="m1")
    send(vinst, ["mboxer@corp.example"], tag="m2")
    path = os.path.join(vinst.vbase, "corp.example", "mboxer")
    wait_until(lambda: os.path.exists(path) and read(path).count(b"\nX-Tag: ") == 2)
    data = read(path)
    assert data.startswith(b"From a@client.test ")
    assert os.stat(path).st_uid == user2.uid


def test_quota_defers_then_bounces(make_instance, vinst):
    big = "Subject: big\r\nX-Tag: big\r\n\r\n" + ("x" * 70 + "\r\n") * 40
    send(vinst, ["small@corp.example"], body="Subject: s\r\nX-Tag: s\r\n\r\nsmall\r\n")
    wait_mailbox(vinst, "corp.example/small")
    send(vinst, ["small@corp.example"], body=big)
    vinst.wait_log("dsn=4.2.2, status=deferred (mailbox full")
    log = vinst.read_log()
    assert "to=<small@corp.example>, relay=virtual" in log
    assert len(mailbox(vinst, "corp.example/small")) == 1
    # once it has waited virtual_quota_defer_time, it bounces
    vinst.stop()
    vinst.params["virtual_quota_defer_time"] = "0"
    vinst.write_main_cf(vinst.params)
    vinst.start()
    vinst.wait_log("dsn=5.2.2, status=bounced (mailbox full")
    assert len(mailbox(vinst, "corp.example/small")) == 1
    # room made: a message that fits goes in
    for p in mailbox(vinst, "corp.example/small"):
        os.unlink(p)
    send(vinst, ["small@corp.example"], body="Subject: s\r\nX-Tag: s2\r\n\r\nsmall\r\n")
    wait_mailbox(vinst, "corp.example/small")


def test_sendmail_expands_virtual_aliases(vinst, user):
    """pickup expands as smtpd does: a list, a known alias, and an address
    of an alias domain with no alias, which qmgr bounces (5.1.1)."""
    r = vinst.run_as(user, "sendmail", "sales@lists.example", "known@fwd.example",
                     "nobody@fwd.example", input=b"Subject: local\nX-Tag: sm\n\nhi\n")
    assert (r.returncode, r.stderr) == (0, b"")
    assert b"X-Tag: sm" in read(wait_mailbox(vinst, "corp.example/alice")[0])
    wait_mailbox(vinst, "other.example/alice")
    wait_mailbox(vinst, "corp.example/bob")
    vinst.wait_log("to=<alice@other.example>, orig_to=<sales@lists.example>, relay=virtual")
    vinst.wait_log("to=<bob@corp.example>, orig_to=<known@fwd.example>, relay=virtual")
    vinst.wait_log_re(r"to=<nobody@fwd.example>.*dsn=5\.1\.1, status=bounced "
                      r"\(User unknown in virtual alias table\)")
    # kept for the bounce service to come (issue 9), as for any failed recipient
    vinst.wait_log("held: recipients failed and no bounce service is configured")
    assert [f.split("/")[0] for f in vinst.queue_files()] == ["hold"]


def test_sendmail_alias_loop_waits_in_maildrop(vinst, user):
    """A loop cannot be queued; the submission is kept, not lost, and pickup
    says why each time it tries."""
    r = vinst.run_as(user, "sendmail", "loop1@lists.example", input=b"Subject: loop\n\nhi\n")
    assert (r.returncode, r.stderr) == (0, b"")
    vinst.wait_log("virtual alias loop at loop1@lists.example; trying again later")
    drop = os.path.join(vinst.queue, "maildrop")
    assert [n for n in os.listdir(drop) if not n.startswith(".")] != []
    assert [f for f in vinst.queue_files() if not os.path.basename(f).startswith(".")] == []
