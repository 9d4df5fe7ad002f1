/*
 * sock.c - socket creation for listeners and clients (see sock.h).
 */
#include "sys_defs.h"
#include "sock.h"
#include <netinet/tcp.h>
#include "iostuff.h"
#include "msg.h"
#include "priv.h"

/* Fill in a UNIX-domain address; -1 (ENAMETOOLONG) if path does not fit. */
static int unix_addr(struct sockaddr_un *sun, const char *path)
{
    size_t len = strlen(path);

    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (len >= sizeof(sun->sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sun->sun_path, path, len + 1);
    return 0;
}

/* unlink and bind; called with the owner's effective ids and umask in place. */
static int unix_bind(int fd, const char *path, const struct sockaddr_un *sun)
{
    if (unlink(path) < 0 && errno != ENOENT)
        return -1;
    return bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
}

/*
 * The socket's directory may belong to an unprivileged user (private/ and
 * public/ belong to mail_owner), who could swap the name for a symlink
 * between a bind() and a chown() or chmod() by path, and so make root hand
 * any file over.  So no operation on the path is done as root: it is done
 * with the owner's effective ids, which also make the owner of the new
 * socket, and the umask makes its mode.  A symlink then gets nothing the
 * owner could not have done alone.
 */
int unix_listen(const char *path, int backlog, mode_t mode, uid_t uid, gid_t gid)
{
    struct sockaddr_un sun;
    bool as_owner = geteuid() == 0 && uid != 0;
    mode_t old_umask;
    int fd, ret, err;

    if (unix_addr(&sun, path) < 0)
        return -1;
    if (geteuid() != 0 && uid != geteuid()) {
        errno = EPERM; /* only root can make a socket for someone else */
        return -1;
    }
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    if (as_owner && priv_as_user(uid, gid) < 0) {
        close_quietly(fd);
        return -1;
    }
    old_umask = umask(~mode & 0777);
    ret = unix_bind(fd, path, &sun);
    err = errno;
    (void)umask(old_umask);
    if (as_owner)
        priv_as_root();
    if (ret < 0 || listen(fd, backlog) < 0) {
        if (ret == 0)
            err = errno;
        close_quietly(fd);
        errno = err;
        return -1;
    }
    return fd;
}

int unix_connect(const char *path, bool nonblock)
{
    struct sockaddr_un sun;
    int fd;

    if (unix_addr(&sun, path) < 0)
        return -1;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0)
        return -1;
    for (;;) {
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
            return fd;
        if (errno == EINTR)
            continue;
        if (nonblock && (errno == EINPROGRESS || errno == EAGAIN))
            return fd;
        close_quietly(fd);
        return -1;
    }
}

int inet_listen(const char *host, const char *port, int backlog, const char **error_r)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res, *ai;
    int fd = -1, err, on = 1;

    if (host != NULL && *host == 0)
        host = NULL;
    hints.ai_family = host ? AF_UNSPEC : AF_INET6;
    if ((err = getaddrinfo(host, port, &hints, &res)) != 0 && host == NULL) {
        hints.ai_family = AF_INET;
        err = getaddrinfo(host, port, &hints, &res);
    }
    if (err != 0) {
        *error_r = gai_strerror(err);
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        if (ai->ai_family == AF_INET6 && host == NULL) {
            int off = 0; /* one dual-stack socket serves IPv4 too */

            (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
        }
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0)
            break;
        close_quietly(fd);
        fd = -1;
    }
    if (fd < 0)
        *error_r = strerror(errno);
    freeaddrinfo(res);
    return fd;
}

void sock_nodelay(int fd)
{
    int on = 1;

    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) < 0 && errno != EOPNOTSUPP &&
        errno != ENOPROTOOPT)
        msg_warn("setsockopt TCP_NODELAY: %m");
}

int inet_connect(const struct sockaddr *sa, socklen_t salen, int timeout_ms)
{
    return inet_connect_from(sa, salen, NULL, 0, timeout_ms);
}

int inet_connect_from(const struct sockaddr *sa, socklen_t salen, const struct sockaddr *from,
                      socklen_t fromlen, int timeout_ms)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int err = 0;
    socklen_t errlen = sizeof(err);

    if (fd < 0)
        return -1;
    if (from && bind(fd, from, fromlen) < 0)
        goto fail;
    if (connect(fd, sa, salen) == 0)
        return fd;
    if (errno != EINPROGRESS)
        goto fail;
    switch (poll_fd(fd, POLLOUT, timeout_ms)) {
    case 0:
        errno = ETIMEDOUT;
        goto fail;
    case -1:
        goto fail;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
        goto fail;
    if (err != 0) {
        errno = err;
        goto fail;
    }
    return fd;

fail:
    close_quietly(fd);
    return -1;
}

int sock_ntop(const struct sockaddr *sa, char *addr, size_t len, int *port_r)
{
    const void *src;
    int port;

    switch (sa->sa_family) {
    case AF_INET:
        src = &((const struct sockaddr_in *)sa)->sin_addr;
        port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
        break;
    case AF_INET6:
        src = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
        break;
    default:
        snprintf(addr, len, "local");
        if (port_r)
            *port_r = 0;
        return 0;
    }
    if (inet_ntop(sa->sa_family, src, addr, (socklen_t)len) == NULL)
        return -1;
    if (port_r)
        *port_r = port;
    return 0;
}

void sock_unmap_v4(struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    struct sockaddr_in s4 = {.sin_family = AF_INET};

    if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
        return;
    s4.sin_port = s6->sin6_port;
    memcpy(&s4.sin_addr, s6->sin6_addr.s6_addr + 12, 4);
    memset(ss, 0, sizeof(*ss));
    memcpy(ss, &s4, sizeof(s4));
    *len = sizeof(s4);
}
