/*
 * test_qfile.c - queue files: written with the writer in a temporary queue
 * directory and read back with both readers (qfile_read() over a
 * descriptor, qfile_parse() in memory), every field compared; status bytes
 * changed in place exactly once; and every way a file can be damaged
 * (truncated at each length, record types and lengths corrupted, records
 * missing, repeated, malformed or trailing) refused cleanly by both readers.
 */
#include "unit.h"
#include "buf.h"
#include "qfile.h"
#include "queue.h"

static char dir[PATH_MAX];
static int old_cwd = -1;

static int setup(void **state UNUSED)
{
    unit_mkdtemp(dir, sizeof(dir));
    old_cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(old_cwd >= 0);
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(mkdir(QUEUE_INCOMING, 0700), 0);
    return 0;
}

static int teardown(void **state UNUSED)
{
    assert_int_equal(fchdir(old_cwd), 0);
    (void)close(old_cwd);
    unit_rmtree(dir);
    return 0;
}

/* Remove every file in incoming/ between tests. */
static void clean_incoming(void)
{
    DIR *d = opendir(QUEUE_INCOMING);
    struct dirent *de;
    char path[PATH_MAX];

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' && (de->d_name[1] == 0 || strcmp(de->d_name, "..") == 0))
            continue;
        snprintf(path, sizeof(path), "%s/%s", QUEUE_INCOMING, de->d_name);
        assert_int_equal(unlink(path), 0);
    }
    (void)closedir(d);
}

static const char content[] = "Subject: test\n\nline 1\nline 2\n";

/* Write the sample message; its queue file ends up in incoming/<id>. */
static void write_sample(char *id, size_t idlen, const void *body, size_t body_len, size_t chunk)
{
    struct timeval tv = {1700000000, 123456};
    struct qfile_writer w;
    const char *why = NULL;
    char line[64];
    size_t off;
    int dfd;

    if (qfile_create(&w, &tv, &why) != 0)
        fail_msg("qfile_create: %s", why);
    snprintf(line, sizeof(line), "%lld %ld", (long long)tv.tv_sec, (long)tv.tv_usec);
    qfile_put(&w, QFILE_REC_TIME, line, strlen(line));
    qfile_put(&w, QFILE_REC_SENDER, "sender@example.com", 18);
    qfile_put_attr(&w, "client_address", "192.0.2.1");
    qfile_put_attr(&w, "helo_name", "client.example");
    qfile_put_attr(&w, "empty", "");
    qfile_put_rcpt(&w, "a@example.com", NULL, 0);
    qfile_put_rcpt(&w, "b b@example.com", "rfc822;B@example.com",
                   QFILE_NOTIFY_SUCCESS | QFILE_NOTIFY_FAILURE);
    qfile_content_begin(&w);
    for (off = 0; off < body_len; off += chunk)
        qfile_content_write(&w, (const char *)body + off,
                            body_len - off < chunk ? body_len - off : chunk);
    qfile_content_write(&w, "", 0);
    qfile_content_end(&w);
    /* after the content, with a DSN ORCPT ('D') */
    qfile_put_rcpt_dsn(&w, "c@[192.0.2.9]", NULL, QFILE_NOTIFY_NEVER, "rfc822;C+x@example.com");
    dfd = open(QUEUE_INCOMING, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dfd >= 0);
    if (qfile_commit(&w, dfd) != 0)
        fail_msg("qfile_commit: %s", strerror(errno));
    (void)close(dfd);
    assert_true(queue_id_ok(w.id));
    snprintf(id, idlen, "%s", w.id);
}

