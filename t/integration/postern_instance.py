"""A whole Postern instance in a temporary directory, for integration tests.

Each Instance has its own configuration directory, queue, log file and
unbound-style DNS file, listens on a 127.0.0.x address with a free high
port, and runs the programs from the build tree.  It is started with the
real "postern start" command and stopped with "postern stop"; on stop it
fails the test if a sanitizer wrote a report or a daemon panicked.

Mail is delivered to real system accounts (ptest1, ptest2, ...) that
scripts/test-setup creates; MailUser takes one of them under a lock, so
that test files running in parallel never share a mailbox.
"""

import fcntl
import glob
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BUILD_DIR = os.environ.get("POSTERN_BUILD_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", "build"))
BIN_DIR = os.path.join(BUILD_DIR, "bin")
TEST_USERS = ["ptest%d" % i for i in range(1, 9)]
TEST_HOME = "/var/lib/postern-test"


def free_port(addr):
    """A TCP port that is free on addr right now."""
    with socket.socket() as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def wait_until(pred, timeout=20.0, interval=0.02, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))


class MailUser:
    """One test account, held exclusively, with an empty Maildir."""

    def __init__(self):
        for name in TEST_USERS:
            lock = open(os.path.join(TEST_HOME, ".lock-" + name), "w")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            self.name = name
            self._lock = lock
            pw = pwd.getpwnam(name)
            self.uid, self.gid, self.home = pw.pw_uid, pw.pw_gid, pw.pw_dir
            self.maildir = os.path.join(self.home, "Maildir")
            self._clear()
            return
        raise RuntimeError("all test accounts are in use; run scripts/test-setup")

    def _clear(self):
        """No Maildir (a test may have left a file, or a mount, in its place)."""
        if os.path.islink(self.maildir) or os.path.isfile(self.maildir):
            os.unlink(self.maildir)
        shutil.rmtree(self.maildir, ignore_errors=True)

    def release(self):
        self._clear()
        self._lock.close()

    def messages(self):
        """Paths of delivered messages (new/ and cur/)."""
        return sorted(glob.glob(os.path.join(self.maildir, "new", "*")) +
                      glob.glob(os.path.join(self.maildir, "cur", "*")))

    def tags(self):
        """The X-Tag header of every delivered message, as tests mark them."""
        out = []
        for data in self.contents():
            m = re.search(rb"\nX-Tag: (\S+)\n", data)
            assert m, "a delivered message has no X-Tag: %r" % data[:300]
            out.append(m.group(1).decode())
        return out

    def contents(self):
        out = []
        for p in self.messages():
            with open(p, "rb") as f:
                out.append(f.read())
        return out

    def wait_for(self, n, timeout=30.0):
        return wait_until(lambda: len(self.messages()) >= n and self.messages(),
                          timeout, what="%d messages for %s" % (n, self.name))


