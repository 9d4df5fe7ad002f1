/*
 * sasl_mech.h - the one parser for the client's side of the SASL PLAIN
 * (RFC 4616) and LOGIN mechanisms, as SMTP AUTH (RFC 4954) carries them:
 * base64 text in, a login name and a password out, with explicit limits.
 * Nothing here checks a password: that is the auth service's alone
 * (auth_client.h).
 *
 * Why not libsasl2: Cyrus SASL's server side would give us two mechanisms
 * that fit in this file, at the price of plugins loaded from the system's
 * directory (any auxprop plugin installed there, sasldb among them, is
 * consulted while the user name is canonicalised), a plaintext check that
 * falls back from our callback to pwcheck_method's sources when the
 * callback says no, and one "no" for a wrong password and a service that
 * could not tell (we answer 535 for one and 454 for the other).  Keeping
 * the password source to exactly one, the auth service, is the point of
 * the design, so the two mechanisms are decoded here instead.
 *
 * Decoded data is untrusted: the login must be 1 to AUTH_USER_MAX
 * printable ASCII octets without spaces (what the auth protocol carries),
 * the password 1 to AUTH_PASSWORD_MAX octets with no NUL, and a PLAIN
 * authorization identity empty or the login itself (we never let one user
 * act for another).  Every buffer that held a password is wiped.
 */
#ifndef POSTERN_SASL_MECH_H
#define POSTERN_SASL_MECH_H

#include "sys_defs.h"
#include "auth_proto.h"

enum sasl_mech { SASL_MECH_PLAIN, SASL_MECH_LOGIN };

/* What the server advertises, in EHLO's "AUTH" line. */
#define SASL_MECH_LIST "PLAIN LOGIN"

/* The decoded PLAIN message at its largest: authzid NUL authcid NUL passwd. */
#define SASL_MECH_DECODED_MAX (2 * AUTH_USER_MAX + AUTH_PASSWORD_MAX + 2)
/* The longest base64 response that can decode to a valid one. */
#define SASL_MECH_RESPONSE_MAX ((SASL_MECH_DECODED_MAX + 2) / 3 * 4)

/* Results of the decoders. */
#define SASL_MECH_OK 0
#define SASL_MECH_BAD_BASE64 (-1) /* 501 5.5.2: not base64 at all */
#define SASL_MECH_BAD_DATA (-2)   /* 535: base64, but not valid for the mechanism */

struct sasl_creds {
    char user[AUTH_USER_MAX + 1];
    char password[AUTH_PASSWORD_MAX + 1];
};

/* The mechanism named name (any case); -1 when we do not offer it. */
int sasl_mech_find(const char *name, enum sasl_mech *mech_r);
/* "PLAIN", "LOGIN" */
const char *sasl_mech_name(enum sasl_mech mech);

/*
 * Decode a PLAIN response (base64 text of len octets) into c.  Returns
 * SASL_MECH_OK, or SASL_MECH_BAD_BASE64 / SASL_MECH_BAD_DATA with a static
 * *error_r; on failure c is wiped.
 */
int sasl_mech_plain(const unsigned char *b64, size_t len, struct sasl_creds *c,
                    const char **error_r);
/* Decode LOGIN's first response, the user name, into c->user.  As above. */
int sasl_mech_login_user(const unsigned char *b64, size_t len, struct sasl_creds *c,
                         const char **error_r);
/* Decode LOGIN's second response, the password, into c->password.  As above. */
int sasl_mech_login_password(const unsigned char *b64, size_t len, struct sasl_creds *c,
                             const char **error_r);
/* Forget the password (and the login) once its answer is known. */
void sasl_creds_wipe(struct sasl_creds *c);

#endif
