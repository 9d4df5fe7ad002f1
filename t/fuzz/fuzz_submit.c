/*
 * fuzz_submit.c - what sendmail does to a message (submit.c): the input
 * rules, fed in chunks of a size the input chooses, then the header edits.
 * The first byte picks -t (bit 0), -i (bit 1) and the chunk size.
 * Invariants: the text has no CR before an LF, ends in LF (or is empty)
 * and stays within the limit; the edited header section ends in LF, reads
 * back (header.h) with a From:, Date: and Message-Id: (or Resent- ones)
 * and no Bcc:, Resent-Bcc:, Return-Path: or Content-Length:; recipients
 * come only with -t.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "submit.h"

#define FUZZ_LIMIT 65536

struct reread {
    unsigned seen; /* 1 From, 2 Date, 4 Message-Id, each plain or Resent- */
    bool dropped;
};

static int reread_field(const struct header_field *f, void *ctx)
{
    struct reread *r = ctx;
    const char *name = f->name + (strncasecmp(f->name, "Resent-", 7) == 0 ? 7 : 0);

    if (header_is(f, "Bcc") || header_is(f, "Resent-Bcc") || header_is(f, "Return-Path") ||
        header_is(f, "Content-Length"))
        r->dropped = true;
    r->seen |= strcasecmp(name, "From") == 0         ? 1
               : strcasecmp(name, "Date") == 0       ? 2
               : strcasecmp(name, "Message-ID") == 0 ? 4
                                                     : 0;
    return 0;
}

static void check_input(const struct submit_input *in)
{
    const unsigned char *t = in->text.data;
    size_t n = in->text.len, i;

    CHECK(n <= FUZZ_LIMIT + SUBMIT_INPUT_SLACK);
    CHECK(n == 0 || t[n - 1] == '\n');
    for (i = 1; i < n; i++)
        CHECK(!(t[i] == '\n' && t[i - 1] == '\r'));
}

static void check_edit(const struct submit_input *in, bool extract)
{
    struct submit_opts o = {.extract = extract,
                            .sender = "fuzz@example.com",
                            .full_name = "Fuzz \"Q\" Tester",
                            .hostname = "host.example",
                            .now = {1700000000, 1},
                            .pid = 1};
    struct submit_msg m;
    struct reread r = {0, false};
    const char *why;
    size_t body;

    if (submit_headers((const unsigned char *)buf_str(&in->text), in->text.len, &o, &m, &why) ==
        0) {
        CHECK(m.header.len > 0 && m.header.data[m.header.len - 1] == '\n');
        CHECK(m.body <= in->text.len);
        CHECK(extract || m.rcpts.n == 0);
        (void)header_scan(m.header.data, m.header.len, reread_field, &r, &body);
        CHECK(!r.dropped);
        CHECK(r.seen == 7);
    } else {
        CHECK(extract && why != NULL);
    }
    submit_msg_free(&m);
}

int LLVMFuzzerInitialize(int *argc UNUSED, char ***argv UNUSED)
{
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct submit_input in;
    size_t step, pos = 1;
    int r = 0;

    if (size == 0)
        return 0;
    step = (data[0] >> 2) + 1;
    submit_input_init(&in, FUZZ_LIMIT, !(data[0] & 2));
    while (pos < size && r == 0) {
        size_t take = size - pos < step ? size - pos : step;

        r = submit_input_feed(&in, data + pos, take);
        pos += take;
    }
    if (r >= 0 && submit_input_end(&in) == 0) {
        check_input(&in);
        check_edit(&in, data[0] & 1);
    }
    submit_input_free(&in);
    return 0;
}
