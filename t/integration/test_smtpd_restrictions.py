"""smtpd's restriction lists (smtpd_*_restrictions), driven over SMTP.

Each restriction is checked by its exact reply and its NOQUEUE log line,
and by what reaches the queue: a refused command leaves nothing behind,
and the same session (or client) still gets mail through when nothing
refuses it, delivered to the Maildir.  DNS for reject_unknown_*_domain
comes from the instance's unbound file (local-data:), never the network.
`postern check` and `postern start` refuse configurations smtpd could not
use: an unknown restriction, a missing or unopenable table, a restriction
in a list evaluated before its information exists, and an open relay.
"""

import os
import re
import smtplib

import pytest

from postern_instance import Instance, MailUser, wait_until
from smtp_raw import Client, delivered_body, queued_id

TRUSTED = "127.0.0.1"  # mynetworks = 127.0.0.1/32
DNS = ["good.example. MX 10 mx.good.example.", "mx.good.example. A 192.0.2.25",
       "aonly.example. A 192.0.2.26", "client.test. A 127.0.0.1",
       "15.0.0.127.bl.example. A 127.0.0.2"]


def write(inst, name, text):
    path = os.path.join(inst.etc, name)
    with open(path, "w") as f:
        f.write(text)
    return "texthash:" + path


def log_has(inst, pattern):
    wait_until(lambda: re.search(pattern, inst.read_log()), 10, what=pattern)


def assert_nothing_queued(inst):
    files = inst.queue_files()
    assert files == [], "a refused command left %s in the queue" % files


def send_ok(inst, user, source, sender="alice@good.example", helo="client.test", tag="ok"):
    """A message that nothing refuses is delivered, so the restrictions are not
    refusing everything."""
    before = len(user.messages())
    with Client(inst, source=source) as c:
        c.ehlo(helo)
        c.mail_to(sender, [user.name + "@test.example"])
        queued_id(c.data(b"Subject: x\r\nX-Tag: " + tag.encode() + b"\r\n\r\nhi\r\n.\r\n"))
        assert c.cmd("QUIT").code == 221
    user.wait_for(before + 1)
    assert tag in user.tags()


@pytest.fixture(scope="module")
def restricted():
    """Every list in use, with smtpd_delay_reject = yes (all decided at RCPT)."""
    inst = Instance(main_cf={"mynetworks": "127.0.0.1/32"}, dns=DNS,
                    ptr=["127.0.0.1 client.test"])
    client = write(inst, "client_access",
                   "127.0.0.10 REJECT\n127.0.0.11 DEFER slow down\n127.0.1 554 5.7.0 net says no\n"
                   "127.0.0.12 OK\n127.0.0.13 DUNNO\n127.0.0 DUNNO\n")
    helo = write(inst, "helo_access", "bad.example REJECT Go away\n")
    sender = write(inst, "sender_access",
                   "spam@good.example 550 5.7.0 no spam\nblocked.example REJECT\n"
                   "<> REJECT no bounces here\n")
    rcpt = write(inst, "rcpt_access",
                 "blocked@test.example REJECT\nlater@test.example 451 4.2.0 try later\n"
                 "friend.example OK\n")
    inst.params.update({
        "smtpd_client_restrictions": "check_client_access %s, reject_rbl_client bl.example"
                                     % client,
        "smtpd_helo_restrictions": "reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname, "
                                   "check_helo_access " + helo,
        "smtpd_sender_restrictions": "reject_non_fqdn_sender, reject_unknown_sender_domain, "
                                     "check_sender_access " + sender,
        "smtpd_recipient_restrictions": "reject_non_fqdn_recipient, "
                                        "reject_unknown_recipient_domain, "
                                        "check_recipient_access " + rcpt,
    })
    inst.write_main_cf(inst.params)
    # A zone whose server refuses to answer: a temporary DNS failure.
    with open(os.path.join(inst.etc, "unbound.conf"), "a") as f:
        f.write('    local-zone: "tmp.example." refuse\n')
    inst.start()
    yield inst
    inst.cleanup()


def rcpt_reply(inst, source, rcpt, sender="alice@good.example", helo="client.test"):
    """The RCPT reply for one transaction (MAIL must pass: delay_reject)."""
    with Client(inst, source=source) as c:
        c.ehlo(helo)
        r = c.cmd("MAIL FROM:<%s>" % sender)
        assert r.code == 250, "MAIL refused although smtpd_delay_reject = yes: %r" % r
        r = c.cmd("RCPT TO:<%s>" % rcpt)
        if r.code == 250:
            assert c.cmd("RSET").code == 250
        assert c.cmd("QUIT").code == 221
    return r


