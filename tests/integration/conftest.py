"""Fixtures: a private Dovecot (session), an aiosmtpd sink (per test), a fresh bot mailbox per
test, and the consult to drive (the real pipeline with the full knowledge base).

Dovecot must be installed (Debian dovecot-imapd + dovecot-lmtpd). Without it these tests skip
on a developer machine and FAIL in CI (CI=true), so they can never silently not run there.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mailservers import Dovecot, SmtpSink, dovecot_available
from support import BOT_PASSWORD, PASSWORD_ENV, Mailbox, config_data

from consultant.config import Config, parse_config

BOTS = [f"bot{i}@example.test" for i in range(150)]
_next_bot = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(str(item.fspath)).resolve().parent == here:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if not dovecot_available():
        message = ("/usr/sbin/dovecot (or openssl) is missing: apt-get install dovecot-imapd "
                   "dovecot-lmtpd openssl (.ci/setup does this)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    users = {bot: BOT_PASSWORD for bot in BOTS}
    users["coder@clinic.example"] = "coderpass"
    server = Dovecot(users).start()
    os.environ[PASSWORD_ENV] = BOT_PASSWORD
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def bot(dovecot: Dovecot) -> str:
    """A mailbox no other test has used."""
    return BOTS[next(_next_bot)]


@pytest.fixture()
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="session")
def kb_path(full_kb_path: Path) -> Path:
    return full_kb_path


@pytest.fixture(scope="session")
def knowledge_factory() -> Callable[[Path], tuple[Any, Any]]:
    from consultant.service import open_knowledge
    return open_knowledge


@pytest.fixture(scope="session")
def consult_fn() -> Callable[..., Any]:
    from consultant.pipeline import consult
    return consult


@pytest.fixture()
def make_config(dovecot: Dovecot, bot: str, smtp: SmtpSink, tmp_path: Path,
                kb_path: Path) -> Callable[..., Config]:
    def make(smtp_port: int | None = None, consult: dict[str, Any] | None = None, **imap: Any) -> Config:
        data = config_data(dovecot, bot, smtp_port or smtp.port, tmp_path, kb_path, **imap)
        data["consult"].update(consult or {})
        return parse_config(data, tmp_path)
    return make


@pytest.fixture()
def mailbox(dovecot: Dovecot, bot: str) -> Mailbox:
    return Mailbox(dovecot, bot)


@pytest.fixture(scope="session")
def pg() -> Iterator[Any]:
    """A private PostgreSQL cluster (Debian postgresql) for the shared-ledger tests."""
    from pgserver import PgCluster, postgres_available

    if not postgres_available():
        message = "PostgreSQL server binaries are missing: apt-get install postgresql (.ci/setup does this)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = PgCluster().start()
    try:
        yield cluster
    finally:
        cluster.cleanup()
