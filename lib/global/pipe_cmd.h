/*
 * pipe_cmd.h - delivery of one message to a command: local's "|command"
 * aliases and .forward lines (Postfix's pipe_command() and the EXTERNAL
 * COMMAND DELIVERY of local(8)).
 *
 * The command text comes only from an alias file or a .forward file, that
 * is from the person whose rights it runs with; never from the message or
 * the envelope.  It runs as "/bin/sh -c COMMAND" in a child that gives up
 * root for good (uid 0 is refused), in a session of its own, in the home
 * directory (or "/"), with all other descriptors closed, default signal
 * handling and an environment of exactly SENDER, RECIPIENT, USER, LOGNAME,
 * LOCAL, EXTENSION, DOMAIN, HOME, SHELL and PATH.  Envelope data reaches the
 * command through those variables alone, with every character outside
 * command_expansion_filter (and every control character) replaced by "_",
 * so an address can neither become shell code in our hands (OpenSMTPD's
 * CVE-2020-7247) nor in a careless script that uses $SENDER unquoted.
 *
 * The message goes to the command's standard input; standard output and
 * standard error are captured (the first PIPE_CMD_OUTPUT_MAX bytes kept,
 * the rest read and dropped, so the command never blocks on a full pipe)
 * for the reason text.  A command that exits without reading all its input
 * is not at fault for that: only its exit status counts.  After
 * command_time_limit the whole process group is killed.
 *
 * The outcome, as local(8) decides it:
 *   exit 0                          sent, 2.0.0
 *   output starting "4.X.X text" or "5.X.X text" (and exit not 0)
 *                                   deferred / bounced with that code
 *   a <sysexits.h> code             Postfix's table: EX_TEMPFAIL and EX_OSERR
 *                                   deferred (4.3.0), the rest bounced
 *   another exit status             bounced, 5.3.0
 *   killed by a signal              deferred, 4.3.0
 *   time limit, cannot start, the message could not be written
 *                                   deferred, 4.3.0
 *
 * The caller runs as root (real and effective), does not reap children it
 * did not start (no waitpid(-1)), and blocks while the command runs.
 */
#ifndef POSTERN_PIPE_CMD_H
#define POSTERN_PIPE_CMD_H

#include "sys_defs.h"
#include "deliver_proto.h"
#include "maildir.h"

#define PIPE_CMD_SHELL "/bin/sh"
#define PIPE_CMD_PATH "/usr/bin:/bin" /* PATH, as Postfix's _PATH_DEFPATH */
#define PIPE_CMD_OUTPUT_MAX 1024      /* output bytes kept for the reason */
#define PIPE_CMD_REASON_MAX 512
#define PIPE_CMD_GRACE_MS 200 /* output read after the command exits */

/* What the command learns about the delivery, as environment variables. */
struct pipe_cmd_env {
    const char *sender;    /* SENDER: the envelope sender, "" for <> */
    const char *recipient; /* RECIPIENT: the entire recipient address */
    const char *user;      /* USER and LOGNAME: the bare recipient name */
    const char *local;     /* LOCAL: the entire recipient local part */
    const char *extension; /* EXTENSION: the address extension; NULL: none */
    const char *domain;    /* DOMAIN: the recipient domain; NULL: none */
    const char *home;      /* HOME, also the working directory; NULL: none, "/" */
    const char *shell;     /* SHELL: the login shell; NULL: none */
};

struct pipe_cmd_request {
    const char *command; /* from an alias or .forward file, never from mail */
    uid_t uid;           /* the rights the command runs with; never 0 */
    gid_t gid;           /* its only group; never 0 */
    struct pipe_cmd_env env;
    maildir_write_fn write_fn; /* writes the whole message, local's headers first */
    void *write_ctx;
};

struct pipe_cmd_result {
    enum deliver_status status;
    char dsn[8];
    char reason[PIPE_CMD_REASON_MAX];
    unsigned char output[PIPE_CMD_OUTPUT_MAX]; /* raw, not NUL-terminated */
    size_t output_len;
    long long output_total; /* bytes the command wrote in all, kept or not */
    int wait_status;        /* as from waitpid(), -1 if the command never ran */
};

/*
 * Run req->command with the message on its standard input and fill *res
 * with the outcome; never fails otherwise, and never returns before the
 * command has been reaped.  Uses var_command_time_limit and
 * var_command_expansion_filter.
 */
void pipe_cmd_run(const struct pipe_cmd_request *req, struct pipe_cmd_result *res);

/*
 * The outcome of a command that ran and was reaped with wait_status, given
 * its captured output (out, len bytes, any content): status, dsn and reason
 * into *res, as the table in this file's header says.  Exported for tests.
 */
void pipe_cmd_classify(int wait_status, const unsigned char *out, size_t len, const char *command,
                       struct pipe_cmd_result *res);

#endif
