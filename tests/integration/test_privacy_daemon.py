"""Patient privacy and structured logs, through the real daemon (`consultant run` at DEBUG,
text and JSON formats):

* after a realistic case (name, date of birth, record number, address, clinical words) is
  answered and filed, no word of its body or subject is in the log, nor in the state
  database's files (database, WAL, shared memory);
* each handled message has exactly ONE outcome line at INFO or above, naming mailbox, UID,
  Message-ID, outcome, codes count or reason, and milliseconds (in JSON as fields).

What the bot may legitimately log is not hand-picked: a control case with the same codes and
made-up words in place of every other word goes through the same daemon first; the words in
the log and the database up to then (start-up lines, outcome lines, paths, host names ...)
are the vocabulary the bot uses whatever the case says. A body word is a leak when it shows
up and is not in that vocabulary. Code numbers the bot found are excluded (they are logged
and stored on purpose); the record number and the date of birth are not codes and stay in.
"""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import Mailbox, config_data, sample, to_toml

CODES_LINE = "Billed 44320 and 44140; diagnoses C18.7 and K56.69."
SUBJECT = "Coding check for Margaret Oyelaran-Brooks, MRN 48213377"
BODY = f"""Hi,

Please check the codes for this one.

Patient: Margaret Oyelaran-Brooks
DOB: 03/14/1957
MRN: 48213377
Address: 4172 Quillfeather Lane, Brackenridge, OH
DOS 11/18/2026

Operative note: laparoscopic sigmoid colectomy with loop colostomy for an obstructing
adenocarcinoma of the sigmoid colon. {CODES_LINE} Hypertension and type 2 diabetes,
controlled with metformin. She tolerated the procedure well and went to recovery stable.
Her daughter Philippa will drive her home.

Thanks,
Dana
"""
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9/'-]*[A-Za-z0-9]")


def message(mid: str, subject: str, body: str) -> bytes:
    return (f"From: Dana Whitfield <coder@clinic.example>\r\nTo: bot@example.test\r\nSubject: {subject}\r\n"
            f"Date: Mon, 23 Nov 2026 09:14:05 -0500\r\nMessage-ID: {mid}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.replace("\n", "\r\n")).encode()


def control_text(text: str, rng: random.Random) -> str:
    """Every word replaced by a made-up one, except the codes line (the same codes, found the same way)."""
    def fake(m: re.Match[str]) -> str:
        return "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(max(4, len(m.group(0)))))
    head, sep, tail = text.partition(CODES_LINE)
    return WORD.sub(fake, head) + sep + WORD.sub(fake, tail)


def words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text) if len(w) >= 4}


def state_bytes(state: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(state.parent.glob(state.name + "*")))


def wait_filed(mailbox: Mailbox, smtp, count: int) -> None:  # type: ignore[no-untyped-def]
    smtp.wait_for(count, timeout=60)
    deadline = time.monotonic() + 20
    while mailbox.messages("INBOX"):
        assert time.monotonic() < deadline, "not filed"
        time.sleep(0.2)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_no_patient_text_in_logs_or_state_and_one_outcome_line(fmt, dovecot, bot, smtp, mailbox, tmp_path,  # type: ignore[no-untyped-def]
                                                               kb_path) -> None:
    rng = random.Random(7)
    cfg = tmp_path / "config.toml"
    cfg.write_text(to_toml(config_data(dovecot, bot, smtp.port, tmp_path, kb_path, idle=True)))
    state = tmp_path / "state.sqlite"
    log_path = tmp_path / "daemon.log"
    control_id, case_id, ooo_id = "<privacy-control@clinic.example>", "<privacy-1@clinic.example>", \
        "<sample-ooo-5@clinic.example>"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "consultant", "--config", str(cfg), "--log-level", "DEBUG",
                                 "--log-format", fmt, "run"], stdout=subprocess.DEVNULL, stderr=log)
    try:
        time.sleep(2.0)                               # started and waiting in IDLE, as later on
        dovecot.deliver(message(control_id, control_text(SUBJECT, rng), control_text(BODY, rng)), rcpt=bot)
        dovecot.deliver(sample("05-out-of-office.eml").replace(b"<sample-ooo-5@", b"<control-ooo@"), rcpt=bot)
        wait_filed(mailbox, smtp, 1)
        time.sleep(0.5)
        vocabulary = words(log_path.read_text()) | words(state_bytes(state).decode("latin-1"))
        dovecot.deliver(message(case_id, SUBJECT, BODY), rcpt=bot)
        wait_filed(mailbox, smtp, 2)
        dovecot.deliver(sample("05-out-of-office.eml"), rcpt=bot)     # a skipped one: outcome with a reason
        deadline = time.monotonic() + 20
        while len(mailbox.messages("Processed")) < 4:
            assert time.monotonic() < deadline, "the auto-reply was not filed"
            time.sleep(0.2)
        time.sleep(0.5)
        running_state = state_bytes(state)            # while the daemon runs (WAL and all)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log_text = log_path.read_text()
    stopped_state = state_bytes(state)
    assert "Traceback" not in log_text

    from consultant.state import Ledger
    with Ledger(state) as ledger:
        row = ledger.message(case_id)
        assert row is not None and row.status in ("answered", "escalated") and row.filed
        found_codes = {c.lower() for c in row.codes}
    assert {"44320", "44140"} <= found_codes
    checked = words(SUBJECT + "\n" + BODY) - vocabulary - found_codes
    # the identifiers must be among the checked words, or the test proves nothing
    assert {"margaret", "oyelaran-brooks", "48213377", "03/14/1957", "quillfeather", "philippa",
            "adenocarcinoma", "metformin"} <= checked, checked
    for where, text in (("log", log_text), ("state while running", running_state.decode("latin-1")),
                        ("state after stop", stopped_state.decode("latin-1"))):
        leaks = sorted(w for w in checked if re.search(rf"(?<![A-Za-z0-9]){re.escape(w)}(?![A-Za-z0-9])",
                                                      text, re.IGNORECASE))
        assert leaks == [], f"patient text in the {where}: {leaks}"

    # one outcome line per message, INFO or above, with the fields operations needs
    for mid, outcome in ((control_id, "answered"), (case_id, "answered"), (ooo_id, "skipped")):
        if fmt == "json":
            records = [json.loads(line) for line in log_text.splitlines() if line.startswith("{")]
            lines = [r for r in records if r.get("message_id") == mid and r["level"] != "DEBUG"]
            assert len(lines) == 1, lines
            (rec,) = lines
            assert rec["mailbox"] == "INBOX" and isinstance(rec["uid"], int) and rec["outcome"] in (outcome, "escalated")
            assert isinstance(rec["ms"], int | float)
            assert (rec["codes"] or 0) > 0 if outcome == "answered" else rec["reason"]
        else:
            lines = [ln for ln in log_text.splitlines() if mid in ln and " DEBUG " not in ln]
            assert len(lines) == 1, lines
            pattern = (rf" INFO consultant\.service: INBOX UID \d+ {re.escape(mid)}: "
                       rf"({outcome}|escalated) \((\d+ codes|[^)]+)\).* in \d+ ms$")
            assert re.search(pattern, lines[0]), lines[0]
