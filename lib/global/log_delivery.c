/*
 * log_delivery.c - per-recipient delivery log lines (see log_delivery.h).
 */
#include "sys_defs.h"
#include "log_delivery.h"
#include "msg.h"
#include "mail_addr.h"

void log_delivery_seconds(double delay, char *text, size_t len)
{
    if (delay < 0.0001) /* clock skew; and no exponent from "%.2g" below */
        delay = 0;
    /* Postfix's style: two significant digits for short delays, whole seconds after. */
    if (delay < 10) /* "%.2g" of 99.5 and up would be "1e+02" */
        snprintf(text, len, "%.2g", delay);
    else
        snprintf(text, len, "%.0f", delay);
}

void log_delivery_fields(const struct log_delivery_fields *f)
{
    struct timeval now;
    char text[32];
    struct buf addr, orig_to;

    gettimeofday(&now, NULL);
    log_delivery_seconds((double)(now.tv_sec - f->arrival_sec) +
                             (double)(now.tv_usec - f->arrival_usec) / 1e6,
                         text, sizeof(text));
    /* Addresses are logged in their external (quoted) form, as Postfix does. */
    buf_init(&addr, 4 * MAIL_ADDR_TEXT_MAX + 8);
    buf_init(&orig_to, 4 * MAIL_ADDR_TEXT_MAX + 16);
    mail_addr_quote_internal(f->rcpt, &addr);
    if (f->orig) {
        (void)buf_puts(&orig_to, ", orig_to=<");
        mail_addr_quote_internal(f->orig, &orig_to);
        (void)buf_puts(&orig_to, ">");
    }
    msg_info("%s: to=<%s>%s, relay=%s, delay=%s%s%s, dsn=%s, status=%s (%s)", f->queue_id,
             buf_str(&addr), buf_str(&orig_to), f->relay, text, f->delays ? ", delays=" : "",
             f->delays ? f->delays : "", f->dsn, f->status, f->reason);
    buf_free(&addr);
    buf_free(&orig_to);
}

void log_delivery_orig(const char *queue_id, const char *rcpt, const char *orig, const char *relay,
                       long long arrival_sec, long arrival_usec, const char *dsn,
                       const char *status, const char *reason)
{
    struct log_delivery_fields f = {queue_id,     rcpt, orig, relay,  arrival_sec,
                                    arrival_usec, NULL, dsn,  status, reason};

    log_delivery_fields(&f);
}

void log_delivery(const char *queue_id, const char *rcpt, const char *relay, long long arrival_sec,
                  long arrival_usec, const char *dsn, const char *status, const char *reason)
{
    log_delivery_orig(queue_id, rcpt, NULL, relay, arrival_sec, arrival_usec, dsn, status, reason);
}
