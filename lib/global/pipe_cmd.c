/*
 * pipe_cmd.c - delivery of one message to a command (see pipe_cmd.h).
 *
 * Three processes take part.  The command child drops root for good and
 * execs the shell.  The feeder, a second child, runs the caller's writer
 * into the command's standard input.  The caller reads the command's
 * output, watches the clock and reaps both.
 *
 * Why a feeder: the writer (maildir_write_fn) does blocking writes.  Run by
 * the caller it would deadlock against a command that writes a pipe buffer
 * of output before it reads its input, and it could not be stopped at the
 * time limit, nor when the command has exited but left a background child
 * holding its standard input open without reading.  In a process of its
 * own it is stopped with SIGKILL, and the caller stays in a poll() loop
 * that nothing can block.  The feeder keeps root: it holds the open queue
 * file, and a root process is one the user cannot ptrace.  It is forked
 * before the command, so that when a fork fails no command has started on
 * an empty or partial message.
 *
 * Groups: the command gets its primary group and no other, as Postfix's
 * set_ugid() and our priv_drop() do.  Looking up supplementary groups
 * would mean an NSS lookup (files, LDAP) in a freshly forked child of a
 * root daemon, where only async-signal-safe calls belong, or a lookup in
 * the caller for every delivery; and it would differ from Postfix.
 *
 * The child between fork() and execve() makes system calls only (no
 * malloc, no stdio, no locks): the environment and arguments are built
 * before the fork.  Signals stay blocked from before the fork until just
 * before execve(), so no handler of the daemon ever runs in the child and
 * no call there returns EINTR; dispositions are reset to the default first
 * (an ignored SIGPIPE, say, would otherwise survive execve()).
 *
 * This file must never: put anything but the alias or .forward text into
 * the shell's command line, let a descriptor of the daemon reach the
 * command, run a command as root, or return with a child unreaped.
 */
#include "sys_defs.h"
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sysexits.h>
#include "pipe_cmd.h"
#include "events.h"
#include "iostuff.h"
#include "mail_params.h"
#include "mymalloc.h"
#include "msg.h"
#include "strutil.h"

/* PATH, HOME, LOGNAME, USER, SENDER, RECIPIENT, LOCAL, SHELL, DOMAIN, EXTENSION */
#define PIPE_ENV_MAX 10
#define PIPE_READS_PER_WAKEUP 16 /* so that a fast writer cannot keep us from the clock */
#define PIPE_TICK_MS 20          /* how often to look for an exit without pidfds */
#define PIPE_CMD_QUOTE_MAX 200   /* characters of the command a reason quotes */

struct pipe_envp {
    char *v[PIPE_ENV_MAX + 1];
    size_t n;
};

/* What the command child reports through its close-on-exec pipe when it cannot exec. */
enum child_step {
    STEP_SIGNALS,
    STEP_SETSID,
    STEP_FDS,
    STEP_SETGROUPS,
    STEP_SETRESGID,
    STEP_SETRESUID,
    STEP_VERIFY,
    STEP_CHDIR,
    STEP_EXEC,
};

static const char *const child_step_names[] = {
    [STEP_SIGNALS] = "signal setup",          [STEP_SETSID] = "setsid",
    [STEP_FDS] = "descriptor setup",          [STEP_SETGROUPS] = "setgroups",
    [STEP_SETRESGID] = "setresgid",           [STEP_SETRESUID] = "setresuid",
    [STEP_VERIFY] = "privilege check",        [STEP_CHDIR] = "chdir /",
    [STEP_EXEC] = ("execve " PIPE_CMD_SHELL),
};

struct child_report {
    int step;
    int err;
};

struct pipe_run {
    const struct pipe_cmd_request *req;
    struct pipe_cmd_result *res;
    pid_t cmd, feeder;
    int cmd_pidfd, feeder_pidfd, out_fd, st_fd;
    int cmd_status, feeder_status;
    bool cmd_done, feeder_done, feeder_killed, out_eof, st_eof, timed_out;
    int poll_errno;
    bool reported;
    struct child_report report;
    long long deadline, grace_end;
};

