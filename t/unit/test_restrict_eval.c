/*
 * test_restrict_eval.c - the restriction evaluator (restrict_eval.h),
 * table-driven: each case is a main.cf (the lists and codes), what the
 * session knows, and the reply the RCPT gets after the client, helo,
 * sender, relay and recipient lists (NULL: accepted).  DNS, send-as
 * ownership and the recipient tables are the test's own hooks, so nothing
 * leaves the process.
 */
#include "unit.h"
#include "dns.h"
#include "mail_params.h"
#include "resolve.h"
#include "restrict_eval.h"
#include "mymalloc.h"
#include "strutil.h"

static char dir[PATH_MAX];
static char warned[RESTRICT_REPLY_MAX];

static void load(const char *text)
{
    char cf[PATH_MAX + 16], *err = NULL, *all;

    snprintf(cf, sizeof(cf), "%s/main.cf", dir);
    all = xasprintf("myhostname = mx.example.com\nmydestination = example.com\n"
                    "relay_domains = relay.example\nmynetworks = 192.0.2.0/24\n%s",
                    text);
    unit_write_text(cf, all);
    free(all);
    if (mail_conf_load(dir, NULL, &err) != 0 || resolve_init(&err) != 0)
        fail_msg("load: %s", err);
}

static int setup(void **state UNUSED)
{
    unit_mkdtemp(dir, sizeof(dir));
    return 0;
}

static int teardown(void **state UNUSED)
{
    unit_rmtree(dir);
    return 0;
}

static int fake_dns(const char *domain)
{
    if (strcmp(domain, "good.example") == 0 || strcmp(domain, "relay.example") == 0)
        return DNS_OK;
    if (strcmp(domain, "tmp.example") == 0)
        return DNS_RETRY;
    return DNS_NOTFOUND;
}

/* 198.51.100.7 is listed in bl.example (127.0.0.2); tmp.example cannot answer. */
static int fake_rbl(const char *addr, const char *zone, const char *filter)
{
    if (strcmp(zone, "tmp.example") == 0)
        return DNS_RETRY;
    if (strcmp(zone, "bl.example") != 0 || strcmp(addr, "198.51.100.7") != 0)
        return DNS_NOTFOUND;
    return filter == NULL || strcmp(filter, "127.0.0.2") == 0 ? DNS_OK : DNS_NOTFOUND;
}

/* alice may send as alice@example.com and group@example.com; nobody else may. */
static int fake_owned(void *arg, const struct mail_addr *a)
{
    const struct restrict_ctx *c = arg;
    bool owned = strcmp(a->local, "alice") == 0 || strcmp(a->local, "group") == 0;

    if (strcmp(a->local, "broken") == 0)
        return -1;
    if (c->sasl_username == NULL)
        return !owned;
    return owned && strcmp(c->sasl_username, "alice") == 0;
}

static int fake_listed(void *arg UNUSED, const struct mail_addr *a, char *reply, size_t len)
{
    if (strcmp(a->local, "known") == 0 || strcmp(a->domain, "example.com") != 0)
        return 1;
    snprintf(reply, len, "550 5.1.1 <%s@%s>: Recipient address rejected: unknown", a->local,
             a->domain);
    return 0;
}

static void fake_warn(void *arg UNUSED, const char *reply)
{
    str_copy(warned, reply, sizeof(warned));
}

struct eval_case {
    const char *main_cf;
    const char *client; /* "name[addr]" is built from name and addr */
    const char *name, *helo, *sender, *rcpt, *sasl;
    const char *want; /* NULL: accepted */
};

