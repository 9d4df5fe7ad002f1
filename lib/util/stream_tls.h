/*
 * stream_tls.h - TLS under a stream (stream.h): the same bounded lines,
 * buffering, per-wait timeouts and deadlines, with the bytes going through
 * an OpenSSL SSL object instead of read()/write().
 *
 * It knows nothing of mail or of certificates: the caller makes the SSL
 * (from its SSL_CTX) and decides what a failure means.  It is for every
 * protocol daemon (smtpd STARTTLS and wrapper mode, pop3d, imapd) and for
 * the outbound client (stream_tls_connect).
 *
 * The handshake starts with the stream's read buffer emptied: whatever the
 * peer sent in clear text after the command that started TLS must never be
 * read as if it had come through TLS (CVE-2011-0411).
 */
#ifndef POSTERN_STREAM_TLS_H
#define POSTERN_STREAM_TLS_H

#include "sys_defs.h"
#include <openssl/ssl.h>
#include "stream.h"

/*
 * Put ssl (taking ownership) under s and run the server (accept) or client
 * (connect) handshake within s's limits.  Clear-text input still buffered
 * is dropped first; *discarded_r (may be NULL) says how much.  0 on
 * success.  -1 on failure: ssl is freed, s is back on plain I/O (with
 * STREAM_F_* set when the connection failed) and *error_r is a malloc'ed
 * one-line reason (OpenSSL's, or "timeout", "lost connection").
 */
int stream_tls_accept(struct stream *s, SSL *ssl, size_t *discarded_r, char **error_r);
int stream_tls_connect(struct stream *s, SSL *ssl, char **error_r);
/* The SSL under s, or NULL when s is plain. */
SSL *stream_tls_ssl(const struct stream *s);
/*
 * Send close_notify (without waiting for the peer's), free the SSL and go
 * back to plain I/O.  Unsent output is flushed first.  A no-op on a plain
 * stream; call it before stream_close().
 */
void stream_tls_close(struct stream *s);
/*
 * Why the last TLS read or write failed (OpenSSL's reason), or NULL; valid
 * until the next failure or stream_tls_close().
 */
const char *stream_tls_error(const struct stream *s);
/*
 * OpenSSL's error queue as one line (the first reason, which names the
 * cause, e.g. "error:0A00010B:SSL routines::wrong version number"), or
 * fallback when the queue is empty; the queue is emptied.  Malloc'ed.
 */
char *stream_tls_reason(const char *fallback);

#endif
