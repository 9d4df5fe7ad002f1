/*
 * server.c - daemon skeletons: start-up, privilege drop, the accept loop,
 * and the status reports to master (see server.h and master_proto.h).
 */
#include "sys_defs.h"
#include <sys/prctl.h>
#ifdef POSTERN_ASAN
#include <sanitizer/lsan_interface.h>
#endif
#include "server.h"
#include "master_proto.h"
#include "master_cf.h"
#include "mail_params.h"
#include "events.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"
#include "priv.h"
#include "proxy_client.h"
#include "sock.h"
#include "strutil.h"

const char *server_service;
const char *server_program;
char **server_args;
bool server_foreground;

static int server_nsock;
static bool server_unpriv = true;
static bool server_chroot;
static volatile sig_atomic_t server_drain_flag;
static volatile sig_atomic_t server_stress;
static pid_t server_master_pid;

bool server_draining(void)
{
    return server_drain_flag != 0;
}

bool server_stressed(void)
{
    return server_stress != 0;
}

const volatile sig_atomic_t *server_stress_flag(void)
{
    return &server_stress;
}

static void server_on_stress(int sig UNUSED)
{
    server_stress = 1;
}

/*
 * The watchdog, as Postfix's: the alarm rings WATCHDOG_STEPS times per
 * daemon_timeout, and patting only clears a counter, so that patting costs
 * no system call.  The process is stuck when the alarm rang WATCHDOG_STEPS
 * times in a row without a pat in between.  A last alarm a few seconds
 * after the fatal error kills us, should msg_fatal() itself hang.
 */
#define SERVER_WATCHDOG_STEPS 3
#define SERVER_WATCHDOG_GRACE_S 5

static volatile sig_atomic_t server_watchdog_trips;

static unsigned server_watchdog_step(void)
{
    long long step = var_daemon_timeout / SERVER_WATCHDOG_STEPS;

    return step > 0 ? (unsigned)step : 1;
}

