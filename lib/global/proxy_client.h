/*
 * proxy_client.h - a daemon's side of the proxymap lookup service
 * (proxy_proto.h): one connection per process, opened at the first
 * question and kept, one fresh try when a kept one has gone.
 *
 * A daemon that master runs chrooted calls proxy_client_enable() before
 * it opens anything (server.c does): from then on every lookup table kept
 * in a file (dict.h) and every system account (local_user.h) is looked up
 * through proxymap, which sees the files as they are now: a table rebuilt
 * with postern-map is in use within a second, as it is unchrooted.
 * Tables written in main.cf itself (static:, inline:) stay in the process.
 *
 * A service that cannot be reached or does not answer in time is a
 * temporary failure, never "not found": the caller defers or answers 4xx.
 */
#ifndef POSTERN_PROXY_CLIENT_H
#define POSTERN_PROXY_CLIENT_H

#include "sys_defs.h"
#include "local_user.h"

/* The "proxy:" table kind (dict_proxy.c), which mail_conf_load() registers. */
extern const struct dict_ops dict_proxy_ops;

/* Long enough for a busy proxymap, short enough for an SMTP client's wait. */
#define PROXY_CLIENT_TIMEOUT_MS 10000

/* Look tables and accounts up through proxymap from now on. */
void proxy_client_enable(void);
bool proxy_client_enabled(void);

/* May the table be used?  0 yes; -1 with a malloc'ed *error_r (denied, or no answer). */
int proxy_client_open(const char *table, int flags, char **error_r);
/*
 * key in table: 1 found (*value_r valid until the next call), 0 not, -1
 * could not answer (*error_r malloc'ed).
 */
int proxy_client_lookup(const char *table, int flags, const char *key, const char **value_r,
                        char **error_r);
/* The system account named name exactly: LOCAL_USER_* with u's IDs, home and shell. */
int proxy_client_passwd(const char *name, struct local_user *u);
/* Close the connection (tests; a process that forks). */
void proxy_client_close(void);

#endif
