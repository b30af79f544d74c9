"""Findings, rendered, become mail: the reply in the coder's thread, or the copy for a human.

Pure: the time and the Message-ID of each mail are passed in (`consultant.mail.stamps`
makes them at the edge), so the same input gives the same bytes. Nothing the sender wrote becomes a header without being made
safe: CR/LF and other control characters are removed, addresses are re-parsed, and long
subjects are folded by `policy.SMTP` (RFC 5322 lines, CRLF endings).

    >>> msg = compose_reply(case, rendered, from_addr="consult@clinic.org", now=now,
    ...                     msgid="<r1@consult.clinic.org>")           # doctest: +SKIP
    >>> msg["In-Reply-To"] == case.message_id                          # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

from consultant.mail import encodings, policies
from consultant.mail.addresses import plain_addr_spec
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
    if plain_addr_spec(value):            # the parser would give it back as written
        return value if "." in value.rpartition("@")[2] else None
    try:
        addr = Address(addr_spec=value)
    except Exception:  # noqa: BLE001 - HeaderParseError / ValueError / IndexError on garbage
        return None
    return addr.addr_spec if addr.username and addr.domain and "." in addr.domain else None


def reply_recipients(case: Case, allowed_senders: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Whom the answer goes to: ONE address, never more.

    The sender (From: the address authentication and `allowed_senders` vouched for). Reply-To
    replaces it only when it names exactly one address and that address is itself allowed by a
    non-empty `allowed_senders`; otherwise Reply-To is ignored, so it can neither send the
    answer (patient details in its subject) to an outsider nor add a recipient.

    >>> c = Case("<1@x>", "ann@clinic.org", "", "", reply_to=("harvest@evil.example",))
    >>> reply_recipients(c, ("clinic.org",))
    ('ann@clinic.org',)
    """
    from consultant.mail.robots import sender_allowed

    reply_to = [a for a in (safe_address(c) for c in case.reply_to) if a]
    if (allowed_senders and len(case.reply_to) == 1 and len(reply_to) == 1
            and sender_allowed(reply_to[0], allowed_senders)):
        return (reply_to[0].lower(),)
    sender = safe_address(case.sender)
    return (sender.lower(),) if sender else ()


def _base(from_addr: str, to: tuple[str, ...], subject: str, now: datetime, msgid: str) -> EmailMessage:
    msg = EmailMessage(policy=policies.SMTP)
    msg["From"] = policies.smtp_header("From", from_addr)
    if to:
        msg["To"] = policies.smtp_header("To", ", ".join(to))     # the same few coders, reply after reply
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = msgid
    return msg


def _boundary(msgid: str) -> str:
    """The MIME boundary from the Message-ID, not from `random` (as `email` would pick it):
    the same mail composes to the same bytes."""
    digits = int.from_bytes(hashlib.sha256(msgid.encode()).digest()[:8], "big") % 10**19
    return f"{'=' * 15}{digits:019d}=="


def _stable_boundary(msg: EmailMessage, msgid: str) -> EmailMessage:
    msg.set_boundary(_boundary(msgid))
    return msg


def _text_part(text: str, subtype: str, cte: str, *, mime_version: bool) -> EmailMessage:
    """A text part as `EmailMessage.set_content(text, subtype=..., cte=...)` builds it (same
    headers in the same order, same payload), from cached header objects and the C encoders."""
    part = EmailMessage(policy=policies.SMTP)
    part["Content-Type"] = policies.smtp_header("Content-Type", f'text/{subtype}; charset="utf-8"')
    part["Content-Transfer-Encoding"] = policies.smtp_header("Content-Transfer-Encoding", cte)
    if mime_version:
        part["MIME-Version"] = policies.smtp_header("MIME-Version", "1.0")
    width = policies.SMTP.max_line_length or 78
    if cte == "base64":
        part.set_payload(encodings.base64_lines(text, policies.SMTP.linesep, width))
    else:
        part.set_payload(encodings.quoted_printable(text, width))
    return part


def _alternative(msg: EmailMessage, text: str, html: str, boundary: str) -> EmailMessage:
    """`msg` made multipart/alternative of the text (quoted-printable) and the HTML (base64):
    the message that `msg.set_content(text, cte="quoted-printable")`, then
    `msg.add_alternative(html, subtype="html", cte="base64")` and `msg.set_boundary(boundary)`
    build (the HTML part keeps the MIME-Version that `add_alternative` gives it), without
    their dozen re-parses of Content-Type.

    base64 for the HTML: encoded in C (quoted-printable is the costlier encoding), and mail
    clients decode both alike."""
    msg["MIME-Version"] = policies.smtp_header("MIME-Version", "1.0")
    msg["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
    msg.set_payload([
        _text_part(text, "plain", "quoted-printable", mime_version=False),
        _text_part(html, "html", "base64", mime_version=True),
    ])
    return msg


def compose_reply(case: Case, rendered: RenderedReply, *, from_addr: str, now: datetime,
                  msgid: str, allowed_senders: tuple[str, ...] = ()) -> EmailMessage:
    """The answer, threaded under the coder's message (In-Reply-To, References).

    multipart/alternative with the text and HTML renderings; marked as an automatic reply
    (RFC 3834 Auto-Submitted, and X-Auto-Response-Suppress so Exchange sends no
    out-of-office back to us).
    """
    msg = _base(from_addr, reply_recipients(case, allowed_senders), reply_subject(case.subject), now, msgid)
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
    msg["Auto-Submitted"] = policies.smtp_header("Auto-Submitted", "auto-replied")
    msg["X-Auto-Response-Suppress"] = policies.smtp_header("X-Auto-Response-Suppress", "All")
    return _alternative(msg, rendered.text, rendered.html, _boundary(msgid))


def compose_escalation(case: Case, raw: bytes, rendered: RenderedReply, *, from_addr: str, to_addr: str,
                       now: datetime, msgid: str) -> EmailMessage:
    """For the human coder: why the bot asks for help, its partial analysis, and the original
    attached as message/rfc822 (so it can be opened and answered from the mail client)."""
    subject = clean_header_text(_REPLY_PREFIX.sub("", case.subject or "")) or "(no subject)"
    msg = _base(from_addr, (to_addr,), f"[Consult for a coder] {subject}", now, msgid)
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
    return _stable_boundary(msg, msgid)


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


def compose_notice(*, subject: str, text: str, from_addr: str, to_addr: str, now: datetime, msgid: str,
                   attachment: bytes | None = None) -> EmailMessage:
    """A short automatic note for the human coder (e.g. a reply the server refused)."""
    msg = _base(from_addr, (to_addr,), clean_header_text(subject), now, msgid)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(text, cte="quoted-printable")
    if attachment is not None:
        msg.add_attachment(message_from_bytes(attachment, policy=policy.default), disposition="attachment",
                           filename="refused.eml")
        _stable_boundary(msg, msgid)
    return msg
