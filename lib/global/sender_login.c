/*
 * sender_login.c - smtpd_sender_login_maps decisions (see sender_login.h).
 */
#include "sys_defs.h"
#include "sender_login.h"
#include "strutil.h"

int sender_login_owned(struct maps *m, const char *login, const struct mail_addr *sender,
                       bool local_forms, char **error_r)
{
    const char *value;
    char **logins;
    size_t i;
    int r, owned = 0;

    if (sender->null)
        return 1;
    if ((r = maps_find_addr(m, sender, local_forms, &value, error_r)) < 0)
        return r;
    /* No login: the sender is usable only if it is nobody's. */
    if (login == NULL)
        return r == 0;
    if (r == 0)
        return 0;
    logins = str_split_list(value, NULL);
    for (i = 0; logins[i] && !owned; i++)
        owned = str_eq_nocase(logins[i], login);
    str_list_free(logins);
    return owned;
}
