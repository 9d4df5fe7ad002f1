/*
 * fuzz_header.c - the header-section reader (header.c).  Invariants: names
 * are non-empty printable ASCII without ':', values are within
 * HEADER_FIELD_MAX and have no line break left, fields are contiguous
 * (each starts where the one before ended), and the body starts within the
 * text, at or after the end of the last field.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "header.h"

struct order {
    size_t last;
    size_t len;
    bool first;
    size_t end; /* of the last field */
};

static int check_field(const struct header_field *f, void *ctx)
{
    struct order *o = ctx;
    size_t i, n = strlen(f->name);

    CHECK(n > 0 && n <= HEADER_NAME_MAX);
    for (i = 0; i < n; i++)
        CHECK(f->name[i] > ' ' && f->name[i] <= '~' && f->name[i] != ':');
    CHECK(f->value_len <= HEADER_FIELD_MAX);
    CHECK(memchr(f->value, '\n', f->value_len) == NULL);
    CHECK(f->offset < o->len && (o->first || f->offset > o->last));
    CHECK(f->end > f->offset && f->end <= o->len);
    CHECK(o->first ? f->offset == 0 : f->offset == o->end);
    o->first = false;
    o->last = f->offset;
    o->end = f->end;
    return 0;
}

int LLVMFuzzerInitialize(int *argc UNUSED, char ***argv UNUSED)
{
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct order o = {0, size, true, 0};
    size_t body = 0;

    CHECK(header_scan(data, size, check_field, &o, &body) == 0);
    CHECK(body <= size && body >= o.end);
    return 0;
}
