"""Virtual mailbox accounts for integration tests: an instance with the
auth service and a virtual mailbox domain (accounts_instance), and
postern-account run against it (account).  Shared by test_accounts.py and
test_smtpd_auth.py.
"""

import os
import pwd
import stat
import subprocess
import time

from postern_instance import BIN_DIR


def become(name):
    pw = pwd.getpwnam(name)

    def change():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    return change


def account(inst, *args, input=None, as_user=None):
    """Run postern-account against inst; the result has .seconds too."""
    t0 = time.monotonic()
    r = subprocess.run([os.path.join(BIN_DIR, "postern-account"), "-c", inst.etc] + list(args),
                       capture_output=True, text=True, env=inst.env(), timeout=60, input=input,
                       preexec_fn=become(as_user) if as_user else None)
    r.seconds = time.monotonic() - t0
    return r


def ok(r):
    assert (r.returncode, r.stderr) == (0, ""), r
    return r


class Accounts:
    """An instance with the auth service and a virtual mailbox domain whose
    Maildirs belong to a test account (held, so no other test uses it)."""

    def __init__(self, inst, owner):
        self.inst = inst
        self.owner = owner
        self.map = os.path.join(inst.etc, "vmailbox")
        self.passwd = os.path.join(inst.etc, "passwd")
        self.base = os.path.join(inst.dir, "vmail")

    def maildir(self, address):
        local, domain = address.split("@")
        return os.path.join(self.base, domain, local)

    def map_lines(self):
        try:
            with open(self.map) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def db_value(self, key):
        r = subprocess.run([os.path.join(BIN_DIR, "postern-map"), "-c", self.inst.etc, "-q",
                            key, "hash:" + self.map], capture_output=True, text=True, timeout=60)
        assert r.returncode in (0, 1), r
        return r.stdout.strip() if r.returncode == 0 else None

    def hashes(self):
        try:
            with open(self.passwd) as f:
                return dict(line.split(" ", 1) for line in f.read().splitlines())
        except FileNotFoundError:
            return {}

    def passwd_is_private(self):
        st = os.stat(self.passwd)
        auth = pwd.getpwnam("postern-auth")
        assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
        assert (st.st_uid, st.st_gid) == (auth.pw_uid, auth.pw_gid)


def accounts_instance(make_instance, owner, start=True, **params):
    main_cf = {
        "virtual_mailbox_domains": "corp.example",
        "auth_failure_delay": "1s",
    }
    main_cf.update(params)
    inst = make_instance(start=False, main_cf=main_cf)
    a = Accounts(inst, owner)
    inst.params.update({
        "virtual_mailbox_maps": "hash:" + a.map,
        "virtual_mailbox_base": a.base,
        "virtual_uid_maps": "static:%d" % owner.uid,
        "virtual_gid_maps": "static:%d" % owner.gid,
    })
    inst.write_main_cf(inst.params)
    inst.master_cf.append("auth unix - - n - 1 auth")
    inst.write_master_cf(inst.master_cf)
    os.mkdir(a.base, 0o755)
    os.chown(a.base, owner.uid, owner.gid)
    # as an administrator starts: an empty mailbox map, built (postern
    # check refuses a hash: table with no .db)
    with open(a.map, "w"):
        pass
    subprocess.run([os.path.join(BIN_DIR, "postern-map"), "-c", inst.etc, "hash:" + a.map],
                   check=True)
    if start:
        inst.start()
    return a