CASES = [
    # check_client_access: address, then its prefixes; OK and DUNNO.
    ("127.0.0.10", {}, "554 5.7.1 <unknown[127.0.0.10]>: Client host rejected: Access denied"),
    ("127.0.0.11", {}, "450 4.7.1 <unknown[127.0.0.11]>: Client host rejected: slow down"),
    ("127.0.1.5", {}, "554 5.7.0 <unknown[127.0.1.5]>: Client host rejected: net says no"),
    # reject_rbl_client: a DNS list names 127.0.0.15.
    ("127.0.0.15", {},
     "554 5.7.1 Service unavailable; Client host [127.0.0.15] blocked using bl.example"),
    # check_helo_access: parent domains match; invalid and non-FQDN names.
    ("127.0.0.14", {"helo": "mx.bad.example"},
     "554 5.7.1 <mx.bad.example>: Helo command rejected: Go away"),
    ("127.0.0.14", {"helo": "bad_name!"},
     "501 5.5.2 <bad_name!>: Helo command rejected: Invalid name"),
    ("127.0.0.14", {"helo": "localbox"},
     "504 5.5.2 <localbox>: Helo command rejected: need fully-qualified hostname"),
    # sender restrictions, decided at RCPT.
    ("127.0.0.14", {"sender": "bob@nosuch.example"},
     "450 4.1.8 <bob@nosuch.example>: Sender address rejected: Domain not found"),
    # A DNS failure is defer_if_permit (Postfix's unknown_address_tempfail_action)...
    ("127.0.0.14", {"sender": "bob@tmp.example"},
     "450 4.1.8 <bob@tmp.example>: Sender address rejected: Domain not found"),
    # ...so a refusal still wins.
    ("127.0.0.14", {"sender": "bob@tmp.example", "rcpt": "x@other.example"},
     "554 5.7.1 <x@other.example>: Relay access denied"),
    ("127.0.0.14", {"sender": "bob@localhost"},
     "504 5.5.2 <bob@localhost>: Sender address rejected: need fully-qualified address"),
    ("127.0.0.14", {"sender": "spam@good.example"},
     "550 5.7.0 <spam@good.example>: Sender address rejected: no spam"),
    ("127.0.0.14", {"sender": ""}, "554 5.7.1 <>: Sender address rejected: no bounces here"),
    # recipient restrictions.
    ("127.0.0.14", {"rcpt": "blocked@test.example"},
     "554 5.7.1 <blocked@test.example>: Recipient address rejected: Access denied"),
    ("127.0.0.14", {"rcpt": "later@test.example"},
     "451 4.2.0 <later@test.example>: Recipient address rejected: try later"),
    (TRUSTED, {"rcpt": "x@nosuch.example"},
     "450 4.1.2 <x@nosuch.example>: Recipient address rejected: Domain not found"),
    (TRUSTED, {"rcpt": "x@host"},
     "504 5.5.2 <x@host>: Recipient address rejected: need fully-qualified address"),
    # The relay list comes first: OK in the recipient table does not open a relay.
    ("127.0.0.14", {"rcpt": "x@friend.example"}, "554 5.7.1 <x@friend.example>: Relay access denied"),
    # OK in the client table ends the client list only.
    ("127.0.0.12", {"helo": "localbox"},
     "504 5.5.2 <localbox>: Helo command rejected: need fully-qualified hostname"),
]


@pytest.mark.parametrize("source,kw,want", CASES, ids=[w.split(":")[0] + " " + s
                                                         for s, _, w in CASES])
def test_refused(restricted, source, kw, want):
    rcpt = kw.get("rcpt", "someone@test.example")
    r = rcpt_reply(restricted, source, rcpt, sender=kw.get("sender", "alice@good.example"),
                   helo=kw.get("helo", "client.test"))
    assert r.line == want, "RCPT: got %r, want %r" % (r.line, want)
    log_has(restricted, r"NOQUEUE: reject: RCPT from [^ ]*\[%s\]: %s; from=<%s> to=<%s> "
                        r"proto=ESMTP helo=<%s>"
            % (re.escape(source), re.escape(want), re.escape(kw.get("sender", "alice@good.example")),
               re.escape(rcpt), re.escape(kw.get("helo", "client.test"))))
    assert_nothing_queued(restricted)


