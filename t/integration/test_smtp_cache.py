"""The smtp client's connection cache: the session that delivered one
message to a destination stays open for the next message to it, within
smtp_connection_cache_time_limit, probed with RSET; after that time it is
closed with QUIT, and the next message opens a new one."""

import re
import smtplib
import time

from postern_instance import wait_until


def test_session_reused_then_closed(make_instance, user):
    b = make_instance(addr="127.0.0.3", mydomain="b.test")
    a = make_instance(start=False, addr="127.0.0.4", mydomain="a.test", main_cf={
        "relayhost": "[127.0.0.3]:%d" % b.port,
        "smtp_connection_cache_time_limit": "2s",
        "smtp_bind_address": "127.0.0.4",
    })
    a.master_cf.append("smtp unix - - y - - smtp")
    a.write_master_cf(a.master_cf)
    a.start()

    def send(n):
        with smtplib.SMTP(a.addr, a.port, timeout=30) as s:
            s.sendmail("someone@a.test", [user.name + "@b.test"], "Subject: %d\r\n\r\nx\r\n" % n)
        user.wait_for(n)

    def connects():
        return b.read_log().count(": connect from unknown[127.0.0.4]")

    send(1)
    send(2)  # within the time limit: the same session, after an RSET
    assert connects() == 1, b.read_log()
    line = b.wait_log_re(r"disconnect from unknown\[127\.0\.0\.4\] ([^\n]*)", timeout=10)
    assert "mail=2" in line.group(1) and "rset=1" in line.group(1) and "quit=1" in line.group(1), \
        line.group(0)
    time.sleep(0.5)
    send(3)  # the cached session was closed: a new one
    wait_until(lambda: connects() == 2, 10, what="a second connection")
    assert re.search(r"relay=127\.0\.0\.3\[127\.0\.0\.3\]:%d, .*status=sent" % b.port, a.read_log())
