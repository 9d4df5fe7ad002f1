"""The postern and postern-conf commands: errors name the file and line,
and the daemons are never needed to report a configuration error."""

import os
import smtplib
import socket
import subprocess
import signal
import time

from postern_instance import BIN_DIR, Instance, wait_until

EX_USAGE, EX_UNAVAILABLE, EX_CONFIG = 64, 69, 78


def one_line(stderr):
    lines = [l for l in stderr.splitlines() if l.strip()]
    assert len(lines) == 1, "expected one line on stderr, got: %r" % stderr
    return lines[0]


def test_check_ok_is_silent(make_instance):
    inst = make_instance(start=False)
    r = inst.postern("check", check=False)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_check_reports_unknown_parameter_with_file_and_line(make_instance):
    inst = make_instance(start=False)
    path = os.path.join(inst.etc, "main.cf")
    with open(path, "a") as f:
        f.write("# a comment\n\nmydestinaton = typo.example\n")
    n = sum(1 for _ in open(path))
    r = inst.postern("check", check=False)
    assert r.returncode == EX_CONFIG
    assert one_line(r.stderr) == ('postern: fatal: %s, line %d: unknown parameter "mydestinaton"'
                                  % (path, n))
    # start refuses too, without starting anything
    r = inst.postern("start", check=False)
    assert r.returncode == EX_CONFIG and "line %d" % n in r.stderr
    assert not os.path.exists(os.path.join(inst.queue, "pid", "master.pid"))


def test_check_reports_bad_values(make_instance):
    inst = make_instance(start=False)
    path = os.path.join(inst.etc, "main.cf")
    for line, why in [("message_size_limit = lots", "expected a whole number"),
                      ("smtpd_timeout = 5 fortnights", "expected a time"),
                      ("smtpd_helo_required = maybe", "expected yes or no"),
                      ("smtpd_forbid_bare_newline = sometimes", "reject|normalize"),
                      ("myorigin = $undefined_thing", "undefined parameter"),
                      ("mynetworks = 10.0.0.1/8", "non-zero host bits"),
                      ("mynetworks = not-a-network", "bad network address"),
                      ("allow_mail_to_files = alias, everything", "alias|forward|include"),
                      # the tables and accounts the daemons would die on
                      ("alias_maps = hash:/nonexistent/aliases", "alias_maps: hash:"),
                      ("virtual_alias_maps = hash:/nonexistent/virtual",
                       "hash:/nonexistent/virtual: open"),
                      ("default_privs = root", "default_privs"),
                      ("virtual_mailbox_maps = inline:{a@b=c/}\nvirtual_mailbox_base = rel",
                       "virtual_mailbox_base")]:
        inst.write_main_cf(inst.params)
        with open(path, "a") as f:
            f.write(line + "\n")
        n = sum(1 for _ in open(path))
        r = inst.postern("check", check=False)
        assert r.returncode == EX_CONFIG, line
        msg = one_line(r.stderr)
        assert why in msg, (line, msg)
        if line.split()[0] in ("message_size_limit", "smtpd_timeout", "smtpd_helo_required",
                               "smtpd_forbid_bare_newline", "myorigin", "allow_mail_to_files"):
            assert "%s, line %d:" % (path, n) in msg, (line, msg)


def test_check_reports_master_cf_errors(make_instance):
    inst = make_instance(start=False)
    path = os.path.join(inst.etc, "master.cf")
    cases = [("smtp inet n - n -", "expected at least 8 fields"),
             ("smtp inet n - n - - smtpd -o no_such_param=1", "unknown parameter"),
             ("smtp inet maybe - n - - smtpd", "must be y, n or -"),
             ("smtp inet n - n - - nosuchprogram", "nosuchprogram"),
             ("qmgr unix n - n 300 1 qmgr", "duplicate service"),
             ("local2 unix - n y - - local", "local cannot run chrooted"),
             ("127.0.0.9:2999 inet n - n - - smtpd -o smtpd_timeout=forever",
              'bad value "forever" for smtpd_timeout')]
    for line, why in cases:
        inst.write_master_cf(inst.master_cf + [line])
        r = inst.postern("check", check=False)
        assert r.returncode == EX_CONFIG, line
        msg = one_line(r.stderr)
        assert "%s, line %d:" % (path, len(inst.master_cf) + 1) in msg and why in msg, (line, msg)


def test_check_wants_proxymap_for_chrooted_smtpd(make_instance):
    """A chrooted smtpd looks tables and accounts up through proxymap:
    postern check refuses a master.cf that runs one without it."""
    inst = make_instance(start=False)
    lines = [l.replace(" inet n - n ", " inet n - y ") for l in inst.master_cf
             if "proxymap" not in l]
    with open(os.path.join(inst.etc, "master.cf"), "w") as f:
        f.write("\n".join(lines) + "\n")
    r = inst.postern("check", check=False)
    assert r.returncode == EX_CONFIG, r.stderr
    assert "smtpd runs chrooted, but no service runs proxymap" in one_line(r.stderr)
    with open(os.path.join(inst.etc, "master.cf"), "a") as f:
        f.write("proxymap unix - - n - - proxymap\n")
    assert inst.postern("check", check=False).returncode == 0


