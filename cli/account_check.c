/*
 * account_check.c - "postern-account check ADDRESS": is the password on
 * stdin right?  Exit 0 yes, 1 no (wrong password or unknown user, which
 * look the same, delay included), 75 when it cannot be told.
 *
 * It asks the auth service, like every other client, so the answer is
 * the one smtpd, pop3d and imapd would get, failures are delayed and
 * counted there, and the hashes stay in the service.  Only when the
 * service is not running may root read the password table itself; it
 * then spends a hash computation on an unknown user too, and sleeps
 * auth_failure_delay after a failure, but counts nothing.
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "account.h"
#include "auth_client.h"
#include "mail_params.h"
#include "maps.h"
#include "msg.h"

/* The check without the service, as root; a table that cannot answer ends the command. */
static enum auth_status account_check_alone(const struct auth_request *r)
{
    char stand_in[PASS_CRYPT_HASH_MAX];
    const char *hash, *why;
    struct maps *m;
    char *err;
    int found, ok = 0;

    if (maps_open("auth_password_maps", var_auth_password_maps, &m, &err) < 0 ||
        (found = maps_find(m, r->user, &hash, &err)) < 0)
        account_fail(EX_TEMPFAIL, "%s: cannot tell: %s", r->user, err);
    if (found == 0)
        (void)pass_crypt_hash(r->password, PASS_SCHEME_BEST, stand_in, sizeof(stand_in), &why);
    else if ((ok = pass_crypt_verify(r->password, hash, &why)) < 0)
        msg_warn("auth_password_maps: the hash of %s is unusable (%s)", r->user, why);
    maps_free(m);
    if (ok <= 0 && var_auth_failure_delay > 0)
        sleep((unsigned)var_auth_failure_delay);
    return ok > 0 ? AUTH_OK : AUTH_FAIL;
}

/* Ask the service; without one, root checks alone.  Exits if neither can. */
static enum auth_status account_ask(const struct auth_request *r, const char **why_r)
{
    char path[PATH_MAX];
    int ret;

    snprintf(path, sizeof(path), "%s/%s", var_queue_dir, AUTH_SOCKET);
    if ((ret = auth_client_check(path, r, auth_client_timeout_ms(), why_r)) >= 0)
        return (enum auth_status)ret;
    if (errno == EACCES)
        account_fail(EX_NOPERM, "connect to %s: %s: only root and %s may ask the auth service",
                     path, *why_r, var_mail_owner);
    if (errno != ENOENT && errno != ECONNREFUSED)
        account_fail(EX_UNAVAILABLE, "connect to %s: %s", path, *why_r);
    if (geteuid() != 0)
        account_fail(EX_UNAVAILABLE,
                     "the auth service is not running (%s), and without it only "
                     "root may read the password table",
                     path);
    return account_check_alone(r);
}

static char account_check_password[PASS_CRYPT_PASSWORD_MAX + 1];

/* Whatever ends the command, the password goes first. */
static void account_check_wipe(void)
{
    explicit_bzero(account_check_password, sizeof(account_check_password));
}

int account_check(const struct account_args *a)
{
    char *password = account_check_password;
    struct auth_request r = {"account", a->user.text, password, a->client ? a->client : "local"};
    const char *why = "the password table cannot be read";
    enum auth_status st;
    size_t i;

    if (r.client_address[0] == 0 || strlen(r.client_address) > AUTH_CLIENT_MAX)
        account_fail(EX_USAGE, "-a \"%s\": not a client address", r.client_address);
    for (i = 0; r.client_address[i]; i++)
        if (r.client_address[i] <= ' ' || r.client_address[i] >= 0x7f)
            account_fail(EX_USAGE, "-a: a client address is printable text without spaces");
    msg_fatal_hook(account_check_wipe);
    account_password_read(false, password, sizeof(account_check_password));
    st = account_ask(&r, &why);
    account_check_wipe();
    if (st == AUTH_TEMPFAIL)
        account_fail(EX_TEMPFAIL, "%s: cannot tell: %s", r.user, why);
    return st == AUTH_OK ? 0 : 1; /* refused (blocked) looks like a failure here */
}
