"""Three mailboxes in one file, two instances (as two hosts) on one PostgreSQL ledger: the
mailboxes are shared out between them (a fair share each, two and one), every case is answered
once from its own mailbox's account, and nothing is left in any inbox."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import psycopg
from failover import _start, filed_count
from support import BOT_PASSWORD, Mailbox, config_data
from test_mailboxes import _case, _toml


def _watchers(url: str) -> dict[str, str]:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return {m: o for m, o in conn.execute("SELECT mailbox, owner FROM watcher WHERE lease_until >= "
                                              "extract(epoch from now())")}


def test_three_mailboxes_spread_over_two_instances(dovecot: Any, smtp: Any, tmp_path: Path, kb_path: Path,
                                                   pg: Any, monkeypatch: Any) -> None:
    from conftest import BOTS, _next_bot

    monkeypatch.setenv("CONSULTANT_TEST_IMAP_PASSWORD", BOT_PASSWORD)
    bots = [BOTS[next(_next_bot)] for _ in range(3)]
    url = pg.new_database()
    procs = []
    logs = []
    for host in ("host-a", "host-b"):
        home = tmp_path / host
        home.mkdir()
        data: dict[str, Any] = config_data(dovecot, bots[0], smtp.port, home, kb_path, poll_interval=2, idle=True)
        data["state"] = {"url": url}
        data["mailbox"] = [{"name": name, "imap": {"username": bot}, "smtp": {"from_address": bot}}
                           for name, bot in zip(("general", "cardiology", "billing"), bots)]
        config = home / "config.toml"
        config.write_text(_toml(data))
        logs.append(home / "daemon.log")
        procs.append(_start(config, logs[-1]))
        time.sleep(3.0 if host == "host-a" else 0)     # host-a starts alone and takes every mailbox
    try:
        deadline = time.monotonic() + 60
        spread: dict[str, str] = {}
        while time.monotonic() < deadline:
            spread = _watchers(url)
            if len(spread) == 3 and len(set(spread.values())) == 2:
                break
            time.sleep(0.5)
        owners = sorted(list(spread.values()).count(o) for o in set(spread.values()))
        assert owners == [1, 2], (spread, [p.read_text()[-2000:] for p in logs])
        for n in range(6):
            dovecot.deliver(_case(100 + n), rcpt=bots[n % 3])
        deadline = time.monotonic() + 90
        while filed_count(url) < 6:
            assert time.monotonic() < deadline, [p.read_text()[-2000:] for p in logs]
            time.sleep(0.3)
        time.sleep(1.0)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(30)
    assert len(smtp.messages) == 6                              # each case answered once
    for n, bot in enumerate(bots):
        from_bot = [m for m in smtp.messages if m.mail_from == bot]
        assert len(from_bot) == 2, [m.mail_from for m in smtp.messages]
        assert Mailbox(dovecot, bot).messages("INBOX") == [] and len(Mailbox(dovecot, bot).messages("Processed")) == 2
    assert any("handed to another instance" in p.read_text() for p in logs)
