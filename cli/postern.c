/*
 * postern.c - the "postern" command: start, stop, reload, status, check and
 * start-fg, as Postfix's "postfix" command does them.
 *
 * It never needs the daemons to report a configuration error: "check" and
 * "start" validate main.cf, master.cf, the accounts and the programs first,
 * and print one line naming the file and line of the first problem.
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "mail_params.h"
#include "master_cf.h"
#include "mynetworks.h"
#include "queue.h"
#include "resolve.h"
#include "maps.h"
#include "local_user.h"
#include "virtual.h"
#include "server.h"
#include "dns.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"
#include "strutil.h"
#include "safe_open.h"
#include "restrict_conf.h"
#include "tls_params.h"

#define STOP_WAIT_SECS 30

static const char *config_dir;

static NORETURN void usage(int status)
{
    FILE *fp = status == 0 ? stdout : stderr;

    fprintf(fp, "usage: postern [-c config_dir] [-v] command\n"
                "commands:\n"
                "  start      start the mail system in the background\n"
                "  start-fg   run the mail system in the foreground, logging to stderr too\n"
                "  stop       stop the mail system\n"
                "  reload     re-read main.cf and master.cf\n"
                "  status     tell whether the mail system is running\n"
                "  check      check the configuration and exit\n");
    exit(status);
}

/* One line on stderr (and the log), and the sysexits.h status. */
#define fail msg_fatal_code

/* The pid of a running master, or 0. */
static pid_t master_running(void)
{
    char path[PATH_MAX], text[32] = "", *end;
    long long pid;
    int fd;

    snprintf(path, sizeof(path), "%s/%s/master.pid", var_queue_dir, QUEUE_PID);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    if (flock(fd, LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK) {
        close_quietly(fd);
        return 0; /* nobody holds the lock: master is not running */
    }
    if (read_full(fd, text, sizeof(text) - 1) < 0)
        text[0] = 0;
    close_quietly(fd);
    errno = 0;
    pid = strtoll(text, &end, 10); /* "%10ld\n": leading blanks are skipped */
    if (errno || end == text || (*end != '\n' && *end != 0) || pid <= 0 || pid > INT_MAX)
        return 0;
    return (pid_t)pid;
}

static bool program_ok(const char *name, char **why)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/%s", var_daemon_dir, name);
    if (access(path, X_OK) < 0) {
        *why = xasprintf("%s: %s", path, strerror(errno));
        return false;
    }
    return true;
}

/*
 * An smtpd service that offers TLS must have keys and certificates that
 * load and match: build its TLS context as smtpd would (without touching
 * the shared ticket keys), and report OpenSSL's reason.
 */
static int check_smtpd_tls(char **error_r)
{
    struct tls_server_params p;

    if (!tls_params_smtpd_wanted())
        return 0;
    tls_params_smtpd(&p);
    p.ticket_key_file = "";
    return tls_server_init(&p, error_r);
}

