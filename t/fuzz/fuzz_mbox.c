/*
 * fuzz_mbox.c - libFuzzer target for the ">From " quoting and the From_
 * line of mbox delivery (mbox.h), which work on message content and
 * envelope senders from the network.
 *
 * The first input byte chooses how the rest is cut into chunks (the
 * quoting must not depend on where a read ends) and whether its start is
 * also used as the sender of a From_ line.  The message built from them
 * must have no line starting with "From " but its first, must end with a
 * newline, and undoing mboxrd quoting (one '>' off every "^>+From " line,
 * done here independently of mbox.c) must give the content back, with a
 * newline added when its last line had none.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "buf.h"
#include "mbox.h"
#include "msg.h"

static int put_buf(void *ctx, const void *p, size_t len)
{
    return buf_append(ctx, p, len);
}

static void quote(const uint8_t *p, size_t len, size_t step, struct buf *out)
{
    struct mbox_quote q;
    size_t at = 0;

    mbox_quote_init(&q);
    while (at < len) {
        size_t n = len - at < step ? len - at : step;

        CHECK(mbox_quote(&q, p + at, n, put_buf, out) == 0);
        at += n;
    }
    CHECK(mbox_quote_end(&q, put_buf, out) == 0);
}

/* Is the line at p (len bytes to its end or beyond) "^>+From "? */
static bool quoted_from(const uint8_t *p, size_t len)
{
    size_t i = 0;

    while (i < len && p[i] == '>')
        i++;
    return i > 0 && len - i >= 5 && memcmp(p + i, "From ", 5) == 0;
}

/* mboxrd unquoting, line by line. */
static void unquote(const uint8_t *p, size_t len, struct buf *out)
{
    while (len > 0) {
        const uint8_t *nl = memchr(p, '\n', len);
        size_t n = nl ? (size_t)(nl - p) + 1 : len;
        size_t skip = quoted_from(p, n) ? 1 : 0;

        CHECK(buf_append(out, p + skip, n - skip) == 0);
        p += n;
        len -= n;
    }
}

/* No line but the first starts with "From "; every line ends. */
static void check_lines(const struct buf *m)
{
    size_t i;

    CHECK(m->len > 5 && memcmp(m->data, "From ", 5) == 0 && m->data[m->len - 1] == '\n');
    for (i = 0; i + 1 < m->len; i++)
        if (m->data[i] == '\n')
            CHECK(m->len - i - 1 < 5 || memcmp(m->data + i + 1, "From ", 5) != 0);
}

/* A From_ line is one line whatever the sender holds. */
static void check_from_line(const uint8_t *p, size_t len)
{
    char sender[80];
    struct buf line;
    size_t n = len < sizeof(sender) - 1 ? len : sizeof(sender) - 1;

    memcpy(sender, p, n);
    sender[n] = 0;
    buf_init(&line, 4096);
    mbox_from_line(&line, sender, 0);
    CHECK(line.len > 6 && memcmp(line.data, "From ", 5) == 0);
    CHECK(memchr(line.data, '\n', line.len) == line.data + line.len - 1);
    CHECK(memchr(line.data, '\r', line.len) == NULL);
    buf_free(&line);
}

int LLVMFuzzerInitialize(int *argc, char **argv[])
{
    (void)argc;
    (void)argv;
    msg_syslog(false);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf whole, parts, msg, back;
    size_t step;

    if (size < 1)
        return 0;
    step = (size_t)(data[0] & 0x3f) + 1;
    if (data[0] & 0x80)
        check_from_line(data + 1, size - 1);
    data++;
    size--;
    buf_init(&whole, 2 * size + 16);
    buf_init(&parts, 2 * size + 16);
    buf_init(&msg, 2 * size + 256);
    buf_init(&back, 2 * size + 16);
    quote(data, size, size ? size : 1, &whole);
    quote(data, size, step, &parts);
    CHECK(whole.len == parts.len &&
          (whole.len == 0 || memcmp(whole.data, parts.data, whole.len) == 0));
    /* A message as mbox_deliver() writes it: From_ line, quoted text, empty line. */
    mbox_from_line(&msg, "sender@example.org", 0);
    CHECK(buf_append(&msg, whole.data, whole.len) == 0 && buf_putc(&msg, '\n') == 0);
    check_lines(&msg);
    unquote(whole.data, whole.len, &back);
    CHECK(back.len == size + (size > 0 && data[size - 1] != '\n'));
    CHECK(size == 0 || memcmp(back.data, data, size) == 0);
    buf_free(&whole);
    buf_free(&parts);
    buf_free(&msg);
    buf_free(&back);
    return 0;
}
