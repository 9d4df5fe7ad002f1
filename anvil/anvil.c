/*
 * anvil.c - the anvil service's start-up, its table and its statistics.
 *
 * master.cf:  anvil  unix  -  -  y  -  1  anvil
 *
 * One process (maxproc 1) on purpose: the counts are shared by every
 * smtpd process only because they all ask this one.  It runs as
 * mail_owner, may be chrooted (it opens nothing after start-up), and
 * runs forever, since the counts must outlive max_idle.
 *
 * Every anvil_status_update_time the largest counts seen since the last
 * report are logged in Postfix's form ("statistics: max connection rate
 * 3/60s for (smtp:192.0.2.7) at Dec  1 21:40:01"), so that an
 * administrator can pick limits from what real clients do.
 */
#include "sys_defs.h"
#include "anvil.h"
#include "events.h"
#include "mail_params.h"
#include "server.h"
#include "msg.h"

/*
 * Far more client addresses than a site has clients at once; each entry
 * is about 200 bytes, so the table stays under 20 MB whatever the load.
 */
#define ANVIL_MAX_ENTRIES 100000

struct anvil_table *anvil_table;

static const char *const rate_names[ANVIL_EVENT_COUNT] = {
    [ANVIL_CONNECT] = "connection",
    [ANVIL_MESSAGE] = "message",
    [ANVIL_RECIPIENT] = "recipient",
    [ANVIL_AUTH] = "auth",
};

/* "Dec  1 21:40:01" for a time on the event loop's clock. */
static void anvil_when(long long when_ms, char *buf, size_t len)
{
    time_t t = time(NULL) - (time_t)((event_now_ms() - when_ms) / 1000);
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL || strftime(buf, len, "%b %e %H:%M:%S", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)t);
}

static void anvil_status_log(void)
{
    const struct anvil_stats *st = anvil_table_stats(anvil_table);
    char when[64];
    int e;

    for (e = 0; e < ANVIL_EVENT_COUNT; e++) {
        if (rate_names[e] == NULL || st->rate[e].value == 0)
            continue;
        anvil_when(st->rate[e].when_ms, when, sizeof(when));
        msg_info("statistics: max %s rate %lld/%llds for (%s) at %s", rate_names[e],
                 st->rate[e].value, var_anvil_rate_time_unit, st->rate[e].ident, when);
    }
    if (st->count.value > 0) {
        anvil_when(st->count.when_ms, when, sizeof(when));
        msg_info("statistics: max connection count %lld for (%s) at %s", st->count.value,
                 st->count.ident, when);
    }
    if (st->cache_size.value > 0) {
        anvil_when(st->cache_size.when_ms, when, sizeof(when));
        msg_info("statistics: max cache size %lld at %s", st->cache_size.value, when);
    }
    anvil_table_stats_reset(anvil_table);
}

static void anvil_status_event(void *ctx UNUSED)
{
    anvil_status_log();
    event_request_timer(anvil_status_event, NULL, (int)(var_anvil_status_update_time * 1000));
}

static void anvil_sweep_event(void *ctx UNUSED)
{
    anvil_table_sweep(anvil_table, event_now_ms());
    event_request_timer(anvil_sweep_event, NULL, (int)(var_anvil_rate_time_unit * 1000));
}

static void anvil_post_init(void)
{
    anvil_table = anvil_table_create(ANVIL_MAX_ENTRIES, var_anvil_rate_time_unit * 1000);
    event_request_timer(anvil_status_event, NULL, (int)(var_anvil_status_update_time * 1000));
    event_request_timer(anvil_sweep_event, NULL, (int)(var_anvil_rate_time_unit * 1000));
}

int main(int argc, char **argv)
{
    static const struct server_opts opts = {
        .run_forever = true, /* the counts must outlive max_idle */
        .post_init = anvil_post_init,
    };

    multi_server_main(argc, argv, "anvil", anvil_session_start, &opts);
}
