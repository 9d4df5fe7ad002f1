/*
 * anvil_table.c - the anvil service's counters (see anvil_table.h): a
 * hash table for lookups and a list in order of last use for the sweep
 * and for eviction, both O(1) per event.
 */
#include "sys_defs.h"
#include "anvil_table.h"
#include "htable.h"
#include "mymalloc.h"
#include "strutil.h"

/* How far eviction looks past entries with open connections. */
#define ANVIL_EVICT_SCAN 64

struct anvil_entry {
    char *ident; /* the table's copy of the key */
    long long count;
    long long window_start_ms;
    long long rate[ANVIL_EVENT_COUNT];
    long long last_ms;
    struct anvil_entry *prev, *next; /* least recently used first */
};

struct anvil_table {
    struct htable index;
    struct anvil_entry *head, *tail;
    size_t max_entries;
    long long unit_ms;
    struct anvil_stats stats;
};

struct anvil_table *anvil_table_create(size_t max_entries, long long unit_ms)
{
    struct anvil_table *t = xcalloc(1, sizeof(*t));

    htable_init(&t->index, 256);
    t->max_entries = max_entries ? max_entries : 1;
    t->unit_ms = unit_ms > 0 ? unit_ms : 1;
    return t;
}

static void lru_unlink(struct anvil_table *t, struct anvil_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        t->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        t->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_append(struct anvil_table *t, struct anvil_entry *e)
{
    e->prev = t->tail;
    e->next = NULL;
    if (t->tail)
        t->tail->next = e;
    else
        t->head = e;
    t->tail = e;
}

static void entry_remove(struct anvil_table *t, struct anvil_entry *e)
{
    lru_unlink(t, e);
    (void)htable_delete(&t->index, e->ident);
    free(e->ident);
    free(e);
}

void anvil_table_free(struct anvil_table *t)
{
    while (t->head)
        entry_remove(t, t->head);
    htable_free(&t->index);
    free(t);
}

/* Make room for one entry by dropping the least recently used idle one. */
static bool table_make_room(struct anvil_table *t)
{
    struct anvil_entry *e = t->head;
    int n;

    for (n = 0; e && n < ANVIL_EVICT_SCAN; n++, e = e->next) {
        if (e->count == 0) {
            entry_remove(t, e);
            return true;
        }
    }
    return false;
}

static struct anvil_entry *table_entry(struct anvil_table *t, const char *ident, long long now_ms)
{
    struct anvil_entry *e = htable_find(&t->index, ident);

    if (e) {
        lru_unlink(t, e);
    } else {
        if (t->index.count >= t->max_entries && !table_make_room(t))
            return NULL;
        e = xcalloc(1, sizeof(*e));
        e->ident = xstrdup(ident);
        e->window_start_ms = now_ms;
        htable_enter(&t->index, ident, e);
    }
    lru_append(t, e);
    e->last_ms = now_ms;
    if (now_ms - e->window_start_ms >= t->unit_ms) {
        memset(e->rate, 0, sizeof(e->rate));
        e->window_start_ms = now_ms;
    }
    return e;
}

static void stats_note(struct anvil_max *m, long long value, const char *ident, long long now_ms)
{
    if (value <= m->value)
        return;
    m->value = value;
    m->when_ms = now_ms;
    str_copy(m->ident, ident, sizeof(m->ident));
}

int anvil_table_event(struct anvil_table *t, const char *ident, enum anvil_event event,
                      long long now_ms, long long *count_r, long long *rate_r)
{
    struct anvil_entry *e;

    *count_r = *rate_r = 0;
    if (event == ANVIL_DISCONNECT) {
        if ((e = htable_find(&t->index, ident)) != NULL && e->count > 0)
            *count_r = --e->count;
        return 0;
    }
    if ((e = table_entry(t, ident, now_ms)) == NULL)
        return -1;
    if (event == ANVIL_CONNECT) {
        e->count++;
        stats_note(&t->stats.count, e->count, ident, now_ms);
    }
    *rate_r = ++e->rate[event];
    *count_r = e->count;
    stats_note(&t->stats.rate[event], e->rate[event], ident, now_ms);
    stats_note(&t->stats.cache_size, (long long)t->index.count, "", now_ms);
    return 0;
}

void anvil_table_sweep(struct anvil_table *t, long long now_ms)
{
    struct anvil_entry *e, *next;

    /* In order of last use: the first one used within the window ends the sweep. */
    for (e = t->head; e && now_ms - e->last_ms >= t->unit_ms; e = next) {
        next = e->next;
        if (e->count == 0)
            entry_remove(t, e);
    }
}

size_t anvil_table_size(const struct anvil_table *t)
{
    return t->index.count;
}

const struct anvil_stats *anvil_table_stats(const struct anvil_table *t)
{
    return &t->stats;
}

void anvil_table_stats_reset(struct anvil_table *t)
{
    memset(&t->stats, 0, sizeof(t->stats));
}
