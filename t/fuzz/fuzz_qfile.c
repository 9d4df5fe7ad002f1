/*
 * fuzz_qfile.c - libFuzzer target for queue files (qfile.h).
 *
 * The input is a whole queue file.  qfile_parse() reads it in memory; an
 * accepted file must describe itself truthfully: every recipient's offset
 * names its status byte inside the file (qmgr and the delivery agents
 * rewrite that byte in place, so a wrong offset corrupts another record),
 * and the content lies inside the file.  The same bytes are then written to
 * a memfd for qfile_read(), the reader that seeks over the content, which
 * must accept and reject exactly the same files and see the same envelope;
 * one status byte is then changed in place and read back.  The same file
 * with padding records inserted, so that it outgrows qfile_read()'s window,
 * must be judged the same way with every offset moved by the padding.
 */
#include "sys_defs.h"
#include <sys/mman.h>
#include "fuzz.h"
#include "byteorder.h"
#include "iostuff.h"
#include "msg.h"
#include "qfile.h"

static int memfd = -1;

static bool same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void check_msg(const struct qmsg *m, const uint8_t *data, size_t size)
{
    size_t i;
    off_t last = 0;

    CHECK(m->arrival_sec >= 0 && m->arrival_usec >= 0 && m->arrival_usec <= 999999);
    CHECK(m->sender != NULL && strlen(m->sender) <= QFILE_REC_MAX);
    CHECK(m->nrcpts >= 1 && m->nrcpts <= QFILE_RCPT_MAX && m->rcpts != NULL);
    CHECK(m->nattrs <= QFILE_ATTR_MAX);
    for (i = 0; i < m->nrcpts; i++) {
        const struct qrcpt *r = m->rcpts + i;
        size_t rlen;

        CHECK(r->offset >= 2 * QFILE_REC_HDR && (uint64_t)r->offset < size);
        CHECK(r->offset > last);
        last = r->offset;
        CHECK(data[r->offset] == (uint8_t)r->status);
        CHECK(r->status == QFILE_RCPT_PENDING || r->status == QFILE_RCPT_DELIVERED ||
              r->status == QFILE_RCPT_FAILED);
        CHECK(data[r->offset - QFILE_REC_HDR] == QFILE_REC_RCPT);
        rlen = be32_get(data + r->offset - QFILE_REC_HDR + 1);
        CHECK(rlen >= 3 && (uint64_t)r->offset + rlen <= size);
        CHECK(r->notify == data[r->offset + 1] - '0' && r->notify >= 0 && r->notify <= 15);
        CHECK(r->address != NULL && strlen(r->address) == rlen - 2);
        CHECK(memcmp(r->address, data + r->offset + 2, rlen - 2) == 0);
        CHECK(r->orcpt == NULL || *r->orcpt != 0);
        CHECK(r->dsn_orcpt == NULL || strchr(r->dsn_orcpt, ';') != NULL);
    }
    for (i = 0; i < m->nattrs; i++) {
        CHECK(m->attrs[i].name != NULL && *m->attrs[i].name != 0 && m->attrs[i].value != NULL);
        CHECK(qmsg_attr(m, m->attrs[i].name) != NULL);
    }
    CHECK(m->content_offset >= 2 * QFILE_REC_HDR && m->content_len >= 0);
    CHECK((uint64_t)m->content_offset + (uint64_t)m->content_len <= size);
    CHECK(data[m->content_offset - QFILE_REC_HDR] == QFILE_REC_CONTENT);
    CHECK(be32_get(data + m->content_offset - QFILE_REC_HDR + 1) == (uint64_t)m->content_len);
    /* the end record closes the file */
    CHECK(size >= QFILE_REC_HDR && data[size - QFILE_REC_HDR] == QFILE_REC_END &&
          be32_get(data + size - QFILE_REC_HDR + 1) == 0);
}

static void report_disagreement(const char *what, int parse_ret, const char *parse_why,
                                int read_ret, const char *read_why)
{
    fprintf(stderr, "qfile_parse and qfile_read disagree on %s: parse=%d (%s) read=%d (%s)\n", what,
            parse_ret, parse_ret ? parse_why : "ok", read_ret, read_ret ? read_why : "ok");
    abort();
}

static void compare(const struct qmsg *a, const struct qmsg *b)
{
    size_t i;

    CHECK(a->arrival_sec == b->arrival_sec && a->arrival_usec == b->arrival_usec);
    CHECK(same_str(a->sender, b->sender));
    CHECK(a->nrcpts == b->nrcpts && a->nattrs == b->nattrs);
    for (i = 0; i < a->nrcpts; i++) {
        CHECK(a->rcpts[i].offset == b->rcpts[i].offset);
        CHECK(a->rcpts[i].status == b->rcpts[i].status);
        CHECK(a->rcpts[i].notify == b->rcpts[i].notify);
        CHECK(same_str(a->rcpts[i].address, b->rcpts[i].address));
        CHECK(same_str(a->rcpts[i].orcpt, b->rcpts[i].orcpt));
        CHECK(same_str(a->rcpts[i].dsn_orcpt, b->rcpts[i].dsn_orcpt));
    }
    for (i = 0; i < a->nattrs; i++) {
        CHECK(same_str(a->attrs[i].name, b->attrs[i].name));
        CHECK(same_str(a->attrs[i].value, b->attrs[i].value));
    }
    CHECK(a->content_offset == b->content_offset && a->content_len == b->content_len);
}

