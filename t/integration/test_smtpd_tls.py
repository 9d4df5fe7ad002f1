"""smtpd's TLS: STARTTLS (RFC 3207), wrapper mode, certificates (RSA, ECDSA,
SNI), session resumption across processes, security level encrypt, the
log line and the Received: header, and what postern check refuses.

Each instance gets its certificates from tls_certs.py (made with the
openssl command, root's files with mode 0600)."""

import os
import re
import smtplib
import socket
import ssl
import subprocess

import pytest

from postern_instance import free_port, wait_until
from smtp_raw import Client
from tls_certs import make_cert, make_chain_file

DNS = dict(dns=["client.test. A 127.0.0.1"], ptr=["127.0.0.1 client.test"])
SNI_NAME = "mail.other.example"


def client_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


CLIENT_CONTEXT = client_context()  # one context, so that its sessions can be reused
RSA_ONLY = ("-sigalgs", "rsa_pss_rsae_sha256")


def setup_tls(inst, params=None, wrapper=False, sni=True, sni_type="texthash"):
    """Certificates and TLS settings for inst (not started yet)."""
    d = os.path.join(inst.dir, "tls")
    os.makedirs(d, mode=0o700)
    inst.rsa_cert, inst.rsa_key = make_cert(d, "rsa", inst.hostname, "rsa")
    inst.ec_cert, inst.ec_key = make_cert(d, "ec", inst.hostname, "ec")
    p = {
        "smtpd_tls_security_level": "may",
        "smtpd_tls_cert_file": inst.rsa_cert,
        "smtpd_tls_key_file": inst.rsa_key,
        "smtpd_tls_eccert_file": inst.ec_cert,
        "smtpd_tls_eckey_file": inst.ec_key,
        "smtpd_tls_received_header": "yes",
    }
    if sni:
        chain = make_chain_file(d, "sni", SNI_NAME, "rsa", org="sni")
        table = os.path.join(inst.etc, "sni")
        with open(table, "w") as f:
            f.write("%s %s\n" % (SNI_NAME, chain))
            f.write(".hosted.example %s\n" % chain)  # every name below hosted.example
        if sni_type == "hash":
            r = inst.command("postern-map", table)
            assert r.returncode == 0, r.stderr
        p["tls_server_sni_maps"] = "%s:%s" % (sni_type, table)
    p.update(params or {})
    inst.params.update(p)
    inst.write_main_cf(inst.params)
    if wrapper:
        inst.wrap_port = free_port(inst.addr)
        inst.master_cf.append("%s:%d inet n - n - - smtpd -o smtpd_tls_wrappermode=yes"
                              % (inst.addr, inst.wrap_port))
        inst.write_master_cf(inst.master_cf)
    return inst


@pytest.fixture
def tls_instance(make_instance):
    def make(params=None, wrapper=False, sni=True, start=True, sni_type="texthash"):
        inst = setup_tls(make_instance(start=False, **DNS), params, wrapper, sni, sni_type)
        if start:
            inst.start()
        return inst
    return make


def starttls(c, session=None):
    """STARTTLS on a smtp_raw.Client; the socket is TLS afterwards."""
    r = c.cmd("STARTTLS")
    assert r.code == 220, r
    c.sock = CLIENT_CONTEXT.wrap_socket(c.sock, session=session)
    return c.sock


def s_client(inst, *args, port=None, starttls=True, input=b"QUIT\r\n"):
    argv = ["openssl", "s_client", "-connect", "%s:%d" % (inst.addr, port or inst.port)]
    if starttls:
        argv += ["-starttls", "smtp"]
    # -ign_eof: read on until the server closes, so the TLS 1.3 tickets are seen
    r = subprocess.run(argv + ["-ign_eof"] + list(args), input=input, capture_output=True,
                       timeout=30)
    return r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")


def subject(out):
    m = re.search(r"^subject=(.*)$", out, re.M)
    assert m, "no certificate subject in s_client output:\n" + out[-2000:]
    return m.group(1)


def message(user, n=1):
    user.wait_for(n)
    return user.contents()[-1].decode(errors="replace")


