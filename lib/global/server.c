/*
 * server.c - daemon skeletons: start-up, privilege drop, the accept loop,
 * and the status reports to master (see server.h and master_proto.h).
 */
#include "sys_defs.h"
#include <sys/prctl.h>
#include "server.h"
#include "master_proto.h"
#include "master_cf.h"
#include "mail_params.h"
#include "events.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"
#include "priv.h"
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
static pid_t server_master_pid;

bool server_draining(void)
{
    return server_drain_flag != 0;
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
    server_master_pid = getppid();

    if (opts->pre_jail)
        opts->pre_jail();
    if (server_chroot && master_chroot_refused(program))
        msg_fatal("%s cannot run chrooted (%s): set its chroot column in master.cf to n", program,
                  master_chroot_refused(program));
    if (opts->keep_root) {
        if (server_unpriv)
            msg_fatal("%s needs root: set its unpriv column in master.cf to n", program);
    } else {
        if (!server_unpriv)
            msg_warn("%s ignores unpriv=n in master.cf: it always runs as %s", program,
                     var_mail_owner);
        priv_drop(var_owner_uid, var_owner_gid, server_chroot ? var_queue_dir : NULL);
    }
    /* The parent-death signal is reset by credential changes: set it last. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
        msg_warn("prctl PR_SET_PDEATHSIG: %m");
    if (getppid() != server_master_pid)
        exit(0);
    for (int i = 0; i < server_nsock; i++)
        if (set_nonblock(MASTER_LISTEN_FD + i, true) < 0)
            msg_fatal("listen socket %d: %m", MASTER_LISTEN_FD + i);
    if (opts->post_init)
        opts->post_init();
}

/* Accept one connection from any ready listener; -1 if none was ready. */
static int server_accept(struct pollfd *pfd, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        if (!(pfd[i].revents & POLLIN))
            continue;
        int fd = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);

        if (fd >= 0)
            return fd;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
            msg_warn("accept: %m");
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

static void multi_accept(int lfd, void *ctx UNUSED)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
            msg_warn("accept: %m");
        return;
    }
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
    while (!server_draining())
        event_loop(-1);
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
