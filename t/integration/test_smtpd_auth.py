"""SMTP AUTH (RFC 4954) in smtpd, with passwords checked by the auth
service: PLAIN and LOGIN from swaks, smtplib and a raw client, with and
without the initial response; the error replies (cancel, bad base64,
wrong password, unknown user, order, over-long lines); relaying for an
authenticated client only; send-as decided by smtpd_sender_login_maps
(another user's address refused, a group address and the user's own
+tag allowed); a session ended after too many failures, each logged in
Postfix's form, which the shipped fail2ban filter matches; and the
sasl_method and sasl_username fields of the message's client= line.

The instances run with smtpd_tls_auth_only = no, since TLS is not there
yet, except where the test is that AUTH needs it.
"""

import base64
import os
import re
import shutil
import smtplib
import subprocess
from email.message import EmailMessage

import pytest

from accounts import account, accounts_instance, ok
from postern_instance import wait_until
from smtp_raw import Client, queued_id
from test_smtpd_addresses import queue_file, queued_recipients

OUTSIDE = "127.0.0.9"  # not in mynetworks = 127.0.0.1/32
SRC = os.path.join(os.path.dirname(__file__), "..", "..")
FILTER = os.path.join(SRC, "etc", "fail2ban", "filter.d", "postern-sasl.conf")

ALICE, ALICE_PW = "alice@corp.example", "alice's secret"
BOB, BOB_PW = "bob@corp.example", "bob's secret"

SENDER_LOGINS = """\
alice@corp.example   alice@corp.example
bob@corp.example     bob@corp.example
sales@corp.example   alice@corp.example, bob@corp.example
"""


def b64(data):
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def plain(user, password, authzid=""):
    return b64("%s\0%s\0%s" % (authzid, user, password))


def auth_instance(make_instance, owner, **params):
    main_cf = {
        "smtpd_sasl_auth_enable": "yes",
        "smtpd_tls_auth_only": "no",
        "mynetworks": "127.0.0.1/32",
        "recipient_delimiter": "+",
        "smtpd_sender_restrictions": "reject_authenticated_sender_login_mismatch",
        "auth_failure_delay": "0s",
    }
    main_cf.update(params)
    a = accounts_instance(make_instance, owner, start=False, **main_cf)
    inst = a.inst
    logins = os.path.join(inst.etc, "sender_logins")
    with open(logins, "w") as f:
        f.write(SENDER_LOGINS)
    inst.params["smtpd_sender_login_maps"] = "texthash:" + logins
    inst.write_main_cf(inst.params)
    # before the start, so that smtpd's first look at the mailbox map sees them
    ok(account(inst, "add", ALICE, input=ALICE_PW + "\n"))
    ok(account(inst, "add", BOB, input=BOB_PW + "\n"))
    inst.start()
    return a


@pytest.fixture
def auth(make_instance, user):
    return auth_instance(make_instance, user)


def maildir_messages(a, address):
    new = os.path.join(a.maildir(address), "new")
    return [os.path.join(new, n) for n in os.listdir(new)] if os.path.isdir(new) else []


def wait_delivered(a, address, n=1):
    return wait_until(lambda: len(maildir_messages(a, address)) >= n and maildir_messages(a, address),
                      20, what="%d messages for %s" % (n, address))


def queued_for(inst, qid):
    """The recipients of qid's queue file, wherever qmgr has moved it by now."""
    def read():
        try:
            return queued_recipients(queue_file(inst, qid))
        except FileNotFoundError:  # moved between finding and opening
            return None
    return wait_until(read, 10, what="queue file " + qid)


def client_line(inst, qid):
    m = re.search(r"%s: client=[^\n]*" % qid, inst.read_log())
    return m.group(0) if m else None


