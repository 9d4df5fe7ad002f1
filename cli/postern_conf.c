/*
 * postern_conf.c - "postern-conf": print main.cf parameters, as Postfix's
 * postconf does.
 *
 *   postern-conf [-c dir] [-n] [-d] [name ...]
 *     (default)  every parameter with its effective value
 *     -n         only parameters set in main.cf
 *     -d         default values instead of effective ones
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "mail_params.h"
#include "msg.h"

static NORETURN void usage(int status)
{
    fprintf(status ? stderr : stdout,
            "usage: postern-conf [-c config_dir] [-n] [-d] [parameter ...]\n"
            "  -n  show only parameters set in main.cf\n"
            "  -d  show default values\n");
    exit(status);
}

int main(int argc, char **argv)
{
    const char *config_dir = NULL;
    bool only_set = false, defaults = false;
    char *err;
    int c, ret = 0;
    size_t i;

    msg_init("postern-conf");
    msg_syslog(false);
    msg_stderr(true, false);
    msg_fatal_status(EX_CONFIG);
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(0);
    while ((c = getopt(argc, argv, "c:nd")) != -1) {
        switch (c) {
        case 'c':
            config_dir = optarg;
            break;
        case 'n':
            only_set = true;
            break;
        case 'd':
            defaults = true;
            break;
        default:
            usage(EX_USAGE);
        }
    }
    if (!defaults && mail_conf_load(config_dir, NULL, &err) < 0)
        msg_fatal("%s", err);
    if (optind < argc) {
        for (; optind < argc; optind++) {
            const char *v =
                defaults ? mail_param_default(argv[optind]) : mail_param_value(argv[optind]);

            if (v == NULL) {
                msg_warn("%s: unknown parameter", argv[optind]);
                ret = EX_CONFIG;
                continue;
            }
            printf("%s = %s\n", argv[optind], v);
        }
        return ret;
    }
    for (i = 0; mail_param_name(i) != NULL; i++) {
        const char *name = mail_param_name(i);

        if (only_set && !mail_param_is_set(name))
            continue;
        printf("%s = %s\n", name, defaults ? mail_param_default(name) : mail_param_value(name));
    }
    return 0;
}
