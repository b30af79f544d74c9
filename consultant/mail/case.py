"""What the bot knows of one incoming message, as plain data.

`mail.parse.parse_message(raw: bytes, limits) -> Case` builds it; everything after parsing
(robots, extraction, analysis, rendering, composing) reads only this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Attachment:
    """One attached file whose text may be part of the case."""

    filename: str
    content_type: str
    size: int
    text: str = ""              # extracted text, '' when none could be read
    note: str | None = None     # for the reply: why it was not (fully) read


@dataclass(frozen=True)
class Case:
    """An incoming message, decoded. Holds patient information: never log `body`."""

    message_id: str                       # '<...>' as sent; synthesised from a hash if missing
    sender: str                           # bare address, lower-case ('' if unparseable)
    sender_name: str
    subject: str
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    reply_to: tuple[str, ...] = ()
    date: datetime | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    body: str = ""                        # new text of this message: quotes and signature removed
    quoted: str = ""                      # what was stripped as quoted history (thread context)
    attachments: tuple[Attachment, ...] = ()
    content_type: str = "text/plain"      # of the top-level part
    headers: tuple[tuple[str, str], ...] = ()   # (lower-case name, decoded value), in order
    notes: tuple[str, ...] = ()           # what could not be read cleanly, for the reply
    size: int = 0                         # bytes of the raw message
    address_problems: tuple[str, ...] = ()  # unsafe From/Reply-To/To/Cc: the mail is refused (robots)

    def header(self, name: str) -> str | None:
        """First value of a header (case-insensitive), or None."""
        lname = name.lower()
        for key, value in self.headers:
            if key == lname:
                return value
        return None

    def header_all(self, name: str) -> tuple[str, ...]:
        lname = name.lower()
        return tuple(value for key, value in self.headers if key == lname)

    @property
    def text(self) -> str:
        """The case text the analysis reads: the body, then each attachment's text."""
        parts = [self.body] + [a.text for a in self.attachments if a.text]
        return "\n\n".join(p for p in parts if p)


@dataclass(frozen=True)
class ParseLimits:
    """Bounds that keep hostile or huge mail from exhausting the bot."""

    max_attachment_bytes: int = 10 * 1024 * 1024
    max_pdf_pages: int = 30
    max_text_chars: int = 200_000          # per attachment and for the body
    max_attachments: int = 10
    max_archive_ratio: int = 100           # decompressed/compressed, zip-bomb guard
