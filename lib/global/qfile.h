/*
 * qfile.h - the queue file: one message, its envelope and its content.
 *
 * A queue file is a sequence of records, each
 *
 *     type (1 byte)  length (4 bytes, big-endian)  data (length bytes)
 *
 * in this order:
 *
 *     'V'  "postern-queue 1"        first, always
 *     'T'  "SECONDS USECONDS"       arrival time
 *     'F'  sender                   internal form, empty for <>
 *     'A'  "name=value"             zero or more message attributes
 *     'D'  "type;address"           optional DSN ORCPT (RFC 3461), for the next 'R'
 *     'O'  original recipient       optional, applies to the next 'R'
 *     'R'  status, notify, address  one per recipient (see below)
 *     'M'  the message content      headers and body, LF line ends
 *     'E'  ""                       last, always; nothing may follow
 *
 * 'R' and 'O' records may also follow 'M' (sendmail -t finds recipients in
 * the headers).  The first data byte of an 'R' record is the recipient's
 * status, QFILE_RCPT_*; it is the only byte ever changed after the file is
 * complete, in place, so a crash can at worst repeat a delivery, never lose
 * one.  The second byte is the DSN NOTIFY set as a digit, QFILE_NOTIFY_*
 * bits ('0' = not given).  'D' (the client's ORCPT, xtext decoded) is
 * not the 'O' of alias expansion: one is what the client said the address
 * was, for its DSNs, the other what we rewrote.  Files written before 'D'
 * existed simply have none.
 *
 * The 'E' record is written, and the file fsynced, before the file gets its
 * queue ID name: a file without 'E' is never a queue file.  The content
 * record's length is filled in after the content is streamed, so qmgr can
 * skip the content with one lseek and never reads it.
 */
#ifndef POSTERN_QFILE_H
#define POSTERN_QFILE_H

#include "sys_defs.h"
#include "buf.h"

#define QFILE_VERSION "postern-queue 1"
#define QFILE_REC_HDR 5
#define QFILE_REC_MAX 65536   /* any record except content */
#define QFILE_RCPT_MAX 100000 /* recipients per message */
#define QFILE_ATTR_MAX 200    /* attributes per message */
#define QFILE_CONTENT_MAX 0x7fffffffLL
/*
 * QFILE_CONTENT_MAX: the octets a content record can hold (its length is 32
 * bits).  QFILE_MESSAGE_MAX: the largest message a writer may accept for one
 * queue file, the content record minus room for what the server puts in
 * front of the client's message (smtpd's Received: header is at most 2 KiB).
 * A writer must refuse a larger message before qfile_content_end(), which
 * treats one as a bug.
 */
#define QFILE_MESSAGE_MAX (QFILE_CONTENT_MAX - 65536LL)

#define QFILE_REC_VERSION 'V'
#define QFILE_REC_TIME 'T'
#define QFILE_REC_SENDER 'F'
#define QFILE_REC_ATTR 'A'
#define QFILE_REC_ORCPT 'O'
#define QFILE_REC_DSN_ORCPT 'D'
#define QFILE_REC_RCPT 'R'
#define QFILE_REC_CONTENT 'M'
#define QFILE_REC_END 'E'

#define QFILE_RCPT_PENDING 'P'   /* still to be delivered */
#define QFILE_RCPT_DELIVERED 'D' /* delivered; never again */
#define QFILE_RCPT_FAILED 'F'    /* permanently failed; the sender must be told */

#define QFILE_NOTIFY_NEVER 1
#define QFILE_NOTIFY_SUCCESS 2
#define QFILE_NOTIFY_FAILURE 4
#define QFILE_NOTIFY_DELAY 8

struct qrcpt {
    char *address;   /* internal form */
    char *orcpt;     /* original recipient, or NULL */
    char *dsn_orcpt; /* DSN ORCPT "type;address", or NULL */
    int notify;      /* QFILE_NOTIFY_* bits, 0 if not given */
    char status;     /* QFILE_RCPT_* as read */
    off_t offset;    /* file offset of the status byte: the recipient's identity */
};