static void run_case(const struct eval_case *t)
{
    static const enum restrict_which lists[] = {RESTRICT_CLIENT, RESTRICT_HELO, RESTRICT_SENDER,
                                                RESTRICT_RELAY, RESTRICT_RECIPIENT};
    struct restrict_conf conf;
    struct restrict_ctx c;
    struct mail_addr sender, rcpt;
    char text[300], reply[RESTRICT_REPLY_MAX] = "", *err = NULL;
    enum restrict_result r = RESTRICT_DUNNO;
    size_t i;

    load(t->main_cf);
    if (restrict_conf_load(RESTRICT_FLAG_OPEN, &conf, &err) != 0)
        fail_msg("%s: %s", t->main_cf, err);
    assert_int_equal(mail_addr_from_internal(t->sender, &sender), 0);
    assert_int_equal(mail_addr_from_internal(t->rcpt, &rcpt), 0);
    memset(&c, 0, sizeof(c));
    c.client_addr = t->client;
    c.client_name = t->name ? t->name : "unknown";
    snprintf(text, sizeof(text), "%s[%s]", c.client_name, t->client);
    c.client_text = text;
    c.helo = t->helo ? t->helo : "";
    c.sender = &sender;
    c.rcpt = &rcpt;
    c.trusted = strncmp(t->client, "192.0.2.", 8) == 0;
    c.sasl_username = t->sasl;
    c.domain_lookup = fake_dns;
    c.rbl_lookup = fake_rbl;
    c.sender_owned = fake_owned;
    c.rcpt_listed = fake_listed;
    c.warn = fake_warn;
    c.arg = &c;
    restrict_start(&c);
    for (i = 0; i < COUNTOF(lists) && r != RESTRICT_REFUSED; i++)
        r = restrict_eval(&c, &conf, lists[i], reply, sizeof(reply));
    r = restrict_finish(&c, r, reply, sizeof(reply));
    restrict_conf_free(&conf);
    if (t->want == NULL && r == RESTRICT_REFUSED)
        fail_msg("%s\nrefused with \"%s\", want accepted", t->main_cf, reply);
    if (t->want && (r != RESTRICT_REFUSED || strcmp(reply, t->want) != 0))
        fail_msg("%s\ngot \"%s\" (%d), want \"%s\"", t->main_cf, reply, (int)r, t->want);
}

#define OUT "198.51.100.7"
#define IN "192.0.2.7"

static const struct eval_case relay_cases[] = {
    /* The default relay list: mynetworks and logins relay, no one else. */
    {"", OUT, 0, "h.example", "s@good.example", "u@other.example", 0,
     "554 5.7.1 <u@other.example>: Relay access denied"},
    {"", IN, 0, "h.example", "s@good.example", "u@other.example", 0, NULL},
    {"", OUT, 0, "h.example", "s@good.example", "u@other.example", "bob", NULL},
    {"", OUT, 0, "h.example", "s@good.example", "u@example.com", 0, NULL},
    {"", OUT, 0, "h.example", "s@good.example", "u@sub.relay.example", 0, NULL},
    {"smtpd_relay_restrictions = permit_mynetworks, defer_unauth_destination\n", OUT, 0, "h", "s@x",
     "u@other.example", 0, "450 4.7.1 <u@other.example>: Relay access denied"},
    {"relay_domains_reject_code = 550\n", OUT, 0, "h", "s@x", "u@other.example", 0,
     "550 5.7.1 <u@other.example>: Relay access denied"},
    /* permit ends only its own list: the recipient list still runs. */
    {"smtpd_relay_restrictions = permit, reject_unauth_destination\n"
     "smtpd_recipient_restrictions = reject_unauth_destination\n",
     OUT, 0, "h", "s@x", "u@other.example", 0, "554 5.7.1 <u@other.example>: Relay access denied"},
    /* A refusal in an earlier list ends the command. */
    {"smtpd_client_restrictions = reject\n", IN, 0, "h", "s@x", "u@example.com", 0,
     "554 5.7.1 <unknown[192.0.2.7]>: Client host rejected: Access denied"},
    {"smtpd_helo_restrictions = defer\n", IN, 0, "h", "s@x", "u@example.com", 0,
     "450 4.7.1 <h>: Helo command rejected: Access denied"},
    {"smtpd_sender_restrictions = permit_mynetworks, reject\n", IN, 0, "h", "s@x", "u@example.com",
     0, NULL},
    {"smtpd_recipient_restrictions = permit_sasl_authenticated, reject\n", IN, 0, "h", "s@x",
     "u@example.com", 0, "554 5.7.1 <u@example.com>: Recipient address rejected: Access denied"},
};

