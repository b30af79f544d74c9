"""Two daemons (as two hosts: separate working folders) on one mailbox, sharing the PostgreSQL
ledger; the one that watches the mailbox is SIGKILLed while cases arrive; the other takes over.
Then every case must have been answered exactly once, and every original flagged and moved.

Shared by `tests/integration/test_failover.py` (small, in CI) and `bench/scale.py` (200 cases).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from crashrun import CrashReport, _check, case
from mailservers import Dovecot, SmtpSink
from support import BOT_PASSWORD, Mailbox, config_data, to_toml


@dataclass
class FailoverReport(CrashReport):
    instances: int = 2
    killed: str = ""
    failover_seconds: float | None = None      # from the SIGKILL to the next reply sent
    takeover_seconds: float | None = None      # from the SIGKILL until another instance watches the mailbox
    extra_sent_copies: int = 0
    logs: list[Path] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = (f"{self.instances} instances, {self.cases} cases, SIGKILL of {self.killed or 'none'}; "
                f"failover {self.failover_seconds:.1f} s" if self.failover_seconds is not None else
                f"{self.instances} instances, {self.cases} cases, SIGKILL of {self.killed or 'none'}")
        by = ", ".join(f"{p.parent.name} {n}" for p, n in zip(self.logs, decided_per_instance(self.logs)))
        takeover = (f"; the mailbox watched again after {self.takeover_seconds:.1f} s"
                    if self.takeover_seconds is not None else "")
        return [head + takeover, *super().lines()[1:2], f"Sent copies beyond one per case: {self.extra_sent_copies}",
                f"cases decided per instance (shared analysis): {by}"]


_DECIDED = re.compile(r"UID \d+ <[^>]+>: (?:answered|escalated|skipped|failed) \(")


def decided_per_instance(logs: list[Path]) -> list[int]:
    """How many cases each instance's log says it decided (the one outcome line per message)."""
    return [len(_DECIDED.findall(p.read_text(errors="replace"))) if p.exists() else 0 for p in logs]


def _start(config: Path, log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "consultant", "--config", str(config), "--log-level",
                                 "DEBUG", "run"], stdout=subprocess.DEVNULL, stderr=log)


def filed_count(pg_url: str) -> int:
    try:
        with psycopg.connect(pg_url, connect_timeout=5) as conn:
            row = conn.execute("SELECT COUNT(*) FROM message WHERE filed_at IS NOT NULL").fetchone()
    except psycopg.Error:
        return 0
    return int(row[0]) if row else 0


def watcher_owner(pg_url: str) -> str | None:
    try:
        with psycopg.connect(pg_url, connect_timeout=5) as conn:
            row = conn.execute("SELECT owner FROM watcher ORDER BY lease_until DESC LIMIT 1").fetchone()
    except psycopg.Error:
        return None
    return str(row[0]) if row else None


def instance_config(dovecot: Dovecot, bot: str, smtp: SmtpSink, home: Path, kb_path: Path, pg_url: str,
                    **imap: Any) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    data = config_data(dovecot, bot, smtp.port, home, kb_path)
    data["imap"].update(poll_interval=2, idle=True, **imap)
    data["state"] = {"url": pg_url}
    path = home / "config.toml"
    path.write_text(to_toml(data))
    return path


def run_failover(dovecot: Dovecot, bot: str, smtp: SmtpSink, work: Path, kb_path: Path, pg_url: str, *,
                 cases: int, instances: int = 2, kill_after: int | None = None, tag: str = "fo",
                 timeout: float = 300.0) -> FailoverReport:
    """Deliver `cases` while `instances` daemons run; after `kill_after` replies, SIGKILL the
    watcher of the mailbox (or the first instance when none is recorded)."""
    report = FailoverReport(cases=cases, kills=1 if kill_after is not None else 0, seed=0, instances=instances)
    os.environ.setdefault("CONSULTANT_TEST_IMAP_PASSWORD", BOT_PASSWORD)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    for i in range(instances):
        home = work / f"host{i}"
        config = instance_config(dovecot, bot, smtp, home, kb_path, pg_url)
        log_path = home / "daemon.log"
        report.logs.append(log_path)
        procs[f"host{i}"] = _start(config, log_path)
        time.sleep(0.3)
    ids = [f"<{tag}-{i}@clinic.example>" for i in range(cases)]

    def deliver() -> None:
        for i in range(cases):
            dovecot.deliver(case(i, tag), rcpt=bot)
            time.sleep(0.01)

    feeder = threading.Thread(target=deliver, daemon=True)
    t0 = time.monotonic()
    feeder.start()
    try:
        if kill_after is not None:
            while len(smtp.messages) < kill_after and time.monotonic() - t0 < timeout:
                time.sleep(0.02)
            owner = watcher_owner(pg_url)
            victim = next((name for name, p in procs.items() if owner and owner.endswith(f":{p.pid}")), "host0")
            procs[victim].send_signal(signal.SIGKILL)
            procs[victim].wait()
            killed_at, before = time.monotonic(), len(smtp.messages)
            report.killed = victim
            while time.monotonic() - killed_at < timeout:
                if report.failover_seconds is None and len(smtp.messages) > before:
                    report.failover_seconds = time.monotonic() - killed_at
                if report.takeover_seconds is None and watcher_owner(pg_url) not in (None, owner):
                    report.takeover_seconds = time.monotonic() - killed_at
                if report.failover_seconds is not None and report.takeover_seconds is not None:
                    break
                if filed_count(pg_url) >= cases:
                    break
                time.sleep(0.05)
        feeder.join(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and filed_count(pg_url) < cases:
            time.sleep(0.2)
        time.sleep(1.0)        # anything still in flight (a duplicate would arrive now)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs.values():
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    report.seconds = time.monotonic() - t0
    report.restarts_log = list(report.logs)
    _check(report, smtp, Mailbox(dovecot, bot), ids)
    report.extra_sent_copies = max(0, report.sent_copies - cases)
    return report
