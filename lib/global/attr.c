/*
 * attr.c - typed attribute frames: encoding, strict decoding, framing.
 */
#include "sys_defs.h"
#include "attr.h"
#include "mymalloc.h"
#include "msg.h"
#include "byteorder.h"

static bool attr_name_ok(const unsigned char *n, size_t len)
{
    size_t i;

    if (len == 0 || len > ATTR_NAME_MAX)
        return false;
    for (i = 0; i < len; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
            return false;
    return true;
}

int attr_next(const unsigned char *p, size_t len, size_t *pos, struct attr *a, const char **error_r)
{
    size_t i = *pos, nlen, vlen;

    if (i >= len)
        return 0;
    if (len - i < 2)
        goto trunc;
    a->type = (enum attr_type)p[i];
    if (a->type != ATTR_TYPE_STR && a->type != ATTR_TYPE_INT && a->type != ATTR_TYPE_DATA) {
        *error_r = "bad attribute type";
        return -1;
    }
    nlen = p[i + 1];
    i += 2;
    if (len - i < nlen + 4)
        goto trunc;
    if (!attr_name_ok(p + i, nlen)) {
        *error_r = "bad attribute name";
        return -1;
    }
    a->name = (const char *)p + i;
    a->name_len = nlen;
    i += nlen;
    vlen = be32_get(p + i);
    i += 4;
    if (len - i < vlen)
        goto trunc;
    a->value = p + i;
    a->value_len = vlen;
    a->num = 0;
    switch (a->type) {
    case ATTR_TYPE_STR:
        if (vlen == 0 || p[i + vlen - 1] != 0 || memchr(p + i, 0, vlen - 1) != NULL) {
            *error_r = "bad string attribute";
            return -1;
        }
        a->value_len = vlen - 1;
        break;
    case ATTR_TYPE_INT:
        if (vlen != 8) {
            *error_r = "bad integer attribute";
            return -1;
        }
        a->num = (long long)((uint64_t)be32_get(p + i) << 32 | be32_get(p + i + 4));
        break;
    case ATTR_TYPE_DATA:
        break;
    }
    *pos = i + vlen;
    return 1;

trunc:
    *error_r = "truncated attribute";
    return -1;
}

static const struct attr_spec *attr_find_spec(const struct attr_spec *spec, const struct attr *a,
                                              size_t *index_r)
{
    size_t i;

    for (i = 0; spec[i].name; i++) {
        if (strlen(spec[i].name) == a->name_len &&
            memcmp(spec[i].name, a->name, a->name_len) == 0) {
            *index_r = i;
            return spec + i;
        }
    }
    return NULL;
}

int attr_decode(const unsigned char *p, size_t len, const struct attr_spec *spec, void *out,
                int flags, const char **error_r)
{
    unsigned char seen[64] = {0};
    size_t pos = 0, i, nspec;
    struct attr a;
    int r;

    for (nspec = 0; spec[nspec].name; nspec++)
        ;
    if (nspec > sizeof(seen))
        msg_panic("attr_decode: table too large");
    while ((r = attr_next(p, len, &pos, &a, error_r)) > 0) {
        const struct attr_spec *s = attr_find_spec(spec, &a, &i);
        char *field;

        if (s == NULL) {
            if (flags & ATTR_FLAG_STRICT) {
                *error_r = "unexpected attribute";
                return -1;
            }
            continue;
        }
        if (a.type != s->type) {
            *error_r = "attribute has the wrong type";
            return -1;
        }
        if (seen[i] && !(s->flags & ATTR_REPEAT)) {
            *error_r = "duplicate attribute";
            return -1;
        }
        seen[i] = 1;
        if (s->type != ATTR_TYPE_INT && s->max && a.value_len > s->max) {
            *error_r = "attribute value too long";
            return -1;
        }
        field = (char *)out + s->offset;
        if (s->flags & ATTR_REPEAT) {
            if (s->each(out, a.value, a.value_len, error_r) < 0)
                return -1;
        } else if (s->type == ATTR_TYPE_STR) {
            *(const char **)field = (const char *)a.value;
        } else if (s->type == ATTR_TYPE_INT) {
            *(long long *)field = a.num;
        } else {
            ((struct attr_data *)field)->p = a.value;
            ((struct attr_data *)field)->len = a.value_len;
        }
    }
    if (r < 0)
        return -1;
    for (i = 0; i < nspec; i++) {
        if ((spec[i].flags & ATTR_REQUIRED) && !seen[i]) {
            *error_r = "missing attribute";
            return -1;
        }
    }
    return 0;
}

size_t attr_frame_begin(struct buf *b)
{
    size_t start = b->len;
    static const unsigned char zero[4];

    if (buf_append(b, zero, 4) < 0)
        msg_fatal("attr_frame_begin: frame buffer full");
    return start;
}

int attr_frame_end(struct buf *b, size_t start)
{
    size_t n = b->len - start - 4;

    if (n > ATTR_FRAME_MAX)
        return -1;
    be32_put(b->data + start, (uint32_t)n);
    return 0;
}

static void attr_put(struct buf *b, enum attr_type type, const char *name, const void *p,
                     size_t len)
{
    size_t nlen = strlen(name);
    unsigned char hdr[2 + ATTR_NAME_MAX + 4];

    if (!attr_name_ok((const unsigned char *)name, nlen))
        msg_panic("attr_put: bad attribute name \"%s\"", name);
    if (len > UINT32_MAX)
        msg_panic("attr_put: value too long");
    hdr[0] = (unsigned char)type;
    hdr[1] = (unsigned char)nlen;
    memcpy(hdr + 2, name, nlen);
    be32_put(hdr + 2 + nlen, (uint32_t)len);
    if (buf_append(b, hdr, 2 + nlen + 4) < 0 || buf_append(b, p, len) < 0)
        msg_fatal("attr_put: frame buffer full at \"%s\"", name);
}

void attr_put_str(struct buf *b, const char *name, const char *val)
{
    attr_put(b, ATTR_TYPE_STR, name, val, strlen(val) + 1);
}

void attr_put_int(struct buf *b, const char *name, long long val)
{
    unsigned char v[8];
    uint64_t u = (uint64_t)val;

    be32_put(v, (uint32_t)(u >> 32));
    be32_put(v + 4, (uint32_t)u);
    attr_put(b, ATTR_TYPE_INT, name, v, 8);
}

void attr_put_data(struct buf *b, const char *name, const void *p, size_t len)
{
    attr_put(b, ATTR_TYPE_DATA, name, p, len);
}

void attr_encode(struct buf *b, const struct attr_spec *spec, const void *in)
{
    for (; spec->name; spec++) {
        const char *field = (const char *)in + spec->offset;

        if (spec->flags & ATTR_REPEAT)
            continue;
        switch (spec->type) {
        case ATTR_TYPE_STR:
            if (*(const char *const *)field)
                attr_put_str(b, spec->name, *(const char *const *)field);
            break;
        case ATTR_TYPE_INT:
            attr_put_int(b, spec->name, *(const long long *)field);
            break;
        case ATTR_TYPE_DATA:
            attr_put_data(b, spec->name, ((const struct attr_data *)field)->p,
                          ((const struct attr_data *)field)->len);
            break;
        }
    }
}

int attr_frame_peek(const struct buf *in, const unsigned char **payload_r, size_t *len_r,
                    size_t *frame_len_r)
{
    uint32_t n;

    if (in->len < 4)
        return 0;
    n = be32_get(in->data);
    if (n > ATTR_FRAME_MAX)
        return -1;
    if (in->len - 4 < n)
        return 0;
    *payload_r = in->data + 4;
    *len_r = n;
    *frame_len_r = 4 + (size_t)n;
    return 1;
}

int attr_read_frame(struct stream *s, struct buf *frame, const char **error_r)
{
    unsigned char hdr[4];
    uint32_t n;

    buf_reset(frame);
    if (stream_read_exact(s, hdr, 4) < 0) {
        *error_r = stream_strerror(s);
        return -1;
    }
    n = be32_get(hdr);
    if (n > ATTR_FRAME_MAX || buf_reserve(frame, n) < 0) {
        *error_r = "frame too large";
        return -1;
    }
    if (stream_read_exact(s, frame->data, n) < 0) {
        *error_r = stream_strerror(s);
        return -1;
    }
    frame->len = n;
    frame->data[n] = 0;
    return 0;
}

int attr_write_frames(struct stream *s, const struct buf *b)
{
    if (stream_write(s, b->data, b->len) < 0)
        return -1;
    return stream_flush(s);
}

struct attr_hello {
    const char *protocol;
    long long version;
};

static const struct attr_spec hello_spec[] = {
    {"protocol", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct attr_hello, protocol), 64, NULL},
    {"version", ATTR_TYPE_INT, ATTR_REQUIRED, offsetof(struct attr_hello, version), 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

void attr_put_hello(struct buf *b, const char *protocol, long long version)
{
    size_t start = attr_frame_begin(b);
    struct attr_hello h = {protocol, version};

    attr_encode(b, hello_spec, &h);
    (void)attr_frame_end(b, start);
}

int attr_check_hello(const unsigned char *p, size_t len, const char *protocol,
                     long long min_version, const char **error_r)
{
    struct attr_hello h = {NULL, 0};

    if (attr_decode(p, len, hello_spec, &h, 0, error_r) < 0)
        return -1;
    if (strcmp(h.protocol, protocol) != 0) {
        *error_r = "peer speaks another protocol";
        return -1;
    }
    if (h.version < min_version) {
        *error_r = "peer protocol version too old";
        return -1;
    }
    return 0;
}
