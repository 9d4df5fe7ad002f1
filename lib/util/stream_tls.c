/*
 * stream_tls.c - the TLS transport of a stream (see stream_tls.h).
 *
 * OpenSSL works on the non-blocking descriptor itself; when it needs the
 * socket readable or writable it says so (SSL_ERROR_WANT_*), which becomes
 * s->want and EAGAIN, and stream.c waits in its one place, stream_wait(),
 * with its one set of limits.  A TLS read can want POLLOUT (and a write
 * POLLIN) during a key update; that is why want is per call.
 */
#include "sys_defs.h"
#include <openssl/err.h>
#include "stream_tls.h"
#include "mymalloc.h"
#include "msg.h"

struct stream_tls {
    SSL *ssl;
    char *error; /* reason of the last failed read or write */
};

static const struct stream_ops tls_ops;

static struct stream_tls *tls_of(const struct stream *s)
{
    return s->ops == &tls_ops ? s->ops_ctx : NULL;
}

char *stream_tls_reason(const char *fallback)
{
    unsigned long e = ERR_get_error();
    char text[256];

    if (e == 0)
        return xstrdup(fallback);
    ERR_error_string_n(e, text, sizeof(text));
    ERR_clear_error();
    return xstrdup(text);
}

/*
 * Turn the result of an SSL call into the ops convention: EAGAIN with
 * s->want for "again", 0 for the peer's close, -1 with errno otherwise.
 */
static ssize_t tls_result(struct stream *s, struct stream_tls *t, int ret)
{
    int err = SSL_get_error(t->ssl, ret);
    int saved = errno;

    switch (err) {
    case SSL_ERROR_WANT_READ:
        s->want = POLLIN;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        s->want = POLLOUT;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        /* No errno: the peer closed without close_notify, which is only end of file. */
        if (saved == 0)
            return 0;
        errno = saved;
        return -1;
    default:
        /* A peer that closed without close_notify has only gone away. */
        if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            ERR_clear_error();
            return 0;
        }
        free(t->error);
        t->error = stream_tls_reason("TLS protocol error");
        errno = EPROTO;
        return -1;
    }
}

static ssize_t tls_read(struct stream *s, void *p, size_t len)
{
    struct stream_tls *t = s->ops_ctx;
    size_t n = 0;
    int ret;

    /* SSL_get_error() reads the queue: nothing stale may be in it. */
    ERR_clear_error();
    errno = 0;
    ret = SSL_read_ex(t->ssl, p, len, &n);
    if (ret == 1)
        return (ssize_t)n;
    return tls_result(s, t, ret);
}

static ssize_t tls_write(struct stream *s, const void *p, size_t len)
{
    struct stream_tls *t = s->ops_ctx;
    size_t n = 0;
    int ret;

    ERR_clear_error();
    errno = 0;
    ret = SSL_write_ex(t->ssl, p, len, &n);
    if (ret == 1)
        return (ssize_t)n;
    if (tls_result(s, t, ret) == 0)
        errno = EPIPE; /* a write cannot meet end of file */
    return -1;
}

/* Decrypted bytes OpenSSL holds that our buffer has not taken yet. */
static size_t tls_pending(struct stream *s)
{
    struct stream_tls *t = s->ops_ctx;
    int n = SSL_pending(t->ssl);

    return n > 0 ? (size_t)n : 0;
}

static const struct stream_ops tls_ops = {tls_read, tls_write, tls_pending};

static void tls_free(struct stream *s, struct stream_tls *t)
{
    SSL_free(t->ssl);
    free(t->error);
    free(t);
    stream_set_ops(s, NULL, NULL);
}

/* Drive the handshake to its end within the stream's limits. */
static int tls_handshake(struct stream *s, struct stream_tls *t, char **error_r)
{
    for (;;) {
        ssize_t r;
        int ret;

        if (s->flags & (STREAM_F_EOF | STREAM_F_ERROR | STREAM_F_TIMEOUT)) {
            *error_r = xstrdup(stream_strerror(s));
            return -1;
        }
        errno = 0;
        ERR_clear_error();
        ret = SSL_do_handshake(t->ssl);
        if (ret == 1)
            return 0;
        if ((r = tls_result(s, t, ret)) < 0 && errno == EAGAIN) {
            if (stream_wait(s) < 0) {
                *error_r = xstrdup(stream_strerror(s));
                return -1;
            }
            continue;
        }
        /* The peer went away, a system call failed, or the protocol did. */
        if (t->error) {
            *error_r = t->error;
            t->error = NULL;
            return -1;
        }
        if (r == 0) {
            s->flags |= STREAM_F_EOF;
        } else {
            s->flags |= STREAM_F_ERROR;
            s->error = errno;
        }
        *error_r = xstrdup(stream_strerror(s));
        return -1;
    }
}

static int tls_start(struct stream *s, SSL *ssl, bool server, size_t *discarded_r, char **error_r)
{
    struct stream_tls *t;
    size_t dropped;

    if (tls_of(s) != NULL)
        msg_panic("stream_tls: TLS started twice on one stream");
    /* Queued clear-text replies (the "220 Ready to start TLS") go out first. */
    if (stream_flush(s) < 0) {
        SSL_free(ssl);
        *error_r = xstrdup(stream_strerror(s));
        return -1;
    }
    dropped = stream_discard_input(s);
    if (discarded_r)
        *discarded_r = dropped;
    if (SSL_set_fd(ssl, s->fd) != 1) {
        SSL_free(ssl);
        *error_r = stream_tls_reason("SSL_set_fd failed");
        return -1;
    }
    if (server)
        SSL_set_accept_state(ssl);
    else
        SSL_set_connect_state(ssl);
    t = xcalloc(1, sizeof(*t));
    t->ssl = ssl;
    stream_set_ops(s, &tls_ops, t);
    if (tls_handshake(s, t, error_r) < 0) {
        tls_free(s, t);
        return -1;
    }
    return 0;
}

int stream_tls_accept(struct stream *s, SSL *ssl, size_t *discarded_r, char **error_r)
{
    return tls_start(s, ssl, true, discarded_r, error_r);
}

int stream_tls_connect(struct stream *s, SSL *ssl, char **error_r)
{
    return tls_start(s, ssl, false, NULL, error_r);
}

SSL *stream_tls_ssl(const struct stream *s)
{
    struct stream_tls *t = tls_of(s);

    return t ? t->ssl : NULL;
}

const char *stream_tls_error(const struct stream *s)
{
    struct stream_tls *t = tls_of(s);

    return t ? t->error : NULL;
}

void stream_tls_close(struct stream *s)
{
    struct stream_tls *t = tls_of(s);

    if (t == NULL)
        return;
    (void)stream_flush(s);
    /*
     * One close_notify, no wait for the peer's: the connection ends here
     * and a peer that never answers must not hold us.  A session closed
     * without it is not resumable, so it matters for tickets' sake.
     */
    if (!(s->flags & (STREAM_F_ERROR | STREAM_F_TIMEOUT)) && SSL_shutdown(t->ssl) < 0)
        ERR_clear_error();
    tls_free(s, t);
}