def test_status_start_stop(make_instance):
    inst = make_instance(start=False)
    r = inst.postern("status", check=False)
    assert r.returncode == EX_UNAVAILABLE and "not running" in one_line(r.stderr)
    inst.start()
    r = inst.postern("status", check=False)
    assert r.returncode == 0 and "PID: %d" % inst.master_pid() in r.stdout
    r = inst.postern("start", check=False)
    assert r.returncode == EX_UNAVAILABLE and "already running" in one_line(r.stderr)
    master = inst.master_pid()
    children = inst.daemon_pids("qmgr") + inst.daemon_pids("smtpd")
    assert children
    r = inst.postern("stop", check=False)
    assert r.returncode == 0
    inst.started = False
    for pid in [master] + children:
        assert not os.path.exists("/proc/%d" % pid) or \
            open("/proc/%d/stat" % pid).read().split()[2] == "Z", pid
    r = inst.postern("status", check=False)
    assert r.returncode == EX_UNAVAILABLE
    assert "terminating on signal 15" in inst.read_log()


def test_reload_applies_new_configuration(make_instance, user):
    inst = make_instance()
    master = inst.master_pid()
    inst.params["smtpd_banner"] = "$myhostname ESMTP reloaded"
    inst.write_main_cf(inst.params)
    inst.postern("reload")
    inst.wait_log("reload -- version")

    def banner():
        with socket.create_connection((inst.addr, inst.port), timeout=5) as s:
            return s.recv(512)
    wait_until(lambda: b"ESMTP reloaded" in banner(), 10, what="the new banner")
    assert inst.master_pid() == master
    # mail still flows after the reload
    with smtplib.SMTP(inst.addr, inst.port) as s:
        s.sendmail("a@client.test", [user.name + "@test.example"], "Subject: r\r\n\r\nr\r\n")
    user.wait_for(1)


def test_reload_with_broken_config_keeps_running(make_instance, user):
    inst = make_instance()
    with open(os.path.join(inst.etc, "main.cf"), "a") as f:
        f.write("bogus_parameter = 1\n")
    # "postern reload" checks first and refuses...
    r = inst.postern("reload", check=False)
    assert r.returncode == EX_CONFIG
    # ...and a SIGHUP sent behind its back is refused by master itself.
    os.kill(inst.master_pid(), signal.SIGHUP)
    inst.wait_log("keeping the old configuration")
    with smtplib.SMTP(inst.addr, inst.port) as s:
        s.sendmail("a@client.test", [user.name + "@test.example"], "Subject: b\r\n\r\nb\r\n")
    user.wait_for(1)
    # The system can still be stopped; the command says what is wrong.
    r = inst.postern("stop", check=False)
    assert r.returncode == 0
    assert 'warning: %s/main.cf' % inst.etc in r.stderr and "bogus_parameter" in r.stderr
    inst.started = False
    r = inst.postern("status", check=False)
    assert r.returncode == EX_UNAVAILABLE


def test_start_fg_logs_to_stderr_and_stops_on_sigterm(make_instance):
    inst = make_instance(start=False)
    p = subprocess.Popen([os.path.join(BIN_DIR, "postern"), "-c", inst.etc, "start-fg"],
                         stderr=subprocess.PIPE, text=True, env=inst.env())
    try:
        wait_until(inst._listening, 10, what="start-fg listening")
        with smtplib.SMTP(inst.addr, inst.port) as s:
            s.noop()
    finally:
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=20)
    assert p.returncode == 0
    assert "postern/master" in err and "daemon started" in err
    assert "postern/smtpd[" in err and "connect from" in err


def test_help_and_usage():
    for cmd in ("postern", "postern-conf"):
        r = subprocess.run([os.path.join(BIN_DIR, cmd), "--help"], capture_output=True,
                           text=True)
        assert r.returncode == 0 and "usage:" in r.stdout, cmd
    r = subprocess.run([os.path.join(BIN_DIR, "postern"), "frobnicate"], capture_output=True,
                       text=True, env=dict(os.environ, POSTERN_CONFIG_DIR="/nonexistent"))
    assert r.returncode in (EX_USAGE, EX_CONFIG)
    assert len([l for l in r.stderr.splitlines() if l.strip()]) == 1


def test_postern_conf(make_instance):
    inst = make_instance(start=False)
    r = inst.command("postern-conf", "myhostname", "message_size_limit", "mydestination")
    assert r.returncode == 0
    assert r.stdout.splitlines() == [
        "myhostname = %s" % inst.hostname, "message_size_limit = 10240000",
        "mydestination = %s, test.example" % inst.hostname]
    r = inst.command("postern-conf", "-n")
    names = [l.split(" = ")[0] for l in r.stdout.splitlines()]
    assert sorted(names) == sorted(inst.params)
    r = inst.command("postern-conf", "-d", "smtpd_banner", "maximal_queue_lifetime")
    assert r.stdout.splitlines() == ["smtpd_banner = $myhostname ESMTP $mail_name",
                                     "maximal_queue_lifetime = 5d"]
    r = inst.command("postern-conf", "no_such_parameter")
    assert r.returncode != 0 and "unknown parameter" in r.stderr
