/*
 * tls_server.h - the server side of TLS for every daemon that offers it
 * (smtpd now; pop3d and imapd later): certificates and keys, protocols and
 * ciphers, SNI, session tickets, the handshake and its log line.
 *
 * Everything secret is read in tls_server_init(), which a daemon calls in
 * its pre-jail hook as root: after the privilege drop no key file is ever
 * opened (mail_owner cannot read them), so a reload (master starts new
 * processes) is what picks up new files.  Certificates of every SNI name
 * are loaded then too.
 */
#ifndef POSTERN_TLS_SERVER_H
#define POSTERN_TLS_SERVER_H

#include "sys_defs.h"
#include "stream.h"
#include "tls_info.h"

/* What a daemon configures; strings are main.cf values (lists: commas or spaces). */
struct tls_server_params {
    const char *cert_file, *key_file;     /* RSA (or any) pair; key_file may be cert_file */
    const char *eccert_file, *eckey_file; /* a second, ECDSA, pair */
    const char *chain_files;              /* files of key + certificate chain each */
    const char *protocols;                /* ">=TLSv1.2", "!TLSv1, !TLSv1.1", ... */
    const char *ciphers;                  /* OpenSSL list for TLS 1.2 and older */
    const char *sni_maps;                 /* name -> chain files, or "" */
    const char *ticket_key_file;          /* shared session ticket keys, or "" for none */
    long long ticket_key_lifetime;        /* seconds a ticket key encrypts */
    int loglevel;                         /* Postfix's smtpd_tls_loglevel */
};

/*
 * Build the server context from p (as root, before the drop).  -1 with a
 * malloc'ed one-line reason naming the file (and OpenSSL's reason).
 */
int tls_server_init(const struct tls_server_params *p, char **error_r);
/* Did tls_server_init() succeed in this process? */
bool tls_server_ready(void);
/*
 * Run the server handshake on s (clear-text input still buffered is
 * dropped first).  Logs "Anonymous TLS connection established from
 * CLIENT: ..." or "SSL_accept error from CLIENT: reason".  -1 on failure:
 * the connection is unusable.
 */
int tls_server_start(struct stream *s, const char *client, struct tls_info *info_r);
/* Parse a protocol list; -1 with a static reason.  Versions are TLS1_x_VERSION. */
int tls_protocols_parse(const char *list, int *min_r, int *max_r, const char **error_r);

#endif
