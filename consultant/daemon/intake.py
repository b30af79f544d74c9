"""Intake: one new message claimed (ledger), fetched (BODY.PEEK[]), analysed (the pure pipeline)
and its decision recorded with its reply queued in the outbox — in that order, so a crash
anywhere loses nothing (see consultant.state). Sending and filing are other parts' jobs.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr
from typing import Any, Protocol

from consultant.config import Config
from consultant.daemon.report import PassReport, log_outcome, redacted_traceback, where
from consultant.mail import stamps
from consultant.mail.inbox import CommandRefused, Envelope
from consultant.mail.limits import exchange_for_answer
from consultant.state import ANSWERED, ESCALATED, FAILED, SKIPPED, Ledger, Outgoing

log = logging.getLogger(__name__)

_MSGID_RE = re.compile(r"<[^<>\s]+>")

ConsultFn = Callable[..., Any]


class KnowledgeSource(Protocol):
    """What intake needs of the knowledge base: the (code book, suggestion index) in use."""

    def current(self) -> tuple[Any, Any]: ...


class IntakeMailbox(Protocol):
    """What intake needs of the IMAP inbox."""

    def fetch(self, uid: int) -> bytes | None: ...

    def move(self, uid: int, folder: str) -> None: ...


class Intake:
    """Claim, fetch, analyse and queue one message at a time (`handle`)."""

    def __init__(self, config: Config, ledger: Ledger, inbox: IntakeMailbox, knowledge: KnowledgeSource, *,
                 consult: ConsultFn, clock: Callable[[], datetime],
                 checkpoint: Callable[[str], None], on_file_fault: Callable[[CommandRefused], None],
                 analysis_lock: threading.Lock | None = None, share: bool = False) -> None:
        assert config.imap is not None
        self.config = config
        self.imap = config.imap
        self.ledger = ledger
        self.inbox = inbox
        self.knowledge = knowledge
        self.consult = consult
        self.clock = clock
        self.checkpoint = checkpoint
        self.on_file_fault = on_file_fault
        self.settings = config.consult_settings()
        # the knowledge base's connection and caches are shared by every mailbox of the process:
        # one analysis at a time (the GIL allows no more anyway)
        self.analysis_lock = analysis_lock or threading.Lock()
        self.bot_address = config.bot_address
        self.share = share       # queue what is read for any instance's worker (see work_one)

    def handle(self, folder: str, uidvalidity: int, env: Envelope, report: PassReport) -> bool:
        """One message; returns False when it is not settled (another process holds it).
        Raises StateVolumeFull when the ledger cannot take it (nothing recorded, nothing lost)."""
        t0 = time.perf_counter()
        raw: bytes | None = None
        limit = self.config.consult.max_message_bytes
        message_id = env.message_id
        if message_id is None:
            if env.size > limit:      # never download it: name it by its header instead
                message_id = synthetic_id(env.header)
            else:
                raw = self.inbox.fetch(env.uid)
                if raw is None:
                    log.debug("%s UID %d: expunged before it was fetched", folder, env.uid)
                    return True
                message_id = synthetic_id(raw)    # the same id parse_message gives the case
        claim = self.ledger.claim(message_id, folder, uidvalidity, env.uid, size=env.size)
        if claim.action == "busy":
            report.busy += 1
            log.debug("%s UID %d %s: held by another process", folder, env.uid, message_id)
            return False
        if claim.action == "done":
            row = claim.row
            if row is not None and (row.mailbox, row.uidvalidity, row.uid) != (folder, uidvalidity, env.uid):
                # the same Message-ID again (a duplicate delivery): already handled, never answered twice
                log_outcome(folder, env.uid, message_id, "duplicate", t0,
                            reason="handled before as the same Message-ID", note=" moved, not answered")
                try:
                    self.inbox.move(env.uid, self.imap.processed_folder)
                except CommandRefused as e:
                    self.on_file_fault(e)
            return True
        if claim.action == "resume":
            row = claim.row
            log_outcome(folder, env.uid, message_id, "resumed", t0,
                        reason=f"{row.status if row else 'outcome'} recorded earlier; sending and filing only")
            return True
        if env.size > limit:
            reason = f"too large: {env.size} bytes > max_message_bytes {limit}"
            self.ledger.record_outcome(message_id, status=FAILED, reason=reason,
                                       destination=self.imap.failed_folder)
            report.failed += 1
            log_outcome(folder, env.uid, message_id, FAILED, t0, reason=reason, level=logging.WARNING,
                        note=f" not fetched; for a human in {self.imap.failed_folder}")
            return True
        if raw is None:
            raw = self.inbox.fetch(env.uid)
        if raw is None:
            self.ledger.release(message_id)          # expunged meanwhile
            log.debug("%s UID %d %s: expunged before it was fetched", folder, env.uid, message_id)
            return True
        log.debug("%s UID %d %s: fetched %d bytes", folder, env.uid, message_id, len(raw))
        try:
            if self.share:
                self.ledger.queue_work(message_id, folder, raw)
                report.queued += 1
                log.debug("%s UID %d %s: queued for the first free worker", folder, env.uid, message_id)
            else:
                self.decide(message_id, folder, env.uid, env.header, raw, report, t0)
        except BaseException:
            self._give_back(message_id)
            raise
        return True

    def _give_back(self, message_id: str) -> None:
        """The decision could not be recorded (e.g. a full volume): free the claim so the
        message is taken again later (a delete fits even on a full volume)."""
        try:
            self.ledger.release(message_id)
        except Exception as e:  # noqa: BLE001 - the claim's lease expires anyway (same owner takes it back)
            log.debug("claim of %s not released: %s", message_id, type(e).__name__)

    def work_one(self, mailbox: str, report: PassReport) -> bool:
        """Take one message of `mailbox` from the shared work queue (whichever instance queued
        it) and answer it; False when none is waiting. A worker that dies or stalls leaves it to
        the next one once its lease runs out; see Ledger.take_work."""
        work = self.ledger.take_work(mailbox)
        if work is None:
            return False
        try:
            self.decide(work.message_id, mailbox, work.uid, None, work.raw, report, time.perf_counter(), taken=True)
        except BaseException:
            try:
                self.ledger.give_back_work(work.message_id)
            except Exception as e:  # noqa: BLE001 - its lease runs out anyway
                log.debug("work %s not given back: %s", work.message_id, type(e).__name__)
            raise
        return True

    def decide(self, message_id: str, folder: str, uid: int, header: bytes | None, raw: bytes,
               report: PassReport, t0: float, *, taken: bool = False) -> None:
        """Analyse the fetched message and record the outcome (with its mails queued).
        `taken`: it came from the shared work queue (recorded only while still held there)."""
        from consultant.pipeline import Skip

        def record(**outcome: Any) -> bool:
            if self.ledger.record_outcome(message_id, taken=taken, **outcome):
                return True
            log.warning("%s UID %d %s: another worker took this message over (this one was too slow); "
                        "its answer is the one kept", folder, uid, message_id)
            return False

        thread_codes = self.ledger.codes_for_thread(thread_ids(header or raw))
        try:
            with self.analysis_lock:
                book, index = self.knowledge.current()
                outcome = self.consult(raw, book=book, index=index, settings=self.settings,
                                       today=_local_today(self.clock), thread_codes=thread_codes, now=self.clock(),
                                       message_ids=stamps.message_ids(self.settings.message_id_domain))
        except Exception as e:  # noqa: BLE001 - a bug or an unusable KB must not lose the mail: a human gets it
            # never the exception's text: it may quote the case (see where)
            reason = f"internal error: {where(e)}"
            if not record(status=FAILED, reason=reason, raw=raw, destination=self.imap.failed_folder):
                return
            report.failed += 1
            log_outcome(folder, uid, message_id, FAILED, t0, reason=reason, level=logging.ERROR,
                        note=f" for a human in {self.imap.failed_folder}")
            log.debug("traceback of the internal error:\n%s", redacted_traceback(e))
            return
        if isinstance(outcome, Skip):
            if not record(status=SKIPPED, reason=outcome.reason, raw=raw,
                          destination=self.imap.processed_folder):
                return
            report.skipped += 1
            report.reasons.append(outcome.reason)
            log_outcome(folder, uid, message_id, SKIPPED, t0, reason=outcome.reason)
            return
        sender = outcome.case.sender
        # rate limits and loop stops (issue 9): counted and recorded in one ledger transaction
        stop = self.ledger.admit_exchange(
            exchange_for_answer(outcome.case, outcome.reply, self.settings.message_id_domain),
            self.config.consult.exchange_limits())
        if stop is not None:
            if not record(status=SKIPPED, reason=stop.reason, raw=raw, destination=self.imap.failed_folder):
                return
            report.skipped += 1
            report.reasons.append(stop.reason)
            log_outcome(folder, uid, message_id, SKIPPED, t0, reason=stop.reason,
                        level=logging.WARNING if stop.first else logging.DEBUG,
                        note=f" for a human in {self.imap.failed_folder}"
                        + ("" if stop.first else " (stop logged before)"))
            return
        findings = outcome.findings
        codes = [v.code for v in findings.codes] + [s.code for s in findings.suggestions]
        try:
            outgoing = [outgoing_mail(outcome.reply, "reply", self.bot_address)]
            if outcome.escalation is not None:
                outgoing.append(outgoing_mail(outcome.escalation, "escalation", self.bot_address))
        except Exception as e:  # noqa: BLE001 - a mail that cannot be written must not stall the mailbox
            reason = f"internal error: {where(e)}"
            if not record(status=FAILED, reason=reason, raw=raw, destination=self.imap.failed_folder):
                return
            report.failed += 1
            log_outcome(folder, uid, message_id, FAILED, t0, reason=reason, level=logging.ERROR,
                        note=f" for a human in {self.imap.failed_folder}")
            return
        status = ESCALATED if outcome.escalation is not None else ANSWERED
        if not record(status=status, codes=codes, raw=raw, sender=sender,
                      destination=self.imap.processed_folder, outgoing=outgoing):
            return
        report.answered += 1
        log_outcome(folder, uid, message_id, status, t0, codes=len(dict.fromkeys(codes)),
                    note=f" reply {outgoing[0].message_id} queued")
        self.checkpoint("recorded")

def _local_today(clock: Callable[[], datetime]) -> date:
    return clock().astimezone().date()


def synthetic_id(raw: bytes) -> str:
    try:
        from consultant.mail.parse import synthetic_message_id
    except ImportError:  # pragma: no cover - parse.py is part of the package
        return f"<{hashlib.sha256(raw).hexdigest()[:32]}@caseconsultant.invalid>"
    return synthetic_message_id(raw)


def thread_ids(header_or_raw: bytes) -> list[str]:
    """Message-IDs in References and In-Reply-To (to find the codes found earlier in a thread)."""
    headers = BytesHeaderParser().parsebytes(header_or_raw)
    ids: list[str] = []
    for name in ("References", "In-Reply-To"):
        for value in headers.get_all(name) or []:
            ids.extend(_MSGID_RE.findall(str(value)))
    return ids


def outgoing_mail(msg: Any, kind: str, mail_from: str) -> Outgoing:
    """A composed message as an outbox entry (recipients from its To header)."""
    recipients = tuple(a for _, a in getaddresses([str(v) for v in msg.get_all("To", [])]) if a)
    return Outgoing(message_id=str(msg["Message-ID"]), kind=kind, mail_from=parseaddr(mail_from)[1] or mail_from,
                    recipients=recipients, raw=msg.as_bytes())
