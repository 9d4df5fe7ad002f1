"""postern-map builds Berkeley DB tables from text, atomically, and queries
any table; daemons read tables through the same interface and notice a
rebuilt one.  Checked: building and querying each type, exit codes, a
syntax error (file and line, nothing changed), duplicates, aliases syntax,
ownership copied from the source, a directory root must not write in, and
a table rebuilt again and again while mail that needs it flows."""

import os
import pwd
import smtplib
import subprocess
import tempfile
import threading
import time

from postern_instance import BIN_DIR, wait_until


def pmap(inst, *args, input=None):
    return subprocess.run([os.path.join(BIN_DIR, "postern-map"), "-c", inst.etc] + list(args),
                          capture_output=True, text=True, timeout=60, input=input)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_build_and_query(make_instance):
    inst = make_instance(start=False)
    table = os.path.join(inst.etc, "virtual")
    write(table, "# a table\nAlice@Example.COM alice\n@example.com catchall\nlist a,\n  b\n")
    r = pmap(inst, table)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert os.path.exists(table + ".db")
    for key, want in [("alice@example.com", "alice"), ("ALICE@EXAMPLE.COM", "alice"),
                      ("@example.com", "catchall"), ("list", "a, b")]:
        r = pmap(inst, "-q", key, "hash:" + table)
        assert (r.returncode, r.stdout) == (0, want + "\n"), (key, r)
    r = pmap(inst, "-q", "nobody", table)  # the default type is hash
    assert (r.returncode, r.stdout) == (1, "")
    # btree, and the tables that need no building
    r = pmap(inst, "btree:" + table)
    assert r.returncode == 0, r.stderr
    assert pmap(inst, "-q", "list", "btree:" + table).stdout == "a, b\n"
    assert pmap(inst, "-q", "list", "texthash:" + table).stdout == "a, b\n"
    assert pmap(inst, "-q", "k2", "inline:{k1=v1, k2=v2}").stdout == "v2\n"
    regexp = os.path.join(inst.etc, "re")
    write(regexp, "/^(.*)@corp\\.example$/ $1\n")
    assert pmap(inst, "-q", "bob@corp.example", "regexp:" + regexp).stdout == "bob\n"
    pcre = os.path.join(inst.etc, "pcre")
    write(pcre, "/^(?!owner-)(.+?)-outgoing@(.*)$/ 550 Use ${1}@${2} instead\n/^(a+)+$/ slow\n")
    assert pmap(inst, "-q", "List-outgoing@x", "pcre:" + pcre).stdout == "550 Use List@x instead\n"
    assert pmap(inst, "-q", "owner-list-outgoing@x", "pcre:" + pcre).returncode == 1
    r = pmap(inst, "-q", "a" * 40 + "b", "pcre:" + pcre)  # the match limit: a table failure
    assert r.returncode == 75 and "line 2: pcre match: match limit exceeded" in r.stderr, r
    assert pmap(inst, "--help").returncode == 0
    assert pmap(inst).returncode == 64
    r = pmap(inst, "-q", "x", "ldap:whatever")
    assert r.returncode == 66 and "unknown table type" in r.stderr


def test_syntax_error_changes_nothing(make_instance):
    inst = make_instance(start=False)
    table = os.path.join(inst.etc, "access")
    write(table, "good one\n")
    assert pmap(inst, table).returncode == 0
    before = open(table + ".db", "rb").read()
    write(table, "good one\nbetter two\n\nbroken\n")
    r = pmap(inst, table)
    assert r.returncode == 65, r
    assert r.stderr.strip().splitlines() == [
        'postern-map: fatal: %s, line 4: expected "key whitespace value"' % table]
    assert open(table + ".db", "rb").read() == before
    assert sorted(os.listdir(inst.etc)) == sorted(["access", "access.db", "main.cf", "master.cf",
                                                   "unbound.conf"])
    assert pmap(inst, "-q", "better", table).returncode == 1


