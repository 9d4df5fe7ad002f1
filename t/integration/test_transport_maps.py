"""transport_maps, as Postfix's transport(5): a domain, an address or a
parent domain sent to another next hop of the smtp client, or answered by
qmgr itself with error:, retry: and discard:.  The sender instance has no
DNS records at all: only the table can route the mail."""

import os
import re
import smtplib

from postern_instance import free_port


def instance(make_instance, table, **main_cf):
    inst = make_instance(start=False, addr="127.0.0.4", mydomain="a.test",
                         main_cf=dict({"minimal_backoff_time": "60s",
                                       "maximal_backoff_time": "60s",
                                       "smtp_bind_address": "127.0.0.4"}, **main_cf))
    path = os.path.join(inst.etc, "transport")
    with open(path, "w") as f:
        f.write(table)
    inst.params["transport_maps"] = "texthash:" + path
    inst.write_main_cf(inst.params)
    inst.master_cf.append("smtp unix - - y - - smtp")
    inst.write_master_cf(inst.master_cf)
    inst.start()
    return inst


def send(inst, rcpts):
    with smtplib.SMTP(inst.addr, inst.port, timeout=30) as s:
        s.sendmail("someone@a.test", rcpts, "Subject: routed\r\n\r\nhello\r\n")


def outcome(inst, rcpt):
    m = inst.wait_log_re(r"to=<%s>, relay=([^,]+), .*dsn=(\S+), status=(\w+) \(([^\n]*)\)"
                         % re.escape(rcpt))
    return m.group(1), m.group(2), m.group(3), m.group(4)


def test_nexthops_and_pseudo_transports(make_instance, user):
    b = make_instance(addr="127.0.0.3", mydomain="b.test")
    a = instance(make_instance,
                 "b.test smtp:[127.0.0.3]:%d\n"
                 ".sub.test smtp:[127.0.0.3]:%d\n"
                 "err.test error:5.1.2 no such domain here\n"
                 "later.test retry:4.4.1 come back later\n"
                 "drop.test discard:dropped by policy\n"
                 "%s@c.test :[127.0.0.3]:%d\n" % (b.port, b.port, user.name, b.port))
    send(a, [user.name + "@b.test"])
    relay, dsn, status, _ = outcome(a, user.name + "@b.test")
    assert (relay, dsn, status) == ("127.0.0.3[127.0.0.3]:%d" % b.port, "2.0.0", "sent")
    user.wait_for(1)
    b.wait_log("connect from unknown[127.0.0.4]")  # smtp_bind_address
    # b relays for its loopback neighbours, so what reaches it is sent
    to_b = ("127.0.0.3[127.0.0.3]:%d" % b.port, "2.0.0", "sent")
    # a parent domain's entry covers its subdomains ("x.sub.test"), not the parent
    # itself, which has no route: no DNS here, so no such domain
    send(a, ["nobody@x.sub.test", "nobody@sub.test"])
    assert outcome(a, "nobody@x.sub.test")[:3] == to_b
    assert outcome(a, "nobody@sub.test")[:3] == ("none", "5.4.4", "bounced")
    # an address entry, with the transport left as it was (":nexthop")
    send(a, [user.name + "@c.test", "other@c.test"])
    assert outcome(a, user.name + "@c.test")[:3] == to_b
    assert outcome(a, "other@c.test")[:3] == ("none", "5.4.4", "bounced")
    send(a, ["x@err.test", "y@later.test", "z@drop.test"])
    assert outcome(a, "x@err.test") == ("none", "5.1.2", "bounced", "no such domain here")
    assert outcome(a, "y@later.test") == ("none", "4.4.1", "deferred", "come back later")
    assert outcome(a, "z@drop.test") == ("none", "2.0.0", "sent", "dropped by policy")
    assert "127.0.0.3" not in "".join(outcome(a, r)[0] for r in
                                      ("x@err.test", "y@later.test", "z@drop.test"))


def test_bracketed_next_hop_on_our_own_address_is_no_loop(make_instance, user):
    """A "[host]:port" next hop may be one of our own addresses (a content
    filter on [127.0.0.1]:10025, say): only an MX can loop."""
    b = make_instance(start=False, addr="127.0.0.3", mydomain="b.test")
    port = free_port("127.0.0.4")
    b.master_cf.append("127.0.0.4:%d inet n - n - - smtpd" % port)
    b.write_master_cf(b.master_cf)
    b.start()
    a = instance(make_instance, "b.test smtp:[127.0.0.4]:%d\n" % port,
                 inet_interfaces="127.0.0.4")
    send(a, [user.name + "@b.test"])
    assert outcome(a, user.name + "@b.test")[1:3] == ("2.0.0", "sent")
    user.wait_for(1)
