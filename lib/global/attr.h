/*
 * attr.h - the one request/reply protocol between Postern daemons.
 *
 * A message is a frame: a 4-byte big-endian payload length, then typed
 * name=value attributes, each one
 *
 *     type (1 byte: 'S' string, 'I' integer, 'D' data)
 *     name length (1 byte, 1..ATTR_NAME_MAX) and name ([a-z0-9_])
 *     value length (4 bytes big-endian) and value
 *
 * Strings carry their terminating NUL on the wire, so a decoded string is a
 * pointer into the frame with no copy; interior NULs are rejected.  Integers
 * are 8 bytes, big-endian, signed.  Data is opaque bytes, and a list of
 * records travels as repeated data attributes that each hold a nested
 * attribute list.
 *
 * Each message is described once, as a table of struct attr_spec; decoding
 * fills a C struct from it.  A strict reader (any privileged one) drops the
 * peer on an unknown, missing, duplicate or oversized attribute; a lenient
 * one skips unknown names so that protocols can grow.  A server names the
 * protocol and its version in a first "hello" frame.
 */
#ifndef POSTERN_ATTR_H
#define POSTERN_ATTR_H

#include "sys_defs.h"
#include "buf.h"
#include "stream.h"

#define ATTR_NAME_MAX 64
#define ATTR_FRAME_MAX (4 << 20) /* a whole message */

enum attr_type {
    ATTR_TYPE_STR = 'S',
    ATTR_TYPE_INT = 'I',
    ATTR_TYPE_DATA = 'D',
};

#define ATTR_REQUIRED 0x1 /* must be present */
#define ATTR_REPEAT 0x2   /* may appear many times; each goes to spec->each */

#define ATTR_FLAG_STRICT 0x1 /* unknown attributes are an error */

struct attr_data {
    const unsigned char *p;
    size_t len;
};

/* One attribute of a message: where its value goes in the decoded struct. */
struct attr_spec {
    const char *name;
    enum attr_type type;
    unsigned flags;
    size_t offset; /* const char * (STR), long long (INT) or struct attr_data (DATA) */
    size_t max;    /* STR/DATA: maximum value length in bytes (excluding NUL) */
    /* ATTR_REPEAT: called for each occurrence with the raw value */
    int (*each)(void *out, const unsigned char *p, size_t len, const char **error_r);
};

/* One decoded attribute, for code that walks a message by hand. */
struct attr {
    enum attr_type type;
    const char *name; /* not NUL-terminated: use name_len */
    size_t name_len;
    const unsigned char *value;
    size_t value_len;
    long long num; /* ATTR_TYPE_INT */
};

/* Walk a payload: 1 and *a filled, 0 at the end, -1 on malformed input. */
int attr_next(const unsigned char *p, size_t len, size_t *pos, struct attr *a,
              const char **error_r);

/*
 * Decode a payload into out following spec (terminated by a NULL name).
 * Strings point into p, which must stay alive.  -1 with *error_r on failure.
 */
int attr_decode(const unsigned char *p, size_t len, const struct attr_spec *spec, void *out,
                int flags, const char **error_r);

/* Start a frame in b (appending); returns the frame's start offset. */
size_t attr_frame_begin(struct buf *b);
/* Finish the frame that began at start by filling in its length; -1 if too big. */
int attr_frame_end(struct buf *b, size_t start);
void attr_put_str(struct buf *b, const char *name, const char *val);
void attr_put_int(struct buf *b, const char *name, long long val);
void attr_put_data(struct buf *b, const char *name, const void *p, size_t len);
/* Encode every non-repeat field of in following spec (NULL strings are skipped). */
void attr_encode(struct buf *b, const struct attr_spec *spec, const void *in);

/*
 * Find one complete frame at the start of in.  1: the payload and its length are set,
 * and *frame_len_r is what to buf_consume() afterwards; 0: need more bytes;
 * -1: the length prefix is out of range (drop the peer).
 */
int attr_frame_peek(const struct buf *in, const unsigned char **payload_r, size_t *len_r,
                    size_t *frame_len_r);

/* Blocking I/O on a stream: read one frame's payload into frame; -1 on failure. */
int attr_read_frame(struct stream *s, struct buf *frame, const char **error_r);
/* Write the buffered frame(s) in b and flush; -1 on failure. */
int attr_write_frames(struct stream *s, const struct buf *b);

/* Encode the hello frame a server sends first. */
void attr_put_hello(struct buf *b, const char *protocol, long long version);
/* Check a hello payload names protocol with a version >= min_version. */
int attr_check_hello(const unsigned char *p, size_t len, const char *protocol,
                     long long min_version, const char **error_r);

#endif