/* ---------------------------------------------------------------- results */

static void set_result(struct pipe_cmd_result *res, enum deliver_status status, const char *dsn,
                       const char *fmt, ...) PRINTFLIKE(4, 5);

static void set_result(struct pipe_cmd_result *res, enum deliver_status status, const char *dsn,
                       const char *fmt, ...)
{
    va_list ap;

    res->status = status;
    str_copy(res->dsn, dsn, sizeof(res->dsn));
    va_start(ap, fmt);
    vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
    va_end(ap);
}

/* One byte as it may appear in a reason: printable ASCII, tab as space, else "_". */
static char printable_char(unsigned char c)
{
    if (c == '\t')
        return ' ';
    return c >= 0x20 && c < 0x7f ? (char)c : '_';
}

/*
 * The command as reasons quote it: printable, and cut at PIPE_CMD_QUOTE_MAX
 * characters ("..." follows), so that a long command line cannot push the
 * error or the command's output out of a bounded reason.
 */
static void quote_command(char *dst, size_t size, const char *src)
{
    size_t o = 0, max = size - 4 < PIPE_CMD_QUOTE_MAX ? size - 4 : PIPE_CMD_QUOTE_MAX;

    for (; *src && o < max; src++)
        dst[o++] = printable_char((unsigned char)*src);
    if (*src) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = 0;
}

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The first non-blank line of the output, made printable, into line; its
 * length.  The brief text after "Command output:" is that line, where
 * Postfix takes all the output with newlines as spaces: a bounce or a log
 * line reads better with the one line that usually says what went wrong.
 */
static size_t output_line(const unsigned char *out, size_t len, char *line, size_t size)
{
    size_t i = 0, end, o = 0;

    while (i < len && is_blank(out[i]))
        i++;
    for (end = i; end < len && out[end] != '\n'; end++)
        ;
    while (end > i && is_blank(out[end - 1]))
        end--;
    for (; i < end && o + 1 < size; i++)
        line[o++] = printable_char(out[i]);
    line[o] = 0;
    return o;
}

static size_t count_digits(const char *p, size_t len, size_t i)
{
    size_t n = 0;

    while (i + n < len && p[i + n] >= '0' && p[i + n] <= '9')
        n++;
    return n;
}

/*
 * The length of an RFC 3463 status "4.X.X" or "5.X.X" (1 to 3 digits each)
 * that starts the text and ends at its end or at a blank; 0 if there is
 * none, or if it would not fit the dsn[] of a result (no code in use does
 * not).  Class 2 is not taken: output cannot make a failed command a
 * success, and Postfix's bounce client would rewrite it to 5.0.0 anyway.
 */
static size_t dsn_prefix(const char *p, size_t len)
{
    size_t i = 2, n;

    if (len < 5 || (p[0] != '4' && p[0] != '5') || p[1] != '.')
        return 0;
    n = count_digits(p, len, i);
    if (n < 1 || n > 3 || i + n >= len || p[i + n] != '.')
        return 0;
    i += n + 1;
    n = count_digits(p, len, i);
    if (n < 1 || n > 3 || (i + n < len && p[i + n] != ' ' && p[i + n] != '\t'))
        return 0;
    i += n;
    return i < sizeof(((struct pipe_cmd_result *)0)->dsn) ? i : 0;
}

/* <sysexits.h> as Postfix's sys_exits.c maps it: status code and text. */
struct pipe_sysexit {
    int code;
    const char *dsn;
    const char *text;
};

