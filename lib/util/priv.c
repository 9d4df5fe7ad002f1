/*
 * priv.c - privilege changes with verification (see priv.h).
 */
#include "sys_defs.h"
#include "priv.h"
#include "msg.h"

void priv_drop(uid_t uid, gid_t gid, const char *chroot_dir)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;

    if (uid == 0)
        msg_fatal("refusing to drop privileges to user ID 0");
    if (chroot_dir) {
        if (chroot(chroot_dir) < 0)
            msg_fatal("chroot %s: %m", chroot_dir);
        if (chdir("/") < 0)
            msg_fatal("chdir / after chroot: %m");
    }
    if (setgroups(1, &gid) < 0)
        msg_fatal("setgroups %ld: %m", (long)gid);
    if (setresgid(gid, gid, gid) < 0)
        msg_fatal("setresgid %ld: %m", (long)gid);
    if (setresuid(uid, uid, uid) < 0)
        msg_fatal("setresuid %ld: %m", (long)uid);
    if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
        msg_fatal("getresuid: %m");
    if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
        msg_fatal("privilege drop did not take: uid %ld/%ld/%ld gid %ld/%ld/%ld", (long)ru,
                  (long)eu, (long)su, (long)rg, (long)eg, (long)sg);
    if (setuid(0) == 0 || seteuid(0) == 0)
        msg_fatal("privilege drop did not take: root can be regained");
}

int priv_as_user(uid_t uid, gid_t gid)
{
    if (geteuid() != 0)
        msg_panic("priv_as_user: not running as root");
    if (setgroups(1, &gid) < 0 || setegid(gid) < 0)
        return -1;
    if (seteuid(uid) < 0) {
        int saved = errno;

        if (setegid(0) < 0)
            msg_fatal("restore root group: %m");
        errno = saved;
        return -1;
    }
    return 0;
}

void priv_as_root(void)
{
    gid_t zero = 0;

    /* Failing to get root back would leave later deliveries as the wrong user. */
    if (seteuid(0) < 0)
        msg_fatal("seteuid 0: %m");
    if (setegid(0) < 0 || setgroups(1, &zero) < 0)
        msg_fatal("restore root groups: %m");
}
