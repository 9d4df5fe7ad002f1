/*
 * setgid_cmd.c - start-up of the setgid user commands (see setgid_cmd.h).
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "setgid_cmd.h"
#include "mail_params.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"
#include "safe_open.h"

/*
 * The sanitizer build: a setgid process is not dumpable, so LeakSanitizer
 * (which stops the process the way a debugger would) cannot run at exit,
 * and the sanitizers ignore $ASAN_OPTIONS there (secure mode).  Say it
 * here; release builds have no sanitizer and no such function.
 */
#ifdef POSTERN_ASAN
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
#endif

/* The variables that survive, with their values copied before clearenv(). */
static const char *const setgid_keep_env[] = {
    "TZ",
#ifdef POSTERN_CRASH_POINTS
    "POSTERN_CRASH_POINT",
    "POSTERN_CRASH_DIR",
#endif
};

void setgid_cmd_init(void)
{
    char *keep[COUNTOF(setgid_keep_env)];
    struct stat st;
    size_t i;
    int fd;

    /* A closed 0, 1 or 2 would make the next open() a "standard" stream. */
    for (fd = 0; fd < 3; fd++) {
        if (fstat(fd, &st) == 0 || errno != EBADF)
            continue;
        if (open("/dev/null", O_RDWR) != fd) {
            msg_fatal_status(EX_OSERR);
            msg_fatal("open /dev/null: %m");
        }
    }
    umask(022);
    for (i = 0; i < COUNTOF(setgid_keep_env); i++) {
        const char *v = getenv(setgid_keep_env[i]);

        keep[i] = v ? xasprintf("%s=%s", setgid_keep_env[i], v) : NULL;
    }
    if (clearenv() != 0) {
        msg_fatal_status(EX_OSERR);
        msg_fatal("cannot clear the environment");
    }
    for (i = 0; i < COUNTOF(setgid_keep_env); i++)
        if (keep[i] && putenv(keep[i]) != 0) /* putenv keeps the string: not freed */
            msg_fatal("putenv: %m");
}

/* Is dir, and its main.cf, something only root can have made? */
static int setgid_conf_trusted(const char *dir, char **error_r)
{
    const char *why;
    struct stat st;
    char *abs;
    int fd;

    if ((abs = realpath(dir, NULL)) == NULL) {
        *error_r = xasprintf("configuration directory %s: %s", dir, strerror(errno));
        return -1;
    }
    fd = safe_open_dir_root(abs, &why);
    if (fd < 0) {
        *error_r = xasprintf("configuration directory %s: %s; as a user other than root, only a "
                             "directory that root alone can change is used",
                             abs, why);
        free(abs);
        return -1;
    }
    if (fstatat(fd, "main.cf", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
        st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        *error_r = xasprintf("%s/main.cf: missing, or not a file that root alone can change", abs);
        close_quietly(fd);
        free(abs);
        return -1;
    }
    close_quietly(fd);
    free(abs);
    return 0;
}

int setgid_conf_load(const char *config_dir, char **error_r)
{
    const char *dir = mail_conf_dir(config_dir);

    if (getuid() != 0 && setgid_conf_trusted(dir, error_r) < 0)
        return -1;
    return mail_conf_load(dir, NULL, error_r);
}