/* Every field of the sample, whichever reader produced m. */
static void check_sample(const struct qmsg *m, int fd, const void *body, size_t body_len)
{
    static const char *const addrs[] = {"a@example.com", "b b@example.com", "c@[192.0.2.9]"};
    unsigned char *got;
    char head[2];
    size_t i;

    assert_true(m->arrival_sec == 1700000000);
    assert_int_equal(m->arrival_usec, 123456);
    assert_string_equal(m->sender, "sender@example.com");
    assert_int_equal(m->nattrs, 3);
    assert_string_equal(qmsg_attr(m, "client_address"), "192.0.2.1");
    assert_string_equal(qmsg_attr(m, "helo_name"), "client.example");
    assert_string_equal(qmsg_attr(m, "empty"), "");
    assert_null(qmsg_attr(m, "missing"));
    assert_string_equal(m->attrs[0].name, "client_address");
    assert_int_equal(m->nrcpts, 3);
    for (i = 0; i < 3; i++) {
        assert_string_equal(m->rcpts[i].address, addrs[i]);
        assert_int_equal(m->rcpts[i].status, QFILE_RCPT_PENDING);
        /* The offset names the status byte, then the notify digit, then the address. */
        assert_int_equal(pread(fd, head, 2, m->rcpts[i].offset), 2);
        assert_int_equal(head[0], QFILE_RCPT_PENDING);
        assert_int_equal(head[1] - '0', m->rcpts[i].notify);
        assert_int_equal(qfile_get_status(fd, m->rcpts[i].offset), QFILE_RCPT_PENDING);
    }
    assert_null(m->rcpts[0].orcpt);
    assert_string_equal(m->rcpts[1].orcpt, "rfc822;B@example.com");
    assert_null(m->rcpts[2].orcpt);
    /* 'D' is optional: files without it (all before it existed) read as before */
    assert_null(m->rcpts[0].dsn_orcpt);
    assert_null(m->rcpts[1].dsn_orcpt);
    assert_string_equal(m->rcpts[2].dsn_orcpt, "rfc822;C+x@example.com");
    assert_int_equal(m->rcpts[0].notify, 0);
    assert_int_equal(m->rcpts[1].notify, QFILE_NOTIFY_SUCCESS | QFILE_NOTIFY_FAILURE);
    assert_int_equal(m->rcpts[2].notify, QFILE_NOTIFY_NEVER);
    assert_true(m->rcpts[0].offset < m->rcpts[1].offset);
    assert_true(m->rcpts[1].offset < m->content_offset);
    assert_true(m->rcpts[2].offset > m->content_offset);

    assert_true(m->content_len == (long long)body_len);
    got = malloc(body_len + 1);
    assert_non_null(got);
    assert_int_equal(pread(fd, got, body_len, m->content_offset), (ssize_t)body_len);
    assert_memory_equal(got, body, body_len);
    free(got);
}

static void read_both(const char *id, const void *body, size_t body_len)
{
    char path[PATH_MAX];
    unsigned char *file;
    struct qmsg m, m2;
    const char *why = NULL;
    size_t len, i;
    int fd;

    snprintf(path, sizeof(path), "%s/%s", QUEUE_INCOMING, id);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    if (qfile_read(fd, &m, &why) != 0)
        fail_msg("qfile_read: %s", why);
    check_sample(&m, fd, body, body_len);

    file = unit_read_file(path, &len);
    if (qfile_parse(file, len, &m2, &why) != 0)
        fail_msg("qfile_parse: %s", why);
    check_sample(&m2, fd, body, body_len);
    /* Both readers agree on every offset. */
    assert_true(m.content_offset == m2.content_offset);
    for (i = 0; i < m.nrcpts; i++)
        assert_true(m.rcpts[i].offset == m2.rcpts[i].offset);
    qmsg_free(&m);
    qmsg_free(&m2);
    assert_int_equal(m.nrcpts, 0);
    assert_null(m.sender);
    free(file);
    (void)close(fd);
}

static void test_write_read(void **state UNUSED)
{
    char id[QUEUE_ID_MAX + 1], path[PATH_MAX], want[QUEUE_ID_MAX + 1];
    struct stat st;

    clean_incoming();
    write_sample(id, sizeof(id), content, sizeof(content) - 1, 5);
    /* Only the final name is left, and it is the ID of that very inode. */
    assert_int_equal(unit_count_dir(QUEUE_INCOMING), 1);
    snprintf(path, sizeof(path), "%s/%s", QUEUE_INCOMING, id);
    assert_int_equal(stat(path, &st), 0);
    /* Committed means accepted: the file is marked ready for qmgr (queue.h). */
    assert_int_equal(st.st_mode & 0777, QUEUE_MODE_READY);
    queue_id_make(want, sizeof(want), 123456, st.st_ino);
    assert_string_equal(id, want);
    read_both(id, content, sizeof(content) - 1);
    clean_incoming();
}

static void test_large_content(void **state UNUSED)
{
    size_t n = 1024 * 1024 + 3, i;
    unsigned char *body = malloc(n);
    char id[QUEUE_ID_MAX + 1];

    assert_non_null(body);
    for (i = 0; i < n; i++)
        body[i] = (unsigned char)(i % 97 == 96 ? '\n' : 'a' + i % 26);
    clean_incoming();
    /* Larger than the writer's buffer and the reader's window. */
    write_sample(id, sizeof(id), body, n, 7000);
    read_both(id, body, n);
    clean_incoming();
    write_sample(id, sizeof(id), body, n, n); /* one write bigger than the buffer */
    read_both(id, body, n);
    clean_incoming();
    free(body);
}

static void test_empty_content(void **state UNUSED)
{
    char id[QUEUE_ID_MAX + 1];

    clean_incoming();
    write_sample(id, sizeof(id), "", 0, 1);
    read_both(id, "", 0);
    clean_incoming();
}

