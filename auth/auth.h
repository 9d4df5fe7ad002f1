/*
 * auth.h - the auth service: the one process that reads the password
 * hashes, telling its clients (smtpd, pop3d and imapd, "postern-account
 * check") whether a password is right, over private/auth (auth_proto.h).
 * It runs as auth_owner, a user of its own: mail_owner's daemons, which
 * parse everything the Internet sends, can ask it but never read a hash.
 *
 *   auth.c          start-up under the multi-server skeleton; who may connect
 *   auth_session.c  one client connection: strict requests, the failure delay
 *   auth_verify.c   the password table and the hash check
 *   auth_limit.c    failures counted per client address, and refusals
 *
 * It must never say whether a user exists (an unknown user costs the same
 * hash computation and the same delay as a wrong password), keep a
 * password once its answer is known, or make other clients wait while one
 * sits out its failure delay (a timer, never a sleep).
 */
#ifndef POSTERN_AUTH_H
#define POSTERN_AUTH_H

#include "sys_defs.h"
#include "auth_proto.h"

/* auth_verify.c */
/* Open the password table and make the stand-in hash for unknown users. */
void auth_verify_init(void);
/* Check user's password: AUTH_OK, AUTH_FAIL or AUTH_TEMPFAIL, and why for the log. */
enum auth_status auth_verify(const char *user, const char *password, const char **why_r);

/* auth_limit.c */
void auth_limit_init(void);
/* Are this client's attempts refused now (too many recent failures)? */
bool auth_limit_refused(const char *client, long long now_ms);
/* Count a failed attempt of client; it may become refused. */
void auth_limit_failed(const char *client, long long now_ms);

/* auth_session.c */
/* Serve a new client connection (non-blocking fd, ours to close). */
void auth_session_start(int fd);

#endif
