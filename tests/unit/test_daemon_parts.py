"""The daemon's parts on fakes (no servers): intake, dispatch (the SMTP outbox) and filing,
and the pass that runs them — streaming, sending queued replies first, a full state volume,
and the scheduler guard."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from consultant.analysis.findings import Findings
from consultant.config import Config, parse_config
from consultant.daemon.dispatch import Dispatch
from consultant.daemon.filing import Filing
from consultant.daemon.report import PassReport
from consultant.errors import PermanentDeliveryError, StateVolumeFull, TransientDeliveryError
from consultant.mail.inbox import Envelope, Selected
from consultant.mail.parse import parse_message
from consultant.pipeline import Answer
from consultant.service import Consultant, run_daemon
from consultant.state import ANSWERED, FAILED, WAITING, Ledger, Outgoing


# ---------------------------------------------------------------------- fakes
def case_mail(i: int) -> bytes:
    return (f"From: coder@clinic.example\r\nTo: bot@clinic.example\r\nSubject: case {i}\r\n"
            f"Message-ID: <case-{i}@clinic.example>\r\n\r\n44970 appendectomy {i}\r\n").encode()


@dataclass
class FakeInbox:
    """An IMAP folder tree in memory; `events` is shared with the other fakes (order of work)."""

    events: list[str]
    folders: dict[str, dict[int, bytes]] = field(default_factory=lambda: {"INBOX": {}})
    flags: dict[int, set[str]] = field(default_factory=dict)
    selected: Selected | None = None
    next_uid: int = 1

    def deliver(self, raw: bytes) -> int:
        uid, self.next_uid = self.next_uid, self.next_uid + 1
        self.folders["INBOX"][uid] = raw
        return uid

    def open(self) -> None: ...

    def close(self) -> None: ...

    def select(self, folder: str | None = None) -> Selected:
        self.selected = Selected(folder or "INBOX", 7, self.next_uid)
        return self.selected

    def uids_after(self, last: int) -> list[int]:
        return sorted(u for u in self.folders["INBOX"] if u > last)

    def envelopes(self, uids: list[int]) -> list[Envelope]:
        out = []
        for uid in uids:
            raw = self.folders["INBOX"][uid]
            mid = parse_message(raw).message_id
            out.append(Envelope(uid, len(raw), mid, raw.split(b"\r\n\r\n")[0]))
        return out

    def fetch(self, uid: int) -> bytes | None:
        self.events.append(f"fetch {uid}")
        return self.folders["INBOX"].get(uid)

    def flag_answered(self, uid: int) -> None:
        self.flags.setdefault(uid, set()).add("\\Answered")

    def move(self, uid: int, folder: str) -> None:
        raw = self.folders["INBOX"].pop(uid, None)
        if raw is not None:
            self.folders.setdefault(folder, {})[uid] = raw
        self.events.append(f"move {uid} {folder}")

    def append(self, folder: str, raw: bytes, flags: tuple[bytes, ...] = ()) -> None:
        box = self.folders.setdefault(folder, {})
        box[1000 + len(box)] = raw

    def contains(self, folder: str, message_id: str) -> bool:
        return any(message_id.encode() in raw for raw in self.folders.get(folder, {}).values())

    def find_message_id(self, message_id: str) -> list[int]:
        return [u for u, raw in self.folders["INBOX"].items() if message_id.encode() in raw]

    def new_mail_signalled(self) -> bool:
        return False


@dataclass
class FakeOutbox:
    events: list[str]
    mode: str = "ok"                  # ok | down | refuse
    sent: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def send(self, raw: bytes, mail_from: str, recipients: Any, on_accepted: Any = None) -> None:
        mid = str(message_from_bytes(raw)["In-Reply-To"])       # the case it answers
        if self.mode == "down":
            raise TransientDeliveryError("SMTP 127.0.0.1:25: cannot connect ([Errno 111] Connection refused)")
        if self.mode == "refuse":
            raise PermanentDeliveryError("recipient refused: 550 5.1.1 no such user")
        self.sent.append((mid, tuple(recipients)))
        self.events.append(f"send {mid}")
        if on_accepted is not None:
            on_accepted()


def fake_consult(events: list[str], reply_bytes: int = 200) -> Any:
    def consult(raw: bytes, **_: Any) -> Answer:
        case = parse_message(raw)
        events.append(f"consult {case.message_id}")
        reply = EmailMessage()
        reply["From"] = "bot@clinic.example"
        reply["To"] = case.sender
        reply["Message-ID"] = f"<reply-{case.message_id.strip('<>')}>"
        reply["In-Reply-To"] = case.message_id
        reply.set_content("x" * reply_bytes)
        findings = Findings(date(2026, 1, 5), "today", (), (), (), (), ())
        return Answer(case, findings, reply)
    return consult


class NoKnowledge:
    def current(self) -> tuple[Any, Any]:
        return (None, None)

    def close(self) -> None: ...


def config(tmp_path: Path) -> Config:
    return parse_config({
        "imap": {"host": "127.0.0.1", "username": "bot@clinic.example", "password_env": "X",
                 "processed_folder": "Processed", "failed_folder": "Failed", "sent_folder": "Sent"},
        "smtp": {"host": "127.0.0.1", "from_address": "bot@clinic.example", "security": "none"},
        "consult": {"allowed_senders": ["clinic.example"], "escalation_address": "lead@clinic.example",
                    "rate_limit_per_hour": 0},
        "state": {"path": str(tmp_path / "state.sqlite")},
    }, tmp_path)


@dataclass
class Rig:
    events: list[str]
    inbox: FakeInbox
    outbox: FakeOutbox
    ledger: Ledger
    bot: Consultant


@pytest.fixture()
def rig(tmp_path: Path) -> Rig:
    events: list[str] = []
    inbox, outbox = FakeInbox(events), FakeOutbox(events)
    ledger = Ledger(tmp_path / "state.sqlite")
    ledger.keep_reserve()
    bot = Consultant(config(tmp_path), ledger, inbox, outbox, NoKnowledge(),  # type: ignore[arg-type]
                     consult=fake_consult(events, reply_bytes=20_000), clock=lambda: datetime.now(UTC))
    return Rig(events, inbox, outbox, ledger, bot)


# ---------------------------------------------------------------------- intake
def test_intake_claims_analyses_and_queues_without_sending(rig: Rig) -> None:
    uid = rig.inbox.deliver(case_mail(1))
    (env,) = rig.inbox.envelopes([uid])
    report = PassReport()
    assert rig.bot.intake.handle("INBOX", 7, env, report) is True
    assert report.answered == 1 and rig.outbox.sent == []
    row = rig.ledger.message("<case-1@clinic.example>")
    assert row is not None and row.status == WAITING
    (queued,) = rig.ledger.outbox_for("<case-1@clinic.example>")
    assert queued.recipients == ("coder@clinic.example",)


def test_intake_gives_the_claim_back_when_the_outcome_does_not_fit(rig: Rig,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_: Any, **__: Any) -> None:
        raise StateVolumeFull("full")

    monkeypatch.setattr(rig.ledger, "record_outcome", full)
    uid = rig.inbox.deliver(case_mail(2))
    (env,) = rig.inbox.envelopes([uid])
    with pytest.raises(StateVolumeFull):
        rig.bot.intake.handle("INBOX", 7, env, PassReport())
    assert rig.ledger.message("<case-2@clinic.example>") is None       # taken again later


# ---------------------------------------------------------------------- dispatch
def queue(ledger: Ledger, i: int) -> None:
    mid = f"<case-{i}@clinic.example>"
    ledger.claim(mid, "INBOX", 7, i)
    raw = (f"To: coder@clinic.example\r\nMessage-ID: <reply-{i}@bot>\r\nIn-Reply-To: {mid}\r\n\r\nhi\r\n").encode()
    ledger.record_outcome(mid, status=ANSWERED, outgoing=[Outgoing(f"<reply-{i}@bot>", "reply", "bot@clinic.example",
                                                                   ("coder@clinic.example",), raw)])


def dispatch(ledger: Ledger, outbox: FakeOutbox) -> Dispatch:
    return Dispatch(ledger, outbox, failed_folder="Failed", bot_address="bot@clinic.example",
                    escalation_address="lead@clinic.example", message_id_domain="bot.example",
                    checkpoint=lambda name: None)


def test_dispatch_sends_records_and_forgets_the_recipients(tmp_path: Path) -> None:
    ledger, outbox = Ledger(tmp_path / "s.sqlite"), FakeOutbox([])
    queue(ledger, 1)
    report = PassReport()
    assert dispatch(ledger, outbox).flush(report) == 1 and report.sent == 1
    assert outbox.sent == [("<case-1@clinic.example>", ("coder@clinic.example",))]
    (row,) = ledger.outbox_for("<case-1@clinic.example>")
    assert row.recipients == ()                                   # no address kept once sent
    assert ledger.due_outbox() == []


def test_dispatch_one_warning_per_smtp_fault_then_a_5xx_goes_to_a_human(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="consultant")
    ledger, outbox = Ledger(tmp_path / "s.sqlite", clock=lambda: clock[0]), FakeOutbox([], mode="down")
    clock = [1000.0]
    queue(ledger, 1)
    queue(ledger, 2)
    part = dispatch(ledger, outbox)
    report = PassReport()
    part.flush(report)
    assert report.deferred == 2 and outbox.sent == []
    assert len([r for r in caplog.records if r.levelno == logging.WARNING and "SMTP fault" in r.getMessage()]) == 1
    clock[0] += 3600
    outbox.mode = "refuse"
    part.flush(report)
    row = ledger.message("<case-1@clinic.example>")
    assert row is not None and row.status == FAILED
    notices = [r for r in ledger.outbox_for("<case-1@clinic.example>") if r.kind == "notice"]
    assert len(notices) == 1 and notices[0].recipients == ("lead@clinic.example",)


def test_dispatch_never_sends_twice_when_the_send_could_not_be_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger, outbox = Ledger(tmp_path / "s.sqlite"), FakeOutbox([])
    queue(ledger, 1)
    real = ledger.mark_sent
    full = [True]

    def mark_sent(outbox_id: int) -> None:
        if full[0]:
            raise StateVolumeFull("full")
        real(outbox_id)

    monkeypatch.setattr(ledger, "mark_sent", mark_sent)
    part = dispatch(ledger, outbox)
    part.flush()
    with pytest.raises(StateVolumeFull):      # still full: the record is tried first, nothing sent
        part.flush()
    assert len(outbox.sent) == 1
    full[0] = False
    part.flush()                              # recorded now, not sent again
    assert len(outbox.sent) == 1 and ledger.due_outbox() == []


# ---------------------------------------------------------------------- filing
def test_filing_flags_copies_and_moves_once_and_is_claimed(tmp_path: Path) -> None:
    events: list[str] = []
    inbox = FakeInbox(events)
    uid = inbox.deliver(case_mail(1))
    inbox.select("INBOX")
    ledger = Ledger(tmp_path / "s.sqlite")
    ledger.claim("<case-1@clinic.example>", "INBOX", 7, uid)
    ledger.record_outcome("<case-1@clinic.example>", status=ANSWERED, outgoing=[
        Outgoing("<reply-1@bot>", "reply", "bot@clinic.example", ("coder@clinic.example",),
                 b"Message-ID: <reply-1@bot>\r\n\r\nhi\r\n")])
    dispatch(ledger, FakeOutbox([])).flush()
    cfg = config(tmp_path).imap
    assert cfg is not None
    # another live process holds the filing: this one leaves it alone
    other = Ledger(tmp_path / "s.sqlite", owner=ledger.owner.rsplit(":", 1)[0] + ":1")   # pid 1 is alive
    assert other.claim_filing("<case-1@clinic.example>") is True
    assert Filing(ledger, inbox, cfg, checkpoint=lambda n: None).file_decided() == 0
    assert inbox.folders["INBOX"] and "Sent" not in inbox.folders
    other.release_filing("<case-1@clinic.example>")
    # a daemon that is stopping leaves the filing to its next start
    assert Filing(ledger, inbox, cfg, checkpoint=lambda n: None).file_decided(stop=lambda: True) == 0
    assert Filing(ledger, inbox, cfg, checkpoint=lambda n: None).file_decided() == 1
    assert inbox.folders["INBOX"] == {} and list(inbox.folders["Processed"]) == [uid]
    assert len(inbox.folders["Sent"]) == 1 and inbox.flags[uid] == {"\\Answered"}
    # filed: neither process files it again
    assert Filing(other, inbox, cfg, checkpoint=lambda n: None).file_decided() == 0
    assert other.claim_filing("<case-1@clinic.example>") is False
    assert len(inbox.folders["Sent"]) == 1


# ---------------------------------------------------------------------- the pass
def test_a_backlog_streams_each_reply_leaves_before_the_next_case_is_analysed(rig: Rig) -> None:
    for i in range(3):
        rig.inbox.deliver(case_mail(i))
    report = rig.bot.process_pass()
    assert report.answered == 3 and report.sent == 3 and report.filed == 3
    work = [e for e in rig.events if e.startswith(("consult", "send"))]
    assert work == [f"{kind} <case-{i}@clinic.example>" for i in range(3) for kind in ("consult", "send")]


def test_without_streaming_the_chunk_is_queued_first(rig: Rig) -> None:
    rig.bot.stream = False                     # the old order, kept for bench/latency.py's comparison
    for i in range(3):
        rig.inbox.deliver(case_mail(i))
    rig.bot.process_pass()
    work = [e.split()[0] for e in rig.events if e.startswith(("consult", "send"))]
    assert work == ["consult"] * 3 + ["send"] * 3


def test_queued_replies_are_sent_before_new_work_is_claimed(rig: Rig) -> None:
    queue(rig.ledger, 90)
    rig.inbox.deliver(case_mail(1))
    rig.bot.process_pass()
    work = [e for e in rig.events if e.startswith(("consult", "send", "fetch"))]
    assert work[0] == "send <case-90@clinic.example>", work


def test_full_state_volume_pauses_new_work_sends_queued_and_resumes(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="consultant")
    queue(rig.ledger, 90)
    rig.ledger.reclaim(min_free_pages=1)
    pages = rig.ledger._conn.execute("PRAGMA page_count").fetchone()[0]
    rig.ledger._conn.execute(f"PRAGMA max_page_count = {pages}")        # SQLITE_FULL, as a full disk
    rig.inbox.deliver(case_mail(1))
    first = rig.bot.process_pass()
    assert first.paused and first.sent == 1 and first.answered == 0
    assert rig.inbox.folders["INBOX"]                                   # the new case waits, not lost
    assert rig.ledger.message("<case-1@clinic.example>") is None
    rig.bot.process_pass()
    full = [r for r in caplog.records if r.levelno == logging.WARNING and "is full" in r.getMessage()]
    assert len(full) == 1 and "free space" in full[0].getMessage()
    assert rig.ledger.summary().volume_full_since is not None
    rig.ledger._conn.execute("PRAGMA max_page_count = 1073741823")
    again = rig.bot.process_pass()
    assert again.answered == 1 and again.sent == 1 and not again.paused
    assert rig.ledger.summary().volume_full_since is None
    assert any("room again" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)


# ---------------------------------------------------------------------- the scheduler
def test_a_long_pass_does_not_make_the_scheduler_warn_on_every_poll(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    runs: list[float] = []

    def watch(stop: Any, until: float) -> None:
        runs.append(time.monotonic())
        stop.wait(2.5)                           # a pass far longer than the poll interval

    closed = SimpleNamespace(close=lambda: None)
    fake = SimpleNamespace(imap=SimpleNamespace(poll_interval=0.2, folder="INBOX", host="h", port=1, idle=False),
                           mailbox="INBOX", watch=watch, busy=threading.Lock(), inbox=closed, knowledge=closed,
                           drop_watch=lambda: None)
    from consultant.service import StopSignal

    stop = StopSignal()
    thread = threading.Thread(target=run_daemon, args=([fake], stop))
    thread.start()
    time.sleep(1.5)
    stop.set()
    thread.join(10)
    stop.close()
    assert len(runs) == 1                         # the guard let no second pass start meanwhile
    noisy = [r for r in caplog.records if "maximum number of running instances" in r.getMessage()]
    assert noisy == []


# ---------------------------------------------------------------------- status
def test_status_shows_the_state_file_and_a_full_volume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from consultant.cli import main

    state = tmp_path / "state.sqlite"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[state]\npath = "{state}"\n')
    with Ledger(state) as led:
        led.note_volume_full(1_796_279_000.0)
    assert main(["--config", str(cfg), "status"]) == 0
    out = capsys.readouterr().out
    assert "state file: " in out and "vacuum: incremental" in out
    assert "STATE VOLUME FULL since 2026-" in out and "consultant purge" in out
    with Ledger(state) as led:
        led.note_volume_full(None)
    assert main(["--config", str(cfg), "status"]) == 0
    assert "STATE VOLUME FULL" not in capsys.readouterr().out
