"""Logging set-up for the CLI: one line per event, text for people or JSON for collectors.

Modules log with `logging.getLogger(__name__)` and %-style arguments; only the CLI calls
`configure`. Never pass body text, names, dates of birth or record numbers to a logger:
log UIDs, Message-IDs, codes, counts, reasons and milliseconds.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of the record (tests and daemons swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure(level: str = "INFO", fmt: str = "text", stream: object = None) -> None:
    """Send all records at `level` and above to stderr (or `stream`) in `fmt` ('text' | 'json')."""
    handler: logging.Handler = (
        logging.StreamHandler(stream) if stream is not None else _StderrHandler()  # type: ignore[arg-type]
    )
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level"})
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Third-party chatter that would otherwise drown one-line-per-event logs.
    for noisy in ("apscheduler", "imapclient", "mail.log", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
