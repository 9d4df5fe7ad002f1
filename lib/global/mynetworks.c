/*
 * mynetworks.c - the trusted client networks (see mynetworks.h).
 */
#include "sys_defs.h"
#include "mynetworks.h"
#include "mail_params.h"
#include "cidr.h"
#include "mymalloc.h"
#include "strutil.h"

static struct cidr *mynet;
static size_t mynet_count;

int mynetworks_init(char **error_r)
{
    char **list = str_split_list(var_mynetworks, &mynet_count);
    size_t i;

    free(mynet);
    mynet = xcalloc(mynet_count ? mynet_count : 1, sizeof(*mynet));
    for (i = 0; i < mynet_count; i++) {
        const char *why;

        if (cidr_parse(list[i], mynet + i, &why) < 0) {
            *error_r = xasprintf("mynetworks: \"%s\": %s", list[i], why);
            str_list_free(list);
            mynet_count = 0;
            return -1;
        }
    }
    str_list_free(list);
    return 0;
}

bool mynetworks_match(const char *addr)
{
    size_t i;

    for (i = 0; i < mynet_count; i++)
        if (cidr_match_text(mynet + i, addr))
            return true;
    return false;
}
