/*
 * anvil_table.h - the anvil service's counters (anvil/): per ident
 * ("service:client-address"), the connections open now and, over a fixed
 * window of unit_ms, the connections, messages, recipients and AUTH
 * attempts begun in it.  It knows no sockets and no clock of its own
 * (the caller passes the time), so the unit tests drive it directly.
 *
 * The table is bounded.  An entry nobody is connected from is forgotten
 * one window after its last event (anvil_table_sweep()), and when the
 * table is full the least recently used such entry makes room.  Entries
 * with open connections are never evicted, or a later disconnect would
 * find nothing to decrement; when every entry has one (more live clients
 * than max_entries), the event is not counted and the caller says so.
 */
#ifndef POSTERN_ANVIL_TABLE_H
#define POSTERN_ANVIL_TABLE_H

#include "sys_defs.h"
#include "anvil_proto.h"

struct anvil_table;

/* The largest value of one counter since the last anvil_table_stats_reset(). */
struct anvil_max {
    long long value;
    long long when_ms; /* the caller's clock */
    char ident[ANVIL_IDENT_MAX + 1];
};

struct anvil_stats {
    struct anvil_max count;                   /* concurrent connections */
    struct anvil_max rate[ANVIL_EVENT_COUNT]; /* per window; [ANVIL_DISCONNECT] unused */
    struct anvil_max cache_size;              /* entries in the table */
};

struct anvil_table *anvil_table_create(size_t max_entries, long long unit_ms);
void anvil_table_free(struct anvil_table *t);
/*
 * Count event for ident at now_ms: 0 with the connections open now
 * (*count_r) and the events of this kind in the current window
 * (*rate_r), or -1 when the table is full of live entries.  A disconnect
 * for an ident with no open connection is ignored (0, count 0).
 */
int anvil_table_event(struct anvil_table *t, const char *ident, enum anvil_event event,
                      long long now_ms, long long *count_r, long long *rate_r);
/* Forget entries with no connection and no event for a whole window. */
void anvil_table_sweep(struct anvil_table *t, long long now_ms);
size_t anvil_table_size(const struct anvil_table *t);
const struct anvil_stats *anvil_table_stats(const struct anvil_table *t);
void anvil_table_stats_reset(struct anvil_table *t);

#endif
