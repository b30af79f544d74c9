"""Two hosts, one mailbox, one PostgreSQL ledger: the watcher is SIGKILLed mid-run and the other
instance takes over — no case lost, none answered twice, nothing filed twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from failover import run_failover


def test_sigkill_of_the_watcher_loses_nothing_and_answers_once(dovecot: Any, bot: str, smtp: Any, tmp_path: Path,
                                                              kb_path: Path, pg: Any) -> None:
    report = run_failover(dovecot, bot, smtp, tmp_path, kb_path, pg.new_database(), cases=30, kill_after=8)
    summary = "\n".join(report.lines())
    print(summary)
    assert report.lost == [] and report.answered_cases == 30, summary
    assert report.distinct_duplicates == 0 and report.duplicates <= report.in_doubt_resends, summary
    assert report.not_filed == [] and report.inbox_left == 0 and report.processed == 30, summary
    assert report.extra_sent_copies == 0, summary
    assert report.failover_seconds is not None and report.failover_seconds < 30, summary
