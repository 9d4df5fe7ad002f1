/*
 * htable.h - a hash table from strings to pointers, for lookups that must
 * not grow linearly with the load (qmgr's active messages, and later the
 * per-destination queues and mailbox indexes).  Keys are copied; values
 * belong to the caller.  The table doubles as it fills.
 */
#ifndef POSTERN_HTABLE_H
#define POSTERN_HTABLE_H

#include "sys_defs.h"

struct htable_entry {
    struct htable_entry *next;
    char *key;
    void *value;
};

struct htable {
    struct htable_entry **buckets;
    size_t size; /* number of buckets, a power of two */
    size_t count;
};

void htable_init(struct htable *t, size_t size_hint);
/* Add key (which must not be present). */
void htable_enter(struct htable *t, const char *key, void *value);
/* The value for key, or NULL. */
void *htable_find(const struct htable *t, const char *key);
/* Remove key; returns its value or NULL. */
void *htable_delete(struct htable *t, const char *key);
/* Free the table (not the values). */
void htable_free(struct htable *t);

#endif
