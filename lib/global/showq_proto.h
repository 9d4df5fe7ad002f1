/*
 * showq_proto.h - the queue listing that the showq daemon streams to
 * postern-queue (mailq, sendmail -bp) on public/showq, as Postfix's
 * showq does to postqueue.  Users may not read the queue (its directories
 * are mail_owner's 0700), so showq, as mail_owner, reads it for them and
 * tells them only what mailq shows.
 *
 * showq sends a hello ("showq", version 1) and then, with nothing asked:
 *
 *   type=message    queue_name queue_id arrival_time message_size sender
 *   type=recipient  address [delay_reason]     one per pending recipient
 *   ...
 *   type=end                                   the listing is complete
 *
 * queue_name is Postfix's: maildrop, incoming, active (local/ and remote/
 * here), deferred or hold.  Addresses are in external (quoted) form, the
 * null sender "".  postern-queue runs setgid, so it reads strictly: an
 * unknown attribute, a missing one or a listing without its end frame is
 * an error, never a shorter listing passed off as the queue.
 */
#ifndef POSTERN_SHOWQ_PROTO_H
#define POSTERN_SHOWQ_PROTO_H

#include "sys_defs.h"
#include "buf.h"

#define SHOWQ_PROTOCOL "showq"
#define SHOWQ_VERSION 1
#define SHOWQ_SOCKET "public/showq"

#define SHOWQ_MESSAGE "message"
#define SHOWQ_RECIPIENT "recipient"
#define SHOWQ_END "end"

#define SHOWQ_TEXT_MAX 1024 /* octets of an address or a reason */

struct showq_frame {
    const char *type;
    /* message */
    const char *queue_name;
    const char *queue_id;
    long long arrival_time;
    long long message_size;
    const char *sender;
    /* recipient */
    const char *address;
    const char *delay_reason; /* NULL when none is known */
};

/* Append one frame of f->type to b. */
void showq_frame_encode(struct buf *b, const struct showq_frame *f);
/* Decode one frame strictly (strings point into p); -1 with *error_r. */
int showq_frame_decode(const unsigned char *p, size_t len, struct showq_frame *f,
                       const char **error_r);

#endif