static const struct pipe_sysexit pipe_sysexits[] = {
    {EX_USAGE, "5.3.0", "command line usage error"},
    {EX_DATAERR, "5.6.0", "data format error"},
    {EX_NOINPUT, "5.3.0", "cannot open input"},
    {EX_NOUSER, "5.1.1", "user unknown"},
    {EX_NOHOST, "5.1.2", "host name unknown"},
    {EX_UNAVAILABLE, "5.3.0", "service unavailable"},
    {EX_SOFTWARE, "5.3.0", "internal software error"},
    {EX_OSERR, "4.3.0", "system resource problem"},
    {EX_OSFILE, "5.3.0", "critical OS file missing"},
    {EX_CANTCREAT, "5.2.0", "can't create user output file"},
    {EX_IOERR, "5.3.0", "input/output error"},
    {EX_TEMPFAIL, "4.3.0", "temporary failure"},
    {EX_PROTOCOL, "5.5.0", "remote error in protocol"},
    {EX_NOPERM, "5.7.0", "permission denied"},
    {EX_CONFIG, "5.3.5", "local configuration error"},
};

static const struct pipe_sysexit *sysexit_find(int code)
{
    size_t i;

    for (i = 0; i < COUNTOF(pipe_sysexits); i++)
        if (pipe_sysexits[i].code == code)
            return pipe_sysexits + i;
    return NULL;
}

static enum deliver_status status_of_class(char c)
{
    return c == '4' ? DELIVER_DEFERRED : DELIVER_BOUNCED;
}

/* Non-zero exit with "D.S.N text" output: the code decides (local(8), Postfix 2.3 and later). */
static bool classify_dsn_output(int code, const char *line, size_t n, const char *cmd,
                                struct pipe_cmd_result *res)
{
    size_t dlen = dsn_prefix(line, n);
    const char *text = line + dlen;
    char dsn[sizeof(res->dsn)];

    if (dlen == 0)
        return false;
    memcpy(dsn, line, dlen);
    dsn[dlen] = 0;
    while (*text == ' ')
        text++;
    if (*text)
        set_result(res, status_of_class(dsn[0]), dsn, "%s", text);
    else
        set_result(res, status_of_class(dsn[0]), dsn, "Command died with status %d: \"%s\"", code,
                   cmd);
    return true;
}

/* Exit 0, a signal, or no status at all; false for any other exit status. */
static bool classify_not_exit(int ws, const char *cmd, const char *sep, const char *line,
                              struct pipe_cmd_result *res)
{
    if (ws != -1 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
        set_result(res, DELIVER_SENT, "2.0.0", "delivered to command: %s", cmd);
    } else if (ws != -1 && WIFSIGNALED(ws)) {
        /* A crash or the OOM killer may not happen again: Postfix 3 defers. */
        set_result(res, DELIVER_DEFERRED, "4.3.0", "Command died with signal %d: \"%s\"%s%s",
                   WTERMSIG(ws), cmd, sep, line);
    } else if (ws == -1 || !WIFEXITED(ws)) {
        set_result(res, DELIVER_DEFERRED, "4.3.0", "lost the exit status of command \"%s\"", cmd);
    } else {
        return false;
    }
    return true;
}

void pipe_cmd_classify(int ws, const unsigned char *out, size_t len, const char *command,
                       struct pipe_cmd_result *res)
{
    char line[PIPE_CMD_OUTPUT_MAX + 1], cmd[PIPE_CMD_REASON_MAX];
    size_t n = output_line(out, len, line, sizeof(line));
    const char *sep = n ? ". Command output: " : "";
    const struct pipe_sysexit *se;
    int code;

    quote_command(cmd, sizeof(cmd), command);
    if (classify_not_exit(ws, cmd, sep, line, res))
        return;
    code = WEXITSTATUS(ws);
    if (classify_dsn_output(code, line, n, cmd, res))
        return;
    if ((se = sysexit_find(code)) != NULL)
        set_result(res, status_of_class(se->dsn[0]), se->dsn, "%s%s%s", se->text, sep, line);
    else
        set_result(res, DELIVER_BOUNCED, "5.3.0", "Command died with status %d: \"%s\"%s%s", code,
                   cmd, sep, line);
}

/* ------------------------------------------------------------ environment */

