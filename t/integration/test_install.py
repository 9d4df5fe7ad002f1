"""cmake --install lays out the programs, commands and default configuration
as SPEC.md says, never overwrites an administrator's configuration, and the
shipped configuration is valid."""

import os
import shutil
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
                 "usr/lib/postern/local", "usr/lib/postern/auth", "usr/sbin/postern",
                 "usr/sbin/postern-conf", "usr/sbin/postern-map", "usr/sbin/postern-account"]:
        p = tmp_path / path
        assert p.is_file() and os.access(p, os.X_OK), path
    for cf in ("main.cf", "master.cf"):
        p = tmp_path / "etc/postern" / cf
        assert p.is_file() and (p.stat().st_mode & 0o777) == 0o644, cf


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
