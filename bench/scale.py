"""Scale-out: 1, 2 and 4 daemon processes sharing one PostgreSQL ledger on one Dovecot mailbox
work through a backlog; then the failover time after the watcher is SIGKILLed.

Baseline, measured in the same run: one daemon on the embedded default (the SQLite ledger) on
the same backlog. The machine has few cores: more processes than cores cannot go faster, and
the figures say what this machine shows (emails a second, CPU seconds per reply).

    .venv/bin/python bench/scale.py [--cases 200] [--workers 1 2 4] [--no-failover]

Exit code 1 when a case was lost, answered twice or filed twice.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from crashrun import CrashReport, _check, case
from failover import decided_per_instance, filed_count, instance_config, run_failover
from mailservers import Dovecot, SmtpSink
from pgserver import PgCluster
from support import BOT_PASSWORD, PASSWORD_ENV, Mailbox, config_data, to_toml


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--no-failover", action="store_true")
    args = ap.parse_args()
    os.environ[PASSWORD_ENV] = BOT_PASSWORD
    kb = REPO / "bench" / "out" / "kb.sqlite"
    if not kb.exists():
        from consultant.kb.build import build_kb

        print(f"building the knowledge base at {kb} ...", flush=True)
        build_kb(kb)
    bots = ["sqlite@example.test", "failover@example.test", *(f"pg{n}@example.test" for n in args.workers)]
    dovecot = Dovecot(dict.fromkeys(bots, BOT_PASSWORD)).start()
    pg = PgCluster().start()
    work = Path(tempfile.mkdtemp(prefix="consultant-scale."))
    bad = False
    print(f"{args.cases} cases waiting in the mailbox, then the daemons start; {os.cpu_count()} cores")
    print(f"{'ledger':<12} {'processes':>9} {'seconds':>8} {'emails/s':>9} {'CPU s/reply':>12}  result; "
          "cases decided by each process")
    try:
        # baseline first: the embedded default, one process, the SQLite ledger
        rows = []
        for label, n in [("SQLite", 1), *(("PostgreSQL", w) for w in args.workers)]:
            bot = "sqlite@example.test" if label == "SQLite" else f"pg{n}@example.test"
            run_dir = work / f"{label}-{n}"
            run_dir.mkdir()
            smtp = SmtpSink().start()
            try:
                if label == "SQLite":
                    data = config_data(dovecot, bot, smtp.port, run_dir, kb)
                    data["imap"].update(poll_interval=2, idle=True)
                    cfg = run_dir / "config.toml"
                    cfg.write_text(to_toml(data))
                    configs = [cfg]
                    ledger = run_dir / "state.sqlite"

                    def done(ledger: Path = ledger) -> bool:
                        if not ledger.exists():
                            return False
                        try:
                            with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=5) as c:
                                return int(c.execute("SELECT COUNT(*) FROM message WHERE filed_at IS NOT NULL")
                                           .fetchone()[0]) >= args.cases
                        except sqlite3.Error:
                            return False
                else:
                    url = pg.new_database()
                    configs = [instance_config(dovecot, bot, smtp, run_dir / f"host{i}", kb, url) for i in range(n)]

                    def done(url: str = url) -> bool:
                        return filed_count(url) >= args.cases
                for i in range(args.cases):
                    dovecot.deliver(case(i, label + str(n)), rcpt=bot)
                cpu0 = _children_cpu()
                t0 = time.monotonic()
                procs = []
                for k, config in enumerate(configs):
                    with open(run_dir / f"daemon-{k}.log", "ab") as log:
                        procs.append(subprocess.Popen(
                            [sys.executable, "-m", "consultant", "--config", str(config), "run"],
                            stdout=subprocess.DEVNULL, stderr=log))
                while time.monotonic() - t0 < 900 and not done():
                    time.sleep(0.1)
                seconds = time.monotonic() - t0
                time.sleep(1.0)
                for p in procs:
                    p.send_signal(signal.SIGTERM)
                for p in procs:
                    p.wait(30)
                cpu = _children_cpu() - cpu0
                report = CrashReport(cases=args.cases, kills=0, seed=0)
                _check(report, smtp, Mailbox(dovecot, bot),
                       [f"<{label}{n}-{i}@clinic.example>" for i in range(args.cases)])
            finally:
                smtp.stop()
            extra = max(0, report.sent_copies - args.cases)
            ok = report.ok and report.answered_cases == args.cases and extra == 0
            bad |= not ok
            rows.append((label, n, seconds, args.cases / seconds, cpu / args.cases))
            decided = decided_per_instance([run_dir / f"daemon-{k}.log" for k in range(len(configs))])
            print(f"{label:<12} {n:>9} {seconds:>8.1f} {args.cases / seconds:>9.1f} {cpu / args.cases:>12.3f}  "
                  + ("ok" if ok else f"BAD: lost {len(report.lost)}, duplicates {report.duplicates}, "
                     f"not filed {len(report.not_filed)}, extra Sent copies {extra}")
                  + "; " + " / ".join(map(str, decided)), flush=True)
        if not args.no_failover:
            smtp = SmtpSink().start()
            try:
                fo = run_failover(dovecot, "failover@example.test", smtp, work / "failover", kb, pg.new_database(),
                                  cases=args.cases, kill_after=args.cases // 4)
            finally:
                smtp.stop()
            fo_ok = fo.ok and fo.answered_cases == args.cases and fo.extra_sent_copies == 0
            bad |= not fo_ok
            print("failover: " + " | ".join(fo.lines()) + ("" if fo_ok else "  BAD"))
    finally:
        pg.cleanup()
        dovecot.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
