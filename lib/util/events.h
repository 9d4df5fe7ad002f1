/*
 * events.h - the single-threaded event loop used by master and the
 * many-connection daemons (qmgr).
 *
 * Descriptors get read and/or write callbacks, timers are one-shot and keyed
 * by (callback, context) so that re-arming replaces, and signals arrive
 * through a signalfd as ordinary callbacks, never in signal context.  Loop
 * callbacks may add and remove anything, including their own descriptor.
 */
#ifndef POSTERN_EVENTS_H
#define POSTERN_EVENTS_H

#include "sys_defs.h"

typedef void (*event_fd_fn)(int fd, void *ctx);
typedef void (*event_timer_fn)(void *ctx);
typedef void (*event_signal_fn)(int sig);

/* Watch fd for input; replaces an earlier read callback for fd. */
void event_enable_read(int fd, event_fd_fn cb, void *ctx);
/* Watch fd for output; replaces an earlier write callback for fd. */
void event_enable_write(int fd, event_fd_fn cb, void *ctx);
void event_disable_read(int fd);
void event_disable_write(int fd);
/* Forget fd entirely (call before closing it). */
void event_remove(int fd);

/* Call cb(ctx) once after delay_ms; re-arming the same pair replaces it. */
void event_request_timer(event_timer_fn cb, void *ctx, long delay_ms);
/* Cancel a pending timer; harmless if none. */
void event_cancel_timer(event_timer_fn cb, void *ctx);

/* Deliver sig through the loop (the signal is blocked for direct delivery). */
void event_signal(int sig, event_signal_fn cb);
/* Unblock every signal the loop took, e.g. in a child before exec. */
void event_signal_unblock_all(void);

/* Run once before each wait (e.g. to commit a group of queue files). */
void event_before_wait(void (*hook)(void *ctx), void *ctx);

/* Wait at most max_ms (-1: until something happens) and run what is due. */
void event_loop(long max_ms);
/* Milliseconds on the monotonic clock. */
long long event_now_ms(void);

#endif
