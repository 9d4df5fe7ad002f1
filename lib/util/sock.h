/*
 * sock.h - creating, binding and connecting sockets.
 *
 * master binds every listener here (as root); daemons connect to each
 * other's UNIX sockets with unix_connect().  Addresses are printed the way
 * Postfix logs them: bare IPv4, IPv6 without brackets in [] contexts.
 */
#ifndef POSTERN_SOCK_H
#define POSTERN_SOCK_H

#include "sys_defs.h"

#define SOCK_ADDR_MAX INET6_ADDRSTRLEN

/*
 * Bind a stream listener at path (replacing a stale socket), owned by
 * uid/gid with the given mode.  As root, every operation on the path is done
 * with uid/gid as the effective ids, so a directory that uid can write is
 * never a way to make root follow a symlink.  -1 with errno.
 */
int unix_listen(const char *path, int backlog, mode_t mode, uid_t uid, gid_t gid);
/* Connect to a stream socket; non-blocking connect when nonblock is set. */
int unix_connect(const char *path, bool nonblock);
/*
 * Bind a TCP listener on host (NULL or "" for every address) and port, both
 * numeric or names.  Returns the descriptor or -1 with *error_r.
 */
int inet_listen(const char *host, const char *port, int backlog, const char **error_r);
/* Connect a TCP socket with a timeout; -1 with errno (ETIMEDOUT on timeout). */
int inet_connect(const struct sockaddr *sa, socklen_t salen, int timeout_ms);
/*
 * Turn Nagle's algorithm off: a protocol session writes whole turns (stream.h
 * buffers them), so Nagle only adds delay.  smtpd's reply after TLS 1.3's
 * session tickets, and the smtp client's BDAT chunk after its command line,
 * would wait for the peer's delayed ACK (about 40 ms; bench/tls and
 * bench/smtp-client measured it).  Failure is logged, not fatal.
 */
void sock_nodelay(int fd);
/* The same from a local address (from, port 0: any), as smtp_bind_address asks. */
int inet_connect_from(const struct sockaddr *sa, socklen_t salen, const struct sockaddr *from,
                      socklen_t fromlen, int timeout_ms);

/* Print the numeric address of sa into addr (SOCK_ADDR_MAX + 1 bytes). */
int sock_ntop(const struct sockaddr *sa, char *addr, size_t len, int *port_r);
/* Map an IPv4-mapped IPv6 address to plain IPv4, in place. */
void sock_unmap_v4(struct sockaddr_storage *ss, socklen_t *len);

#endif