static void server_watchdog_fired(int sig UNUSED)
{
    struct sigaction sa;

    if (++server_watchdog_trips < SERVER_WATCHDOG_STEPS) {
        alarm(server_watchdog_step());
        return;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    (void)sigaction(SIGALRM, &sa, NULL);
    alarm(SERVER_WATCHDOG_GRACE_S);
    msg_fatal("watchdog timeout: no progress for %lld s", var_daemon_timeout);
}

void server_watchdog_pat(void)
{
    server_watchdog_trips = 0;
}

static void server_watchdog_init(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = server_watchdog_fired;
    sa.sa_flags = SA_RESTART; /* a ring that is not the last must disturb nothing */
    (void)sigaction(SIGALRM, &sa, NULL);
    server_watchdog_pat();
    alarm(server_watchdog_step());
}

static void server_report(int avail)
{
    struct master_status st = {.pid = getpid(), .avail = avail};

    /* If master is gone nobody needs us; a full pipe cannot happen (tiny records). */
    if (write(MASTER_STATUS_FD, &st, sizeof(st)) != (ssize_t)sizeof(st) && errno != EINTR) {
        if (errno == EPIPE || errno == EBADF)
            exit(0);
        msg_warn("status report to master: %m");
    }
}

static void server_on_signal(int sig)
{
    server_drain_flag = sig;
}

static void server_usage(void)
{
    msg_fatal("usage: %s -n service -t type -c config_dir [-m main.cf] -s nsock [-u] [-r] [-S] "
              "[-o name=value]... [-- args]  (this program is started by master)",
              server_program);
}

/* Parse master's arguments into the server_* variables; return the -o list. */
static char **server_parse_args(int argc, char **argv, const char **config_dir)
{
    char **overrides = xcalloc((size_t)argc + 1, sizeof(char *));
    int no = 0, c;
    long long n;

    opterr = 0;
    while ((c = getopt(argc, argv, "n:t:c:m:s:o:urSv")) != -1) {
        switch (c) {
        case 'n':
            server_service = optarg;
            break;
        case 't':
            break;
        case 'c':
            *config_dir = optarg;
            break;
        case 'm':
            mail_conf_use_file(optarg);
            break;
        case 's':
            if (str_to_ll(optarg, 0, MASTER_LISTEN_MAX, &n) < 0)
                server_usage();
            server_nsock = (int)n;
            break;
        case 'o':
            overrides[no++] = optarg;
            break;
        case 'u':
            server_unpriv = false;
            break;
        case 'r':
            server_chroot = true;
            break;
        case 'S':
            server_foreground = true;
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            server_usage();
        }
    }
    if (server_service == NULL)
        server_usage();
    server_args = argv + optind;
    return overrides;
}

int server_user_lookup(const char *param, uid_t *uid_r, gid_t *gid_r, char **error_r)
{
    const char *name = mail_param_value(param);
    struct passwd *pw;

    if (name == NULL)
        msg_panic("server_user_lookup: unknown parameter %s", param);
    if ((pw = getpwnam(name)) == NULL) {
        *error_r = xasprintf("%s: unknown user \"%s\"", param, name);
        return -1;
    }
    if (pw->pw_uid == 0 || pw->pw_uid == var_owner_uid) {
        *error_r = xasprintf("%s: \"%s\" is %s; the service needs a user of its own", param, name,
                             pw->pw_uid == 0 ? "root" : "mail_owner's user ID");
        return -1;
    }
    *uid_r = pw->pw_uid;
    *gid_r = pw->pw_gid;
    return 0;
}

/*
 * Before anything is opened for a daemon that master runs chrooted in the
 * queue directory: what it must look up outside goes through proxymap,
 * and what the C library would read lazily from outside is read now.
 */
static void server_jail_prepare(const char *program)
{
    if (master_chroot_refused(program))
        msg_fatal("%s cannot run chrooted (%s): set its chroot column in master.cf to n", program,
                  master_chroot_refused(program));
    proxy_client_enable();
    tzset(); /* /etc/localtime, for the dates of Received: headers and logs */
    msg_syslog_connect();
}

/*
 * LeakSanitizer's check at exit lists threads through /proc, which the
 * jail lacks, and then spins: in sanitizer builds a chrooted daemon checks
 * for leaks once now instead, which also turns the check at exit off.
 */
static void server_jail_leak_check(void)
{
#ifdef POSTERN_ASAN
    __lsan_do_leak_check();
#endif
}

/* Become the service's user for good (mail_owner unless opts say otherwise). */
static void server_drop(const char *program, const struct server_opts *opts)
{
    uid_t uid = var_owner_uid;
    gid_t gid = var_owner_gid;
    char *err;

    if (opts->user_param && server_user_lookup(opts->user_param, &uid, &gid, &err) < 0)
        msg_fatal("%s", err);
    if (!server_unpriv)
        msg_warn("%s ignores unpriv=n in master.cf: it always runs as %s", program,
                 opts->user_param ? mail_param_value(opts->user_param) : var_mail_owner);
    if (server_chroot)
        server_jail_leak_check();
    priv_drop(uid, gid, server_chroot ? var_queue_dir : NULL);
}

static void server_init(int argc, char **argv, const char *program, const struct server_opts *opts)
{
    const char *config_dir = NULL;
    char **overrides;
    const char *why;
    char *err;
    char ident[128];
    struct sigaction sa;

    server_program = program;
    msg_init(program);
    if (geteuid() != 0)
        msg_fatal("%s must be started by master as root", program);
    overrides = server_parse_args(argc, argv, &config_dir);
    mail_conf_load_or_die(config_dir, overrides);
    free(overrides);
    snprintf(ident, sizeof(ident), "%s/%s", var_syslog_name, program);
    msg_init(ident);
    if (msg_logfile(var_maillog_file, &why) < 0)
        msg_fatal("open maillog_file %s: %s", var_maillog_file, why);
    msg_stderr(server_foreground, true);
    if (mail_owner_lookup(&err) < 0)
        msg_fatal("%s", err);
    if (chdir(var_queue_dir) < 0)
        msg_fatal("chdir %s: %m", var_queue_dir);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    (void)sigaction(SIGPIPE, &sa, NULL);
    /* SIGHUP (reload): finish the current connection, then exit; no
     * SA_RESTART, so an idle wait returns EINTR at once.  SIGTERM (stop, or
     * master died): exit now; a half-received message stays the client's. */
    sa.sa_handler = server_on_signal;
    (void)sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    (void)sigaction(SIGTERM, &sa, NULL);
    /* No SA_RESTART either: a wait for a client returns EINTR, so it can be
     * cut short at once (see server_stressed()). */
    sa.sa_handler = server_on_stress;
    (void)sigaction(MASTER_SIG_STRESS, &sa, NULL);
    if (str_eq_nocase(var_stress, "yes"))
        server_stress = 1;
    server_master_pid = getppid();

    if (server_chroot)
        server_jail_prepare(program);
    if (opts->pre_jail)
        opts->pre_jail();
    if (opts->keep_root) {
        if (server_unpriv)
            msg_fatal("%s needs root: set its unpriv column in master.cf to n", program);
    } else {
        server_drop(program, opts);
    }
    /* The parent-death signal is reset by credential changes: set it last. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
        msg_warn("prctl PR_SET_PDEATHSIG: %m");
    if (getppid() != server_master_pid)
        exit(0);
    for (int i = 0; i < server_nsock; i++)
        if (set_nonblock(MASTER_LISTEN_FD + i, true) < 0)
            msg_fatal("listen socket %d: %m", MASTER_LISTEN_FD + i);
    server_watchdog_init();
    if (opts->post_init)
        opts->post_init();
}

/*
 * Accepting can fail for want of resources (descriptors, memory) while the
 * connection stays queued, so the listener stays readable and a retry at
 * once would spin: back off instead, from 100 ms up to 10 s, and log at most
 * once a minute.
 */
#define SERVER_BACKOFF_MIN_MS 100
#define SERVER_BACKOFF_MAX_MS 10000
#define SERVER_BACKOFF_LOG_S 60

static long server_backoff_ms;
static time_t server_backoff_logged;
static unsigned long server_backoff_failures;

static bool server_accept_resource_error(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* An accept() failed: log it, and say how long to wait (0: no need). */
static long server_accept_failed(int err)
{
    if (!server_accept_resource_error(err)) {
        if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR && err != ECONNABORTED)
            msg_warn("accept: %s", strerror(err));
        return 0;
    }
    server_backoff_failures++;
    if (time(NULL) - server_backoff_logged >= SERVER_BACKOFF_LOG_S) {
        msg_warn("accept: %s (%lu times); backing off", strerror(err), server_backoff_failures);
        server_backoff_logged = time(NULL);
        server_backoff_failures = 0;
    }
    server_backoff_ms = server_backoff_ms ? server_backoff_ms * 2 : SERVER_BACKOFF_MIN_MS;
    if (server_backoff_ms > SERVER_BACKOFF_MAX_MS)
        server_backoff_ms = SERVER_BACKOFF_MAX_MS;
    return server_backoff_ms;
}

static void server_accept_ok(void)
{
    server_backoff_ms = 0;
}

/* Accept one connection from any ready listener; -1 if none was ready. */
static int server_accept(struct pollfd *pfd, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        if (!(pfd[i].revents & POLLIN))
            continue;
        int fd = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);
        long wait_ms;

        if (fd >= 0) {
            server_accept_ok();
            return fd;
        }
        if ((wait_ms = server_accept_failed(errno)) > 0) {
            server_watchdog_pat();
            (void)poll(NULL, 0, (int)wait_ms);
            return -1;
        }
    }
    return -1;
}

