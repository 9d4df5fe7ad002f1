/*
 * dict_pcre.c - pcre:FILE, Perl-compatible regular expressions (PCRE2) in
 * Postfix's pcre_table(5) syntax.  The rule file is read by dict_pattern.c,
 * exactly as for regexp:; this file only compiles and matches.
 *
 * Flags toggle as in Postfix: i caseless and s dotall are on by default;
 * m multiline, x extended, A anchored, E dollar-end-only and U ungreedy are
 * off.  X (PCRE1's "extra") is accepted and changes nothing: PCRE2 always
 * refuses an unknown escape.  Keys are bytes (no UTF-8 mode unless a
 * pattern asks with (*UTF)) and are never folded.
 *
 * Every match runs under limits, since a table pattern such as /(a+)+$/
 * backtracks exponentially on a key an attacker chooses ("aaaa...b"): past
 * them the lookup fails, which every caller treats as a temporary error,
 * instead of holding a daemon for seconds.  A pattern may lower the limits
 * ((*LIMIT_MATCH=n)) but never raise them.  The interpreter is used, not
 * the JIT, whose stack the depth limit does not govern.
 */
#include "sys_defs.h"
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "dict_pattern.h"
#include "mymalloc.h"

/* Backtracking steps for one match: about 10 ms of CPU. */
#define PCRE_MATCH_LIMIT 1000000
/* Nested backtracking points; a key has at most DICT_KEY_MAX bytes. */
#define PCRE_DEPTH_LIMIT 10000
/* KiB of backtracking frames, which the rule's match data keeps between lookups. */
#define PCRE_HEAP_LIMIT 2048

#define PCRE_WHY_MAX 256

struct pcre_rule {
    pcre2_code *code;
    pcre2_match_data *md;    /* as many groups as the pattern has */
    pcre2_match_context *mc; /* the limits */
};

static const struct dict_pattern_flag pcre_flags[] = {
    {'i', PCRE2_CASELESS},
    {'m', PCRE2_MULTILINE},
    {'s', PCRE2_DOTALL},
    {'x', PCRE2_EXTENDED},
    {'A', PCRE2_ANCHORED},
    {'E', PCRE2_DOLLAR_ENDONLY},
    {'U', PCRE2_UNGREEDY},
    {'X', 0},
    {0, 0},
};

/* PCRE2's text for error code err, in why[PCRE_WHY_MAX]. */
static const char *pcre_why(int err, char *why)
{
    if (pcre2_get_error_message(err, (PCRE2_UCHAR *)why, PCRE_WHY_MAX) < 0)
        snprintf(why, PCRE_WHY_MAX, "PCRE2 error %d", err);
    return why;
}

static void pcre_rule_free(void *re)
{
    struct pcre_rule *r = re;

    pcre2_match_context_free(r->mc);
    pcre2_match_data_free(r->md);
    pcre2_code_free(r->code);
    free(r);
}

static int pcre_rule_compile(const char *pattern, unsigned bits, void **re_r, char **error_r)
{
    struct pcre_rule *r = xcalloc(1, sizeof(*r));
    char why[PCRE_WHY_MAX];
    PCRE2_SIZE offset;
    int err;

    r->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, bits, &err, &offset, NULL);
    if (r->code == NULL) {
        *error_r = xasprintf("%s at offset %zu of the pattern", pcre_why(err, why), (size_t)offset);
        free(r);
        return -1;
    }
    if ((r->md = pcre2_match_data_create_from_pattern(r->code, NULL)) == NULL ||
        (r->mc = pcre2_match_context_create(NULL)) == NULL) {
        *error_r = xstrdup("out of memory compiling the pattern");
        pcre_rule_free(r);
        return -1;
    }
    (void)pcre2_set_match_limit(r->mc, PCRE_MATCH_LIMIT);
    (void)pcre2_set_depth_limit(r->mc, PCRE_DEPTH_LIMIT);
    (void)pcre2_set_heap_limit(r->mc, PCRE_HEAP_LIMIT);
    *re_r = r;
    return 0;
}

static int pcre_rule_match(void *re, const char *key, size_t len, struct dict_pattern_group *groups,
                           char **error_r)
{
    struct pcre_rule *r = re;
    const PCRE2_SIZE *ov;
    char why[PCRE_WHY_MAX];
    uint32_t set, i;
    int rc;

    rc = pcre2_match(r->code, (PCRE2_SPTR)key, len, 0, 0, r->md, r->mc);
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc < 0) { /* a limit, memory, or bad UTF-8 in a (*UTF) pattern */
        *error_r = xasprintf("pcre match: %s", pcre_why(rc, why));
        return -1;
    }
    if (groups == NULL)
        return 1;
    /* rc is one more than the last group set; 0 would mean the vector was too small. */
    ov = pcre2_get_ovector_pointer(r->md);
    set = rc > 0 ? (uint32_t)rc : pcre2_get_ovector_count(r->md);
    for (i = 0; i < DICT_PATTERN_GROUPS; i++) {
        bool used = i < set && ov[2 * i] != PCRE2_UNSET;

        groups[i].start = used ? (ptrdiff_t)ov[2 * i] : -1;
        groups[i].end = used ? (ptrdiff_t)ov[2 * i + 1] : -1;
    }
    return 1;
}

static const struct dict_pattern_engine pcre_engine = {
    PCRE2_CASELESS | PCRE2_DOTALL, pcre_flags, pcre_rule_compile, pcre_rule_match, pcre_rule_free,
};

static int pcre_open(struct dict *d, const char *name, char **error_r)
{
    return dict_pattern_open(d, name, &pcre_engine, error_r);
}

const struct dict_ops dict_pcre_ops = {
    "pcre", true, pcre_open, dict_pattern_lookup, dict_pattern_close, dict_pattern_file,
};
