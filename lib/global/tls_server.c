/*
 * tls_server.c - the server TLS context: certificates, protocols, ciphers,
 * SNI, tickets; the handshake and its log lines (see tls_server.h).
 *
 * One SSL_CTX for the default certificates, and one more per distinct SNI
 * value (names with the same files share it), all made alike by
 * tls_ctx_new(); the SNI callback switches a connection to its name's
 * context.  Session resumption is by tickets alone (tls_ticket.h): the
 * in-process session cache is off, since the next connection of a client
 * rarely reaches the same process.
 */
#include "sys_defs.h"
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "tls_server.h"
#include "tls_ticket.h"
#include "stream_tls.h"
#include "dict.h"
#include "dict_table.h"
#include "htable.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"
#include "strutil.h"

static SSL_CTX *tls_ctx;      /* default certificates */
static struct htable tls_sni; /* SNI name -> SSL_CTX */
static bool tls_sni_on;
static int tls_loglevel;

static const struct {
    const char *name;
    int version;
} tls_versions[] = {
    {"TLSv1", TLS1_VERSION},
    {"TLSv1.1", TLS1_1_VERSION},
    {"TLSv1.2", TLS1_2_VERSION},
    {"TLSv1.3", TLS1_3_VERSION},
};

static int tls_version_index(const char *name, size_t len)
{
    for (size_t i = 0; i < COUNTOF(tls_versions); i++)
        if (strlen(tls_versions[i].name) == len &&
            strncasecmp(tls_versions[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

/*
 * Postfix's forms: ">=TLSv1.2", "<=TLSv1.3", "!TLSv1, !TLSv1.1", or the
 * versions to allow; SSLv2 and SSLv3 are known names but never allowed.
 * What remains must be one range (OpenSSL has no holes).
 */
/* Apply one word of a protocol list to the allowed range and the named or excluded sets. */
static int tls_protocol_word(const char *p, size_t len, int *lo, int *hi, bool *named, bool *allow,
                             bool *excluded, const char **error_r)
{
    int op = 0, v;

    if (len > 2 && (p[0] == '>' || p[0] == '<') && p[1] == '=') {
        op = p[0];
        p += 2;
        len -= 2;
    } else if (len > 1 && p[0] == '!') {
        op = '!';
        p++;
        len--;
    }
    if (len == 5 && (strncasecmp(p, "SSLv2", 5) == 0 || strncasecmp(p, "SSLv3", 5) == 0)) {
        if (op == '!')
            return 0;
        *error_r = "SSLv2 and SSLv3 are not supported";
        return -1;
    }
    if ((v = tls_version_index(p, len)) < 0) {
        *error_r = "unknown protocol (TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)";
        return -1;
    }
    if (op == '>' && v > *lo)
        *lo = v;
    else if (op == '<' && v < *hi)
        *hi = v;
    else if (op == '!')
        excluded[v] = true;
    else if (op == 0)
        allow[v] = *named = true;
    return 0;
}

/*
 * Postfix's forms: ">=TLSv1.2", "<=TLSv1.3", "!TLSv1, !TLSv1.1", or the
 * versions to allow; SSLv2 and SSLv3 may only be excluded.  What remains
 * must be one range (OpenSSL has a minimum and a maximum, no holes).
 */
int tls_protocols_parse(const char *list, int *min_r, int *max_r, const char **error_r)
{
    bool allow[COUNTOF(tls_versions)], excluded[COUNTOF(tls_versions)], named = false;
    int lo = 0, hi = (int)COUNTOF(tls_versions) - 1, i, first = -1, last = -1;
    const char *p = list;

    memset(allow, 0, sizeof(allow));
    memset(excluded, 0, sizeof(excluded));
    for (;;) {
        size_t len;

        p += strspn(p, ", \t");
        if ((len = strcspn(p, ", \t")) == 0)
            break;
        if (tls_protocol_word(p, len, &lo, &hi, &named, allow, excluded, error_r) < 0)
            return -1;
        p += len;
    }
    for (i = lo; i <= hi; i++) {
        if (excluded[i] || (named && !allow[i]))
            continue;
        if (first >= 0 && last != i - 1) {
            *error_r = "the allowed protocols must be one range";
            return -1;
        }
        if (first < 0)
            first = i;
        last = i;
    }
    if (first < 0) {
        *error_r = "no protocol left";
        return -1;
    }
    *min_r = tls_versions[first].version;
    *max_r = tls_versions[last].version;
    return 0;
}

/* The first private key in a PEM file; NULL with OpenSSL's reason in *error_r. */
static EVP_PKEY *tls_read_key(const char *path, char **error_r)
{
    EVP_PKEY *key = NULL;
    BIO *bio = BIO_new_file(path, "r");
    char *why;

    if (bio != NULL)
        key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (key == NULL) {
        why = stream_tls_reason("no private key found");
        *error_r = xasprintf("cannot load private key from %s: %s", path, why);
        free(why);
    }
    return key;
}

/*
 * One certificate (with its chain) and its key.  The match is checked
 * against this certificate before OpenSSL files the key by its type, so a
 * key of the wrong kind is "key type mismatch", not a later "no
 * certificate assigned".
 */
static int tls_load_pair(SSL_CTX *ctx, const char *cert, const char *key, char **error_r)
{
    EVP_PKEY *pkey;
    char *why;
    int ret = -1;

    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        why = stream_tls_reason("no certificate found");
        *error_r = xasprintf("cannot load certificate from %s: %s", cert, why);
        free(why);
        return -1;
    }
    if ((pkey = tls_read_key(key, error_r)) == NULL)
        return -1;
    if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), pkey) != 1) {
        why = stream_tls_reason("key values mismatch");
        *error_r =
            xasprintf("private key in %s does not match the certificate in %s: %s", key, cert, why);
        free(why);
    } else if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1) {
        why = stream_tls_reason("cannot use the key");
        *error_r = xasprintf("cannot use private key from %s: %s", key, why);
        free(why);
    } else {
        ret = 0;
    }
    EVP_PKEY_free(pkey);
    return ret;
}

