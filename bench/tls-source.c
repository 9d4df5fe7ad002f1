/*
 * tls-source: a small SMTP load generator that speaks STARTTLS, for
 * bench/tls.  Postfix's smtp-source does not, so the TLS figures of issue 7
 * need a client of our own; its plain mode is measured against smtp-source
 * on the same server to show it is not the bottleneck.
 *
 * One thread per client with blocking sockets: at 50 clients the threads
 * spend their time waiting for the server, and a thread per session keeps
 * the protocol a straight line of code.  Each session: greeting, EHLO,
 * [STARTTLS, handshake, EHLO], then -m messages (MAIL, RCPT, DATA, the
 * message, RSET between messages), QUIT.  No PIPELINING, as smtp-source.
 *
 * With --session-reuse each client keeps the last session (TLS 1.3 ticket)
 * its server gave it and offers it on its next connection, as a real MTA's
 * TLS session cache does.  --idle N opens N TLS sessions that stop after
 * the second EHLO and stay open until stdin reaches end of file, for the
 * memory-per-session figure.  --quickack: see conn_fill().
 *
 * It must never talk to anything but loopback: the host is checked.
 * Output: key=value figures on stdout (cpu_s is the generator's own CPU
 * time, to compare with the run's), errors on stderr; exit 1 when any
 * message failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct opts {
    int clients;
    long messages;
    long size;
    int per_conn;
    int starttls;
    int reuse;
    int idle;
    int quickack;
    const char *helo;
    const char *from;
    const char *to;
    struct sockaddr_storage addr;
    socklen_t addrlen;
};

static struct opts opt = {
    .clients = 10,
    .messages = 1000,
    .size = 4096,
    .per_conn = 1,
    .helo = "client.bench.example",
    .from = "sender@bench.example",
    .to = "pbench@bench.example",
};

static SSL_CTX *ctx;
static char *message; /* the whole DATA payload, CRLF, ends ".\r\n" */
static size_t message_len;

static atomic_long next_msg; /* messages handed out so far */
static atomic_long sent, errors, connections, handshakes, resumed;
static pthread_mutex_t info_lock = PTHREAD_MUTEX_INITIALIZER;
static char tls_info[128];

/* One client's connection: a socket, TLS over it once started, and a
 * small read buffer for reply lines. */
struct conn {
    int fd;
    SSL *ssl;
    char buf[4096];
    size_t len, off;
    SSL_SESSION *saved; /* the last session this client was given */
    int id;
};

static void warn_msg(struct conn *c, const char *fmt, ...)
{
    va_list ap;
    char text[512];

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    fprintf(stderr, "tls-source: client %d: %s\n", c->id, text);
}

