"""Idle connections must not deny service to everyone.

When every smtpd process is busy at the service's process limit and
another client waits, master warns (as Postfix does), tells the busy
processes that the service is under stress, and starts new ones with
stress=yes.  smtpd then uses the stress values of smtpd_timeout and
smtpd_hard_error_limit (Postfix's defaults: 10 s and 1; the test uses 2 s):
the idle clients get 421 and go, and the waiting client gets its banner.
"""

import socket
import time

from smtp_raw import Client
from postern_instance import wait_until


def test_idle_clients_give_way_under_stress(make_instance):
    inst = make_instance(start=False, main_cf={"smtpd_timeout": "${stress?{2}:{300}}s"})
    inst.master_cf[0] = inst.master_cf[0].replace("inet n - n - - smtpd", "inet n - n - 2 smtpd")
    inst.write_master_cf(inst.master_cf)
    inst.start()
    idle = []
    for _ in range(2):  # every process busy with a client that says nothing
        idle.append(Client(inst, timeout=30))  # reads the 220
    t0 = time.time()
    waiting = socket.create_connection((inst.addr, inst.port))
    waiting.settimeout(30)
    banner = waiting.recv(512)
    took = time.time() - t0
    assert banner.startswith(b"220"), banner
    assert took < 15, "the waiting client got its banner after %.1f s" % took
    for c in idle:
        r = c.reply()
        assert r is not None and r.code == 421 and "4.4.2" in r.line, r
    log = inst.read_log()
    assert ('warning: service "%s:%d" (inet:%s:%d) has reached its process limit "2": new '
            'clients may experience noticeable delays' % (inst.addr, inst.port, inst.addr,
                                                          inst.port)) in log, log
    assert "timeout after CONNECT from" in log
    waiting.close()
    for c in idle:
        c.close()


def test_watchdog_ends_a_stuck_process(make_instance):
    """A process that makes no progress for daemon_timeout seconds (here an
    smtpd waiting on a client for longer than that) exits with a fatal
    error, and master starts a fresh one for the next client."""
    inst = make_instance(start=False)
    inst.master_cf[0] += " -o daemon_timeout=2"
    inst.write_master_cf(inst.master_cf)
    inst.start()
    c = Client(inst, timeout=30)  # reads the 220
    inst.wait_log("fatal: watchdog timeout: no progress for 2 s", timeout=15)
    assert c.reply() is None  # the connection is gone
    c.close()
    with Client(inst) as c2:
        assert c2.greeting.code == 220
