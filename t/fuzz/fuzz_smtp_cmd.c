/*
 * fuzz_smtp_cmd.c - libFuzzer target for SMTP command lines (smtp_cmd.h).
 *
 * A rejected line must come with a complete SMTP reply the server can send
 * as it is; an accepted one must be within the documented limits.  MAIL and
 * RCPT are rebuilt from the parsed form (the address in external form, the
 * parameters as parsed) and must parse back to the same command, so that
 * nothing the parser accepts changes meaning when smtpd passes it on.
 *
 * The same bytes also go through the reply formatter, as the text of a
 * reply (as a policy server or milter might supply it): every line it makes
 * must be a legal reply line, whatever the text holds.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "buf.h"
#include "mail_addr.h"
#include "msg.h"
#include "smtp_cmd.h"

static void check_reply(const char *reply)
{
    CHECK(reply != NULL);
    CHECK(isdigit((unsigned char)reply[0]) && isdigit((unsigned char)reply[1]) &&
          isdigit((unsigned char)reply[2]) && reply[3] == ' ');
    CHECK(reply[0] == '4' || reply[0] == '5');
    CHECK(strpbrk(reply, "\r\n") == NULL && strlen(reply) < 512);
}

static void check_params(const struct smtp_cmd *cmd)
{
    int i;
    const char *k;

    CHECK(cmd->nparams >= 0 && cmd->nparams <= SMTP_PARAM_MAX);
    for (i = 0; i < cmd->nparams; i++) {
        const struct smtp_param *sp = cmd->params + i;

        CHECK(sp->key[0] != 0 && strlen(sp->key) <= SMTP_PARAM_KEY_MAX);
        for (k = sp->key; *k; k++)
            CHECK(isupper((unsigned char)*k) || isdigit((unsigned char)*k) || *k == '-');
        CHECK(strlen(sp->value) <= SMTP_PARAM_VALUE_MAX);
        CHECK(sp->has_value == (sp->value[0] != 0));
        for (k = sp->value; *k; k++)
            CHECK(*k >= 33 && *k <= 126 && *k != '=');
        CHECK(smtp_cmd_param(cmd, sp->key) != NULL);
    }
}

/* Rebuild "MAIL FROM:<addr> KEY=VALUE ..." and parse it again. */
static void check_rebuild(const struct smtp_cmd *cmd)
{
    struct smtp_cmd again;
    struct buf line, ext;
    const char *reply = NULL;
    int i, ret = 0;

    buf_init(&line, 64 * 1024);
    buf_init(&ext, 4 * MAIL_ADDR_PATH_MAX);
    mail_addr_external(&cmd->addr, &ext);
    ret |= buf_printf(&line, "%s %s<%s>", cmd->verb == SMTP_VERB_MAIL ? "MAIL" : "RCPT",
                      cmd->verb == SMTP_VERB_MAIL ? "FROM:" : "TO:", buf_str(&ext));
    for (i = 0; i < cmd->nparams; i++) {
        ret |= buf_printf(&line, " %s", cmd->params[i].key);
        if (cmd->params[i].has_value)
            ret |= buf_printf(&line, "=%s", cmd->params[i].value);
    }
    CHECK(ret == 0);
    if (smtp_cmd_parse(line.data, line.len, &again, &reply) != 0) {
        fprintf(stderr, "rebuilt command \"%s\" rejected: %s\n", buf_str(&line), reply);
        abort();
    }
    CHECK(again.verb == cmd->verb && again.nparams == cmd->nparams);
    CHECK(again.addr.null == cmd->addr.null && again.addr.literal == cmd->addr.literal);
    CHECK(strcmp(again.addr.local, cmd->addr.local) == 0);
    CHECK(strcmp(again.addr.domain, cmd->addr.domain) == 0);
    for (i = 0; i < cmd->nparams; i++) {
        CHECK(strcmp(again.params[i].key, cmd->params[i].key) == 0);
        CHECK(strcmp(again.params[i].value, cmd->params[i].value) == 0);
        CHECK(again.params[i].has_value == cmd->params[i].has_value);
    }
    buf_free(&line);
    buf_free(&ext);
}