void single_server_main(int argc, char **argv, const char *program, single_service_fn service,
                        const struct server_opts *opts)
{
    struct pollfd pfd[MASTER_LISTEN_MAX];
    long long uses = 0, idle_since;
    int i, n;

    server_init(argc, argv, program, opts);
    if (server_nsock == 0)
        msg_fatal("no listening socket from master");
    for (i = 0; i < server_nsock; i++)
        pfd[i] = (struct pollfd){.fd = MASTER_LISTEN_FD + i, .events = POLLIN};
    idle_since = event_now_ms();
    while (!server_draining()) {
        long long left = var_max_idle * 1000 - (event_now_ms() - idle_since);
        int fd;

        if (!opts->run_forever && left <= 0)
            break;
        n = poll(pfd, (nfds_t)server_nsock, opts->run_forever ? -1 : (int)left);
        if (n < 0 && errno != EINTR)
            msg_fatal("poll: %m");
        server_watchdog_pat();
        if (n <= 0 || (fd = server_accept(pfd, server_nsock)) < 0)
            continue;
        server_report(MASTER_STAT_TAKEN);
        service(stream_open(fd, (int)(var_ipc_timeout * 1000)));
        server_report(MASTER_STAT_AVAIL);
        idle_since = event_now_ms();
        if (!opts->run_forever && ++uses >= var_max_use)
            break;
    }
    exit(0);
}

/* multi_server ---------------------------------------------------------- */

static multi_service_fn multi_service;

static void multi_accept(int lfd, void *ctx);

static void multi_listen_again(void *ctx)
{
    int lfd = (int)(intptr_t)ctx;

    event_enable_read(lfd, multi_accept, NULL);
}

static void multi_accept(int lfd, void *ctx UNUSED)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    long wait_ms;

    if (fd < 0) {
        /* Out of descriptors: stop watching this listener for a while. */
        if ((wait_ms = server_accept_failed(errno)) > 0) {
            event_disable_read(lfd);
            event_request_timer(multi_listen_again, (void *)(intptr_t)lfd, wait_ms);
        }
        return;
    }
    server_accept_ok();
    multi_service(fd);
}

static void multi_on_signal(int sig)
{
    server_drain_flag = sig;
}

void multi_server_main(int argc, char **argv, const char *program, multi_service_fn service,
                       const struct server_opts *opts)
{
    int i;

    server_init(argc, argv, program, opts);
    multi_service = service;
    event_signal(SIGHUP, multi_on_signal);
    event_signal(SIGTERM, multi_on_signal);
    for (i = 0; i < server_nsock; i++)
        event_enable_read(MASTER_LISTEN_FD + i, multi_accept, NULL);
    /* A multi-server is always available: master need not start another. */
    server_report(MASTER_STAT_AVAIL);
    /* Wake at least twice per watchdog period, so an idle server is not "stuck". */
    while (!server_draining()) {
        server_watchdog_pat();
        event_loop(var_daemon_timeout * 500);
    }
    exit(0);
}

void server_peer(int fd, char *addr, size_t len, int *port_r)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);

    if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0 ||
        (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
        snprintf(addr, len, "local");
        *port_r = 0;
        return;
    }
    sock_unmap_v4(&ss, &sl);
    if (sock_ntop((struct sockaddr *)&ss, addr, len, port_r) < 0) {
        snprintf(addr, len, "unknown");
        *port_r = 0;
    }
}