def test_duplicates_keep_the_first(make_instance):
    inst = make_instance(start=False)
    table = os.path.join(inst.etc, "t")
    write(table, "k first\nK second\n")
    r = pmap(inst, table)
    assert r.returncode == 0
    assert '%s, line 2: duplicate entry: "k"; the first one is kept' % table in r.stderr
    assert pmap(inst, "-q", "k", table).stdout == "first\n"


def test_aliases_syntax(make_instance):
    inst = make_instance(start=False)
    aliases = os.path.join(inst.etc, "aliases")
    write(aliases, "# aliases(5)\nPostmaster: root\nroot: alice, \"|/usr/bin/cmd a, b\"\n"
                   "list: :include:/etc/postern/list,\n  /var/mail/archive\n")
    r = pmap(inst, "-a", aliases)
    assert r.returncode == 0, r.stderr
    assert pmap(inst, "-q", "postmaster", aliases).stdout == "root\n"
    assert pmap(inst, "-q", "root", aliases).stdout == 'alice, "|/usr/bin/cmd a, b"\n'
    assert pmap(inst, "-q", "list", aliases).stdout == \
        ":include:/etc/postern/list, /var/mail/archive\n"
    write(aliases, "root alice\n")
    r = pmap(inst, "-a", aliases)
    assert r.returncode == 65 and 'line 1: expected "name: value"' in r.stderr


def test_owner_and_mode_follow_the_source(make_instance):
    inst = make_instance(start=False)
    table = os.path.join(inst.etc, "owned")
    write(table, "a b\n")
    pw = pwd.getpwnam("postern")
    os.chown(table, pw.pw_uid, pw.pw_gid)
    os.chmod(table, 0o640)
    assert pmap(inst, table).returncode == 0
    st = os.stat(table + ".db")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (pw.pw_uid, pw.pw_gid, 0o640)


def test_root_never_builds_where_others_write(make_instance):
    inst = make_instance(start=False)
    d = tempfile.mkdtemp(prefix="postern-map-")
    try:
        pw = pwd.getpwnam("postern")
        os.chown(d, pw.pw_uid, pw.pw_gid)
        table = os.path.join(d, "t")
        write(table, "a b\n")
        r = pmap(inst, table)
        assert r.returncode == 73 and "not root's alone" in r.stderr, r
        assert not os.path.exists(table + ".db")
    finally:
        subprocess.run(["rm", "-rf", d])


def test_rebuilt_while_mail_flows(make_instance, user):
    """mydestination comes from a hash: table that is rebuilt every few
    milliseconds while messages that need it arrive: no lookup fails, no
    message is refused or lost."""
    inst = make_instance(start=False)
    table = os.path.join(inst.etc, "domains")
    write(table, "test.example ok\n")
    assert pmap(inst, table).returncode == 0
    inst.params["mydestination"] = "$myhostname, hash:" + table
    inst.write_main_cf(inst.params)
    inst.start()
    stop = threading.Event()
    builds = []

    def rebuild():
        n = 0
        while not stop.is_set():
            n += 1
            write(table, "test.example ok\nother%d.example ok\n" % n)
            r = pmap(inst, table)
            assert r.returncode == 0, r.stderr
            builds.append(n)
            time.sleep(0.02)

    t = threading.Thread(target=rebuild)
    t.start()
    try:
        with smtplib.SMTP(inst.addr, inst.port, timeout=30) as s:
            for i in range(60):
                s.sendmail("a@client.test", [user.name + "@test.example"],
                           "Subject: %d\r\n\r\nbody %d\r\n" % (i, i))
                time.sleep(0.03)
    finally:
        stop.set()
        t.join()
    assert len(builds) > 20
    user.wait_for(60)
    inst.wait_queue_empty()
    log = inst.read_log()
    assert "Temporary lookup failure" not in log and "warning: mydestination" not in log, log
