/*
 * log_delivery.h - the one formatter of per-recipient delivery log lines,
 * in Postfix's form, so that every agent (local, smtp) and qmgr log alike:
 *
 *   ID: to=<bob@example.com>, relay=local, delay=0.12, dsn=2.0.0,
 *       status=sent (delivered to maildir)
 */
#ifndef POSTERN_LOG_DELIVERY_H
#define POSTERN_LOG_DELIVERY_H

#include "sys_defs.h"

/* Log one recipient's outcome (rcpt in internal form); arrival_sec/usec give the delay. */
void log_delivery(const char *queue_id, const char *rcpt, const char *relay, long long arrival_sec,
                  long arrival_usec, const char *dsn, const char *status, const char *reason);

/* The same for a recipient that an alias or .forward led to: orig_to=<orig>. */
void log_delivery_orig(const char *queue_id, const char *rcpt, const char *orig, const char *relay,
                       long long arrival_sec, long arrival_usec, const char *dsn,
                       const char *status, const char *reason);

/*
 * Everything a line can hold; orig and delays may be NULL.  delays is
 * Postfix's "a/b/c/d" (before the queue manager, in it, connection set-up,
 * transmission), which the smtp client logs after delay=.
 */
struct log_delivery_fields {
    const char *queue_id, *rcpt, *orig, *relay;
    long long arrival_sec;
    long arrival_usec;
    const char *delays, *dsn, *status, *reason;
};
void log_delivery_fields(const struct log_delivery_fields *f);
/* A delay in seconds in Postfix's style: two significant digits, whole seconds from 10. */
void log_delivery_seconds(double seconds, char *out, size_t len);

#endif
