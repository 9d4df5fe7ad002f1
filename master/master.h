/*
 * master.h - shared state of the master supervisor.
 *
 * master runs as root, binds every listening socket named in master.cf,
 * and starts service processes on demand, up to each service's process
 * limit.  It never reads data from the network: the only input it parses
 * is its own configuration, and the fixed-size status records its children
 * write to their status pipes.
 */
#ifndef POSTERN_MASTER_H
#define POSTERN_MASTER_H

#include "sys_defs.h"
#include "master_cf.h"
#include "master_proto.h"

struct master_serv;

struct master_proc {
    pid_t pid;
    struct master_serv *serv; /* NULL once detached for draining */
    bool avail;
    long long started_ms;
    struct master_proc *next;
};

struct master_serv {
    struct master_ent ent;
    char *bind_key; /* what the listeners are bound to */
    int listen_fd[MASTER_LISTEN_MAX];
    int nlisten;
    int status_fd[2]; /* [0] master reads, [1] children write */
    int total, avail; /* processes, and how many are idle */
    int listening;    /* MASTER_LISTEN_*: what the listen fds are watched for */
    int failures;     /* consecutive abnormal exits */
    bool throttled;
    bool stressed;        /* at the process limit with clients waiting (server.h) */
    bool stress_noted;    /* ...and the busy processes were told */
    time_t stress_logged; /* last "reached its process limit" warning */
    struct master_serv *next;
};

extern struct master_serv *master_services;
extern struct master_proc *master_procs;
extern bool master_foreground;
extern const char *master_config_dir;
extern bool master_stopping;
extern char *master_main_cf; /* absolute path of the main.cf snapshot */

/* What a service's listen fds are watched for. */
#define MASTER_LISTEN_NONE 0
#define MASTER_LISTEN_SPAWN 1  /* a connection starts a process */
#define MASTER_LISTEN_STRESS 2 /* a connection at the process limit means stress */

/* master_service.c */
int master_services_load(char **error_r);
void master_services_reload(void);
void master_services_stop(void);
void master_avail_listen(struct master_serv *s);
void master_wakeup_now(struct master_serv *s);
void master_serv_free(struct master_serv *s);

/* master_spawn.c */
void master_spawn(struct master_serv *s);
void master_status_event(int fd, void *ctx);
void master_reap(void);
void master_detach_children(struct master_serv *s, int sig);
void master_signal_all(int sig);
int master_proc_count(void);
void master_throttle_cancel(struct master_serv *s);
void master_signal_busy(struct master_serv *s, int sig);

#endif
