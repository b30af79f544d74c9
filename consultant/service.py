"""The imperative shell: IMAP and SMTP edges + the ledger + the pure pipeline + the scheduler.

One pass over the watched folder (`Consultant.process_pass`):

    for each UID above the cursor:  size check -> claim (ledger) -> fetch (BODY.PEEK[])
        -> pipeline.consult(...) -> record outcome, codes and the reply in the outbox
    then send what the outbox holds (4xx/refused: retried later with backoff; 5xx: failed)
    then file what is decided and sent: flag \\Answered, copy the reply to Sent, move the
    original to the processed (or failed) folder.

Because the reply is recorded before sending and the original is filed only after sending,
a crash anywhere leads to neither a lost case nor a second reply (see consultant.state).

Logging: every message handled gets exactly ONE outcome line (INFO; WARNING when it goes to a
human) naming mailbox, UID, Message-ID, outcome, codes count or reason, and milliseconds, with
the same as JSON fields (`--log-format json`). A server fault gets one WARNING when it starts
and one INFO when it is over; repeats in between go to DEBUG. Nothing from the message's
subject or body is ever logged, nor the text of an exception raised while analysing it.

The daemon (`run_daemon`) is ONE APScheduler BackgroundScheduler with one job per mailbox
(max_instances=1, coalesce=True). Each run of the job does a pass and, where the server
advertises IDLE, then waits in IDLE (passes on every wake-up) until just before its next
run, so a reply leaves about a second after delivery while the poll still happens.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any

from consultant.config import Config
from consultant.errors import (
    ConfigError,
    MailboxAuthError,
    MailboxError,
    PermanentDeliveryError,
    StateError,
    TransientDeliveryError,
)
from consultant.ledgers import open_ledger
from consultant.mail import stamps
from consultant.mail.inbox import CommandRefused, Envelope, Inbox
from consultant.mail.outbox import Outbox, backoff_seconds
from consultant.state import (
    ANSWERED,
    ESCALATED,
    FAILED,
    SKIPPED,
    Ledger,
    MessageRow,
    OutboxRow,
    Outgoing,
)

log = logging.getLogger(__name__)

_MSGID_RE = re.compile(r"<[^<>\s]+>")
FETCH_CHUNK = 50

KnowledgeFactory = Callable[[Path], tuple[Any, Any]]
ConsultFn = Callable[..., Any]


def open_knowledge(path: Path) -> tuple[Any, Any]:
    """The real code book and suggestion index (imported here: the daemon needs them, tests may not)."""
    from consultant.analysis.suggest import SuggestIndex
    from consultant.kb.store import CodeBook

    book = CodeBook.open(path)
    return book, SuggestIndex.load(book)


class Knowledge:
    """The code book in use, re-opened when `kb update` swaps in a new file (inode/mtime change)."""

    def __init__(self, path: Path, factory: KnowledgeFactory = open_knowledge) -> None:
        self.path = Path(path)
        self._factory = factory
        self._stamp: tuple[int, int, int] | None = None
        self._pair: tuple[Any, Any] | None = None
        self.loads = 0

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def current(self) -> tuple[Any, Any]:
        stamp = self._stat()
        if self._pair is None or (stamp is not None and stamp != self._stamp):
            t0 = time.perf_counter()
            log.debug("opening the knowledge base %s", self.path)
            pair = self._factory(self.path)       # raises KnowledgeBaseError when unusable
            old, self._pair, self._stamp = self._pair, pair, stamp
            self.loads += 1
            if old is not None:
                log.info("knowledge base %s changed: re-opened in %.0f ms", self.path,
                         (time.perf_counter() - t0) * 1000)
                close = getattr(old[0], "close", None)
                if callable(close):
                    close()
        assert self._pair is not None
        return self._pair

    def close(self) -> None:
        if self._pair is not None:
            close = getattr(self._pair[0], "close", None)
            if callable(close):
                close()
            self._pair = None


class StopSignal:
    """A stop flag that also wakes a select() (the IDLE wait) through a pipe."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._r, self._w = os.pipe()
        os.set_blocking(self._w, False)

    @property
    def fd(self) -> int:
        return self._r

    def set(self) -> None:
        if not self._event.is_set():
            self._event.set()
            try:
                os.write(self._w, b"x")
            except OSError:
                pass

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)

    @property
    def event(self) -> threading.Event:
        return self._event

    def close(self) -> None:
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass


@dataclass
class PassReport:
    """Counts of one pass (logged as one INFO line)."""

    seen: int = 0
    answered: int = 0
    skipped: int = 0
    failed: int = 0
    busy: int = 0
    sent: int = 0
    deferred: int = 0
    filed: int = 0
    ms: float = 0.0
    reasons: list[str] = field(default_factory=list)
    more: bool = False           # the server announced new mail during the pass: search again


def _where(e: BaseException) -> str:
    """Where an exception was raised (type, file:line, function) without its message, which
    may quote the text being analysed."""
    frames = traceback.extract_tb(e.__traceback__)
    if not frames:
        return type(e).__name__
    f = frames[-1]
    path = Path(f.filename)
    short = "/".join(path.parts[path.parts.index("consultant"):]) if "consultant" in path.parts else path.name
    return f"{type(e).__name__} at {short}:{f.lineno} in {f.name}"


def _redacted_traceback(e: BaseException) -> str:
    """The traceback's frames and the exception type, without the exception's message."""
    return "".join(traceback.format_tb(e.__traceback__)) + type(e).__name__ + " (message withheld)"


def _fault_kind(e: BaseException) -> str:
    """What makes two delivery failures 'the same fault' (for one log line per fault)."""
    cause = e.__cause__ or e.__context__
    code = getattr(cause, "smtp_code", None)
    if code is None:                                  # "451 4.3.0 ..." in the text, not ":587 " (a port)
        found = re.search(r"(?<![:\d.])([45]\d\d) ", str(e))
        code = found.group(1) if found else ""
    return f"{type(cause).__name__ if cause is not None else type(e).__name__}:{code}"