def test_auth_offered_only_where_enabled(make_instance, user):
    # off by default: not in EHLO, and AUTH is refused
    inst = make_instance()
    with Client(inst) as c:
        assert not any("AUTH" in line for line in c.ehlo().lines)
        assert c.cmd("AUTH PLAIN " + plain(ALICE, ALICE_PW)).line == \
            "503 5.5.1 Error: authentication not enabled"
        # nor is MAIL's AUTH= parameter (RFC 4954 5) taken
        assert c.cmd("MAIL FROM:<%s> AUTH=<>" % ALICE).line == \
            "555 5.5.4 Unsupported option: AUTH"
    # on, but smtpd_tls_auth_only (the default) wants TLS first
    a = auth_instance(make_instance, user, smtpd_tls_auth_only="yes")
    with Client(a.inst) as c:
        assert not any("AUTH" in line for line in c.ehlo().lines)
        assert c.cmd("AUTH PLAIN " + plain(ALICE, ALICE_PW)).line == \
            "503 5.5.1 Error: authentication not enabled"
    # and with smtpd_tls_auth_only = no, offered
    b = auth_instance(make_instance, user)
    with Client(b.inst) as c:
        assert "250-AUTH PLAIN LOGIN" in c.ehlo().lines
        # and MAIL's AUTH= parameter is taken (and ignored)
        assert c.cmd("MAIL FROM:<%s> AUTH=<>" % ALICE).code == 250


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_swaks(auth, mech):
    inst = auth.inst
    r = subprocess.run(["swaks", "--server", "%s:%d" % (inst.addr, inst.port), "--from", ALICE,
                        "--to", BOB, "--auth", mech, "--auth-user", ALICE, "--auth-password",
                        ALICE_PW, "--header", "Subject: swaks " + mech, "--body", "via swaks"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "235 2.7.0 Authentication successful" in r.stdout
    qid = re.search(r"250 2\.0\.0 Ok: queued as ([0-9A-F]+)", r.stdout).group(1)
    with open(wait_delivered(auth, BOB)[0], "rb") as f:
        assert b"Subject: swaks " + mech.encode() in f.read()
    assert client_line(inst, qid).endswith(
        ", sasl_method=%s, sasl_username=%s" % (mech, ALICE))


def test_smtplib_login_relays(auth):
    inst = auth.inst
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = ALICE, "far@remote.example", "smtplib"
    msg.set_content("relayed for an authenticated client\n")
    with smtplib.SMTP(inst.addr, inst.port, source_address=(OUTSIDE, 0), timeout=30) as s:
        s.ehlo("client.test")
        assert s.has_extn("auth")
        assert s.login(ALICE, ALICE_PW)[0] == 235
        refused = s.send_message(msg)
    assert refused == {}
    m = re.search(r"([0-9A-F]+): client=unknown\[%s\], sasl_method=PLAIN, sasl_username=%s"
                  % (re.escape(OUTSIDE), re.escape(ALICE)), inst.read_log())
    assert m, inst.read_log()
    # queued for the remote domain (there is no smtp transport: it waits)
    assert queued_for(inst, m.group(1)) == ["far@remote.example"]
    # LOGIN through smtplib too, without the initial response
    with smtplib.SMTP(inst.addr, inst.port, source_address=(OUTSIDE, 0), timeout=30) as s:
        s.ehlo("client.test")
        s.user, s.password = BOB, BOB_PW
        assert s.auth("LOGIN", s.auth_login, initial_response_ok=False)[0] == 235
        with pytest.raises(smtplib.SMTPRecipientsRefused):  # not his sender address
            s.sendmail(ALICE, ["far@remote.example"], b"Subject: x\r\n\r\nx\r\n")


def test_unauthenticated_client_may_not_relay(auth):
    with Client(auth.inst, source=OUTSIDE) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % ALICE).code == 250
        r = c.cmd("RCPT TO:<far@remote.example>")
        assert r.line == "554 5.7.1 <far@remote.example>: Relay access denied", r
        # but mail for our own users is taken
        assert c.cmd("RCPT TO:<%s>" % BOB).code == 250


def test_plain_with_and_without_initial_response(auth):
    with Client(auth.inst, source=OUTSIDE) as c:
        c.ehlo()
        assert c.cmd("AUTH PLAIN " + plain(ALICE, ALICE_PW)).line == \
            "235 2.7.0 Authentication successful"
        assert c.cmd("AUTH PLAIN " + plain(ALICE, ALICE_PW)).line == \
            "503 5.5.1 Error: already authenticated"
    with Client(auth.inst, source=OUTSIDE) as c:
        c.ehlo()
        assert c.cmd("AUTH plain").line == "334 "
        # the authorization identity may be the login itself
        assert c.cmd(plain(BOB, BOB_PW, authzid=BOB)).code == 235
        c.mail_to(BOB, ["far@remote.example"])
        qid = queued_id(c.data(b"Subject: t\r\n\r\nplain\r\n.\r\n"))
    assert client_line(auth.inst, qid).endswith("sasl_method=PLAIN, sasl_username=" + BOB)


def test_login_with_and_without_initial_response(auth):
    with Client(auth.inst, source=OUTSIDE) as c:
        c.ehlo()
        assert c.cmd("AUTH LOGIN").line == "334 VXNlcm5hbWU6"
        assert c.cmd(b64(ALICE)).line == "334 UGFzc3dvcmQ6"
        assert c.cmd(b64(ALICE_PW)).line == "235 2.7.0 Authentication successful"
    with Client(auth.inst, source=OUTSIDE) as c:
        c.ehlo()
        assert c.cmd("AUTH LOGIN " + b64(BOB)).line == "334 UGFzc3dvcmQ6"
        assert c.cmd(b64(BOB_PW)).code == 235


def test_failures_and_errors(auth):
    inst = auth.inst
    with Client(inst, source=OUTSIDE) as c:
        c.ehlo()
        # wrong password, unknown user: the same answer
        wrong = c.cmd("AUTH PLAIN " + plain(ALICE, "guess"))
        assert wrong.line == "535 5.7.8 Error: authentication failed: authentication failure"
        assert c.cmd("AUTH PLAIN " + plain("nobody@corp.example", "guess")).line == wrong.line
        assert c.cmd("AUTH LOGIN " + b64(ALICE)).code == 334
        assert c.cmd(b64("guess")).line == wrong.line
        # another identity than the login's
        r = c.cmd("AUTH PLAIN " + plain(ALICE, ALICE_PW, authzid=BOB))
        assert r.code == 535, r
        # cancel, in either mechanism, at any step
        assert c.cmd("AUTH PLAIN").code == 334
        assert c.cmd("*").line == "501 5.7.0 Authentication aborted"
        assert c.cmd("AUTH LOGIN").code == 334
        assert c.cmd(b64(ALICE)).code == 334
        assert c.cmd("*").line == "501 5.7.0 Authentication aborted"
        # not base64
        assert c.cmd("AUTH PLAIN a!b=").line == \
            "535 5.7.8 Error: authentication failed: Invalid base64 data in initial response"
        assert c.cmd("AUTH PLAIN").code == 334
        assert c.cmd("abc").line == \
            "535 5.7.8 Error: authentication failed: Invalid base64 data in continued response"
        # bad base64 counts as a failed AUTH too, as in Postfix: the rest
        # in a new session, below smtpd_auth_failure_limit
        assert c.cmd("QUIT").code == 221
    with Client(inst, source=OUTSIDE) as c:
        c.ehlo()
        # malformed PLAIN messages are failures
        assert c.cmd("AUTH PLAIN " + b64("no NULs here")).code == 535
        assert c.cmd("AUTH PLAIN =").code == 535
        # the longest PLAIN response there can be is read whole (RFC 4954 4:
        # longer than a 512-octet command line), and one octet more is refused
        long_user = "u" * 56 + "@" + "d" * 255 + ".example"
        longest = plain(long_user[:320], "p" * 256, authzid=long_user[:320])
        assert len(longest) == 1200
        assert c.cmd("AUTH PLAIN " + longest).line == wrong.line
        r = c.cmd("AUTH PLAIN " + plain(long_user[:320], "p" * 257, authzid=long_user[:320]))
        assert r.line == "535 5.7.8 Error: authentication failed: response too long", r
        # an over-long response line
        assert c.cmd("AUTH PLAIN").code == 334
        assert c.cmd("A" * 5000).line == "500 5.5.6 Authentication exchange line is too long"
        # unknown mechanisms, order
        assert c.cmd("AUTH CRAM-MD5").line == \
            "535 5.7.8 Error: authentication failed: Invalid authentication mechanism"
        assert c.cmd("MAIL FROM:<%s>" % ALICE).code == 250
        assert c.cmd("AUTH PLAIN " + plain(ALICE, ALICE_PW)).line == \
            "503 5.5.1 Error: MAIL transaction in progress"
        assert c.cmd("RSET").code == 250
        # and after all that, the right password still works
        assert c.cmd("AUTH PLAIN " + plain(ALICE, ALICE_PW)).code == 235
    log = inst.read_log()
    assert "warning: unknown[%s]: SASL PLAIN authentication failed: authentication failure" \
        % OUTSIDE in log
    assert "warning: unknown[%s]: SASL LOGIN authentication failed: authentication failure" \
        % OUTSIDE in log
    assert "warning: unknown[%s]: SASL LOGIN authentication aborted" % OUTSIDE in log
    assert "warning: unknown[%s]: SASL CRAM-MD5 authentication failed: " \
        "Invalid authentication mechanism" % OUTSIDE in log
    # no password ever reaches the log
    assert "guess" not in log and ALICE_PW not in log


def test_sender_login_maps(auth):
    """reject_authenticated_sender_login_mismatch, applied at RCPT as
    smtpd_delay_reject has it."""
    inst = auth.inst
    refused = "553 5.7.1 <%s>: Sender address rejected: not owned by user %s"
    with Client(inst, source=OUTSIDE) as c:
        c.ehlo()
        assert c.cmd("AUTH PLAIN " + plain(ALICE, ALICE_PW)).code == 235
        # another user's address, and an address no entry names
        for sender in (BOB, "stranger@elsewhere.example"):
            assert c.cmd("MAIL FROM:<%s>" % sender).code == 250
            r = c.cmd("RCPT TO:<%s>" % BOB)
            assert r.line == refused % (sender, ALICE), r
            assert c.cmd("RSET").code == 250
        # her own, her +tag, the group's, and the null sender
        for sender in (ALICE, "alice+news@corp.example", "sales@corp.example", ""):
            assert c.cmd("MAIL FROM:<%s>" % sender).code == 250, sender
            assert c.cmd("RCPT TO:<%s>" % BOB).code == 250, sender
            assert c.cmd("RSET").code == 250
        c.mail_to("sales@corp.example", [BOB])
        queued_id(c.data(b"Subject: from the group\r\n\r\nhello\r\n.\r\n"))
    with open(wait_delivered(auth, BOB)[0], "rb") as f:
        assert b"Return-Path: <sales@corp.example>" in f.read()
    assert ("NOQUEUE: reject: RCPT from unknown[%s]: " % OUTSIDE + refused % (BOB, ALICE) +
            "; from=<%s> to=<%s> proto=ESMTP helo=<client.test>" % (BOB, BOB)) in inst.read_log()
    # unauthenticated clients are not asked (their mail is for us only)
    with Client(inst, source=OUTSIDE) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % BOB).code == 250
        assert c.cmd("RCPT TO:<%s>" % BOB).code == 250