/*
 * Every character the filter does not allow, and every control character
 * whatever the filter says, becomes "_" (Postfix's censoring of the
 * exported values).  A newline in an address must not reach a script that
 * writes $SENDER into a header or a "From " line.
 */
static void env_censor(char *s, const char *allowed)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c < 0x20 || c == 0x7f || strchr(allowed, c) == NULL)
            *s = '_';
    }
}

static void env_add(struct pipe_envp *e, const char *name, const char *value, bool censor)
{
    char *s;

    if (value == NULL)
        return;
    if (e->n >= PIPE_ENV_MAX)
        msg_panic("pipe_cmd: environment table full");
    s = xasprintf("%s=%s", name, value);
    if (censor)
        env_censor(s + strlen(name) + 1, var_command_expansion_filter);
    e->v[e->n++] = s;
    e->v[e->n] = NULL;
}

/* The whole environment: nothing of the daemon's own is passed on. */
static void env_build(struct pipe_envp *e, const struct pipe_cmd_env *in)
{
    e->n = 0;
    e->v[0] = NULL;
    env_add(e, "PATH", PIPE_CMD_PATH, false);
    env_add(e, "HOME", in->home, true);
    env_add(e, "LOGNAME", in->user, true);
    env_add(e, "USER", in->user, true);
    env_add(e, "SENDER", in->sender, true);
    env_add(e, "RECIPIENT", in->recipient, true);
    env_add(e, "LOCAL", in->local, true);
    env_add(e, "SHELL", in->shell, true);
    env_add(e, "DOMAIN", in->domain, true);
    env_add(e, "EXTENSION", in->extension, true);
}

static void env_free(struct pipe_envp *e)
{
    size_t i;

    for (i = 0; i < e->n; i++)
        free(e->v[i]);
    e->n = 0;
}

/* ---------------------------------------------------------- command child */

/* Tell the caller which step failed, and with what errno; then give up. */
static NORETURN void child_fail(int fd, enum child_step step)
{
    struct child_report r = {(int)step, errno};
    ssize_t n;

    do
        n = write(fd, &r, sizeof(r)); /* atomic: far below PIPE_BUF */
    while (n < 0 && errno == EINTR);
    _exit(EX_TEMPFAIL);
}

static void child_signals_default(int st)
{
    struct sigaction sa;
    int sig;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        /* EINVAL: a signal the C library keeps for itself. */
        if (sigaction(sig, &sa, NULL) < 0 && errno != EINVAL)
            child_fail(st, STEP_SIGNALS);
    }
}

/* Close every descriptor from lowfd up; -1 with errno on failure. */
static int child_close_from(int lowfd)
{
    struct rlimit rl;
    rlim_t fd, max;

    if (close_range((unsigned)lowfd, ~0U, 0) == 0)
        return 0;
    if (errno != ENOSYS && errno != EINVAL)
        return -1;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    max = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1 << 20) ? (1 << 20) : rl.rlim_cur;
    for (fd = (rlim_t)lowfd; fd < max; fd++)
        (void)close((int)fd); /* EBADF for the many that are not open */
    return 0;
}

/*
 * stdin from the message pipe, stdout and stderr into the output pipe,
 * the report pipe on 3 (close-on-exec), nothing else.  Each pipe end is
 * first copied above 3, so that no dup2() can overwrite one still to be
 * moved: a daemon started with 0-2 closed may have its pipes anywhere.
 */
static int child_plumb(int in_r, int out_w, int st_w)
{
    int in, out, st;

    if ((in = fcntl(in_r, F_DUPFD_CLOEXEC, 4)) < 0 ||
        (out = fcntl(out_w, F_DUPFD_CLOEXEC, 4)) < 0 || (st = fcntl(st_w, F_DUPFD_CLOEXEC, 4)) < 0)
        child_fail(st_w, STEP_FDS);
    if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
        dup2(out, STDERR_FILENO) < 0 || dup3(st, 3, O_CLOEXEC) < 0)
        child_fail(st, STEP_FDS);
    if (child_close_from(4) < 0)
        child_fail(3, STEP_FDS);
    return 3;
}

