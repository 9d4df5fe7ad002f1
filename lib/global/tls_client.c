/*
 * tls_client.c - the outbound TLS handshake (see tls_client.h).
 */
#include "sys_defs.h"
#include "tls_client.h"
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include "msg.h"
#include "stream_tls.h"

static SSL_CTX *tls_client_ctx;

int tls_client_init(const char *cafile, const char *capath, char **error_r)
{
    bool cas;

    if (tls_client_ctx)
        return 0;
    if ((tls_client_ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
        SSL_CTX_set_min_proto_version(tls_client_ctx, TLS1_2_VERSION) != 1) {
        *error_r = stream_tls_reason("cannot make the TLS client context");
        SSL_CTX_free(tls_client_ctx);
        tls_client_ctx = NULL;
        return -1;
    }
    if (*cafile || *capath)
        cas = SSL_CTX_load_verify_locations(tls_client_ctx, *cafile ? cafile : NULL,
                                            *capath ? capath : NULL) == 1;
    else
        cas = SSL_CTX_set_default_verify_paths(tls_client_ctx) == 1;
    if (!cas) {
        *error_r = stream_tls_reason(*cafile ? cafile : *capath ? capath : "default CA paths");
        SSL_CTX_free(tls_client_ctx);
        tls_client_ctx = NULL;
        return -1;
    }
    SSL_CTX_set_verify(tls_client_ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_mode(tls_client_ctx,
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return 0;
}

int tls_client_start(struct stream *s, const char *servername, const char *peer,
                     struct tls_info *info_r, char **error_r)
{
    return tls_client_start_verified(s, servername, peer, NULL, info_r, error_r);
}

/* Ask ssl to verify the chain and that the certificate names one of names. */
static int tls_client_names(SSL *ssl, const char *const *names)
{
    size_t i;

    SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    for (i = 0; names[i]; i++)
        if ((i == 0 ? SSL_set1_host(ssl, names[i]) : SSL_add1_host(ssl, names[i])) != 1)
            return -1;
    return 0;
}

int tls_client_start_verified(struct stream *s, const char *servername, const char *peer,
                              const char *const *names, struct tls_info *info_r, char **error_r)
{
    X509 *cert;
    SSL *ssl;

    if (tls_client_ctx == NULL)
        msg_panic("tls_client_start: no TLS context");
    if ((ssl = SSL_new(tls_client_ctx)) == NULL) {
        *error_r = stream_tls_reason("SSL_new failed");
        return -1;
    }
    if (names && tls_client_names(ssl, names) < 0) {
        *error_r = stream_tls_reason("cannot set the names to verify");
        SSL_free(ssl);
        return -1;
    }
    /* SNI takes a host name, never an address literal. */
    if (servername && *servername && strspn(servername, "0123456789.:") != strlen(servername))
        (void)SSL_set_tlsext_host_name(ssl, servername);
    if (stream_tls_connect(s, ssl, error_r) < 0)
        return -1;
    ssl = stream_tls_ssl(s);
    tls_info_get(ssl, info_r);
    cert = SSL_get1_peer_certificate(ssl);
    msg_info("%s TLS connection established to %s: %s with cipher %s (%d/%d bits)",
             names  ? "Verified"
             : cert ? "Untrusted"
                    : "Anonymous",
             peer, info_r->protocol, info_r->cipher, info_r->bits, info_r->alg_bits);
    X509_free(cert);
    return 0;
}
