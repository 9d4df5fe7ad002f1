/*
 * postern_account.c - "postern-account": virtual mailbox users, kept in
 * step across the mailbox map, the password table and the Maildirs.
 *
 *   postern-account [-c dir] add [-q quota] address   new user (password asked)
 *   postern-account [-c dir] del address              remove (the Maildir stays)
 *   postern-account [-c dir] passwd address           set a new password
 *   postern-account [-c dir] list [domain]            print the users
 *   postern-account [-c dir] check [-a client] address  is the password right?
 *
 * The commands are a table, with the ones that change something marked
 * root only, as OpenSMTPD's smtpctl marks its privileged entries.  The
 * address is read by the one RFC 5321 parser (mail_addr.h) and must also
 * make a safe path name, since the Maildir is named after it.
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "account.h"
#include "virtual.h"
#include "mail_params.h"
#include "iostuff.h"
#include "msg.h"

#define ACCOUNT_LOCK_WAIT_S 30

struct account_cmd {
    const char *name;
    bool root;       /* changes something: root only */
    const char *opt; /* getopt options after the command name */
    int nargs_min, nargs_max;
    int (*run)(const struct account_args *a);
};

static const struct account_cmd account_cmds[] = {
    {"add", true, "q:", 1, 1, account_add},      {"del", true, "", 1, 1, account_del},
    {"passwd", true, "", 1, 1, account_passwd},  {"list", false, "", 0, 1, account_list},
    {"check", false, "a:", 1, 1, account_check},
};

static NORETURN void usage(int status)
{
    if (status != 0) {
        fprintf(stderr, "postern-account: usage: postern-account [-c config_dir] "
                        "add|del|passwd|list|check [options] [address] (--help says more)\n");
        exit(status);
    }
    fprintf(stdout,
            "usage: postern-account [-c config_dir] command [options] [address]\n"
            "  add [-q quota] address  make a user: Maildir, mailbox map entry, password\n"
            "                          (quota=N[KMG] goes into the map for delivery)\n"
            "  del address             remove the password and the map entry; the Maildir\n"
            "                          is kept, remove it by hand when the mail is not wanted\n"
            "  passwd address          set a new password for a user of the mailbox map\n"
            "  list [domain]           print the users and their mailboxes\n"
            "  check [-a client] address\n"
            "                          read a password from stdin; exit 0 if it is right,\n"
            "                          1 if it is wrong or the user is unknown, 75 if it\n"
            "                          cannot be told.  It asks the auth service (as root\n"
            "                          or mail_owner), which delays failures and counts them\n"
            "                          for the client address (default \"local\"); only when\n"
            "                          the service is not running does root read the\n"
            "                          password table itself (delay, but no counting)\n"
            "Passwords come from the terminal without echo (twice for add and passwd),\n"
            "or one line of stdin when it is not a terminal.  add, del and passwd need\n"
            "root.  Exit status from sysexits.h on failure.\n");
    exit(status);
}

/*
 * The Maildir is named after the address, so the local part must make a
 * safe file name: letters, digits and . _ + = -, never "." or ".." or a
 * leading dot.  (The domain is an RFC 5321 domain: letters, digits,
 * hyphens and dots.)
 */
static bool account_local_ok(const char *local)
{
    const char *p;

    if (local[0] == 0 || local[0] == '.' || strstr(local, "..") != NULL)
        return false;
    for (p = local; *p; p++)
        if (!isalnum((unsigned char)*p) && strchr("._+=-", *p) == NULL)
            return false;
    return true;
}

static void account_parse_user(const char *text, struct account_user *u)
{
    size_t used = 0, len = strlen(text), i;
    const char *why = "not an address";

    if (mail_addr_parse_path((const unsigned char *)text, len, MAIL_ADDR_ALLOW_NO_BRACKETS,
                             &u->addr, &used, &why) < 0 ||
        used != len)
        account_fail(EX_DATAERR, "bad address \"%s\": %s", text, why);
    if (u->addr.domain[0] == 0 || u->addr.literal ||
        u->addr.domain[strlen(u->addr.domain) - 1] == '.')
        account_fail(EX_DATAERR, "bad address \"%s\": a user needs a domain name", text);
    if (!account_local_ok(u->addr.local))
        account_fail(EX_DATAERR,
                     "bad address \"%s\": a user's local part may have letters, digits "
                     "and . _ + = - only",
                     text);
    for (i = 0; u->addr.local[i]; i++)
        u->addr.local[i] = (char)ASCII_TOLOWER(u->addr.local[i]);
    for (i = 0; u->addr.domain[i]; i++)
        u->addr.domain[i] = (char)ASCII_TOLOWER(u->addr.domain[i]);
    mail_addr_internal(&u->addr, u->text, sizeof(u->text));
}