def test_unknown_user_still_550_after_restrictions(restricted):
    r = rcpt_reply(restricted, "127.0.0.14", "nosuchuser@test.example")
    assert r.line == ("550 5.1.1 <nosuchuser@test.example>: Recipient address rejected: User "
                      "unknown in local recipient table"), r


@pytest.mark.parametrize("source,sender,helo", [
    ("127.0.0.14", "alice@good.example", "client.test"),   # nothing matches
    ("127.0.0.13", "alice@aonly.example", "client.test"),  # DUNNO; A record without MX
    ("127.0.0.12", "carol@good.example", "mx.client.test"),  # OK for the client
    (TRUSTED, "alice@good.example", "[127.0.0.1]"),        # address literal HELO
])
def test_accepted_and_delivered(restricted, source, sender, helo):
    with MailUserCtx() as user:
        send_ok(restricted, user, source, sender=sender, helo=helo, tag="t" + source[-2:])


class MailUserCtx:
    def __enter__(self):
        self.user = MailUser()
        return self.user

    def __exit__(self, *exc):
        self.user.release()


def test_foreign_domain_with_dns_accepted_from_mynetworks(restricted):
    """From mynetworks the relay list permits, and a foreign domain that has
    an MX passes reject_unknown_recipient_domain."""
    r = rcpt_reply(restricted, TRUSTED, "x@good.example")
    assert r.code == 250, r


def test_no_sanitizer_reports(restricted):
    """Last of the module's tests on this instance: smtpd stayed clean."""
    restricted.check_sanitizers()


# ----------------------------------------------------------------------------
# smtpd_delay_reject = no, data restrictions, defer_if_permit, warn_if_reject
# ----------------------------------------------------------------------------

def test_delay_reject_no(make_instance, user):
    inst = make_instance(start=False, main_cf={"mynetworks": "127.0.0.1/32"}, dns=DNS)
    client = write(inst, "client_access", "127.0.0.40 REJECT\n")
    data = write(inst, "data_access", "127.0.0.41 REJECT no data for you\n")
    inst.params.update({
        "smtpd_delay_reject": "no",
        "smtpd_client_restrictions": "check_client_access %s, reject_rbl_client bl.example"
                                     % client,
        "smtpd_helo_restrictions": "reject_non_fqdn_helo_hostname",
        "smtpd_sender_restrictions": "reject_non_fqdn_sender",
        "smtpd_data_restrictions": "check_client_access " + data,
    })
    inst.write_main_cf(inst.params)
    inst.start()
    with Client(inst, source="127.0.0.40") as c:
        r = c.cmd("EHLO client.test")
        assert r.line == "554 5.7.1 <unknown[127.0.0.40]>: Client host rejected: Access denied", r
    with Client(inst, source="127.0.0.42") as c:
        r = c.cmd("EHLO localbox")
        assert r.line == ("504 5.5.2 <localbox>: Helo command rejected: need fully-qualified "
                          "hostname"), r
        c.ehlo("client.test")
        r = c.cmd("MAIL FROM:<bob@localhost>")
        assert r.line == ("504 5.5.2 <bob@localhost>: Sender address rejected: need "
                          "fully-qualified address"), r
        # The session goes on: a good sender is accepted after the refusal.
        c.mail_to("bob@good.example", [user.name + "@test.example"])
        assert c.cmd("QUIT").code == 221
    with Client(inst, source="127.0.0.41") as c:
        c.ehlo()
        c.mail_to("bob@good.example", [user.name + "@test.example"])
        r = c.cmd("DATA")
        # check_client_access speaks of the client, whichever list it is in.
        assert r.line == ("554 5.7.1 <unknown[127.0.0.41]>: Client host rejected: no data "
                          "for you"), r
        assert c.cmd("QUIT").code == 221
    log_has(inst, r"NOQUEUE: reject: EHLO from unknown\[127\.0\.0\.40\]: 554 5\.7\.1 ")
    log_has(inst, r"NOQUEUE: reject: MAIL from unknown\[127\.0\.0\.42\]: 504 5\.5\.2 "
                  r"<bob@localhost>: Sender address rejected: need fully-qualified address; "
                  r"from=<bob@localhost> proto=ESMTP helo=<client\.test>")
    log_has(inst, r"NOQUEUE: reject: DATA from unknown\[127\.0\.0\.41\]: 554 5\.7\.1 "
                  r"<unknown\[127\.0\.0\.41\]>: Client host rejected: no data for you; "
                  r"from=<bob@good\.example> proto=ESMTP")
    assert_nothing_queued(inst)
    send_ok(inst, user, "127.0.0.43", sender="bob@good.example")
    inst.check_sanitizers()


