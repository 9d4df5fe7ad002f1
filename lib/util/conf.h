/*
 * conf.h - Postfix-syntax configuration text: logical lines, "name = value"
 * entries and $name expansion.  Knows nothing of mail; the table of mail
 * parameters lives in lib/global/mail_params.c.
 *
 * Syntax: a line that starts with white space continues the previous one;
 * empty lines and lines whose first non-blank is '#' are ignored ('#' later
 * in a line is data, as in Postfix).  Expansion understands $name, ${name},
 * $(name), ${name?text} (text if name is non-empty), ${name:text} (text if
 * name is empty) and $$ for a literal dollar.
 */
#ifndef POSTERN_CONF_H
#define POSTERN_CONF_H

#include "sys_defs.h"
#include "buf.h"

#define CONF_LINE_MAX 65536     /* one logical line */
#define CONF_FILE_MAX (4 << 20) /* one configuration file */
#define CONF_NAME_MAX 100

struct conf_entry {
    char *name;
    char *value;
    char *file; /* where it was set, for error messages */
    int line;
};

struct conf {
    struct conf_entry *entries;
    size_t n, cap;
};

/* Called for each logical line with its first physical line number. */
typedef int (*conf_line_fn)(const unsigned char *line, size_t len, int lineno, void *ctx);

/* What one physical line is to a logical-line reader. */
enum conf_line_kind {
    CONF_LINE_SKIP,  /* blank or comment: neither starts nor ends a logical line */
    CONF_LINE_START, /* starts a logical line */
    CONF_LINE_MORE,  /* continues the logical line before it */
};

/*
 * Classify the physical line (p, len) without its newline; have says a
 * logical line is open (an indented line before any is a start).  The text
 * after the leading white space begins at *text_r.  conf_logical_lines()
 * decides with this, and so must anything that edits such text by lines.
 */
enum conf_line_kind conf_line_kind(const unsigned char *p, size_t len, bool have, size_t *text_r);

/*
 * Split text into logical lines, joining continuations with one space and
 * skipping comments and blank lines.  Stops at the first callback that
 * returns non-zero and returns that value; -1 with *error_r if a logical line
 * exceeds CONF_LINE_MAX.
 */
int conf_logical_lines(const unsigned char *text, size_t len, conf_line_fn fn, void *ctx,
                       const char **error_r);

/* Parse "name = value" from one logical line; name and value are trimmed. */
int conf_parse_entry(const unsigned char *line, size_t len, struct buf *name, struct buf *value,
                     const char **error_r);

/* Read a whole file (at most CONF_FILE_MAX bytes) into a malloc'ed buffer. */
int conf_slurp(const char *path, unsigned char **text_r, size_t *len_r, const char **error_r);
/* The same from an open regular file, at most max bytes (NUL-terminated copy). */
int conf_slurp_fd(int fd, size_t max, unsigned char **text_r, size_t *len_r, const char **error_r);

/* Read a main.cf-style file into c; *error_r is malloc'ed "FILE, line N: why". */
int conf_read_file(struct conf *c, const char *path, char **error_r);
/* The entry for name, or NULL. */
const struct conf_entry *conf_find(const struct conf *c, const char *name);
/* Add or replace an entry. */
void conf_set(struct conf *c, const char *name, const char *value, const char *file, int line);
void conf_free(struct conf *c);

/* Returns the raw (unexpanded) value of name, or NULL if it is unknown. */
typedef const char *(*conf_lookup_fn)(const char *name, void *ctx);

/*
 * Expand $references in value, recursively, appending to out.  Fails (-1,
 * *error_r malloc'ed) on an unknown name, a syntax error, or a reference loop.
 */
int conf_expand(const char *value, conf_lookup_fn lookup, void *ctx, struct buf *out,
                char **error_r);

#endif
