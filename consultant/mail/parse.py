"""Raw RFC 5322 bytes to a `Case`: decoded headers, the new text of the message, the text of
its attachments, and notes on what could not be read.

`parse_message` never raises. The MIME tree is split by the standard `email` package under
`compat32`, and header values are decoded by `policy.default`'s header classes (its
`header_factory`: RFC 2047 words, address lists, quoted display names); RFC 2231 parameters
are collapsed by `Message.get_filename`. Why not parse the tree under `policy.default`:
it re-parses Content-Type on every access, which costs 1.6 ms for a 4 KB mail against
0.15 ms (the whole pipeline must do 100 mails/s on one core), and it misreads Outlook's
unquoted "----=_NextPart" boundaries that compat32 reads. If compat32 fails the bytes are
re-read under `policy.default`; if that fails too the result is a Case holding only a
synthesised Message-ID, the size and a note. Header values lose every CR/LF, so no header
can smuggle a line break into a reply. Address headers (From, Reply-To, To, Cc) are read
strictly by `mail.addresses` with no fallback parser: what is unsafe in them is recorded in
`Case.address_problems` and the mail is refused (`robots.skip_reason`). Bodies: text/plain preferred, HTML turned into text with inscriptis,
any charset read (an unknown one falls back with a note). A forwarded message (attached as
message/rfc822 or inline below a "Forwarded message" marker) under a short or empty note of
the forwarder *is* the case; in a follow-up, quoted history and signature go to `quoted`.
"""

from __future__ import annotations

import email
import email.header
import hashlib
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email import policy as email_policy
from email import utils as email_utils
from email.message import Message

from consultant.mail import policies
from consultant.mail.addresses import read_addresses
from consultant.mail.attachments import (
    clean_filename,
    decode_text,
    html_to_text,
    read_attachment,
)
from consultant.mail.case import Attachment, Case, ParseLimits
from consultant.mail.quotes import find_forward, split_reply

log = logging.getLogger(__name__)

SYNTHETIC_DOMAIN = "caseconsultant.invalid"
DEFAULT_LIMITS = ParseLimits()
SHORT_OWN_TEXT = 300            # a forwarder's note at most this long leaves the case to the forward
_MAX_DEPTH = 25                 # MIME nesting
_MAX_DEEP_PARTS = 200           # parts looked at (without recursion) below _MAX_DEPTH
_MAX_FORWARD_DEPTH = 3          # forwarded inside forwarded inside ...
_MAX_HEADERS = 300
_MAX_HEADER_CHARS = 8000

_REGISTRY = policies.DEFAULT.header_factory
_UNFOLD = re.compile(r"\r?\n(?=[ \t])")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u2028\u2029\x85]+")
_SPACES = re.compile(r"[ \t]{2,}")
_TOKEN_TYPE = re.compile(r"^[a-z0-9!#$&^_.+-]{1,64}/[a-z0-9!#$&^_.+-]{1,128}$")
_SURROGATE = re.compile("[\udc80-\udcff]")
_MSGID = re.compile(r"<([^<>\s]{1,998})>")
_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|fw|wg|tr|rv|doorst)\s*(\[\d+\])?\s*:", re.IGNORECASE)
_REPLY_SUBJECT = re.compile(r"^\s*(re|aw|sv|antw|r)\s*(\[\d+\])?\s*:", re.IGNORECASE)
_IGNORED_TYPES = {
    "application/pgp-signature",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "application/pgp-keys",
    "message/delivery-status",
    "message/disposition-notification",
    "text/rfc822-headers",
}


def synthetic_message_id(raw: bytes) -> str:
    """A stable Message-ID for mail that has none: the same bytes give the same id.

    >>> synthetic_message_id(b"x")
    '<2d711642b726b04401627ca9fbac32f5@caseconsultant.invalid>'
    """
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@{SYNTHETIC_DOMAIN}>"


