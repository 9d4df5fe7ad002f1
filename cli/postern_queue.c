/*
 * postern_queue.c - "postern-queue": the queue as users may see it, from
 * the showq daemon (showq_proto.h), as Postfix's postqueue.
 *
 *   postern-queue [-c config_dir] -p    mailq's listing (Postfix's layout)
 *   postern-queue [-c config_dir] -j    one JSON object per message (postqueue -j)
 *
 * It is installed setgid postdrop, like postqueue, because public/ (where
 * showq listens) is mail_owner:postdrop 0710; it reads nothing but the
 * configuration (from a directory root alone can change, setgid_cmd.h) and
 * the listing, which it checks strictly and never cuts short quietly.
 * mailq and sendmail -bp run it.  The other options of SPEC.md (-f, -i,
 * -s, -d, -h, -H, -r) come later.
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "attr.h"
#include "mail_params.h"
#include "mymalloc.h"
#include "msg.h"
#include "setgid_cmd.h"
#include "showq_proto.h"
#include "sock.h"
#include "stream.h"

#define POSTQ_TIMEOUT_MS 60000

enum postq_format { POSTQ_TEXT, POSTQ_JSON };

/* What a listing has shown so far. */
struct postq {
    enum postq_format format;
    unsigned long messages;
    unsigned long long bytes;
    int open_rcpts; /* JSON: recipients in the open message so far, -1 if none is open */
};

static NORETURN void usage(int status)
{
    fprintf(status ? stderr : stdout,
            "usage: postern-queue [-c config_dir] -p | -j\n"
            "  -p  list the mail queue as mailq does\n"
            "  -j  list the mail queue as JSON, one object per message (Postfix's postqueue -j)\n");
    exit(status);
}

/* One line on stderr (and the log), and the sysexits.h status. */
#define fail msg_fatal_code