/* Become uid/gid for good, and prove it: all three IDs, one group, no way back. */
static void child_drop(uid_t uid, gid_t gid, int st)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg, groups[2];

    if (setgroups(1, &gid) < 0)
        child_fail(st, STEP_SETGROUPS);
    if (setresgid(gid, gid, gid) < 0)
        child_fail(st, STEP_SETRESGID);
    if (setresuid(uid, uid, uid) < 0)
        child_fail(st, STEP_SETRESUID);
    if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
        child_fail(st, STEP_VERIFY);
    if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid ||
        getgroups(2, groups) != 1 || groups[0] != gid || setuid(0) == 0 || seteuid(0) == 0) {
        errno = EPERM;
        child_fail(st, STEP_VERIFY);
    }
}

/* The home directory, entered with the user's rights; "/" if that fails (as Postfix). */
static void child_chdir(const char *home, int st)
{
    if (home != NULL && home[0] == '/' && chdir(home) == 0)
        return;
    if (chdir("/") < 0)
        child_fail(st, STEP_CHDIR);
}

static NORETURN void child_main(const struct pipe_cmd_request *req, char **envp, int in_r,
                                int out_w, int st)
{
    char arg0[] = "sh", arg1[] = "-c";
    char *argv[] = {arg0, arg1, (char *)req->command, NULL};
    sigset_t none;

    child_signals_default(st);
    /* A session and process group of its own, so the time limit kills its offspring too. */
    if (setsid() < 0)
        child_fail(st, STEP_SETSID);
    st = child_plumb(in_r, out_w, st);
    child_drop(req->uid, req->gid, st);
    child_chdir(req->env.home, st);
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
        child_fail(st, STEP_SIGNALS);
    execve(PIPE_CMD_SHELL, argv, envp);
    child_fail(st, STEP_EXEC);
}

/* ----------------------------------------------------------------- feeder */

/*
 * Write the message and exit 0, or exit with the errno of the failure.  A
 * command that stops reading makes the write fail with EPIPE (SIGPIPE is
 * ignored and stays blocked): not an error, its exit status will tell.
 */
static NORETURN void feeder_main(const struct pipe_cmd_request *req, int in_w, pid_t parent)
{
    struct sigaction sa;
    long long n;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPIPE, &sa, NULL) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        _exit(errno > 0 && errno < 256 ? errno : EIO);
    if (getppid() != parent)
        _exit(ESRCH); /* the caller died before prctl() took */
    n = req->write_fn(in_w, req->write_ctx);
    if (n >= 0 || errno == EPIPE)
        _exit(0);
    _exit(errno > 0 && errno < 256 ? errno : EIO);
}

/* ----------------------------------------------------------------- caller */

static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* waitpid() with EINTR handled; true once the process is reaped. */
static bool reap(pid_t pid, int *status, int flags)
{
    for (;;) {
        pid_t p = waitpid(pid, status, flags);

        if (p == pid)
            return true;
        if (p == 0)
            return false;
        if (errno == EINTR)
            continue;
        /* ECHILD: reaped by someone else; the status is lost. */
        msg_warn("pipe_cmd: waitpid %ld: %m", (long)pid);
        *status = -1;
        return true;
    }
}

static void kill_checked(pid_t pid, int sig)
{
    if (kill(pid, sig) < 0 && errno != ESRCH)
        msg_warn("pipe_cmd: kill %ld: %m", (long)pid);
}

static void close_pidfd(int *fd)
{
    close_quietly(*fd);
    *fd = -1;
}

static void run_reap_nohang(struct pipe_run *r)
{
    if (!r->cmd_done && (r->cmd_done = reap(r->cmd, &r->cmd_status, WNOHANG)))
        close_pidfd(&r->cmd_pidfd);
    if (!r->feeder_done && (r->feeder_done = reap(r->feeder, &r->feeder_status, WNOHANG)))
        close_pidfd(&r->feeder_pidfd);
}

