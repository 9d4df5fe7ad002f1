/*
 * trigger.h - waking a trigger-driven service (pickup, qmgr) on its UNIX
 * socket, as master's wake-up timer does: one request=wakeup frame
 * (qmgr_proto.h), never an answer awaited.  postdrop pokes pickup when a
 * file is in maildrop/, and sendmail -q asks qmgr for a queue run.
 *
 * A wake-up is a hint: the service finds its work on disk without it, so
 * a lost one costs at most the service's next timer.
 */
#ifndef POSTERN_TRIGGER_H
#define POSTERN_TRIGGER_H

#include "sys_defs.h"

/* Send a wake-up to the socket at path; -1 with errno if it cannot be reached. */
int trigger_wakeup(const char *path);

#endif
