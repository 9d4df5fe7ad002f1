/*
 * htable.c - string-keyed hash table with chaining (see htable.h).
 */
#include "sys_defs.h"
#include "htable.h"
#include "mymalloc.h"
#include "msg.h"

/* FNV-1a: simple, and good enough for keys we generate ourselves. */
static size_t htable_hash(const char *key)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *key; key++) {
        h ^= (unsigned char)*key;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

void htable_init(struct htable *t, size_t size_hint)
{
    size_t size = 16;

    while (size < size_hint)
        size *= 2;
    t->buckets = xcalloc(size, sizeof(*t->buckets));
    t->size = size;
    t->count = 0;
}

static void htable_grow(struct htable *t)
{
    struct htable_entry **old = t->buckets;
    size_t old_size = t->size, i;

    t->size *= 2;
    t->buckets = xcalloc(t->size, sizeof(*t->buckets));
    for (i = 0; i < old_size; i++) {
        struct htable_entry *e, *next;

        for (e = old[i]; e; e = next) {
            size_t b = htable_hash(e->key) & (t->size - 1);

            next = e->next;
            e->next = t->buckets[b];
            t->buckets[b] = e;
        }
    }
    free(old);
}

void htable_enter(struct htable *t, const char *key, void *value)
{
    struct htable_entry *e;
    size_t b;

    if (htable_find(t, key) != NULL)
        msg_panic("htable_enter: duplicate key \"%s\"", key);
    if (t->count >= t->size)
        htable_grow(t);
    b = htable_hash(key) & (t->size - 1);
    e = xmalloc(sizeof(*e));
    e->key = xstrdup(key);
    e->value = value;
    e->next = t->buckets[b];
    t->buckets[b] = e;
    t->count++;
}

void *htable_find(const struct htable *t, const char *key)
{
    struct htable_entry *e;

    for (e = t->buckets[htable_hash(key) & (t->size - 1)]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e->value;
    return NULL;
}

void *htable_delete(struct htable *t, const char *key)
{
    struct htable_entry **pp, *e;
    void *value;

    for (pp = &t->buckets[htable_hash(key) & (t->size - 1)]; (e = *pp) != NULL; pp = &e->next) {
        if (strcmp(e->key, key) == 0) {
            *pp = e->next;
            value = e->value;
            free(e->key);
            free(e);
            t->count--;
            return value;
        }
    }
    return NULL;
}

void htable_free(struct htable *t)
{
    size_t i;

    for (i = 0; i < t->size; i++) {
        struct htable_entry *e, *next;

        for (e = t->buckets[i]; e; e = next) {
            next = e->next;
            free(e->key);
            free(e);
        }
    }
    free(t->buckets);
    t->buckets = NULL;
    t->size = t->count = 0;
}
