/*
 * test_tls_server.c - TLS under a stream (stream_tls) and the server set-up
 * (tls_server): protocol lists, certificates and keys that load or are
 * refused with OpenSSL's reason, a handshake over a socketpair with lines
 * read through TLS, the clear text sent before the handshake dropped
 * (CVE-2011-0411), a garbage ClientHello, a silent client's timeout, and
 * the shared ticket key file.
 *
 * The client side runs in a child process with plain blocking OpenSSL
 * calls; certificates are made in C into a temporary directory.
 */
#include "unit.h"
#include <sys/wait.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "iostuff.h"
#include "stream.h"
#include "stream_tls.h"
#include "tls_server.h"

static char tmp[PATH_MAX];

/* A self-signed certificate and its key, as PEM files dir/NAME.crt and dir/NAME.key. */
static void make_cert(const char *name, bool ec, char *cert, char *key)
{
    EVP_PKEY *k = ec ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
    X509 *x = X509_new();
    X509_NAME *n;
    BIO *b;

    assert_non_null(k);
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
    assert_int_equal(X509_set_pubkey(x, k), 1);
    n = X509_get_subject_name(x);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0),
        1);
    assert_int_equal(X509_set_issuer_name(x, n), 1);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    snprintf(cert, PATH_MAX, "%s/%s.crt", tmp, name);
    snprintf(key, PATH_MAX, "%s/%s.key", tmp, name);
    assert_non_null(b = BIO_new_file(cert, "w"));
    assert_int_equal(PEM_write_bio_X509(b, x), 1);
    BIO_free(b);
    assert_non_null(b = BIO_new_file(key, "w"));
    assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
    BIO_free(b);
    X509_free(x);
    EVP_PKEY_free(k);
}

static char ec_cert[PATH_MAX], ec_key[PATH_MAX], ec2_cert[PATH_MAX], ec2_key[PATH_MAX];

static int setup(void **state UNUSED)
{
    unit_mkdtemp(tmp, sizeof(tmp));
    make_cert("ec", true, ec_cert, ec_key);
    make_cert("ec2", true, ec2_cert, ec2_key);
    return 0;
}

static SSL_CTX *tls_test_ctx(void);

static int teardown(void **state UNUSED)
{
    SSL_CTX_free(tls_test_ctx());
    unit_rmtree(tmp);
    return 0;
}

static struct tls_server_params params(const char *cert, const char *key)
{
    struct tls_server_params p = {
        .cert_file = cert,
        .key_file = key,
        .eccert_file = "",
        .eckey_file = "",
        .chain_files = "",
        .protocols = ">=TLSv1.2",
        .ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256",
        .sni_maps = "",
        .ticket_key_file = "",
        .ticket_key_lifetime = 3600,
        .loglevel = 1,
    };
    return p;
}

static void test_protocols(void **state UNUSED)
{
    static const struct {
        const char *list;
        int min, max; /* 0: refused */
    } cases[] = {
        {">=TLSv1.2", TLS1_2_VERSION, TLS1_3_VERSION},
        {"!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", TLS1_2_VERSION, TLS1_3_VERSION},
        {"TLSv1.3", TLS1_3_VERSION, TLS1_3_VERSION},
        {">=TLSv1.2 <=TLSv1.2", TLS1_2_VERSION, TLS1_2_VERSION},
        {"tlsv1.2,TLSv1.3", TLS1_2_VERSION, TLS1_3_VERSION},
        {"", TLS1_VERSION, TLS1_3_VERSION},
        {"!TLSv1.2", 0, 0},            /* a hole */
        {"SSLv3", 0, 0},               /* never */
        {"TLSv1.4", 0, 0},             /* unknown */
        {">=TLSv1.3 <=TLSv1.2", 0, 0}, /* nothing left */
    };
    const char *why;
    int min, max;

    for (size_t i = 0; i < COUNTOF(cases); i++) {
        int r = tls_protocols_parse(cases[i].list, &min, &max, &why);

        if (cases[i].min == 0) {
            assert_int_equal(r, -1);
            continue;
        }
        assert_int_equal(r, 0);
        assert_int_equal(min, cases[i].min);
        assert_int_equal(max, cases[i].max);
    }
}

