/*
 * anvil_proto.c - anvil requests and replies (see anvil_proto.h), each
 * described once, by a table.
 */
#include "sys_defs.h"
#include "anvil_proto.h"
#include "attr.h"
#include "strutil.h"

struct wire_request {
    const char *request;
    const char *ident;
};

static const struct attr_spec request_spec[] = {
    {"request", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct wire_request, request),
     ANVIL_REQUEST_NAME_MAX, NULL},
    {"ident", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct wire_request, ident), ANVIL_IDENT_MAX,
     NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

struct wire_reply {
    const char *status;
    long long count;
    long long rate;
};

static const struct attr_spec reply_spec[] = {
    {"status", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct wire_reply, status), 16, NULL},
    {"count", ATTR_TYPE_INT, ATTR_REQUIRED, offsetof(struct wire_reply, count), 0, NULL},
    {"rate", ATTR_TYPE_INT, ATTR_REQUIRED, offsetof(struct wire_reply, rate), 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const char *const event_names[] = {"connect", "disconnect", "message", "recipient", "auth"};
static const char *const status_names[] = {"ok", "fail"};

const char *anvil_event_name(enum anvil_event e)
{
    return (size_t)e < COUNTOF(event_names) ? event_names[e] : "unknown";
}

/* The index of name in names, or -1. */
static int name_index(const char *const *names, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

void anvil_request_encode(struct buf *b, const struct anvil_request *r)
{
    size_t start = attr_frame_begin(b);
    struct wire_request w = {anvil_event_name(r->event), r->ident};

    attr_encode(b, request_spec, &w);
    (void)attr_frame_end(b, start);
}

void anvil_reply_encode(struct buf *b, const struct anvil_reply *r)
{
    size_t start = attr_frame_begin(b);
    struct wire_reply w = {status_names[r->status == ANVIL_OK ? 0 : 1], r->count, r->rate};

    attr_encode(b, reply_spec, &w);
    (void)attr_frame_end(b, start);
}

int anvil_request_decode(const unsigned char *p, size_t len, struct anvil_request *r,
                         const char **error_r)
{
    struct wire_request w = {NULL, NULL};
    int e;

    if (attr_decode(p, len, request_spec, &w, ATTR_FLAG_STRICT, error_r) < 0)
        return -1;
    if ((e = name_index(event_names, COUNTOF(event_names), w.request)) < 0) {
        *error_r = "bad request name";
        return -1;
    }
    if (!str_is_word(w.ident)) {
        *error_r = "bad ident";
        return -1;
    }
    r->event = (enum anvil_event)e;
    r->ident = w.ident;
    return 0;
}

int anvil_reply_decode(const unsigned char *p, size_t len, struct anvil_reply *r,
                       const char **error_r)
{
    struct wire_reply w = {NULL, 0, 0};
    int s;

    if (attr_decode(p, len, reply_spec, &w, ATTR_FLAG_STRICT, error_r) < 0)
        return -1;
    if ((s = name_index(status_names, COUNTOF(status_names), w.status)) < 0) {
        *error_r = "bad status";
        return -1;
    }
    if (w.count < 0 || w.rate < 0) {
        *error_r = "negative count";
        return -1;
    }
    r->status = (enum anvil_status)s;
    r->count = w.count;
    r->rate = w.rate;
    return 0;
}