/* Files that each hold a key and its certificate chain (smtpd_tls_chain_files, SNI values). */
static int tls_load_chain_files(SSL_CTX *ctx, const char *list, char **error_r)
{
    size_t n, i;
    char **files = str_split_list(list, &n);
    int ret = 0;

    for (i = 0; ret == 0 && i < n; i++)
        ret = tls_load_pair(ctx, files[i], files[i], error_r);
    str_list_free(files);
    return ret;
}

/* A context with our protocols, ciphers and session policy, and no certificate yet. */
static SSL_CTX *tls_ctx_new(const struct tls_server_params *p, char **error_r)
{
    static const unsigned char sid_ctx[] = "postern";
    const char *why;
    int min, max;
    SSL_CTX *ctx;

    if (tls_protocols_parse(p->protocols, &min, &max, &why) < 0) {
        *error_r = xasprintf("protocols \"%s\": %s", p->protocols, why);
        return NULL;
    }
    if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
        char *r = stream_tls_reason("SSL_CTX_new failed");

        *error_r = xasprintf("cannot make a TLS context: %s", r);
        free(r);
        return NULL;
    }
    if (SSL_CTX_set_min_proto_version(ctx, min) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, max) != 1 ||
        SSL_CTX_set_cipher_list(ctx, p->ciphers) != 1 || SSL_CTX_set_dh_auto(ctx, 1) != 1 ||
        SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1) != 1) {
        char *r = stream_tls_reason("bad setting");

        *error_r = xasprintf("TLS settings (ciphers \"%s\"): %s", p->ciphers, r);
        free(r);
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    /* stream.c retries a write with the same bytes, not always from the same address. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (p->ticket_key_lifetime > 0)
        SSL_CTX_set_timeout(ctx, (long)p->ticket_key_lifetime);
    return ctx;
}

/* The default certificates: the RSA pair, the ECDSA pair, the chain files. */
static int tls_load_default(SSL_CTX *ctx, const struct tls_server_params *p, char **error_r)
{
    bool any = false;

    if (*p->cert_file) {
        if (tls_load_pair(ctx, p->cert_file, *p->key_file ? p->key_file : p->cert_file, error_r) <
            0)
            return -1;
        any = true;
    }
    if (*p->eccert_file) {
        if (tls_load_pair(ctx, p->eccert_file, *p->eckey_file ? p->eckey_file : p->eccert_file,
                          error_r) < 0)
            return -1;
        any = true;
    }
    if (*p->chain_files) {
        if (tls_load_chain_files(ctx, p->chain_files, error_r) < 0)
            return -1;
        any = true;
    }
    if (!any) {
        *error_r = xstrdup("no certificate configured");
        return -1;
    }
    return 0;
}

/* SNI ----------------------------------------------------------------------- */

struct sni_load {
    const struct tls_server_params *p;
    struct dict *dict;
    struct htable by_files; /* files -> SSL_CTX: names with the same files share one */
    char *error;
};

/* One name of the SNI table: its value from the table, its context made now. */
static int sni_add(const char *key, const char *value UNUSED, int lineno UNUSED, void *ctx)
{
    struct sni_load *l = ctx;
    const char *files;
    char *why = NULL;
    SSL_CTX *sctx;
    int r;

    if (htable_find(&tls_sni, key) != NULL)
        return 0;
    /* The table (a .db, say) is the authority; its source text only names the keys. */
    if ((r = dict_lookup(l->dict, key, &files, &why)) <= 0) {
        l->error = r < 0 ? why : xasprintf("%s: %s: not in the table", l->p->sni_maps, key);
        return -1;
    }
    if ((sctx = htable_find(&l->by_files, files)) != NULL) {
        if (SSL_CTX_up_ref(sctx) != 1) {
            l->error = xasprintf("%s: %s: SSL_CTX_up_ref failed", l->p->sni_maps, key);
            return -1;
        }
        htable_enter(&tls_sni, key, sctx);
        return 0;
    }
    if ((sctx = tls_ctx_new(l->p, &why)) == NULL || tls_load_chain_files(sctx, files, &why) < 0) {
        l->error = xasprintf("%s: %s: %s", l->p->sni_maps, key, why);
        free(why);
        SSL_CTX_free(sctx);
        return -1;
    }
    htable_enter(&tls_sni, key, sctx); /* tls_sni holds the reference */
    htable_enter(&l->by_files, files, sctx);
    return 0;
}

/*
 * Load every name's certificates now, as root: the table's source text
 * (texthash:, hash: and btree: tables are built from FILE) says which names
 * there are, since a lookup table cannot be listed.
 */
static int tls_sni_load(const struct tls_server_params *p, char **error_r)
{
    struct sni_load l = {.p = p};
    const char *colon = strchr(p->sni_maps, ':'), *why;
    int fd, lineno, r;

    if (colon == NULL ||
        !(strncmp(p->sni_maps, "texthash:", 9) == 0 || strncmp(p->sni_maps, "hash:", 5) == 0 ||
          strncmp(p->sni_maps, "btree:", 6) == 0)) {
        *error_r = xasprintf("%s: SNI tables must be texthash:, hash: or btree:", p->sni_maps);
        return -1;
    }
    if (dict_open(p->sni_maps, DICT_FLAG_FOLD | DICT_FLAG_DIRECT, &l.dict, error_r) < 0)
        return -1;
    if ((fd = open(colon + 1, O_RDONLY | O_CLOEXEC)) < 0) {
        *error_r = xasprintf("open %s: %m", colon + 1);
        dict_close(l.dict);
        return -1;
    }
    htable_init(&tls_sni, 16);
    htable_init(&l.by_files, 16);
    tls_sni_on = true;
    r = dict_table_parse_fd(fd, DICT_SYNTAX_TABLE, DICT_FLAG_FOLD, sni_add, &l, &lineno, &why);
    close_quietly(fd);
    dict_close(l.dict);
    htable_free(&l.by_files);
    if (r == 0)
        return 0;
    *error_r = l.error ? l.error : xasprintf("%s, line %d: %s", colon + 1, lineno, why);
    return -1;
}

/* Switch the connection to the certificates of the name the client asked for. */
static int tls_sni_cb(SSL *ssl, int *alert UNUSED, void *arg UNUSED)
{
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    char key[256];
    SSL_CTX *sctx;

    if (name == NULL || strlen(name) >= sizeof(key))
        return SSL_TLSEXT_ERR_NOACK;
    str_copy(key, name, sizeof(key));
    str_lower(key);
    /* Postfix's order: the name, then each parent domain as ".parent". */
    for (char *p = key; p != NULL; p = strchr(p + 1, '.')) {
        if ((sctx = htable_find(&tls_sni, p)) != NULL) {
            if (SSL_set_SSL_CTX(ssl, sctx) == NULL)
                return SSL_TLSEXT_ERR_ALERT_FATAL;
            return SSL_TLSEXT_ERR_OK;
        }
    }
    return SSL_TLSEXT_ERR_NOACK;
}

/* Set-up and the handshake -------------------------------------------------- */

/* Forget an earlier set-up ("postern check" builds one per smtpd service). */
static void tls_server_reset(void)
{
    if (tls_sni_on) {
        for (size_t i = 0; i < tls_sni.size; i++)
            for (struct htable_entry *e = tls_sni.buckets[i]; e; e = e->next)
                SSL_CTX_free(e->value);
        htable_free(&tls_sni);
        tls_sni_on = false;
    }
    SSL_CTX_free(tls_ctx);
    tls_ctx = NULL;
}

int tls_server_init(const struct tls_server_params *p, char **error_r)
{
    SSL_CTX *ctx;

    tls_server_reset();
    tls_loglevel = p->loglevel;
    if ((ctx = tls_ctx_new(p, error_r)) == NULL)
        return -1;
    if (tls_load_default(ctx, p, error_r) < 0 ||
        (*p->ticket_key_file &&
         tls_ticket_init(ctx, p->ticket_key_file, p->ticket_key_lifetime, error_r) < 0) ||
        (*p->sni_maps && tls_sni_load(p, error_r) < 0)) {
        SSL_CTX_free(ctx);
        tls_server_reset();
        return -1;
    }
    if (!*p->ticket_key_file)
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    if (tls_sni_on && SSL_CTX_set_tlsext_servername_callback(ctx, tls_sni_cb) != 1) {
        *error_r = xstrdup("cannot set the SNI callback");
        SSL_CTX_free(ctx);
        tls_server_reset();
        return -1;
    }
    tls_ctx = ctx;
    return 0;
}

bool tls_server_ready(void)
{
    return tls_ctx != NULL;
}

int tls_server_start(struct stream *s, const char *client, struct tls_info *info_r)
{
    SSL *ssl;
    char *why;

    if (tls_ctx == NULL)
        msg_panic("tls_server_start: no TLS context");
    if ((ssl = SSL_new(tls_ctx)) == NULL) {
        why = stream_tls_reason("SSL_new failed");
        msg_warn("SSL_accept error from %s: %s", client, why);
        free(why);
        return -1;
    }
    if (stream_tls_accept(s, ssl, NULL, &why) < 0) {
        msg_info("SSL_accept error from %s: %s", client, why);
        free(why);
        return -1;
    }
    tls_info_get(stream_tls_ssl(s), info_r);
    /* Postfix's summary line; "Anonymous": we ask for no client certificate. */
    if (tls_loglevel >= 1)
        msg_info("Anonymous TLS connection established from %s: %s with cipher %s (%d/%d bits)",
                 client, info_r->protocol, info_r->cipher, info_r->bits, info_r->alg_bits);
    return 0;
}