static void test_init_errors(void **state UNUSED)
{
    struct tls_server_params p = params(ec_cert, ec2_key);
    char *err;

    assert_int_equal(tls_server_init(&p, &err), -1);
    assert_non_null(strstr(err, "does not match the certificate"));
    assert_non_null(strstr(err, "key values mismatch"));
    assert_null(strchr(err, '\n'));
    free(err);
    p = params("/nonexistent/cert.pem", ec_key);
    assert_int_equal(tls_server_init(&p, &err), -1);
    assert_non_null(strstr(err, "cannot load certificate from /nonexistent/cert.pem"));
    free(err);
    p = params("", "");
    assert_int_equal(tls_server_init(&p, &err), -1);
    assert_string_equal(err, "no certificate configured");
    free(err);
    p = params(ec_cert, ec_key);
    p.protocols = "!TLSv1.2";
    assert_int_equal(tls_server_init(&p, &err), -1);
    free(err);
    assert_false(tls_server_ready());
}

/* The client: what it sends before the handshake, and whether it does TLS at all. */
enum client_mode { CLIENT_TLS, CLIENT_GARBAGE, CLIENT_SILENT, CLIENT_CLOSE };

static NORETURN void client(int fd, enum client_mode mode)
{
    static const char pre[] = "STARTTLS\r\nRSET\r\n";
    static const char garbage[] = "GET / HTTP/1.0\r\n\r\n";
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl;
    char reply[64];
    size_t n;

    if (mode == CLIENT_CLOSE)
        _exit(0);
    if (mode == CLIENT_SILENT) {
        (void)read(fd, reply, sizeof(reply));
        _exit(0);
    }
    if (mode == CLIENT_GARBAGE) {
        (void)write_full(fd, garbage, sizeof(garbage) - 1);
        (void)read(fd, reply, sizeof(reply));
        _exit(0);
    }
    /* As a STARTTLS client: the handshake only after the server's go-ahead. */
    if (write_full(fd, pre, sizeof(pre) - 1) < 0 || read_full(fd, reply, 5) != 5 || ctx == NULL ||
        (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1)
        _exit(2);
    if (SSL_write_ex(ssl, "EHLO x\r\n", 8, &n) != 1 || !SSL_read_ex(ssl, reply, 7, &n) || n != 7 ||
        memcmp(reply, "250 ok\r", 7) != 0)
        _exit(3);
    (void)SSL_shutdown(ssl);
    _exit(0);
}

static pid_t start_client(int *fd_r, enum client_mode mode)
{
    int sv[2];
    pid_t pid;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_true((pid = fork()) >= 0);
    if (pid == 0) {
        (void)close(sv[0]);
        client(sv[1], mode);
    }
    (void)close(sv[1]);
    *fd_r = sv[0];
    return pid;
}

static int wait_client(pid_t pid)
{
    int status;

    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_handshake_and_lines(void **state UNUSED)
{
    struct tls_server_params p = params(ec_cert, ec_key);
    struct tls_info info;
    struct stream *s;
    struct buf line;
    char *err;
    int fd, term;
    pid_t pid;

    assert_int_equal(tls_server_init(&p, &err), 0);
    assert_true(tls_server_ready());
    pid = start_client(&fd, CLIENT_TLS);
    s = stream_open(fd, 10000);
    buf_init(&line, 512);
    /* Both clear-text lines arrive; the second must never be read through TLS. */
    assert_int_equal(stream_get_line(s, &line, 512, &term), 1);
    assert_string_equal(buf_str(&line), "STARTTLS");
    while (stream_pending(s) < 6)
        (void)stream_peek(s, &(const unsigned char *){NULL});
    assert_int_equal(stream_puts(s, "220\r\n"), 0); /* flushed by the handshake */
    assert_int_equal(tls_server_start(s, "client[local]", &info), 0);
    assert_non_null(stream_tls_ssl(s));
    assert_string_equal(info.protocol, "TLSv1.3");
    assert_true(info.bits > 0);
    assert_int_equal(stream_get_line(s, &line, 512, &term), 1);
    assert_string_equal(buf_str(&line), "EHLO x");
    assert_int_equal(stream_puts(s, "250 ok\r\n"), 0);
    assert_int_equal(stream_flush(s), 0);
    assert_int_equal(stream_get_line(s, &line, 512, &term), -1);
    assert_true(s->flags & STREAM_F_EOF);
    stream_tls_close(s);
    assert_null(stream_tls_ssl(s));
    stream_close(s);
    buf_free(&line);
    assert_int_equal(wait_client(pid), 0);
}

/* A server context made directly, for stream_tls alone. */
static SSL_CTX *tls_test_ctx(void)
{
    static SSL_CTX *ctx;

    if (ctx == NULL) {
        assert_non_null(ctx = SSL_CTX_new(TLS_server_method()));
        assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, ec_cert), 1);
        assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, ec_key, SSL_FILETYPE_PEM), 1);
    }
    return ctx;
}