def _local_today(clock: Callable[[], datetime]) -> date:
    return clock().astimezone().date()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Consultant:
    """Everything one mailbox needs; the edges and clocks are passed in."""

    def __init__(self, config: Config, ledger: Ledger, inbox: Inbox, outbox: Outbox, knowledge: Knowledge, *,
                 consult: ConsultFn | None = None, clock: Callable[[], datetime] = _utc_now,
                 checkpoint: Callable[[str], None] | None = None) -> None:
        if config.imap is None or config.smtp is None:
            raise ConfigError("imap" if config.imap is None else "smtp",
                              "the daemon needs both [imap] and [smtp] sections")
        self.config = config
        self.imap = config.imap
        self.ledger = ledger
        self.inbox = inbox
        self.outbox = outbox
        self.knowledge = knowledge
        if consult is None:
            from consultant.pipeline import consult as pipeline_consult
            consult = pipeline_consult
        self._consult = consult
        self.clock = clock
        self.checkpoint = checkpoint or (lambda name: None)
        self.settings = config.consult_settings()
        self.bot_address = config.bot_address
        self._smtp_fault: tuple[str, float] | None = None     # (kind, since) while SMTP fails
        self._file_fault: str | None = None                   # the refusal while filing fails

    def _outcome(self, env: Envelope, folder: str, message_id: str, outcome: str, t0: float, *,
                 codes: int | None = None, reason: str | None = None, level: int = logging.INFO,
                 note: str = "") -> None:
        """THE one line per message (see the module doc)."""
        ms = (time.perf_counter() - t0) * 1000
        detail = f"{codes} codes" if codes is not None else (reason or "-")
        log.log(level, "%s UID %d %s: %s (%s)%s in %.0f ms", folder, env.uid, message_id, outcome, detail,
                note, ms, extra={"mailbox": folder, "uid": env.uid, "message_id": message_id, "outcome": outcome,
                                 "codes": codes, "reason": reason, "ms": round(ms, 1)})

    # ------------------------------------------------------------------ one pass
    def process_pass(self) -> PassReport:
        """Handle every new message once, send what is due, file what is done."""
        t0 = time.perf_counter()
        report = PassReport()
        self.inbox.open()
        sel = self.inbox.select(self.imap.folder)
        start = self.ledger.start_after(sel.folder, sel.uidvalidity)
        uids = self.inbox.uids_after(start)
        settled_upto, blocked = start, False
        for i in range(0, len(uids), FETCH_CHUNK):
            for env in self.inbox.envelopes(uids[i:i + FETCH_CHUNK]):
                report.seen += 1
                settled = self._handle(sel.folder, sel.uidvalidity, env, report)
                blocked = blocked or not settled
                if not blocked:
                    settled_upto = env.uid
        if uids and not blocked:
            settled_upto = max(settled_upto, uids[-1])   # UIDs expunged before the fetch count as done
        if settled_upto > start:
            self.ledger.advance(sel.folder, sel.uidvalidity, settled_upto)
        self.ledger.touch_poll(sel.folder)
        self.flush_outbox(report)
        self.file_decided(report)
        report.more = self.inbox.new_mail_signalled()
        report.ms = (time.perf_counter() - t0) * 1000
        if not (report.seen or report.sent or report.filed or report.deferred):
            log.debug("pass %s: nothing new above UID %d (UIDVALIDITY %d)%s", sel.folder, start, sel.uidvalidity,
                      "; the server announced new mail meanwhile" if report.more else "")
        else:
            log.info("pass %s: seen=%d answered=%d skipped=%d failed=%d busy=%d sent=%d deferred=%d "
                     "filed=%d in %.0f ms", sel.folder, report.seen, report.answered, report.skipped,
                     report.failed, report.busy, report.sent, report.deferred, report.filed, report.ms)
        return report

    def _handle(self, folder: str, uidvalidity: int, env: Envelope, report: PassReport) -> bool:
        """One message; returns False when it is not settled (another process holds it)."""
        t0 = time.perf_counter()
        raw: bytes | None = None
        limit = self.config.consult.max_message_bytes
        message_id = env.message_id
        if message_id is None:
            if env.size > limit:      # never download it: name it by its header instead
                message_id = _synthetic_id(env.header)
            else:
                raw = self.inbox.fetch(env.uid)
                if raw is None:
                    log.debug("%s UID %d: expunged before it was fetched", folder, env.uid)
                    return True
                message_id = _synthetic_id(raw)    # the same id parse_message gives the case
        claim = self.ledger.claim(message_id, folder, uidvalidity, env.uid, size=env.size)
        if claim.action == "busy":
            report.busy += 1
            log.debug("%s UID %d %s: held by another process", folder, env.uid, message_id)
            return False
        if claim.action == "done":
            row = claim.row
            if row is not None and (row.mailbox, row.uidvalidity, row.uid) != (folder, uidvalidity, env.uid):
                # the same Message-ID again (a duplicate delivery): already handled, never answered twice
                self._outcome(env, folder, message_id, "duplicate", t0,
                              reason="handled before as the same Message-ID", note=" moved, not answered")
                try:
                    self.inbox.move(env.uid, self.imap.processed_folder)
                except CommandRefused as e:
                    self._note_file_fault(e)
            return True
        if claim.action == "resume":
            row = claim.row
            self._outcome(env, folder, message_id, "resumed", t0,
                          reason=f"{row.status if row else 'outcome'} recorded earlier; sending and filing only")
            return True
        if env.size > limit:
            reason = f"too large: {env.size} bytes > max_message_bytes {limit}"
            self.ledger.record_outcome(message_id, status=FAILED, reason=reason,
                                       destination=self.imap.failed_folder)
            report.failed += 1
            self._outcome(env, folder, message_id, FAILED, t0, reason=reason, level=logging.WARNING,
                          note=f" not fetched; for a human in {self.imap.failed_folder}")
            return True
        if raw is None:
            raw = self.inbox.fetch(env.uid)
        if raw is None:
            self.ledger.release(message_id)          # expunged meanwhile
            log.debug("%s UID %d %s: expunged before it was fetched", folder, env.uid, message_id)
            return True
        log.debug("%s UID %d %s: fetched %d bytes", folder, env.uid, message_id, len(raw))
        self._decide(message_id, folder, env, raw, report, t0)
        return True

    def _decide(self, message_id: str, folder: str, env: Envelope, raw: bytes, report: PassReport,
                t0: float) -> None:
        from consultant.pipeline import Skip

        thread_codes = self.ledger.codes_for_thread(_thread_ids(env.header or raw))
        try:
            book, index = self.knowledge.current()
            outcome = self._consult(raw, book=book, index=index, settings=self.settings,
                                    today=_local_today(self.clock), thread_codes=thread_codes, now=self.clock(),
                                    message_ids=stamps.message_ids(self.settings.message_id_domain))
        except Exception as e:  # noqa: BLE001 - a bug or an unusable KB must not lose the mail: a human gets it
            # never the exception's text: it may quote the case (see _where)
            reason = f"internal error: {_where(e)}"
            self.ledger.record_outcome(message_id, status=FAILED, reason=reason,
                                       raw=raw, destination=self.imap.failed_folder)
            report.failed += 1
            self._outcome(env, folder, message_id, FAILED, t0, reason=reason, level=logging.ERROR,
                          note=f" for a human in {self.imap.failed_folder}")
            log.debug("traceback of the internal error:\n%s", _redacted_traceback(e))
            return
        if isinstance(outcome, Skip):
            self.ledger.record_outcome(message_id, status=SKIPPED, reason=outcome.reason, raw=raw,
                                       destination=self.imap.processed_folder)
            report.skipped += 1
            report.reasons.append(outcome.reason)
            self._outcome(env, folder, message_id, SKIPPED, t0, reason=outcome.reason)
            return
        sender = outcome.case.sender
        from consultant.mail.limits import exchange_for_answer  # rate limits and loop stops (issue 9)
        stop = self.ledger.admit_exchange(exchange_for_answer(outcome.case, outcome.reply, self.settings.message_id_domain),
                                          self.config.consult.exchange_limits())
        if stop is not None:
            reason = stop.reason
            self.ledger.record_outcome(message_id, status=SKIPPED, reason=reason, raw=raw,
                                       destination=self.imap.failed_folder)
            report.skipped += 1
            report.reasons.append(reason)
            self._outcome(env, folder, message_id, SKIPPED, t0, reason=reason,
                          level=logging.WARNING if stop.first else logging.DEBUG,
                          note=f" for a human in {self.imap.failed_folder}" + ("" if stop.first else " (stop logged before)"))
            return
        findings = outcome.findings
        codes = [v.code for v in findings.codes] + [s.code for s in findings.suggestions]
        outgoing = [_outgoing(outcome.reply, "reply", self.bot_address)]
        if outcome.escalation is not None:
            outgoing.append(_outgoing(outcome.escalation, "escalation", self.bot_address))
        status = ESCALATED if outcome.escalation is not None else ANSWERED
        self.ledger.record_outcome(message_id, status=status, codes=codes, raw=raw, sender=sender,
                                   destination=self.imap.processed_folder, outgoing=outgoing)
        report.answered += 1
        self._outcome(env, folder, message_id, status, t0, codes=len(dict.fromkeys(codes)),
                      note=f" reply {outgoing[0].message_id} queued")
        self.checkpoint("recorded")

    # ------------------------------------------------------------------ outbox
    def flush_outbox(self, report: PassReport | None = None) -> int:
        """Send every queued mail that is due; returns how many went out."""
        report = report or PassReport()
        sent = 0
        tried: set[int] = set()
        while rows := [r for r in self.ledger.due_outbox() if r.id not in tried]:
            for row in rows:
                tried.add(row.id)
                sent += self._send_one(row, report)
        return sent

    def _send_one(self, row: OutboxRow, report: PassReport) -> int:
        lease = self.ledger.lease_outbox(row.id)
        if not lease:
            return 0
        if lease == "in-doubt":
            log.warning("outbox %s (%s for %s): an earlier attempt was cut off before its result was "
                        "recorded; sending again with the same Message-ID", row.message_id, row.kind,
                        row.case_message_id)
        t0 = time.perf_counter()
        log.debug("outbox %s (%s for %s): sending", row.message_id, row.kind, row.case_message_id)
        try:
            self.outbox.send(row.raw, row.mail_from, row.recipients,
                             on_accepted=lambda: self.ledger.mark_sent(row.id))
        except TransientDeliveryError as e:
            delay = backoff_seconds(row.attempts + 1)
            self.ledger.mark_retry(row.id, str(e), delay)
            report.deferred += 1
            kind = _fault_kind(e)
            if self._smtp_fault is None or self._smtp_fault[0] != kind:
                since = self._smtp_fault[1] if self._smtp_fault else time.monotonic()
                self._smtp_fault = (kind, since)
                log.warning("SMTP fault: %s; replies stay queued and are retried with backoff", e)
            else:
                log.debug("outbox %s (%s for %s): attempt %d deferred: %s; next try in %.0f s",
                          row.message_id, row.kind, row.case_message_id, row.attempts + 1, e, delay)
            return 0
        except PermanentDeliveryError as e:
            case_id = self.ledger.mark_undeliverable(row.id, str(e))
            self.ledger.set_status(case_id, FAILED, destination=self.imap.failed_folder)
            report.failed += 1
            log.error("outbox %s (%s for %s): refused, not retried: %s; case moved to %s",
                      row.message_id, row.kind, case_id, e, self.imap.failed_folder)
            self._notify_undeliverable(case_id, row.raw, str(e), row.kind)
            return 0
        report.sent += 1
        if self._smtp_fault is not None:
            log.info("SMTP works again after %.1f s: queued replies are going out",
                     time.monotonic() - self._smtp_fault[1])
            self._smtp_fault = None
        log.debug("outbox %s (%s for %s) sent in %.0f ms", row.message_id, row.kind, row.case_message_id,
                  (time.perf_counter() - t0) * 1000)
        self.checkpoint("sent")
        return 1

    def _notify_undeliverable(self, case_id: str, raw: bytes, error: str, kind: str) -> None:
        to = self.config.consult.escalation_address
        if not to or kind == "notice":
            return
        from consultant.mail.compose import compose_notice

        msg = compose_notice(
            subject="[Consult reply undeliverable]",
            text=(f"The bot's {kind} for the case with Message-ID {case_id} was refused by the mail "
                  f"server and will not be retried:\n\n    {error}\n\nThe case was moved to the folder "
                  f"{self.imap.failed_folder!r}. The refused mail is attached."),
            attachment=raw, from_addr=self.bot_address, to_addr=to,
            now=self.clock(), msgid=stamps.message_ids(self.settings.message_id_domain)())
        mail = _outgoing(msg, "notice", self.bot_address)
        self.ledger.queue(case_id, mail)

    # ------------------------------------------------------------------ filing
    def file_decided(self, report: PassReport | None = None) -> int:
        """Flag, copy to Sent and move every decided message whose mails are sent."""
        report = report or PassReport()
        filed = 0
        sel = self.inbox.selected
        for row in self.ledger.unfiled():
            if row.mailbox != self.imap.folder:
                continue
            try:
                destination = self._file_one(row, sel.uidvalidity if sel else None)
            except CommandRefused as e:     # e.g. MOVE refused: keep it unfiled, try again next pass
                self._note_file_fault(e)
                continue
            filed += 1
            report.filed += 1
            log.debug("%s %s: filed in %s", row.status, row.message_id, destination)
        if filed:
            if self._file_fault is not None:
                log.info("IMAP filing works again: %d messages filed", filed)
                self._file_fault = None
            self.ledger.scrub()
        return filed

    def _file_one(self, row: MessageRow, uidvalidity: int | None) -> str:
        uids = self._locate(row, uidvalidity)
        if row.status in (ANSWERED, ESCALATED):
            for uid in uids:
                self.inbox.flag_answered(uid)
            log.debug("%s: flagged \\Answered (UID %s)", row.message_id, ",".join(map(str, uids)) or "gone")
            for out in self.ledger.outbox_for(row.message_id):
                if out.kind != "reply" or out.copied:
                    continue
                if out.copy_started and self.inbox.contains(self.imap.sent_folder, out.message_id):
                    log.debug("%s: reply already in %s (an earlier run stopped after copying)",
                              row.message_id, self.imap.sent_folder)
                else:
                    self.ledger.mark_copying(out.id)
                    self.inbox.append(self.imap.sent_folder, out.raw, flags=(b"\\Seen",))
                    log.debug("%s: reply copied to %s", row.message_id, self.imap.sent_folder)
                    self.checkpoint("copied")
                self.ledger.mark_copied(out.id)
        destination = row.destination or self.imap.processed_folder
        for uid in uids:
            self.inbox.move(uid, destination)
        log.debug("%s: moved to %s", row.message_id, destination)
        self.checkpoint("filed")
        self.ledger.mark_filed(row.message_id)
        return destination

    def _note_file_fault(self, e: CommandRefused) -> None:
        text = str(e)
        # the same refusal for another UID or at another time: command, folder, response code
        code = re.search(r"\[([A-Z][A-Z-]*)\]", text)
        key = re.sub(r"UID \d+ ", "", text.split(" refused by the server")[0]) + (code.group(1) if code else "")
        if self._file_fault != key:
            self._file_fault = key
            log.warning("%s; the message stays where it is (answered, nothing lost) and filing is "
                        "retried on every pass", text)
        else:
            log.debug("%s (again)", text)

    def _locate(self, row: MessageRow, uidvalidity: int | None) -> list[int]:
        if uidvalidity is not None and row.uidvalidity == uidvalidity:
            return [row.uid]
        return self.inbox.find_message_id(row.message_id)

    # ------------------------------------------------------------------ the job
    def _pass_until_quiet(self, stop: StopSignal) -> None:
        """Pass again while passes find mail: a server reports new mail (EXISTS) in the reply
        to whatever command is running, so mail that arrives while we fetch or file is only
        seen by the next SEARCH, not by the next IDLE."""
        report = self.process_pass()
        while (report.seen or report.more) and not stop.is_set():
            report = self.process_pass()

    def watch(self, stop: StopSignal, until: float) -> None:
        """One scheduler run: connect, pass, then IDLE-and-pass until `until` (time.monotonic()).

        Without IDLE it returns after the pass (the scheduler polls). A dropped connection is
        re-opened with exponential backoff within the run; a refused login waits for the next run.
        """
        failures = 0
        while not stop.is_set() and time.monotonic() < until:
            try:
                if not self.inbox.connected:
                    self.inbox.connect_with_retry(stop.event, deadline=until)
                self._pass_until_quiet(stop)
                failures = 0
                if self.imap.idle and self.inbox.supports_idle():
                    self._idle_until(stop, until)
                return
            except MailboxAuthError as e:
                log.error("IMAP login refused: %s; trying again on the next run", e)
                self.inbox.close()
                return
            except MailboxError as e:
                self.inbox.note_fault(f"IMAP trouble: {e}; reconnecting")
                self.inbox.close()
                failures += 1
                if failures > 1:     # connects but fails again at once: back off, do not spin
                    stop.wait(min(30.0, 0.5 * 2 ** (failures - 2)))
            except StateError as e:
                log.error("state database trouble: %s", e)
                return
            except ConfigError as e:        # e.g. the password's environment variable is gone
                log.error("configuration problem: %s; trying again on the next run", e)
                self.inbox.close()
                return

    def _idle_until(self, stop: StopSignal, until: float) -> None:
        while not stop.is_set():
            now = time.monotonic()
            if now >= until:
                return
            wait = min(self.imap.idle_renew, until - now)
            due = self.ledger.next_outbox_due()
            if due is not None:
                wait = min(wait, max(0.05, due - self.ledger.clock()))
            responses = self.inbox.idle_wait(wait, stop.fd)
            log.debug("IDLE ended after up to %.1f s with %d server responses", wait, len(responses))
            if stop.is_set():
                return
            self._pass_until_quiet(stop)