static const struct eval_case address_cases[] = {
    {"smtpd_sender_restrictions = reject_non_fqdn_sender\n", OUT, 0, "h", "s@local",
     "u@example.com", 0,
     "504 5.5.2 <s@local>: Sender address rejected: need fully-qualified address"},
    {"smtpd_sender_restrictions = reject_non_fqdn_sender\n", OUT, 0, "h", "", "u@example.com", 0,
     NULL},
    {"smtpd_sender_restrictions = reject_non_fqdn_sender\n", OUT, 0, "h", "s@[192.0.2.1]",
     "u@example.com", 0, NULL},
    {"smtpd_recipient_restrictions = reject_non_fqdn_recipient\n", IN, 0, "h", "s@x.y", "u@host", 0,
     "504 5.5.2 <u@host>: Recipient address rejected: need fully-qualified address"},
    {"smtpd_sender_restrictions = reject_unknown_sender_domain\n", OUT, 0, "h", "s@nx.example",
     "u@example.com", 0, "450 4.1.8 <s@nx.example>: Sender address rejected: Domain not found"},
    {"unknown_address_reject_code = 550\n"
     "smtpd_sender_restrictions = reject_unknown_sender_domain\n",
     OUT, 0, "h", "s@nx.example", "u@example.com", 0,
     "550 5.1.8 <s@nx.example>: Sender address rejected: Domain not found"},
    {"smtpd_sender_restrictions = reject_unknown_sender_domain\n", OUT, 0, "h", "s@good.example",
     "u@example.com", 0, NULL},
    /* Our own domain needs no DNS; a DNS failure defers, unless something refuses. */
    {"smtpd_sender_restrictions = reject_unknown_sender_domain\n", OUT, 0, "h", "s@example.com",
     "u@example.com", 0, NULL},
    {"smtpd_sender_restrictions = reject_unknown_sender_domain\n", OUT, 0, "h", "s@tmp.example",
     "u@example.com", 0, "450 4.1.8 <s@tmp.example>: Sender address rejected: Domain not found"},
    {"smtpd_sender_restrictions = reject_unknown_sender_domain\n", OUT, 0, "h", "s@tmp.example",
     "u@other.example", 0, "554 5.7.1 <u@other.example>: Relay access denied"},
    {"smtpd_recipient_restrictions = reject_unknown_recipient_domain\n", IN, 0, "h", "s@x",
     "u@nx.example", 0, "450 4.1.2 <u@nx.example>: Recipient address rejected: Domain not found"},
    {"smtpd_recipient_restrictions = reject_unknown_recipient_domain\n", IN, 0, "h", "s@x",
     "u@example.com", 0, NULL},
    {"smtpd_recipient_restrictions = reject_unlisted_recipient\n", IN, 0, "h", "s@x",
     "nobody@example.com", 0,
     "550 5.1.1 <nobody@example.com>: Recipient address rejected: unknown"},
    {"smtpd_recipient_restrictions = reject_unlisted_recipient\n", IN, 0, "h", "s@x",
     "known@example.com", 0, NULL},
};

static const struct eval_case helo_login_cases[] = {
    {"smtpd_helo_restrictions = reject_non_fqdn_helo_hostname\n", OUT, 0, "host", "s@x",
     "u@example.com", 0, "504 5.5.2 <host>: Helo command rejected: need fully-qualified hostname"},
    {"smtpd_helo_restrictions = reject_non_fqdn_helo_hostname\n", OUT, 0, "[192.0.2.1]", "s@x",
     "u@example.com", 0, NULL},
    {"smtpd_helo_restrictions = reject_non_fqdn_helo_hostname\n", OUT, 0, "", "s@x",
     "u@example.com", 0, NULL},
    {"smtpd_helo_restrictions = reject_invalid_helo_hostname\n", OUT, 0, "bad_name!", "s@x",
     "u@example.com", 0, "501 5.5.2 <bad_name!>: Helo command rejected: Invalid name"},
    {"smtpd_helo_restrictions = reject_invalid_helo_hostname\n", OUT, 0, "[1.2.3]", "s@x",
     "u@example.com", 0, "501 5.5.2 <[1.2.3]>: Helo command rejected: Invalid name"},
    {"smtpd_helo_restrictions = reject_invalid_helo_hostname\n", OUT, 0, "ok.example", "s@x",
     "u@example.com", 0, NULL},
    {"smtpd_sender_restrictions = reject_authenticated_sender_login_mismatch\n", OUT, 0, "h",
     "alice@example.com", "u@example.com", "bob",
     "553 5.7.1 <alice@example.com>: Sender address rejected: not owned by user bob"},
    {"smtpd_sender_restrictions = reject_authenticated_sender_login_mismatch\n", OUT, 0, "h",
     "group@example.com", "u@example.com", "alice", NULL},
    {"smtpd_sender_restrictions = reject_authenticated_sender_login_mismatch\n", OUT, 0, "h",
     "alice@example.com", "u@example.com", 0, NULL},
    {"smtpd_sender_restrictions = reject_sender_login_mismatch\n", OUT, 0, "h", "alice@example.com",
     "u@example.com", 0, "553 5.7.1 <alice@example.com>: Sender address rejected: not logged in"},
    {"smtpd_sender_restrictions = reject_sender_login_mismatch\n", OUT, 0, "h",
     "broken@example.com", "u@example.com", 0,
     "451 4.3.0 <broken@example.com>: Temporary lookup failure"},
};