/* A JSON string, escaped as Postfix's showq_json does it. */
static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if (c == '\r')
            fputs("\\r", stdout);
        else if (c == '\t')
            fputs("\\t", stdout);
        else if (c < 0x20 || c == 0x7f)
            printf("\\u%04X", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void json_close(struct postq *pq)
{
    if (pq->open_rcpts >= 0)
        fputs("]}\n", stdout);
    pq->open_rcpts = -1;
}

static void json_frame(struct postq *pq, const struct showq_frame *f)
{
    if (strcmp(f->type, SHOWQ_RECIPIENT) == 0) {
        fputs(pq->open_rcpts++ > 0 ? ", {\"address\": " : "{\"address\": ", stdout);
        json_string(f->address);
        if (f->delay_reason && *f->delay_reason) {
            fputs(", \"delay_reason\": ", stdout);
            json_string(f->delay_reason);
        }
        putchar('}');
        return;
    }
    json_close(pq);
    if (strcmp(f->type, SHOWQ_MESSAGE) != 0)
        return;
    fputs("{\"queue_name\": ", stdout);
    json_string(f->queue_name);
    fputs(", \"queue_id\": ", stdout);
    json_string(f->queue_id);
    printf(", \"arrival_time\": %lld, \"message_size\": %lld, \"force_expired\": false, "
           "\"sender\": ",
           f->arrival_time, f->message_size);
    json_string(f->sender);
    fputs(", \"recipients\": [", stdout);
    pq->open_rcpts = 0;
}

/* Postfix's mailq layout: its column formats, headings and summary line. */
#define TEXT_STRING_FORMAT "%-11s %7s %-20s %s\n"
#define TEXT_SENDER_FORMAT "%-11s %7lld %20.20s %s\n"

static void text_frame(struct postq *pq, const struct showq_frame *f)
{
    char id[64], when[64];
    time_t t;

    if (strcmp(f->type, SHOWQ_RECIPIENT) == 0) {
        if (f->delay_reason && *f->delay_reason)
            printf("%*s(%s)\n",
                   (int)(strlen(f->delay_reason) < 76 ? 76 - strlen(f->delay_reason) : 0), "",
                   f->delay_reason);
        printf(TEXT_STRING_FORMAT, "", "", "", f->address);
        return;
    }
    if (strcmp(f->type, SHOWQ_END) == 0) {
        if (pq->messages == 0)
            printf("Mail queue is empty\n");
        else
            printf("\n-- %llu Kbytes in %lu Request%s.\n", pq->bytes / 1024, pq->messages,
                   pq->messages == 1 ? "" : "s");
        return;
    }
    if (pq->messages == 0)
        printf(TEXT_STRING_FORMAT, "-Queue ID-", "--Size--", "----Arrival Time----",
               "-Sender/Recipient-------");
    else
        putchar('\n');
    snprintf(id, sizeof(id), "%s%s", f->queue_id,
             strcmp(f->queue_name, "active") == 0 ? "*"
             : strcmp(f->queue_name, "hold") == 0 ? "!"
                                                  : "");
    t = (time_t)f->arrival_time;
    if (strftime(when, sizeof(when), "%a %b %e %H:%M:%S ", localtime(&t)) == 0)
        when[0] = 0;
    printf(TEXT_SENDER_FORMAT, id, f->message_size, when, *f->sender ? f->sender : "MAILER-DAEMON");
}

/* Read the listing to its end frame, printing as it comes. */
static void postq_read(struct stream *s, enum postq_format format)
{
    struct postq pq = {.format = format, .open_rcpts = -1};
    struct showq_frame f;
    struct buf frame;
    const char *why;
    bool in_message = false;

    buf_init(&frame, ATTR_FRAME_MAX);
    if (attr_read_frame(s, &frame, &why) < 0 ||
        attr_check_hello(frame.data, frame.len, SHOWQ_PROTOCOL, SHOWQ_VERSION, &why) < 0)
        fail(EX_SOFTWARE, "malformed showq server response: %s", why);
    for (;;) {
        if (attr_read_frame(s, &frame, &why) < 0 ||
            showq_frame_decode(frame.data, frame.len, &f, &why) < 0)
            fail(EX_SOFTWARE, "malformed showq server response: %s", why);
        if (strcmp(f.type, SHOWQ_RECIPIENT) == 0 && !in_message)
            fail(EX_SOFTWARE, "malformed showq server response: recipient without message");
        if (format == POSTQ_JSON)
            json_frame(&pq, &f);
        else
            text_frame(&pq, &f);
        if (strcmp(f.type, SHOWQ_MESSAGE) == 0) {
            in_message = true;
            pq.messages++;
            pq.bytes += (unsigned long long)f.message_size;
        }
        if (strcmp(f.type, SHOWQ_END) == 0)
            break;
    }
    buf_free(&frame);
    if (fflush(stdout) != 0 || ferror(stdout))
        if (errno != EPIPE)
            fail(EX_IOERR, "output write error: %m");
}

static struct stream *postq_connect(void)
{
    int fd;

    if ((fd = unix_connect(SHOWQ_SOCKET, false)) >= 0)
        return stream_open(fd, POSTQ_TIMEOUT_MS);
    /* No permission is an installation problem, not a stopped mail system. */
    if (errno == EACCES || errno == EPERM)
        fail(EX_SOFTWARE, "connect to %s/%s: %m (is postern-queue setgid %s?)", var_queue_dir,
             SHOWQ_SOCKET, var_setgid_group);
    fail(EX_UNAVAILABLE, "Queue report unavailable - mail system is down");
}

int main(int argc, char **argv)
{
    const char *config_dir = NULL;
    int format = -1, c;
    struct stream *s;
    char *err;

    msg_init("postern-queue");
    msg_syslog(false);
    msg_stderr(true, false);
    msg_fatal_status(EX_SOFTWARE);
    for (c = 1; c < argc; c++)
        if (strcmp(argv[c], "--help") == 0)
            usage(0);
    while ((c = getopt(argc, argv, "c:jpv")) != -1) {
        switch (c) {
        case 'c':
            config_dir = optarg;
            break;
        case 'j':
        case 'p':
            if (format >= 0)
                usage(EX_USAGE);
            format = c == 'j' ? POSTQ_JSON : POSTQ_TEXT;
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            usage(EX_USAGE);
        }
    }
    if (optind != argc || format < 0)
        usage(EX_USAGE);
    config_dir = xstrdup(mail_conf_dir(config_dir)); /* before the environment goes */
    setgid_cmd_init();
    if (setgid_conf_load(config_dir, &err) < 0)
        fail(EX_CONFIG, "%s", err);
    if (chdir(var_queue_dir) < 0)
        fail(EX_UNAVAILABLE, "chdir %s: %m", var_queue_dir);
    signal(SIGPIPE, SIG_IGN);
    s = postq_connect();
    postq_read(s, (enum postq_format)format);
    stream_close(s);
    return 0;
}
