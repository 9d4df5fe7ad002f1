/*
 * showq_proto.c - the showq frames, one table per type (see showq_proto.h).
 */
#include "sys_defs.h"
#include "showq_proto.h"
#include "attr.h"
#include "queue.h"
#include "msg.h"

#define F(field) offsetof(struct showq_frame, field)

static const struct attr_spec message_spec[] = {
    {"type", ATTR_TYPE_STR, ATTR_REQUIRED, F(type), 16, NULL},
    {"queue_name", ATTR_TYPE_STR, ATTR_REQUIRED, F(queue_name), 16, NULL},
    {"queue_id", ATTR_TYPE_STR, ATTR_REQUIRED, F(queue_id), QUEUE_ID_MAX, NULL},
    {"arrival_time", ATTR_TYPE_INT, ATTR_REQUIRED, F(arrival_time), 0, NULL},
    {"message_size", ATTR_TYPE_INT, ATTR_REQUIRED, F(message_size), 0, NULL},
    {"sender", ATTR_TYPE_STR, ATTR_REQUIRED, F(sender), SHOWQ_TEXT_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct attr_spec recipient_spec[] = {
    {"type", ATTR_TYPE_STR, ATTR_REQUIRED, F(type), 16, NULL},
    {"address", ATTR_TYPE_STR, ATTR_REQUIRED, F(address), SHOWQ_TEXT_MAX, NULL},
    {"delay_reason", ATTR_TYPE_STR, 0, F(delay_reason), SHOWQ_TEXT_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct attr_spec end_spec[] = {
    {"type", ATTR_TYPE_STR, ATTR_REQUIRED, F(type), 16, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct {
    const char *type;
    const struct attr_spec *spec;
} showq_types[] = {
    {SHOWQ_MESSAGE, message_spec},
    {SHOWQ_RECIPIENT, recipient_spec},
    {SHOWQ_END, end_spec},
};

static const struct attr_spec *showq_spec(const char *type)
{
    size_t i;

    for (i = 0; i < COUNTOF(showq_types); i++)
        if (type && strcmp(showq_types[i].type, type) == 0)
            return showq_types[i].spec;
    return NULL;
}

void showq_frame_encode(struct buf *b, const struct showq_frame *f)
{
    const struct attr_spec *spec = showq_spec(f->type);
    size_t start;

    if (spec == NULL)
        msg_panic("showq_frame_encode: bad type");
    start = attr_frame_begin(b);
    attr_encode(b, spec, f);
    if (attr_frame_end(b, start) < 0)
        msg_panic("showq_frame_encode: frame too large");
}

static bool showq_queue_ok(const char *name)
{
    static const char *const names[] = {"maildrop", "incoming", "active", "deferred", "hold"};
    size_t i;

    for (i = 0; i < COUNTOF(names); i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

int showq_frame_decode(const unsigned char *p, size_t len, struct showq_frame *f,
                       const char **error_r)
{
    const struct attr_spec *spec;
    size_t pos = 0;
    struct attr a;

    memset(f, 0, sizeof(*f));
    /* The type comes first and says which table the rest must follow. */
    if (attr_next(p, len, &pos, &a, error_r) <= 0 || a.type != ATTR_TYPE_STR || a.name_len != 4 ||
        memcmp(a.name, "type", 4) != 0 || (spec = showq_spec((const char *)a.value)) == NULL) {
        *error_r = "bad or missing frame type";
        return -1;
    }
    if (attr_decode(p, len, spec, f, ATTR_FLAG_STRICT, error_r) < 0)
        return -1;
    if (spec == message_spec && (!showq_queue_ok(f->queue_name) || !queue_id_ok(f->queue_id) ||
                                 f->arrival_time < 0 || f->message_size < 0)) {
        *error_r = "bad message frame";
        return -1;
    }
    return 0;
}
