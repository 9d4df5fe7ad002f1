/*
 * fuzz_master_cf.c - libFuzzer target for master.cf lines (master_cf.h).
 *
 * The input is parsed as one logical line, and then as a whole file split
 * by conf_logical_lines() the way master_cf_read() does it.  A parsed entry
 * must be usable by master without further checks: a plain command name
 * (master execs it from daemon_directory, so a '/' would escape it), sane
 * numbers, NULL-terminated vectors.  A failed parse must leave the entry
 * empty, so a caller may free it either way.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "conf.h"
#include "master_cf.h"
#include "msg.h"

#define DEFAULT_MAXPROC 100

static size_t vec_len(char **v)
{
    size_t n = 0;

    CHECK(v != NULL);
    while (v[n]) {
        CHECK(*v[n] != 0);
        n++;
    }
    return n;
}

static long count_commas(const char *s)
{
    long n = 0;

    for (; *s; s++)
        n += *s == ',';
    return n;
}

static void check_ent(const struct master_ent *e, const unsigned char *line, size_t len)
{
    size_t i, nargs, nover;
    long commas;

    CHECK(e->name != NULL && *e->name != 0);
    CHECK(e->command != NULL && *e->command != 0);
    CHECK(strchr(e->command, '/') == NULL && e->command[0] != '.');
    CHECK(e->type == MASTER_TYPE_INET || e->type == MASTER_TYPE_UNIX);
    if (e->type == MASTER_TYPE_INET) {
        CHECK(e->port != NULL && *e->port != 0);
        CHECK(e->host == NULL || *e->host != 0);
    } else {
        CHECK(e->host == NULL && e->port == NULL);
        CHECK(strchr(e->name, '/') == NULL && strlen(e->name) <= 64);
        CHECK(strcmp(e->name, ".") != 0 && strcmp(e->name, "..") != 0);
    }
    CHECK(e->wakeup >= 0 && e->wakeup <= 86400);
    CHECK(e->maxproc >= 0 && e->maxproc <= 100000);
    nargs = vec_len(e->argv);
    nover = vec_len(e->overrides);
    CHECK(nargs + nover <= 100 && nargs + nover + 8 <= len);
    for (i = 0; i < nover; i++) {
        const char *eq = strchr(e->overrides[i], '=');

        CHECK(eq != NULL && eq != e->overrides[i]);
    }
    CHECK(memchr(line, 0, len) == NULL);
    /* master.cf separates by white space only: every comma must survive */
    commas = count_commas(e->name) + count_commas(e->command);
    for (i = 0; i < nargs; i++)
        commas += count_commas(e->argv[i]);
    for (i = 0; i < nover; i++)
        commas += count_commas(e->overrides[i]);
    for (i = 0; i < len; i++)
        commas -= line[i] == ',';
    CHECK(commas == 0);
    CHECK(master_ent_same(e, e));
    CHECK(strcmp(master_type_name(e->type), e->type == MASTER_TYPE_INET ? "inet" : "unix") == 0);
}

static bool ent_empty(const struct master_ent *e)
{
    return e->name == NULL && e->host == NULL && e->port == NULL && e->command == NULL &&
           e->argv == NULL && e->overrides == NULL && e->file == NULL;
}

static int parse_one(const unsigned char *line, size_t len, int lineno, void *ctx)
{
    struct master_ent e;
    const char *why = NULL;

    (void)lineno;
    (void)ctx;
    if (master_cf_parse_line(line, len, DEFAULT_MAXPROC, &e, &why) == 0) {
        check_ent(&e, line, len);
        master_ent_free(&e);
        CHECK(ent_empty(&e));
    } else {
        CHECK(why != NULL && *why != 0);
        CHECK(ent_empty(&e));
        master_ent_free(&e); /* must be harmless on an empty entry */
    }
    return 0;
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
    const char *why;

    (void)parse_one(data, size, 1, NULL);
    (void)conf_logical_lines(data, size, parse_one, NULL, &why);
    return 0;
}
