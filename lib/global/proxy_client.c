/*
 * proxy_client.c - questions to proxymap on one kept connection (see
 * proxy_client.h).
 */
#include "sys_defs.h"
#include "proxy_client.h"
#include "attr.h"
#include "dict.h"
#include "msg.h"
#include "mymalloc.h"
#include "proxy_proto.h"
#include "sock.h"
#include "stream.h"
#include "strutil.h"

static bool proxy_on;
static struct stream *proxy_stream;
static struct buf proxy_frame; /* the last reply: values point into it */

void proxy_client_enable(void)
{
    proxy_on = true;
    dict_proxy_files(&dict_proxy_ops);
}

bool proxy_client_enabled(void)
{
    return proxy_on;
}

void proxy_client_close(void)
{
    if (proxy_stream)
        stream_close(proxy_stream);
    proxy_stream = NULL;
}

/* Connect and read the hello; false with *why_r. */
static bool proxy_client_connect(const char **why_r)
{
    int fd;

    if (proxy_frame.data == NULL)
        buf_init(&proxy_frame, PROXY_REPLY_MAX);
    if ((fd = unix_connect(PROXY_SOCKET, false)) < 0) {
        *why_r = strerror(errno);
        return false;
    }
    proxy_stream = stream_open(fd, PROXY_CLIENT_TIMEOUT_MS);
    if (attr_read_frame(proxy_stream, &proxy_frame, why_r) == 0 &&
        attr_check_hello(proxy_frame.data, proxy_frame.len, PROXY_PROTOCOL, PROXY_VERSION, why_r) ==
            0)
        return true;
    proxy_client_close();
    return false;
}

/* One request and its reply on the open connection; false with *why_r. */
static bool proxy_client_ask(const struct proxy_request *req, struct proxy_reply *r,
                             const char **why_r)
{
    struct buf b;
    int ret;

    buf_init(&b, PROXY_REQUEST_MAX + 4);
    proxy_request_encode(&b, req);
    ret = attr_write_frames(proxy_stream, &b);
    buf_free(&b);
    if (ret < 0) {
        *why_r = stream_strerror(proxy_stream);
        return false;
    }
    return attr_read_frame(proxy_stream, &proxy_frame, why_r) == 0 &&
           proxy_reply_decode(proxy_frame.data, proxy_frame.len, req->type, r, why_r) == 0;
}

/* Ask, on the kept connection or a new one; false with *why_r (warned). */
static bool proxy_client_call(const struct proxy_request *req, struct proxy_reply *r,
                              const char **why_r)
{
    bool was_open = proxy_stream != NULL;

    if (!was_open && !proxy_client_connect(why_r))
        goto fail;
    if (proxy_client_ask(req, r, why_r))
        return true;
    /* A kept connection may have gone with a proxymap that exited: one fresh try. */
    proxy_client_close();
    if (was_open && proxy_client_connect(why_r) && proxy_client_ask(req, r, why_r))
        return true;
    proxy_client_close();
fail:
    msg_warn("proxymap service %s: %s %s: %s", PROXY_SOCKET, proxy_request_name(req->type),
             req->table ? req->table : req->key, *why_r);
    return false;
}

int proxy_client_open(const char *table, int flags, char **error_r)
{
    struct proxy_request req = {PROXY_OPEN, table, flags, NULL};
    struct proxy_reply r;
    const char *why = NULL;

    if (!proxy_client_call(&req, &r, &why)) {
        *error_r = xasprintf("proxymap service %s: %s", PROXY_SOCKET, why);
        return -1;
    }
    if (r.status == PROXY_OK)
        return 0;
    *error_r = xstrdup(r.reason ? r.reason : "refused by proxymap");
    return -1;
}

int proxy_client_lookup(const char *table, int flags, const char *key, const char **value_r,
                        char **error_r)
{
    struct proxy_request req = {PROXY_LOOKUP, table, flags, key};
    struct proxy_reply r;
    const char *why = NULL;

    if (!proxy_client_call(&req, &r, &why)) {
        *error_r = xasprintf("proxymap service %s: %s", PROXY_SOCKET, why);
        return -1;
    }
    switch (r.status) {
    case PROXY_OK:
        *value_r = r.value;
        return 1;
    case PROXY_NOTFOUND:
        return 0;
    default:
        *error_r = xstrdup(r.reason ? r.reason : "proxymap could not answer");
        return -1;
    }
}

int proxy_client_passwd(const char *name, struct local_user *u)
{
    struct proxy_request req = {PROXY_PASSWD, NULL, 0, name};
    struct proxy_reply r;
    const char *why = NULL;

    if (!proxy_client_call(&req, &r, &why))
        return LOCAL_USER_RETRY;
    switch (r.status) {
    case PROXY_OK:
        u->uid = (uid_t)r.uid;
        u->gid = (gid_t)r.gid;
        if (str_copy(u->home, r.home, sizeof(u->home)) >= sizeof(u->home) ||
            str_copy(u->shell, r.shell, sizeof(u->shell)) >= sizeof(u->shell))
            return LOCAL_USER_RETRY;
        return LOCAL_USER_FOUND;
    case PROXY_NOTFOUND:
        return LOCAL_USER_UNKNOWN;
    default:
        if (r.reason)
            msg_warn("proxymap: passwd %s: %s", name, r.reason);
        return LOCAL_USER_RETRY;
    }
}
