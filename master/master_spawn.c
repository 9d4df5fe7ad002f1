/*
 * master_spawn.c - starting service processes, tracking their status, and
 * reaping them, with back-off for services whose processes keep dying.
 */
#include "sys_defs.h"
#include "master.h"
#include "mail_params.h"
#include "events.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"

#define MASTER_THROTTLE_MAX_S 60 /* longest back-off between restarts */
#define MASTER_HEALTHY_MS 10000  /* a process that lived this long resets the back-off */

struct master_proc *master_procs;

static struct master_proc *proc_find(pid_t pid)
{
    struct master_proc *p;

    for (p = master_procs; p; p = p->next)
        if (p->pid == pid)
            return p;
    return NULL;
}

int master_proc_count(void)
{
    struct master_proc *p;
    int n = 0;

    for (p = master_procs; p; p = p->next)
        n++;
    return n;
}

/* Build the child's argument vector (see master_proto.h). */
static char **spawn_argv(const struct master_serv *s, char *nsock)
{
    size_t n = 0, i, max = 20;
    char **argv;

    for (i = 0; s->ent.overrides[i]; i++)
        max += 2;
    for (i = 0; s->ent.argv[i]; i++)
        max++;
    argv = xcalloc(max, sizeof(char *));
    argv[n++] = xasprintf("%s/%s", var_daemon_dir, s->ent.command);
    argv[n++] = "-n";
    argv[n++] = s->ent.name;
    argv[n++] = "-t";
    argv[n++] = (char *)master_type_name(s->ent.type);
    argv[n++] = "-c";
    argv[n++] = (char *)master_config_dir;
    argv[n++] = "-m";
    argv[n++] = master_main_cf;
    argv[n++] = "-s";
    argv[n++] = nsock;
    if (!s->ent.unpriv)
        argv[n++] = "-u";
    if (s->ent.chroot)
        argv[n++] = "-r";
    if (master_foreground)
        argv[n++] = "-S";
    for (i = 0; s->ent.overrides[i]; i++) {
        argv[n++] = "-o";
        argv[n++] = s->ent.overrides[i];
    }
    if (s->stressed) { /* last, so that it wins (server.h) */
        argv[n++] = "-o";
        argv[n++] = "stress=yes";
    }
    for (i = 0; s->ent.argv[i]; i++)
        argv[n++] = s->ent.argv[i];
    argv[n] = NULL;
    return argv;
}

/* In the child: put the status pipe and listeners in place, then exec. */
static NORETURN void spawn_exec(const struct master_serv *s, char **argv)
{
    int tmp[MASTER_LISTEN_MAX + 1];
    int i, null;
    sigset_t none;

    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    (void)signal(SIGPIPE, SIG_DFL);
    /* Move everything out of the way first, so dup2 never clobbers a source. */
    tmp[0] = fcntl(s->status_fd[1], F_DUPFD, 100);
    for (i = 0; i < s->nlisten; i++)
        tmp[i + 1] = fcntl(s->listen_fd[i], F_DUPFD, 100);
    if (dup2(tmp[0], MASTER_STATUS_FD) < 0)
        _exit(127);
    for (i = 0; i < s->nlisten; i++)
        if (dup2(tmp[i + 1], MASTER_LISTEN_FD + i) < 0)
            _exit(127);
    if ((null = open("/dev/null", O_RDWR)) >= 0) {
        (void)dup2(null, 0);
        (void)dup2(null, 1);
        if (!master_foreground)
            (void)dup2(null, 2);
    }
    (void)close_range((unsigned)(MASTER_LISTEN_FD + s->nlisten), ~0U, 0);
    execv(argv[0], argv);
    msg_error("exec %s: %m", argv[0]);
    _exit(127);
}

void master_spawn(struct master_serv *s)
{
    struct master_proc *p;
    char nsock[16];
    char **argv;
    pid_t pid;

    snprintf(nsock, sizeof(nsock), "%d", s->nlisten);
    argv = spawn_argv(s, nsock);
    if ((pid = fork()) < 0) {
        msg_warn("fork: %m");
        free(argv[0]);
        free(argv);
        return;
    }
    if (pid == 0)
        spawn_exec(s, argv);
    free(argv[0]);
    free(argv);
    p = xcalloc(1, sizeof(*p));
    p->pid = pid;
    p->serv = s;
    p->avail = true;
    p->started_ms = event_now_ms();
    p->next = master_procs;
    master_procs = p;
    s->total++;
    s->avail++;
    msg_debug("spawned %s/%s pid %ld", s->ent.name, master_type_name(s->ent.type), (long)pid);
}