static void test_set_status(void **state UNUSED)
{
    char id[QUEUE_ID_MAX + 1], path[PATH_MAX];
    struct qmsg m;
    struct stat st1, st2;
    const char *why = NULL;
    int fd;

    clean_incoming();
    write_sample(id, sizeof(id), content, sizeof(content) - 1, 64);
    snprintf(path, sizeof(path), "%s/%s", QUEUE_INCOMING, id);
    fd = open(path, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st1), 0);
    assert_int_equal(qfile_read(fd, &m, &why), 0);

    assert_int_equal(qfile_set_status(fd, m.rcpts[0].offset, QFILE_RCPT_DELIVERED), 0);
    assert_int_equal(qfile_get_status(fd, m.rcpts[0].offset), QFILE_RCPT_DELIVERED);
    /* A second change of the same recipient is refused: never deliver twice. */
    errno = 0;
    assert_int_equal(qfile_set_status(fd, m.rcpts[0].offset, QFILE_RCPT_FAILED), -1);
    assert_int_equal(errno, EALREADY);
    assert_int_equal(qfile_get_status(fd, m.rcpts[0].offset), QFILE_RCPT_DELIVERED);
    assert_int_equal(qfile_set_status(fd, m.rcpts[2].offset, QFILE_RCPT_FAILED), 0);
    errno = 0;
    assert_int_equal(qfile_set_status(fd, m.rcpts[2].offset, QFILE_RCPT_DELIVERED), -1);
    assert_int_equal(errno, EALREADY);
    /* Past the end of the file. */
    assert_int_equal(qfile_get_status(fd, st1.st_size + 10), -1);
    assert_int_equal(qfile_set_status(fd, st1.st_size + 10, QFILE_RCPT_DELIVERED), -1);
    qmsg_free(&m);

    /* One byte each, in place: same size, and the file still reads. */
    assert_int_equal(fstat(fd, &st2), 0);
    assert_true(st1.st_size == st2.st_size);
    assert_int_equal(qfile_read(fd, &m, &why), 0);
    assert_int_equal(m.rcpts[0].status, QFILE_RCPT_DELIVERED);
    assert_int_equal(m.rcpts[1].status, QFILE_RCPT_PENDING);
    assert_int_equal(m.rcpts[2].status, QFILE_RCPT_FAILED);
    qmsg_free(&m);
    (void)close(fd);
    clean_incoming();
}

/* The sample file's bytes, for the damage tests. */
static unsigned char *sample_bytes(size_t *len)
{
    char id[QUEUE_ID_MAX + 1], path[PATH_MAX];
    unsigned char *p;

    clean_incoming();
    write_sample(id, sizeof(id), content, sizeof(content) - 1, 64);
    snprintf(path, sizeof(path), "%s/%s", QUEUE_INCOMING, id);
    p = unit_read_file(path, len);
    clean_incoming();
    return p;
}

