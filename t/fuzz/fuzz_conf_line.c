/*
 * fuzz_conf_line.c - libFuzzer target for the configuration syntax (conf.h).
 *
 * The input is used three ways: as one logical line for conf_parse_entry(),
 * as a whole main.cf for conf_logical_lines() (each logical line is then
 * parsed as an entry, as conf_read_file() does), and as a value for
 * conf_expand() with a fixed table of parameters that includes
 * self-referential, mutually recursive and too deeply nested ones, so the
 * loop and depth checks are exercised.  Properties that must hold abort.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "buf.h"
#include "conf.h"
#include "msg.h"
#include "mymalloc.h"

#define EXPAND_MAX 4096 /* small, so "expanded value too long" is reachable */
#define DEEP_LEVELS 25  /* deeper than conf.c's nesting limit */
#define STOP_RESULT 7   /* callback result that stops conf_logical_lines() */

static const struct {
    const char *name;
    const char *value;
} table[] = {
    {"myhostname", "mail.example.com"},
    {"mydomain", "example.com"},
    {"myorigin", "$myhostname"},
    {"mydestination", "$myhostname, localhost.$mydomain, localhost"},
    {"empty", ""},
    {"dollar", "$$"},
    {"cond", "${empty?set}${empty:unset}${mydomain?dom}${mydomain:nodom}"},
    {"nested", "${mydomain?${myorigin}}"},
    {"wide", "$mydestination $mydestination $mydestination $mydestination"},
    {"wider", "$wide$wide$wide$wide"},
    {"self", "x $self"},
    {"self_cond", "${self_cond?a}"},
    {"loop_a", "${loop_b}"},
    {"loop_b", "$(loop_a)"},
    {"bad_syntax", "${"},
    {"bad_ref", "$nosuch"},
    {"deep", "$d0"},
};

static const char *lookup(const char *name, void *ctx)
{
    static char deep[DEEP_LEVELS][16];
    size_t i;
    int *calls = ctx;

    (*calls)++;
    CHECK(name != NULL && strlen(name) <= CONF_NAME_MAX);
    for (i = 0; i < COUNTOF(table); i++)
        if (strcmp(name, table[i].name) == 0)
            return table[i].value;
    /* d0 -> $d1 -> ... -> d24, past the nesting limit */
    if (name[0] == 'd' && isdigit((unsigned char)name[1])) {
        char *end;
        long n = strtol(name + 1, &end, 10);

        if (*end == 0 && n >= 0 && n < DEEP_LEVELS && (n == 0 || name[1] != '0')) {
            if (n == DEEP_LEVELS - 1)
                return "bottom";
            snprintf(deep[n], sizeof(deep[n]), "$d%ld", n + 1);
            return deep[n];
        }
    }
    return NULL;
}

static bool conf_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static void check_entry(const unsigned char *line, size_t len)
{
    struct buf name, value;
    const char *why = NULL;
    size_t i;

    buf_init(&name, CONF_NAME_MAX + 1);
    buf_init(&value, CONF_LINE_MAX);
    if (conf_parse_entry(line, len, &name, &value, &why) == 0) {
        CHECK(name.len > 0 && name.len <= CONF_NAME_MAX);
        for (i = 0; i < name.len; i++)
            CHECK(isalnum(name.data[i]) || name.data[i] == '_');
        CHECK(value.len <= len);
        if (value.len > 0) {
            CHECK(value.data != NULL);
            CHECK(memchr(value.data, 0, value.len) == NULL);
            CHECK(!conf_blank(value.data[0]) && !conf_blank(value.data[value.len - 1]));
            CHECK(value.data[value.len] == 0);
        }
        CHECK(memchr(line, '=', len) != NULL);
    } else {
        CHECK(why != NULL && *why != 0);
    }
    buf_free(&name);
    buf_free(&value);
}

struct lines_ctx {
    int calls;
    int last_line;
    int max_line;
};

static int each_line(const unsigned char *line, size_t len, int lineno, void *vctx)
{
    struct lines_ctx *ctx = vctx;

    ctx->calls++;
    CHECK(line != NULL && len > 0 && len <= CONF_LINE_MAX);
    CHECK(lineno > ctx->last_line && lineno <= ctx->max_line);
    ctx->last_line = lineno;
    /* joined lines: no newline survives, and the line starts with data */
    CHECK(memchr(line, '\n', len) == NULL);
    CHECK(!conf_blank(line[0]) && line[0] != '#');
    CHECK(line[len] == 0);
    check_entry(line, len);
    return len >= 4 && memcmp(line, "STOP", 4) == 0 ? STOP_RESULT : 0;
}

static void check_lines(const uint8_t *data, size_t size)
{
    struct lines_ctx ctx = {0, 0, 1};
    const char *why = NULL;
    size_t i;
    int ret;

    for (i = 0; i < size; i++)
        if (data[i] == '\n')
            ctx.max_line++;
    ret = conf_logical_lines(data, size, each_line, &ctx, &why);
    CHECK(ret == 0 || ret == STOP_RESULT || ret == -1);
    if (ret == -1)
        CHECK(why != NULL);
    if (ret == STOP_RESULT)
        CHECK(ctx.calls > 0);
}

static void check_expand(const uint8_t *data, size_t size)
{
    char *value = xstrndup((const char *)data, size); /* stops at a NUL, as C strings do */
    struct buf out;
    char *error = NULL;
    int calls = 0;

    buf_init(&out, EXPAND_MAX);
    if (conf_expand(value, lookup, &calls, &out, &error) == 0) {
        CHECK(error == NULL);
        CHECK(out.len <= EXPAND_MAX);
        if (out.len)
            CHECK(out.data[out.len] == 0);
        /* without a '$' there is nothing to expand */
        if (strchr(value, '$') == NULL) {
            CHECK(calls == 0);
            CHECK(out.len == strlen(value) && memcmp(buf_str(&out), value, out.len) == 0);
        }
    } else {
        CHECK(error != NULL && *error != 0);
        CHECK(strchr(value, '$') != NULL || strlen(value) > EXPAND_MAX);
        free(error);
    }
    buf_free(&out);
    free(value);
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
    check_entry(data, size);
    check_lines(data, size);
    check_expand(data, size);
    return 0;
}
