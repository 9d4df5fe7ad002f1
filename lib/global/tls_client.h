/*
 * tls_client.h - the client side of TLS, for the outbound smtp client:
 * one context per process, the STARTTLS handshake and its log line in
 * Postfix's form ("Untrusted TLS connection established to
 * mx.example.com[192.0.2.1]:25: TLSv1.3 with cipher ...").
 *
 * Opportunistic and mandatory encryption (smtp_tls_security_level may and
 * encrypt) ask for no proof of the server's name, as in Postfix: the
 * certificate is not verified and the line says "Untrusted" (or
 * "Anonymous" when the server sent none).  At verify and secure the
 * caller names the host names the certificate may have: the chain must
 * lead to a CA of smtp_tls_CAfile / smtp_tls_CApath (the system's when
 * both are empty) and the certificate must name one of them, or the
 * handshake fails; the line says "Verified".  (DANE comes with TLSA
 * lookups.)
 */
#ifndef POSTERN_TLS_CLIENT_H
#define POSTERN_TLS_CLIENT_H

#include "sys_defs.h"
#include "stream.h"
#include "tls_info.h"

/* Make this process's client context: TLS 1.2 and newer, the CAs loaded.  -1 with a reason. */
int tls_client_init(const char *cafile, const char *capath, char **error_r);
/*
 * Run the client handshake on s, sending servername as SNI (NULL: none);
 * peer names the server in log lines ("host[addr]:port").  0 with info_r
 * filled and the line logged; -1 with a malloc'ed *error_r, the
 * connection unusable.
 */
int tls_client_start(struct stream *s, const char *servername, const char *peer,
                     struct tls_info *info_r, char **error_r);
/* The same, verifying the server against names (NULL-terminated; ".example" matches below it). */
int tls_client_start_verified(struct stream *s, const char *servername, const char *peer,
                              const char *const *names, struct tls_info *info_r, char **error_r);

#endif
