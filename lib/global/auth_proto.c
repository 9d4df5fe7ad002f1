/*
 * auth_proto.c - auth requests and replies (see auth_proto.h), each
 * described once, by a table.
 */
#include "sys_defs.h"
#include "auth_proto.h"
#include "attr.h"
#include "strutil.h"

static const struct attr_spec request_spec[] = {
    {"service", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct auth_request, service),
     AUTH_SERVICE_MAX, NULL},
    {"user", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct auth_request, user), AUTH_USER_MAX,
     NULL},
    {"password", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct auth_request, password),
     AUTH_PASSWORD_MAX, NULL},
    {"client_address", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct auth_request, client_address),
     AUTH_CLIENT_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

struct wire_reply {
    const char *status;
};

static const struct attr_spec reply_spec[] = {
    {"status", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct wire_reply, status), 16, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const char *const status_names[] = {"ok", "fail", "tempfail", "refused"};

const char *auth_status_name(enum auth_status s)
{
    return (size_t)s < COUNTOF(status_names) ? status_names[s] : "unknown";
}

static bool auth_service_ok(const char *s)
{
    if (*s == 0)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return false;
    return true;
}

bool auth_request_fits(const struct auth_request *r)
{
    return strlen(r->service) <= AUTH_SERVICE_MAX && strlen(r->user) <= AUTH_USER_MAX &&
           strlen(r->password) <= AUTH_PASSWORD_MAX && strlen(r->client_address) <= AUTH_CLIENT_MAX;
}

void auth_request_encode(struct buf *b, const struct auth_request *r)
{
    size_t start = attr_frame_begin(b);

    attr_encode(b, request_spec, r);
    (void)attr_frame_end(b, start);
}

void auth_reply_encode(struct buf *b, const struct auth_reply *r)
{
    size_t start = attr_frame_begin(b);
    struct wire_reply w = {auth_status_name(r->status)};

    attr_encode(b, reply_spec, &w);
    (void)attr_frame_end(b, start);
}

int auth_request_decode(const unsigned char *p, size_t len, struct auth_request *r,
                        const char **error_r)
{
    memset(r, 0, sizeof(*r));
    if (attr_decode(p, len, request_spec, r, ATTR_FLAG_STRICT, error_r) < 0)
        return -1;
    if (!auth_service_ok(r->service)) {
        *error_r = "bad service name";
        return -1;
    }
    if (!str_is_word(r->user)) {
        *error_r = "bad user name";
        return -1;
    }
    if (!str_is_word(r->client_address)) {
        *error_r = "bad client address";
        return -1;
    }
    return 0;
}

int auth_reply_decode(const unsigned char *p, size_t len, struct auth_reply *r,
                      const char **error_r)
{
    struct wire_reply w = {NULL};
    size_t i;

    if (attr_decode(p, len, reply_spec, &w, ATTR_FLAG_STRICT, error_r) < 0)
        return -1;
    for (i = 0; i < COUNTOF(status_names); i++) {
        if (strcmp(w.status, status_names[i]) == 0) {
            r->status = (enum auth_status)i;
            return 0;
        }
    }
    *error_r = "bad status";
    return -1;
}
