/*
 * auth.c - the auth service's start-up: the multi-server skeleton drops
 * to auth_owner (server_opts.user_param), then the password table is
 * opened as that user, the only one that can read it; and the check of
 * who is on the other end of each connection.
 *
 * master.cf:  auth  unix  n  -  n  -  1  auth
 *
 * One process (maxproc 1) on purpose: the failure counts per client
 * address live in its memory, so a second process would halve the limit's
 * effect.  The event loop serves every client; only the hash computation
 * itself (milliseconds) holds it up.
 */
#include "sys_defs.h"
#include "auth.h"
#include "mail_params.h"
#include "server.h"
#include "iostuff.h"
#include "msg.h"

/*
 * private/ and the socket in it are mail_owner's with mode 0700 and 0600,
 * so only mail_owner's daemons and root can connect at all.  The peer's
 * credentials are checked again here, so that a mistake in those modes
 * does not open the service to every local user.
 */
static bool auth_peer_ok(int fd)
{
    struct ucred uc;
    socklen_t len = sizeof(uc);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0) {
        msg_warn("SO_PEERCRED: %m");
        return false;
    }
    if (uc.uid == 0 || uc.uid == var_owner_uid)
        return true;
    msg_warn("refusing a connection from user ID %ld (pid %ld): only root and %s may ask",
             (long)uc.uid, (long)uc.pid, var_mail_owner);
    return false;
}

static void auth_accept(int fd)
{
    if (!auth_peer_ok(fd)) {
        close_quietly(fd);
        return;
    }
    auth_session_start(fd);
}

static void auth_post_init(void)
{
    auth_limit_init();
    auth_verify_init();
}

int main(int argc, char **argv)
{
    static const struct server_opts opts = {
        .user_param = "auth_owner",
        .run_forever = true, /* the failure counts must outlive max_idle */
        .post_init = auth_post_init,
    };

    multi_server_main(argc, argv, "auth", auth_accept, &opts);
}
