/*
 * fuzz_restrict_list.c - libFuzzer target for the restriction list parser
 * (restrict_list.h).
 *
 * Tables are only named, never opened: a fuzzer's table name could be any
 * file.  What the parser accepts must be within its limits, name only
 * known restrictions, and mean the same when written out again: the list
 * rebuilt from the parsed items (names and table arguments, one space
 * apart) must parse back to the same items.  A rejected text must come
 * with a one-line error that names the parameter.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "buf.h"
#include "msg.h"
#include "restrict_list.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    msg_syslog(false);
    return 0;
}

/* The list as text again; the caller frees the buffer. */
static void rebuild(const struct restrict_list *l, struct buf *out)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        (void)buf_puts(out, restrict_kind_name(l->items[i].kind));
        (void)buf_puts(out, " ");
        if (l->items[i].arg) {
            (void)buf_puts(out, l->items[i].arg);
            (void)buf_puts(out, " ");
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct restrict_list *l = NULL, *again = NULL;
    char *err = NULL;
    struct buf text;
    size_t i;

    if (restrict_list_parse("p", (const char *)data, size, 0, &l, &err) < 0) {
        CHECK(l == NULL && err != NULL);
        CHECK(strncmp(err, "p: ", 3) == 0 && strchr(err, '\n') == NULL);
        free(err);
        return 0;
    }
    CHECK(l->n <= RESTRICT_LIST_MAX);
    buf_init(&text, RESTRICT_TEXT_MAX * 2);
    rebuild(l, &text);
    /* One space per separator: never longer than the input, but for a last space. */
    CHECK(text.len <= size + 1);
    if (text.len > RESTRICT_TEXT_MAX) {
        buf_free(&text);
        restrict_list_free(l);
        return 0;
    }
    CHECK(restrict_list_parse("p", buf_str(&text), text.len, 0, &again, &err) == 0);
    CHECK(again->n == l->n);
    for (i = 0; i < l->n; i++) {
        CHECK(again->items[i].kind == l->items[i].kind);
        CHECK(l->items[i].table == NULL);
        CHECK((l->items[i].arg == NULL) == (again->items[i].arg == NULL));
        CHECK(l->items[i].arg == NULL || strcmp(l->items[i].arg, again->items[i].arg) == 0);
        CHECK(l->items[i].arg == NULL || strlen(l->items[i].arg) < RESTRICT_WORD_MAX);
    }
    buf_free(&text);
    restrict_list_free(again);
    restrict_list_free(l);
    return 0;
}
