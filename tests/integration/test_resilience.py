"""Resilience against a real Dovecot and a real aiosmtpd (issue 9 items 4-6):

* a full state volume: replies queued before it filled still go out, new mail waits (one
  WARNING saying what to free, `consultant status` shows it), nothing is lost, and service
  resumes by itself when space returns. The volume is a small tmpfs where the machine allows
  mounting one, else (or with CONSULTANT_TEST_NO_TMPFS=1) SQLite's `max_page_count` on the
  ledger's connection, which raises SQLITE_FULL exactly as a full disk does;
* a backlog streams: the first reply leaves before the last case is analysed;
* two processes sharing one state file file each message once (one copy in Sent);
* MIME nested too deep to read gets an escalation saying what could not be read.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mailservers import free_port
from support import config_data, sample, to_toml

from consultant.config import parse_config
from consultant.daemon.report import PassReport
from consultant.service import Consultant, build_consultant

CASES = ["01-loop-colostomy.eml", "02-em-diabetes-ckd.eml", "03-debridement-question.eml",
         "04-ortho-laterality.eml"]


def case(i: int, tag: str) -> bytes:
    raw = sample(CASES[i % len(CASES)])
    raw = re.sub(rb"Message-ID: <[^>]+>", f"Message-ID: <{tag}-{i}@clinic.example>".encode(), raw, count=1)
    return re.sub(rb"Subject: ", f"Subject: [{i}] ".encode(), raw, count=1)


def status(config: Path) -> str:
    """`consultant status` in a process of its own (as an operator would run it)."""
    done = subprocess.run([sys.executable, "-m", "consultant", "--config", str(config), "status"],
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name.startswith("consultant") and r.levelno >= logging.WARNING]


# ---------------------------------------------------------------------- a small state volume
@dataclass
class Volume:
    """Where the state file lives, and how to fill and free that place."""

    kind: str                         # "tmpfs" or "max_page_count"
    path: Path
    fill: Callable[[Consultant], None]
    free: Callable[[Consultant], None]


def _fill_tmpfs(path: Path) -> None:
    with open(path / "filler", "ab", buffering=0) as f:
        for size in (1 << 20, 4096, 512, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError as e:
                assert e.errno == errno.ENOSPC


@pytest.fixture()
def state_volume(tmp_path: Path) -> Iterator[Volume]:
    mount = tmp_path / "volume"
    mount.mkdir()
    mounted = not os.environ.get("CONSULTANT_TEST_NO_TMPFS") and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True, check=False).returncode == 0
    if mounted:
        try:
            yield Volume("tmpfs", mount, lambda c: _fill_tmpfs(mount),
                         lambda c: (mount / "filler").unlink())
        finally:
            subprocess.run(["umount", "-l", str(mount)], check=False)
        return

    def pages(c: Consultant) -> int:
        return int(c.ledger._conn.execute("PRAGMA page_count").fetchone()[0])

    yield Volume("max_page_count", mount,
                 lambda c: c.ledger._conn.execute(f"PRAGMA max_page_count = {pages(c)}"),
                 lambda c: c.ledger._conn.execute("PRAGMA max_page_count = 1073741823"))


def test_full_state_volume_sends_queued_replies_pauses_new_work_and_resumes(  # type: ignore[no-untyped-def]
        dovecot, bot, smtp, mailbox, tmp_path, kb_path, state_volume, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="consultant")
    data = config_data(dovecot, bot, free_port(), tmp_path, kb_path)       # SMTP down at first
    data["state"]["path"] = str(state_volume.path / "state.sqlite")
    offline = build_consultant(parse_config(data, tmp_path))
    for i in range(3):
        dovecot.deliver(case(i, "full"), rcpt=bot)
    report = offline.process_pass()
    assert report.answered == 3 and report.sent == 0 and report.deferred == 3       # queued, not sent
    offline.inbox.close()
    offline.ledger.close()

    data["smtp"]["port"] = smtp.port
    config = parse_config(data, tmp_path)
    later = time.time() + 3600          # past every backoff: the queued replies are due
    bot_ = build_consultant(config, wall=lambda: time.time() + 3600 if time.time() < later else time.time())
    state_volume.fill(bot_)
    for i in range(3, 5):
        dovecot.deliver(case(i, "full"), rcpt=bot)

    first = bot_.process_pass()
    assert first.sent == 3, (state_volume.kind, first)          # queued replies still go out
    assert first.paused and first.answered == 0                 # new work waits
    assert len(smtp.wait_for(3)) == 3
    full = [w for w in warnings_of(caplog) if "is full" in w]
    assert len(full) == 1 and "free space" in full[0] and "consultant purge" in full[0], warnings_of(caplog)
    assert not [w for w in warnings_of(caplog) if "internal error" in w]
    assert len(mailbox.messages("INBOX")) == 2                  # the new ones wait, unread and unanswered

    # `consultant status` says so (a second process reading the same file)
    cfg = tmp_path / "config.toml"
    cfg.write_text(to_toml(data))
    assert "STATE VOLUME FULL since" in status(cfg)

    state_volume.fill(bot_)              # what sending and filing gave back is taken again
    second = bot_.process_pass()                                # still full: no new WARNING
    assert second.paused and second.answered == 0
    assert len([w for w in warnings_of(caplog) if "is full" in w]) == 1

    state_volume.free(bot_)
    third = bot_.process_pass()
    assert third.answered == 2 and third.sent == 2 and not third.paused, third
    got = smtp.wait_for(5)
    time.sleep(0.3)
    assert len(smtp.messages) == 5
    replied = sorted(m.message["In-Reply-To"] for m in got)
    assert replied == sorted(f"<full-{i}@clinic.example>" for i in range(5))     # each once, none lost
    assert any("room again" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)
    assert mailbox.messages("INBOX") == [] and len(mailbox.messages("Processed")) == 5
    assert "STATE VOLUME FULL" not in status(cfg)
    bot_.inbox.close()
    bot_.ledger.close()


# ---------------------------------------------------------------------- a backlog streams
def test_backlog_streams_first_reply_before_the_last_case_is_analysed(  # type: ignore[no-untyped-def]
        dovecot, bot, smtp, make_config, knowledge_factory, consult_fn) -> None:
    n = 60
    for i in range(n):
        dovecot.deliver(case(i, "backlog"), rcpt=bot)
    analysed: list[float] = []

    def timed(raw: bytes, **kw: Any) -> Any:
        out = consult_fn(raw, **kw)
        analysed.append(time.time())
        return out

    bot_ = build_consultant(make_config(), knowledge_factory=knowledge_factory, consult=timed)
    report = bot_.process_pass()
    assert report.answered == n and report.sent == n
    got = smtp.wait_for(n)
    first_reply = min(m.at for m in got)
    assert first_reply < analysed[-1], "the first reply waited for the whole backlog"
    assert first_reply < analysed[1] + 0.5          # it left right after its own analysis
    bot_.inbox.close()
    bot_.ledger.close()


# ---------------------------------------------------------------------- two processes, one state file
def test_two_processes_on_one_state_file_file_each_message_once(  # type: ignore[no-untyped-def]
        dovecot, bot, smtp, mailbox, make_config, knowledge_factory, consult_fn) -> None:
    n = 12
    for i in range(n):
        dovecot.deliver(case(i, "pair"), rcpt=bot)
    config = make_config()
    a = build_consultant(config, knowledge_factory=knowledge_factory, consult=consult_fn)
    b = build_consultant(config, knowledge_factory=knowledge_factory, consult=consult_fn)
    b.ledger.owner = "elsewhere.example:1"       # another host: only its lease can expire it
    # answer everything in one process first, so both meet the same messages at filing time
    a.inbox.open()
    sel = a.inbox.select(config.imap.folder)   # type: ignore[union-attr]
    uids = a.inbox.uids_after(0)
    report = PassReport()
    for env in a.inbox.envelopes(uids):
        a.intake.handle(sel.folder, sel.uidvalidity, env, report)
    a.dispatch.flush(report)
    assert report.answered == n and report.sent == n
    for c in (a, b):
        c.inbox.open()
        c.inbox.select(config.imap.folder)   # type: ignore[union-attr]
    errors: list[BaseException] = []

    def file(c: Consultant) -> None:
        try:
            c.filing.file_decided()
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=file, args=(c,)) for c in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(mailbox.messages("Sent")) == n                   # one copy of each reply, never two
    assert len(mailbox.messages("Processed")) == n
    assert mailbox.messages("INBOX") == []
    assert len(smtp.messages) == n
    for c in (a, b):
        c.inbox.close()
    a.ledger.close()
    b.ledger.close()


# ---------------------------------------------------------------------- deep MIME
def _nested(depth: int, inner: bytes, bot: str) -> bytes:
    body = inner
    for i in range(depth):
        b = f"b{i}".encode()
        body = (b'Content-Type: multipart/mixed; boundary="' + b + b'"\r\n\r\n--' + b + b"\r\n" + body
                + b"\r\n--" + b + b"--\r\n")
    return (f"From: coder@clinic.example\r\nTo: {bot}\r\nSubject: nested case\r\n"
            f"Message-ID: <deep-{depth}@clinic.example>\r\nMIME-Version: 1.0\r\n").encode() + body


def test_deep_mime_is_answered_or_escalated_never_silent(dovecot, bot, smtp, make_config,  # type: ignore[no-untyped-def]
                                                          knowledge_factory, consult_fn) -> None:
    text = (b"Content-Type: text/plain\r\n\r\nLaparoscopic appendectomy 44970 for acute appendicitis "
            b"K35.80.\r\n")
    dovecot.deliver(_nested(40, text, bot), rcpt=bot)        # below the depth limit of 25
    dovecot.deliver(_nested(400, text, bot), rcpt=bot)       # too deep to read at all
    bot_ = build_consultant(make_config(), knowledge_factory=knowledge_factory, consult=consult_fn)
    report = bot_.process_pass()
    assert report.answered == 2 and report.skipped == 0, report.reasons
    got = smtp.wait_for(3)
    reply40 = next(m.message for m in got if m.message["In-Reply-To"] == "<deep-40@clinic.example>")
    text40 = reply40.get_body(("plain",)).get_content()
    assert "44970" in text40 and "25 levels deep" in text40
    reply400 = next(m.message for m in got if m.message["In-Reply-To"] == "<deep-400@clinic.example>")
    text400 = reply400.get_body(("plain",)).get_content()
    assert "could not be read" in text400
    assert any("lead@clinic.example" in m.rcpt_tos for m in got)          # a human gets the unreadable one
    bot_.inbox.close()
    bot_.ledger.close()
