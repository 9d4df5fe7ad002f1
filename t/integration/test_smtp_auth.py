"""The smtp client's AUTH to a relay host: smtp_sasl_password_maps gives
the login for relayhost, PLAIN goes only inside TLS (the default
smtp_sasl_security_options has noplaintext), and a refused login defers
instead of bouncing.  The relay host is a second Postern instance with the
auth service and a certificate, which relays only for a logged-in client."""

import os
import re
import smtplib
import tempfile

import pytest

from postern_instance import Instance, wait_until
from test_smtpd_auth import ALICE, ALICE_PW, auth_instance
from tls_certs import make_cert

FAR = "far@remote.example"  # relayed by the relay host, which keeps it queued


@pytest.fixture
def certs():
    d = tempfile.mkdtemp(prefix="postern-smtp-auth-")
    yield make_cert(d, "relay", "mx.test.example")


def relay(make_instance, owner, certs, tls=True):
    # without TLS the relay host offers AUTH in the clear: the client must not take it
    params = {"mynetworks": "127.0.0.99/32", "smtpd_tls_auth_only": "yes" if tls else "no"}
    if tls:
        params.update({"smtpd_tls_security_level": "may", "smtpd_tls_cert_file": certs[0],
                       "smtpd_tls_key_file": certs[1]})
    return auth_instance(make_instance, owner, **params).inst


def sender(make_instance, relay_inst, password):
    inst = make_instance(start=False, addr="127.0.0.4", mydomain="a.test", main_cf={
        "relayhost": "[%s]:%d" % (relay_inst.addr, relay_inst.port),
        "smtp_sasl_auth_enable": "yes",
    })
    table = os.path.join(inst.etc, "sasl_passwd")
    with open(table, "w") as f:
        f.write("[%s]:%d %s:%s\n" % (relay_inst.addr, relay_inst.port, ALICE, password))
    os.chmod(table, 0o600)  # root's alone: smtp opens it before dropping privileges
    inst.params["smtp_sasl_password_maps"] = "texthash:" + table
    inst.write_main_cf(inst.params)
    inst.master_cf.append("smtp unix - - y - - smtp")
    inst.write_master_cf(inst.master_cf)
    inst.start()
    with smtplib.SMTP(inst.addr, inst.port, timeout=30) as s:
        s.sendmail(ALICE, [FAR], "Subject: via relay\r\n\r\nhello\r\n")
    return inst


def test_login_inside_tls_relays(make_instance, user, certs):
    r = relay(make_instance, user, certs)
    a = sender(make_instance, r, ALICE_PW)
    line = a.wait_log_re(r"to=<%s>, relay=[^,]+, .*status=(\w+)" % re.escape(FAR))
    assert line.group(1) == "sent", a.read_log()
    assert "Untrusted TLS connection established to" in a.read_log()
    assert re.search(r"client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=%s"
                     % re.escape(ALICE), r.read_log()), r.read_log()
    assert ALICE_PW not in a.read_log() + r.read_log()


def test_wrong_password_defers(make_instance, user, certs):
    r = relay(make_instance, user, certs)
    a = sender(make_instance, r, "not the password")
    line = a.wait_log_re(r"to=<%s>, .*dsn=(\S+), status=(\w+) \(([^\n]*)\)" % re.escape(FAR))
    assert line.group(2) == "deferred" and line.group(1).startswith("4."), line.group(0)
    assert "535" in line.group(3)
    r.wait_log("SASL PLAIN authentication failed")


def test_no_password_in_the_clear(make_instance, user, certs):
    """The relay host has no TLS but offers AUTH PLAIN anyway: the client
    does not send the password in the clear, and defers."""
    r = relay(make_instance, user, certs, tls=False)
    a = sender(make_instance, r, ALICE_PW)
    line = a.wait_log_re(r"to=<%s>, .*dsn=(\S+), status=(\w+) \(([^\n]*)\)" % re.escape(FAR))
    assert line.group(2) == "deferred", line.group(0)
    assert "offered no compatible authentication mechanisms" in line.group(3), line.group(0)
    assert "sasl_method" not in r.read_log() and "SASL" not in r.read_log()
