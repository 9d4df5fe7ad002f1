"""What smtpd says about a message before it arrives: the size limit that
EHLO announces and MAIL FROM SIZE= checks (never more than a queue file can
hold, whatever message_size_limit says).  The >2 GiB transfer itself is in
test_smtpd_bigmsg.py.
"""

import pytest

from smtp_raw import Client

# What a queue file's content record can hold (2^31 - 1) less the room kept
# for smtpd's Received header (lib/global/qfile.h, QFILE_MESSAGE_MAX).
QUEUE_FILE_MAX = 0x7fffffff - 65536


@pytest.mark.parametrize("limit", ["0", "5000000000"])
def test_size_never_above_what_a_queue_file_holds(make_instance, limit):
    """message_size_limit = 0 (no limit) or a limit above 2 GiB: the SIZE
    EHLO announces and MAIL FROM SIZE= accepts are what a queue file can
    hold, so a client is told the truth before it sends gigabytes."""
    inst = make_instance(main_cf={"message_size_limit": limit})
    with Client(inst) as c:
        r = c.ehlo()
        assert "250-SIZE %d" % QUEUE_FILE_MAX in r.lines, \
            "EHLO does not announce the queue file limit: %r" % r.lines
        r = c.cmd("MAIL FROM:<alice@client.test> SIZE=3000000000")
        assert r.line == "552 5.3.4 Message size exceeds fixed limit", \
            "SIZE=3000000000 with message_size_limit = %s: %r" % (limit, r)
        r = c.cmd("MAIL FROM:<alice@client.test> SIZE=%d" % (QUEUE_FILE_MAX + 1))
        assert r.code == 552, r
        r = c.cmd("MAIL FROM:<alice@client.test> SIZE=%d" % QUEUE_FILE_MAX)
        assert r.code == 250, "SIZE equal to the limit: %r" % r
    assert inst.queue_files() == []


def test_size_limit_below_the_queue_file_limit_is_kept(make_instance):
    inst = make_instance(main_cf={"message_size_limit": "123456"})
    with Client(inst) as c:
        assert "250-SIZE 123456" in c.ehlo().lines
        assert c.cmd("MAIL FROM:<alice@client.test> SIZE=123457").code == 552
        assert c.cmd("MAIL FROM:<alice@client.test> SIZE=123456").code == 250
