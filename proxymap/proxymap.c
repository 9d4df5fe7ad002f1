/*
 * proxymap.c - the lookup service for chrooted daemons, as Postfix's
 * proxymap (protocol: lib/global/proxy_proto.h).
 *
 * master.cf:  proxymap  unix  -  -  n  -  -  proxymap
 *
 * A chrooted smtpd sees only the queue directory; it asks this service,
 * which runs as mail_owner outside the chroot, for what lives elsewhere:
 * the lookup tables its parameters name and the system accounts of
 * local recipients.  The tables are opened here once per process and
 * kept; dict.c reopens one when postern-map replaces its file, so a
 * rebuilt table is in use here, and so in smtpd, within a second.
 *
 * Only the tables that proxy_read_maps names are served (the parameter
 * lists the other parameters by reference, so by default exactly what
 * smtpd's configuration uses); anything else is "denied" and logged.
 * That keeps a compromised smtpd from reading, through this service,
 * files that mail_owner can read but smtpd was never meant to:
 * auth_password_maps is not in the list.
 *
 * Each request is answered at once: the tables are local files, and a
 * lookup takes microseconds.  A backend that can block (LDAP, later)
 * will need its lookups off this event loop.
 */
#include "sys_defs.h"
#include "attr.h"
#include "attr_conn.h"
#include "dict.h"
#include "htable.h"
#include "local_user.h"
#include "mail_params.h"
#include "msg.h"
#include "mymalloc.h"
#include "proxy_proto.h"
#include "server.h"
#include "strutil.h"

static struct htable proxy_allowed; /* "type:name" -> (void *)1 */
static struct htable proxy_tables;  /* "flags:type:name" -> struct dict * */

/* Every "type:name" in proxy_read_maps, without a "proxy:" in front. */
static void proxy_allowed_init(void)
{
    size_t n, i;
    char **words = str_split_list(var_proxy_read_maps, &n);

    htable_init(&proxy_allowed, 64);
    htable_init(&proxy_tables, 64);
    for (i = 0; i < n; i++) {
        const char *w = words[i];
        const char *colon;

        while (strncmp(w, "proxy:", 6) == 0)
            w += 6;
        if ((colon = strchr(w, ':')) == NULL || colon == w)
            continue; /* a domain name, a network, a restriction's name */
        if (htable_find(&proxy_allowed, w) == NULL)
            htable_enter(&proxy_allowed, w, (void *)1);
    }
    str_list_free(words);
}

/* The table for a request, opened at the first one; NULL with the status and reason. */
static struct dict *proxy_table(const struct proxy_request *r, struct proxy_reply *reply,
                                char **reason_r)
{
    char key[PROXY_TABLE_MAX + 32];
    struct dict *d;

    if (htable_find(&proxy_allowed, r->table) == NULL) {
        msg_warn("request for table %s denied: it is not in proxy_read_maps", r->table);
        reply->status = PROXY_DENIED;
        *reason_r = xstrdup("not in proxymap's proxy_read_maps");
        return NULL;
    }
    snprintf(key, sizeof(key), "%d:%s", r->flags & DICT_FLAG_FOLD, r->table);
    if ((d = htable_find(&proxy_tables, key)) != NULL)
        return d;
    if (dict_open(r->table, r->flags & DICT_FLAG_FOLD, &d, reason_r) < 0) {
        msg_warn("%s", *reason_r);
        reply->status = PROXY_RETRY;
        return NULL;
    }
    htable_enter(&proxy_tables, key, d);
    return d;
}

/* The answer to one request, in reply (strings valid until *reason_r is freed). */
static void proxy_answer(const struct proxy_request *r, struct proxy_reply *reply,
                         struct local_user *u, char **reason_r)
{
    struct dict *d;
    int ret;

    reply->status = PROXY_OK;
    if (r->type == PROXY_PASSWD) {
        ret = local_user_by_name(r->key, u);
        reply->status = ret == LOCAL_USER_FOUND     ? PROXY_OK
                        : ret == LOCAL_USER_UNKNOWN ? PROXY_NOTFOUND
                                                    : PROXY_RETRY;
        reply->uid = u->uid;
        reply->gid = u->gid;
        reply->home = u->home;
        reply->shell = u->shell;
        if (reply->status == PROXY_RETRY)
            *reason_r = xasprintf("the account database could not answer for %s", r->key);
        return;
    }
    if ((d = proxy_table(r, reply, reason_r)) == NULL || r->type == PROXY_OPEN)
        return;
    ret = dict_lookup(d, r->key, &reply->value, reason_r);
    if (ret < 0) {
        msg_warn("%s", *reason_r);
        reply->status = PROXY_RETRY;
    } else if (ret == 0) {
        reply->status = PROXY_NOTFOUND;
    }
}

static void proxy_frame(struct attr_conn *c, const unsigned char *p, size_t len)
{
    struct proxy_request r;
    struct proxy_reply reply = {PROXY_RETRY, NULL, NULL, 0, 0, NULL, NULL};
    struct local_user u;
    const char *why = NULL;
    char *reason = NULL;
    struct buf b;

    if (len > PROXY_REQUEST_MAX)
        why = "request too large";
    else if (proxy_request_decode(p, len, &r, &why) == 0)
        why = NULL;
    if (why) {
        msg_warn("dropping a proxymap client: %s", why);
        attr_conn_close(c);
        return;
    }
    memset(&u, 0, sizeof(u));
    proxy_answer(&r, &reply, &u, &reason);
    if (reason && strlen(reason) > PROXY_REASON_MAX)
        reason[PROXY_REASON_MAX] = 0;
    reply.reason = reason;
    buf_init(&b, PROXY_REPLY_MAX + 4);
    proxy_reply_encode(&b, &reply);
    attr_conn_send(c, &b);
    buf_free(&b);
    free(reason);
}

static void proxy_closed(struct attr_conn *c UNUSED, const char *why UNUSED)
{
}

static void proxy_session_start(int fd)
{
    struct attr_conn *c = attr_conn_create(fd, false, proxy_frame, proxy_closed, NULL);
    struct buf hello;

    buf_init(&hello, 256);
    attr_put_hello(&hello, PROXY_PROTOCOL, PROXY_VERSION);
    attr_conn_send(c, &hello);
    buf_free(&hello);
}

int main(int argc, char **argv)
{
    static const struct server_opts opts = {
        .post_init = proxy_allowed_init,
    };

    multi_server_main(argc, argv, "proxymap", proxy_session_start, &opts);
}
