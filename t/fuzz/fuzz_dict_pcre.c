/*
 * fuzz_dict_pcre.c - pcre: tables: the rule-file grammar that regexp: and
 * pcre: share (dict_pattern.c) and the PCRE2 engine (dict_pcre.c), opened
 * and queried through dict.h as every caller does.
 *
 * Input: the rule file up to the first NUL; after it, the key (up to a
 * second NUL).  Without a NUL, a few fixed keys, one of them long enough to
 * make a careless pattern backtrack.  The file lives in a memfd, so nothing
 * is written to disk.  Invariants: a table that does not open says why,
 * naming the file; a lookup answers 1, 0 or -1, a found value is within
 * DICT_VALUE_MAX, an error names the file and line, and the same key gets
 * the same answer twice.  Slow inputs are findings too: the match limits
 * must keep every lookup far below libFuzzer's timeout.
 *
 * The regexp: engine is not fuzzed here: glibc's regexec() has no limits
 * (backreferences are exponential), so it would only report glibc.
 */
#include "sys_defs.h"
#include <sys/mman.h>
#include "fuzz.h"
#include "dict.h"
#include "msg.h"

static int table_fd = -1;
static char table_spec[64], table_path[64];

static void check_key(struct dict *d, const char *key)
{
    const char *value = NULL, *again = NULL;
    char *err = NULL, *first = NULL;
    int r, r2;

    r = dict_lookup(d, key, &value, &err);
    CHECK(r == 1 || r == 0 || r == -1);
    if (r == 1) {
        CHECK(value != NULL && strlen(value) <= DICT_VALUE_MAX);
        first = strdup(value);
        CHECK(first != NULL);
    }
    if (r < 0) {
        CHECK(err != NULL && strncmp(err, table_path, strlen(table_path)) == 0);
        CHECK(strstr(err, ", line ") != NULL);
        free(err);
        err = NULL;
    }
    r2 = dict_lookup(d, key, &again, &err);
    CHECK(r2 == r);
    if (r == 1)
        CHECK(strcmp(again, first) == 0);
    free(err);
    free(first);
}

int LLVMFuzzerInitialize(int *argc UNUSED, char ***argv UNUSED)
{
    msg_syslog(false);
    table_fd = memfd_create("fuzz_dict_pcre", MFD_CLOEXEC);
    CHECK(table_fd >= 0);
    snprintf(table_path, sizeof(table_path), "/proc/self/fd/%d", table_fd);
    snprintf(table_spec, sizeof(table_spec), "pcre:%s", table_path);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {
        "",
        "a",
        "user+ext@example.com",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
    };
    const uint8_t *nul = memchr(data, 0, size);
    size_t text_len = nul ? (size_t)(nul - data) : size;
    struct dict *d;
    char *err = NULL;

    CHECK(ftruncate(table_fd, 0) == 0);
    CHECK(pwrite(table_fd, data, text_len, 0) == (ssize_t)text_len);
    if (dict_open(table_spec, DICT_FLAG_FOLD, &d, &err) < 0) {
        CHECK(err != NULL && strstr(err, table_path) != NULL);
        free(err);
        return 0;
    }
    if (nul) {
        size_t rest = size - text_len - 1;
        const uint8_t *end = memchr(nul + 1, 0, rest);
        char *key = strndup((const char *)nul + 1, end ? (size_t)(end - nul - 1) : rest);

        CHECK(key != NULL);
        check_key(d, key);
        free(key);
    } else {
        for (size_t i = 0; i < COUNTOF(keys); i++)
            check_key(d, keys[i]);
    }
    dict_close(d);
    return 0;
}
