/*
 * tls_info.h - what the two ends of a TLS connection agreed on, as both
 * sides (tls_server.h, tls_client.h) log it and smtpd writes it into
 * Received: headers.
 */
#ifndef POSTERN_TLS_INFO_H
#define POSTERN_TLS_INFO_H

#include "sys_defs.h"
#include <openssl/ssl.h>

#define TLS_PROTO_NAME_MAX 16
#define TLS_CIPHER_NAME_MAX 64

struct tls_info {
    char protocol[TLS_PROTO_NAME_MAX]; /* "TLSv1.3" */
    char cipher[TLS_CIPHER_NAME_MAX];  /* "TLS_AES_256_GCM_SHA384" */
    int bits, alg_bits;
    bool reused; /* resumed from a ticket */
};

/* Fill info from an established connection. */
void tls_info_get(SSL *ssl, struct tls_info *info);

#endif
