"""cmake --install lays out the programs, commands and default configuration
as SPEC.md says, never overwrites an administrator's configuration, and the
shipped configuration is valid."""

import grp
import os
import shutil
import stat
import subprocess

from postern_instance import BIN_DIR, BUILD_DIR


def install(destdir):
    r = subprocess.run(["cmake", "--install", BUILD_DIR], capture_output=True, text=True,
                       env=dict(os.environ, DESTDIR=str(destdir)), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_layout(tmp_path):
    install(tmp_path)
    for path in ["usr/lib/postern/master", "usr/lib/postern/smtpd", "usr/lib/postern/qmgr",
                 "usr/lib/postern/local", "usr/lib/postern/auth", "usr/lib/postern/pickup",
                 "usr/lib/postern/showq", "usr/sbin/postern", "usr/sbin/postern-conf",
                 "usr/sbin/postern-map", "usr/sbin/postern-account", "usr/sbin/sendmail",
                 "usr/sbin/postdrop", "usr/sbin/postern-queue"]:
        p = tmp_path / path
        assert p.is_file() and os.access(p, os.X_OK), path
    for cf in ("main.cf", "master.cf"):
        p = tmp_path / "etc/postern" / cf
        assert p.is_file() and (p.stat().st_mode & 0o777) == 0o644, cf
    # fail2ban's filter and jail are examples for the administrator, not active config
    for f in ("filter.d/postern-sasl.conf", "jail.d/postern.conf"):
        assert (tmp_path / "usr/share/doc/postern/fail2ban" / f).is_file(), f
    assert not (tmp_path / "etc/fail2ban").exists()


def test_configuration_is_never_overwritten(tmp_path):
    install(tmp_path)
    main_cf = tmp_path / "etc/postern/main.cf"
    main_cf.write_text("# the administrator's own\nmyhostname = mine.example\n")
    out = install(tmp_path)
    assert "Keeping existing" in out
    assert main_cf.read_text() == "# the administrator's own\nmyhostname = mine.example\n"


def test_shipped_configuration_passes_check(tmp_path):
    src = os.path.join(os.path.dirname(__file__), "..", "..", "etc")
    etc = tmp_path / "etc"
    shutil.copytree(src, etc)
    # Point it at this build and a scratch queue; everything else as shipped.
    with open(etc / "main.cf", "a") as f:
        f.write("daemon_directory = %s\nqueue_directory = %s\n" % (BIN_DIR, tmp_path / "q"))
    # The shipped aliases are /etc/aliases; "check" wants its .db built.
    with open(etc / "main.cf", "a") as f:
        f.write("alias_maps = hash:%s\n" % (etc / "aliases"))
    check = [os.path.join(BIN_DIR, "postern"), "-c", str(etc), "check"]
    r = subprocess.run(check, capture_output=True, text=True, timeout=60)
    assert r.returncode == 78 and "alias_maps: hash:%s" % (etc / "aliases") in r.stderr, r.stderr
    r = subprocess.run([os.path.join(BIN_DIR, "postern-map"), "-c", str(etc), "-a",
                        str(etc / "aliases")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(check, capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stderr) == (0, "")


def test_sendmail_commands(tmp_path):
    """sendmail is an ordinary program in the command directory (where Debian's
    /usr/sbin/sendmail is); mailq and newaliases are its other names; postdrop
    and postern-queue are setgid postdrop, as Postfix's postdrop and postqueue."""
    install(tmp_path)
    sbin = tmp_path / "usr/sbin"
    st = os.stat(sbin / "sendmail")
    assert stat.S_IMODE(st.st_mode) == 0o755 and st.st_uid == 0
    for alias in ("mailq", "newaliases"):
        assert os.readlink(sbin / alias) == "sendmail", alias
    postdrop_gid = grp.getgrnam("postdrop").gr_gid
    for name in ("postdrop", "postern-queue"):
        st = os.stat(sbin / name)
        assert stat.S_IMODE(st.st_mode) == 0o2755, (name, oct(st.st_mode))
        assert (st.st_uid, st.st_gid) == (0, postdrop_gid), name
    for name in ("pickup", "showq"):
        st = os.stat(tmp_path / "usr/lib/postern" / name)
        assert not st.st_mode & (stat.S_ISUID | stat.S_ISGID), name
    # A second install (an upgrade) leaves the same modes.
    install(tmp_path)
    assert stat.S_IMODE(os.stat(sbin / "postdrop").st_mode) == 0o2755


def test_shipped_master_cf_runs_pickup_and_showq():
    src = os.path.join(os.path.dirname(__file__), "..", "..", "etc", "master.cf")
    with open(src) as f:
        services = [line.split() for line in f if line.strip() and not line.startswith("#")]
    assert ["pickup", "unix", "n", "-", "n", "60", "1", "pickup"] in services
    assert ["showq", "unix", "n", "-", "n", "-", "-", "showq"] in services
