/*
 * server.h - the skeletons every daemon is written against.
 *
 * A skeleton does the part that no daemon may get wrong, in this order:
 * parse master's arguments, load main.cf with the service's -o overrides,
 * open the log, chdir to the queue directory, run the daemon's pre-jail
 * hook (open what needs root), chroot if master.cf says so, drop to
 * mail_owner (or the service's own user, see user_param) and verify the
 * drop with getresuid()/getresgid(), and only then accept a connection.  It reports busy/idle to
 * master, and exits after max_use connections or max_idle idle seconds so that master recycles it.
 *
 *   single_server_main: one connection at a time (smtpd, local).
 *   multi_server_main:  an event loop with many connections (qmgr).
 */
#ifndef POSTERN_SERVER_H
#define POSTERN_SERVER_H

#include "sys_defs.h"
#include "stream.h"

struct server_opts {
    bool keep_root; /* stay root (local); requires unpriv=n in master.cf */
    /*
     * Run as the user this main.cf parameter names instead of mail_owner
     * (auth: "auth_owner"), for a service that holds what mail_owner's
     * daemons must not read.  The user must exist and be neither root nor
     * mail_owner (server_user_lookup()).
     */
    const char *user_param;
    bool run_forever;        /* ignore max_idle and max_use (qmgr) */
    void (*pre_jail)(void);  /* before chroot and privilege drop */
    void (*post_init)(void); /* after the drop, before the first connection */
};

/* What the skeleton learned from master, for the daemon's use. */
extern const char *server_service; /* master.cf service name */
extern const char *server_program; /* program name, e.g. "smtpd" */
extern char **server_args;         /* master.cf arguments after the command */
extern bool server_foreground;     /* start-fg: log to stderr too */

/* Called by single_server_main for each accepted connection. */
typedef void (*single_service_fn)(struct stream *client);
/* Called by multi_server_main for each accepted connection (non-blocking fd). */
typedef void (*multi_service_fn)(int fd);

NORETURN void single_server_main(int argc, char **argv, const char *program,
                                 single_service_fn service, const struct server_opts *opts);
NORETURN void multi_server_main(int argc, char **argv, const char *program,
                                multi_service_fn service, const struct server_opts *opts);

/* Has master asked us to finish (SIGHUP for reload, SIGTERM)? */
bool server_draining(void);

/*
 * Is the service under stress?  master says so when every process of the
 * service is busy at its process limit: with "-o stress=yes" for processes
 * it starts then (so ${stress?...} in main.cf picks the short timeouts, as
 * in Postfix), and with SIGUSR2 to the busy ones (MASTER_SIG_STRESS), which
 * set this for the rest of their life.  A daemon that waits on clients
 * shortens its waits when this turns true (see server_stress_flag()).
 */
bool server_stressed(void);
/* The flag itself, for code that must see it change during a wait. */
const volatile sig_atomic_t *server_stress_flag(void);

/*
 * The watchdog, as Postfix's: a daemon that goes daemon_timeout seconds
 * without patting it is stuck (a wait with no deadline, a loop) and exits
 * with a fatal error, so that master starts a fresh process.  The skeleton
 * pats it between connections and requests; a daemon pats it wherever it
 * makes progress inside a long connection (each command, each request).
 */
void server_watchdog_pat(void);
/*
 * Resolve the user that the parameter param names, for a service with its
 * own user (server_opts.user_param); also for "postern check".  It must
 * exist and be neither root nor mail_owner (mail_owner_lookup() first).
 * -1 with a malloc'ed *error_r.
 */
int server_user_lookup(const char *param, uid_t *uid_r, gid_t *gid_r, char **error_r);
/* The peer's numeric address and port for an inet connection ("local", 0 otherwise). */
void server_peer(int fd, char *addr, size_t len, int *port_r);

#endif