void account_lock(const struct account_table *pass)
{
    char path[PATH_MAX];
    int fd, i;

    snprintf(path, sizeof(path), "%s.lock", pass->file);
    if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
        account_fail(EX_CANTCREAT, "open %s: %m", path);
    for (i = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            account_fail(EX_IOERR, "lock %s: %m", path);
        if (i >= ACCOUNT_LOCK_WAIT_S * 10)
            account_fail(EX_TEMPFAIL, "%s: another postern-account is still running", path);
        usleep(100000);
    }
    /* fd stays open, and locked, until we exit */
}

/*
 * A quota as the mailbox map holds it ("quota=500M"), read by the parser
 * virtual delivery uses; zero would mean "no quota", which is no -q.
 */
static bool account_quota_ok(const char *q)
{
    long long bytes;

    return virtual_parse_size(q, &bytes) == 0 && bytes > 0;
}

static const struct account_cmd *account_find(const char *name)
{
    size_t i;

    for (i = 0; i < COUNTOF(account_cmds); i++)
        if (strcmp(account_cmds[i].name, name) == 0)
            return account_cmds + i;
    return NULL;
}

/* The command's own options and arguments into a. */
static void account_args(const struct account_cmd *cmd, int argc, char **argv,
                         struct account_args *a)
{
    char opts[16];
    int c;

    snprintf(opts, sizeof(opts), "+%s", cmd->opt);
    optind = 0; /* glibc: start afresh on the new vector */
    while ((c = getopt(argc, argv, opts)) != -1) {
        if (c == 'q')
            a->quota = optarg;
        else if (c == 'a')
            a->client = optarg;
        else
            usage(EX_USAGE);
    }
    if (a->quota && !account_quota_ok(a->quota))
        account_fail(EX_USAGE,
                     "bad quota \"%s\": expected a number of bytes, or of K, M or G "
                     "(1024, 1024^2, 1024^3 bytes), like 500M",
                     a->quota);
    if (argc - optind < cmd->nargs_min || argc - optind > cmd->nargs_max)
        usage(EX_USAGE);
    if (argc > optind && strcmp(cmd->name, "list") == 0)
        a->domain = argv[optind];
    else if (argc > optind)
        account_parse_user(argv[optind], &a->user);
}

int main(int argc, char **argv)
{
    const struct account_cmd *cmd;
    struct account_args a = {0};
    const char *config_dir = NULL;
    char *err;
    int c;

    msg_init("postern-account");
    msg_syslog(false);
    msg_stderr(true, false);
    msg_fatal_status(EX_SOFTWARE);
    umask(077); /* every file made here gets its mode explicitly; nothing more by accident */
    for (c = 1; c < argc; c++)
        if (strcmp(argv[c], "--help") == 0)
            usage(0);
    opterr = 0; /* a bad option gets our one line, not getopt's as well */
    while ((c = getopt(argc, argv, "+c:")) != -1) {
        if (c != 'c')
            usage(EX_USAGE);
        config_dir = optarg;
    }
    if (optind >= argc || (cmd = account_find(argv[optind])) == NULL)
        usage(EX_USAGE);
    account_args(cmd, argc - optind, argv + optind, &a);
    if (cmd->root && geteuid() != 0)
        account_fail(EX_NOPERM, "the %s command requires root privileges", cmd->name);
    if (mail_conf_load(config_dir, NULL, &err) < 0)
        account_fail(EX_CONFIG, "%s", err);
    if (mail_owner_lookup(&err) < 0)
        account_fail(EX_CONFIG, "%s", err);
    return cmd->run(&a);
}
