"""SIGKILL the real daemon at random moments while it answers cases, restart it each time,
then check every case was answered exactly once and every original flagged and moved.

Shared by `tests/integration/test_crash.py` (small, in CI) and `bench/crash.py` (200 cases).

The daemon is `python -m consultant run` at DEBUG level, so the last line it wrote before
each kill says where in its life it died (starting, fetching, analysing, sending, between
send and flag, moving, ...): `phase_of` turns that line into a phase name, and the report
counts kills per phase. Cases are delivered by LMTP from a thread at random intervals while
the kills go on, so kills land while the bot is busy, not only while it waits in IDLE.
"""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from mailservers import Dovecot, SmtpSink
from support import BOT_PASSWORD, SAMPLES, Mailbox, config_data, to_toml

ESCALATION = "lead@clinic.example"
_SAMPLES = sorted(p for p in SAMPLES.glob("*.eml") if "out-of-office" not in p.name)

# (pattern in the last consultant log line, the phase the process was in when it died)
PHASES = (
    (re.compile(r": fetched \d+ bytes|^suggest"), "analysing a case"),
    (re.compile(r"^opening the knowledge base"), "opening the knowledge base"),
    (re.compile(r": sending$"), "sending (SMTP dialogue)"),
    (re.compile(r"\) sent in \d+ ms"), "between send and flag"),
    (re.compile(r"flagged \\Answered"), "copying the reply to Sent"),
    (re.compile(r"reply copied to"), "moving the original"),
    (re.compile(r": moved to "), "between move and the filed record"),
    (re.compile(r": filed in "), "filing the next case"),
    (re.compile(r" UID \d+ <[^>]*>: \w+ \("), "after an outcome (next fetch or send)"),
    (re.compile(r"^IDLE ended"), "searching after an IDLE wake-up"),
    (re.compile(r"^pass "), "after a pass (IDLE)"),
    (re.compile(r"IMAP connected"), "searching and fetching"),
    (re.compile(r"^term index|^knowledge base"), "opening the knowledge base"),
    (re.compile(r"^watching "), "connecting to IMAP"),
)
_LINE = re.compile(r"^\S+ \S+ (?:DEBUG|INFO|WARNING|ERROR) consultant[\w.]*: (.*)$")


def case(i: int, tag: str) -> bytes:
    raw = _SAMPLES[i % len(_SAMPLES)].read_bytes()
    raw = re.sub(rb"Message-ID: <[^>]+>", f"Message-ID: <{tag}-{i}@clinic.example>".encode(), raw, count=1)
    return re.sub(rb"Subject: ", f"Subject: [{i}] ".encode(), raw, count=1)


def phase_of(log_text: str) -> str:
    lines = [m.group(1) for line in log_text.splitlines() if (m := _LINE.match(line))]
    if not lines:
        return "starting (imports, configuration)"
    last = lines[-1]
    for pattern, phase in PHASES:
        if pattern.search(last):
            return phase
    return "other: " + last[:60]


@dataclass
class CrashReport:
    cases: int
    kills: int
    seed: int
    seconds: float = 0.0
    replies: int = 0                  # mails that reached the SMTP server addressed to the coders
    answered_cases: int = 0           # cases with at least one reply
    duplicates: int = 0               # replies beyond the first, per case
    distinct_duplicates: int = 0      # second replies with a NEW Message-ID (the bad kind)
    in_doubt_resends: int = 0         # "sent again with the same Message-ID" warnings
    lost: list[str] = field(default_factory=list)          # cases without a reply
    not_filed: list[str] = field(default_factory=list)     # originals not in Processed with \\Answered
    inbox_left: int = 0
    processed: int = 0
    sent_copies: int = 0
    phases: Counter[str] = field(default_factory=Counter)
    restarts_log: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (not self.lost and not self.not_filed and self.duplicates <= self.in_doubt_resends
                and self.distinct_duplicates == 0 and self.inbox_left == 0 and self.processed == self.cases)

    def lines(self) -> list[str]:
        out = [f"seed {self.seed}: {self.cases} cases, {self.kills} SIGKILLs, {self.seconds:.1f} s",
               (f"replies {self.replies} for {self.answered_cases} cases; duplicates {self.duplicates} "
                f"(new Message-ID: {self.distinct_duplicates}; in-doubt resends logged: {self.in_doubt_resends}); "
                f"lost {len(self.lost)}; not filed {len(self.not_filed)}; INBOX left {self.inbox_left}; "
                f"Processed {self.processed}; Sent copies {self.sent_copies}"),
               "kills by phase: " + ", ".join(f"{p} {n}" for p, n in self.phases.most_common())]
        if self.lost:
            out.append("lost: " + " ".join(self.lost[:10]))
        if self.not_filed:
            out.append("not filed: " + " ".join(self.not_filed[:10]))
        return out


def _start(config: Path, log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "consultant", "--config", str(config), "--log-level", "DEBUG",
                                 "run"], stdout=subprocess.DEVNULL, stderr=log)