/* Both readers must refuse p; returns qfile_parse()'s reason. */
static const char *refuse_both(const unsigned char *p, size_t len, const char **read_why)
{
    unsigned char *copy = malloc(len ? len : 1); /* exact size: over-reads are caught */
    const char *why = NULL;
    struct qmsg m;
    int fd;

    assert_non_null(copy);
    memcpy(copy, p, len);
    if (qfile_parse(copy, len, &m, &why) != -1)
        fail_msg("qfile_parse accepted %zu bytes", len);
    assert_non_null(why);
    /* Nothing is left allocated after a failure. */
    assert_int_equal(m.nrcpts, 0);
    assert_int_equal(m.nattrs, 0);
    assert_null(m.sender);
    free(copy);

    unit_write_file("damaged", p, len);
    fd = open("damaged", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    *read_why = NULL;
    if (qfile_read(fd, &m, read_why) != -1)
        fail_msg("qfile_read accepted %zu bytes", len);
    assert_non_null(*read_why);
    assert_int_equal(m.nrcpts, 0);
    assert_null(m.sender);
    (void)close(fd);
    assert_int_equal(unlink("damaged"), 0);
    return why;
}

static void test_truncated_everywhere(void **state UNUSED)
{
    size_t len, k;
    unsigned char *p = sample_bytes(&len);
    const char *read_why;

    for (k = 0; k < len; k++) {
        const char *why = refuse_both(p, k, &read_why);

        if (k > 0 && strcmp(why, "truncated queue file") != 0)
            fail_msg("length %zu: \"%s\"", k, why);
    }
    free(p);
}

/* Offsets of every record header in a well-formed file. */
static size_t record_starts(const unsigned char *p, size_t len, size_t *starts, size_t max)
{
    size_t pos = 0, n = 0;

    while (pos + QFILE_REC_HDR <= len && n < max) {
        uint32_t rlen = (uint32_t)p[pos + 1] << 24 | (uint32_t)p[pos + 2] << 16 |
                        (uint32_t)p[pos + 3] << 8 | p[pos + 4];

        starts[n++] = pos;
        pos += QFILE_REC_HDR + rlen;
    }
    assert_int_equal(pos, len);
    return n;
}

static void test_corrupt_records(void **state UNUSED)
{
    static const uint32_t deltas[] = {1, (uint32_t)-1, 2, (uint32_t)-2};
    static const uint32_t absolutes[] = {0xffffffffu, 0x7fffffffu, QFILE_REC_MAX + 1};
    size_t len, n, j, d;
    unsigned char *p = sample_bytes(&len), *copy = malloc(len);
    size_t starts[32];
    const char *read_why;

    assert_non_null(copy);
    n = record_starts(p, len, starts, COUNTOF(starts));
    assert_int_equal(n, 13); /* V T F A A A R O R M D R E */
    for (j = 0; j < n; j++) {
        unsigned char *h = copy + starts[j];
        uint32_t rlen = (uint32_t)p[starts[j] + 1] << 24 | (uint32_t)p[starts[j] + 2] << 16 |
                        (uint32_t)p[starts[j] + 3] << 8 | p[starts[j] + 4];

        /* An unknown record type. */
        memcpy(copy, p, len);
        h[0] = 'Z';
        refuse_both(copy, len, &read_why);
        /* Record lengths a little off, and absurd. */
        for (d = 0; d < COUNTOF(deltas) + COUNTOF(absolutes); d++) {
            uint32_t v = d < COUNTOF(deltas) ? rlen + deltas[d] : absolutes[d - COUNTOF(deltas)];

            memcpy(copy, p, len);
            h[1] = (unsigned char)(v >> 24);
            h[2] = (unsigned char)(v >> 16);
            h[3] = (unsigned char)(v >> 8);
            h[4] = (unsigned char)v;
            refuse_both(copy, len, &read_why);
        }
    }
    free(copy);
    free(p);
}

static void test_trailing_data(void **state UNUSED)
{
    size_t len;
    unsigned char *p = sample_bytes(&len), *more = malloc(len + 10);
    const char *read_why;

    assert_non_null(more);
    memcpy(more, p, len);
    more[len] = 0;
    assert_string_equal(refuse_both(more, len + 1, &read_why), "data after end record");
    assert_string_equal(read_why, "data after end record");
    /* A whole second end record. */
    memcpy(more + len, "E\0\0\0\0", 5);
    assert_string_equal(refuse_both(more, len + 5, &read_why), "data after end record");
    free(more);
    free(p);
}

/* Hand-built files ------------------------------------------------------ */

static void rec(struct buf *b, int type, const void *data, size_t len)
{
    unsigned char h[QFILE_REC_HDR] = {(unsigned char)type, (unsigned char)(len >> 24),
                                      (unsigned char)(len >> 16), (unsigned char)(len >> 8),
                                      (unsigned char)len};

    assert_int_equal(buf_append(b, h, sizeof(h)), 0);
    assert_int_equal(buf_append(b, data, len), 0);
}

static void rec_s(struct buf *b, int type, const char *text)
{
    rec(b, type, text, strlen(text));
}

/* What a hand-built file gets, unless the case says otherwise. */
#define H_V 0x1
#define H_T 0x2
#define H_F 0x4
#define H_R 0x8
#define H_M 0x10
#define H_E 0x20
#define H_ALL 0x3f

static void build(struct buf *b, unsigned what, void (*middle)(struct buf *),
                  void (*tail)(struct buf *))
{
    buf_reset(b);
    if (what & H_V)
        rec_s(b, QFILE_REC_VERSION, QFILE_VERSION);
    if (what & H_T)
        rec_s(b, QFILE_REC_TIME, "1700000000 5");
    if (what & H_F)
        rec_s(b, QFILE_REC_SENDER, "s@example.com");
    if (middle)
        middle(b);
    if (what & H_R)
        rec_s(b, QFILE_REC_RCPT, "P0r@example.com");
    if (what & H_M)
        rec_s(b, QFILE_REC_CONTENT, "body\n");
    if (tail)
        tail(b);
    if (what & H_E)
        rec(b, QFILE_REC_END, "", 0);
}

#define CASE_MIDDLE(fn, type, text)                                                                \
    static void fn(struct buf *b)                                                                  \
    {                                                                                              \
        rec_s(b, type, text);                                                                      \
    }

CASE_MIDDLE(t_dup, QFILE_REC_TIME, "1700000000 5")
CASE_MIDDLE(f_dup, QFILE_REC_SENDER, "x@example.com")
CASE_MIDDLE(m_dup, QFILE_REC_CONTENT, "again\n")
CASE_MIDDLE(v_again, QFILE_REC_VERSION, QFILE_VERSION)
CASE_MIDDLE(unknown_z, 'Z', "x")
CASE_MIDDLE(orcpt_alone, QFILE_REC_ORCPT, "rfc822;x@example.com")
CASE_MIDDLE(r_status, QFILE_REC_RCPT, "X0r@example.com")
CASE_MIDDLE(r_status_lower, QFILE_REC_RCPT, "p0r@example.com")
CASE_MIDDLE(r_notify, QFILE_REC_RCPT, "PAr@example.com")
CASE_MIDDLE(r_notify_low, QFILE_REC_RCPT, "P/r@example.com")
CASE_MIDDLE(r_short, QFILE_REC_RCPT, "P0")
CASE_MIDDLE(r_no_local, QFILE_REC_RCPT, "P0@example.com")
CASE_MIDDLE(r_no_domain, QFILE_REC_RCPT, "P0r@")
CASE_MIDDLE(r_newline, QFILE_REC_RCPT, "P0r@exa\nmple.com")
CASE_MIDDLE(r_cr, QFILE_REC_RCPT, "P0r@example.com\r")
CASE_MIDDLE(a_noeq, QFILE_REC_ATTR, "noequals")
CASE_MIDDLE(a_noname, QFILE_REC_ATTR, "=value")
CASE_MIDDLE(a_upper, QFILE_REC_ATTR, "Bad=x")
CASE_MIDDLE(a_dash, QFILE_REC_ATTR, "a-b=x")
CASE_MIDDLE(a_newline, QFILE_REC_ATTR, "a=b\nc")
CASE_MIDDLE(o_empty, QFILE_REC_ORCPT, "")
CASE_MIDDLE(dsn_orcpt_alone, QFILE_REC_DSN_ORCPT, "rfc822;x@example.com")
CASE_MIDDLE(dsn_orcpt_no_type, QFILE_REC_DSN_ORCPT, "x@example.com")
CASE_MIDDLE(e_early, QFILE_REC_END, "")

static void r_nul(struct buf *b)
{
    rec(b, QFILE_REC_RCPT, "P0r@exa\0mple.com", 16);
}

static void orcpt_then_orcpt(struct buf *b)
{
    rec_s(b, QFILE_REC_ORCPT, "rfc822;x@example.com");
    rec_s(b, QFILE_REC_ORCPT, "rfc822;y@example.com");
}

static void r_too_long(struct buf *b)
{
    char text[400];

    memset(text, 'l', sizeof(text) - 1);
    memcpy(text, "P0", 2);
    memcpy(text + 300, "@example.com", 13);
    rec_s(b, QFILE_REC_RCPT, text);
}

static void o_too_long(struct buf *b)
{
    char text[1002];

    memset(text, 'o', sizeof(text) - 1);
    text[sizeof(text) - 1] = 0;
    rec_s(b, QFILE_REC_ORCPT, text);
}

static void a_too_many(struct buf *b)
{
    int i;

    for (i = 0; i <= QFILE_ATTR_MAX; i++)
        rec_s(b, QFILE_REC_ATTR, "a=b");
}

static void a_over_max(struct buf *b)
{
    size_t n = QFILE_REC_MAX + 1;
    char *text = malloc(n);

    assert_non_null(text);
    memset(text, 'v', n);
    memcpy(text, "a=", 2);
    rec(b, QFILE_REC_ATTR, text, n);
    free(text);
}

static void e_with_data(struct buf *b)
{
    rec_s(b, QFILE_REC_END, "x");
}

struct hand_case {
    const char *name;
    unsigned what;
    void (*middle)(struct buf *);
    void (*tail)(struct buf *);
    const char *why; /* qfile_parse's reason */
};

static const struct hand_case hand_cases[] = {
    {"no version", H_ALL & ~H_V, NULL, NULL, "not a queue file"},
    {"no time", H_ALL & ~H_T, NULL, NULL, "incomplete queue file"},
    {"no sender", H_ALL & ~H_F, NULL, NULL, "incomplete queue file"},
    {"no recipient", H_ALL & ~H_R, NULL, NULL, "incomplete queue file"},
    {"no content", H_ALL & ~H_M, NULL, NULL, "incomplete queue file"},
    {"no end", H_ALL & ~H_E, NULL, NULL, "truncated queue file"},
    {"end with data", H_ALL & ~H_E, NULL, e_with_data, "incomplete queue file"},
    {"early end", H_ALL, e_early, NULL, "incomplete queue file"},
    {"time twice", H_ALL, t_dup, NULL, "bad or repeated record"},
    {"sender twice", H_ALL, f_dup, NULL, "bad or repeated record"},
    {"content twice", H_ALL, NULL, m_dup, "bad or repeated record"},
    {"version again", H_ALL, v_again, NULL, "unknown record type"},
    {"unknown type", H_ALL, unknown_z, NULL, "unknown record type"},
    {"orcpt before content", H_ALL & ~H_R, orcpt_alone, NULL,
     "original recipient without recipient"},
    {"orcpt before end", H_ALL, NULL, orcpt_alone, "original recipient without recipient"},
    {"orcpt twice", H_ALL, orcpt_then_orcpt, NULL, "original recipient without recipient"},
    {"empty orcpt", H_ALL, o_empty, NULL, "bad or repeated record"},
    {"dsn orcpt before end", H_ALL, NULL, dsn_orcpt_alone, "original recipient without recipient"},
    {"dsn orcpt without type", H_ALL, dsn_orcpt_no_type, NULL, "bad or repeated record"},
    {"orcpt too long", H_ALL, o_too_long, NULL, "bad or repeated record"},
    {"recipient status", H_ALL, r_status, NULL, "bad recipient record"},
    {"recipient status case", H_ALL, r_status_lower, NULL, "bad recipient record"},
    {"recipient notify", H_ALL, r_notify, NULL, "bad recipient record"},
    {"recipient notify low", H_ALL, r_notify_low, NULL, "bad recipient record"},
    {"recipient short", H_ALL, r_short, NULL, "bad recipient record"},
    {"recipient no local", H_ALL, r_no_local, NULL, "bad recipient record"},
    {"recipient no domain", H_ALL, r_no_domain, NULL, "bad recipient record"},
    {"recipient newline", H_ALL, r_newline, NULL, "bad recipient record"},
    {"recipient CR", H_ALL, r_cr, NULL, "bad recipient record"},
    {"recipient NUL", H_ALL, r_nul, NULL, "bad recipient record"},
    {"recipient too long", H_ALL, r_too_long, NULL, "bad recipient record"},
    {"attribute without =", H_ALL, a_noeq, NULL, "bad attribute record"},
    {"attribute without name", H_ALL, a_noname, NULL, "bad attribute record"},
    {"attribute upper case", H_ALL, a_upper, NULL, "bad attribute record"},
    {"attribute dash", H_ALL, a_dash, NULL, "bad attribute record"},
    {"attribute newline", H_ALL, a_newline, NULL, "bad attribute record"},
    {"too many attributes", H_ALL, a_too_many, NULL, "bad attribute record"},
    {"record over the limit", H_ALL, a_over_max, NULL, "truncated queue file"},
};

static void test_hand_made(void **state UNUSED)
{
    struct unit_rows rows = {.len = 0};
    struct buf b;
    struct qmsg m;
    const char *why = NULL, *read_why;
    size_t i;

    buf_init(&b, 1 << 20);
    /* The baseline is good. */
    build(&b, H_ALL, NULL, NULL);
    if (qfile_parse(b.data, b.len, &m, &why) != 0)
        fail_msg("baseline: %s", why);
    assert_string_equal(m.sender, "s@example.com");
    assert_int_equal(m.nrcpts, 1);
    qmsg_free(&m);

    for (i = 0; i < COUNTOF(hand_cases); i++) {
        const struct hand_case *c = hand_cases + i;

        build(&b, c->what, c->middle, c->tail);
        why = refuse_both(b.data, b.len, &read_why);
        if (strcmp(why, c->why) != 0)
            unit_row_fail(&rows, "%s: \"%s\", want \"%s\"", c->name, why, c->why);
    }
    buf_free(&b);
    unit_rows_check(&rows);
}

static void time_case(struct buf *b, const char *text)
{
    buf_reset(b);
    rec_s(b, QFILE_REC_VERSION, QFILE_VERSION);
    rec_s(b, QFILE_REC_TIME, text);
    rec_s(b, QFILE_REC_SENDER, "");
    rec_s(b, QFILE_REC_RCPT, "P0r@example.com");
    rec_s(b, QFILE_REC_CONTENT, "");
    rec(b, QFILE_REC_END, "", 0);
}

static void test_time_record(void **state UNUSED)
{
    static const char *const bad[] = {"",          "abc",  "1",     "1_2",
                                      "1 1000000", "-1 0", "1 2 3", " 1 2",
                                      "1 x",       "1\t2", "x 1",   "99999999999999999999 0"};
    static const struct {
        const char *text;
        long long sec;
        long usec;
    } good[] = {{"0 0", 0, 0}, {"1700000000 999999", 1700000000, 999999}};
    struct unit_rows rows = {.len = 0};
    struct buf b;
    struct qmsg m;
    const char *why, *read_why;
    size_t i;

    buf_init(&b, 4096);
    for (i = 0; i < COUNTOF(good); i++) {
        time_case(&b, good[i].text);
        assert_int_equal(qfile_parse(b.data, b.len, &m, &why), 0);
        assert_true(m.arrival_sec == good[i].sec);
        assert_int_equal(m.arrival_usec, good[i].usec);
        assert_string_equal(m.sender, ""); /* the null sender */
        assert_true(m.content_len == 0);
        qmsg_free(&m);
    }
    for (i = 0; i < COUNTOF(bad); i++) {
        time_case(&b, bad[i]);
        why = NULL;
        if (qfile_parse(b.data, b.len, &m, &why) == 0) {
            unit_row_fail(&rows, "time \"%s\" accepted", bad[i]);
            qmsg_free(&m);
            continue;
        }
        why = refuse_both(b.data, b.len, &read_why);
        if (strcmp(why, "bad or repeated record") != 0)
            unit_row_fail(&rows, "time \"%s\": \"%s\"", bad[i], why);
    }
    buf_free(&b);
    unit_rows_check(&rows);
}

/*
 * BUG: the microseconds go through strtol(), so "1 " is taken for "1 0",
 * and "1 -0", "1 +5" and "1  5" for "1 0" and "1 5".  The writer never produces them, but the
 * one parser of queue files should accept only what the format says.
 */
static void test_time_record_strict(void **state UNUSED)
{
    static const char *const lax[] = {"1 ", "1 -0", "1 +5", "1  5"};
    struct unit_rows rows = {.len = 0};
    struct buf b;
    struct qmsg m;
    const char *why;
    size_t i;

    buf_init(&b, 4096);
    for (i = 0; i < COUNTOF(lax); i++) {
        time_case(&b, lax[i]);
        if (qfile_parse(b.data, b.len, &m, &why) == 0) {
            unit_row_fail(&rows, "time \"%s\" accepted", lax[i]);
            qmsg_free(&m);
        }
    }
    buf_free(&b);
    unit_rows_check(&rows);
}

static void test_too_many_recipients(void **state UNUSED)
{
    struct buf b;
    struct qmsg m;
    const char *why = NULL;
    int i;

    buf_init(&b, 8 << 20);
    rec_s(&b, QFILE_REC_VERSION, QFILE_VERSION);
    rec_s(&b, QFILE_REC_TIME, "1 1");
    rec_s(&b, QFILE_REC_SENDER, "");
    rec_s(&b, QFILE_REC_CONTENT, "");
    for (i = 0; i < QFILE_RCPT_MAX; i++)
        rec_s(&b, QFILE_REC_RCPT, "P0r@x");
    rec(&b, QFILE_REC_END, "", 0);
    assert_int_equal(qfile_parse(b.data, b.len, &m, &why), 0);
    assert_int_equal(m.nrcpts, QFILE_RCPT_MAX);
    qmsg_free(&m);
    b.len -= QFILE_REC_HDR;
    rec_s(&b, QFILE_REC_RCPT, "P0r@x");
    rec(&b, QFILE_REC_END, "", 0);
    assert_int_equal(qfile_parse(b.data, b.len, &m, &why), -1);
    assert_string_equal(why, "bad recipient record");
    buf_free(&b);
}

static void test_put_attr_truncates(void **state UNUSED)
{
    struct timeval tv = {1, 2};
    struct qfile_writer w;
    char *value = malloc(QFILE_REC_MAX + 100), line[32];
    const char *why = NULL;
    struct qmsg m;
    int dfd, fd;
    char path[PATH_MAX];

    assert_non_null(value);
    memset(value, 'v', QFILE_REC_MAX + 99);
    value[QFILE_REC_MAX + 99] = 0;
    clean_incoming();
    assert_int_equal(qfile_create(&w, &tv, &why), 0);
    snprintf(line, sizeof(line), "1 2");
    qfile_put(&w, QFILE_REC_TIME, line, strlen(line));
    qfile_put(&w, QFILE_REC_SENDER, "", 0);
    qfile_put_attr(&w, "long", value);
    qfile_put_rcpt(&w, "r@example.com", NULL, 0);
    qfile_content_begin(&w);
    qfile_content_end(&w);
    dfd = open(QUEUE_INCOMING, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_int_equal(qfile_commit(&w, dfd), 0);
    (void)close(dfd);
    snprintf(path, sizeof(path), "%s/%s", QUEUE_INCOMING, w.id);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    if (qfile_read(fd, &m, &why) != 0)
        fail_msg("qfile_read: %s", why);
    assert_int_equal(strlen(qmsg_attr(&m, "long")), QFILE_REC_MAX - strlen("long="));
    qmsg_free(&m);
    (void)close(fd);
    free(value);
    clean_incoming();
}

static void test_abort(void **state UNUSED)
{
    struct timeval tv = {1, 2};
    struct qfile_writer w;
    const char *why = NULL;

    clean_incoming();
    assert_int_equal(qfile_create(&w, &tv, &why), 0);
    assert_int_equal(unit_count_dir(QUEUE_INCOMING), 1); /* the temporary name */
    qfile_put(&w, QFILE_REC_SENDER, "", 0);
    qfile_abort(&w);
    assert_int_equal(unit_count_dir(QUEUE_INCOMING), 0);
}

static void test_commit_failure_leaves_nothing(void **state UNUSED)
{
    struct timeval tv = {1, 2};
    struct qfile_writer w;
    const char *why = NULL;

    clean_incoming();
    assert_int_equal(qfile_create(&w, &tv, &why), 0);
    qfile_put(&w, QFILE_REC_TIME, "1 2", 3);
    qfile_put(&w, QFILE_REC_SENDER, "", 0);
    qfile_put_rcpt(&w, "r@example.com", NULL, 0);
    qfile_content_begin(&w);
    qfile_content_end(&w);
    /* The directory cannot be synced: the message must not be acknowledged. */
    errno = 0;
    assert_int_equal(qfile_commit(&w, -1), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(unit_count_dir(QUEUE_INCOMING), 0);
}

/* Put a file with the given names in spare/, as qmgr's recycling would. */
static ino_t make_spare(const char *name, const char *second_name)
{
    char path[PATH_MAX], other[PATH_MAX];
    struct stat st;
    int fd;

    snprintf(path, sizeof(path), "%s/%s", QUEUE_SPARE, name);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, QUEUE_MODE_READY);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "old message", 11), 11);
    assert_int_equal(fchmod(fd, QUEUE_MODE_READY), 0);
    assert_int_equal(fstat(fd, &st), 0);
    (void)close(fd);
    if (second_name) {
        snprintf(other, sizeof(other), "%s/%s", QUEUE_SPARE, second_name);
        assert_int_equal(link(path, other), 0);
    }
    return st.st_ino;
}

