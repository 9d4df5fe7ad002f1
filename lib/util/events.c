/*
 * events.c - epoll-based event loop with one-shot timers and signalfd.
 */
#include "sys_defs.h"
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include "events.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"

struct event_fd {
    event_fd_fn read_cb, write_cb;
    void *read_ctx, *write_ctx;
    uint32_t mask; /* EPOLLIN|EPOLLOUT currently registered */
};

struct event_timer {
    struct event_timer *next;
    long long when;
    unsigned long long seq; /* order of arming: timers armed while running wait a turn */
    event_timer_fn cb;
    void *ctx;
};

static int event_epfd = -1;
static struct event_fd *event_fds;
static int event_nfds;
static struct event_timer *event_timers; /* sorted by when */
static unsigned long long event_timer_seq;
static int event_sigfd = -1;
static sigset_t event_sigmask;
static event_signal_fn event_sig_cbs[65];
static void (*event_hook)(void *);
static void *event_hook_ctx;

long long event_now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        msg_fatal("clock_gettime: %m");
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void event_init(void)
{
    if (event_epfd >= 0)
        return;
    if ((event_epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
        msg_fatal("epoll_create1: %m");
}

static struct event_fd *event_slot(int fd)
{
    if (fd < 0)
        msg_panic("event_slot: bad fd %d", fd);
    event_init();
    if (fd >= event_nfds) {
        int n = event_nfds ? event_nfds : 64;

        while (n <= fd)
            n *= 2;
        event_fds = xreallocarray(event_fds, (size_t)n, sizeof(*event_fds));
        memset(event_fds + event_nfds, 0, (size_t)(n - event_nfds) * sizeof(*event_fds));
        event_nfds = n;
    }
    return event_fds + fd;
}

static void event_update(int fd, struct event_fd *e, uint32_t mask)
{
    struct epoll_event ev = {.events = mask, .data.fd = fd};
    int op = e->mask == 0 ? EPOLL_CTL_ADD : mask == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;

    if (mask == e->mask)
        return;
    if (epoll_ctl(event_epfd, op, fd, &ev) < 0)
        msg_panic("epoll_ctl fd %d op %d: %m", fd, op);
    e->mask = mask;
}

void event_enable_read(int fd, event_fd_fn cb, void *ctx)
{
    struct event_fd *e = event_slot(fd);

    e->read_cb = cb;
    e->read_ctx = ctx;
    event_update(fd, e, e->mask | EPOLLIN);
}

void event_enable_write(int fd, event_fd_fn cb, void *ctx)
{
    struct event_fd *e = event_slot(fd);

    e->write_cb = cb;
    e->write_ctx = ctx;
    event_update(fd, e, e->mask | EPOLLOUT);
}

void event_disable_read(int fd)
{
    struct event_fd *e;

    if (fd < 0 || fd >= event_nfds)
        return;
    e = event_fds + fd;
    e->read_cb = NULL;
    event_update(fd, e, e->mask & ~(uint32_t)EPOLLIN);
}

void event_disable_write(int fd)
{
    struct event_fd *e;

    if (fd < 0 || fd >= event_nfds)
        return;
    e = event_fds + fd;
    e->write_cb = NULL;
    event_update(fd, e, e->mask & ~(uint32_t)EPOLLOUT);
}

void event_remove(int fd)
{
    event_disable_read(fd);
    event_disable_write(fd);
}

void event_request_timer(event_timer_fn cb, void *ctx, long delay_ms)
{
    struct event_timer *t, **pp;

    event_cancel_timer(cb, ctx);
    t = xmalloc(sizeof(*t));
    t->when = event_now_ms() + (delay_ms > 0 ? delay_ms : 0);
    t->cb = cb;
    t->ctx = ctx;
    t->seq = event_timer_seq++;
    for (pp = &event_timers; *pp && (*pp)->when <= t->when; pp = &(*pp)->next)
        ;
    t->next = *pp;
    *pp = t;
}

void event_cancel_timer(event_timer_fn cb, void *ctx)
{
    struct event_timer *t, **pp;

    for (pp = &event_timers; (t = *pp) != NULL; pp = &t->next) {
        if (t->cb == cb && t->ctx == ctx) {
            *pp = t->next;
            free(t);
            return;
        }
    }
}

static void event_signal_read(int fd, void *ctx UNUSED)
{
    struct signalfd_siginfo si;

    for (;;) {
        ssize_t n = read(fd, &si, sizeof(si));

        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof(si))
            return;
        if (si.ssi_signo < COUNTOF(event_sig_cbs) && event_sig_cbs[si.ssi_signo])
            event_sig_cbs[si.ssi_signo]((int)si.ssi_signo);
    }
}

void event_signal(int sig, event_signal_fn cb)
{
    if (sig <= 0 || sig >= (int)COUNTOF(event_sig_cbs))
        msg_panic("event_signal: bad signal %d", sig);
    if (event_sigfd < 0)
        sigemptyset(&event_sigmask);
    event_sig_cbs[sig] = cb;
    sigaddset(&event_sigmask, sig);
    if (sigprocmask(SIG_BLOCK, &event_sigmask, NULL) < 0)
        msg_fatal("sigprocmask: %m");
    event_sigfd = signalfd(event_sigfd, &event_sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (event_sigfd < 0)
        msg_fatal("signalfd: %m");
    event_enable_read(event_sigfd, event_signal_read, NULL);
}

void event_signal_unblock_all(void)
{
    if (event_sigfd >= 0 && sigprocmask(SIG_UNBLOCK, &event_sigmask, NULL) < 0)
        msg_fatal("sigprocmask: %m");
}

void event_before_wait(void (*hook)(void *ctx), void *ctx)
{
    event_hook = hook;
    event_hook_ctx = ctx;
}

/*
 * Run every timer that is due now; timers armed by these callbacks wait a
 * turn even when they are due "now".  Each due timer stays on the one list
 * until the moment it runs, so a callback can still cancel (or re-arm) a
 * timer that is due in this same pass: qmgr cancels an agent's idle timer
 * when it gives the agent a job, and both can be due at once.
 */
static void event_run_timers(void)
{
    long long now = event_now_ms();
    unsigned long long limit = event_timer_seq;
    struct event_timer *t, **pp;

    for (;;) {
        /* Timers armed during this pass sort after every due one, but look
         * past them anyway: never trust an ordering argument for liveness. */
        for (pp = &event_timers; (t = *pp) != NULL && t->when <= now; pp = &t->next)
            if (t->seq < limit)
                break;
        if (t == NULL || t->when > now)
            return;
        *pp = t->next;
        t->cb(t->ctx);
        free(t);
    }
}

void event_loop(long max_ms)
{
    struct epoll_event evs[128];
    long long wait = max_ms;
    int n, i;

    event_init();
    if (event_hook)
        event_hook(event_hook_ctx);
    if (event_timers) {
        long long until = event_timers->when - event_now_ms();

        if (until < 0)
            until = 0;
        if (wait < 0 || until < wait)
            wait = until;
    }
    n = epoll_wait(event_epfd, evs, (int)COUNTOF(evs), wait > INT_MAX ? INT_MAX : (int)wait);
    if (n < 0 && errno != EINTR)
        msg_fatal("epoll_wait: %m");
    for (i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        struct event_fd *e = event_fds + fd;

        /* Errors and hang-ups are reported to whichever side is watching. */
        if ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && e->read_cb)
            e->read_cb(fd, e->read_ctx);
        if (fd < event_nfds && (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) &&
            event_fds[fd].write_cb)
            event_fds[fd].write_cb(fd, event_fds[fd].write_ctx);
    }
    event_run_timers();
}
