/*
 * msg.c - one-line logging to syslog, a log file and/or stderr (see msg.h).
 *
 * A line is formatted once into a fixed buffer and written with one write()
 * per destination, so that lines from many processes appending to the same
 * maillog_file (O_APPEND) never interleave.  Over-long lines are truncated,
 * never split.
 */
#include "sys_defs.h"
#include <pthread.h>
#include "msg.h"
#include "safe_open.h"

#define MSG_LINE_MAX 4096

int msg_verbose;

static char msg_ident[64] = "postern";
static bool msg_to_syslog = true;
static bool msg_to_stderr;
static bool msg_stderr_pid;
static int msg_file_fd = -1;
static bool msg_syslog_open;
static int msg_exit_status = 1;
static char msg_host[256]; /* short host name, looked up once */
static pid_t msg_pid;      /* reset in a forked child */
static void (*msg_exit_hook)(void);

static void msg_forked(void)
{
    msg_pid = 0;
}

static pid_t msg_getpid(void)
{
    static bool registered;

    if (msg_pid == 0) {
        if (!registered && pthread_atfork(NULL, NULL, msg_forked) == 0)
            registered = true;
        msg_pid = getpid();
    }
    return msg_pid;
}

void msg_init(const char *ident)
{
    snprintf(msg_ident, sizeof(msg_ident), "%s", ident);
    if (msg_syslog_open) {
        closelog();
        msg_syslog_open = false;
    }
}

void msg_stderr(bool on, bool with_pid)
{
    msg_to_stderr = on;
    msg_stderr_pid = with_pid;
}

void msg_syslog(bool on)
{
    msg_to_syslog = on && msg_file_fd < 0;
}

void msg_syslog_connect(void)
{
    if (msg_to_syslog && !msg_syslog_open) {
        openlog(msg_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
        msg_syslog_open = true;
    }
}

void msg_fatal_status(int status)
{
    msg_exit_status = status;
}

void msg_fatal_hook(void (*hook)(void))
{
    msg_exit_hook = hook;
}

int msg_logfile(const char *path, const char **error_r)
{
    const char *why;
    int fd;

    if (path == NULL || *path == 0) {
        if (msg_file_fd >= 0)
            (void)close(msg_file_fd);
        msg_file_fd = -1;
        msg_to_syslog = true;
        return 0;
    }
    /* Root appends what clients chose to this file: never through a path
     * that anyone else could redirect (safe_open.h). */
    fd = safe_open_append(path, 0640, &why);
    if (fd < 0) {
        if (error_r)
            *error_r = why;
        return -1;
    }
    if (msg_file_fd >= 0)
        (void)close(msg_file_fd);
    msg_file_fd = fd;
    msg_to_syslog = false;
    return 0;
}

/* Replace bytes that could break a log line; keep UTF-8 as it is. */
static void msg_sanitize(char *p)
{
    for (; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
}

static void msg_write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* nowhere left to report a logging failure */
        p += n;
        len -= (size_t)n;
    }
}

static void msg_emit(int prio, const char *prefix, const char *fmt, va_list ap) PRINTFLIKE(3, 0);

static void msg_emit(int prio, const char *prefix, const char *fmt, va_list ap)
{
    char text[MSG_LINE_MAX];
    char line[MSG_LINE_MAX + 256];
    int saved_errno = errno;
    size_t plen = strlen(prefix);
    int n;

    memcpy(text, prefix, plen + 1);
    (void)vsnprintf(text + plen, sizeof(text) - plen, fmt, ap);
    msg_sanitize(text);

    if (msg_file_fd >= 0) {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;

        (void)localtime_r(&now, &tm);
        (void)strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
        if (msg_host[0] == 0) {
            if (gethostname(msg_host, sizeof(msg_host)) < 0)
                snprintf(msg_host, sizeof(msg_host), "localhost");
            msg_host[sizeof(msg_host) - 1] = 0;
            msg_host[strcspn(msg_host, ".")] = 0;
        }
        n = snprintf(line, sizeof(line), "%s %s %s[%ld]: %s\n", stamp, msg_host, msg_ident,
                     (long)msg_getpid(), text);
        msg_write_all(msg_file_fd, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
    } else if (msg_to_syslog) {
        msg_syslog_connect();
        syslog(prio, "%s", text);
    }
    if (msg_to_stderr) {
        if (msg_stderr_pid)
            n = snprintf(line, sizeof(line), "%s[%ld]: %s\n", msg_ident, (long)msg_getpid(), text);
        else
            n = snprintf(line, sizeof(line), "%s: %s\n", msg_ident, text);
        msg_write_all(STDERR_FILENO, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
    }
    errno = saved_errno;
}

void msg_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_emit(LOG_INFO, "", fmt, ap);
    va_end(ap);
}

void msg_debug(const char *fmt, ...)
{
    va_list ap;

    if (!msg_verbose)
        return;
    va_start(ap, fmt);
    msg_emit(LOG_DEBUG, "debug: ", fmt, ap);
    va_end(ap);
}

void msg_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_emit(LOG_WARNING, "warning: ", fmt, ap);
    va_end(ap);
}

void msg_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_emit(LOG_ERR, "error: ", fmt, ap);
    va_end(ap);
}

/* After the fatal message: the hook, once, then exit. */
static NORETURN void msg_die(void)
{
    static int entered;

    if (msg_exit_hook != NULL && entered++ == 0)
        msg_exit_hook();
    exit(msg_exit_status);
}

void msg_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_emit(LOG_CRIT, "fatal: ", fmt, ap);
    va_end(ap);
    msg_die();
}

void msg_fatal_code(int status, const char *fmt, ...)
{
    va_list ap;

    msg_exit_status = status;
    va_start(ap, fmt);
    msg_emit(LOG_CRIT, "fatal: ", fmt, ap);
    va_end(ap);
    msg_die();
}

void msg_panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_emit(LOG_CRIT, "panic: ", fmt, ap);
    va_end(ap);
    abort();
}