def test_smtplib_starttls_delivers_with_received_and_log(tls_instance, user):
    inst = tls_instance()
    with smtplib.SMTP(inst.addr, inst.port, timeout=10) as s:
        s.ehlo("client.test")
        assert s.has_extn("starttls")
        s.starttls(context=client_context())
        code, _ = s.ehlo("client.test")
        assert code == 250
        assert not s.has_extn("starttls"), "STARTTLS offered inside TLS"
        s.sendmail("sender@client.test", ["%s@test.example" % user.name],
                   "Subject: tls\r\nX-Tag: tls1\r\n\r\nover TLS\r\n")
    text = message(user)
    assert re.search(r"\n\t\(using TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384 \(256/256 bits\)\)\n"
                     r"\t\(No client certificate requested\)\n\tby mx\.test\.example \(Postern\) "
                     r"with ESMTPS id ", text), text[:600]
    inst.wait_log("Anonymous TLS connection established from client.test[127.0.0.1]: "
                  "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)")


def test_no_starttls_by_default(make_instance):
    inst = make_instance(**DNS)
    with Client(inst) as c:
        r = c.ehlo()
        assert "STARTTLS" not in "\n".join(r.lines)
        assert c.cmd("STARTTLS").line.startswith("502 5.5.1")


def test_swaks_tls_and_tls_on_connect(tls_instance, user):
    inst = tls_instance(wrapper=True)
    to = "%s@test.example" % user.name
    for tag, argv in [("starttls", ["--tls", "--port", str(inst.port)]),
                      ("wrapper", ["--tls-on-connect", "--port", str(inst.wrap_port)])]:
        r = subprocess.run(["swaks", "--server", inst.addr, "--to", to, "--from",
                            "sender@client.test", "--helo", "client.test",
                            "--header", "X-Tag: " + tag] + argv,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "TLS started" in r.stdout, r.stdout
    user.wait_for(2)
    assert sorted(user.tags()) == ["starttls", "wrapper"]
    for data in user.contents():
        assert b"with ESMTPS id" in data


def test_wrapper_mode_greets_only_after_the_handshake(tls_instance):
    inst = tls_instance(wrapper=True)
    with socket.create_connection((inst.addr, inst.wrap_port), timeout=10) as raw:
        with client_context().wrap_socket(raw) as s:
            assert s.recv(512).startswith(b"220 ")
            assert s.version() == "TLSv1.3"


@pytest.mark.parametrize("sni_type", ["texthash", "hash"])
def test_sni_picks_the_certificate_of_the_name(tls_instance, sni_type):
    inst = tls_instance(sni_type=sni_type)
    assert "O = sni" in subject(s_client(inst, "-servername", SNI_NAME))
    assert "CN = %s" % SNI_NAME in subject(s_client(inst, "-servername", SNI_NAME))
    # another name, or none: the default certificates
    assert "O = rsa" in subject(s_client(inst, "-servername", "unknown.example", *RSA_ONLY))
    assert "O = rsa" in subject(s_client(inst, "-noservername", *RSA_ONLY))
    assert "O = ec" in subject(s_client(inst, "-noservername"))
    # an entry names one host; ".domain" every host below the domain, as in Postfix
    assert "O = sni" not in subject(s_client(inst, "-servername", "sub." + SNI_NAME))
    assert "O = sni" in subject(s_client(inst, "-servername", "mail.corp.hosted.example"))
    assert "O = sni" not in subject(s_client(inst, "-servername", "hosted.example"))


def test_ecdsa_certificate_for_an_ecdsa_only_client(tls_instance):
    inst = tls_instance()
    out = s_client(inst, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
    assert "O = ec" in subject(out)
    assert "ECDHE-ECDSA-AES128-GCM-SHA256" in out
    out = s_client(inst, "-tls1_3", "-sigalgs", "ecdsa_secp256r1_sha256")
    assert "O = ec" in subject(out)
    out = s_client(inst, "-tls1_3", "-sigalgs", "rsa_pss_rsae_sha256")
    assert "O = rsa" in subject(out)


def test_tls_below_1_2_is_refused(tls_instance):
    inst = tls_instance()
    out = s_client(inst, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    assert "Cipher is (NONE)" in out or "no protocols available" in out or \
        "alert protocol version" in out, out[-2000:]
    inst.wait_log("SSL_accept error from client.test[127.0.0.1]")


def test_session_resumes_in_another_process(tls_instance):
    """A ticket from one smtpd process resumes in another: the keys are shared."""
    inst = tls_instance()
    first = Client(inst)
    first.ehlo()
    sock = starttls(first)
    first.ehlo()  # reads past the handshake, so the TLS 1.3 tickets have arrived
    session = sock.session
    assert session is not None and session.has_ticket
    # first still holds its process, so this connection is served by another
    second = Client(inst)
    second.ehlo()
    sock2 = starttls(second, session=session)
    assert sock2.session_reused, "the session was not resumed"
    assert sock2.version() == "TLSv1.3"
    second.ehlo()
    first.close()
    second.close()
    pids = set(re.findall(r"smtpd\[(\d+)\]: Anonymous TLS connection established",
                          inst.read_log()))
    assert len(pids) == 2, "both connections went to one process: %s" % pids


def test_s_client_sess_out_sess_in_reused(tls_instance, tmp_path):
    inst = tls_instance()
    sess = str(tmp_path / "sess.pem")
    out = s_client(inst, "-sess_out", sess, input=b"EHLO client.test\r\nQUIT\r\n")
    assert "New," in out
    out = s_client(inst, "-sess_in", sess, input=b"EHLO client.test\r\nQUIT\r\n")
    assert re.search(r"^Reused, TLSv1\.3", out, re.M), out[-2000:]


def test_pipelined_command_after_starttls_is_discarded(tls_instance):
    """CVE-2011-0411: bytes sent with STARTTLS are never read as TLS commands."""
    inst = tls_instance({"smtpd_forbid_unauth_pipelining": "no"})
    with Client(inst) as c:
        c.ehlo()
        c.send(b"STARTTLS\r\nRSET\r\n")
        r = c.reply()
        assert r.code == 220, r
        c.sock = client_context().wrap_socket(c.sock)
        c.buf = b""
        r = c.cmd("EHLO client.test")
        # the first answer inside TLS is EHLO's, not the 250 of a smuggled RSET
        assert r.lines[0] == "250-mx.test.example", r
        assert c.cmd("NOOP").line.startswith("250")


def test_pipelined_starttls_is_refused_by_default(tls_instance):
    inst = tls_instance()
    with Client(inst) as c:
        c.ehlo()
        c.send(b"STARTTLS\r\nRSET\r\n")
        r = c.reply()
        assert r.line.startswith("554 5.5.0"), r
        assert c.reply() is None


def test_starttls_resets_the_session(tls_instance):
    inst = tls_instance({"smtpd_helo_required": "yes"})
    with Client(inst) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<a@client.test>").code == 250
        starttls(c)
        # the clear-text EHLO and MAIL are forgotten
        assert c.cmd("MAIL FROM:<a@client.test>").line.startswith("503 5.5.1 Error: send HELO")
        c.ehlo()
        assert c.cmd("MAIL FROM:<a@client.test>").code == 250


def test_starttls_errors(tls_instance):
    inst = tls_instance()
    with Client(inst) as c:
        c.ehlo()
        assert c.cmd("STARTTLS now").line.startswith("501 5.5.4")
        starttls(c)
        c.ehlo()
        assert c.cmd("STARTTLS").line.startswith("554 5.5.1")


def test_security_level_encrypt(tls_instance, user):
    inst = tls_instance({"smtpd_tls_security_level": "encrypt"})
    to = "%s@test.example" % user.name
    with Client(inst) as c:
        c.ehlo()
        for cmd in ["MAIL FROM:<a@client.test>", "RCPT TO:<%s>" % to, "DATA", "VRFY x",
                    "AUTH PLAIN", "HELP"]:
            assert c.cmd(cmd).line == "530 5.7.0 Must issue a STARTTLS command first", cmd
        for cmd in ["NOOP", "RSET"]:
            assert c.cmd(cmd).code == 250
        starttls(c)
        c.ehlo()
        c.mail_to("a@client.test", [to])
        assert c.cmd("DATA").code == 354
        assert c.cmd("X-Tag: enc\r\n\r\nhi\r\n.").code == 250
    assert "with ESMTPS id" in message(user)


def test_garbage_instead_of_client_hello(tls_instance):
    inst = tls_instance()
    with Client(inst) as c:
        c.ehlo()
        assert c.cmd("STARTTLS").code == 220
        c.send(b"GET / HTTP/1.0\r\n\r\n" * 20)
        c.sock.settimeout(10)
        try:
            while c.sock.recv(4096):
                pass
        except ConnectionResetError:
            pass
    inst.wait_log("SSL_accept error from client.test[127.0.0.1]: ")
    inst.wait_log("lost connection after STARTTLS from client.test[127.0.0.1]")
    # and the service goes on
    with Client(inst) as c:
        c.ehlo()
        starttls(c)
        assert c.cmd("NOOP").code == 250


def test_level_may_without_certificate_offers_no_starttls(make_instance):
    inst = make_instance(start=False, **DNS)
    inst.params["smtpd_tls_security_level"] = "may"
    inst.write_main_cf(inst.params)
    r = inst.postern("check", check=False)
    assert r.returncode != 0 and "smtpd TLS: no certificate configured" in r.stderr, r.stderr


def test_check_refuses_a_key_that_does_not_match(make_instance):
    inst = make_instance(start=False, **DNS)
    setup_tls(inst, sni=False)
    assert inst.postern("check", check=False).returncode == 0
    inst.params["smtpd_tls_key_file"] = inst.ec_key
    inst.write_main_cf(inst.params)
    r = inst.postern("check", check=False)
    assert r.returncode != 0
    line = r.stderr.strip()
    assert "\n" not in line, line
    assert "does not match the certificate" in line and "different key types" in line, line
    _, other_key = make_cert(os.path.join(inst.dir, "tls"), "other", inst.hostname, "rsa")
    inst.params["smtpd_tls_key_file"] = other_key
    inst.write_main_cf(inst.params)
    r = inst.postern("check", check=False)
    assert r.returncode != 0 and "key values mismatch" in r.stderr, r.stderr
    inst.params["smtpd_tls_key_file"] = os.path.join(inst.dir, "missing.key")
    inst.write_main_cf(inst.params)
    r = inst.postern("check", check=False)
    assert r.returncode != 0 and "cannot load private key from" in r.stderr, r.stderr


def test_keys_are_read_as_root_and_ticket_file_is_private(tls_instance):
    inst = tls_instance()
    with Client(inst) as c:
        c.ehlo()
        starttls(c)
        assert c.cmd("NOOP").code == 250
    st = os.stat(os.path.join(inst.queue, "pid", "smtpd_tls_ticket.keys"))
    assert st.st_uid == 0 and (st.st_mode & 0o077) == 0
    assert st.st_size == 80
    assert "TLS is not available" not in inst.read_log()


def test_reload_picks_up_a_new_certificate(tls_instance):
    inst = tls_instance(sni=False)
    before = subject(s_client(inst, "-noservername", *RSA_ONLY))
    assert "O = rsa" in before
    d = os.path.join(inst.dir, "tls")
    cert, key = make_cert(d, "rsa2", inst.hostname, "rsa", org="renewed")
    os.replace(cert, inst.rsa_cert)
    os.replace(key, inst.rsa_key)
    inst.postern("reload")
    wait_until(lambda: "O = renewed" in subject(s_client(inst, "-noservername", *RSA_ONLY)), 20,
               what="the renewed certificate")


def test_chain_files_serve_rsa_and_ecdsa(make_instance):
    inst = make_instance(start=False, **DNS)
    d = os.path.join(inst.dir, "tls")
    os.makedirs(d, mode=0o700)
    rsa = make_chain_file(d, "rsa", inst.hostname, "rsa")
    ec = make_chain_file(d, "ec", inst.hostname, "ec")
    inst.params.update({"smtpd_tls_security_level": "may",
                        "smtpd_tls_chain_files": "%s, %s" % (rsa, ec)})
    inst.write_main_cf(inst.params)
    inst.start()
    assert "O = rsa" in subject(s_client(inst, *RSA_ONLY))
    assert "O = ec" in subject(s_client(inst, "-sigalgs", "ecdsa_secp256r1_sha256"))


def test_broken_certificate_at_start_means_454_and_530(tls_instance):
    """A key that vanished before a (re)start: smtpd warns and runs without TLS."""
    inst = tls_instance({"smtpd_tls_security_level": "encrypt"}, sni=False)
    os.unlink(inst.rsa_key)
    os.kill(inst.master_pid(), 1)  # master's own reload: no "postern check" first

    def refused():
        with Client(inst) as c:
            r = c.ehlo()
            if "STARTTLS" in "\n".join(r.lines):
                return False  # an old process
            assert c.cmd("STARTTLS").line.startswith("454 4.7.0 TLS not available")
            assert c.cmd("MAIL FROM:<a@client.test>").line.startswith("530 5.7.0")
            return True
    wait_until(refused, 20, what="a new smtpd without TLS")
    inst.wait_log("TLS is not available: cannot load private key from %s" % inst.rsa_key)


def test_garbage_inside_tls_is_logged_once_and_ends_the_session(tls_instance):
    inst = tls_instance()
    with Client(inst) as c:
        c.ehlo()
        sock = starttls(c)
        c.ehlo()
        # clear text where TLS records belong, written under the TLS layer
        raw = socket.socket(fileno=os.dup(sock.fileno()))
        raw.sendall(b"\x17\x03\x03\x00\x10" + b"x" * 16)
        raw.close()
        inst.wait_log("warning: TLS library problem: error:")
        inst.wait_log("lost connection after EHLO from client.test[127.0.0.1]")
    assert inst.read_log().count("TLS library problem") == 1