/* Every line of a formatted reply: <= 512 octets with CR LF, code, '-' but on the last. */
static void check_reply_wire(const struct buf *wire, int lines, const char *code)
{
    const char *p = buf_str(wire), *end = p + wire->len;
    int n = 0;

    CHECK(lines >= 1);
    while (p < end) {
        const char *crlf = memmem(p, (size_t)(end - p), "\r\n", 2);
        size_t i, len;

        CHECK(crlf != NULL);
        len = (size_t)(crlf - p);
        CHECK(len + 2 <= SMTP_REPLY_LINE_MAX && len >= 3);
        CHECK(code == NULL || memcmp(p, code, 3) == 0);
        if (crlf + 2 == end)
            CHECK(len == 3 || p[3] == ' ' || p[3] == '-'); /* "250-x" stays continued */
        else
            CHECK(len >= 4 && p[3] == '-');
        for (i = 0; i < len; i++)
            CHECK(((unsigned char)p[i] >= 32 || p[i] == '\t') && p[i] != 127);
        p = crlf + 2;
        n++;
    }
    CHECK(n == lines);
}

static void check_reply_format(const uint8_t *data, size_t size)
{
    struct buf text, wire;
    int n;

    buf_init(&text, size + 16);
    buf_init(&wire, SMTP_REPLY_WIRE_MAX);
    CHECK(buf_puts(&text, "550 5.7.1 ") == 0 && buf_append(&text, data, size) == 0);
    n = smtp_cmd_format_reply(buf_str(&text), text.len, &wire);
    check_reply_wire(&wire, n, "550");
    CHECK(memcmp(wire.data, n > 1 ? "550-5.7.1" : "550 5.7.1", 9) == 0);
    /* The input itself as a reply: refused unless it starts with a code. */
    buf_reset(&wire);
    if ((n = smtp_cmd_format_reply((const char *)data, size, &wire)) >= 0)
        check_reply_wire(&wire, n, (const char *)data);
    else
        CHECK(wire.len == 0);
    buf_free(&text);
    buf_free(&wire);
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
    struct smtp_cmd cmd;
    const char *reply = NULL;

    check_reply_format(data, size);
    if (smtp_cmd_parse(data, size, &cmd, &reply) != 0) {
        check_reply(reply);
        CHECK(cmd.name != NULL);
        return 0;
    }
    CHECK(cmd.verb != SMTP_VERB_UNKNOWN && cmd.name != NULL);
    CHECK(size >= strlen(cmd.name) &&
          strncasecmp((const char *)data, cmd.name, strlen(cmd.name)) == 0);
    CHECK(memchr(data, 0, size) == NULL && memchr(data, '\r', size) == NULL &&
          memchr(data, '\n', size) == NULL);
    CHECK(strlen(cmd.arg) <= SMTP_ARG_MAX);
    if (cmd.verb == SMTP_VERB_MAIL || cmd.verb == SMTP_VERB_RCPT) {
        CHECK(cmd.arg[0] == 0);
        CHECK(cmd.verb == SMTP_VERB_MAIL || !cmd.addr.null);
        check_params(&cmd);
        check_rebuild(&cmd);
    } else {
        CHECK(cmd.nparams == 0);
        if (cmd.verb == SMTP_VERB_DATA || cmd.verb == SMTP_VERB_RSET ||
            cmd.verb == SMTP_VERB_QUIT || cmd.verb == SMTP_VERB_STARTTLS)
            CHECK(cmd.arg[0] == 0);
        if (cmd.verb == SMTP_VERB_HELO || cmd.verb == SMTP_VERB_EHLO)
            CHECK(cmd.arg[0] != 0 && cmd.arg[0] != ' ');
    }
    return 0;
}
