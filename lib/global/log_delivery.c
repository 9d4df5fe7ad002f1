/*
 * log_delivery.c - per-recipient delivery log lines (see log_delivery.h).
 */
#include "sys_defs.h"
#include "log_delivery.h"
#include "msg.h"
#include "mail_addr.h"

void log_delivery(const char *queue_id, const char *rcpt, const char *relay, long long arrival_sec,
                  long arrival_usec, const char *dsn, const char *status, const char *reason)
{
    struct timeval now;
    double delay;
    char text[32];
    struct buf addr;

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
    mail_addr_quote_internal(rcpt, &addr);
    msg_info("%s: to=<%s>, relay=%s, delay=%s, dsn=%s, status=%s (%s)", queue_id, buf_str(&addr),
             relay, text, dsn, status, reason);
    buf_free(&addr);
}
