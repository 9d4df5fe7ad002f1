#!/usr/bin/env python3
"""check_reply_codes.py - every SMTP reply smtpd can send carries an
RFC 3463 enhanced status code (ENHANCEDSTATUSCODES, RFC 2034).

Scans the C files named on the command line for string literals that start
with a reply code ("550 ...", "250-...") and fails, naming file and line,
when the text after the code is not an enhanced code of the same class.
RFC 2034 section 3 leaves out the greeting and the EHLO/HELO response:
"220 %s", "250 %s", "250-%s" and the EHLO keyword lines ("250-PIPELINING",
"250 CHUNKING", "250-AUTH %s"), and the HELO/EHLO syntax errors, which
Postfix too sends without one ("501 Syntax: EHLO hostname").  Replies that come from elsewhere (restriction lists)
build their codes in restrict_eval.c, which its unit test covers.
"""
import re
import sys

LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
REPLY = re.compile(r'^([245])\d\d[ -]')
EXEMPT = re.compile(r'^(220 %s|250[ -]%s|250[ -][A-Z0-9]+( %lld| %s)?|501 Syntax: (HELO|EHLO) hostname)$')


def main(paths):
    bad = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                for lit in LITERAL.findall(line):
                    m = REPLY.match(lit)
                    if not m or EXEMPT.match(lit):
                        continue
                    if not re.match(r'^\d{3}[ -]%s\.\d{1,3}\.\d{1,3}( |$)' % m.group(1), lit):
                        bad.append("%s:%d: reply without enhanced status code: \"%s\""
                                   % (path, n, lit))
    for b in bad:
        print(b)
    if not paths:
        print("no files to check")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