/* Stop the feeder (it may wait on a pipe that nobody reads) and reap it. */
static void run_stop_feeder(struct pipe_run *r)
{
    if (r->feeder_done)
        return;
    kill_checked(r->feeder, SIGKILL);
    r->feeder_killed = true;
    r->feeder_done = reap(r->feeder, &r->feeder_status, 0);
    close_pidfd(&r->feeder_pidfd);
}

/*
 * Kill the command with all of its process group, and reap it.  The process
 * itself too, in case the signal came before its setsid().  Only while it is
 * unreaped, so that its pid cannot belong to someone else yet.
 */
static void run_kill_command(struct pipe_run *r)
{
    if (r->cmd_done)
        return;
    kill_checked(-r->cmd, SIGKILL);
    kill_checked(r->cmd, SIGKILL);
    r->cmd_done = reap(r->cmd, &r->cmd_status, 0);
    close_pidfd(&r->cmd_pidfd);
}

/* Keep the first PIPE_CMD_OUTPUT_MAX bytes, count and drop the rest. */
static void run_read_output(struct pipe_run *r)
{
    struct pipe_cmd_result *res = r->res;
    unsigned char buf[4096];
    int i;

    for (i = 0; i < PIPE_READS_PER_WAKEUP && !r->out_eof; i++) {
        ssize_t n = read(r->out_fd, buf, sizeof(buf));
        size_t keep;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            if (n < 0)
                msg_warn("pipe_cmd: read command output: %m");
            r->out_eof = true;
            return;
        }
        keep = PIPE_CMD_OUTPUT_MAX - res->output_len;
        keep = (size_t)n < keep ? (size_t)n : keep;
        memcpy(res->output + res->output_len, buf, keep);
        res->output_len += keep;
        res->output_total += n;
    }
}

/* A report means the child failed before execve(); end of file means it got there. */
static void run_read_report(struct pipe_run *r)
{
    ssize_t n;

    do
        n = read(r->st_fd, &r->report, sizeof(r->report));
    while (n < 0 && errno == EINTR);
    r->reported = n == (ssize_t)sizeof(r->report);
    r->st_eof = true;
}

