"""Filing: once a decided message's mails are all sent, flag the original \\Answered, copy the
reply to the Sent folder and move the original to its destination folder.

Filing is claimed in the ledger like answering (`Ledger.claim_filing`), so two processes
sharing one state file never flag, copy or move one message twice. A refused IMAP command
leaves the message where it is (answered, nothing lost) and is retried on every pass, with
one WARNING per kind of refusal and one INFO when filing works again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Protocol

from consultant.config import ImapConfig
from consultant.daemon.report import PassReport
from consultant.mail.inbox import CommandRefused, Selected
from consultant.state import ANSWERED, ESCALATED, Ledger, MessageRow

log = logging.getLogger(__name__)


class FilingMailbox(Protocol):
    """What filing needs of the IMAP inbox (consultant.mail.inbox.Inbox)."""

    @property
    def selected(self) -> Selected | None: ...

    def flag_answered(self, uid: int) -> None: ...

    def move(self, uid: int, folder: str) -> None: ...

    def append(self, folder: str, raw: bytes, flags: tuple[bytes, ...] = ...) -> None: ...

    def contains(self, folder: str, message_id: str) -> bool: ...

    def find_message_id(self, message_id: str) -> list[int]: ...


class Filing:
    """File every decided, sent message of the watched folder (`file_decided`)."""

    def __init__(self, ledger: Ledger, inbox: FilingMailbox, imap: ImapConfig, *,
                 checkpoint: Callable[[str], None], mailbox: str | None = None) -> None:
        self.ledger = ledger
        self.inbox = inbox
        self.imap = imap
        self.mailbox = mailbox or imap.folder    # the ledger's name of the watched folder
        self.checkpoint = checkpoint
        self._fault: str | None = None                   # the refusal while filing fails

    def file_decided(self, report: PassReport | None = None, stop: Callable[[], bool] | None = None) -> int:
        """Flag, copy to Sent and move every decided message whose mails are sent (until `stop()`
        says the daemon is stopping: the rest is filed on the next start)."""
        report = report or PassReport()
        filed = 0
        sel = self.inbox.selected
        for row in self.ledger.unfiled():
            if stop is not None and stop():
                break
            if row.mailbox != self.mailbox:
                continue
            if not self.ledger.claim_filing(row.message_id):
                log.debug("%s: filed or being filed by another process", row.message_id)
                continue
            try:
                destination = self.file_one(row, sel.uidvalidity if sel else None)
            except CommandRefused as e:     # e.g. MOVE refused: keep it unfiled, try again next pass
                self.ledger.release_filing(row.message_id)
                self.note_fault(e)
                continue
            filed += 1
            report.filed += 1
            log.debug("%s %s: filed in %s", row.status, row.message_id, destination)
        if filed:
            if self._fault is not None:
                log.info("IMAP filing works again: %d messages filed", filed)
                self._fault = None
            self.ledger.scrub()
        return filed

    def file_one(self, row: MessageRow, uidvalidity: int | None) -> str:
        """Flag, copy and move one message (claimed by `claim_filing`); returns its folder."""
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

    def note_fault(self, e: CommandRefused) -> None:
        """One WARNING per kind of refusal (command, folder, response code); repeats to DEBUG."""
        text = str(e)
        code = re.search(r"\[([A-Z][A-Z-]*)\]", text)
        key = re.sub(r"UID \d+ ", "", text.split(" refused by the server")[0]) + (code.group(1) if code else "")
        if self._fault != key:
            self._fault = key
            log.warning("%s; the message stays where it is (answered, nothing lost) and filing is "
                        "retried on every pass", text)
        else:
            log.debug("%s (again)", text)

    def _locate(self, row: MessageRow, uidvalidity: int | None) -> list[int]:
        if uidvalidity is not None and row.uidvalidity == uidvalidity:
            return [row.uid]
        return self.inbox.find_message_id(row.message_id)
