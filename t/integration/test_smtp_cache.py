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


def test_bdat_and_data_carry_the_message_intact(make_instance, user):
    """To a server with CHUNKING the content goes in BDAT chunks, not
    dot-stuffed; with smtp_use_bdat = no, by DATA, dot-stuffed.  Either
    way it arrives as sent: a line that is just ".", lines starting with
    dots, a body over one 64 KiB chunk."""
    b = make_instance(addr="127.0.0.3", mydomain="b.test")
    body = ".\r\n..two\r\n.x\r\n" + ("y" * 999 + "\r\n") * 100 + "end\r\n"
    for n, use_bdat in enumerate(("yes", "no"), start=1):
        a = make_instance(start=False, addr="127.0.0.4", mydomain="a.test", main_cf={
            "relayhost": "[127.0.0.3]:%d" % b.port, "smtp_use_bdat": use_bdat,
            "smtp_bind_address": "127.0.0.4"})
        a.master_cf.append("smtp unix - - y - - smtp")
        a.write_master_cf(a.master_cf)
        a.start()
        with smtplib.SMTP(a.addr, a.port, timeout=30) as s:
            s.sendmail("someone@a.test", [user.name + "@b.test"],
                       "Subject: chunks %s\r\n\r\n%s" % (use_bdat, body))
        got = open(user.wait_for(n)[-1], "rb").read().decode().replace("\n", "\r\n")
        assert got.endswith("\r\n\r\n" + body), got[-200:]
        lines = wait_until(lambda: len(re.findall(r"disconnect from unknown\[127\.0\.0\.4\] [^\n]*",
                                                  b.read_log())) >= n and
                           re.findall(r"disconnect from unknown\[127\.0\.0\.4\] ([^\n]*)",
                                      b.read_log()), 10, what="the session's end")
        assert ("bdat=" in lines[n - 1]) == (use_bdat == "yes"), lines
        a.stop()
