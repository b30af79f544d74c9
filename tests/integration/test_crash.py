"""Crash safety at small scale: 20 cases, the real daemon SIGKILLed at random moments and
restarted each time; every case answered exactly once, every original flagged and moved.
The seed is random per run and printed on failure (re-run with CONSULTANT_CRASH_SEED=N)."""

from __future__ import annotations

import os
import random

from crashrun import run_crash


def test_sigkill_at_random_moments_loses_nothing_and_answers_once(dovecot, bot, smtp, tmp_path,  # type: ignore[no-untyped-def]
                                                                   kb_path) -> None:
    seed = int(os.environ.get("CONSULTANT_CRASH_SEED") or random.SystemRandom().randrange(1 << 30))
    report = run_crash(dovecot, bot, smtp, tmp_path, kb_path, cases=20, kills=6, seed=seed, max_life=2.5)
    summary = "\n".join(report.lines())
    assert report.lost == [], summary
    assert report.not_filed == [] and report.inbox_left == 0 and report.processed == 20, summary
    assert report.answered_cases == 20, summary
    # a second reply may only be the in-doubt resend of the SAME mail (same Message-ID), logged
    assert report.distinct_duplicates == 0, summary
    assert report.duplicates == report.in_doubt_resends, summary
    assert sum(report.phases.values()) == 6, summary
