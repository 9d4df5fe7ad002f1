/*
 * fuzz_alias_list.c - destinations of aliases, .forward and :include:
 * files (alias_list.c): a user writes .forward, so this is untrusted input.
 * Invariants: at most ALIAS_ITEMS_MAX items, each of a known type; files
 * and includes are absolute paths, commands are not empty, addresses have
 * a local part, and a failed parse leaves nothing allocated.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "alias_list.h"

int LLVMFuzzerInitialize(int *argc UNUSED, char ***argv UNUSED)
{
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct alias_list l;
    const char *why = NULL;
    size_t i;

    if (alias_list_parse((const char *)data, size, &l, &why) < 0) {
        CHECK(why != NULL && l.n == 0 && l.items == NULL);
        return 0;
    }
    CHECK(l.n <= ALIAS_ITEMS_MAX);
    for (i = 0; i < l.n; i++) {
        const struct alias_item *it = l.items + i;

        CHECK(it->text != NULL);
        switch (it->type) {
        case ALIAS_ITEM_ADDRESS:
        case ALIAS_ITEM_NOALIAS:
            CHECK(it->addr.local[0] != 0 && !it->addr.null);
            break;
        case ALIAS_ITEM_FILE:
        case ALIAS_ITEM_INCLUDE:
            CHECK(it->text[0] == '/');
            break;
        case ALIAS_ITEM_COMMAND:
            CHECK(it->text[0] != 0);
            break;
        case ALIAS_ITEM_BAD:
            break;
        default:
            CHECK(0);
        }
    }
    alias_list_free(&l);
    return 0;
}