/* Everything "check" and "start" verify; exits with one line on a problem. */
static void check_config(void)
{
    struct master_ent *ents;
    struct maps *aliases;
    struct restrict_conf restrictions;
    struct net_list exceptions = {NULL, 0};
    struct local_user privs;
    char *err, *path;
    const char *why;
    size_t n, i;
    bool auth = false, proxymap = false, jailed_smtpd = false;
    uid_t uid;
    gid_t gid;

    if (mail_conf_load(config_dir, NULL, &err) < 0)
        fail(EX_CONFIG, "%s", err);
    path = xasprintf("%s/master.cf", mail_conf_dir(config_dir));
    if (master_cf_read(path, (int)var_default_process_limit, &ents, &n, &err) < 0)
        fail(EX_CONFIG, "%s", err);
    free(path);
    for (i = 0; i < n; i++) {
        /* The service's -o values must be valid for their parameters too. */
        if (mail_conf_load(config_dir, ents[i].overrides, &err) < 0)
            fail(EX_CONFIG, "%s, line %d: %s", ents[i].file, ents[i].line, err);
        /* A service's -o restriction lists must hold too (tables: below, for main.cf's). */
        if (ents[i].overrides[0] && restrict_conf_load(0, &restrictions, &err) < 0)
            fail(EX_CONFIG, "%s, line %d: %s", ents[i].file, ents[i].line, err);
        if (ents[i].overrides[0])
            restrict_conf_free(&restrictions);
        if (strcmp(ents[i].command, "smtpd") == 0 && check_smtpd_tls(&err) < 0)
            fail(EX_CONFIG, "%s, line %d: smtpd TLS: %s", ents[i].file, ents[i].line, err);
        if (!program_ok(ents[i].command, &err))
            fail(EX_CONFIG, "%s, line %d: %s", ents[i].file, ents[i].line, err);
        auth |= strcmp(ents[i].command, "auth") == 0;
        proxymap |= strcmp(ents[i].command, "proxymap") == 0;
        jailed_smtpd |= ents[i].chroot && strcmp(ents[i].command, "smtpd") == 0;
        if (ents[i].chroot && master_chroot_refused(ents[i].command))
            fail(EX_CONFIG, "%s, line %d: %s cannot run chrooted: %s", ents[i].file, ents[i].line,
                 ents[i].command, master_chroot_refused(ents[i].command));
    }
    /* A chrooted smtpd would answer 451 to every recipient it must look up. */
    if (jailed_smtpd && !proxymap)
        fail(EX_CONFIG, "master.cf: smtpd runs chrooted, but no service runs proxymap, which "
                        "looks up tables and accounts for it");
    if (!program_ok("master", &err))
        fail(EX_CONFIG, "daemon_directory: %s", err);
    master_cf_free(ents, n);
    if (mail_conf_load(config_dir, NULL, &err) < 0)
        fail(EX_CONFIG, "%s", err);
    if (mail_owner_lookup(&err) < 0)
        fail(EX_CONFIG, "%s", err);
    /* The auth service runs as its own user (server.h) and would not start. */
    if (auth && server_user_lookup("auth_owner", &uid, &gid, &err) < 0)
        fail(EX_CONFIG, "%s", err);
    if (getgrnam(var_setgid_group) == NULL)
        fail(EX_CONFIG, "setgid_group: unknown group \"%s\"", var_setgid_group);
    if (mynetworks_init(&err) < 0 || resolve_init(&err) < 0 || virtual_init(&err) < 0)
        fail(EX_CONFIG, "%s", err);
    /* smtpd's other lists of networks, which it reads at start and would not start. */
    if (net_list_init(&exceptions, "smtpd_client_event_limit_exceptions",
                      var_smtpd_client_event_limit_exceptions, &err) < 0 ||
        net_list_init(&exceptions, "smtpd_forbid_bare_newline_exclusions",
                      var_smtpd_forbid_bare_newline_exclusions, &err) < 0)
        fail(EX_CONFIG, "%s", err);
    free(exceptions.nets); /* net_list_init() freed the first list's */
    /* smtpd's restriction lists, and their tables, as smtpd will open them. */
    if (restrict_conf_load(RESTRICT_FLAG_OPEN, &restrictions, &err) < 0)
        fail(EX_CONFIG, "%s", err);
    restrict_conf_free(&restrictions);
    /* The tables smtpd and local open: a missing .db stops them, so say so now. */
    if (maps_open("alias_maps", var_alias_maps, &aliases, &err) < 0)
        fail(EX_CONFIG, "%s", err);
    maps_free(aliases);
    if (maps_open("smtpd_sender_login_maps", var_smtpd_sender_login_maps, &aliases, &err) < 0)
        fail(EX_CONFIG, "%s", err);
    maps_free(aliases);
    if (local_user_by_name(var_default_privs, &privs) != LOCAL_USER_FOUND || privs.uid == 0 ||
        privs.gid == 0)
        fail(EX_CONFIG, "default_privs: \"%s\" is not an unprivileged account", var_default_privs);
    if (*var_dns_resolver_conf && dns_init(var_dns_resolver_conf, &why) < 0)
        fail(EX_CONFIG, "dns_resolver_conf %s: %s", var_dns_resolver_conf, why);
    /* Every daemon opens it as root: a path someone else controls is an error. */
    if (*var_maillog_file && geteuid() == 0) {
        int fd = safe_open_append(var_maillog_file, 0640, &why);

        if (fd < 0)
            fail(EX_CONFIG, "maillog_file %s: %s", var_maillog_file, why);
        close_quietly(fd);
    }
    /* local would defer every message (4.3.5) with either of these. */
    if (var_home_mailbox[0] == '/')
        fail(EX_CONFIG, "home_mailbox = \"%s\": must be relative to the home directory",
             var_home_mailbox);
    if (var_home_mailbox[0] == 0 && var_mail_spool_dir[0] != '/')
        fail(EX_CONFIG, "mail_spool_directory = \"%s\": must be an absolute path",
             var_mail_spool_dir);
}

