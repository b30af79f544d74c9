"""Crash safety at small scale: 20 cases, the real daemon SIGKILLed at random moments and
restarted each time; every case answered exactly once, every original flagged and moved.
The seed is random per run and printed on failure (re-run with CONSULTANT_CRASH_SEED=N).
And a SIGKILL at each named step of one case (after the outcome is recorded, after the send,
after the copy to Sent, after the move), then a restart: one reply, one copy, filed."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from crashrun import run_crash
from support import config_data, sample, to_toml

HERE = Path(__file__).resolve().parent


def test_sigkill_at_random_moments_loses_nothing_and_answers_once(dovecot, bot, smtp, tmp_path,  # type: ignore[no-untyped-def]
                                                                   kb_path) -> None:
    seed = int(os.environ.get("CONSULTANT_CRASH_SEED") or random.SystemRandom().randrange(1 << 30))
    report = run_crash(dovecot, bot, smtp, tmp_path, kb_path, cases=20, kills=6, seed=seed, max_life=2.5)
    summary = "\n".join(report.lines())
    print(summary)
    assert report.lost == [], summary
    assert report.not_filed == [] and report.inbox_left == 0 and report.processed == 20, summary
    assert report.answered_cases == 20, summary
    # a second reply may only be the in-doubt resend of the SAME mail (same Message-ID), logged
    # (a kill between the server's 250 and the ledger's commit: well under a millisecond)
    assert report.distinct_duplicates == 0, summary
    assert report.duplicates <= report.in_doubt_resends, summary
    assert report.ok, summary
    assert sum(report.phases.values()) == 6, summary


@pytest.mark.parametrize("point", ["recorded", "sent", "copied", "filed"])
def test_sigkill_at_each_step_then_restart(point, dovecot, bot, smtp, mailbox, tmp_path, kb_path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "config.toml"
    cfg.write_text(to_toml(config_data(dovecot, bot, smtp.port, tmp_path, kb_path)))
    dovecot.deliver(sample("02-em-diabetes-ckd.eml"), rcpt=bot)
    run = [sys.executable, str(HERE / "bot_proc.py"), str(cfg)]
    killed = subprocess.run([*run, "--crash-at", point], capture_output=True, text=True, timeout=120, check=False)
    assert killed.returncode == -9, killed.stderr[-2000:]
    again = subprocess.run(run, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr[-2000:]
    time.sleep(0.3)
    assert len(smtp.wait_for(1)) == 1 and len(smtp.messages) == 1         # one reply, never two
    assert mailbox.messages("INBOX") == []
    ((flags, _),) = mailbox.messages("Processed")
    assert b"\\Answered" in flags
    assert len(mailbox.messages("Sent")) == 1                               # one copy, never two
