/*
 * maildrop.c - the rules of maildrop files and the records sendmail
 * writes (see maildrop.h).
 */
#include "sys_defs.h"
#include "maildrop.h"
#include "mail_addr.h"
#include "byteorder.h"
#include "msg.h"
#include "strutil.h"

bool maildrop_envid_ok(const char *v)
{
    size_t n = 0;

    for (; v[n]; n++)
        if (v[n] < '!' || v[n] > '~')
            return false;
    return n > 0 && n <= MAILDROP_ENVID_MAX;
}

/* An attribute a user may set, with a value it may have. */
static bool user_attr_ok(const struct qattr *a)
{
    if (strcmp(a->name, MAILDROP_ATTR_DSN_RET) == 0)
        return strcmp(a->value, "FULL") == 0 || strcmp(a->value, "HDRS") == 0;
    if (strcmp(a->name, MAILDROP_ATTR_DSN_ENVID) == 0)
        return maildrop_envid_ok(a->value);
    return false;
}

static int check_attrs(const struct qmsg *q, uid_t owner, const char **why_r)
{
    long long uid;
    size_t i, j;

    /* postdrop's record comes first; one a user sent later is refused below. */
    if (q->nattrs == 0 || strcmp(q->attrs[0].name, MAILDROP_ATTR_UID) != 0 ||
        str_to_ll(q->attrs[0].value, 0, UINT32_MAX, &uid) < 0) {
        *why_r = "no uid record";
        return -1;
    }
    if ((uid_t)uid != owner) {
        *why_r = "uid record does not match the file's owner";
        return -1;
    }
    for (i = 1; i < q->nattrs; i++) {
        if (!user_attr_ok(q->attrs + i)) {
            *why_r = "attribute not allowed in a maildrop file";
            return -1;
        }
        for (j = 1; j < i; j++) {
            if (strcmp(q->attrs[i].name, q->attrs[j].name) == 0) {
                *why_r = "repeated attribute";
                return -1;
            }
        }
    }
    return 0;
}

long long maildrop_file_max(long long limit)
{
    return (limit > 0 && limit < QFILE_MESSAGE_MAX ? limit : QFILE_MESSAGE_MAX) +
           MAILDROP_ENVELOPE_MAX;
}

int maildrop_check(const struct qmsg *q, uid_t owner, long long limit, bool *too_big_r,
                   const char **why_r)
{
    size_t i;

    if (too_big_r)
        *too_big_r = false;
    if (check_attrs(q, owner, why_r) < 0)
        return -1;
    for (i = 0; i < q->nrcpts; i++) {
        if (q->rcpts[i].status != QFILE_RCPT_PENDING || q->rcpts[i].orcpt != NULL) {
            *why_r = "recipient record not allowed in a maildrop file";
            return -1;
        }
    }
    if ((limit > 0 && q->content_len > limit) || q->content_len > QFILE_MESSAGE_MAX) {
        if (too_big_r)
            *too_big_r = true;
        *why_r = "message file too big";
        return -1;
    }
    return 0;
}

void maildrop_put(struct buf *b, int type, const void *p, size_t len)
{
    unsigned char h[QFILE_REC_HDR];

    if (len > QFILE_REC_MAX)
        msg_panic("maildrop_put: record too long");
    h[0] = (unsigned char)type;
    be32_put(h + 1, (uint32_t)len);
    if (buf_append(b, h, sizeof(h)) < 0 || buf_append(b, p, len) < 0)
        msg_panic("maildrop_put: buffer full");
}

void maildrop_put_attr(struct buf *b, const char *name, const char *value)
{
    char text[QFILE_REC_MAX];
    int n = snprintf(text, sizeof(text), "%s=%s", name, value);

    if (n < 0 || (size_t)n >= sizeof(text))
        msg_panic("maildrop_put_attr: attribute too long");
    maildrop_put(b, QFILE_REC_ATTR, text, (size_t)n);
}

void maildrop_put_rcpt(struct buf *b, const char *address, int notify)
{
    char text[MAIL_ADDR_TEXT_MAX + 3];
    int n =
        snprintf(text, sizeof(text), "%c%c%s", QFILE_RCPT_PENDING, '0' + (notify & 15), address);

    if (n < 0 || (size_t)n >= sizeof(text))
        msg_panic("maildrop_put_rcpt: address too long");
    maildrop_put(b, QFILE_REC_RCPT, text, (size_t)n);
}

void maildrop_put_content(struct buf *b, size_t len)
{
    unsigned char h[QFILE_REC_HDR];

    if ((long long)len > QFILE_CONTENT_MAX)
        msg_panic("maildrop_put_content: content too large");
    h[0] = QFILE_REC_CONTENT;
    be32_put(h + 1, (uint32_t)len);
    if (buf_append(b, h, sizeof(h)) < 0)
        msg_panic("maildrop_put_content: buffer full");
}