def test_sender_login_mismatch_for_everyone(make_instance, user):
    """reject_sender_login_mismatch: an owned sender needs its login, even
    from a client that has not logged in; a sender nobody owns does not."""
    a = auth_instance(make_instance, user, smtpd_sender_restrictions="reject_sender_login_mismatch")
    with Client(a.inst, source=OUTSIDE) as c:
        c.ehlo()
        assert c.cmd("MAIL FROM:<%s>" % BOB).code == 250
        r = c.cmd("RCPT TO:<%s>" % BOB)
        assert r.line == "553 5.7.1 <%s>: Sender address rejected: not logged in" % BOB, r
        assert c.cmd("RSET").code == 250
        assert c.cmd("MAIL FROM:<stranger@elsewhere.example>").code == 250
        assert c.cmd("RCPT TO:<%s>" % BOB).code == 250


def test_ten_failures_end_the_session(auth):
    inst = auth.inst
    with Client(inst, source=OUTSIDE) as c:
        c.ehlo()
        for i in range(9):
            assert c.cmd("AUTH PLAIN " + plain(ALICE, "guess %d" % i)).code == 535
        c.send("AUTH PLAIN %s\r\n" % plain(ALICE, "guess 9"))
        assert c.reply().code == 535
        r = c.reply()
        assert r.line == "421 4.7.0 %s Error: too many errors" % inst.hostname, r
        assert c.wait_closed()
    inst.wait_log("too many errors after AUTH from unknown[%s]" % OUTSIDE)
    # the auth service blocks the address now (auth_client_failure_limit = 10):
    # even the right password fails, and the session is ended at once
    with Client(inst, source=OUTSIDE) as c:
        c.ehlo()
        c.send("AUTH PLAIN %s\r\n" % plain(ALICE, ALICE_PW))
        assert c.reply().code == 535
        assert c.reply().code == 421
        assert c.wait_closed()
    # another address is not blocked
    with Client(inst) as c:
        c.ehlo()
        assert c.cmd("AUTH PLAIN " + plain(ALICE, ALICE_PW)).code == 235


