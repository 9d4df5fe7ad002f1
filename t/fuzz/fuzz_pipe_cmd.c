/*
 * fuzz_pipe_cmd.c - libFuzzer target for the outcome of a command delivery
 * (pipe_cmd_classify() in pipe_cmd.h), the one place that parses what a
 * command wrote: its first output line, and an RFC 3463 status code that
 * may start it.
 *
 * The first byte chooses how the command ended (bits 0-1: an exit status
 * from the second byte, a signal, a lost status, a <sysexits.h> code) and
 * whether the output doubles as the command text (bit 2); the rest is the
 * output.  Whatever the input, the outcome is one of the three, its status
 * code is well formed and of the matching class, and the reason is
 * non-empty printable ASCII that fits its buffer.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "msg.h"
#include "pipe_cmd.h"

static void check_dsn(const struct pipe_cmd_result *res)
{
    const char *p = res->dsn;
    size_t n, part;

    CHECK(memchr(res->dsn, 0, sizeof(res->dsn)) != NULL);
    CHECK(p[0] == (res->status == DELIVER_SENT       ? '2'
                   : res->status == DELIVER_DEFERRED ? '4'
                                                     : '5'));
    CHECK(p[1] == '.');
    p += 2;
    for (part = 0; part < 2; part++) {
        n = strspn(p, "0123456789");
        CHECK(n >= 1 && n <= 3);
        p += n;
        CHECK(*p == (part == 0 ? '.' : 0));
        p++;
    }
}

static void check_reason(const struct pipe_cmd_result *res)
{
    size_t i, len;

    CHECK(memchr(res->reason, 0, sizeof(res->reason)) != NULL);
    len = strlen(res->reason);
    CHECK(len > 0);
    for (i = 0; i < len; i++)
        CHECK(res->reason[i] >= 0x20 && res->reason[i] < 0x7f);
}

static int wait_status(const uint8_t *data, size_t size)
{
    int arg = size > 1 ? data[1] : 0;

    switch (data[0] & 3) {
    case 0:
        return arg << 8;
    case 1:
        return (arg % 64) + 1; /* killed by signal 1..64 */
    case 2:
        return -1;
    default:
        return (64 + arg % 15) << 8;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    msg_syslog(false);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pipe_cmd_result res;
    char command[256];
    int ws;

    if (size < 2)
        return 0;
    ws = wait_status(data, size);
    snprintf(command, sizeof(command), "%s", "procmail -a \"$EXTENSION\"");
    if (data[0] & 4) {
        size_t n = size - 2 < sizeof(command) - 1 ? size - 2 : sizeof(command) - 1;

        memcpy(command, data + 2, n);
        command[n] = 0;
    }
    memset(&res, 'X', sizeof(res));
    pipe_cmd_classify(ws, data + 2, size - 2, command, &res);
    CHECK(res.status == DELIVER_SENT || res.status == DELIVER_DEFERRED ||
          res.status == DELIVER_BOUNCED);
    CHECK((res.status == DELIVER_SENT) == (ws != -1 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0));
    if (ws != -1 && WIFSIGNALED(ws))
        CHECK(res.status == DELIVER_DEFERRED && strcmp(res.dsn, "4.3.0") == 0);
    check_dsn(&res);
    check_reason(&res);
    return 0;
}
