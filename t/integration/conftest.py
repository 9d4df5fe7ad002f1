"""pytest fixtures for Postern integration tests (see postern_instance.py)."""

import pytest

from postern_instance import Instance, MailUser


@pytest.fixture
def user():
    u = MailUser()
    yield u
    u.release()


@pytest.fixture
def user2():
    u = MailUser()
    yield u
    u.release()


@pytest.fixture
def instance():
    inst = Instance(dns=["client.test. A 127.0.0.1", "client.test. AAAA ::1"],
                    ptr=["127.0.0.1 client.test"])
    inst.start()
    yield inst
    inst.cleanup()


@pytest.fixture
def make_instance():
    """Build instances with custom settings; all are stopped afterwards."""
    made = []

    def make(start=True, **kw):
        inst = Instance(**kw)
        made.append(inst)
        if start:
            inst.start()
        return inst

    yield make
    for inst in made:
        inst.cleanup()
