/*
 * master.c - the Postern supervisor: start-up, the pid lock, signals,
 * reload and orderly stop.  See master.h for what master does and never does.
 *
 * Usage: master [-c config_dir] [-f] [-t]
 *   -f  stay in the foreground and copy every log line to stderr (start-fg)
 *   -t  check the configuration and the queue, then exit
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "master.h"
#include "mail_params.h"
#include "queue.h"
#include "events.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"

#define MASTER_STOP_GRACE_MS 10000

bool master_foreground;
const char *master_config_dir;
bool master_stopping;

static int master_ready_fd = -1;
static int master_pid_fd = -1;
static long long master_stop_deadline;

static void master_pid_path(char *out, size_t len)
{
    snprintf(out, len, "%s/%s/master.pid", var_queue_dir, QUEUE_PID);
}

/* Take the pid file lock: only one master per queue directory. */
static void master_lock(void)
{
    char path[PATH_MAX], text[32];
    int n;

    master_pid_path(path, sizeof(path));
    master_pid_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (master_pid_fd < 0)
        msg_fatal("open %s: %m", path);
    if (flock(master_pid_fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            msg_fatal("the Postern mail system is already running (%s is locked)", path);
        msg_fatal("lock %s: %m", path);
    }
    n = snprintf(text, sizeof(text), "%10ld\n", (long)getpid());
    if (ftruncate(master_pid_fd, 0) < 0 || pwrite_full(master_pid_fd, text, (size_t)n, 0) < 0)
        msg_fatal("write %s: %m", path);
}

/*
 * Detach from the terminal.  The parent waits until the child reports that
 * every socket is bound, so that "postern start" fails visibly when, say, a
 * port is taken, and returns only once mail can be accepted.
 */
static void master_daemonize(void)
{
    int pfd[2];
    pid_t pid;
    char c;

    if (pipe2(pfd, O_CLOEXEC) < 0)
        msg_fatal("pipe: %m");
    if ((pid = fork()) < 0)
        msg_fatal("fork: %m");
    if (pid > 0) {
        close_quietly(pfd[1]);
        exit(read_full(pfd[0], &c, 1) == 1 ? 0 : 1);
    }
    close_quietly(pfd[0]);
    master_ready_fd = pfd[1];
    if (setsid() < 0)
        msg_fatal("setsid: %m");
}

static void master_ready(void)
{
    int null;

    if (master_ready_fd < 0)
        return;
    if (write_full(master_ready_fd, "1", 1) < 0)
        msg_warn("start-up notification: %m");
    close_quietly(master_ready_fd);
    master_ready_fd = -1;
    if ((null = open("/dev/null", O_RDWR)) >= 0) {
        (void)dup2(null, 0);
        (void)dup2(null, 1);
        (void)dup2(null, 2);
        if (null > 2)
            close_quietly(null);
    }
}

static void master_cleanup(void)
{
    char path[PATH_MAX];

    if (master_pid_fd >= 0) {
        master_pid_path(path, sizeof(path));
        (void)unlink(path);
    }
}

static void master_on_sigchld(int sig UNUSED)
{
    master_reap();
}

/* Validate the new configuration in a throw-away child first, because a
 * failed load must not leave half the parameters changed in master. */
static bool master_config_ok(void)
{
    pid_t pid = fork();
    int status;

    if (pid < 0) {
        msg_warn("fork: %m");
        return false;
    }
    if (pid == 0) {
        struct master_ent *ents;
        size_t n;
        char *err, *path;

        if (mail_conf_load(master_config_dir, NULL, &err) < 0) {
            msg_error("reload: %s; keeping the old configuration", err);
            _exit(1);
        }
        path = xasprintf("%s/master.cf", master_config_dir);
        if (master_cf_read(path, (int)var_default_process_limit, &ents, &n, &err) < 0) {
            msg_error("reload: %s; keeping the old configuration", err);
            _exit(1);
        }
        _exit(0);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void master_on_sighup(int sig UNUSED)
{
    char *err;

    if (master_stopping || !master_config_ok())
        return;
    mail_conf_load_or_die(master_config_dir, NULL);
    if (mail_owner_lookup(&err) < 0) {
        msg_error("reload: %s", err);
        free(err);
        return;
    }
    msg_info("reload -- version %s, configuration %s", POSTERN_VERSION, master_config_dir);
    master_services_reload();
}

static void master_on_sigterm(int sig)
{
    if (master_stopping)
        return;
    msg_info("terminating on signal %d", sig);
    master_stopping = true;
    master_stop_deadline = event_now_ms() + MASTER_STOP_GRACE_MS;
    master_services_stop();
    master_signal_all(SIGTERM);
}

static void master_usage(void)
{
    msg_fatal_status(EX_USAGE);
    msg_fatal("usage: master [-c config_dir] [-f] [-t]");
}

static void master_init(void)
{
    struct group *gr;
    char *err;

    if (mail_owner_lookup(&err) < 0)
        msg_fatal("%s", err);
    if ((gr = getgrnam(var_setgid_group)) == NULL)
        msg_fatal("setgid_group: unknown group \"%s\"", var_setgid_group);
    if (queue_dirs_create(var_queue_dir, var_owner_uid, var_owner_gid, gr->gr_gid, &err) < 0)
        msg_fatal("%s", err);
    if (chdir(var_queue_dir) < 0)
        msg_fatal("chdir %s: %m", var_queue_dir);
}

int main(int argc, char **argv)
{
    const char *why;
    char *err;
    bool test_only = false;
    int c;

    msg_init("postern/master");
    msg_stderr(true, false);
    while ((c = getopt(argc, argv, "c:ftv")) != -1) {
        switch (c) {
        case 'c':
            master_config_dir = optarg;
            break;
        case 'f':
            master_foreground = true;
            break;
        case 't':
            test_only = true;
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            master_usage();
        }
    }
    if (optind != argc)
        master_usage();
    if (geteuid() != 0)
        msg_fatal("master must run as root");
    master_config_dir = mail_conf_dir(master_config_dir);
    mail_conf_load_or_die(master_config_dir, NULL);
    {
        char ident[128];

        snprintf(ident, sizeof(ident), "%s/master", var_syslog_name);
        msg_init(ident);
    }
    if (msg_logfile(var_maillog_file, &why) < 0)
        msg_fatal("open maillog_file %s: %s", var_maillog_file, why);
    master_init();
    if (test_only)
        exit(0);
    if (!master_foreground)
        master_daemonize();
    msg_stderr(master_foreground || master_ready_fd >= 0, master_foreground);
    master_lock();
    msg_fatal_hook(master_cleanup);
    (void)signal(SIGPIPE, SIG_IGN);
    event_signal(SIGCHLD, master_on_sigchld);
    event_signal(SIGHUP, master_on_sighup);
    event_signal(SIGTERM, master_on_sigterm);
    event_signal(SIGINT, master_on_sigterm);
    if (master_services_load(&err) < 0)
        msg_fatal("%s", err);
    msg_stderr(master_foreground, true);
    msg_info("daemon started -- version %s, configuration %s", POSTERN_VERSION,
             master_config_dir);
    master_ready();
    for (;;) {
        if (master_stopping) {
            if (master_proc_count() == 0)
                break;
            if (event_now_ms() > master_stop_deadline) {
                master_signal_all(SIGKILL);
                master_stop_deadline = event_now_ms() + MASTER_STOP_GRACE_MS;
            }
        }
        event_loop(master_stopping ? 200 : -1);
    }
    master_cleanup();
    exit(0);
}
