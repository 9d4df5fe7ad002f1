"""Many clients at once: 500 messages from 20 concurrent clients, each
delivered exactly once."""

import os
import re
import smtplib
import threading

from postern_instance import wait_until


def test_500_messages_from_20_clients(instance, user):
    n, clients = 500, 20
    errors = []

    def worker(k):
        try:
            for i in range(k, n, clients):
                with smtplib.SMTP(instance.addr, instance.port, timeout=60) as s:
                    s.sendmail("load@client.test", [user.name + "@test.example"],
                               "Subject: load\r\nX-Tag: %d\r\n\r\nbody %d\r\n" % (i, i))
        except Exception as e:  # noqa: BLE001 - report every failure
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    user.wait_for(n, timeout=120)
    instance.wait_queue_empty(60)
    tags = sorted(int(re.search(rb"\nX-Tag: (\d+)\n", d).group(1)) for d in user.contents())
    assert tags == list(range(n))
    # Each message was logged as sent once and removed once (the last log
    # line may follow the unlink by a moment).
    wait_until(lambda: len(re.findall(r": removed\n", instance.read_log())) >= n, 10,
               what="%d removed lines" % n)
    log = instance.read_log()
    assert log.count("status=sent (delivered to maildir)") == n
    assert len(re.findall(r": removed\n", log)) == n
    # Finished queue files were recycled (queue.h): spare/ holds some, never
    # more than its limit, and none of them is a message any more.
    spare = os.listdir(os.path.join(instance.queue, "spare"))
    assert 0 < len(spare) <= 256
    assert not set(spare) & {os.path.basename(f) for f in instance.queue_files()}
