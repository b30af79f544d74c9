"""Two hosts, one mailbox, one PostgreSQL ledger: the watcher is SIGKILLed mid-run and the other
instance takes over — no case lost, none answered twice, nothing filed twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from failover import decided_per_instance, run_failover


def test_sigkill_of_the_watcher_loses_nothing_and_answers_once(dovecot: Any, bot: str, smtp: Any, tmp_path: Path,
                                                              kb_path: Path, pg: Any) -> None:
    report = run_failover(dovecot, bot, smtp, tmp_path, kb_path, pg.new_database(), cases=200, kill_after=40)
    summary = "\n".join(report.lines())
    print(summary)
    assert report.lost == [] and report.answered_cases == 200, summary
    assert report.distinct_duplicates == 0 and report.duplicates <= report.in_doubt_resends, summary
    assert report.not_filed == [] and report.inbox_left == 0 and report.processed == 200, summary
    assert report.extra_sent_copies == 0, summary
    assert report.failover_seconds is not None and report.failover_seconds < 30, summary
    assert report.takeover_seconds is not None and report.takeover_seconds < 30, summary


def test_two_instances_share_the_analysis_of_one_mailbox(dovecot: Any, bot: str, smtp: Any, tmp_path: Path,
                                                         kb_path: Path, pg: Any) -> None:
    """With a PostgreSQL ledger the watcher queues what it reads and both instances answer it:
    each case decided by exactly one of them, both doing a share, nothing answered twice."""
    report = run_failover(dovecot, bot, smtp, tmp_path, kb_path, pg.new_database(), cases=80, tag="share")
    summary = "\n".join(report.lines())
    print(summary)
    assert report.lost == [] and report.answered_cases == 80 and report.duplicates == 0, summary
    assert report.not_filed == [] and report.inbox_left == 0 and report.extra_sent_copies == 0, summary
    decided = decided_per_instance(report.logs)
    assert sum(decided) == 80 and min(decided) >= 8, summary


def test_postgresql_restarted_mid_run_the_daemon_waits_and_recovers(dovecot: Any, bot: str, smtp: Any,
                                                                     tmp_path: Path, kb_path: Path, pg: Any) -> None:
    """The server goes away while cases arrive: a pass that meets the outage fails with a logged
    'state database' error (or its pooled connection waits it out), nothing is answered twice or
    lost, and the daemon carries on by itself once PostgreSQL is back."""
    import signal
    import subprocess
    import sys
    import time

    from crashrun import _check, case
    from failover import FailoverReport, filed_count, instance_config
    from support import Mailbox

    url = pg.new_database()
    config = instance_config(dovecot, bot, smtp, tmp_path / "host", kb_path, url)
    log_path = tmp_path / "daemon.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "consultant", "--config", str(config), "run"],
                                stdout=subprocess.DEVNULL, stderr=log)
    ids = [f"<pgr-{i}@clinic.example>" for i in range(20)]
    try:
        for i in range(10):
            dovecot.deliver(case(i, "pgr"), rcpt=bot)
        deadline = time.monotonic() + 120
        while filed_count(url) < 10:
            assert time.monotonic() < deadline and proc.poll() is None, log_path.read_text()[-3000:]
            time.sleep(0.2)
        pg.stop()
        for i in range(10, 20):                  # mail arrives while the ledger is down
            dovecot.deliver(case(i, "pgr"), rcpt=bot)
        time.sleep(4.0)
        assert proc.poll() is None, "the daemon died with its database"
        pg.start()
        deadline = time.monotonic() + 120
        while filed_count(url) < 20:
            assert time.monotonic() < deadline and proc.poll() is None, log_path.read_text()[-3000:]
            time.sleep(0.2)
        time.sleep(1.0)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    report = FailoverReport(cases=20, kills=0, seed=0, instances=1)
    report.restarts_log = [log_path]
    _check(report, smtp, Mailbox(dovecot, bot), ids)
    summary = "\n".join(report.lines())
    assert report.lost == [] and report.duplicates == 0 and report.not_filed == [], summary
    log = log_path.read_text()
    # a pass that met the outage logged it as the state database's trouble (or the pooled
    # connection waited it out): never as an internal error, never with a traceback
    assert "internal error" not in log and "Traceback" not in log, log[-3000:]
