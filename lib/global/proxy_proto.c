/*
 * proxy_proto.c - proxymap requests and replies (see proxy_proto.h), each
 * described once, by a table, and checked for what its type needs.
 */
#include "sys_defs.h"
#include "proxy_proto.h"
#include "attr.h"

struct wire_request {
    const char *request;
    const char *table;
    long long flags;
    const char *key;
};

static const struct attr_spec request_spec[] = {
    {"request", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct wire_request, request), 16, NULL},
    {"table", ATTR_TYPE_STR, 0, offsetof(struct wire_request, table), PROXY_TABLE_MAX, NULL},
    {"flags", ATTR_TYPE_INT, ATTR_REQUIRED, offsetof(struct wire_request, flags), 0, NULL},
    {"key", ATTR_TYPE_STR, 0, offsetof(struct wire_request, key), DICT_KEY_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

struct wire_reply {
    const char *status;
    const char *value;
    const char *reason;
    long long uid, gid;
    const char *home, *shell;
};

static const struct attr_spec reply_spec[] = {
    {"status", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct wire_reply, status), 16, NULL},
    {"value", ATTR_TYPE_STR, 0, offsetof(struct wire_reply, value), DICT_VALUE_MAX, NULL},
    {"reason", ATTR_TYPE_STR, 0, offsetof(struct wire_reply, reason), PROXY_REASON_MAX, NULL},
    {"uid", ATTR_TYPE_INT, ATTR_REQUIRED, offsetof(struct wire_reply, uid), 0, NULL},
    {"gid", ATTR_TYPE_INT, ATTR_REQUIRED, offsetof(struct wire_reply, gid), 0, NULL},
    {"home", ATTR_TYPE_STR, 0, offsetof(struct wire_reply, home), PROXY_PATH_MAX, NULL},
    {"shell", ATTR_TYPE_STR, 0, offsetof(struct wire_reply, shell), PROXY_PATH_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const char *const request_names[] = {"open", "lookup", "passwd"};
static const char *const status_names[] = {"ok", "notfound", "retry", "denied"};

const char *proxy_request_name(enum proxy_request_type t)
{
    return (size_t)t < COUNTOF(request_names) ? request_names[t] : "unknown";
}

static int name_index(const char *const *names, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

void proxy_request_encode(struct buf *b, const struct proxy_request *r)
{
    size_t start = attr_frame_begin(b);
    struct wire_request w = {proxy_request_name(r->type), r->table, r->flags, r->key};

    attr_encode(b, request_spec, &w);
    (void)attr_frame_end(b, start);
}

void proxy_reply_encode(struct buf *b, const struct proxy_reply *r)
{
    size_t start = attr_frame_begin(b);
    struct wire_reply w = {
        status_names[r->status], r->value, r->reason, r->uid, r->gid, r->home, r->shell};

    attr_encode(b, reply_spec, &w);
    (void)attr_frame_end(b, start);
}

int proxy_request_decode(const unsigned char *p, size_t len, struct proxy_request *r,
                         const char **error_r)
{
    struct wire_request w = {NULL, NULL, 0, NULL};
    int t;

    if (attr_decode(p, len, request_spec, &w, ATTR_FLAG_STRICT, error_r) < 0)
        return -1;
    if ((t = name_index(request_names, COUNTOF(request_names), w.request)) < 0) {
        *error_r = "bad request name";
        return -1;
    }
    /* Each type carries exactly what it needs: a table but for passwd, a key but for open. */
    if ((w.table != NULL) != (t != PROXY_PASSWD) || (w.key != NULL) != (t != PROXY_OPEN)) {
        *error_r = "wrong attributes for the request";
        return -1;
    }
    if (w.flags < 0 || w.flags > INT_MAX) {
        *error_r = "bad flags";
        return -1;
    }
    r->type = (enum proxy_request_type)t;
    r->table = w.table;
    r->flags = (int)w.flags;
    r->key = w.key;
    return 0;
}

int proxy_reply_decode(const unsigned char *p, size_t len, enum proxy_request_type type,
                       struct proxy_reply *r, const char **error_r)
{
    struct wire_reply w = {NULL, NULL, NULL, 0, 0, NULL, NULL};
    int s;

    if (attr_decode(p, len, reply_spec, &w, ATTR_FLAG_STRICT, error_r) < 0)
        return -1;
    if ((s = name_index(status_names, COUNTOF(status_names), w.status)) < 0) {
        *error_r = "bad status";
        return -1;
    }
    if (s == PROXY_OK && type == PROXY_LOOKUP && w.value == NULL) {
        *error_r = "lookup answered without a value";
        return -1;
    }
    if (s == PROXY_OK && type == PROXY_PASSWD &&
        (w.home == NULL || w.shell == NULL || w.uid < 0 || w.gid < 0 || w.uid >= UINT32_MAX ||
         w.gid >= UINT32_MAX)) {
        *error_r = "account answered without its fields";
        return -1;
    }
    r->status = (enum proxy_status)s;
    r->value = w.value;
    r->reason = w.reason;
    r->uid = w.uid;
    r->gid = w.gid;
    r->home = w.home;
    r->shell = w.shell;
    return 0;
}
