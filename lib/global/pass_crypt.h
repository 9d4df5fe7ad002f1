/*
 * pass_crypt.h - password hashes: made by postern-account, checked by the
 * auth service, with crypt(3) from libxcrypt.
 *
 * New hashes are yescrypt ("$y$", cost PASS_CRYPT_YESCRYPT_COST, the
 * default of libxcrypt and of Debian's login.defs) or, where libxcrypt was
 * built without it, SHA-512-crypt ("$6$", PASS_CRYPT_SHA512_ROUNDS rounds
 * instead of the weak default of 5000).  Every salt is made of fresh bytes
 * from getrandom(), never from the clock or a seeded generator.
 *
 * Checking accepts only strong schemes (pass_crypt_hash_ok()): a DES or
 * MD5 hash that found its way into the password file never matches, so
 * the account needs a new password rather than being open to whoever can
 * crack the old one.  The computed hash is compared with the stored one
 * in constant time.
 *
 * Nothing here keeps a password: crypt's working memory is wiped after
 * every call, and callers wipe their own copies with explicit_bzero().
 */
#ifndef POSTERN_PASS_CRYPT_H
#define POSTERN_PASS_CRYPT_H

#include "sys_defs.h"

#define PASS_CRYPT_PASSWORD_MAX 256 /* longest password anywhere, in bytes */
#define PASS_CRYPT_HASH_MAX 384     /* longest hash text, with its NUL */
#define PASS_CRYPT_YESCRYPT_COST 5
#define PASS_CRYPT_SHA512_ROUNDS 200000

enum pass_scheme {
    PASS_SCHEME_BEST,     /* yescrypt if this libxcrypt has it, else SHA-512-crypt */
    PASS_SCHEME_YESCRYPT, /* "$y$" */
    PASS_SCHEME_SHA512,   /* "$6$" */
};

/*
 * Hash password (at most PASS_CRYPT_PASSWORD_MAX bytes) with a new random
 * salt into out (PASS_CRYPT_HASH_MAX bytes).  -1 with a static *error_r
 * when the scheme is missing or randomness is not to be had.
 */
int pass_crypt_hash(const char *password, enum pass_scheme scheme, char *out, size_t len,
                    const char **error_r);

/*
 * Does password match hash?  1 yes, 0 no, -1 when hash cannot be used
 * (a weak or unknown scheme, or a malformed hash), with *error_r.
 */
int pass_crypt_verify(const char *password, const char *hash, const char **error_r);

/* Is hash of a scheme that pass_crypt_verify() accepts? */
bool pass_crypt_hash_ok(const char *hash);

/* Are the two strings equal?  Takes the same time wherever they differ. */
bool pass_crypt_equal(const char *a, const char *b);

#endif