def one_line(value: str) -> str:
    """A header value with every CR, LF and other control character turned into one space."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", value.replace("\t", " "))).strip()


def _fix_8bit(value: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes: read them as UTF-8 (RFC 6532),
    else as windows-1252."""
    if not _SURROGATE.search(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    return decode_text(data, None)[0]


def _unfold(raw: object) -> str:
    value = raw if isinstance(raw, str) else str(raw)
    return _fix_8bit(_UNFOLD.sub("", value))


def decode_header(name: str, raw: object) -> str:
    """A header's value as readable one-line text (RFC 2047 words decoded)."""
    value = _unfold(raw)[:_MAX_HEADER_CHARS]
    if "=?" in value:
        try:
            value = str(_REGISTRY("x-unstructured", value))
        except Exception:  # noqa: BLE001 - the header parser has raised on hostile input
            try:
                value = str(email.header.make_header(email.header.decode_header(value)))
            except Exception:  # noqa: BLE001
                log.debug("header %s left encoded", name)
        value = _fix_8bit(value)
    return one_line(value)


def parse_addresses(raw: object) -> list[tuple[str, str]]:
    """(display name, bare lower-case address) pairs, read strictly (see `mail.addresses`);
    an unsafe header gives no pairs at all."""
    got = read_addresses("to", _fix_8bit(_unfold(raw)))
    if got.problem:
        return []
    return [(one_line(name), addr) for name, addr in zip(got.names, got.addresses)]


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return email_utils.parsedate_to_datetime(value)
    except Exception:  # noqa: BLE001 - ValueError, TypeError, OverflowError on odd dates
        return None


def _msgid(value: str | None) -> str | None:
    if not value:
        return None
    m = _MSGID.search(value)
    if m:
        return f"<{m.group(1)}>"
    bare = value.strip()
    if bare and " " not in bare and "@" in bare and len(bare) < 998:
        return f"<{bare.strip('<>')}>"
    return None


@dataclass
class _Content:
    """What walking one message's MIME tree found."""

    texts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    forwards: list[Message] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    defects: Counter[str] = field(default_factory=Counter)
    skipped_attachments: int = 0
    unread: list[tuple[str, str]] = field(default_factory=list)   # (content type, note) of parts not read


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken transfer encodings
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _charset(part: Message) -> str | None:
    try:
        value = part.get_param("charset")
    except Exception:  # noqa: BLE001
        return None
    if isinstance(value, tuple):     # RFC 2231 (charset, language, value)
        value = value[2]
    return str(value) if value else None


def _part_text(part: Message, ctype: str, limits: ParseLimits, out: _Content) -> str:
    data = _payload_bytes(part)
    text, note = decode_text(data, _charset(part))
    if note:
        out.notes.append(note)
    if ctype == "text/html":
        text = html_to_text(text[: limits.max_text_chars * 10])
    return text


def _filename(part: Message) -> str:
    """The attachment's name: RFC 2231 and (non-standard but common) RFC 2047 encoded names
    decoded, raw 8-bit names read as UTF-8."""
    name = ""
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        raw = _raw_first(part, header)
        if raw is None or "name" not in str(raw).lower():
            continue                    # no parameter of that name can be in it (RFC 2231 too)
        try:
            params = _REGISTRY(header, _unfold(raw)).params  # type: ignore[attr-defined]
            name = str(params.get(param) or "")
        except Exception:  # noqa: BLE001 - hostile parameter lists
            name = ""
        if name:
            break
    if not name and any("name" in str(value).lower() for key, value in part.raw_items()
                        if str(key).lower() in ("content-disposition", "content-type")):
        try:
            name = part.get_filename() or ""
        except Exception:  # noqa: BLE001
            name = ""
    if "=?" in name:
        name = decode_header("x-filename", name)
    return clean_filename(_fix_8bit(name))


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:  # noqa: BLE001
        return None


def _ctype(part: Message) -> str:
    """The part's content type; an unreadable one counts as text/plain (RFC 2045 §5.2)."""
    try:
        ctype = part.get_content_type().lower()
    except Exception:  # noqa: BLE001
        return "text/plain"
    return ctype if _TOKEN_TYPE.match(ctype) else "text/plain"


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _walk(part: Message, limits: ParseLimits, out: _Content, depth: int = 0) -> None:
    """Collect body texts, attachments and forwarded messages, in reading order."""
    for defect in getattr(part, "defects", ()):
        out.defects[type(defect).__name__] += 1
    if depth > _MAX_DEPTH:
        _walk_too_deep(part, limits, out)
        return
    ctype = _ctype(part)
    maintype, _, subtype = ctype.partition("/")
    if part.is_multipart() and maintype != "message":
        children = _children(part)
        if subtype == "alternative":
            _walk_alternative(children, limits, out, depth)
        elif subtype == "signed":
            if children:
                _walk(children[0], limits, out, depth + 1)
        elif subtype == "encrypted":
            out.notes.append("encrypted message: not read")
            out.unread.append((ctype, "the message is encrypted and could not be read"))
        elif subtype == "related":
            root = _related_root(part, children)
            for child in children:
                if child is root:
                    _walk(child, limits, out, depth + 1)
                elif _ctype(child).startswith("image/") or not _filename(child):
                    _count_defects(child, out)
                else:
                    _walk(child, limits, out, depth + 1)
        elif subtype == "report":
            if children:
                _walk(children[0], limits, out, depth + 1)
        else:
            for child in children:
                _walk(child, limits, out, depth + 1)
        return
    if maintype == "multipart":
        out.notes.append("broken MIME structure: the message body could not be read")
        out.unread.append((ctype, "broken MIME structure: the message body could not be read"))
        return
    if maintype == "message":
        if subtype in ("rfc822", "global"):
            inner = _children(part)
            if inner:
                out.forwards.append(inner[0])
            return
        if ctype not in _IGNORED_TYPES:
            out.notes.append(f"not read: {ctype}")
            out.unread.append((ctype, f"a part of type {ctype} could not be read"))
        return
    if ctype in _IGNORED_TYPES:
        return
    filename = _filename(part)
    disposition = _disposition(part)
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        out.texts.append(_part_text(part, ctype, limits, out))
        return
    if maintype == "image" and disposition != "attachment" and part.get("content-id"):
        return                                  # embedded picture of an HTML body (logos)
    if maintype == "text" and not filename and disposition != "attachment" and subtype in ("enriched", "richtext"):
        out.texts.append(re.sub(r"<[^>]*>", "", _part_text(part, "text/plain", limits, out)))
        return
    if len(out.attachments) >= limits.max_attachments:
        out.skipped_attachments += 1
        return
    data = _payload_bytes(part)
    name = filename or f"unnamed.{subtype or 'bin'}"
    out.attachments.extend(read_attachment(data, name, ctype, limits, charset=_charset(part)))


def _walk_too_deep(part: Message, limits: ParseLimits, out: _Content) -> None:
    """Parts nested deeper than _MAX_DEPTH: their body text is still read (looked for without
    recursion, at most _MAX_DEEP_PARTS parts), never attachments; a note says so, so a case
    hidden that deep is answered or sent to a human, never dropped in silence."""
    stack, looked, found = [part], 0, 0
    while stack and looked < _MAX_DEEP_PARTS:
        node = stack.pop()
        looked += 1
        ctype = _ctype(node)
        children = _children(node)
        if children:
            if ctype == "multipart/alternative":
                plain = [c for c in children if _ctype(c) == "text/plain"]
                children = plain[:1] or children[-1:]
            stack.extend(reversed(children))
            continue
        if ctype in ("text/plain", "text/html") and _disposition(node) != "attachment" and not _filename(node):
            text = _part_text(node, ctype, limits, out)
            if text.strip():
                out.texts.append(text)
                found += 1
    deep = f"MIME parts nested more than {_MAX_DEPTH} levels deep"
    if found:
        out.notes.append(f"{deep}: only their text was read, not their attachments")
    else:
        out.notes.append(f"{deep}: they could not be read")
        out.unread.append(("multipart/mixed", f"{deep} could not be read"))


def _unread_placeholder(content: _Content) -> Attachment | None:
    """When odd MIME (too deep, encrypted, broken) hides everything, a stand-in attachment with
    the note, so the case is answered or escalated saying what could not be read."""
    if not content.unread or content.attachments or content.forwards or any(t.strip() for t in content.texts):
        return None
    ctype, _ = content.unread[0]
    return Attachment("unreadable part", ctype, 0, note="; ".join(dict.fromkeys(n for _, n in content.unread)))


def _count_defects(part: Message, out: _Content) -> None:
    for defect in getattr(part, "defects", ()):
        out.defects[type(defect).__name__] += 1


def _related_root(part: Message, children: list[Message]) -> Message | None:
    try:
        start = part.get_param("start")
    except Exception:  # noqa: BLE001
        start = None
    if isinstance(start, str):
        for child in children:
            if (child.get("content-id") or "").strip() == start.strip():
                return child
    return children[0] if children else None


def _walk_alternative(children: list[Message], limits: ParseLimits, out: _Content, depth: int) -> None:
    """Plain text when it says something, else HTML, else the first richer sub-tree."""
    for wanted in ("text/plain", "text/html"):
        for child in children:
            if _ctype(child) == wanted and _disposition(child) != "attachment":
                _count_defects(child, out)
                probe = _Content()
                text = _part_text(child, wanted, limits, probe)
                if text.strip():
                    out.texts.append(text)
                    out.notes.extend(probe.notes)
                    return
    for child in children:
        if child.is_multipart():
            _walk(child, limits, out, depth + 1)
            return
    if children:                                # e.g. only a picture: say it was not read
        _walk(children[-1], limits, out, depth + 1)


def _cap_body(text: str, limits: ParseLimits, notes: list[str]) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if len(text) > limits.max_text_chars:
        notes.append(f"message text cut after {limits.max_text_chars} characters")
        text = text[: limits.max_text_chars]
    return text


@dataclass(frozen=True)
class _Text:
    body: str
    quoted: str
    attachments: tuple[Attachment, ...]
    notes: tuple[str, ...]


def _message_text(msg: Message, limits: ParseLimits, *, is_reply: bool, is_forward: bool, depth: int) -> _Text:
    """Body, quoted history, attachments and notes of one message (recursing into forwards)."""
    content = _Content()
    _walk(msg, limits, content)
    notes = list(content.notes)
    if content.defects:
        total = sum(content.defects.values())
        kinds = ", ".join(sorted(content.defects))
        notes.append(f"{total} MIME format defect(s) in the message ({kinds}); some content may be missing")
    if content.skipped_attachments:
        notes.append(f"{content.skipped_attachments} more attachment(s) not read (limit {limits.max_attachments})")
    text = _cap_body("\n\n".join(t.strip("\r\n") for t in content.texts if t.strip()), limits, notes)
    attachments = list(content.attachments)
    placeholder = _unread_placeholder(content)
    if placeholder is not None:
        attachments.append(placeholder)
    report = _ctype(msg) == "multipart/report"

    if content.forwards and not report and depth < _MAX_FORWARD_DEPTH:
        own = split_reply(text)
        if len(own.body) <= SHORT_OWN_TEXT:
            bodies, quoted = [own.body] if own.body else [], [own.quoted] if own.quoted else []
            for inner in content.forwards:
                got = _message_text(inner, limits, is_reply=False, is_forward=True, depth=depth + 1)
                bodies.append(got.body)
                quoted.append(got.quoted)
                attachments.extend(got.attachments)
                notes.extend(got.notes)
            return _Text("\n\n".join(b for b in bodies if b), "\n\n".join(q for q in quoted if q),
                         tuple(attachments), tuple(dict.fromkeys(notes)))
        for inner in content.forwards:
            got = _message_text(inner, limits, is_reply=False, is_forward=True, depth=depth + 1)
            name = clean_filename(decode_header("subject", inner.get("subject", "") or "")) or "forwarded message"
            attachments.append(Attachment(f"{name}.eml", "message/rfc822", len(got.body), text=got.body))
            attachments.extend(got.attachments)
            notes.extend(got.notes)
        return _Text(own.body, own.quoted, tuple(attachments), tuple(dict.fromkeys(notes)))
    if content.forwards and not report:
        notes.append("forwarded messages nested too deep: inner ones not read")

    forward = find_forward(text) if not report else None
    if forward is not None:
        own = split_reply(forward.own)
        outlook_reply = "original message" in forward.marker.lower() and is_reply and not is_forward
        if len(own.body) <= SHORT_OWN_TEXT and not outlook_reply:
            forwarded = split_reply(forward.forwarded)
            body = "\n\n".join(b for b in (own.body, forwarded.body) if b)
            history = "\n\n".join(q for q in (own.quoted, forwarded.quoted) if q)
            return _Text(body, history, tuple(attachments), tuple(dict.fromkeys(notes)))
    split = split_reply(text)
    return _Text(split.body, split.quoted, tuple(attachments), tuple(dict.fromkeys(notes)))


def _headers(msg: Message) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for name, raw in list(msg.raw_items())[:_MAX_HEADERS]:
        try:
            out.append((one_line(str(name)).lower(), decode_header(str(name), raw)))
        except Exception:  # noqa: BLE001 - one bad header must not lose the message
            log.debug("one header skipped")
            continue
    return tuple(out)


def _raw_first(msg: Message, name: str) -> object | None:
    lname = name.lower()
    for key, value in msg.raw_items():
        if str(key).lower() == lname:
            return value
    return None


def _raw_all(msg: Message, name: str) -> list[object]:
    lname = name.lower()
    return [value for key, value in msg.raw_items() if str(key).lower() == lname]


def _build(msg: Message, raw: bytes, limits: ParseLimits, notes: list[str]) -> Case:
    headers = _headers(msg)
    first = {k: v for k, v in reversed(headers)}

    problems: list[str] = []
    raw_froms = _raw_all(msg, "from")
    sender, sender_name = "", ""
    if len(raw_froms) > 1:
        problems.append("more than one From header")
    elif raw_froms:
        got = read_addresses("From", _fix_8bit(_unfold(raw_froms[0])))
        if got.problem:
            problems.append(got.problem)
        elif len(got.addresses) > 1:
            problems.append("more than one address in From")
        elif got.addresses:
            sender, sender_name = got.addresses[0], one_line(got.names[0])
    if not sender:
        notes.append("the sender address (From) could not be read" if raw_froms
                     else "the message has no sender address (From)")

    def addresses(name: str, *, single: bool = False) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        values = _raw_all(msg, name)
        if single and len(values) > 1:
            problems.append(f"more than one {name} header")
        for value in values:
            got = read_addresses(name, _fix_8bit(_unfold(value)))
            if got.problem:
                problems.append(got.problem)
            elif single and got.dropped:
                problems.append(f"an entry of {name} is not an address")
            seen.update(dict.fromkeys(got.addresses))
        return tuple(seen)

    to, cc, reply_to = addresses("To"), addresses("Cc"), addresses("Reply-To", single=True)

    subject = first.get("subject", "")
    message_id = _msgid(first.get("message-id")) or synthetic_message_id(raw)
    in_reply_to = _msgid(first.get("in-reply-to"))
    references: dict[str, None] = {}
    for k, v in headers:
        if k == "references":
            for m in _MSGID.finditer(v):
                references[f"<{m.group(1)}>"] = None
    is_reply = bool(in_reply_to or references or _REPLY_SUBJECT.match(subject))
    is_forward = bool(_FORWARD_SUBJECT.match(subject))

    text = _message_text(msg, limits, is_reply=is_reply and not is_forward, is_forward=is_forward, depth=0)
    return Case(
        message_id=message_id,
        sender=sender,
        sender_name=sender_name,
        subject=subject,
        to=to,
        cc=cc,
        reply_to=reply_to,
        date=_parse_date(first.get("date")),
        in_reply_to=in_reply_to,
        references=tuple(references),
        body=text.body,
        quoted=text.quoted,
        attachments=text.attachments,
        content_type=_ctype(msg),
        headers=headers,
        notes=tuple(dict.fromkeys([*notes, *text.notes])),
        size=len(raw),
        address_problems=tuple(dict.fromkeys(problems)),
    )


def parse_message(raw: bytes, limits: ParseLimits = DEFAULT_LIMITS) -> Case:
    """Read one raw message into a Case. Never raises, whatever the bytes.

    >>> case = parse_message(b"From: Coder <Coder@Clinic.org>\\r\\nSubject: 44970?\\r\\n\\r\\nAppy.\\r\\n")
    >>> case.sender, case.subject, case.body
    ('coder@clinic.org', '44970?', 'Appy.')
    """
    try:
        data = bytes(raw) if not isinstance(raw, str) else raw.encode("utf-8", "surrogateescape")
    except Exception:  # noqa: BLE001 - not bytes-like at all
        data = b""
    for mode, pol in (("compat32", email_policy.compat32), ("default", email_policy.default)):
        try:
            msg = email.message_from_bytes(data, policy=pol)
            return _build(msg, data, limits, [])
        except Exception as e:  # noqa: BLE001 - parse must never raise
            log.warning("reading the message under policy %s failed: %s", mode, type(e).__name__)
    return Case(
        message_id=synthetic_message_id(data),
        sender="",
        sender_name="",
        subject="",
        notes=("the message could not be read",),
        size=len(data),
    )
