/*
 * addr_list.h - RFC 5322 address lists (section 3.4), as found in To:, Cc:
 * and Bcc: and on sendmail's command line, parsed once into RFC 5321
 * addresses (mail_addr.h).  sendmail -t takes its recipients from here.
 *
 * Accepted, as real mail has them: display names (words, quoted strings,
 * and the obsolete "John Q. Public" with dots), comments in parentheses
 * (nested, with quoted pairs), quoted local parts, domain literals, angle
 * addresses with an obsolete source route (ignored, as RFC 5321 allows),
 * groups ("undisclosed-recipients:;", "team: a@x, b@y;"), empty list
 * elements (",,": RFC 5322's obs-addr-list), white space and comments
 * between any two tokens, and a bare local part ("root", "<root>"), which
 * the caller qualifies with its own domain.  8-bit octets may appear in
 * display names (raw UTF-8 is common there) but not in addresses.
 *
 * Every address is checked by mail_addr_parse_path() after the RFC 5322
 * syntax is taken off, so one from a header is held to exactly the rules
 * (and limits) of one from RCPT TO.
 *
 * Refused: unbalanced < > ( ) [ ] or quotes, a display name without an
 * address ("John Smith"), text after an angle address, a nested group,
 * control characters, the null address <>, more than the list's maximum
 * of addresses, and more than ADDR_LIST_TEXT_MAX octets of input.  A list
 * with one bad address is refused whole: half a recipient list is worse
 * than an error the user sees.
 */
#ifndef POSTERN_ADDR_LIST_H
#define POSTERN_ADDR_LIST_H

#include "sys_defs.h"
#include "mail_addr.h"

#define ADDR_LIST_TEXT_MAX 65536   /* octets per call: one unfolded header field */
#define ADDR_LIST_COMMENT_DEPTH 32 /* nested comments */

struct addr_list {
    struct mail_addr *addrs; /* domain empty: a bare local part, for the caller to qualify */
    size_t n;
    size_t cap;
    size_t max; /* addresses the list may hold, over all calls */
};

/* An empty list that may hold up to max addresses. */
void addr_list_init(struct addr_list *l, size_t max);
void addr_list_free(struct addr_list *l);

/*
 * Parse the address list in (p, len) and append its addresses to l.  On
 * failure returns -1 with *error_r (static text naming the problem) and
 * leaves l as it was before the call.
 */
int addr_list_parse(const unsigned char *p, size_t len, struct addr_list *l, const char **error_r);

#endif