/* stream_tls_accept() itself says what it dropped. */
static void test_discard_count(void **state UNUSED)
{
    SSL_CTX *ctx = tls_test_ctx();
    struct stream *s;
    struct buf line;
    size_t dropped = 0;
    char *err;
    int fd, term;
    pid_t pid;

    pid = start_client(&fd, CLIENT_TLS);
    s = stream_open(fd, 10000);
    buf_init(&line, 512);
    assert_int_equal(stream_get_line(s, &line, 512, &term), 1);
    while (stream_pending(s) < 6)
        (void)stream_peek(s, &(const unsigned char *){NULL});
    assert_int_equal(stream_puts(s, "220\r\n"), 0);
    assert_int_equal(stream_tls_accept(s, SSL_new(ctx), &dropped, &err), 0);
    assert_int_equal(dropped, 6);
    assert_int_equal(stream_get_line(s, &line, 512, &term), 1);
    assert_string_equal(buf_str(&line), "EHLO x");
    assert_int_equal(stream_puts(s, "250 ok\r\n"), 0);
    assert_int_equal(stream_flush(s), 0);
    stream_tls_close(s);
    stream_close(s);
    buf_free(&line);
    assert_int_equal(wait_client(pid), 0);
}

static void test_garbage_and_silence(void **state UNUSED)
{
    struct tls_server_params p = params(ec_cert, ec_key);
    struct tls_info info;
    struct stream *s;
    char *err;
    int fd;
    pid_t pid;

    assert_int_equal(tls_server_init(&p, &err), 0);
    pid = start_client(&fd, CLIENT_GARBAGE);
    s = stream_open(fd, 10000);
    assert_int_equal(tls_server_start(s, "client[local]", &info), -1);
    assert_null(stream_tls_ssl(s)); /* back on plain I/O, the SSL freed */
    stream_close(s);
    assert_int_equal(wait_client(pid), 0);
    assert_int_equal(ERR_peek_error(), 0); /* reported once, then cleared */

    /* A client that goes away before its ClientHello has only gone away. */
    pid = start_client(&fd, CLIENT_CLOSE);
    s = stream_open(fd, 10000);
    assert_int_equal(stream_tls_accept(s, SSL_new(tls_test_ctx()), NULL, &err), -1);
    assert_string_equal(err, "lost connection");
    assert_true(s->flags & STREAM_F_EOF);
    free(err);
    stream_close(s);
    assert_int_equal(wait_client(pid), 0);

    pid = start_client(&fd, CLIENT_SILENT);
    s = stream_open(fd, 200);
    assert_int_equal(tls_server_start(s, "client[local]", &info), -1);
    assert_true(s->flags & STREAM_F_TIMEOUT);
    stream_close(s);
    assert_int_equal(wait_client(pid), 0);
}