/* Mark the first pending recipient delivered in place and read it back. */
static void check_set_status(const struct qmsg *m)
{
    struct qmsg again;
    const char *why = NULL;
    size_t i;

    for (i = 0; i < m->nrcpts; i++)
        if (m->rcpts[i].status == QFILE_RCPT_PENDING)
            break;
    if (i == m->nrcpts)
        return;
    CHECK(qfile_get_status(memfd, m->rcpts[i].offset) == QFILE_RCPT_PENDING);
    CHECK(qfile_set_status(memfd, m->rcpts[i].offset, QFILE_RCPT_DELIVERED) == 0);
    CHECK(qfile_set_status(memfd, m->rcpts[i].offset, QFILE_RCPT_FAILED) == -1 &&
          errno == EALREADY);
    CHECK(qfile_read(memfd, &again, &why) == 0);
    CHECK(again.nrcpts == m->nrcpts && again.rcpts[i].status == QFILE_RCPT_DELIVERED);
    qmsg_free(&again);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    msg_syslog(false);
    if ((memfd = memfd_create("fuzz_qfile", MFD_CLOEXEC)) < 0) {
        perror("memfd_create");
        abort();
    }
    return 0;
}

/*
 * Parse data both ways; they must agree.  Returns 0 with *pm filled (the
 * caller frees it) if the file was accepted.
 */
static int parse_both(const uint8_t *data, size_t size, struct qmsg *pm, bool set_status)
{
    struct qmsg rm;
    const char *pwhy = NULL, *rwhy = NULL;
    int pret, rret;

    pret = qfile_parse(data, size, pm, &pwhy);
    if (pret == 0)
        check_msg(pm, data, size);
    else
        CHECK(pwhy != NULL && pm->rcpts == NULL && pm->sender == NULL && pm->attrs == NULL);

    CHECK(ftruncate(memfd, 0) == 0);
    CHECK(size == 0 || pwrite_full(memfd, data, size, 0) == 0);
    rret = qfile_read(memfd, &rm, &rwhy);
    if (rret != pret)
        report_disagreement("success", pret, pwhy, rret, rwhy);
    if (rret == 0) {
        compare(pm, &rm);
        if (set_status)
            check_set_status(pm);
        qmsg_free(&rm);
    } else {
        CHECK(rwhy != NULL && rm.rcpts == NULL && rm.sender == NULL && rm.attrs == NULL);
    }
    return pret;
}

static void put_record(uint8_t *p, int type, size_t len, int fill)
{
    p[0] = (uint8_t)type;
    p[1] = (uint8_t)(len >> 24);
    p[2] = (uint8_t)(len >> 16);
    p[3] = (uint8_t)(len >> 8);
    p[4] = (uint8_t)len;
    memset(p + QFILE_REC_HDR, fill, len);
    p[QFILE_REC_HDR] = 'p';
    p[QFILE_REC_HDR + 1] = (uint8_t)fill;
    p[QFILE_REC_HDR + 2] = '=';
}

/*
 * Inputs are small, so qfile_read() would always find the whole file in its
 * first window.  Insert two padding attributes after the version record so
 * that the file is larger than the window and the window boundary falls
 * somewhere in the fuzzed records (where depends on the input): the file
 * must be judged as before, with every offset moved by the padding.
 */
static void check_padded(const uint8_t *data, size_t size, int pret, const struct qmsg *pm)
{
    const size_t head = QFILE_REC_HDR + strlen(QFILE_VERSION);
    const size_t pad1 = QFILE_REC_MAX;
    /* qfile.c's window, QFILE_REC_MAX + QFILE_REC_HDR + 4096 bytes, less what precedes pad2 */
    const size_t room = QFILE_REC_MAX + QFILE_REC_HDR + 4096 - head - 2 * QFILE_REC_HDR - pad1;
    size_t rest, at, pad2, delta, i, sum = 0;
    struct qmsg big;
    uint8_t *p;
    int ret;

    if (size < head || data[0] != QFILE_REC_VERSION || be32_get(data + 1) != head - QFILE_REC_HDR ||
        memcmp(data + QFILE_REC_HDR, QFILE_VERSION, head - QFILE_REC_HDR) != 0)
        return;
    rest = size - head;
    for (i = 0; i < size; i++)
        sum += data[i];
    /* it costs a 70 KB file: do it for every good file, one in 16 others */
    if (pret != 0 && sum % 16 != 0)
        return;
    sum /= 16;
    /* the first window ends 'at' bytes into the fuzzed records; pad2 >= 3 for "pb=" */
    at = sum % ((rest < room - 3 ? rest : room - 3) + 1);
    pad2 = room - at;
    delta = 2 * QFILE_REC_HDR + pad1 + pad2;
    p = malloc(size + delta);
    CHECK(p != NULL);
    memcpy(p, data, head);
    put_record(p + head, QFILE_REC_ATTR, pad1, 'a');
    put_record(p + head + QFILE_REC_HDR + pad1, QFILE_REC_ATTR, pad2, 'b');
    memcpy(p + head + delta, data + head, rest);

    ret = parse_both(p, size + delta, &big, false);
    if (pret != 0) {
        CHECK(ret != 0);
    } else if (pm->nattrs + 2 <= QFILE_ATTR_MAX) {
        CHECK(ret == 0);
        CHECK(big.nrcpts == pm->nrcpts && big.nattrs == pm->nattrs + 2);
        for (i = 0; i < pm->nrcpts; i++)
            CHECK(big.rcpts[i].offset == pm->rcpts[i].offset + (off_t)delta);
        CHECK(big.content_offset == pm->content_offset + (off_t)delta);
        CHECK(big.content_len == pm->content_len);
    }
    if (ret == 0)
        qmsg_free(&big);
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct qmsg pm;
    int pret;

    pret = parse_both(data, size, &pm, true);
    check_padded(data, size, pret, &pm);
    if (pret == 0)
        qmsg_free(&pm);
    return 0;
}