void master_status_event(int fd, void *ctx)
{
    struct master_serv *s = ctx;
    struct master_status st;

    for (;;) {
        ssize_t n = read(fd, &st, sizeof(st));
        struct master_proc *p;

        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof(st))
            break; /* EAGAIN, or a torn record that cannot happen on a pipe */
        if ((p = proc_find(st.pid)) == NULL || p->serv != s)
            continue; /* a process detached by reload, or one already reaped */
        if (st.avail == MASTER_STAT_AVAIL && !p->avail) {
            p->avail = true;
            s->avail++;
        } else if (st.avail == MASTER_STAT_TAKEN && p->avail) {
            p->avail = false;
            s->avail--;
        }
    }
    master_avail_listen(s);
}

static void unthrottle_event(void *ctx)
{
    struct master_serv *s = ctx;

    s->throttled = false;
    master_avail_listen(s);
    master_wakeup_now(s);
}

void master_throttle_cancel(struct master_serv *s)
{
    event_cancel_timer(unthrottle_event, s);
}

static void throttle(struct master_serv *s)
{
    int delay = 1 << (s->failures < 7 ? s->failures : 6);

    if (delay > MASTER_THROTTLE_MAX_S)
        delay = MASTER_THROTTLE_MAX_S;
    s->failures++;
    s->throttled = true;
    msg_warn("%s/%s: process died abnormally -- throttling for %d s", s->ent.name,
             master_type_name(s->ent.type), delay);
    event_request_timer(unthrottle_event, s, delay * 1000L);
    master_avail_listen(s);
}

static void reaped(struct master_proc *p, int status)
{
    struct master_serv *s = p->serv;
    bool abnormal = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0);
    const char *name = s ? s->ent.command : "process";

    if (master_stopping && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
        abnormal = false; /* we asked it to stop */
    else if (WIFSIGNALED(status))
        msg_warn("process %s/%s pid %ld killed by signal %d", var_daemon_dir, name, (long)p->pid,
                 WTERMSIG(status));
    else if (abnormal)
        msg_warn("process %s/%s pid %ld exit status %d", var_daemon_dir, name, (long)p->pid,
                 WEXITSTATUS(status));
    if (s == NULL)
        return;
    s->total--;
    if (p->avail)
        s->avail--;
    if (event_now_ms() - p->started_ms >= MASTER_HEALTHY_MS)
        s->failures = 0;
    if (abnormal && !master_stopping && !s->throttled)
        throttle(s);
    master_avail_listen(s);
    /* A service with a wake-up timer (qmgr) must not wait a whole period
     * to come back after its process died. */
    if (!s->throttled && s->total == 0)
        master_wakeup_now(s);
}

void master_reap(void)
{
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct master_proc **pp, *p;

        for (pp = &master_procs; (p = *pp) != NULL; pp = &p->next) {
            if (p->pid == pid) {
                *pp = p->next;
                reaped(p, status);
                free(p);
                break;
            }
        }
    }
}

void master_detach_children(struct master_serv *s, int sig)
{
    struct master_proc *p;

    for (p = master_procs; p; p = p->next) {
        if (p->serv != s)
            continue;
        p->serv = NULL;
        if (kill(p->pid, sig) < 0 && errno != ESRCH)
            msg_warn("kill %ld: %m", (long)p->pid);
    }
    s->total = s->avail = 0;
}

/* Signal the processes of s that are serving a client (so past their start-up). */
void master_signal_busy(struct master_serv *s, int sig)
{
    struct master_proc *p;

    for (p = master_procs; p; p = p->next)
        if (p->serv == s && !p->avail && kill(p->pid, sig) < 0 && errno != ESRCH)
            msg_warn("kill %ld: %m", (long)p->pid);
}

void master_signal_all(int sig)
{
    struct master_proc *p;

    for (p = master_procs; p; p = p->next)
        if (kill(p->pid, sig) < 0 && errno != ESRCH)
            msg_warn("kill %ld: %m", (long)p->pid);
}
