/*
 * master_proto.h - how master and the processes it starts talk.
 *
 * master starts every daemon with:
 *
 *   fd 0,1,2               /dev/null (or master's stderr in start-fg)
 *   fd MASTER_STATUS_FD    write end of the service's status pipe
 *   fd MASTER_LISTEN_FD..  the service's listening sockets, bound by master
 *
 * and the arguments "-n SERVICE -t TYPE -c CONFIG_DIR -m MAIN_CF -s NSOCKETS
 * [-u] [-r] [-S] [-o name=value]... [master.cf args]", where MAIN_CF is
 * master's snapshot of the last main.cf that passed its checks.  A child reports
 * each change between "available" (waiting for a connection) and "taken"
 * (serving one) by writing a struct master_status to the pipe; master uses
 * that to decide when another process is needed.  These are fixed-size
 * binary records on a pipe that only master and its children share, so
 * there is nothing to parse.
 */
#ifndef POSTERN_MASTER_PROTO_H
#define POSTERN_MASTER_PROTO_H

#include "sys_defs.h"

#define MASTER_STATUS_FD 3
#define MASTER_LISTEN_FD 4
#define MASTER_LISTEN_MAX 32

/* Signals master sends: SIGHUP finish and exit (reload), SIGTERM exit now,
 * and this one: the service is under stress (server.h). */
#define MASTER_SIG_STRESS SIGUSR2

#define MASTER_STAT_TAKEN 0
#define MASTER_STAT_AVAIL 1

struct master_status {
    pid_t pid;
    int avail; /* MASTER_STAT_* */
};

#endif
