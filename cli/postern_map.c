/*
 * postern_map.c - "postern-map": build and query lookup tables, as
 * Postfix's postmap (and, with -a, postalias) do.
 *
 *   postern-map [-c dir] [-a] [type:]FILE      build FILE.db from FILE
 *   postern-map [-c dir] -q KEY [type:]FILE    print KEY's value; exit 1 if none
 *
 * type is hash (default_database_type) or btree for building; any table
 * type for -q.  A build is all or nothing (dict_build.h, which
 * postern-account shares): a daemon sees the old table or the new one and
 * never half of one, a syntax error names the file and line and changes
 * nothing, as root the table's directory must be root's alone, and the new
 * table gets the source file's owner and permissions, as postmap's.
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "dict.h"
#include "dict_build.h"
#include "mail_params.h"
#include "mymalloc.h"
#include "msg.h"

static NORETURN void usage(int status)
{
    fprintf(status ? stderr : stdout,
            "usage: postern-map [-c config_dir] [-a] [type:]file\n"
            "       postern-map [-c config_dir] -q key [type:]file\n"
            "  build file.db from file (type hash or btree), or with -q print the value of key\n"
            "  -a  the file is in aliases(5) syntax (name: value, ...)\n");
    exit(status);
}

/* One line on stderr (and the log), and the sysexits.h status. */
#define fail msg_fatal_code

/* Split "[type:]file" with the default type; the result is malloc'ed. */
static char *map_spec(const char *arg, char **file_r)
{
    const char *colon = strchr(arg, ':');

    if (colon && colon != arg && arg[0] != '/') {
        *file_r = xstrdup(colon + 1);
        return xstrdup(arg);
    }
    *file_r = xstrdup(arg);
    return xasprintf("%s:%s", var_default_database_type, arg);
}

static int query(const char *arg, const char *key)
{
    char *file, *spec = map_spec(arg, &file), *err = NULL;
    const char *value;
    struct dict *d;
    int r;

    if (dict_open(spec, DICT_FLAG_FOLD, &d, &err) < 0)
        fail(EX_NOINPUT, "%s", err);
    if ((r = dict_lookup(d, key, &value, &err)) < 0)
        fail(EX_TEMPFAIL, "%s", err);
    if (r > 0)
        printf("%s\n", value);
    dict_close(d);
    free(spec);
    free(file);
    return r > 0 ? 0 : 1;
}

static void build(const char *arg, bool aliases)
{
    char *file, *spec = map_spec(arg, &file), *err = NULL;
    int status;

    *strchr(spec, ':') = 0;
    status = dict_build(spec, file, aliases ? DICT_SYNTAX_ALIASES : DICT_SYNTAX_TABLE, &err);
    free(spec);
    free(file);
    if (status != 0)
        fail(status, "%s", err);
}

int main(int argc, char **argv)
{
    const char *config_dir = NULL, *key = NULL;
    bool aliases = false;
    char *err;
    int c;

    msg_init("postern-map");
    msg_syslog(false);
    msg_stderr(true, false);
    msg_fatal_status(EX_SOFTWARE);
    for (c = 1; c < argc; c++)
        if (strcmp(argv[c], "--help") == 0)
            usage(0);
    while ((c = getopt(argc, argv, "ac:q:")) != -1) {
        switch (c) {
        case 'a':
            aliases = true;
            break;
        case 'c':
            config_dir = optarg;
            break;
        case 'q':
            key = optarg;
            break;
        default:
            usage(EX_USAGE);
        }
    }
    if (optind != argc - 1)
        usage(EX_USAGE);
    if (mail_conf_load(config_dir, NULL, &err) < 0)
        fail(EX_CONFIG, "%s", err);
    if (key)
        return query(argv[optind], key);
    build(argv[optind], aliases);
    return 0;
}