static int conn_write(struct conn *c, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n;

        if (c->ssl) {
            size_t w;
            if (SSL_write_ex(c->ssl, data, len, &w) <= 0)
                return -1;
            n = (ssize_t)w;
        } else {
            n = write(c->fd, data, len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int conn_fill(struct conn *c)
{
    ssize_t n;

    c->off = 0;
    c->len = 0;
    /* The servers do not set TCP_NODELAY, so a reply written while their
     * TLS 1.3 session tickets are not yet acknowledged waits for the
     * client's delayed ACK (40 ms on Linux): a full handshake costs about
     * 45 ms of wall time, whatever the CPU.  Real clients see that delay;
     * --quickack acknowledges at once, so the figures show the servers'
     * work instead.  The flag does not stick, hence before every read. */
    if (opt.quickack) {
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
    }
    for (;;) {
        if (c->ssl) {
            size_t r;
            if (SSL_read_ex(c->ssl, c->buf, sizeof(c->buf), &r) <= 0)
                return -1;
            n = (ssize_t)r;
        } else {
            n = read(c->fd, c->buf, sizeof(c->buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return -1;
        }
        c->len = (size_t)n;
        return 0;
    }
}

/* Read one reply, all its lines; return its code or -1.  The text of the
 * last line goes to last_r for error messages. */
static int read_reply(struct conn *c, char *last_r, size_t last_size)
{
    char line[1024];

    for (;;) {
        size_t n = 0;
        int more;

        for (;;) {
            char ch;
            if (c->off == c->len && conn_fill(c) < 0)
                return -1;
            ch = c->buf[c->off++];
            if (ch == '\n')
                break;
            if (n < sizeof(line) - 1)
                line[n++] = ch;
        }
        if (n > 0 && line[n - 1] == '\r')
            n--;
        line[n] = 0;
        if (n < 3)
            return -1;
        more = n > 3 && line[3] == '-';
        if (!more) {
            snprintf(last_r, last_size, "%s", line);
            return atoi(line);
        }
    }
}

/* Send a command and expect a reply code in [want, want+99]. */
static int command(struct conn *c, const char *cmd, int want)
{
    char reply[1024];
    int code;

    if (cmd && conn_write(c, cmd, strlen(cmd)) < 0) {
        warn_msg(c, "write failed");
        return -1;
    }
    code = read_reply(c, reply, sizeof(reply));
    if (code < want || code > want + 99) {
        char shown[64];
        snprintf(shown, sizeof(shown), "%s", cmd ? cmd : "(greeting)\r\n");
        shown[strcspn(shown, "\r\n")] = 0;
        warn_msg(c, "%s: %s", shown, code < 0 ? "connection lost" : reply);
        return -1;
    }
    return 0;
}

static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
    struct conn *c = SSL_get_app_data(ssl);

    /* Keep the ticket we have unless this one can be offered. */
    if (!SSL_SESSION_is_resumable(sess))
        return 0;
    if (c->saved)
        SSL_SESSION_free(c->saved);
    c->saved = sess;
    return 1; /* we keep the reference */
}

static int start_tls(struct conn *c)
{
    char ehlo[256];

    if (command(c, "STARTTLS\r\n", 200) < 0)
        return -1;
    /* The server's 220 was the last thing it sent in clear; the buffer is
     * empty unless it misbehaved. */
    if (c->off != c->len) {
        warn_msg(c, "data after the STARTTLS reply");
        return -1;
    }
    c->ssl = SSL_new(ctx);
    if (!c->ssl)
        return -1;
    SSL_set_app_data(c->ssl, c);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, "mx.bench.example");
    if (opt.reuse && c->saved) {
        /* OpenSSL marks a TLS 1.3 session it resumed as used up.  The
         * servers issue no new ticket on resumption, and a stateless
         * ticket stays valid until it expires, so offer a copy and keep
         * the original, as an MTA's external session cache (Postfix's
         * tlsmgr) hands out the same serialized session each time. */
        SSL_SESSION *copy = SSL_SESSION_dup(c->saved);
        if (copy) {
            SSL_set_session(c->ssl, copy);
            SSL_SESSION_free(copy);
        }
    }
    if (SSL_connect(c->ssl) != 1) {
        unsigned long e = ERR_get_error();
        warn_msg(c, "TLS handshake failed: %s", e ? ERR_reason_error_string(e) : "?");
        return -1;
    }
    atomic_fetch_add(&handshakes, 1);
    if (SSL_session_reused(c->ssl))
        atomic_fetch_add(&resumed, 1);
    if (!tls_info[0]) {
        pthread_mutex_lock(&info_lock);
        snprintf(tls_info, sizeof(tls_info), "tls_version=%s tls_cipher=%s",
                 SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl));
        pthread_mutex_unlock(&info_lock);
    }
    snprintf(ehlo, sizeof(ehlo), "EHLO %s\r\n", opt.helo);
    return command(c, ehlo, 200);
}

static int open_session(struct conn *c)
{
    char ehlo[256];
    int one = 1;

    c->fd = socket(opt.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->ssl = NULL;
    c->off = c->len = 0;
    if (connect(c->fd, (struct sockaddr *)&opt.addr, opt.addrlen) < 0) {
        warn_msg(c, "connect: %s", strerror(errno));
        return -1;
    }
    atomic_fetch_add(&connections, 1);
    if (command(c, NULL, 200) < 0)
        return -1;
    snprintf(ehlo, sizeof(ehlo), "EHLO %s\r\n", opt.helo);
    if (command(c, ehlo, 200) < 0)
        return -1;
    if (opt.starttls && start_tls(c) < 0)
        return -1;
    return 0;
}

static void close_session(struct conn *c)
{
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static int send_message(struct conn *c)
{
    char cmd[600];

    snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>\r\n", opt.from);
    if (command(c, cmd, 200) < 0)
        return -1;
    snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", opt.to);
    if (command(c, cmd, 200) < 0)
        return -1;
    if (command(c, "DATA\r\n", 300) < 0)
        return -1;
    if (conn_write(c, message, message_len) < 0) {
        warn_msg(c, "write of the message failed");
        return -1;
    }
    return command(c, NULL, 200);
}

static long claim(void)
{
    long i = atomic_fetch_add(&next_msg, 1);
    return i < opt.messages ? i : -1;
}

static void *client_main(void *arg)
{
    struct conn *c = arg;
    long got = claim();

    while (got >= 0) {
        int in_conn = 0;

        if (open_session(c) < 0) {
            atomic_fetch_add(&errors, 1);
            close_session(c);
            got = claim();
            continue;
        }
        while (got >= 0 && in_conn < opt.per_conn) {
            if (in_conn > 0 && command(c, "RSET\r\n", 200) < 0)
                break;
            if (send_message(c) < 0)
                break;
            atomic_fetch_add(&sent, 1);
            in_conn++;
            got = claim();
        }
        if (got >= 0 && in_conn < opt.per_conn) {
            /* A failure inside the session: count the message we held. */
            atomic_fetch_add(&errors, 1);
            close_session(c);
            got = claim();
            continue;
        }
        command(c, "QUIT\r\n", 200);
        close_session(c);
    }
    return NULL;
}

/* --idle: open the sessions, report, wait for end of file on stdin. */
static int run_idle(void)
{
    struct conn *cs = calloc((size_t)opt.idle, sizeof(*cs));
    int ok = 0;
    char ch;

    if (!cs)
        return 1;
    for (int i = 0; i < opt.idle; i++) {
        cs[i].id = i;
        cs[i].fd = -1;
        if (open_session(&cs[i]) == 0) {
            ok++;
        } else {
            atomic_fetch_add(&errors, 1);
            close_session(&cs[i]);
        }
    }
    printf("idle_sessions=%d errors=%ld handshakes=%ld %s\n", ok, (long)errors, (long)handshakes,
           tls_info[0] ? tls_info : "tls_version=none");
    fflush(stdout);
    while (read(0, &ch, 1) > 0)
        ;
    for (int i = 0; i < opt.idle; i++) {
        if (cs[i].fd >= 0)
            command(&cs[i], "QUIT\r\n", 200);
        close_session(&cs[i]);
    }
    return errors ? 1 : 0;
}

static void build_message(void)
{
    static const char line[] =
        "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 tls-source\r\n";
    char head[512];
    int hl = snprintf(head, sizeof(head),
                      "From: <%s>\r\nTo: <%s>\r\nSubject: tls-source benchmark\r\n"
                      "Message-ID: <bench.%ld@bench.example>\r\n\r\n",
                      opt.from, opt.to, (long)getpid());
    size_t cap = (size_t)hl + (size_t)opt.size + sizeof(line) + 8;
    size_t len = (size_t)hl;

    message = malloc(cap);
    if (!message) {
        perror("tls-source: malloc");
        exit(2);
    }
    memcpy(message, head, (size_t)hl);
    while (len < (size_t)hl + (size_t)opt.size) {
        memcpy(message + len, line, sizeof(line) - 1);
        len += sizeof(line) - 1;
    }
    memcpy(message + len, ".\r\n", 3);
    message_len = len + 3;
}

static void set_server(const char *arg)
{
    char host[256];
    const char *colon = strrchr(arg, ':');
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    int rc;

    if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof(host)) {
        fprintf(stderr, "tls-source: server must be host:port, not %s\n", arg);
        exit(2);
    }
    memcpy(host, arg, (size_t)(colon - arg));
    host[colon - arg] = 0;
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = 0;
    }
    rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "tls-source: %s: %s\n", arg, gai_strerror(rc));
        exit(2);
    }
    /* Benchmarks stay on this machine: refuse anything but loopback. */
    if (!((res->ai_family == AF_INET &&
           (ntohl(((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr) >> 24) == 127) ||
          (res->ai_family == AF_INET6 &&
           IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr)))) {
        fprintf(stderr, "tls-source: refusing non-loopback server %s\n", arg);
        exit(2);
    }
    memcpy(&opt.addr, res->ai_addr, res->ai_addrlen);
    opt.addrlen = res->ai_addrlen;
    freeaddrinfo(res);
}

static void usage(void)
{
    fprintf(stderr, "usage: tls-source [-c CLIENTS] [-n MESSAGES] [-s SIZE] [-m PER_CONNECTION]\n"
                    "                  [--starttls] [--session-reuse] [--quickack] [--idle N]\n"
                    "                  [-f SENDER] [-t RECIPIENT] [-H HELO] HOST:PORT\n");
    exit(2);
}

static long number(const char *s, long min)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*s == 0 || *end != 0 || v < min)
        usage();
    return v;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"starttls", no_argument, NULL, 'S'},
        {"session-reuse", no_argument, NULL, 'R'},
        {"idle", required_argument, NULL, 'I'},
        {"quickack", no_argument, NULL, 'Q'},
        {NULL, 0, NULL, 0},
    };
    struct timespec t0, t1;
    struct rusage ru;
    pthread_t *threads;
    struct conn *cs;
    double secs;
    int ch;

    while ((ch = getopt_long(argc, argv, "c:n:s:m:f:t:H:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            opt.clients = (int)number(optarg, 1);
            break;
        case 'n':
            opt.messages = number(optarg, 1);
            break;
        case 's':
            opt.size = number(optarg, 0);
            break;
        case 'm':
            opt.per_conn = (int)number(optarg, 1);
            break;
        case 'f':
            opt.from = optarg;
            break;
        case 't':
            opt.to = optarg;
            break;
        case 'H':
            opt.helo = optarg;
            break;
        case 'S':
            opt.starttls = 1;
            break;
        case 'R':
            opt.reuse = 1;
            break;
        case 'Q':
            opt.quickack = 1;
            break;
        case 'I':
            opt.idle = (int)number(optarg, 1);
            break;
        default:
            usage();
        }
    }
    if (optind != argc - 1)
        usage();
    set_server(argv[optind]);
    signal(SIGPIPE, SIG_IGN);

    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        fprintf(stderr, "tls-source: SSL_CTX_new failed\n");
        return 2;
    }
    /* The bench certificate is self-signed; what is measured is the
     * server's work, so the client checks nothing. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (opt.reuse) {
        SSL_CTX_set_session_cache_mode(ctx,
                                       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }

    if (opt.idle)
        return run_idle();

    build_message();
    if (opt.clients > opt.messages)
        opt.clients = (int)opt.messages;
    threads = calloc((size_t)opt.clients, sizeof(*threads));
    cs = calloc((size_t)opt.clients, sizeof(*cs));
    if (!threads || !cs) {
        perror("tls-source: calloc");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < opt.clients; i++) {
        cs[i].id = i;
        cs[i].fd = -1;
        if (pthread_create(&threads[i], NULL, client_main, &cs[i]) != 0) {
            fprintf(stderr, "tls-source: pthread_create failed\n");
            return 2;
        }
    }
    for (int i = 0; i < opt.clients; i++)
        pthread_join(threads[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    getrusage(RUSAGE_SELF, &ru);

    printf("clients=%d messages=%ld size=%ld per_connection=%d starttls=%d session_reuse=%d "
           "quickack=%d "
           "accepted=%ld accept_s=%.3f accept_mps=%.1f connections=%ld handshakes=%ld "
           "resumed=%ld errors=%ld cpu_s=%.3f %s\n",
           opt.clients, opt.messages, opt.size, opt.per_conn, opt.starttls, opt.reuse, opt.quickack,
           (long)sent, secs, secs > 0 ? (double)sent / secs : 0.0, (long)connections,
           (long)handshakes, (long)resumed, (long)errors,
           (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
           tls_info[0] ? tls_info : "tls_version=none");
    return errors ? 1 : 0;
}