static void exec_master(bool foreground)
{
    char path[PATH_MAX];
    char *argv[6];
    int n = 0;

    snprintf(path, sizeof(path), "%s/master", var_daemon_dir);
    argv[n++] = path;
    argv[n++] = "-c";
    argv[n++] = (char *)mail_conf_dir(config_dir);
    if (foreground)
        argv[n++] = "-f";
    argv[n] = NULL;
    execv(path, argv);
    fail(EX_OSERR, "exec %s: %m", path);
}

static void need_root(const char *command)
{
    if (geteuid() != 0)
        fail(EX_NOPERM, "the %s command requires root privileges", command);
}

static int cmd_stop(void)
{
    pid_t pid = master_running();
    int i;

    if (pid == 0)
        fail(EX_UNAVAILABLE, "the Postern mail system is not running");
    msg_info("stopping the Postern mail system");
    if (kill(pid, SIGTERM) < 0)
        fail(EX_OSERR, "kill %ld: %m", (long)pid);
    for (i = 0; i < STOP_WAIT_SECS * 10; i++) {
        if (master_running() == 0)
            return 0;
        usleep(100000);
    }
    fail(EX_TEMPFAIL, "the Postern mail system did not stop within %d seconds", STOP_WAIT_SECS);
}

int main(int argc, char **argv)
{
    const char *cmd;
    pid_t pid;
    int c;

    msg_init("postern");
    msg_syslog(false);
    msg_stderr(true, false);
    msg_fatal_status(EX_SOFTWARE);
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        usage(0);
    while ((c = getopt(argc, argv, "c:v")) != -1) {
        switch (c) {
        case 'c':
            config_dir = optarg;
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            usage(EX_USAGE);
        }
    }
    if (optind != argc - 1)
        usage(EX_USAGE);
    cmd = argv[optind];
    if (strcmp(cmd, "check") == 0) {
        check_config();
        return 0;
    }
    if (strcmp(cmd, "start") == 0 || strcmp(cmd, "start-fg") == 0) {
        need_root(cmd);
        check_config();
        if ((pid = master_running()) != 0)
            fail(EX_UNAVAILABLE, "the Postern mail system is already running (pid %ld)", (long)pid);
        exec_master(strcmp(cmd, "start-fg") == 0);
    }
    {
        char *err;

        /* A broken main.cf must not keep anyone from stopping the system. */
        if (mail_conf_load(config_dir, NULL, &err) < 0) {
            if (strcmp(cmd, "reload") == 0 || mail_conf_load_lenient(config_dir) < 0)
                fail(EX_CONFIG, "%s", err);
            msg_warn("%s", err);
            free(err);
        }
    }
    if (strcmp(cmd, "stop") == 0) {
        need_root(cmd);
        return cmd_stop();
    }
    if (strcmp(cmd, "reload") == 0) {
        need_root(cmd);
        check_config();
        if ((pid = master_running()) == 0)
            fail(EX_UNAVAILABLE, "the Postern mail system is not running");
        msg_info("refreshing the Postern mail system");
        if (kill(pid, SIGHUP) < 0)
            fail(EX_OSERR, "kill %ld: %m", (long)pid);
        return 0;
    }
    if (strcmp(cmd, "status") == 0) {
        if ((pid = master_running()) == 0)
            fail(EX_UNAVAILABLE, "the Postern mail system is not running");
        printf("the Postern mail system is running: PID: %ld\n", (long)pid);
        return 0;
    }
    msg_fatal_status(EX_USAGE);
    msg_fatal("unknown command \"%s\"; try postern --help", cmd);
}