def test_fail2ban_filter_matches_the_log(auth):
    inst = auth.inst
    with Client(inst, source=OUTSIDE) as c:
        c.ehlo()
        for i in range(3):
            assert c.cmd("AUTH PLAIN " + plain(ALICE, "guess %d" % i)).code == 535
        assert c.cmd("AUTH LOGIN " + b64(BOB)).code == 334
        assert c.cmd(b64("guess")).code == 535
        assert c.cmd("AUTH PLAIN " + plain(ALICE, ALICE_PW)).code == 235
    inst.wait_log("SASL LOGIN authentication failed")
    # as installed: beside the common.conf that it includes
    filters = os.path.join(inst.dir, "fail2ban", "filter.d")
    os.makedirs(filters)
    shutil.copy("/etc/fail2ban/filter.d/common.conf", filters)
    shutil.copy(FILTER, filters)
    r = subprocess.run(["fail2ban-regex", "--print-all-matched", inst.log,
                        os.path.join(filters, "postern-sasl.conf")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"Failregex: 4 total", r.stdout), r.stdout
    # the failures and nothing else, each for the client's address
    matched = r.stdout.split("Matched line(s):")[1].split("Missed line(s):")[0]
    matched = [line for line in matched.splitlines() if "postern/" in line]
    assert len(matched) == 4 and all("SASL" in line and "[%s]" % OUTSIDE in line
                                     for line in matched), r.stdout


def test_tempfail_without_the_service(make_instance, user):
    a = auth_instance(make_instance, user)
    inst = a.inst
    inst.stop()
    inst.master_cf.remove("auth unix - - n - 1 auth")
    inst.write_master_cf(inst.master_cf)
    inst.start()
    with Client(inst, source=OUTSIDE) as c:
        c.ehlo()
        assert c.cmd("AUTH PLAIN " + plain(ALICE, ALICE_PW)).line == \
            "454 4.7.0 Temporary authentication failure"
    inst.wait_log("SASL PLAIN authentication aborted")


def shipped_service(name):
    """The -o options of a service in the shipped etc/master.cf, where it is
    commented out until the administrator has a certificate."""
    with open(os.path.join(SRC, "etc", "master.cf")) as f:
        text = f.read()
    m = re.search(r"^#%s\s+inet\s.*\n((?:#[ \t]+.*\n)*)" % name, text, re.M)
    assert m, "no %s service in etc/master.cf" % name
    return " ".join(m.group(1).replace("#", " ").split())


@pytest.mark.parametrize("service", ["submission", "submissions"])
def test_shipped_submission_needs_auth(make_instance, user, service):
    opts = shipped_service(service)
    assert "-o smtpd_sasl_auth_enable=yes" in opts
    assert "-o smtpd_client_restrictions=permit_sasl_authenticated,reject" in opts
    assert "-o smtpd_relay_restrictions=permit_sasl_authenticated,reject" in opts
    assert "-o smtpd_sender_restrictions=reject_authenticated_sender_login_mismatch" in opts
    a = auth_instance(make_instance, user, smtpd_sasl_auth_enable="no")
    inst = a.inst
    inst.stop()
    # the shipped options on the test listener, but for TLS (test_smtpd_tls has
    # it): AUTH in clear
    opts = re.sub(r"-o smtpd_tls_(security_level|wrappermode)=\S+", "", opts)
    inst.master_cf[0] += " " + opts + " -o smtpd_tls_auth_only=no"
    inst.write_master_cf(inst.master_cf)
    inst.postern("check")
    inst.start()
    # without AUTH: refused, even for our own users
    with Client(inst, source=OUTSIDE) as c:
        assert "250-AUTH PLAIN LOGIN" in c.ehlo().lines
        assert c.cmd("MAIL FROM:<%s>" % ALICE).code == 250
        r = c.cmd("RCPT TO:<%s>" % BOB)
        assert r.line == "554 5.7.1 <unknown[%s]>: Client host rejected: Access denied" \
            % OUTSIDE, r
        assert c.cmd("DATA").line == "554 5.5.1 Error: no valid recipients"
    # with AUTH: our users and the world
    with Client(inst, source=OUTSIDE) as c:
        c.ehlo()
        assert c.cmd("AUTH PLAIN " + plain(ALICE, ALICE_PW)).code == 235
        c.mail_to(ALICE, [BOB, "far@remote.example"])
        qid = queued_id(c.data(b"Subject: submitted\r\n\r\nhi\r\n.\r\n"))
    wait_delivered(a, BOB)
    assert client_line(inst, qid).endswith("sasl_username=" + ALICE)
    assert "postern/%s/smtpd[" % service in inst.read_log()  # its syslog_name


def test_postern_check_opens_the_sender_login_table(make_instance):
    inst = make_instance(start=False, main_cf={"smtpd_sender_login_maps": "hash:/nonexistent/x"})
    r = inst.postern("check", check=False)
    assert r.returncode != 0
    assert "smtpd_sender_login_maps: hash:/nonexistent/x" in r.stderr, r.stderr
