/*
 * log_delivery.c - per-recipient delivery log lines (see log_delivery.h).
 */
#include "sys_defs.h"
#include "log_delivery.h"
#include "msg.h"
#include "mail_addr.h"

void log_delivery_orig(const char *queue_id, const char *rcpt, const char *orig, const char *relay,
                       long long arrival_sec, long arrival_usec, const char *dsn,
                       const char *status, const char *reason)
{
    struct timeval now;
    double delay;
    char text[32];
    struct buf addr, orig_to;

    gettimeofday(&now, NULL);
    delay = (double)(now.tv_sec - arrival_sec) + (double)(now.tv_usec - arrival_usec) / 1e6;
    if (delay < 0.0001) /* clock skew; and no exponent from "%.2g" below */
        delay = 0;
    /* Postfix's style: two significant digits for short delays, whole seconds after. */
    if (delay < 10) /* "%.2g" of 99.5 and up would be "1e+02" */
        snprintf(text, sizeof(text), "%.2g", delay);
    else
        snprintf(text, sizeof(text), "%.0f", delay);
    /* Addresses are logged in their external (quoted) form, as Postfix does. */
    buf_init(&addr, 4 * MAIL_ADDR_TEXT_MAX + 8);
    buf_init(&orig_to, 4 * MAIL_ADDR_TEXT_MAX + 16);
    mail_addr_quote_internal(rcpt, &addr);
    if (orig) {
        (void)buf_puts(&orig_to, ", orig_to=<");
        mail_addr_quote_internal(orig, &orig_to);
        (void)buf_puts(&orig_to, ">");
    }
    msg_info("%s: to=<%s>%s, relay=%s, delay=%s, dsn=%s, status=%s (%s)", queue_id, buf_str(&addr),
             buf_str(&orig_to), relay, text, dsn, status, reason);
    buf_free(&addr);
    buf_free(&orig_to);
}

void log_delivery(const char *queue_id, const char *rcpt, const char *relay, long long arrival_sec,
                  long arrival_usec, const char *dsn, const char *status, const char *reason)
{
    log_delivery_orig(queue_id, rcpt, NULL, relay, arrival_sec, arrival_usec, dsn, status, reason);
}