static void test_ticket_file(void **state UNUSED)
{
    struct tls_server_params p = params(ec_cert, ec_key);
    char path[PATH_MAX], *err;
    unsigned char first[160], again[160];
    struct stat st;
    int fd;

    if (geteuid() != 0)
        skip(); /* the key file must be root's */
    snprintf(path, sizeof(path), "%s/ticket.keys", tmp);
    p.ticket_key_file = path;
    assert_int_equal(tls_server_init(&p, &err), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 80);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_true((fd = open(path, O_RDONLY)) >= 0);
    assert_int_equal(read_full(fd, first, 80), 80);
    (void)close(fd);
    /* A second process finds a fresh key and takes it as it is. */
    assert_int_equal(tls_server_init(&p, &err), 0);
    assert_true((fd = open(path, O_RDONLY)) >= 0);
    assert_int_equal(read_full(fd, again, sizeof(again)), 80);
    (void)close(fd);
    assert_memory_equal(first, again, 80);
    /* An old key is rotated: a new current one, the old one kept second. */
    p.ticket_key_lifetime = 0;
    assert_int_equal(tls_server_init(&p, &err), 0);
    assert_true((fd = open(path, O_RDONLY)) >= 0);
    assert_int_equal(read_full(fd, again, sizeof(again)), 160);
    (void)close(fd);
    assert_memory_equal(again + 80, first, 80);
    assert_memory_not_equal(again, first, 80);
    /* A key file anyone may read is refused. */
    assert_int_equal(chmod(path, 0644), 0);
    p.ticket_key_lifetime = 3600;
    assert_int_equal(tls_server_init(&p, &err), -1);
    assert_non_null(strstr(err, "mode 0600"));
    free(err);
}

/*
 * The client of test_ticket_rotation: three connections on fds[0..2], all
 * offering the session of the first.  Exit status: bit i set when
 * connection i was resumed.
 */
static NORETURN void resume_client(const int *fds)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_SESSION *sess = NULL;
    int status = 0;

    for (int i = 0; i < 3; i++) {
        SSL *ssl = SSL_new(ctx);
        char reply[8];
        size_t n;

        if (ssl == NULL || SSL_set_fd(ssl, fds[i]) != 1 ||
            (sess && SSL_set_session(ssl, sess) != 1) || SSL_connect(ssl) != 1 ||
            !SSL_read_ex(ssl, reply, 7, &n)) /* the tickets come before the reply */
            _exit(100);
        if (SSL_session_reused(ssl))
            status |= 1 << i;
        if (sess == NULL && (sess = SSL_get1_session(ssl)) == NULL)
            _exit(101);
        (void)SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    _exit(status);
}

/* Serve one connection on fd with the ticket keys in path, rotating them first when asked. */
static bool serve_one(int fd, const char *path, bool rotate)
{
    struct tls_server_params p = params(ec_cert, ec_key);
    struct tls_info info;
    struct stream *s;
    char *err;

    p.ticket_key_file = path;
    p.ticket_key_lifetime = rotate ? 0 : 3600;
    assert_int_equal(tls_server_init(&p, &err), 0);
    s = stream_open(fd, 10000);
    assert_int_equal(tls_server_start(s, "client[local]", &info), 0);
    assert_int_equal(stream_puts(s, "250 ok\r\n"), 0);
    assert_int_equal(stream_flush(s), 0);
    stream_tls_close(s);
    stream_close(s);
    return info.reused;
}

/*
 * A ticket made with the current key still resumes after one rotation (the
 * key is kept second) and no longer after two: two keys cover a ticket.
 */
static void test_ticket_rotation(void **state UNUSED)
{
    char path[PATH_MAX];
    int ours[3], theirs[3];
    pid_t pid;

    if (geteuid() != 0)
        skip();
    snprintf(path, sizeof(path), "%s/rotation.keys", tmp);
    for (int i = 0; i < 3; i++) {
        int sv[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        ours[i] = sv[0];
        theirs[i] = sv[1];
    }
    assert_true((pid = fork()) >= 0);
    if (pid == 0)
        resume_client(theirs);
    for (int i = 0; i < 3; i++)
        (void)close(theirs[i]);
    assert_false(serve_one(ours[0], path, false));
    assert_true(serve_one(ours[1], path, true));  /* its key is the previous one now */
    assert_false(serve_one(ours[2], path, true)); /* and now gone */
    assert_int_equal(wait_client(pid), 1 << 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_protocols),           cmocka_unit_test(test_init_errors),
        cmocka_unit_test(test_handshake_and_lines), cmocka_unit_test(test_discard_count),
        cmocka_unit_test(test_garbage_and_silence), cmocka_unit_test(test_ticket_file),
        cmocka_unit_test(test_ticket_rotation),
    };

    unit_init("test_tls_server");
    return cmocka_run_group_tests(tests, setup, teardown);
}
