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
#include "conf.h"

#define MASTER_STOP_GRACE_MS 10000

bool master_foreground;
const char *master_config_dir;
bool master_stopping;

char *master_main_cf;

#define MASTER_SNAPSHOT QUEUE_PID "/main.cf"
#define MASTER_SNAPSHOT_NEW QUEUE_PID "/main.cf.new"

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

/*
 * Copy config_dir/main.cf to MASTER_SNAPSHOT_NEW (in the queue directory,
 * our cwd).  Checks and daemons then read the copy, so what was checked is
 * exactly what runs, however the original is edited in between.
 */
static int master_snapshot_copy(char **error_r)
{
    char *src = xasprintf("%s/main.cf", master_config_dir);
    unsigned char *text;
    const char *why;
    size_t len;
    int fd, ret = -1;

    if (conf_slurp(src, &text, &len, &why) < 0) {
        *error_r = xasprintf("open %s: %s", src, why);
        free(src);
        return -1;
    }
    fd = open(MASTER_SNAPSHOT_NEW, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 || write_full(fd, text, len) < 0 || fsync(fd) < 0)
        *error_r =
            xasprintf("write %s/%s: %s", var_queue_dir, MASTER_SNAPSHOT_NEW, strerror(errno));
    else
        ret = 0;
    close_quietly(fd);
    free(text);
    free(src);
    return ret;
}

/* Check the copied configuration in a throw-away child: a failed load must
 * not leave half of master's parameters changed. */
static bool master_config_ok(void)
{
    pid_t pid;
    int status;

    if ((pid = fork()) < 0) {
        msg_warn("fork: %m");
        return false;
    }
    if (pid == 0) {
        struct master_ent *ents;
        size_t n;
        char *err, *path;

        mail_conf_use_file(MASTER_SNAPSHOT_NEW);
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

/* Make the checked copy the one daemons start from, and load it ourselves. */
static void master_snapshot_commit(void)
{
    if (rename(MASTER_SNAPSHOT_NEW, MASTER_SNAPSHOT) < 0)
        msg_fatal("rename %s to %s: %m", MASTER_SNAPSHOT_NEW, MASTER_SNAPSHOT);
    mail_conf_use_file(master_main_cf);
    mail_conf_load_or_die(master_config_dir, NULL);
}

static void master_on_sighup(int sig UNUSED)
{
    char *err;

    if (master_stopping)
        return;
    if (master_snapshot_copy(&err) < 0) {
        msg_error("reload: %s; keeping the old configuration", err);
        free(err);
        return;
    }
    if (!master_config_ok())
        return;
    master_snapshot_commit();
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
    master_main_cf = xasprintf("%s/%s", var_queue_dir, MASTER_SNAPSHOT);
    if (master_snapshot_copy(&err) < 0)
        msg_fatal("%s", err);
    master_snapshot_commit();
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
    msg_info("daemon started -- version %s, configuration %s", POSTERN_VERSION, master_config_dir);
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