static const struct eval_case state_cases[] = {
    /* defer_if_permit: deferred at the end unless something refuses. */
    {"smtpd_client_restrictions = defer_if_permit\n", IN, 0, "h", "s@x", "u@example.com", 0,
     "450 4.7.1 <unknown[192.0.2.7]>: Client host rejected: defer_if_permit requested"},
    {"smtpd_client_restrictions = defer_if_permit\n", OUT, 0, "h", "s@x", "u@other.example", 0,
     "554 5.7.1 <u@other.example>: Relay access denied"},
    /* defer_if_reject: any later refusal becomes 4xx. */
    {"smtpd_client_restrictions = defer_if_reject\n", OUT, 0, "h", "s@x", "u@other.example", 0,
     "450 4.7.1 <u@other.example>: Relay access denied"},
    /* warn_if_reject: the next refusal is only logged (checked in test_warn). */
    {"smtpd_recipient_restrictions = warn_if_reject, reject, permit\n", IN, 0, "h", "s@x",
     "u@example.com", 0, NULL},
    {"smtpd_recipient_restrictions = warn_if_reject, permit_mynetworks, reject\n", OUT, 0, "h",
     "s@x", "u@example.com", 0,
     "554 5.7.1 <u@example.com>: Recipient address rejected: Access denied"},
};

static void run_all(const struct eval_case *cases, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        run_case(cases + i);
}

static void test_relay(void **state UNUSED)
{
    run_all(relay_cases, COUNTOF(relay_cases));
}

static void test_addresses(void **state UNUSED)
{
    run_all(address_cases, COUNTOF(address_cases));
}

static void test_helo_login(void **state UNUSED)
{
    run_all(helo_login_cases, COUNTOF(helo_login_cases));
}

static void test_state(void **state UNUSED)
{
    warned[0] = 0;
    run_all(state_cases, COUNTOF(state_cases));
    assert_string_equal(warned, "554 5.7.1 <u@example.com>: Recipient address rejected: Access "
                                "denied");
}

