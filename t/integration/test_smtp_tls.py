"""The smtp client's verified TLS levels: at verify the server's
certificate must chain to smtp_tls_CAfile and name the MX host; at secure
it must name the next hop domain; smtp_tls_policy_maps sets the level per
destination.  The receiver is a second Postern instance with a certificate
for its host name, which the sender's CA file trusts."""

import os
import re
import smtplib
import tempfile

from postern_instance import MailUser
from tls_certs import make_cert


def receiver(make_instance):
    b = make_instance(start=False, addr="127.0.0.3", mydomain="b.test")
    d = tempfile.mkdtemp(prefix="postern-smtp-tls-", dir=b.dir)
    b.cert, key = make_cert(d, "mx", b.hostname)  # mx.b.test
    b.params.update({"smtpd_tls_security_level": "may", "smtpd_tls_cert_file": b.cert,
                     "smtpd_tls_key_file": key, "smtpd_tls_received_header": "yes"})
    b.write_main_cf(b.params)
    b.start()
    return b


def sender(make_instance, b, cafile, policy, **main_cf):
    a = make_instance(start=False, addr="127.0.0.4", mydomain="a.test",
                      main_cf=dict({"smtp_tcp_port": str(b.port), "smtp_tls_CAfile": cafile,
                                    "minimal_backoff_time": "60s",
                                    "maximal_backoff_time": "60s"}, **main_cf),
                      dns=["b.test. MX 10 mx.b.test.", "mx.b.test. A 127.0.0.3",
                           "c.test. MX 10 other.b.test.", "other.b.test. A 127.0.0.3",
                           "d.test. MX 10 mx.b.test.", "sub.b.test. MX 10 mx.b.test."])
    table = os.path.join(a.etc, "tls_policy")
    with open(table, "w") as f:
        f.write(policy)
    a.params["smtp_tls_policy_maps"] = "texthash:" + table
    a.write_main_cf(a.params)
    a.master_cf.append("smtp unix - - y - - smtp")
    a.write_master_cf(a.master_cf)
    a.start()
    return a


def send(a, rcpt):
    with smtplib.SMTP(a.addr, a.port, timeout=30) as s:
        s.sendmail("someone@a.test", [rcpt], "Subject: tls\r\n\r\nhello\r\n")
    return a.wait_log_re(r"to=<%s>, relay=[^,]+, .*dsn=(\S+), status=(\w+) \(([^\n]*)\)"
                         % re.escape(rcpt))


def test_verify_and_secure(make_instance, user, user2):
    b = receiver(make_instance)
    a = sender(make_instance, b, b.cert, "b.test secure\n.b.test secure\nd.test verify\n")
    # secure: mx.b.test is below the next hop b.test
    m = send(a, user.name + "@b.test")
    assert m.group(2) == "sent", m.group(0)
    assert re.search(r"Verified TLS connection established to mx\.b\.test\[127\.0\.0\.3\]:%d: "
                     r"TLSv1\.[23] with cipher" % b.port, a.read_log()), a.read_log()
    assert "(using TLSv1." in open(user.wait_for(1)[0]).read()
    # verify: the certificate names d.test's MX host (b relays d.test for loopback)
    assert send(a, "x@d.test").group(2) == "sent"
    # secure: mx.b.test is not below the next hop sub.b.test
    m = send(a, "someone@sub.b.test")
    assert m.group(2) == "deferred" and "certificate verify failed" in m.group(3), m.group(0)


def test_wrong_name_or_untrusted_defers(make_instance, user):
    b = receiver(make_instance)
    other_ca, _ = make_cert(tempfile.mkdtemp(dir=b.dir), "other", "ca.example")
    a = sender(make_instance, b, b.cert, "c.test verify\nb.test encrypt\n")
    # c.test's MX is other.b.test: the certificate names mx.b.test
    m = send(a, "x@c.test")
    assert m.group(2) == "deferred" and m.group(1).startswith("4."), m.group(0)
    assert "certificate verify failed" in m.group(3), m.group(0)
    # encrypt takes the same certificate without checking it
    assert send(a, user.name + "@b.test").group(2) == "sent"
    assert "Untrusted TLS connection established to mx.b.test" in a.read_log()
    # a CA file that does not sign it: verify fails
    a2 = sender(make_instance, b, other_ca, "b.test verify\n")
    u2 = MailUser()
    try:
        m = send(a2, u2.name + "@b.test")
        assert m.group(2) == "deferred" and "certificate verify failed" in m.group(3), m.group(0)
    finally:
        u2.release()
