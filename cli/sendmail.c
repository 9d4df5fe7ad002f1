/*
 * sendmail.c - "sendmail", the interface every Unix program expects, as
 * Postfix's sendmail (see sendmail.h for its parts):
 *
 *   sendmail [options] [recipient ...]    a message on standard input
 *   mailq, sendmail -bp                   list the queue (postern-queue -p)
 *   newaliases, sendmail -bi, -I          build alias_database (postern-map -a)
 *   sendmail -bs                          SMTP on standard input and output
 *   sendmail -q                           ask for a queue run (postdrop -w)
 *
 * Options as Postfix takes them: -t -i -oi -f -r -F -N -R -V -v -B -C,
 * and -c DIR as every Postern command; the rest of Sendmail's are accepted
 * and ignored, as there.  The mode comes from argv[0] first and options
 * after it, so "newaliases -bp" lists the queue, as in Postfix.
 *
 * The other modes are other programs, found in command_directory: the
 * setgid ones (postdrop, postern-queue) because only they may reach the
 * queue, postern-map because it is the one table builder.
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "sendmail.h"
#include "mail_params.h"
#include "maildrop.h"
#include "mymalloc.h"
#include "msg.h"
#include "qfile.h"
#include "strutil.h"

enum sm_mode {
    SM_ENQUEUE,
    SM_MAILQ,
    SM_NEWALIAS,
    SM_FLUSHQ,
    SM_SMTP,
    SM_IGNORE,
};

const char *sm_config_dir;
static const char *sm_argv0 = "sendmail";

const char *sm_login(void)
{
    static char name[64];
    struct passwd *pw;

    if (name[0] == 0) {
        if ((pw = getpwuid(getuid())) == NULL)
            snprintf(name, sizeof(name), "uid%ld", (long)getuid());
        else
            str_copy(name, pw->pw_name, sizeof(name));
    }
    return name;
}

void sm_fail(int status, const char *fmt, ...)
{
    char text[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    msg_fatal_status(status);
    msg_fatal("%s(%ld): %s", sm_login(), (long)getuid(), text);
}

static NORETURN void usage(int status)
{
    fprintf(status ? stderr : stdout,
            "usage: %s [options] [recipient ...]   (the message on standard input)\n"
            "  -t           recipients from To:, Cc: and Bcc: too (Bcc: is removed)\n"
            "  -i, -oi      a line with only \".\" does not end the message\n"
            "  -f sender    envelope sender        -F name  full name for From:\n"
            "  -N dsn       never, or success,failure,delay   -R full|hdrs   -V envid\n"
            "  -bp          list the queue (mailq) -bi      build the aliases (newaliases)\n"
            "  -bs          SMTP on standard input and output\n"
            "  -q           ask for a queue run    -v       say more\n"
            "  -c dir, -C dir  configuration directory\n",
            sm_argv0);
    exit(status);
}

/* Run command_directory/program with these arguments, in our place. */
static NORETURN void sm_exec(const char *program, char **argv)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/%s", var_command_dir, program);
    execv(path, argv);
    sm_fail(EX_UNAVAILABLE, "execute %s: %m", path);
}

/* newaliases: postern-map -a for each table of alias_database, in turn. */
static NORETURN void sm_newaliases(const struct sm_opts *o)
{
    char path[PATH_MAX], **tables, *argv[6];
    size_t n, i;
    int status;
    pid_t pid;

    tables = str_split_list(o->alias_db ? o->alias_db : var_alias_database, &n);
    snprintf(path, sizeof(path), "%s/postern-map", var_command_dir);
    for (i = 0; i < n; i++) {
        argv[0] = "postern-map";
        argv[1] = "-c";
        argv[2] = (char *)sm_config_dir;
        argv[3] = "-a";
        argv[4] = tables[i];
        argv[5] = NULL;
        if ((pid = fork()) < 0)
            sm_fail(EX_OSERR, "fork: %m");
        if (pid == 0) {
            execv(path, argv);
            msg_error("%s(%ld): execute %s: %m", sm_login(), (long)getuid(), path);
            _exit(EX_UNAVAILABLE);
        }
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR)
                sm_fail(EX_OSERR, "waitpid: %m");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            exit(WIFEXITED(status) ? WEXITSTATUS(status) : EX_SOFTWARE);
    }
    str_list_free(tables);
    exit(0);
}

