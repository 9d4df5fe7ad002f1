"""Test certificates, made with the openssl command at test time: an RSA
and an ECDSA self-signed certificate for a name, and a chain file (key and
certificate in one file) for SNI.  Files are root's with mode 0600, as a
real key is, so a daemon that read them after its privilege drop would
fail."""

import os
import subprocess


def _run(*argv):
    subprocess.run(["openssl"] + list(argv), check=True, capture_output=True, timeout=60)


def make_cert(directory, stem, cn, kind="rsa", org=None):
    """(cert path, key path) of a new self-signed certificate for cn."""
    cert = os.path.join(directory, stem + ".crt")
    key = os.path.join(directory, stem + ".key")
    newkey = ["-newkey", "rsa:2048"] if kind == "rsa" else \
        ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    subject = "/CN=%s/O=%s" % (cn, org or kind)
    _run("req", "-x509", "-nodes", "-days", "2", *newkey, "-keyout", key, "-out", cert,
         "-subj", subject, "-addext", "subjectAltName=DNS:%s" % cn)
    for p in (cert, key):
        os.chown(p, 0, 0)
        os.chmod(p, 0o600)
    return cert, key


def make_chain_file(directory, stem, cn, kind="rsa", org=None):
    """One file with the key and then the certificate, as smtpd_tls_chain_files wants."""
    cert, key = make_cert(directory, stem, cn, kind, org)
    path = os.path.join(directory, stem + ".pem")
    with open(path, "wb") as out:
        for p in (key, cert):
            with open(p, "rb") as f:
                out.write(f.read())
    os.chmod(path, 0o600)
    return path
