/*
 * fuzz_virtual_mailbox.c - values of virtual_mailbox_maps ("PATH
 * [quota=SIZE]", virtual.c).  The tables are the site's, but they may be
 * fed from LDAP or a web panel later, and a path that leaves
 * virtual_mailbox_base would have mail written anywhere the mailbox's uid
 * may write.  Invariants: a value is accepted only as a path under the
 * base with no ".." and no trailing "/", a quota of 0 or more, and a
 * refused one always says why.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "mail_params.h"
#include "mymalloc.h"
#include "virtual.h"

#define BASE "/srv/mail"

int LLVMFuzzerInitialize(int *argc UNUSED, char ***argv UNUSED)
{
    var_virtual_mailbox_base = BASE;
    var_virtual_mailbox_quota = 0;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct virtual_mailbox mb;
    char *value = xstrndup((const char *)data, size), *err = NULL;
    size_t len;

    memset(&mb, 0, sizeof(mb));
    if (virtual_mailbox_parse(value, &mb, &err) < 0) {
        CHECK(err != NULL);
        free(err);
        free(value);
        return 0;
    }
    len = strlen(mb.path);
    CHECK(strncmp(mb.path, BASE "/", sizeof(BASE)) == 0 && len > sizeof(BASE));
    CHECK(strstr(mb.path, "..") == NULL && mb.path[len - 1] != '/');
    CHECK(strchr(mb.path, ' ') == NULL && strchr(mb.path, '\t') == NULL);
    CHECK(mb.quota >= 0);
    free(value);
    return 0;
}
