/*
 * tls_info.c - the protocol and cipher of a connection (see tls_info.h).
 */
#include "sys_defs.h"
#include "tls_info.h"
#include "strutil.h"

void tls_info_get(SSL *ssl, struct tls_info *info)
{
    const SSL_CIPHER *c = SSL_get_current_cipher(ssl);

    memset(info, 0, sizeof(*info));
    str_copy(info->protocol, SSL_get_version(ssl), sizeof(info->protocol));
    str_copy(info->cipher, c ? SSL_CIPHER_get_name(c) : "unknown", sizeof(info->cipher));
    info->bits = c ? SSL_CIPHER_get_bits(c, &info->alg_bits) : 0;
    info->reused = SSL_session_reused(ssl) == 1;
}