/* -N: never, or a list of success, failure and delay (Postfix warns and ignores a bad one). */
static int sm_notify_opt(const char *v)
{
    char **words;
    size_t n, i;
    int bits = 0;

    words = str_split_list(v, &n);
    for (i = 0; i < n && bits >= 0; i++) {
        if (str_eq_nocase(words[i], "never") && n == 1)
            bits = QFILE_NOTIFY_NEVER;
        else if (str_eq_nocase(words[i], "success"))
            bits |= QFILE_NOTIFY_SUCCESS;
        else if (str_eq_nocase(words[i], "failure"))
            bits |= QFILE_NOTIFY_FAILURE;
        else if (str_eq_nocase(words[i], "delay"))
            bits |= QFILE_NOTIFY_DELAY;
        else
            bits = -1;
    }
    str_list_free(words);
    if (bits <= 0) {
        msg_warn("bad -N option value -- ignored");
        return 0;
    }
    return bits;
}

/* -C may name main.cf itself, as in Postfix. */
static const char *sm_config_opt(const char *arg)
{
    const char *slash = strrchr(arg, '/');

    if (strcmp(slash ? slash + 1 : arg, "main.cf") == 0)
        return slash ? (slash == arg ? "/" : xstrndup(arg, (size_t)(slash - arg))) : ".";
    return arg;
}

/* -b MODE; -o X; -q X: the options with letters of their own. */
static void sm_option_b(const char *arg, enum sm_mode *mode)
{
    switch (arg[0]) {
    case 'i':
        *mode = SM_NEWALIAS;
        break;
    case 'm':
        *mode = SM_ENQUEUE;
        break;
    case 'p':
        *mode = SM_MAILQ;
        break;
    case 's':
        *mode = SM_SMTP;
        break;
    case 'h':
    case 'H':
        *mode = SM_IGNORE;
        break;
    case 'd':
        sm_fail(EX_USAGE, "-bd is not supported: use \"postern start\"");
    default:
        sm_fail(EX_USAGE, "unsupported: -b%c", arg[0]);
    }
}

static void sm_option_o(const char *arg, struct sm_opts *o)
{
    if (arg[0] == 'i')
        o->dot_ends = false;
    else if (arg[0] == 'A') {
        if (arg[1] == 0)
            sm_fail(EX_USAGE, "-oA requires pathname");
        o->alias_db = arg + 1;
    } else if (msg_verbose)
        msg_info("-o%c option ignored", arg[0]);
}

static void sm_option_q(const char *arg, enum sm_mode *mode)
{
    if (isdigit((unsigned char)arg[0]))
        *mode = SM_IGNORE; /* a queue run interval: queue_run_delay's job */
    else
        sm_fail(EX_USAGE, "-q%c is not implemented", arg[0]);
}

static void sm_option(int c, const char *arg, struct sm_opts *o, enum sm_mode *mode)
{
    switch (c) {
    case 'B':
        if (strcmp(arg, "8BITMIME") != 0 && strcmp(arg, "7BIT") != 0)
            sm_fail(EX_USAGE, "-B option needs 8BITMIME or 7BIT");
        break;
    case 'C':
    case 'c':
        sm_config_dir = sm_config_opt(arg);
        break;
    case 'F':
        o->full_name = arg;
        break;
    case 'f':
    case 'r':
        o->sender = arg;
        break;
    case 'I':
        *mode = SM_NEWALIAS;
        break;
    case 'i':
        o->dot_ends = false;
        break;
    case 'N':
        o->notify = sm_notify_opt(arg);
        break;
    case 'R':
        if (str_eq_nocase(arg, "full") || str_eq_nocase(arg, "hdrs"))
            o->dsn_ret = str_eq_nocase(arg, "full") ? "FULL" : "HDRS";
        else
            msg_warn("bad -R option value -- ignored");
        break;
    case 'V':
        if (maildrop_envid_ok(arg))
            o->dsn_envid = arg;
        else
            msg_warn("bad -V option value -- ignored");
        break;
    case 'b':
        sm_option_b(arg, mode);
        break;
    case 'o':
        sm_option_o(arg, o);
        break;
    case 'q':
        sm_option_q(arg, mode);
        break;
    case 't':
        o->extract = true;
        break;
    case 'v':
        msg_verbose++;
        break;
    case 'n':
        sm_fail(EX_USAGE, "-n option not supported");
    case 'X':
        sm_fail(EX_USAGE, "unsupported: -X%c", arg[0]);
    case '?':
        usage(EX_USAGE);
    default: /* Sendmail's options that mean nothing here, as in Postfix */
        if (msg_verbose)
            msg_info("-%c option ignored", c);
        break;
    }
}

#define SM_GETOPT "+A:B:C:F:GIL:N:O:R:UV:X:b:c:e:f:h:imno:p:r:q:tvx"