/* How long poll() may wait: until the deadline, or the end of the grace time. */
static int run_timeout_ms(const struct pipe_run *r, long long now)
{
    long long until = r->cmd_done ? r->grace_end : r->deadline;
    long long ms = until - now;

    if ((!r->cmd_done && r->cmd_pidfd < 0) || (!r->feeder_done && r->feeder_pidfd < 0))
        ms = ms < PIPE_TICK_MS ? ms : PIPE_TICK_MS;
    return ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Wait for output, the report, an exit or the clock; false if poll() failed. */
static bool run_poll(struct pipe_run *r, int timeout_ms)
{
    struct pollfd pfd[4] = {
        {.fd = r->out_eof ? -1 : r->out_fd, .events = POLLIN},
        {.fd = r->st_eof ? -1 : r->st_fd, .events = POLLIN},
        {.fd = r->cmd_pidfd, .events = POLLIN},
        {.fd = r->feeder_pidfd, .events = POLLIN},
    };
    int n = poll(pfd, COUNTOF(pfd), timeout_ms);

    if (n < 0) {
        if (errno == EINTR) /* the caller's signals (the watchdog): just look again */
            return true;
        r->poll_errno = errno;
        return false;
    }
    if (pfd[0].revents)
        run_read_output(r);
    if (pfd[1].revents)
        run_read_report(r);
    return true;
}

/*
 * Until the command has exited and its output is read to the end, or the
 * grace time after its exit is over (a background child may hold the pipe
 * for ever); then stop a feeder that is still waiting to write.  The
 * deadline counts only while the command runs.
 */
static void run_wait(struct pipe_run *r)
{
    for (;;) {
        long long now = event_now_ms();

        run_reap_nohang(r);
        if (r->cmd_done && r->grace_end == 0)
            r->grace_end = now + PIPE_CMD_GRACE_MS;
        if (r->cmd_done && now >= r->grace_end)
            run_stop_feeder(r);
        if (r->cmd_done && r->st_eof && r->feeder_done && (r->out_eof || now >= r->grace_end))
            return;
        if (!r->cmd_done && now >= r->deadline) {
            r->timed_out = true;
            break;
        }
        if (!run_poll(r, run_timeout_ms(r, now)))
            break;
    }
    run_kill_command(r);
    run_stop_feeder(r);
    if (!r->out_eof)
        run_read_output(r); /* what it said before it was killed */
}

/* Both children, feeder first: see this file's header. */
static int run_fork(struct pipe_run *r, char **envp, int in[2], int out[2], int st[2])
{
    pid_t parent = getpid();

    if ((r->feeder = fork()) == 0) {
        close_quietly(in[0]);
        close_quietly(out[0]);
        close_quietly(out[1]);
        close_quietly(st[0]);
        close_quietly(st[1]);
        feeder_main(r->req, in[1], parent);
    }
    close_quietly(in[1]);
    if (r->feeder < 0)
        return -1;
    if ((r->cmd = fork()) == 0)
        child_main(r->req, envp, in[0], out[1], st[1]);
    if (r->cmd < 0) {
        int saved = errno;

        r->feeder_pidfd = -1;
        run_stop_feeder(r);
        errno = saved;
        return -1;
    }
    return 0;
}

/* Pipes and children; -1 with errno (nothing left running) if they cannot all be had. */
static int run_start(struct pipe_run *r, char **envp)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, st[2] = {-1, -1};
    sigset_t all, old;
    int ret = -1, saved;

    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(st, O_CLOEXEC) < 0) {
        saved = errno;
        close_quietly(in[0]);
        close_quietly(in[1]);
        close_quietly(out[0]);
        close_quietly(out[1]);
        errno = saved;
        return -1;
    }
    sigfillset(&all);
    if (sigprocmask(SIG_SETMASK, &all, &old) < 0)
        msg_fatal("pipe_cmd: sigprocmask: %m");
    ret = run_fork(r, envp, in, out, st);
    saved = errno;
    if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
        msg_fatal("pipe_cmd: sigprocmask: %m");
    close_quietly(in[0]);
    close_quietly(out[1]);
    close_quietly(st[1]);
    r->out_fd = out[0];
    r->st_fd = st[0];
    if (ret < 0) {
        errno = saved;
        return -1;
    }
    if (set_nonblock(r->out_fd, true) < 0)
        msg_warn("pipe_cmd: non-blocking output pipe: %m"); /* reads are bounded by poll() */
    r->cmd_pidfd = pidfd_of(r->cmd);
    r->feeder_pidfd = pidfd_of(r->feeder);
    return 0;
}

/* The outcome of a run in which both children were started and reaped. */
static void run_outcome(const struct pipe_run *r, const char *cmd)
{
    struct pipe_cmd_result *res = r->res;
    char line[PIPE_CMD_OUTPUT_MAX + 1];
    int fs = r->feeder_status;

    output_line(res->output, res->output_len, line, sizeof(line));
    if (r->reported) {
        set_result(res, DELIVER_DEFERRED, "4.3.0", "cannot run command \"%s\": %s: %s", cmd,
                   r->report.step >= 0 && r->report.step < (int)COUNTOF(child_step_names)
                       ? child_step_names[r->report.step]
                       : "setup",
                   strerror(r->report.err));
    } else if (r->timed_out) {
        set_result(res, DELIVER_DEFERRED, "4.3.0", "command time limit exceeded: \"%s\"%s%s", cmd,
                   line[0] ? ". Command output: " : "", line);
    } else if (r->poll_errno) {
        set_result(res, DELIVER_DEFERRED, "4.3.0", "cannot watch command \"%s\": poll: %s", cmd,
                   strerror(r->poll_errno));
    } else if (fs != -1 && WIFEXITED(fs) && WEXITSTATUS(fs) != 0) {
        set_result(res, DELIVER_DEFERRED, "4.3.0", "cannot write message to command \"%s\": %s",
                   cmd, strerror(WEXITSTATUS(fs)));
    } else if (fs == -1 || (WIFSIGNALED(fs) && !r->feeder_killed)) {
        set_result(res, DELIVER_DEFERRED, "4.3.0",
                   "cannot write message to command \"%s\": writer died", cmd);
    } else {
        pipe_cmd_classify(r->cmd_status, res->output, res->output_len, r->req->command, res);
    }
}

