"""smtpd chrooted in the queue directory (master.cf chroot column y, as
the shipped master.cf has it, and as the whole suite runs it): it sees
nothing outside the queue, and what it must look up there, the tables of
main.cf and the system's accounts, comes from proxymap, which serves only
the tables that proxy_read_maps names."""

import os
import pwd
import smtplib
import socket
import subprocess

import attr_client as ac
from postern_instance import BIN_DIR, wait_until


def smtpd_pids(inst):
    """The smtpd processes of this instance."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv[0].endswith(b"/smtpd") and inst.etc.encode() in argv:
            pids.append(int(p))
    return pids


def build_map(inst, name, text, flag="-a"):
    path = os.path.join(inst.etc, name)
    with open(path, "w") as f:
        f.write(text)
    r = subprocess.run([os.path.join(BIN_DIR, "postern-map"), "-c", inst.etc] +
                       ([flag] if flag else []) + ["hash:" + path],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return "hash:" + path


def rcpt(s, addr):
    s.rset()
    s.mail("a@client.test")
    return s.rcpt(addr)[0]


def test_smtpd_runs_in_the_jail_as_mail_owner(make_instance, user):
    inst = make_instance(main_cf={"recipient_delimiter": "+"})
    with smtplib.SMTP(inst.addr, inst.port, timeout=30) as s:
        s.ehlo()
        pids = wait_until(lambda: smtpd_pids(inst), 10, what="an smtpd process")
        for pid in pids:
            # (a process master has only just started may not be in yet)
            wait_until(lambda: os.readlink("/proc/%d/root" % pid) == os.path.realpath(inst.queue),
                       10, what="smtpd %d in the jail" % pid)
            with open("/proc/%d/status" % pid) as f:
                uids = [l.split()[1:] for l in f if l.startswith("Uid:")][0]
            assert set(uids) == {str(pwd.getpwnam("postern").pw_uid)}, uids
        # system accounts, through proxymap: known, unknown, and with an extension
        assert rcpt(s, user.name + "@test.example") == 250
        assert rcpt(s, user.name + "+tag@test.example") == 250
        assert rcpt(s, "nosuchuser@test.example") == 550
        s.rset()
        s.sendmail("a@client.test", [user.name + "@test.example"], "Subject: jailed\r\n\r\nhi\r\n")
    assert "Subject: jailed" in open(user.wait_for(1)[0]).read()
    assert "warning" not in inst.read_log()


def test_rebuilt_table_is_used_without_a_restart(make_instance, user):
    """proxymap reopens a table that postern-map replaced, so the same
    chrooted smtpd, in the same session, sees the new entry."""
    inst = make_instance(start=False, main_cf={"smtpd_hard_error_limit": "1000"})
    inst.params["alias_maps"] = build_map(inst, "aliases", "old: %s\n" % user.name)
    inst.write_main_cf(inst.params)
    inst.start()
    with smtplib.SMTP(inst.addr, inst.port, timeout=30) as s:
        s.ehlo()
        assert rcpt(s, "old@test.example") == 250
        assert rcpt(s, "new@test.example") == 550
        pids = smtpd_pids(inst)
        build_map(inst, "aliases", "old: %s\nnew: %s\n" % (user.name, user.name))
        wait_until(lambda: rcpt(s, "new@test.example") == 250, 10, interval=0.2,
                   what="the rebuilt table")
        assert smtpd_pids(inst) == pids
        s.rset()
        s.sendmail("a@client.test", ["new@test.example"], "Subject: rebuilt\r\n\r\nhi\r\n")
    assert "Subject: rebuilt" in open(user.wait_for(1)[0]).read()


def ask(sock, request, **attrs):
    parts = [ac.attr_str("request", request), ac.attr_int("flags", attrs.pop("flags", 1))]
    parts += [ac.attr_str(k, v) for k, v in attrs.items()]
    sock.sendall(ac.frame(*parts))
    reply = ac.read_frame(sock)
    return None if reply is None else dict(ac.decode(reply))


def proxymap(inst):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(os.path.join(inst.queue, "private", "proxymap"))
    assert dict(ac.decode(ac.read_frame(s)))["protocol"] == "proxymap"
    return s


def test_proxymap_serves_only_proxy_read_maps(make_instance, user):
    inst = make_instance(start=False)
    aliases = build_map(inst, "aliases", "Group: %s\n" % user.name)
    secret = build_map(inst, "secret", "root: hash-of-a-password\n", flag=None)
    inst.params["alias_maps"] = aliases
    inst.write_main_cf(inst.params)
    inst.start()
    with proxymap(inst) as s:
        assert ask(s, "open", table=aliases)["status"] == "ok"
        # keys are folded as the table's own kind folds them
        r = ask(s, "lookup", table=aliases, key="GROUP")
        assert r["status"] == "ok" and r["value"] == user.name, r
        assert ask(s, "lookup", table=aliases, key="nobody")["status"] == "notfound"
        # a table that no parameter names, and the password table, are refused
        for table in (secret, "texthash:" + os.path.join(inst.etc, "passwd")):
            r = ask(s, "open", table=table)
            assert r["status"] == "denied" and "proxy_read_maps" in r["reason"], r
            assert ask(s, "lookup", table=table, key="root")["status"] == "denied"
        pw = pwd.getpwnam(user.name)
        r = ask(s, "passwd", key=user.name)
        assert (r["status"], r["uid"], r["gid"], r["home"]) == \
            ("ok", pw.pw_uid, pw.pw_gid, pw.pw_dir), r
        assert ask(s, "passwd", key="nosuchuser")["status"] == "notfound"
        # a malformed request ends the connection
        assert ask(s, "lookup", table=aliases) is None
    inst.wait_log("denied: it is not in proxy_read_maps")


def test_table_outside_proxy_read_maps_stops_smtpd_with_a_reason(make_instance, user):
    """A service's -o override may name a table that main.cf's
    proxy_read_maps does not: the chrooted smtpd says why it cannot start,
    and adding the table to proxy_read_maps makes it work."""
    inst = make_instance(start=False)
    access = build_map(inst, "access", "blocked@test.example REJECT no mail for you\n",
                       flag=None)
    inst.master_cf[0] += " -o smtpd_recipient_restrictions=check_recipient_access," + access
    inst.write_master_cf(inst.master_cf)
    inst.postern("start")  # not start(): it waits for a greeting that never comes
    inst.started = True
    try:
        socket.create_connection((inst.addr, inst.port), timeout=2).close()
    except OSError:
        pass
    inst.wait_log("not in proxymap's proxy_read_maps")
    inst.stop()
    inst.params["proxy_read_maps"] = "$alias_maps " + access
    inst.write_main_cf(inst.params)
    inst.start()
    with smtplib.SMTP(inst.addr, inst.port, timeout=30) as s:
        s.ehlo()
        assert rcpt(s, "blocked@test.example") == 554
        assert rcpt(s, user.name + "@test.example") == 250


def test_unchrooted_smtpd_looks_up_itself(make_instance, user):
    inst = make_instance(chroot=False)
    with smtplib.SMTP(inst.addr, inst.port, timeout=30) as s:
        s.ehlo()
        pids = wait_until(lambda: smtpd_pids(inst), 10, what="an smtpd process")
        assert all(os.readlink("/proc/%d/root" % p) == "/" for p in pids)
        assert rcpt(s, user.name + "@test.example") == 250
        assert rcpt(s, "nosuchuser@test.example") == 550
    assert "proxymap" not in open(os.path.join(inst.etc, "master.cf")).read()


def test_received_header_keeps_the_time_zone(make_instance, user):
    """The zone file is read before the chroot, which hides it: the
    Received: header's date is in local time, not UTC."""
    inst = make_instance(start=False)
    inst.extra_env = {"TZ": "Asia/Kolkata"}  # +0530 all year
    inst.start()
    with smtplib.SMTP(inst.addr, inst.port, timeout=30) as s:
        s.sendmail("a@client.test", [user.name + "@test.example"], "Subject: tz\r\n\r\nhi\r\n")
    text = open(user.wait_for(1)[0]).read()
    received = text.split("\n\n")[0].split("Received:")[1]
    assert "+0530" in received, received
