"""Findings, rendered, become mail: the reply in the coder's thread, or the copy for a human.

Pure: the clock and the random part of the Message-ID can be passed in (tests), otherwise
`email.utils` supplies them. Nothing the sender wrote becomes a header without being made
safe: CR/LF and other control characters are removed, addresses are re-parsed, and long
subjects are folded by `policy.SMTP` (RFC 5322 lines, CRLF endings).

    >>> msg = compose_reply(case, rendered, from_addr="consult@clinic.org",
    ...                     message_id_domain="consult.clinic.org")   # doctest: +SKIP
    >>> msg["In-Reply-To"] == case.message_id                          # doctest: +SKIP
    True
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

from consultant.mail import policies
from consultant.mail.case import Case

MAX_REFERENCES = 20          # keep the References header bounded (RFC 5322 allows trimming)
MAX_SUBJECT = 300
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_MSGID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|r|ref|fw|fwd|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_ONLY_RE = re.compile(r"^\s*((re|aw|sv|antw)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


class RenderedReply(Protocol):
    """What `consultant.render.render_reply` returns (typing only; render.py owns the class)."""

    @property
    def text(self) -> str: ...

    @property
    def html(self) -> str: ...


def clean_header_text(value: str, limit: int = MAX_SUBJECT) -> str:
    """One line of text safe to put in a header: no CR, LF or other control characters."""
    one_line = _CONTROL.sub(" ", value or "")
    one_line = " ".join(one_line.split())
    return one_line[:limit].rstrip()


def reply_subject(original: str) -> str:
    """'Re: ' + the original subject, without stacking 'Re: Re:' (or 'AW:', 'SV:')."""
    subject = clean_header_text(original)
    subject = _ONLY_RE.sub("", subject).strip()
    return f"Re: {subject}" if subject else "Re: your coding question"


def safe_msgid(value: str | None) -> str | None:
    """The Message-ID if it is a well-formed '<left@right>' on one line, else None."""
    if not value:
        return None
    value = value.strip()
    return value if _MSGID.match(value) and len(value) <= 250 else None


def safe_address(value: str) -> str | None:
    """A bare address re-parsed by the email package, or None when it is not one."""
    value = (value or "").strip()
    if not value or _CONTROL.search(value) or any(c in value for c in "<>,;\"()[]\\"):
        return None
    try:
        addr = Address(addr_spec=value)
    except Exception:  # noqa: BLE001 - HeaderParseError / ValueError / IndexError on garbage
        return None
    return addr.addr_spec if addr.username and addr.domain and "." in addr.domain else None


def reply_recipients(case: Case) -> tuple[str, ...]:
    """Reply-To when present and valid, else the sender."""
    for candidates in (case.reply_to, (case.sender,)):
        addrs = tuple(dict.fromkeys(a for a in (safe_address(c) for c in candidates) if a))
        if addrs:
            return addrs
    return ()


def _base(from_addr: str, to: tuple[str, ...], subject: str, message_id_domain: str,
          now: datetime | None, msgid: str | None) -> EmailMessage:
    msg = EmailMessage(policy=policies.SMTP)
    msg["From"] = from_addr
    if to:
        msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = msgid or make_msgid(domain=message_id_domain)
    return msg


def compose_reply(case: Case, rendered: RenderedReply, *, from_addr: str, message_id_domain: str,
                  now: datetime | None = None, msgid: str | None = None) -> EmailMessage:
    """The answer, threaded under the coder's message (In-Reply-To, References).

    multipart/alternative with the text and HTML renderings; marked as an automatic reply
    (RFC 3834 Auto-Submitted, and X-Auto-Response-Suppress so Exchange sends no
    out-of-office back to us).
    """
    msg = _base(from_addr, reply_recipients(case), reply_subject(case.subject), message_id_domain, now, msgid)
    parent = safe_msgid(case.message_id)
    refs = [r for r in (safe_msgid(x) for x in case.references) if r]
    if not refs and safe_msgid(case.in_reply_to):
        refs = [safe_msgid(case.in_reply_to) or ""]
    if parent:
        msg["In-Reply-To"] = parent
        refs.append(parent)
    refs = list(dict.fromkeys(refs))
    if len(refs) > MAX_REFERENCES:          # keep the thread root and the most recent ones
        refs = refs[:1] + refs[-(MAX_REFERENCES - 1):]
    if refs:
        msg["References"] = " ".join(refs)
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(rendered.text, cte="quoted-printable")
    # base64 for the HTML: encoded in C (quoted-printable is pure Python and the slowest
    # step of composing), and mail clients decode both alike.
    msg.add_alternative(rendered.html, subtype="html", cte="base64")
    return msg


def compose_escalation(case: Case, raw: bytes, rendered: RenderedReply, *, from_addr: str, to_addr: str,
                       message_id_domain: str, now: datetime | None = None,
                       msgid: str | None = None) -> EmailMessage:
    """For the human coder: why the bot asks for help, its partial analysis, and the original
    attached as message/rfc822 (so it can be opened and answered from the mail client)."""
    subject = clean_header_text(_REPLY_PREFIX.sub("", case.subject or "")) or "(no subject)"
    msg = _base(from_addr, (to_addr,), f"[Consult for a coder] {subject}", message_id_domain, now, msgid)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    sender = safe_address(case.sender)
    if sender:
        msg["X-Consult-Sender"] = sender
    parent = safe_msgid(case.message_id)
    if parent:
        msg["X-Consult-Message-ID"] = parent
    intro = ("The consult bot could not answer this case with full confidence. Its partial "
             "analysis follows; the original message is attached.\n\n")
    msg.set_content(intro + rendered.text, cte="quoted-printable")
    attach_original(msg, raw)
    return msg


_MAX_ATTACHED_DEPTH = 50        # MIME levels the generator can write without hitting the recursion limit


def attach_original(msg: EmailMessage, raw: bytes) -> None:
    """Attach the case as message/rfc822; MIME nested too deep for the standard library's
    generator (it recurses per level) goes as the same bytes in an application/octet-stream
    part named original.eml, which mail clients open just the same."""
    original = message_from_bytes(raw, policy=policy.default)
    stack, deepest = [(original, 0)], 0
    while stack:                                  # nesting depth, counted without recursion
        part, depth = stack.pop()
        deepest = max(deepest, depth)
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((p, depth + 1) for p in payload if isinstance(p, EmailMessage))
    if deepest > _MAX_ATTACHED_DEPTH:
        msg.add_attachment(raw, maintype="application", subtype="octet-stream", filename="original.eml")
        return
    msg.add_attachment(original, disposition="attachment", filename="original.eml")


def compose_notice(*, subject: str, text: str, from_addr: str, to_addr: str, message_id_domain: str,
                   attachment: bytes | None = None, now: datetime | None = None,
                   msgid: str | None = None) -> EmailMessage:
    """A short automatic note for the human coder (e.g. a reply the server refused)."""
    msg = _base(from_addr, (to_addr,), clean_header_text(subject), message_id_domain, now, msgid)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(text, cte="quoted-printable")
    if attachment is not None:
        msg.add_attachment(message_from_bytes(attachment, policy=policy.default), disposition="attachment",
                           filename="refused.eml")
    return msg