/* Options up to the first recipient; -q alone is no getopt option. */
static void sm_options(int argc, char **argv, struct sm_opts *o, enum sm_mode *mode)
{
    int c;

    opterr = 0;
    while (optind < argc) {
        if (strcmp(argv[optind], "-q") == 0) {
            *mode = SM_FLUSHQ;
            optind++;
            continue;
        }
        if ((c = getopt(argc, argv, SM_GETOPT)) == -1)
            break;
        sm_option(c, optarg, o, mode);
    }
    o->rcpts = argv + optind;
}

/* Load main.cf; a broken or unreadable one is EX_CONFIG, with its file and line. */
static void sm_config(void)
{
    char *err;

    sm_config_dir = xstrdup(mail_conf_dir(sm_config_dir));
    if (mail_conf_load(sm_config_dir, NULL, &err) < 0) {
        msg_fatal_status(EX_CONFIG);
        msg_fatal("%s", err);
    }
    if (!mail_addr_domain_ok(var_myorigin, strlen(var_myorigin)))
        sm_fail(EX_CONFIG, "myorigin = %s: not a domain name", var_myorigin);
    if (*var_maillog_file == 0)
        msg_syslog(true); /* maillog_file is root's: a user's sendmail cannot log there */
}

static enum sm_mode sm_mode_of(const char *argv0)
{
    const char *base = strrchr(argv0, '/');

    base = base ? base + 1 : argv0;
    if (strcmp(base, "mailq") == 0)
        return SM_MAILQ;
    if (strcmp(base, "newaliases") == 0)
        return SM_NEWALIAS;
    return SM_ENQUEUE;
}

/* Run what the mode says; the modes but the first take no recipients. */
static NORETURN void sm_run(enum sm_mode mode, const struct sm_opts *o)
{
    char *argv[6] = {NULL, "-c", (char *)sm_config_dir, NULL, NULL, NULL};
    static const char *const what[] = {
        [SM_MAILQ] = "display queue mode", [SM_NEWALIAS] = "alias initialization mode",
        [SM_FLUSHQ] = "flush queue mode",  [SM_SMTP] = "stand-alone mode",
        [SM_IGNORE] = "this mode",
    };

    if (mode == SM_ENQUEUE)
        sm_enqueue(o);
    if (o->extract)
        sm_fail(EX_USAGE, "-t can be used only in delivery mode");
    if (*o->rcpts)
        sm_fail(EX_USAGE, "%s requires no recipient", what[mode]);
    argv[4] = msg_verbose ? "-v" : NULL;
    switch (mode) {
    case SM_MAILQ:
        argv[0] = "postern-queue", argv[3] = "-p";
        sm_exec("postern-queue", argv);
    case SM_FLUSHQ:
        argv[0] = "postdrop", argv[3] = "-w";
        sm_exec("postdrop", argv);
    case SM_NEWALIAS:
        sm_newaliases(o);
    case SM_SMTP:
        sm_smtp(o);
    default:
        exit(0);
    }
}

/*
 * A closed 0, 1 or 2 would make the pipe to postdrop a "standard" stream,
 * and an error message would go down it: open them on /dev/null first.
 */
static void sm_std_fds(void)
{
    struct stat st;
    int fd;

    for (fd = 0; fd < 3; fd++)
        if (fstat(fd, &st) < 0 && errno == EBADF && open("/dev/null", O_RDWR) != fd)
            exit(EX_OSERR);
}

int main(int argc, char **argv)
{
    struct sm_opts o = {.dot_ends = true};
    enum sm_mode mode;
    int c;

    sm_std_fds();

    if (argv[0] && *argv[0])
        sm_argv0 = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    msg_init(sm_argv0);
    msg_syslog(false);
    msg_stderr(true, false);
    msg_fatal_status(EX_TEMPFAIL);
    /* Installed set-uid by mistake: become the user, as Postfix's sendmail does. */
    if (geteuid() == 0 && getuid() != 0) {
        msg_warn("sendmail must not be set-uid root; running as the user");
        if (setgid(getgid()) < 0 || setuid(getuid()) < 0)
            sm_fail(EX_OSERR, "cannot drop the set-uid privilege: %m");
    }
    signal(SIGPIPE, SIG_IGN);
    for (c = 1; c < argc; c++)
        if (strcmp(argv[c], "--help") == 0)
            usage(0);
    mode = sm_mode_of(argv[0] ? argv[0] : "sendmail");
    sm_options(argc, argv, &o, &mode);
    sm_config();
    sm_run(mode, &o);
}
