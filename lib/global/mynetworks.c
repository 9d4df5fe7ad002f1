/*
 * mynetworks.c - the trusted client networks, and other lists of networks
 * in mynetworks' syntax (see mynetworks.h).
 */
#include "sys_defs.h"
#include "mynetworks.h"
#include "mail_params.h"
#include "cidr.h"
#include "mymalloc.h"
#include "strutil.h"

static struct net_list mynet;

int net_list_init(struct net_list *l, const char *name, const char *value, char **error_r)
{
    size_t i, count;
    char **list = str_split_list(value, &count);

    free(l->nets);
    l->count = 0;
    l->nets = xcalloc(count ? count : 1, sizeof(*l->nets));
    for (i = 0; i < count; i++) {
        const char *why;

        if (cidr_parse(list[i], l->nets + i, &why) < 0) {
            *error_r = xasprintf("%s: \"%s\": %s", name, list[i], why);
            str_list_free(list);
            return -1;
        }
    }
    str_list_free(list);
    l->count = count;
    return 0;
}

bool net_list_match(const struct net_list *l, const char *addr)
{
    size_t i;

    for (i = 0; i < l->count; i++)
        if (cidr_match_text(l->nets + i, addr))
            return true;
    return false;
}

int mynetworks_init(char **error_r)
{
    return net_list_init(&mynet, "mynetworks", var_mynetworks, error_r);
}

bool mynetworks_match(const char *addr)
{
    return net_list_match(&mynet, addr);
}
