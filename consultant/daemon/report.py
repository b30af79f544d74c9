"""What one pass did (counts), and the log lines shared by the parts of the daemon."""

from __future__ import annotations

import logging
import re
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

# the one outcome line per message keeps the logger name operators filter on
outcome_log = logging.getLogger("consultant.service")


@dataclass
class PassReport:
    """Counts of one pass (logged as one INFO line)."""

    seen: int = 0
    answered: int = 0
    skipped: int = 0
    failed: int = 0
    busy: int = 0
    queued: int = 0              # read and left in the shared work queue (share_analysis)
    sent: int = 0
    deferred: int = 0
    filed: int = 0
    ms: float = 0.0
    reasons: list[str] = field(default_factory=list)
    more: bool = False           # the server announced new mail during the pass: search again
    paused: bool = False         # new work paused (the state volume is full)


def log_outcome(folder: str, uid: int, message_id: str, outcome: str, t0: float, *,
                codes: int | None = None, reason: str | None = None, level: int = logging.INFO,
                note: str = "") -> None:
    """THE one line per message (see consultant.service): mailbox, UID, Message-ID, outcome,
    codes count or reason, milliseconds — the same as JSON fields. Never subject or body text."""
    ms = (time.perf_counter() - t0) * 1000
    detail = f"{codes} codes" if codes is not None else (reason or "-")
    outcome_log.log(level, "%s UID %d %s: %s (%s)%s in %.0f ms", folder, uid, message_id, outcome, detail,
            note, ms, extra={"mailbox": folder, "uid": uid, "message_id": message_id, "outcome": outcome,
                             "codes": codes, "reason": reason, "ms": round(ms, 1)})


def where(e: BaseException) -> str:
    """Where an exception was raised (type, file:line, function) without its message, which
    may quote the text being analysed."""
    frames = traceback.extract_tb(e.__traceback__)
    if not frames:
        return type(e).__name__
    f = frames[-1]
    path = Path(f.filename)
    short = "/".join(path.parts[path.parts.index("consultant"):]) if "consultant" in path.parts else path.name
    return f"{type(e).__name__} at {short}:{f.lineno} in {f.name}"


def redacted_traceback(e: BaseException) -> str:
    """The traceback's frames and the exception type, without the exception's message."""
    return "".join(traceback.format_tb(e.__traceback__)) + type(e).__name__ + " (message withheld)"


def fault_kind(e: BaseException) -> str:
    """What makes two delivery failures 'the same fault' (for one log line per fault)."""
    cause = e.__cause__ or e.__context__
    code = getattr(cause, "smtp_code", None)
    if code is None:                                  # "451 4.3.0 ..." in the text, not ":587 " (a port)
        found = re.search(r"(?<![:\d.])([45]\d\d) ", str(e))
        code = found.group(1) if found else ""
    return f"{type(cause).__name__ if cause is not None else type(e).__name__}:{code}"
