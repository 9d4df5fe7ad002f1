/*
 * auth_verify.c - the password table (auth_password_maps) and the check
 * of one password against it.
 *
 * The table is opened once, after the drop to auth_owner, and dict.h
 * reopens a file that postern-account replaced (at most once a second,
 * keeping the old contents if the new file does not open).  A table that
 * cannot be opened at all is retried at the next request, at most once a
 * second, and until then every request gets "tempfail", never "fail": a
 * broken file must not look like wrong passwords (and be counted against
 * the clients).
 */
#include "sys_defs.h"
#include "auth.h"
#include "events.h"
#include "mail_params.h"
#include "maps.h"
#include "mymalloc.h"
#include "msg.h"
#include "pass_crypt.h"

#define AUTH_VERIFY_RETRY_MS 1000

static struct maps *verify_maps;
static long long verify_retry_ms;
/* Checked for unknown users, so that they cost what a known user costs. */
static char verify_stand_in[PASS_CRYPT_HASH_MAX];

static void verify_open(void)
{
    char *err;

    verify_retry_ms = event_now_ms() + AUTH_VERIFY_RETRY_MS;
    if (maps_open("auth_password_maps", var_auth_password_maps, &verify_maps, &err) == 0) {
        if (maps_empty(verify_maps))
            msg_warn("auth_password_maps is empty: every login fails");
        return;
    }
    msg_warn("%s; logins fail with a temporary error until it opens", err);
    free(err);
    verify_maps = NULL;
}

void auth_verify_init(void)
{
    const char *why;

    /* Its password does not matter: an unknown user fails whatever matches. */
    if (pass_crypt_hash("postern stand-in", PASS_SCHEME_BEST, verify_stand_in,
                        sizeof(verify_stand_in), &why) < 0)
        msg_fatal("cannot make a password hash: %s", why);
    verify_open();
}

/* Spend the time a real check takes, for a user with no usable hash. */
static void verify_stand_in_check(const char *password)
{
    const char *why;

    (void)pass_crypt_verify(password, verify_stand_in, &why);
}

enum auth_status auth_verify(const char *user, const char *password, const char **why_r)
{
    const char *hash, *why = NULL;
    char *err;
    int r;

    if (verify_maps == NULL && event_now_ms() >= verify_retry_ms)
        verify_open();
    if (verify_maps == NULL) {
        *why_r = "the password table cannot be read";
        return AUTH_TEMPFAIL;
    }
    if ((r = maps_find(verify_maps, user, &hash, &err)) < 0) {
        msg_warn("%s", err);
        free(err);
        *why_r = "the password table cannot be read";
        return AUTH_TEMPFAIL;
    }
    if (r == 0) {
        verify_stand_in_check(password);
        *why_r = "unknown user";
        return AUTH_FAIL;
    }
    if ((r = pass_crypt_verify(password, hash, &why)) < 0) {
        msg_warn("auth_password_maps: the hash of %s is unusable (%s): set a new password", user,
                 why);
        verify_stand_in_check(password);
        *why_r = "unusable password hash";
        return AUTH_FAIL;
    }
    *why_r = r ? "" : "wrong password";
    return r ? AUTH_OK : AUTH_FAIL;
}