/*
 * BUG: a spare file that still had a second name (left by a crash in the
 * middle of a move) was handed out, so two smtpd sessions could write two
 * accepted messages into one inode.  A file with another name is never
 * written into; a claimed file starts empty and not ready.
 */
static void test_spare_reuse(void **state UNUSED)
{
    struct timeval tv = {1, 2};
    struct qfile_writer w1, w2;
    const char *why = NULL;
    struct stat st1, st2;
    ino_t shared;

    clean_incoming();
    assert_int_equal(mkdir(QUEUE_SPARE, 0700), 0);
    shared = make_spare("AAAAA1", "AAAAA2");
    assert_int_equal(qfile_create(&w1, &tv, &why), 0);
    assert_int_equal(fstat(w1.fd, &st1), 0);
    assert_true(st1.st_ino != shared);
    /* The name it tried is gone; the other one now has the file alone. */
    assert_int_equal(unit_count_dir(QUEUE_SPARE), 1);
    assert_int_equal(qfile_create(&w2, &tv, &why), 0);
    assert_int_equal(fstat(w2.fd, &st2), 0);
    assert_true(st2.st_ino == shared);
    assert_int_equal(st2.st_nlink, 1);
    assert_int_equal(st2.st_size, 0);
    assert_int_equal(st2.st_mode & 0777, QUEUE_MODE_NEW);
    assert_int_equal(unit_count_dir(QUEUE_SPARE), 0);
    qfile_abort(&w1);
    qfile_abort(&w2);
    assert_int_equal(unit_count_dir(QUEUE_INCOMING), 0);
    assert_int_equal(rmdir(QUEUE_SPARE), 0);
}

static void test_create_outside_queue(void **state UNUSED)
{
    char sub[PATH_MAX + 16];
    struct timeval tv = {1, 2};
    struct qfile_writer w;
    const char *why = NULL;

    snprintf(sub, sizeof(sub), "%s/elsewhere", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(chdir(sub), 0);
    assert_int_equal(qfile_create(&w, &tv, &why), -1);
    assert_string_equal(why, strerror(ENOENT));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(rmdir(sub), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_read),
        cmocka_unit_test(test_large_content),
        cmocka_unit_test(test_empty_content),
        cmocka_unit_test(test_set_status),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_corrupt_records),
        cmocka_unit_test(test_trailing_data),
        cmocka_unit_test(test_hand_made),
        cmocka_unit_test(test_time_record),
        cmocka_unit_test(test_time_record_strict),
        cmocka_unit_test(test_too_many_recipients),
        cmocka_unit_test(test_put_attr_truncates),
        cmocka_unit_test(test_abort),
        cmocka_unit_test(test_commit_failure_leaves_nothing),
        cmocka_unit_test(test_spare_reuse),
        cmocka_unit_test(test_create_outside_queue),
    };

    unit_init("test_qfile");
    return cmocka_run_group_tests(tests, setup, teardown);
}
