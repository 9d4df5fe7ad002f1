"""master: on-demand processes, process limits, recycling, restarts with
back-off, and reloads that add, change and remove services."""

import os
import re
import signal
import smtplib
import socket
import time

from postern_instance import free_port, wait_until


def greeting(addr, port, timeout=5.0):
    s = socket.create_connection((addr, port), timeout=timeout)
    try:
        return s, s.recv(512)
    except socket.timeout:
        return s, b""


def try_greeting(addr, port):
    """The greeting, or None while nothing listens there."""
    try:
        s, hello = greeting(addr, port)
    except ConnectionRefusedError:
        return None
    s.close()
    return hello or None


def test_dead_daemon_is_restarted(instance, user):
    for pid in instance.daemon_pids("smtpd") + instance.daemon_pids("qmgr"):
        os.kill(pid, signal.SIGKILL)
    # master notices, throttles briefly, and starts new ones on demand.
    instance.wait_log("killed by signal 9")
    wait_until(lambda: instance._listening(), 10, what="smtpd back")
    with smtplib.SMTP(instance.addr, instance.port) as s:
        s.sendmail("a@client.test", [user.name + "@test.example"], "Subject: r\r\n\r\nr\r\n")
    user.wait_for(1)


def test_a_service_that_keeps_dying_is_throttled(make_instance, user):
    # local must run as root; with unpriv=y it exits at once, every time.
    inst = make_instance(master_cf=None)
    lines = inst.master_cf[:2] + ["local unix - y n - - local"]
    inst.write_master_cf(lines)
    inst.postern("reload")
    with smtplib.SMTP(inst.addr, inst.port) as s:
        s.sendmail("a@client.test", [user.name + "@test.example"], "Subject: t\r\n\r\nt\r\n")
    wait_until(lambda: len(re.findall(r"throttling for \d+ s", inst.read_log())) >= 2, 30,
               what="two throttling periods")
    delays = [int(d) for d in re.findall(r"local/unix: process died abnormally -- throttling "
                                         r"for (\d+) s", inst.read_log())]
    assert delays[:2] == [1, 2], delays
    assert "local needs root" in inst.read_log()
    # The other services are unaffected.
    s, hello = greeting(inst.addr, inst.port)
    s.close()
    assert hello.startswith(b"220 ")
    # Fix the configuration: the deferred message is delivered.
    inst.write_master_cf(inst.master_cf)
    inst.postern("reload")
    user.wait_for(1, timeout=60)


def test_process_limit(make_instance):
    inst = make_instance(start=False)
    inst.master_cf[0] = "%s:%d inet n - n - 2 smtpd" % (inst.addr, inst.port)
    inst.write_master_cf(inst.master_cf)
    inst.start()
    held = []
    for _ in range(2):
        s, hello = greeting(inst.addr, inst.port)
        assert hello.startswith(b"220"), hello
        held.append(s)
    third, hello = greeting(inst.addr, inst.port, timeout=1.5)
    assert hello == b"", "a third session was served beyond maxproc 2"
    assert len(inst.daemon_pids("smtpd")) == 2
    held[0].sendall(b"QUIT\r\n")
    held[0].recv(512)
    held[0].close()
    third.settimeout(10)
    assert third.recv(512).startswith(b"220")
    for s in held[1:] + [third]:
        s.close()


def test_max_use_recycles_processes(make_instance):
    inst = make_instance(start=False)
    inst.master_cf[0] = "%s:%d inet n - n - 1 smtpd -o max_use=2" % (inst.addr, inst.port)
    inst.write_master_cf(inst.master_cf)
    inst.start()  # start() itself makes one connection
    pids = set()
    for _ in range(5):
        with smtplib.SMTP(inst.addr, inst.port) as s:
            s.noop()
        pids |= set(inst.daemon_pids("smtpd"))
        time.sleep(0.05)
    assert len(pids) >= 2, "one process served more than max_use sessions"


def test_reload_adds_changes_and_removes_services(make_instance, user):
    inst = make_instance()
    port2 = free_port(inst.addr)
    extra = "%s:%d inet n - n - - smtpd -o smtpd_banner=second" % (inst.addr, port2)
    inst.write_master_cf(inst.master_cf + [extra])
    inst.postern("reload")
    hello = wait_until(lambda: try_greeting(inst.addr, port2), 10, what="the new service")
    assert hello == b"220 second\r\n"
    # The first service kept its socket all along.
    s, hello = greeting(inst.addr, inst.port)
    s.close()
    assert hello.startswith(b"220 " + inst.hostname.encode())
    # Change the new service: same socket, new banner.
    inst.write_master_cf(inst.master_cf + [extra.replace("second", "changed")])
    inst.postern("reload")
    wait_until(lambda: try_greeting(inst.addr, port2) == b"220 changed\r\n", 10,
               what="the changed service")
    # Remove it: the port is closed.
    inst.write_master_cf(inst.master_cf)
    inst.postern("reload")

    def closed():
        try:
            socket.create_connection((inst.addr, port2), timeout=1).close()
            return False
        except ConnectionRefusedError:
            return True
    wait_until(closed, 10, what="the removed service's port to close")
    with smtplib.SMTP(inst.addr, inst.port) as c:
        c.sendmail("a@client.test", [user.name + "@test.example"], "Subject: x\r\n\r\nx\r\n")
    user.wait_for(1)


def test_session_in_progress_survives_reload(instance, user):
    s = smtplib.SMTP(instance.addr, instance.port)
    s.ehlo("client.test")
    s.mail("a@client.test")
    s.rcpt(user.name + "@test.example")
    instance.postern("reload")
    instance.wait_log("reload -- version")
    code, _ = s.data(b"Subject: across a reload\r\n\r\nstill here\r\n")
    assert code == 250
    s.quit()
    user.wait_for(1)
