/*
 * deliver_proto.c - delivery request and reply messages (see deliver_proto.h).
 * Each message and each nested record is described once, by a table.
 */
#include "sys_defs.h"
#include "deliver_proto.h"
#include "attr.h"
#include "mail_addr.h"
#include "mymalloc.h"

#define REASON_MAX 1000

static int request_rcpt(void *out, const unsigned char *p, size_t len, const char **error_r);
static int reply_result(void *out, const unsigned char *p, size_t len, const char **error_r);

static const struct attr_spec request_spec[] = {
    {"queue_name", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct deliver_request, queue_name), 32,
     NULL},
    {"queue_id", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct deliver_request, queue_id), 32,
     NULL},
    {"flags", ATTR_TYPE_INT, ATTR_REQUIRED, offsetof(struct deliver_request, flags), 0, NULL},
    {"arrival_sec", ATTR_TYPE_INT, ATTR_REQUIRED, offsetof(struct deliver_request, arrival_sec), 0,
     NULL},
    {"arrival_usec", ATTR_TYPE_INT, ATTR_REQUIRED, offsetof(struct deliver_request, arrival_usec),
     0, NULL},
    {"nexthop", ATTR_TYPE_STR, 0, offsetof(struct deliver_request, nexthop), DELIVER_NEXTHOP_MAX,
     NULL},
    {"rcpt", ATTR_TYPE_DATA, ATTR_REQUIRED | ATTR_REPEAT, 0, 2 * MAIL_ADDR_TEXT_MAX, request_rcpt},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct attr_spec rcpt_spec[] = {
    {"offset", ATTR_TYPE_INT, ATTR_REQUIRED, offsetof(struct deliver_rcpt, offset), 0, NULL},
    {"address", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct deliver_rcpt, address),
     MAIL_ADDR_TEXT_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

struct wire_result {
    long long offset;
    const char *status;
    const char *dsn;
    const char *reason;
};

static const struct attr_spec reply_spec[] = {
    {"result", ATTR_TYPE_DATA, ATTR_REPEAT, 0, REASON_MAX + 200, reply_result},
    {"last", ATTR_TYPE_INT, ATTR_REQUIRED, offsetof(struct deliver_reply, last), 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct attr_spec result_spec[] = {
    {"offset", ATTR_TYPE_INT, ATTR_REQUIRED, offsetof(struct wire_result, offset), 0, NULL},
    {"status", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct wire_result, status), 16, NULL},
    {"dsn", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct wire_result, dsn), 16, NULL},
    {"reason", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct wire_result, reason), REASON_MAX,
     NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const char *const status_names[] = {"sent", "deferred", "bounced"};

const char *deliver_status_name(enum deliver_status s)
{
    return (size_t)s < COUNTOF(status_names) ? status_names[s] : "unknown";
}

void deliver_request_add(struct deliver_request *r, long long offset, const char *address)
{
    if (r->nrcpts == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->rcpts = xreallocarray(r->rcpts, r->cap, sizeof(*r->rcpts));
    }
    r->rcpts[r->nrcpts].offset = offset;
    r->rcpts[r->nrcpts].address = address;
    r->nrcpts++;
}

void deliver_reply_add(struct deliver_reply *r, long long offset, enum deliver_status status,
                       const char *dsn, const char *reason)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->results = xreallocarray(r->results, r->cap, sizeof(*r->results));
    }
    r->results[r->n] = (struct deliver_result){offset, status, dsn, reason};
    r->n++;
}

static int request_rcpt(void *out, const unsigned char *p, size_t len, const char **error_r)
{
    struct deliver_rcpt rc = {0, NULL};

    if (attr_decode(p, len, rcpt_spec, &rc, ATTR_FLAG_STRICT, error_r) < 0)
        return -1;
    if (rc.offset <= 0) {
        *error_r = "bad recipient offset";
        return -1;
    }
    deliver_request_add(out, rc.offset, rc.address);
    return 0;
}

static int reply_result(void *out, const unsigned char *p, size_t len, const char **error_r)
{
    struct wire_result w = {0, NULL, NULL, NULL};
    size_t i;

    if (attr_decode(p, len, result_spec, &w, ATTR_FLAG_STRICT, error_r) < 0)
        return -1;
    for (i = 0; i < COUNTOF(status_names); i++) {
        if (strcmp(w.status, status_names[i]) == 0) {
            deliver_reply_add(out, w.offset, (enum deliver_status)i, w.dsn, w.reason);
            return 0;
        }
    }
    *error_r = "bad delivery status";
    return -1;
}

void deliver_request_encode(struct buf *b, const struct deliver_request *r)
{
    size_t start = attr_frame_begin(b);
    struct buf rec;
    size_t i;

    attr_encode(b, request_spec, r);
    buf_init(&rec, 4 * MAIL_ADDR_TEXT_MAX);
    for (i = 0; i < r->nrcpts; i++) {
        buf_reset(&rec);
        attr_encode(&rec, rcpt_spec, r->rcpts + i);
        attr_put_data(b, "rcpt", rec.data, rec.len);
    }
    buf_free(&rec);
    (void)attr_frame_end(b, start);
}

void deliver_reply_encode(struct buf *b, const struct deliver_reply *r)
{
    size_t start = attr_frame_begin(b);
    struct buf rec;
    size_t i;

    buf_init(&rec, 4 * REASON_MAX);
    for (i = 0; i < r->n; i++) {
        const struct deliver_result *d = r->results + i;
        struct wire_result w = {d->offset, deliver_status_name(d->status), d->dsn, ""};
        char reason[REASON_MAX + 1];

        snprintf(reason, sizeof(reason), "%s", d->reason);
        w.reason = reason;
        buf_reset(&rec);
        attr_encode(&rec, result_spec, &w);
        attr_put_data(b, "result", rec.data, rec.len);
    }
    buf_free(&rec);
    attr_put_int(b, "last", r->last);
    (void)attr_frame_end(b, start);
}

int deliver_request_decode(const unsigned char *p, size_t len, struct deliver_request *r,
                           const char **error_r)
{
    memset(r, 0, sizeof(*r));
    if (attr_decode(p, len, request_spec, r, ATTR_FLAG_STRICT, error_r) < 0) {
        deliver_request_free(r);
        return -1;
    }
    return 0;
}

int deliver_reply_decode(const unsigned char *p, size_t len, struct deliver_reply *r,
                         const char **error_r)
{
    memset(r, 0, sizeof(*r));
    if (attr_decode(p, len, reply_spec, r, ATTR_FLAG_STRICT, error_r) < 0) {
        deliver_reply_free(r);
        return -1;
    }
    return 0;
}

void deliver_request_free(struct deliver_request *r)
{
    free(r->rcpts);
    r->rcpts = NULL;
    r->nrcpts = r->cap = 0;
}

void deliver_reply_free(struct deliver_reply *r)
{
    free(r->results);
    r->results = NULL;
    r->n = r->cap = 0;
}