def run_crash(dovecot: Dovecot, bot: str, smtp: SmtpSink, work: Path, kb_path: Path, *, cases: int, kills: int,
              seed: int, max_life: float = 3.0, tag: str = "crash", timeout: float = 300.0) -> CrashReport:
    """Deliver `cases` while killing the daemon `kills` times at random moments (each run lives
    up to about `max_life` s), then let a last run finish and check the result.

    Each run gets a burst of new cases at a random moment of its life and is killed a random
    time later, so kills land in every phase: starting, idle, fetching, analysing, sending,
    filing. Cases left over (and those a run never got to) are for the last run."""
    rng = random.Random(seed)
    report = CrashReport(cases=cases, kills=kills, seed=seed)
    os.environ.setdefault("CONSULTANT_TEST_IMAP_PASSWORD", BOT_PASSWORD)
    config = work / "config.toml"
    data = config_data(dovecot, bot, smtp.port, work, kb_path)
    data["imap"].update(poll_interval=5, idle=True)
    config.write_text(to_toml(data))
    ids = [f"<{tag}-{i}@clinic.example>" for i in range(cases)]
    per_run = max(1, round(cases / (kills + 1)))
    delivered = 0

    def deliver(n: int) -> None:
        nonlocal delivered
        for _ in range(min(n, cases - delivered)):
            dovecot.deliver(case(delivered, tag), rcpt=bot)
            delivered += 1

    t0 = time.monotonic()
    for k in range(kills):
        log_path = work / f"run-{k:03d}.log"
        proc = _start(config, log_path)
        if rng.random() < 1 / 3 or delivered >= cases:
            # any moment of its life: starting, connecting, opening the knowledge base, working
            # through what earlier runs left, idle
            time.sleep(rng.uniform(0, max_life))
        else:
            # a burst arrives at a random moment; once the run starts on it (Dovecot's IDLE
            # notice comes ~0.5 s after delivery) the kill comes at a random moment of the
            # work: fetch, analysis, send, flag, copy to Sent and move take ~35 ms per case
            time.sleep(rng.uniform(0, max_life / 2))
            burst = rng.randint(1, 2 * per_run - 1)
            seen = log_path.read_text(errors="replace").count(": fetched ")
            deliver(burst)
            _wait_for_work(log_path, seen, timeout=max_life)
            time.sleep(rng.uniform(0, 0.05 * burst + 0.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        report.phases[phase_of(log_path.read_text(errors="replace"))] += 1
        report.restarts_log.append(log_path)
    deliver(cases)
    final_log = work / "run-final.log"
    proc = _start(config, final_log)
    report.restarts_log.append(final_log)
    ledger = work / "state.sqlite"
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if _all_filed(ledger, ids):
                break
            time.sleep(0.2)
        time.sleep(1.0)          # anything still in flight (a duplicate would arrive now)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    report.seconds = time.monotonic() - t0
    _check(report, smtp, Mailbox(dovecot, bot), ids)
    return report


def _wait_for_work(log_path: Path, seen: int, timeout: float) -> None:
    """Until the run logs that it fetched a case beyond the `seen` it had fetched before."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log_path.read_text(errors="replace").count(": fetched ") > seen:
            return
        time.sleep(0.01)


def _all_filed(ledger: Path, ids: list[str]) -> bool:
    if not ledger.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=5)
        try:
            n = conn.execute("SELECT COUNT(*) FROM message WHERE filed_at IS NOT NULL").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return int(n) >= len(ids)


def _check(report: CrashReport, smtp: SmtpSink, mailbox: Mailbox, ids: list[str]) -> None:
    per_case: dict[str, list[str]] = {i: [] for i in ids}
    for got in smtp.messages:
        if ESCALATION in got.rcpt_tos:
            continue
        msg = got.message
        report.replies += 1
        target = str(msg["In-Reply-To"] or "")
        if target in per_case:
            per_case[target].append(str(msg["Message-ID"]))
    for mid, replies in per_case.items():
        if not replies:
            report.lost.append(mid)
            continue
        report.answered_cases += 1
        report.duplicates += len(replies) - 1
        report.distinct_duplicates += len(set(replies)) - 1
    report.in_doubt_resends = sum(p.read_text(errors="replace").count("sending again with the same Message-ID")
                                  for p in report.restarts_log)
    report.inbox_left = len(mailbox.messages("INBOX"))
    processed = mailbox.messages("Processed")
    report.processed = len(processed)
    filed_ok = set()
    for flags, raw in processed:
        m = re.search(rb"^Message-ID: (<[^>]+>)", raw, re.MULTILINE | re.IGNORECASE)
        if m and b"\\Answered" in flags:
            filed_ok.add(m.group(1).decode())
    report.not_filed = [mid for mid in ids if mid not in filed_ok]
    report.sent_copies = len(mailbox.messages("Sent"))
