/*
 * mynetworks.h - is a client one of ours?  Parses mynetworks once into
 * network patterns and matches client addresses against them.
 */
#ifndef POSTERN_MYNETWORKS_H
#define POSTERN_MYNETWORKS_H

#include "sys_defs.h"

/* Parse var_mynetworks; -1 with *error_r (malloc'ed) naming the bad entry. */
int mynetworks_init(char **error_r);
/* Does the numeric client address match mynetworks? */
bool mynetworks_match(const char *addr);

#endif
