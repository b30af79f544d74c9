"""Latency from delivery to reply: 50 cases delivered by LMTP into a private Dovecot while
`consultant run` (a subprocess with a temp config, IDLE on) watches; the time until each
reply reaches the SMTP server (aiosmtpd in this process).

Baseline, measured in the same run: a bare imapclient IDLE waiter on the same Dovecot —
delivery to IDLE wake-up (Dovecot's NOTIFY_DELAY is ~0.5 s). The bot's figure minus the
baseline is what the bot itself adds (fetch, parse, analysis, render, SMTP, ledger).

    .venv/bin/python bench/latency.py [--cases 50]

Prints figures only; no assertions (target: p50 < 1.5 s).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from mailservers import Dovecot, SmtpSink
from support import BOT_PASSWORD, PASSWORD_ENV, config_data, to_toml

from consultant.mail.inbox import Inbox

BOT = "bot@example.test"
WATCHER = "watch@example.test"
SAMPLES = sorted(p for p in (REPO / "data" / "samples").glob("*.eml") if "out-of-office" not in p.name)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def case(i: int) -> bytes:
    raw = SAMPLES[i % len(SAMPLES)].read_bytes()
    raw = re.sub(rb"Message-ID: <[^>]+>", f"Message-ID: <bench-{i}@clinic.example>".encode(), raw, count=1)
    return re.sub(rb"Subject: ", f"Subject: [{i}] ".encode(), raw, count=1)


def baseline(dovecot: Dovecot, n: int) -> list[float]:
    """Delivery -> IDLE wake-up of a bare client (no bot work)."""
    from consultant.config import parse_config

    cfg = parse_config({"imap": {"host": "127.0.0.1", "port": dovecot.imap_port, "security": "none",
                                 "username": WATCHER, "password_env": PASSWORD_ENV}}, Path("."))
    assert cfg.imap is not None
    inbox = Inbox(cfg.imap)
    inbox.open()
    inbox.select("INBOX")
    out = []
    for i in range(n):
        timer = threading.Timer(0.2, dovecot.deliver, args=(case(i),), kwargs={"rcpt": WATCHER})
        t0 = time.perf_counter() + 0.2
        timer.start()
        inbox.idle_wait(10)
        out.append(time.perf_counter() - t0)
        timer.join()
    inbox.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=50)
    ap.add_argument("--baseline-cases", type=int, default=10)
    ap.add_argument("--gap", type=float, default=1.0,
                    help="seconds between a reply and the next delivery, so the bot is back in IDLE")
    args = ap.parse_args()
    os.environ[PASSWORD_ENV] = BOT_PASSWORD
    work = Path(tempfile.mkdtemp(prefix="consultant-bench."))
    kb = REPO / "bench" / "out" / "kb.sqlite"
    if not kb.exists():
        from consultant.kb.build import build_kb

        print(f"building the knowledge base at {kb} ...", flush=True)
        build_kb(kb)
    dovecot = Dovecot({BOT: BOT_PASSWORD, WATCHER: BOT_PASSWORD}).start()
    smtp = SmtpSink().start()
    proc = None
    try:
        base = baseline(dovecot, args.baseline_cases)
        config = work / "config.toml"
        data = config_data(dovecot, BOT, smtp.port, work, kb)
        data["imap"]["idle"] = True
        config.write_text(to_toml(data))
        cmd = [sys.executable, "-m", "consultant", "--config", str(config), "--log-level", "WARNING", "run"]
        what = "consultant run (real pipeline)"
        with open(work / "daemon.log", "wb") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        # warm-up case: the daemon is up, has opened the KB and is waiting in IDLE
        dovecot.deliver(case(10_000), rcpt=BOT)
        smtp.wait_for(1, timeout=120)
        time.sleep(0.5)
        latencies = []
        for i in range(args.cases):
            time.sleep(args.gap)
            before = len(smtp.messages)
            t0 = time.time()
            dovecot.deliver(case(i), rcpt=BOT)
            got = smtp.wait_for(before + 1, timeout=60)[before]
            latencies.append(got.at - t0)
        print(f"\nbaseline: Dovecot delivery -> bare IDLE wake-up, {len(base)} deliveries: "
              f"p50 {statistics.median(base) * 1000:.0f} ms, p95 {pct(base, 0.95) * 1000:.0f} ms")
        print(f"bot ({what}), {len(latencies)} cases, each delivered {args.gap:g} s after the previous reply "
              "(bot waiting in IDLE), delivery (LMTP) -> reply at the SMTP server:")
        print(f"  p50 {statistics.median(latencies) * 1000:.0f} ms   p95 {pct(latencies, 0.95) * 1000:.0f} ms   "
              f"min {min(latencies) * 1000:.0f} ms   max {max(latencies) * 1000:.0f} ms   (target p50 < 1500 ms)")
        print(f"  bot's own share at p50: {(statistics.median(latencies) - statistics.median(base)) * 1000:.0f} ms")
        return 0
    finally:
        if proc is not None:
            proc.terminate()
            try:
                code = proc.wait(20)
                print(f"daemon stopped on SIGTERM with exit code {code}")
            except subprocess.TimeoutExpired:
                proc.kill()
                print("daemon did not stop within 20 s of SIGTERM")
        smtp.stop()
        dovecot.stop()


if __name__ == "__main__":
    sys.exit(main())