def _synthetic_id(raw: bytes) -> str:
    try:
        from consultant.mail.parse import synthetic_message_id
    except ImportError:  # pragma: no cover - parse.py is part of the package
        return f"<{hashlib.sha256(raw).hexdigest()[:32]}@caseconsultant.invalid>"
    return synthetic_message_id(raw)


def _thread_ids(header_or_raw: bytes) -> list[str]:
    headers = BytesHeaderParser().parsebytes(header_or_raw)
    ids: list[str] = []
    for name in ("References", "In-Reply-To"):
        for value in headers.get_all(name) or []:
            ids.extend(_MSGID_RE.findall(str(value)))
    return ids


def _outgoing(msg: Any, kind: str, mail_from: str) -> Outgoing:
    recipients = tuple(a for _, a in getaddresses([str(v) for v in msg.get_all("To", [])]) if a)
    return Outgoing(message_id=str(msg["Message-ID"]), kind=kind, mail_from=parseaddr(mail_from)[1] or mail_from,
                    recipients=recipients, raw=msg.as_bytes())


# ---------------------------------------------------------------------- wiring
def build_consultant(config: Config, *, knowledge_factory: KnowledgeFactory = open_knowledge,
                     imap_connect: Any = None, smtp_connect: Any = None,
                     consult: ConsultFn | None = None, clock: Callable[[], datetime] = _utc_now,
                     wall: Callable[[], float] = time.time,
                     checkpoint: Callable[[str], None] | None = None) -> Consultant:
    """The daemon's object graph from the configuration (the seams are for tests)."""
    if config.imap is None or config.smtp is None:
        raise ConfigError("imap" if config.imap is None else "smtp",
                          "this command needs both [imap] and [smtp] sections in the configuration")
    ledger = open_ledger(config.state.target(), keep_bodies=config.state.keep_bodies, clock=wall)
    return Consultant(config, ledger, Inbox(config.imap, imap_connect), Outbox(config.smtp, smtp_connect),
                      Knowledge(config.kb.path, knowledge_factory), consult=consult, clock=clock,
                      checkpoint=checkpoint)


