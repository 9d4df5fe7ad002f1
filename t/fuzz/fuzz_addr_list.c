/*
 * fuzz_addr_list.c - the RFC 5322 address-list parser (addr_list.c).
 * Invariants: a refused list leaves what was in the list; every address
 * accepted is one mail_addr_parse_path() accepts in its external form, to
 * the same internal form; the list's maximum holds.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "addr_list.h"

#define FUZZ_LIST_MAX 50

static void check_addr(const struct mail_addr *a)
{
    char internal[MAIL_ADDR_TEXT_MAX + 1], again[MAIL_ADDR_TEXT_MAX + 1];
    struct mail_addr b;
    struct buf path;
    const char *why;
    size_t used;

    CHECK(!a->null && a->local[0] != 0);
    mail_addr_internal(a, internal, sizeof(internal));
    buf_init(&path, 2 * MAIL_ADDR_TEXT_MAX + 8);
    (void)buf_putc(&path, '<');
    mail_addr_external(a, &path);
    (void)buf_putc(&path, '>');
    CHECK(mail_addr_parse_path(path.data, path.len, a->domain[0] ? 0 : MAIL_ADDR_ALLOW_LOCAL_ONLY,
                               &b, &used, &why) == 0);
    CHECK(used == path.len);
    mail_addr_internal(&b, again, sizeof(again));
    CHECK(strcmp(internal, again) == 0);
    buf_free(&path);
}

int LLVMFuzzerInitialize(int *argc UNUSED, char ***argv UNUSED)
{
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char seed[] = "first@example.com";
    struct addr_list l;
    const char *why;
    size_t i;

    addr_list_init(&l, FUZZ_LIST_MAX);
    CHECK(addr_list_parse(seed, sizeof(seed) - 1, &l, &why) == 0 && l.n == 1);
    if (addr_list_parse(data, size, &l, &why) < 0) {
        CHECK(l.n == 1 && why != NULL);
    } else {
        CHECK(l.n >= 1 && l.n <= FUZZ_LIST_MAX);
        for (i = 0; i < l.n; i++)
            check_addr(l.addrs + i);
    }
    addr_list_free(&l);
    return 0;
}
