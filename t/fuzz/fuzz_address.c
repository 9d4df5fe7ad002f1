/*
 * fuzz_address.c - libFuzzer target for RFC 5321 paths (mail_addr.h).
 *
 * The first input byte chooses the MAIL_ADDR_ALLOW_* flags, the rest is the
 * path.  An accepted address must be well formed, must survive the trip
 * through its external form (what goes back on the wire) and through its
 * internal form (what goes into a queue file) unchanged, and must be
 * accepted the same way by every more permissive set of flags.  UTF-8
 * (RFC 6531) is accepted only with MAIL_ADDR_ALLOW_UTF8, and then marked.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "buf.h"
#include "mail_addr.h"
#include "msg.h"
#include "strutil.h"

#define ALL_FLAGS                                                                                  \
    (MAIL_ADDR_ALLOW_NULL | MAIL_ADDR_ALLOW_POSTMASTER | MAIL_ADDR_ALLOW_NO_BRACKETS |             \
     MAIL_ADDR_ALLOW_UTF8)

static bool same_addr(const struct mail_addr *a, const struct mail_addr *b)
{
    return a->null == b->null && a->literal == b->literal && a->utf8 == b->utf8 &&
           strcmp(a->local, b->local) == 0 && strcmp(a->domain, b->domain) == 0;
}

static void check_shape(const struct mail_addr *a, int flags, const uint8_t *p, size_t len,
                        size_t used)
{
    CHECK(used > 0 && used <= len);
    CHECK(memchr(a->local, 0, sizeof(a->local)) != NULL);
    CHECK(memchr(a->domain, 0, sizeof(a->domain)) != NULL);
    if (p[0] == '<') {
        CHECK(p[used - 1] == '>');
        CHECK(used <= MAIL_ADDR_PATH_MAX || memchr(p, ':', used) != NULL); /* source route */
    } else {
        CHECK(flags & MAIL_ADDR_ALLOW_NO_BRACKETS);
        CHECK(used == len || p[used] == ' ');
        CHECK(used <= MAIL_ADDR_PATH_MAX - 2);
    }
    if (a->null) {
        CHECK(flags & MAIL_ADDR_ALLOW_NULL);
        CHECK(used == 2 && a->local[0] == 0 && a->domain[0] == 0 && !a->literal);
        return;
    }
    CHECK(a->local[0] != 0);
    CHECK(strlen(a->local) <= MAIL_ADDR_LOCAL_MAX);
    CHECK(!a->utf8 || (flags & MAIL_ADDR_ALLOW_UTF8));
    if (a->domain[0] == 0) {
        CHECK(flags & MAIL_ADDR_ALLOW_POSTMASTER);
        CHECK(str_eq_nocase(a->local, "postmaster") && !a->literal);
    } else if (a->literal) {
        size_t dl = strlen(a->domain);

        CHECK(a->domain[0] == '[' && a->domain[dl - 1] == ']');
    } else {
        CHECK(a->utf8 || mail_addr_domain_ok(a->domain, strlen(a->domain)));
    }
}

/* External form, in brackets, parses back to the same address. */
static void check_external(const struct mail_addr *a, int flags)
{
    struct mail_addr b;
    struct buf ext, path;
    const char *why = NULL;
    size_t used = 0;

    buf_init(&ext, 4 * MAIL_ADDR_PATH_MAX);
    buf_init(&path, 4 * MAIL_ADDR_PATH_MAX);
    mail_addr_external(a, &ext);
    CHECK(a->null == (ext.len == 0));
    CHECK(buf_putc(&path, '<') == 0 && buf_append(&path, buf_str(&ext), ext.len) == 0 &&
          buf_putc(&path, '>') == 0);
    if (mail_addr_parse_path(path.data, path.len, flags, &b, &used, &why) != 0) {
        fprintf(stderr, "external form <%s> rejected: %s\n", buf_str(&ext), why);
        abort();
    }
    CHECK(used == path.len);
    CHECK(same_addr(a, &b));
    buf_free(&ext);
    buf_free(&path);
}

/* Internal form (queue files) parses back to the same address. */
static void check_internal(const struct mail_addr *a)
{
    char text[MAIL_ADDR_TEXT_MAX + 2];
    struct mail_addr b;

    memset(text, 'X', sizeof(text));
    mail_addr_internal(a, text, sizeof(text));
    CHECK(strlen(text) <= MAIL_ADDR_TEXT_MAX);
    CHECK(a->null == (text[0] == 0));
    if (mail_addr_from_internal(text, &b) != 0) {
        fprintf(stderr, "internal form \"%s\" rejected by mail_addr_from_internal\n", text);
        abort();
    }
    CHECK(same_addr(a, &b));
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
    struct mail_addr a, b;
    const char *why = NULL;
    size_t used = 0, used2;
    int flags, more;

    if (size < 1)
        return 0;
    flags = data[0] & ALL_FLAGS;
    data++;
    size--;
    if (mail_addr_parse_path(data, size, flags, &a, &used, &why) != 0) {
        CHECK(why != NULL && *why != 0);
        /* the most permissive flags may accept it; then it needs one of them */
        if (mail_addr_parse_path(data, size, ALL_FLAGS, &b, &used2, &why) == 0)
            CHECK(b.null || b.domain[0] == 0 || b.utf8 ||
                  (data[0] != '<' && !(flags & MAIL_ADDR_ALLOW_NO_BRACKETS)));
        return 0;
    }
    check_shape(&a, flags, data, size, used);
    check_external(&a, flags);
    check_internal(&a);
    /* every superset of the flags accepts it the same way */
    for (more = 0; more <= ALL_FLAGS; more++) {
        if ((more & flags) != flags)
            continue;
        why = NULL;
        CHECK(mail_addr_parse_path(data, size, more, &b, &used2, &why) == 0);
        CHECK(used2 == used && same_addr(&a, &b));
    }
    return 0;
}
