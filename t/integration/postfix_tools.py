"""Postfix's smtp-sink for the smtp client's tests: the installed one, or
the copy scripts/test-setup unpacks from Debian's postfix package."""

import os

UNPACKED = "/var/cache/postern-test/postfix-tools/bin"


def smtp_sink():
    for path in ("/usr/sbin/smtp-sink", os.path.join(UNPACKED, "smtp-sink")):
        if os.access(path, os.X_OK):
            return path
    raise AssertionError("no smtp-sink: run scripts/test-setup (make check does)")
