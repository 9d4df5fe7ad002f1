/*
 * fuzz_smtp_reply.c - libFuzzer target for SMTP replies and EHLO keywords
 * as the outbound client reads them (smtp_reply.h).
 *
 * The input is what a server sends: it is cut at LF (a CR before the LF
 * removed, as stream_get_line() does) and fed line by line, one reply
 * after another as with pipelining.  A complete reply must stay within the
 * documented limits, with a dsn of the code's class; its one-line form
 * must be bounded and free of control characters; its EHLO reading must
 * hold only known bits and a SIZE within range.  A refusal must say why.
 * The whole input is also fed as one line, to reach the length and NUL
 * checks.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "msg.h"
#include "smtp_reply.h"

#define EXT_ALL 0x1ffu

static struct smtp_reply_reader rd;

static void check_reply(const struct smtp_reply *r)
{
    char out[SMTP_REPLY_IN_TEXT_MAX + 64], small[12];
    struct smtp_ehlo e;
    size_t i, n;

    CHECK(r->code >= 200 && r->code <= 599);
    CHECK(r->dsn[0] == '0' + r->code / 100 && r->dsn[1] == '.');
    CHECK(strlen(r->dsn) >= 5 && strlen(r->dsn) <= 9);
    CHECK(r->enhanced || strcmp(r->dsn + 1, ".0.0") == 0);
    CHECK(r->nlines >= 1 && r->nlines <= SMTP_REPLY_IN_LINES_MAX);
    CHECK(r->text_len <= SMTP_REPLY_IN_TEXT_MAX && strlen(r->text) == r->text_len);

    smtp_reply_oneline(r, out, sizeof(out));
    n = strlen(out);
    CHECK(n < sizeof(out) && n >= 9);
    for (i = 0; i < n; i++)
        CHECK((unsigned char)out[i] >= 32 && (unsigned char)out[i] != 127);
    smtp_reply_oneline(r, small, sizeof(small));
    CHECK(strlen(small) < sizeof(small) && strncmp(small, out, strlen(small)) == 0);

    smtp_ehlo_parse(r, &e);
    CHECK((e.ext & ~EXT_ALL) == 0);
    CHECK((e.auth_mechs & ~(unsigned)(SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN)) == 0);
    CHECK(e.size_limit >= 0 && e.size_limit <= SMTP_EHLO_SIZE_MAX);
    CHECK(e.size_limit == 0 || (e.ext & SMTP_EXT_SIZE));
    CHECK(e.auth_mechs == 0 || (e.ext & SMTP_EXT_AUTH));
    CHECK(e.ext == 0 || r->code / 100 == 2);
}

static void feed(const char *line, size_t len)
{
    const char *why = NULL;
    int ret = smtp_reply_line(&rd, line, len, &why);

    CHECK(ret >= -1 && ret <= 1);
    if (ret == -1) {
        CHECK(why != NULL && *why != 0);
        CHECK(smtp_reply_line(&rd, "250 OK", 6, NULL) == -1);
        smtp_reply_start(&rd);
    } else if (ret == 1) {
        check_reply(&rd.r);
        smtp_reply_start(&rd);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    msg_syslog(false);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;

    smtp_reply_start(&rd);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n;

        if (nl == NULL)
            break; /* a partial line at the end is not a line */
        n = (size_t)(nl - p);
        feed(p, n > 0 && p[n - 1] == '\r' ? n - 1 : n);
        p = nl + 1;
    }
    smtp_reply_start(&rd);
    feed((const char *)data, size);
    return 0;
}