struct qattr {
    char *name;
    char *value;
};

struct qmsg {
    long long arrival_sec;
    long arrival_usec;
    char *sender;
    struct qattr *attrs;
    size_t nattrs;
    struct qrcpt *rcpts;
    size_t nrcpts;
    off_t content_offset; /* first content byte */
    long long content_len;
};

/* Parse a whole queue file held in memory (content included); -1 with *error_r. */
int qfile_parse(const unsigned char *p, size_t len, struct qmsg *m, const char **error_r);
/* Read a queue file from fd (from offset 0), skipping over the content. */
int qfile_read(int fd, struct qmsg *m, const char **error_r);
/* Free what qfile_parse/qfile_read allocated. */
void qmsg_free(struct qmsg *m);
/* The value of attribute name, or NULL. */
const char *qmsg_attr(const struct qmsg *m, const char *name);

/*
 * Change a pending recipient's status in place.  Fails (-1, errno) if the
 * byte at r->offset is not a pending status any more (EALREADY) or on I/O
 * error.  Durable only after the caller's fsync/fdatasync.
 */
int qfile_set_status(int fd, off_t offset, char status);
/* Read the current status byte of a recipient; -1 on error. */
int qfile_get_status(int fd, off_t offset);

/* Writer ---------------------------------------------------------------- */

struct qfile_writer {
    int fd;
    int error;         /* errno of the first failed write, 0 if none */
    char tmp_path[64]; /* relative to the queue directory */
    char id[32];       /* the queue ID the file will have */
    struct buf out;    /* write-behind buffer */
    off_t pos;         /* file offset of out's first byte */
    off_t content_hdr; /* offset of the 'M' record header */
    long long content_len;
    bool in_content;
    int last_byte; /* last content byte written, for the final LF */
};

/*
 * Create a new file under a temporary name in the queue "incoming" and
 * choose its queue ID from the arrival time and the file's inode.  The
 * process must be in the queue directory.  -1 with *error_r (errno kept).
 */
int qfile_create(struct qfile_writer *w, const struct timeval *arrival, const char **error_r);
/* Append one non-content record (type, data). */
void qfile_put(struct qfile_writer *w, int type, const void *data, size_t len);
/* Append a recipient record with pending status. */
void qfile_put_rcpt(struct qfile_writer *w, const char *address, const char *orcpt, int notify);
/* The same, with the client's DSN ORCPT ("type;address", NULL or "" for none). */
void qfile_put_rcpt_dsn(struct qfile_writer *w, const char *address, const char *orcpt, int notify,
                        const char *dsn_orcpt);
/* Append an "name=value" attribute record. */
void qfile_put_attr(struct qfile_writer *w, const char *name, const char *value);
/* Start, feed and end the content record. */
void qfile_content_begin(struct qfile_writer *w);
void qfile_content_write(struct qfile_writer *w, const void *p, size_t len);
void qfile_content_end(struct qfile_writer *w);
/*
 * Write the end record, fsync, rename to incoming/ID, fsync the directory
 * (dirfd: an open descriptor of incoming/) and mark the file ready (see
 * queue.h).  Only after this returns 0 may the message be acknowledged.  On
 * failure no name is left behind and -1 is returned with errno set (e.g.
 * ENOSPC).
 */
int qfile_commit(struct qfile_writer *w, int dirfd);
/*
 * The same, but the file is left not ready (queue.h), for a writer that
 * must record elsewhere that it made the file before qmgr may take it
 * (local forwarding mail: queue_mark_ready() once the original recipient
 * is marked done).
 */
int qfile_commit_unready(struct qfile_writer *w, int dirfd);
/* Abandon the file (remove the temporary name). */
void qfile_abort(struct qfile_writer *w);

#endif
