"""Composing replies: threading headers, auto-reply markers, no header injection, escalation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.parser import BytesParser

from hypothesis import given
from hypothesis import strategies as st

from consultant.mail.case import Case
from consultant.mail.compose import compose_escalation, compose_reply, reply_subject

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Rendered:
    text: str = "44320: colostomy (plain summary). NCCI: 44140 and 44320 bundle."
    html: str = "<p>44320: colostomy</p>"


def case(**kw: object) -> Case:
    base = {"message_id": "<q1@clinic.example>", "sender": "coder@clinic.example", "sender_name": "Coder",
            "subject": "loop colostomy question"}
    base.update(kw)
    return Case(**base)  # type: ignore[arg-type]


def parsed(msg) -> object:   # type: ignore[no-untyped-def]
    return BytesParser(policy=policy.default).parsebytes(msg.as_bytes())


def test_threading_headers_and_markers() -> None:
    c = case(references=("<root@clinic.example>", "<ans0@bot.example>"), in_reply_to="<ans0@bot.example>")
    m = parsed(compose_reply(c, Rendered(), from_addr="consult@bot.example", now=NOW, msgid="<r1@bot.example>"))
    assert m["In-Reply-To"] == "<q1@clinic.example>"
    assert m["References"].split() == ["<root@clinic.example>", "<ans0@bot.example>", "<q1@clinic.example>"]
    assert m["Message-ID"].endswith("@bot.example>") and m["Message-ID"] != "<q1@clinic.example>"
    assert m["Auto-Submitted"] == "auto-replied"
    assert m["X-Auto-Response-Suppress"] == "All"
    assert m["To"] == "coder@clinic.example" and m["From"] == "consult@bot.example"
    assert m["Subject"] == "Re: loop colostomy question"
    assert m.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in m.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert "NCCI: 44140 and 44320 bundle." in m.get_body(("plain",)).get_content()


def test_reply_to_only_when_itself_allowed_and_never_adds_recipients() -> None:
    def to(reply_to: tuple[str, ...], allowed: tuple[str, ...] = ("clinic.example",)) -> str:
        m = compose_reply(case(reply_to=reply_to), Rendered(), from_addr="b@bot.example",
                          now=NOW, msgid="<r1@bot.example>", allowed_senders=allowed)
        return str(m["To"])

    assert to(("team@clinic.example",)) == "team@clinic.example"            # allowed: honoured
    assert to(("harvest@evil.example",)) == "coder@clinic.example"          # not allowed: From
    assert to(("team@clinic.example", "harvest@evil.example")) == "coder@clinic.example"
    assert to(("team@clinic.example", "desk@clinic.example")) == "coder@clinic.example"   # one address only
    assert to(("team@clinic.example",), allowed=()) == "coder@clinic.example"   # everyone allowed: From
    assert to(("x@y\r\nBcc: evil@attacker.example",)) == "coder@clinic.example"


def test_no_re_re() -> None:
    assert reply_subject("Re: RE: AW: colostomy") == "Re: colostomy"
    assert reply_subject("Re[2]: colostomy") == "Re: colostomy"
    assert reply_subject("") == "Re: your coding question"
    assert reply_subject("Fwd: colostomy") == "Re: Fwd: colostomy"


def test_no_crlf_injection_and_long_subject_folded() -> None:
    evil = "question\r\nBcc: victim@attacker.example\r\n\r\nbody" + " very long words" * 40
    c = case(subject=evil, message_id="<q1@clinic.example>\r\nBcc: x@y.example",
             references=("<a@b>\r\nX-Evil: 1",))
    raw = compose_reply(c, Rendered(), from_addr="b@bot.example", now=NOW, msgid="<r1@bot.example>").as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        assert len(line) <= 998
        assert not line.lower().startswith((b"bcc:", b"x-evil:"))
    assert b"\n" not in head.replace(b"\r\n", b"")              # only CRLF line ends
    m = message_from_bytes(raw, policy=policy.default)
    assert m["Bcc"] is None and "In-Reply-To" not in m and "References" not in m
    assert m["Subject"].startswith("Re: question Bcc: victim@attacker.example body")
    assert any(line.startswith(b" ") for line in head.split(b"\r\n"))      # the long subject is folded


@given(st.text(max_size=200))
def test_subject_never_breaks_headers(subject: str) -> None:
    raw = compose_reply(case(subject=subject), Rendered(), from_addr="b@bot.example",
                        now=NOW, msgid="<r1@bot.example>").as_bytes()
    m = message_from_bytes(raw, policy=policy.default)
    assert m["Subject"].startswith("Re:")
    assert not m.defects
    assert [k for k in m if k.lower() in ("bcc", "cc")] == []


def test_deterministic_with_clock_and_msgid() -> None:
    now = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
    m = compose_reply(case(), Rendered(), from_addr="b@bot.example", now=now, msgid="<fixed@bot.example>")
    assert m["Message-ID"] == "<fixed@bot.example>" and m["Date"] == "Wed, 18 Nov 2026 09:30:00 +0000"


def test_escalation_attaches_original() -> None:
    raw = (b"From: coder@clinic.example\r\nTo: consult@bot.example\r\nSubject: RE: hard case\r\n"
           b"Message-ID: <q1@clinic.example>\r\n\r\nCPT 44320 with 44140?\r\n")
    c = case(subject="RE: hard case")
    m = parsed(compose_escalation(c, raw, Rendered(), from_addr="b@bot.example", to_addr="lead@clinic.example",
                                  now=NOW, msgid="<r1@bot.example>"))
    assert m["To"] == "lead@clinic.example" and m["Subject"] == "[Consult for a coder] hard case"
    assert m["Auto-Submitted"] == "auto-generated" and m["X-Consult-Message-ID"] == "<q1@clinic.example>"
    body = m.get_body(("plain",)).get_content()
    assert "partial" in body and "NCCI: 44140 and 44320 bundle." in body
    (att,) = list(m.iter_attachments())
    assert att.get_content_type() == "message/rfc822"
    inner = att.get_content()
    assert inner["Message-ID"] == "<q1@clinic.example>" and "CPT 44320 with 44140?" in inner.get_content()


# -- the faster build gives the message the email package's content manager builds ------------
_TEXTS = st.text(alphabet=st.sampled_from("ab =\t\n\r…éx~<>.\x00\x7f"), max_size=400)


@given(_TEXTS)
def test_encodings_equal_the_standard_library(text: str) -> None:
    from email import quoprimime
    from email.contentmanager import _encode_base64  # type: ignore[attr-defined]

    from consultant.mail.encodings import base64_lines, quoted_printable

    lines = text.encode("utf-8").splitlines()
    for width in (76, 78):
        assert quoted_printable(text, width) == quoprimime.body_encode(
            (b"\n".join(lines) + b"\n").decode("latin-1"), width)
        assert base64_lines(text, "\r\n", width) == _encode_base64(b"\r\n".join(lines) + b"\r\n", width)


def _as_the_email_package_builds_it(c: Case, rendered: Rendered, msgid: str) -> object:
    """The reply built the plain way: set_content, add_alternative, set_boundary."""
    import hashlib
    from email.message import EmailMessage

    from consultant.mail import policies
    from consultant.mail.compose import reply_recipients, safe_msgid
    from consultant.mail.compose import reply_subject as subject_of

    msg = EmailMessage(policy=policies.SMTP)
    msg["From"] = "consult@bot.example"
    msg["To"] = ", ".join(reply_recipients(c))
    msg["Subject"] = subject_of(c.subject)
    msg["Date"] = "Tue, 24 Nov 2026 09:00:00 +0000"
    msg["Message-ID"] = msgid
    msg["In-Reply-To"] = safe_msgid(c.message_id)
    msg["References"] = safe_msgid(c.message_id)
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(rendered.text, cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", cte="base64")
    digits = int.from_bytes(hashlib.sha256(msgid.encode()).digest()[:8], "big") % 10**19
    msg.set_boundary(f"{'=' * 15}{digits:019d}==")
    return msg


def _state(m) -> object:   # type: ignore[no-untyped-def]
    """Everything a message object holds, header objects by type, name and value."""
    d = dict(vars(m))
    d["_headers"] = [(n, type(v).__name__, str(v), len(v.defects)) for n, v in m._headers]
    if isinstance(m._payload, list):
        d["_payload"] = [_state(p) for p in m._payload]
    return d


@given(_TEXTS, _TEXTS, st.text(max_size=120))
def test_reply_is_the_message_the_content_manager_builds(text: str, html: str, subject: str) -> None:
    c = case(subject=subject)
    msgid = "<r1@bot.example>"
    mine = compose_reply(c, Rendered(text, html), from_addr="consult@bot.example", now=NOW, msgid=msgid)
    plain = _as_the_email_package_builds_it(c, Rendered(text, html), msgid)
    assert _state(mine) == _state(plain)
    assert mine.as_bytes() == plain.as_bytes()        # type: ignore[attr-defined]
    utf8 = policy.SMTPUTF8.clone(linesep="\n")
    assert mine.as_bytes(policy=utf8) == plain.as_bytes(policy=utf8)   # type: ignore[attr-defined]


@given(st.one_of(st.text(alphabet="abZ09_+-.@", max_size=24),
                 st.from_regex(r"[a-z0-9_+-]{1,4}(\.[a-z0-9_+-]{1,4}){0,2}@[a-z0-9-]{1,4}(\.[a-z0-9-]{1,4}){0,2}",
                               fullmatch=True)))
def test_plain_addresses_are_safe_as_the_parser_says(value: str) -> None:
    """`safe_address` reads a plain dot-atom address without the parser: the same answer."""
    from email.headerregistry import Address

    from consultant.mail.compose import safe_address

    try:
        addr = Address(addr_spec=value)
        expected = addr.addr_spec if addr.username and addr.domain and "." in addr.domain else None
    except Exception:  # noqa: BLE001 - the parser's refusals
        expected = None
    assert safe_address(value) == expected
