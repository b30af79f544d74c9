"""Crash safety at bench scale: 200 cases delivered by LMTP into a private Dovecot while
`consultant run` is SIGKILLed at random moments and restarted each time; then every case
must have been answered exactly once and every original flagged \\Answered and moved.

Baseline, measured in the same run: the same cases answered by one daemon that is never
killed (time to answer them all), so the cost of the crashes is visible.

    .venv/bin/python bench/crash.py [--cases 200] [--kills 40] [--seed N]

Prints figures (kills, cases, replies, duplicates, lost, time, kills by phase). Exit code 1
when a case was lost, not filed, or answered twice with a different reply.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from crashrun import run_crash
from mailservers import Dovecot, SmtpSink
from support import BOT_PASSWORD, PASSWORD_ENV


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--kills", type=int, default=40)
    ap.add_argument("--max-life", type=float, default=3.0, help="each killed run lives uniform(0, this) seconds")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    os.environ[PASSWORD_ENV] = BOT_PASSWORD
    kb = REPO / "bench" / "out" / "kb.sqlite"
    if not kb.exists():
        from consultant.kb.build import build_kb

        print(f"building the knowledge base at {kb} ...", flush=True)
        build_kb(kb)
    users = {"crash@example.test": BOT_PASSWORD, "base@example.test": BOT_PASSWORD}
    dovecot = Dovecot(users).start()
    work = Path(tempfile.mkdtemp(prefix="consultant-crash."))
    try:
        if not args.no_baseline:
            (work / "base").mkdir()
            smtp = SmtpSink().start()
            try:
                base = run_crash(dovecot, "base@example.test", smtp, work / "base", kb, cases=args.cases, kills=0,
                                 seed=seed, tag="base")
            finally:
                smtp.stop()
            print(f"baseline (never killed): {base.cases} cases answered in {base.seconds:.1f} s; "
                  f"replies {base.replies}, lost {len(base.lost)}, not filed {len(base.not_filed)}")
        (work / "crash").mkdir()
        smtp = SmtpSink().start()
        try:
            report = run_crash(dovecot, "crash@example.test", smtp, work / "crash", kb, cases=args.cases,
                               kills=args.kills, seed=seed, max_life=args.max_life, tag="crash")
        finally:
            smtp.stop()
        print("with SIGKILLs: " + "\n  ".join(report.lines()))
        print(f"verdict: {'OK' if report.ok else 'FAILED'} (logs kept in {work / 'crash'})" if not report.ok
              else "verdict: OK: every case answered once, every original flagged and moved")
        if report.ok:
            shutil.rmtree(work, ignore_errors=True)
        return 0 if report.ok else 1
    finally:
        dovecot.stop()


if __name__ == "__main__":
    sys.exit(main())
