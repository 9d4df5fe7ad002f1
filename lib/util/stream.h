/*
 * stream.h - buffered, timed I/O on one descriptor, for protocol sessions.
 *
 * A stream reads into its own buffer and hands out lines with a length limit,
 * so a peer can never make us hold more than the limit.  Writes are buffered
 * until stream_flush(), which lets a PIPELINING server send all replies to a
 * burst of commands in one packet.
 *
 * Every blocking wait is bounded twice: by timeout_ms for that one wait, and
 * by an optional absolute deadline for everything the stream still does (a
 * whole SMTP session, say).  Both are plain fields read afresh each time a
 * wait is computed (stream_wait_ms()), so a caller may shorten either at any
 * moment, e.g. when the server comes under stress: the change applies to the
 * next wait, and to a wait in progress as soon as a signal interrupts it.
 * Any further limit belongs in stream_wait_ms(), the one place that takes
 * the minimum.
 *
 * The descriptor is put in non-blocking mode; the raw read and write calls go
 * through an ops table so that TLS can be slid underneath a session
 * (STARTTLS) without the protocol code noticing.
 */
#ifndef POSTERN_STREAM_H
#define POSTERN_STREAM_H

#include "sys_defs.h"
#include "buf.h"

#define STREAM_F_EOF 0x1      /* peer closed */
#define STREAM_F_ERROR 0x2    /* I/O error; errno was saved in s->error */
#define STREAM_F_TIMEOUT 0x4  /* a wait exceeded timeout_ms, or the deadline passed */
#define STREAM_F_DEADLINE 0x8 /* with STREAM_F_TIMEOUT: it was the deadline */

#define STREAM_TERM_CRLF 1 /* line ended in CR LF */
#define STREAM_TERM_LF 2   /* line ended in a bare LF */

struct stream;

/*
 * The transport under a stream.  read/write return bytes moved, 0 for end of
 * file (read only), or -1 with errno; EAGAIN means "wait for s->want and try
 * again" (a TLS layer may set want to POLLOUT during a read, and vice versa).
 */
struct stream_ops {
    ssize_t (*read)(struct stream *s, void *p, size_t len);
    ssize_t (*write)(struct stream *s, const void *p, size_t len);
    size_t (*pending)(struct stream *s); /* bytes buffered below us, or NULL */
};

struct stream {
    int fd;
    int timeout_ms;      /* per wait; <= 0 means wait forever */
    int64_t deadline_ms; /* stream_now_ms() after which all I/O fails; 0: none */
    /* While *stress_flag is set, no wait is longer than stress_timeout_ms. */
    const volatile sig_atomic_t *stress_flag;
    int stress_timeout_ms;
    /*
     * While a record is open (stream_record_begin()), a wait's timeout
     * counts from the record's start, not from the wait's: always, or
     * only while *stress_flag is set.
     */
    int64_t record_start_ms; /* 0: no record open */
    bool record_always;
    unsigned flags; /* STREAM_F_* */
    int error;      /* errno of the failure that set STREAM_F_ERROR */
    short want;     /* POLLIN or POLLOUT, for the ops layer */
    unsigned char *rbuf;
    size_t rpos, rlen, rcap;
    struct buf wbuf;
    const struct stream_ops *ops;
    void *ops_ctx;
    uint64_t bytes_in, bytes_out;
};

/* Wrap fd (taking ownership) with the given per-wait timeout. */
struct stream *stream_open(int fd, int timeout_ms);
/* Close the descriptor and free the stream; unflushed output is dropped. */
void stream_close(struct stream *s);
/* Switch the transport (NULL restores plain read/write). */
void stream_set_ops(struct stream *s, const struct stream_ops *ops, void *ctx);

