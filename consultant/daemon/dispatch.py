"""Dispatch: the SMTP side of the outbox. Every queued mail that is due is leased, sent and
marked sent (4xx / refused connection: retried with backoff; 5xx: failed, a human is told).

One WARNING when an SMTP fault starts and one INFO when it is over; repeats go to DEBUG.
Sending only updates outbox rows in place, so it still works when the state volume is full;
a send whose record did not fit is remembered in memory and recorded before anything else,
so it is never sent twice by this process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from consultant.daemon.intake import outgoing_mail
from consultant.daemon.report import PassReport, fault_kind
from consultant.errors import PermanentDeliveryError, StateVolumeFull, TransientDeliveryError
from consultant.mail import stamps
from consultant.mail.outbox import backoff_seconds
from consultant.state import FAILED, Ledger, OutboxRow

log = logging.getLogger(__name__)


class MailSender(Protocol):
    """What dispatch needs of the SMTP edge (consultant.mail.outbox.Outbox)."""

    def send(self, raw: bytes, mail_from: str, recipients: Sequence[str],
             on_accepted: Callable[[], None] | None = None) -> None: ...


class Dispatch:
    """Send what the outbox holds (`flush`), or one case's mails (`flush(case=...)`)."""

    def __init__(self, ledger: Ledger, outbox: MailSender, *, failed_folder: str, bot_address: str,
                 escalation_address: str | None, message_id_domain: str,
                 checkpoint: Callable[[str], None], mailbox: str | None = None) -> None:
        self.ledger = ledger
        self.mailbox = mailbox          # only this mailbox's cases (each has its own SMTP account)
        self.outbox = outbox
        self.failed_folder = failed_folder
        self.bot_address = bot_address
        self.escalation_address = escalation_address
        self.message_id_domain = message_id_domain
        self.checkpoint = checkpoint
        self._smtp_fault: tuple[str, float] | None = None     # (kind, since) while SMTP fails
        self._unrecorded: set[int] = set()                   # accepted by SMTP, not yet in the ledger
        self.tight = False              # the state volume is full: keep the WAL from growing

    def flush(self, report: PassReport | None = None) -> int:
        """Send every queued mail that is due; returns how many went out."""
        report = report or PassReport()
        self._record_unrecorded()
        sent = 0
        tried: set[int] = set()
        while rows := [r for r in self.ledger.due_outbox(mailbox=self.mailbox) if r.id not in tried]:
            for row in rows:
                tried.add(row.id)
                sent += self.send_one(row, report)
        return sent

    def _record_unrecorded(self) -> None:
        for outbox_id in sorted(self._unrecorded):
            self.ledger.mark_sent(outbox_id)          # raises StateVolumeFull while still full
            self._unrecorded.discard(outbox_id)

    def send_one(self, row: OutboxRow, report: PassReport) -> int:
        """Lease, send and record one queued mail; returns 1 when it went out."""
        if row.id in self._unrecorded:
            return 0
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
                             on_accepted=lambda: self._accepted(row.id))
        except TransientDeliveryError as e:
            delay = backoff_seconds(row.attempts + 1)
            self.ledger.mark_retry(row.id, str(e), delay)
            report.deferred += 1
            kind = fault_kind(e)
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
            self.ledger.set_status(case_id, FAILED, destination=self.failed_folder)
            report.failed += 1
            log.error("outbox %s (%s for %s): refused, not retried: %s; case moved to %s",
                      row.message_id, row.kind, case_id, e, self.failed_folder)
            self._notify_undeliverable(case_id, row.raw, str(e), row.kind)
            return 0
        report.sent += 1
        if self.tight:
            self.ledger.checkpoint()
        if self._smtp_fault is not None:
            log.info("SMTP works again after %.1f s: queued replies are going out",
                     time.monotonic() - self._smtp_fault[1])
            self._smtp_fault = None
        log.debug("outbox %s (%s for %s) sent in %.0f ms", row.message_id, row.kind, row.case_message_id,
                  (time.perf_counter() - t0) * 1000)
        self.checkpoint("sent")
        return 1

    def _accepted(self, outbox_id: int) -> None:
        try:
            self.ledger.mark_sent(outbox_id)
        except StateVolumeFull:
            self._unrecorded.add(outbox_id)           # recorded later; never sent again meanwhile

    def _notify_undeliverable(self, case_id: str, raw: bytes, error: str, kind: str) -> None:
        to = self.escalation_address
        if not to or kind == "notice":
            return
        from consultant.mail.compose import compose_notice

        msg = compose_notice(
            subject="[Consult reply undeliverable]",
            text=(f"The bot's {kind} for the case with Message-ID {case_id} was refused by the mail "
                  f"server and will not be retried:\n\n    {error}\n\nThe case was moved to the folder "
                  f"{self.failed_folder!r}. The refused mail is attached."),
            attachment=raw, from_addr=self.bot_address, to_addr=to,
            now=datetime.now(UTC), msgid=stamps.message_ids(self.message_id_domain)())
        self.ledger.queue(case_id, outgoing_mail(msg, "notice", self.bot_address))