def run_daemon(consultant: Consultant, stop: StopSignal) -> None:
    """Run until `stop` is set: one BackgroundScheduler, one job for the mailbox."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    interval = consultant.imap.poll_interval
    margin = min(0.25, interval / 10)

    def job() -> None:
        try:
            consultant.watch(stop, until=time.monotonic() + interval - margin)
        except Exception as e:  # noqa: BLE001 - a bug: log where (never the message text), close, next run
            log.error("pass aborted by an internal error: %s; the connection is re-opened on the next run",
                      _where(e))
            log.debug("traceback:\n%s", _redacted_traceback(e))
            consultant.inbox.close()

    scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(max_workers=1)},
                                    timezone=UTC)
    scheduler.add_job(job, "interval", seconds=interval, id=f"mailbox:{consultant.imap.folder}",
                      next_run_time=datetime.now(UTC), max_instances=1, coalesce=True,
                      misfire_grace_time=max(1, int(interval)))
    log.info("watching %s on %s:%d (poll every %g s, IDLE %s)", consultant.imap.folder, consultant.imap.host,
             consultant.imap.port, interval, "on" if consultant.imap.idle else "off")
    scheduler.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        log.info("stopping: waiting for the running pass to finish")
        scheduler.shutdown(wait=True)
        consultant.inbox.close()
        consultant.knowledge.close()
        log.info("stopped")
