/*
 * msg.h - the one logging interface of every Postern program.
 *
 * Lines go to syslog (facility mail, ident "postern/<service>"), or to the
 * file named by maillog_file, and optionally also to stderr (start-fg and the
 * user commands).  Each call writes exactly one line; control characters that
 * came from the network are replaced so that a client cannot forge log lines.
 *
 * Levels follow Postfix: info (no prefix), "warning:", "error:", "fatal:"
 * (the environment is wrong; exit so master restarts us with back-off) and
 * "panic:" (a broken invariant; abort with a core).
 */
#ifndef POSTERN_MSG_H
#define POSTERN_MSG_H

#include "sys_defs.h"

/* Non-zero enables msg_debug() output. */
extern int msg_verbose;

/* Name this program in every line (e.g. "postern/smtpd"); syslog on by default. */
void msg_init(const char *ident);
/* Copy every line to stderr: as "ident[pid]: text" if with_pid, else "ident: text". */
void msg_stderr(bool on, bool with_pid);
/* Send lines to this file (O_APPEND) instead of syslog; NULL or "" means syslog. */
int msg_logfile(const char *path, const char **error_r);
/* Turn syslog output off (for commands that only talk to their user). */
void msg_syslog(bool on);
/*
 * Connect to syslog now rather than at the first message: a process about
 * to chroot must, since /dev/log is outside the jail.  (A syslog daemon
 * that restarts while it runs is reached again only through a socket in
 * the jail, as with Debian's Postfix.)
 */
void msg_syslog_connect(void);
/* Exit status that msg_fatal() uses (default 1; user commands use sysexits.h). */
void msg_fatal_status(int status);
/* Called once before msg_fatal() exits, e.g. to remove a temporary file. */
void msg_fatal_hook(void (*hook)(void));

void msg_info(const char *fmt, ...) PRINTFLIKE(1, 2);
void msg_debug(const char *fmt, ...) PRINTFLIKE(1, 2);
void msg_warn(const char *fmt, ...) PRINTFLIKE(1, 2);
void msg_error(const char *fmt, ...) PRINTFLIKE(1, 2);
NORETURN void msg_fatal(const char *fmt, ...) PRINTFLIKE(1, 2);
/* msg_fatal() with this exit status (the sysexits.h code of a user command). */
NORETURN void msg_fatal_code(int status, const char *fmt, ...) PRINTFLIKE(2, 3);
NORETURN void msg_panic(const char *fmt, ...) PRINTFLIKE(1, 2);

#endif