/* Milliseconds on the monotonic clock: the time base of deadlines. */
int64_t stream_now_ms(void);
/* Use another clock (tests); NULL restores CLOCK_MONOTONIC. */
void stream_set_clock(int64_t (*now_ms)(void));
/* Change the per-wait timeout (<= 0: none); applies to the next wait. */
void stream_set_timeout(struct stream *s, int timeout_ms);
/*
 * Fail every read, write and wait once stream_now_ms() reaches deadline_ms
 * (0: no deadline), with STREAM_F_TIMEOUT | STREAM_F_DEADLINE.  Data already
 * buffered is still handed out.  To say goodbye after the deadline, clear it
 * (and the flags) first.
 */
void stream_set_deadline(struct stream *s, int64_t deadline_ms);
/*
 * Cap every wait at timeout_ms while *flag is set (a signal handler sets it
 * when the server comes under stress; the wait in progress is cut short as
 * the signal interrupts it).  NULL flag: no such cap.
 */
void stream_set_stress(struct stream *s, const volatile sig_atomic_t *flag, int timeout_ms);
/*
 * Bound a whole record (a command line, say) rather than each wait: until
 * stream_record_end(), the timeout counts from now, so a peer that
 * trickles a byte at a time cannot stretch one record for ever (Postfix's
 * smtpd_per_record_deadline).  always: with the per-wait timeout; else
 * only while under stress (stream_set_stress()), with its timeout.
 */
void stream_record_begin(struct stream *s, bool always);
void stream_record_end(struct stream *s);
/*
 * How long the next poll() may wait, given waited_ms already spent in this
 * wait: the smaller of what is left of timeout_ms and of the deadline; -1
 * for no limit, 0 when a limit is used up.
 */
int stream_wait_ms(const struct stream *s, int64_t waited_ms);

/*
 * Wait for the event the transport wants (s->want), within the limits
 * above; 0 when it came, -1 with STREAM_F_TIMEOUT or STREAM_F_ERROR set.
 * For layers that drive the descriptor themselves (a TLS handshake).
 */
int stream_wait(struct stream *s);
/*
 * Drop every byte received but not consumed (our buffer only): input that
 * arrived before a change of transport must never be read as if it came
 * through the new one (STARTTLS, CVE-2011-0411).  Returns how many.
 */
size_t stream_discard_input(struct stream *s);

/*
 * Read one line into out (replacing its contents, without the terminator).
 * Returns 1 for a complete line, with *term_r set to STREAM_TERM_CRLF or
 * STREAM_TERM_LF; 0 when max bytes arrived without a line end (out holds
 * that fragment; call again for the rest); -1 at end of file, on timeout or
 * on error (see s->flags).  A partial line at end of file is discarded.
 */
int stream_get_line(struct stream *s, struct buf *out, size_t max, int *term_r);
/* Read exactly len bytes; -1 on EOF, timeout or error. */
int stream_read_exact(struct stream *s, void *p, size_t len);
/* Bytes already received but not yet consumed (for PIPELINING decisions). */
size_t stream_pending(struct stream *s);
/*
 * Has the peer sent anything we have not consumed: in our buffer, in the
 * layer below, or still in the kernel (FIONREAD; end of file is not input)?
 * Never waits.  For RFC 2920 synchronization checks.
 */
bool stream_input_waiting(struct stream *s);
/*
 * The unconsumed input, after one read that does not wait (so what the
 * kernel holds is included); *p_r points into the stream's buffer until the
 * next read.  For logging what a client sent too early.
 */
size_t stream_peek(struct stream *s, const unsigned char **p_r);

/* Queue output; -1 if the output buffer is full even after a flush. */
int stream_write(struct stream *s, const void *p, size_t len);
int stream_puts(struct stream *s, const char *str);
int stream_printf(struct stream *s, const char *fmt, ...) PRINTFLIKE(2, 3);
/* Send all queued output; -1 on timeout or error. */
int stream_flush(struct stream *s);

/*
 * Zero the memory of both buffers, after a password went through them:
 * unread input and unsent output are dropped.
 */
void stream_wipe(struct stream *s);

/* A short description of the last failure: "timeout", "lost connection", ... */
const char *stream_strerror(const struct stream *s);

#endif