/* Interface violations panic; a request to run as root is refused as a delivery. */
static bool request_ok(const struct pipe_cmd_request *req, struct pipe_cmd_result *res,
                       const char *cmd)
{
    const struct pipe_cmd_env *e = &req->env;

    if (req->command == NULL || req->write_fn == NULL || e->sender == NULL ||
        e->recipient == NULL || e->user == NULL || e->local == NULL)
        msg_panic("pipe_cmd_run: incomplete request");
    if (var_command_expansion_filter == NULL)
        msg_panic("pipe_cmd_run: configuration not loaded");
    /* (uid_t)-1 would make setresuid() change nothing, and leave us root. */
    if (req->uid == 0 || req->gid == 0 || req->uid == (uid_t)-1 || req->gid == (gid_t)-1) {
        set_result(res, DELIVER_DEFERRED, "4.3.5",
                   "mail system configuration error: refusing to run command \"%s\" with "
                   "user ID %ld and group ID %ld",
                   cmd, (long)req->uid, (long)req->gid);
        return false;
    }
    if (req->command[strspn(req->command, " \t\r\n")] == 0) {
        set_result(res, DELIVER_DEFERRED, "4.3.5",
                   "mail system configuration error: empty command");
        return false;
    }
    return true;
}

/*
 * With SIGCHLD ignored, the kernel reaps our children itself and the exit
 * status is lost: the default disposition while we run, the caller's after.
 */
static bool sigchld_default(struct sigaction *saved)
{
    struct sigaction sa;

    if (sigaction(SIGCHLD, NULL, saved) < 0)
        msg_fatal("pipe_cmd: sigaction SIGCHLD: %m");
    if (saved->sa_handler != SIG_IGN && !(saved->sa_flags & SA_NOCLDWAIT))
        return false;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, NULL) < 0)
        msg_fatal("pipe_cmd: sigaction SIGCHLD: %m");
    return true;
}

void pipe_cmd_run(const struct pipe_cmd_request *req, struct pipe_cmd_result *res)
{
    struct pipe_run r;
    struct pipe_envp env;
    struct sigaction sigchld;
    char cmd[PIPE_CMD_REASON_MAX];
    bool restore;

    memset(res, 0, sizeof(*res));
    res->wait_status = -1;
    quote_command(cmd, sizeof(cmd), req->command ? req->command : "");
    if (!request_ok(req, res, cmd))
        return;
    memset(&r, 0, sizeof(r));
    r.req = req;
    r.res = res;
    r.cmd_pidfd = r.feeder_pidfd = r.out_fd = r.st_fd = -1;
    r.cmd_status = r.feeder_status = -1;
    env_build(&env, &req->env);
    restore = sigchld_default(&sigchld);
    r.deadline = event_now_ms() + var_command_time_limit * 1000;
    if (run_start(&r, env.v) < 0) {
        set_result(res, DELIVER_DEFERRED, "4.3.0", "cannot run command \"%s\": %s", cmd,
                   strerror(errno));
    } else {
        run_wait(&r);
        res->wait_status = r.cmd_status;
        run_outcome(&r, cmd);
    }
    if (restore && sigaction(SIGCHLD, &sigchld, NULL) < 0)
        msg_fatal("pipe_cmd: sigaction SIGCHLD: %m");
    close_quietly(r.out_fd);
    close_quietly(r.st_fd);
    close_quietly(r.cmd_pidfd);
    close_quietly(r.feeder_pidfd);
    env_free(&env);
}