static const struct eval_case access_cases[] = {
    /* client: name, parent domains, address, prefixes */
    {"smtpd_client_restrictions = check_client_access inline:{192.0.2=REJECT}\n", "192.0.2.9", 0,
     "h", "s@x", "u@example.com", 0,
     "554 5.7.1 <unknown[192.0.2.9]>: Client host rejected: Access denied"},
    {"smtpd_client_restrictions = check_client_access inline:{{198=DEFER go away}}\n", OUT, 0, "h",
     "s@x", "u@example.com", 0, "450 4.7.1 <unknown[198.51.100.7]>: Client host rejected: go away"},
    {"smtpd_client_restrictions = check_client_access inline:{{bad.example=550 5.7.0 no}}\n", OUT,
     "mail.bad.example", "h", "s@x", "u@example.com", 0,
     "550 5.7.0 <mail.bad.example[198.51.100.7]>: Client host rejected: no"},
    {"parent_domain_matches_subdomains =\n"
     "smtpd_client_restrictions = check_client_access inline:{bad.example=REJECT}\n",
     OUT, "mail.bad.example", "h", "s@x", "u@example.com", 0, NULL},
    {"parent_domain_matches_subdomains =\n"
     "smtpd_client_restrictions = check_client_access inline:{.bad.example=REJECT}\n",
     OUT, "mail.bad.example", "h", "s@x", "u@example.com", 0,
     "554 5.7.1 <mail.bad.example[198.51.100.7]>: Client host rejected: Access denied"},
    /* OK ends the list with permit; DUNNO stops the table's search only. */
    {"smtpd_client_restrictions = check_client_access inline:{198.51.100.7=OK}, reject\n", OUT, 0,
     "h", "s@x", "u@example.com", 0, NULL},
    {"smtpd_client_restrictions = check_client_access inline:{198.51.100.7=DUNNO, 198=REJECT}\n",
     OUT, 0, "h", "s@x", "u@example.com", 0, NULL},
    {"smtpd_client_restrictions = check_client_access inline:{198.51.100.7=DUNNO}, reject\n", OUT,
     0, "h", "s@x", "u@example.com", 0,
     "554 5.7.1 <unknown[198.51.100.7]>: Client host rejected: Access denied"},
    {"smtpd_client_restrictions = check_client_access inline:{198.51.100.7=BOGUS}\n", OUT, 0, "h",
     "s@x", "u@example.com", 0, "451 4.3.5 <unknown[198.51.100.7]>: Server configuration error"},
    {"smtpd_helo_restrictions = check_helo_access inline:{{example.net=REJECT fake}}\n", OUT, 0,
     "a.b.example.net", "s@x", "u@example.com", 0,
     "554 5.7.1 <a.b.example.net>: Helo command rejected: fake"},
    /* addresses: user+ext@domain, user@domain, domains, user@ */
    {"recipient_delimiter = +\n"
     "smtpd_sender_restrictions = check_sender_access inline:{s@x.example=REJECT}\n",
     OUT, 0, "h", "s+tag@x.example", "u@example.com", 0,
     "554 5.7.1 <s+tag@x.example>: Sender address rejected: Access denied"},
    {"smtpd_sender_restrictions = check_sender_access inline:{example.org=REJECT}\n", OUT, 0, "h",
     "s@a.example.org", "u@example.com", 0,
     "554 5.7.1 <s@a.example.org>: Sender address rejected: Access denied"},
    {"smtpd_sender_restrictions = check_sender_access inline:{postmaster@=REJECT}\n", OUT, 0, "h",
     "postmaster@any.example", "u@example.com", 0,
     "554 5.7.1 <postmaster@any.example>: Sender address rejected: Access denied"},
    {"smtpd_sender_restrictions = check_sender_access inline:{<>=REJECT}\n", OUT, 0, "h", "",
     "u@example.com", 0, "554 5.7.1 <>: Sender address rejected: Access denied"},
    {"smtpd_sender_restrictions = check_sender_access inline:{s@x=OK}, reject\n", OUT, 0, "h",
     "s@x", "u@example.com", 0, NULL},
    {"smtpd_recipient_restrictions = check_recipient_access inline:{{u@example.com=452 4.2.2 "
     "full}}\n",
     OUT, 0, "h", "s@x", "U@Example.COM", 0,
     "452 4.2.2 <U@Example.COM>: Recipient address rejected: full"},
    {"smtpd_recipient_restrictions = check_recipient_access inline:{other.example=OK}\n", OUT, 0,
     "h", "s@x", "u@other.example", 0, "554 5.7.1 <u@other.example>: Relay access denied"},
    {"access_map_reject_code = 550\n"
     "smtpd_recipient_restrictions = check_recipient_access inline:{u@example.com=REJECT}\n",
     OUT, 0, "h", "s@x", "u@example.com", 0,
     "550 5.7.1 <u@example.com>: Recipient address rejected: Access denied"},
};

static const struct eval_case rbl_cases[] = {
    {"smtpd_client_restrictions = reject_rbl_client bl.example\n", OUT, 0, "h", "s@x",
     "u@example.com", 0,
     "554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using bl.example"},
    {"maps_rbl_reject_code = 550\n"
     "smtpd_client_restrictions = reject_rbl_client bl.example=127.0.0.2\n",
     OUT, 0, "h", "s@x", "u@example.com", 0,
     "550 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using bl.example"},
    {"smtpd_client_restrictions = reject_rbl_client bl.example=127.0.0.3\n", OUT, 0, "h", "s@x",
     "u@example.com", 0, NULL},
    {"smtpd_client_restrictions = reject_rbl_client bl.example\n", "198.51.100.8", 0, "h", "s@x",
     "u@example.com", 0, NULL},
    {"smtpd_client_restrictions = reject_rbl_client tmp.example\n", OUT, 0, "h", "s@x",
     "u@example.com", 0, NULL},
    {"smtpd_client_restrictions = permit_mynetworks, reject_rbl_client bl.example\n", IN, 0, "h",
     "s@x", "u@example.com", 0, NULL},
};

static void test_rbl(void **state UNUSED)
{
    run_all(rbl_cases, COUNTOF(rbl_cases));
}

static void test_access(void **state UNUSED)
{
    run_all(access_cases, COUNTOF(access_cases));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay),      cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_helo_login), cmocka_unit_test(test_state),
        cmocka_unit_test(test_access),     cmocka_unit_test(test_rbl),
    };

    unit_init("test_restrict_eval");
    return cmocka_run_group_tests(tests, setup, teardown);
}
