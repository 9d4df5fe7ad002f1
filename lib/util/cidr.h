/*
 * cidr.h - IPv4/IPv6 network patterns ("192.0.2.0/24", "[2001:db8::]/32",
 * "127.0.0.1") and matching a client address against them; used for
 * mynetworks and every other address list.
 */
#ifndef POSTERN_CIDR_H
#define POSTERN_CIDR_H

#include "sys_defs.h"

struct cidr {
    int family;             /* AF_INET or AF_INET6 */
    unsigned char addr[16]; /* network address, host bits cleared */
    unsigned char mask[16];
};

/* Parse one pattern; -1 with *error_r when it is not a valid network. */
int cidr_parse(const char *text, struct cidr *c, const char **error_r);
/* Does the numeric address (as text) fall inside c? */
bool cidr_match_text(const struct cidr *c, const char *addr);
/* Does the binary address of the given family fall inside c? */
bool cidr_match(const struct cidr *c, int family, const void *addr);

#endif
