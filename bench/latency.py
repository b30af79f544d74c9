"""Latency from delivery to reply: 50 cases delivered by LMTP into a private Dovecot while
`consultant run` (a subprocess with a temp config, IDLE on) watches; the time until each
reply reaches the SMTP server (aiosmtpd in this process).

Baseline, measured in the same run: a bare imapclient IDLE waiter on the same Dovecot —
delivery to IDLE wake-up (Dovecot's NOTIFY_DELAY is ~0.5 s). The bot's figure minus the
baseline is what the bot itself adds (fetch, parse, analysis, render, SMTP, ledger).

Backlog (issue 9): N cases (default 1,000) wait in a mailbox before the daemon starts (in this
process, IDLE on); from its start: the first reply, each message's wait for its reply (p50,
p95), the time between consecutive replies (p50, p95) and the last reply. Measured for the
streaming pass (each reply sent as soon as its case is analysed) and, as the baseline in the
same run, for the old order (`Consultant(stream=False)`: every case queued before any is sent).

    .venv/bin/python bench/latency.py [--cases 50] [--backlog 1000] [--no-old-backlog]

Prints figures only; no assertions (targets: p50 < 1.5 s; backlog: first reply within seconds).
"""

from __future__ import annotations

import argparse
import itertools
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
BACKLOG_USERS = {True: "stream@example.test", False: "queue@example.test"}
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


def backlog(dovecot: Dovecot, smtp: SmtpSink, work: Path, kb: Path, n: int,
            stream: bool) -> tuple[float, list[float], str]:
    """Deliver n cases, start the daemon; (seconds to the first reply, reply times from start,
    the state file's size once all is filed)."""
    from consultant.config import parse_config
    from consultant.service import StopSignal, build_consultant, run_daemon

    user = BACKLOG_USERS[stream]
    tag = "stream" if stream else "queue"
    for i in range(n):
        raw = case(i).replace(b"<bench-", f"<{tag}-".encode(), 1)
        dovecot.deliver(raw, rcpt=user)
    folder = work / tag
    folder.mkdir()
    data = config_data(dovecot, user, smtp.port, folder, kb)
    data["imap"]["idle"] = True
    consultant = build_consultant(parse_config(data, folder), stream=stream)
    consultant.knowledge.current()              # the KB opened before the clock starts, as in a running daemon

    seen: list[float] = []
    looked = [0]

    def replies() -> list[float]:
        """Arrival times of this run's replies (each captured mail parsed once)."""
        got = list(smtp.messages)
        for m in got[looked[0]:]:
            if str(m.message["In-Reply-To"] or "").startswith(f"<{tag}-"):
                seen.append(m.at)
        looked[0] = len(got)
        return seen

    stop = StopSignal()
    thread = threading.Thread(target=run_daemon, args=(consultant, stop), daemon=True)
    t0 = time.time()
    thread.start()
    deadline = time.monotonic() + 60 + n * 2
    while len(replies()) < n and time.monotonic() < deadline:
        time.sleep(0.2)
    deadline = time.monotonic() + 120                # let the filing of the pass finish
    while consultant.ledger.unfiled() and time.monotonic() < deadline:
        time.sleep(0.5)
    stop.set()
    thread.join()
    summary = consultant.ledger.summary()
    state = (f"state file {summary.file_bytes / 1e6:.1f} MB ({summary.free_bytes / 1e6:.1f} MB free pages) "
             f"once all {n} are filed")
    consultant.ledger.close()
    stop.close()
    times = sorted(t - t0 for t in replies())
    return (times[0] if times else float("nan")), times, state


def print_backlog(label: str, n: int, first: float, times: list[float], state: str) -> None:
    gaps = [b - a for a, b in itertools.pairwise(times)] or [float("nan")]
    waits = times or [float("nan")]
    print(f"  {label}:\n    first reply {first:.2f} s; each message's wait for its reply p50 "
          f"{statistics.median(waits):.1f} s, p95 {pct(waits, 0.95):.1f} s; between replies p50 "
          f"{statistics.median(gaps) * 1000:.0f} ms, p95 {pct(gaps, 0.95) * 1000:.0f} ms; "
          f"{len(times)}/{n} replies, last at {times[-1] if times else 0:.1f} s; {state}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=50)
    ap.add_argument("--baseline-cases", type=int, default=10)
    ap.add_argument("--backlog", type=int, default=1000, help="cases waiting before the daemon starts (0: skip)")
    ap.add_argument("--no-old-backlog", action="store_true", help="skip the old-order baseline of the backlog")
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
    users = {BOT: BOT_PASSWORD, WATCHER: BOT_PASSWORD, **dict.fromkeys(BACKLOG_USERS.values(), BOT_PASSWORD)}
    dovecot = Dovecot(users).start()
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
        proc.terminate()
        proc.wait(20)
        proc = None
        if args.backlog:
            print(f"\nbacklog: {args.backlog} cases waiting when the daemon starts (in-process, IDLE on); "
                  "time from start:")
            print_backlog("streaming (this version)", args.backlog,
                          *backlog(dovecot, smtp, work, kb, args.backlog, stream=True))
            if not args.no_old_backlog:
                print_backlog("old order, all queued first (baseline)", args.backlog,
                              *backlog(dovecot, smtp, work, kb, args.backlog, stream=False))
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
