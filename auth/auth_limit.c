/*
 * auth_limit.c - failed attempts counted per client address, as Postfix's
 * anvil counts connections: after auth_client_failure_limit failures
 * within auth_client_failure_window, an address's attempts are refused
 * for auth_client_block_time, whatever password they bring, so guessing
 * from one address stops even when the guess would be right.
 *
 * Refused attempts get the same "fail" and delay as wrong passwords, and
 * do not count themselves: the block ends on time, and a fresh window
 * starts then.  A success does not reset the count, or an attacker who
 * knows one password could go on guessing the others.
 *
 * The table is bounded: expired records are swept every minute, and when
 * it is full of live ones a new address is not counted (it still gets
 * the delay on every failure), with a warning.
 */
#include "sys_defs.h"
#include "auth.h"
#include "events.h"
#include "htable.h"
#include "mail_params.h"
#include "mymalloc.h"
#include "msg.h"

#define AUTH_LIMIT_CLIENTS_MAX 100000
#define AUTH_LIMIT_SWEEP_MS 60000
#define AUTH_LIMIT_FULL_LOG_MS 60000

struct limit_rec {
    long long window_start_ms; /* when the counted failures began */
    long long failures;
    long long refused_until_ms; /* 0: not refused */
};

static struct htable limit_table;
static long long limit_full_logged_ms = -AUTH_LIMIT_FULL_LOG_MS;

static bool limit_expired(const struct limit_rec *r, long long now_ms)
{
    return now_ms >= r->refused_until_ms &&
           now_ms - r->window_start_ms >= var_auth_client_failure_window * 1000;
}

static void limit_sweep(long long now_ms)
{
    size_t i;

    for (i = 0; i < limit_table.size; i++) {
        struct htable_entry *e, *next;

        for (e = limit_table.buckets[i]; e; e = next) {
            next = e->next;
            if (limit_expired(e->value, now_ms))
                free(htable_delete(&limit_table, e->key));
        }
    }
}

static void limit_sweep_event(void *ctx UNUSED)
{
    limit_sweep(event_now_ms());
    event_request_timer(limit_sweep_event, NULL, AUTH_LIMIT_SWEEP_MS);
}

void auth_limit_init(void)
{
    htable_init(&limit_table, 256);
    event_request_timer(limit_sweep_event, NULL, AUTH_LIMIT_SWEEP_MS);
}

bool auth_limit_refused(const char *client, long long now_ms)
{
    struct limit_rec *r = htable_find(&limit_table, client);

    if (r == NULL || r->refused_until_ms == 0)
        return false;
    if (now_ms < r->refused_until_ms)
        return true;
    /* The block is over: a fresh window. */
    r->refused_until_ms = 0;
    r->failures = 0;
    r->window_start_ms = now_ms;
    return false;
}

/* The record for client, made if there is room; NULL if there is none. */
static struct limit_rec *limit_record(const char *client, long long now_ms)
{
    struct limit_rec *r = htable_find(&limit_table, client);

    if (r)
        return r;
    if (limit_table.count >= AUTH_LIMIT_CLIENTS_MAX)
        limit_sweep(now_ms);
    if (limit_table.count >= AUTH_LIMIT_CLIENTS_MAX) {
        if (now_ms - limit_full_logged_ms >= AUTH_LIMIT_FULL_LOG_MS) {
            msg_warn("failures of %d client addresses are being counted; client=%s is not",
                     AUTH_LIMIT_CLIENTS_MAX, client);
            limit_full_logged_ms = now_ms;
        }
        return NULL;
    }
    r = xcalloc(1, sizeof(*r));
    r->window_start_ms = now_ms;
    htable_enter(&limit_table, client, r);
    return r;
}

void auth_limit_failed(const char *client, long long now_ms)
{
    struct limit_rec *r;

    if (var_auth_client_failure_limit == 0 || (r = limit_record(client, now_ms)) == NULL)
        return;
    if (now_ms - r->window_start_ms >= var_auth_client_failure_window * 1000) {
        r->window_start_ms = now_ms;
        r->failures = 0;
    }
    if (++r->failures >= var_auth_client_failure_limit && r->refused_until_ms == 0) {
        r->refused_until_ms = now_ms + var_auth_client_block_time * 1000;
        msg_warn("client=%s: %lld authentication failures within %lld s; refusing its "
                 "attempts for %lld s",
                 client, r->failures, var_auth_client_failure_window, var_auth_client_block_time);
    }
}