def test_defer_if_permit_and_warn_if_reject(make_instance, user):
    inst = make_instance(start=False, main_cf={"mynetworks": "127.0.0.1/32"}, dns=DNS)
    rcpt = write(inst, "rcpt_access", "%s@test.example REJECT\n" % user.name)
    inst.params.update({
        "smtpd_client_restrictions": "permit_mynetworks, defer_if_permit",
        "smtpd_recipient_restrictions": "warn_if_reject, check_recipient_access " + rcpt,
    })
    inst.write_main_cf(inst.params)
    inst.start()
    r = rcpt_reply(inst, "127.0.0.50", user.name + "@test.example")
    assert r.line == ("450 4.7.1 <unknown[127.0.0.50]>: Client host rejected: "
                      "defer_if_permit requested"), r
    # A refusal wins over the remembered deferral.
    r = rcpt_reply(inst, "127.0.0.50", "x@other.example")
    assert r.line == "554 5.7.1 <x@other.example>: Relay access denied", r
    # From mynetworks: the table's REJECT is only a warning, and the mail arrives.
    send_ok(inst, user, TRUSTED, tag="warned")
    log_has(inst, r"NOQUEUE: reject_warning: RCPT from [^ ]*\[127\.0\.0\.1\]: 554 5\.7\.1 "
                  r"<%s@test\.example>: Recipient address rejected: Access denied; "
                  r"from=<alice@good\.example> to=<%s@test\.example>" % (user.name, user.name))
    inst.check_sanitizers()


# ----------------------------------------------------------------------------
# postern check and start
# ----------------------------------------------------------------------------

BAD_CONFIGS = [
    ({"smtpd_recipient_restrictions": "permit_mynetworks, foo"},
     'smtpd_recipient_restrictions: unknown restriction "foo"'),
    ({"smtpd_sender_restrictions": "check_sender_access"},
     "smtpd_sender_restrictions: check_sender_access needs a lookup table (type:name)"),
    ({"smtpd_sender_restrictions": "check_sender_access hash:/nonexistent/sender_access"},
     "smtpd_sender_restrictions: check_sender_access: "),
    ({"smtpd_delay_reject": "no",
      "smtpd_client_restrictions": "check_recipient_access inline:{a=OK}"},
     "smtpd_client_restrictions: check_recipient_access cannot work here with "
     "smtpd_delay_reject = no"),
    ({"smtpd_relay_restrictions": "permit_mynetworks, permit_sasl_authenticated"},
     "need reject_unauth_destination"),
    ({"smtpd_relay_restrictions": "",
      "smtpd_recipient_restrictions": "permit, reject_unauth_destination"},
     "need reject_unauth_destination"),
]


@pytest.mark.parametrize("params,want", BAD_CONFIGS, ids=[w[:40] for _, w in BAD_CONFIGS])
def test_check_and_start_refuse(make_instance, params, want):
    inst = make_instance(start=False, main_cf=params)
    for cmd in ["check", "start"]:
        r = inst.postern(cmd, check=False)
        assert r.returncode == 78, "postern %s: exit %d (%s)" % (cmd, r.returncode, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and want in lines[0], "postern %s said %r" % (cmd, r.stderr)
    assert not inst._listening(), "smtpd answers although the configuration was refused"


def test_check_refuses_master_cf_override(make_instance):
    inst = make_instance(start=False)
    lines = list(inst.master_cf)
    lines[0] += " -o smtpd_relay_restrictions=permit"
    inst.write_master_cf(lines)
    r = inst.postern("check", check=False)
    assert r.returncode == 78 and "master.cf, line 1: " in r.stderr and \
        "need reject_unauth_destination" in r.stderr, r.stderr


def test_check_accepts_good_lists(make_instance):
    inst = make_instance(start=False)
    table = write(inst, "access", "a@b OK\n")
    inst.params.update({
        "smtpd_relay_restrictions": "",
        "smtpd_recipient_restrictions": "permit_mynetworks, permit_sasl_authenticated, "
                                        "check_recipient_access %s, defer_unauth_destination"
                                        % table,
        "smtpd_sender_restrictions": "reject_authenticated_sender_login_mismatch, "
                                     "reject_sender_login_mismatch",
    })
    inst.write_main_cf(inst.params)
    r = inst.postern("check", check=False)
    assert r.returncode == 0, r.stderr