class Instance:
    """A Postern instance; use as a context manager or call start()/stop()."""

    def __init__(self, addr="127.0.0.2", main_cf=None, master_cf=None, dns=None, ptr=None,
                 mydomain="test.example", chroot=None):
        self.addr = addr
        self.port = free_port(addr)
        self.dir = tempfile.mkdtemp(prefix="postern-test-")
        os.chmod(self.dir, 0o755)
        self.etc = os.path.join(self.dir, "etc")
        self.queue = os.path.join(self.dir, "queue")
        self.log = os.path.join(self.dir, "maillog")
        self.sanitizer_dir = os.path.join(self.dir, "sanitizer")
        os.makedirs(self.etc)
        os.makedirs(self.sanitizer_dir)
        os.chmod(self.sanitizer_dir, 0o1777)
        # smtpd runs chrooted in the queue, as the shipped master.cf has it
        # (POSTERN_TEST_CHROOT=0 or chroot=False: not), so that the whole
        # suite runs that way.  Its sanitizer reports go to the same path
        # inside the jail.
        if chroot is None:
            chroot = os.environ.get("POSTERN_TEST_CHROOT", "1") != "0"
        self.chroot = chroot
        self.jail_sanitizer_dir = self.queue + self.sanitizer_dir
        if chroot:
            os.makedirs(self.jail_sanitizer_dir)
            os.chmod(self.jail_sanitizer_dir, 0o1777)
        self.domain = mydomain
        self.hostname = "mx." + mydomain
        params = {
            "queue_directory": self.queue,
            "daemon_directory": BIN_DIR,
            "maillog_file": self.log,
            "myhostname": self.hostname,
            "mydestination": "$myhostname, " + mydomain,
            "home_mailbox": "Maildir/",
            "dns_resolver_conf": os.path.join(self.etc, "unbound.conf"),
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "smtpd_error_sleep_time": "0",
            # no aliases unless a test makes some (the host's /etc/aliases is not ours)
            "alias_maps": "",
            # test clients are on loopback, in mynetworks: exempt nobody from the bare-newline rule
            "smtpd_forbid_bare_newline_exclusions": "",
        }
        params.update(main_cf or {})
        self.params = params
        self.write_main_cf(params)
        self.master_cf = master_cf or [
            "%s:%d inet n - n - - smtpd" % (addr, self.port),
            "qmgr unix n - n 300 1 qmgr",
            "local unix - n n - - local",
            "virtual unix - n n - - local",
            "pickup unix n - n 60 1 pickup",
            "showq unix n - n - - showq",
            "anvil unix - - y - 1 anvil",
        ]
        self.write_master_cf(self.master_cf)
        self.write_dns(dns or [], ptr or [])
        self.started = False
        self.extra_env = {}  # for the daemons too, e.g. POSTERN_CRASH_POINT

    # configuration ----------------------------------------------------------

    def write_main_cf(self, params):
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            for k, v in params.items():
                f.write("%s = %s\n" % (k, v))

    def write_master_cf(self, lines):
        """Write master.cf; with self.chroot, every smtpd line runs chrooted
        and a proxymap service is added for them if the lines have none."""
        lines = list(lines)
        if self.chroot:
            lines = [self._jailed(l) for l in lines]
            if any(l.split()[4:5] == ["y"] and l.split()[7:8] == ["smtpd"] for l in lines) \
                    and not any(l.split()[7:8] == ["proxymap"] for l in lines):
                lines.append("proxymap unix - - n - - proxymap")
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write("\n".join(lines) + "\n")

    @staticmethod
    def _jailed(line):
        """An smtpd service line with its chroot column set to y."""
        w = line.split()
        if len(w) < 8 or w[7] != "smtpd" or w[4] not in ("n", "-"):
            return line
        return re.sub(r"^(\s*(?:\S+\s+){4})\S+", lambda m: m.group(1) + "y", line, count=1)

    def write_dns(self, local_data, ptr):
        """An unbound.conf with only these records: nothing leaves the machine."""
        with open(os.path.join(self.etc, "unbound.conf"), "w") as f:
            f.write("server:\n")
            f.write('    local-zone: "." static\n')
            # unbound's built-in localhost zones would answer 127.0.0.1 too
            f.write('    local-zone: "localhost." nodefault\n')
            f.write('    local-zone: "127.in-addr.arpa." nodefault\n')
            for line in local_data:
                f.write('    local-data: "%s"\n' % line)
            for line in ptr:
                f.write('    local-data-ptr: "%s"\n' % line)

    def with_fake_agent(self):
        """Run the daemons from a directory of links to the build's programs
        plus fake_agent (t/integration/fake_agent.py), so that master.cf can
        name it as a command.  Call before start()."""
        bindir = os.path.join(self.dir, "bin")
        os.makedirs(bindir)
        for name in os.listdir(BIN_DIR):
            os.symlink(os.path.join(BIN_DIR, name), os.path.join(bindir, name))
        os.symlink(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_agent.py"),
                   os.path.join(bindir, "fake_agent"))
        self.params["daemon_directory"] = bindir
        self.write_main_cf(self.params)

    def with_commands(self):
        """The user commands as installed: sendmail and its names, postern-map,
        and postdrop and postern-queue copied here setgid postdrop (a build
        tree's programs are not), in a command_directory of the instance.
        Call before start(); run them with run_as()."""
        self.sbin = os.path.join(self.dir, "sbin")
        os.makedirs(self.sbin)
        postdrop_gid = grp.getgrnam("postdrop").gr_gid
        for name in ["postdrop", "postern-queue"]:
            path = os.path.join(self.sbin, name)
            shutil.copy(os.path.join(BIN_DIR, name), path)
            os.chown(path, 0, postdrop_gid)
            os.chmod(path, 0o2755)
        for name in ["sendmail", "postern-map"]:
            os.symlink(os.path.join(BIN_DIR, name), os.path.join(self.sbin, name))
        for name in ["mailq", "newaliases"]:
            os.symlink("sendmail", os.path.join(self.sbin, name))
        self.params["command_directory"] = self.sbin
        self.write_main_cf(self.params)
        return self

    def run_as(self, user, name, *args, input=b"", env=None, config=True, timeout=60):
        """Run sbin/name (with -C etc unless config is False) as user, a MailUser
        or an account name, or as root when user is None."""
        argv = [os.path.join(self.sbin, name)] + (["-C", self.etc] if config else []) + list(args)
        if user is not None:
            user = user if isinstance(user, str) else user.name
            argv = ["setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups"] + argv
        e = self.env()
        e.update(env or {})
        return subprocess.run(argv, input=input, capture_output=True, env=e, timeout=timeout,
                              cwd="/")

    # running ------------------------------------------------------------------

    def env(self):
        e = dict(os.environ)
        e["ASAN_OPTIONS"] = ("detect_leaks=0:abort_on_error=1:log_path=%s/asan"
                             % self.sanitizer_dir)
        e["UBSAN_OPTIONS"] = ("print_stacktrace=1:halt_on_error=1:log_path=%s/ubsan"
                              % self.sanitizer_dir)
        e.update(self.extra_env)
        return e

    def postern(self, *args, check=True):
        """Run the postern command against this instance."""
        return subprocess.run([os.path.join(BIN_DIR, "postern"), "-c", self.etc] + list(args),
                              capture_output=True, text=True, env=self.env(), check=check,
                              timeout=60)

    def command(self, name, *args, check=False, input=None):
        return subprocess.run([os.path.join(BIN_DIR, name), "-c", self.etc] + list(args),
                              capture_output=True, text=True, env=self.env(), check=check,
                              timeout=60, input=input)

    def start(self):
        r = self.postern("start", check=False)
        assert r.returncode == 0, "postern start failed: %s %s" % (r.stdout, r.stderr)
        self.started = True
        wait_until(self._listening, 10, what="smtpd listening on %s:%d" % (self.addr, self.port))
        return self

    def _listening(self):
        try:
            with socket.create_connection((self.addr, self.port), timeout=1) as s:
                s.recv(512)
            return True
        except OSError:
            return False

    def stop(self):
        if self.started:
            try:
                pid = self.master_pid()
            except (OSError, ValueError):
                pid = None
            r = self.postern("stop", check=False)
            self.started = False
            if pid and os.path.exists("/proc/%d" % pid):
                try:
                    wait_until(lambda: not os.path.exists("/proc/%d" % pid), 10,
                               what="master to exit")
                except AssertionError:
                    os.kill(pid, signal.SIGKILL)
                    raise AssertionError("postern stop left master running: %s" % r.stderr)
        self.check_sanitizers()

    def cleanup(self):
        self.stop()
        if os.environ.get("POSTERN_KEEP_TEST_DIRS") is None:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    def check_sanitizers(self):
        reports = glob.glob(os.path.join(self.sanitizer_dir, "*")) + \
            glob.glob(os.path.join(self.jail_sanitizer_dir, "*"))
        text = "".join(open(p, errors="replace").read() for p in reports)
        assert not reports, "sanitizer reports in %s:\n%s" % (self.sanitizer_dir, text[:5000])
        log = self.read_log()
        assert "panic:" not in log, "a daemon panicked:\n" + log[-5000:]

    # observing ----------------------------------------------------------------

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, text, timeout=20.0):
        return wait_until(lambda: text in self.read_log(), timeout, what="log line %r" % text)

    def wait_log_re(self, pattern, timeout=20.0):
        """The first match of pattern in the log, once there is one (a delivery
        is in the Maildir a moment before its log line is written)."""
        r = re.compile(pattern)
        return wait_until(lambda: r.search(self.read_log()), timeout,
                          what="log line matching %r" % pattern)

    def master_pid(self):
        with open(os.path.join(self.queue, "pid", "master.pid")) as f:
            return int(f.read().strip())

    def daemon_pids(self, program):
        """PIDs of running processes of this instance's master running program."""
        master = self.master_pid()
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    stat = f.read()
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    argv0 = f.read().split(b"\0")[0].decode()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == master and os.path.basename(argv0) == program:
                pids.append(int(d))
        return pids

    def queue_files(self, queue=None):
        names = [queue] if queue else ["incoming", "local", "remote", "deferred", "hold",
                                       "corrupt"]
        out = []
        for q in names:
            out += [os.path.join(q, n) for n in os.listdir(os.path.join(self.queue, q))]
        return out

    QUEUES = ["incoming", "local", "remote", "deferred", "hold", "corrupt"]

    def names_by_inode(self, dirs=None):
        """{inode: [queue/name, ...]} for every file in the queues and spare/."""
        out = {}
        for q in dirs or self.QUEUES + ["spare"]:
            d = os.path.join(self.queue, q)
            for n in os.listdir(d):
                try:
                    st = os.lstat(os.path.join(d, n))
                except FileNotFoundError:
                    continue
                out.setdefault(st.st_ino, []).append("%s/%s" % (q, n))
        return out

    def check_queue_invariants(self):
        """SPEC.md's queue rules: one queue name per file, spare/ files have
        no queue name and no second name, corrupt/ is empty."""
        problems = []
        for ino, names in self.names_by_inode().items():
            queued = [n for n in names if not n.startswith("spare/")]
            if len(names) > 1:
                problems.append("inode %d has several names: %s" % (ino, names))
            for n in names:
                st = os.lstat(os.path.join(self.queue, n))
                if st.st_nlink != 1:
                    problems.append("%s has %d links" % (n, st.st_nlink))
            if queued and len(queued) < len(names):
                problems.append("inode %d is both spare and queued: %s" % (ino, names))
        corrupt = os.listdir(os.path.join(self.queue, "corrupt"))
        if corrupt:
            problems.append("corrupt/ is not empty: %s" % corrupt)
        assert not problems, "; ".join(problems)

    def wait_queue_empty(self, timeout=30.0):
        wait_until(lambda: not [f for f in self.queue_files()
                                if not os.path.basename(f).startswith(".")],
                   timeout, what="an empty queue")
