"""Sample cases whose replies the rendering tests look at, shared by the text check
(tests/unit/test_render_text.py) and the browser check (tests/integration/test_reply_browser.py):
each goes through the whole pure pipeline on the full knowledge base."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage

from consultant.analysis.findings import WARNING, DocumentationGap, Findings, Issue
from consultant.analysis.suggest import SuggestIndex
from consultant.kb.store import CodeBook
from consultant.mail.stamps import numbered_ids
from consultant.pipeline import Answer, ConsultSettings, consult
from consultant.render import render_reply

BOT = "consult@clinic.example"
# a 200-character address and a code-like run with no break opportunity in either
URL = "https://payer.example.org/policies/colorectal/" + "a" * 100 + "/" + "b" * 53
assert len(URL) == 200
CODELIKE = "S06816D" * 12 + "X" * 16
LONG_TITLE_CODES = ("S06.816D", "S06.81", "S06.826A")

# name -> (subject, body, escalation address)
CASES: dict[str, tuple[str, str, str | None]] = {
    "loop-colostomy": (
        "Can I bill 44320 with 44140?",
        (
            "Can I bill 44320 with 44140? Sigmoid colectomy with end-to-end anastomosis and a "
            "loop colostomy. Dx C18.7 and K56.69. Also 99213-25 for the visit the same day. "
            "DOS 11/18/2026."
        ),
        None,
    ),
    "em-plain-words": (
        "Office visit",
        (
            "Established patient office visit. Type 2 diabetes with diabetic chronic kidney "
            "disease stage 3, and hypertension. DOS 11/18/2026."
        ),
        None,
    ),
    "long-token": (
        f"Re: policy {URL}",
        (
            f"Payer policy at {URL} for this one. Head injury follow-up: S06.816D, S06.81 and "
            f"S06.826A. Reference {CODELIKE}. DOS 11/18/2026."
        ),
        None,
    ),
    "escalated": (
        "Medicare coverage?",
        "Will Medicare cover 97110 for this patient? Can we appeal the denial? DOS 11/18/2026.",
        "lead@clinic.example",
    ),
}


def raw_mail(subject: str, body: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Coder <coder@clinic.example>"
    msg["To"] = BOT
    msg["Subject"] = subject
    msg["Message-ID"] = "<case-text@clinic.example>"
    msg.set_content(body)
    return msg.as_bytes()


def with_long_tokens(f: Findings) -> Findings:
    """The same findings with the 200-character tokens in every field a template prints whole
    (the pipeline cuts evidence to a phrase today; the templates must hold without that)."""
    first = dataclasses.replace(f.codes[0], title=f"{f.codes[0].title} {URL}")
    return dataclasses.replace(
        f,
        codes=(first, *f.codes[1:]),
        issues=(
            *f.issues,
            Issue(
                WARNING,
                "policy",
                (f.codes[0].code,),
                f"See {URL} before billing.",
                CODELIKE,
            ),
        ),
        gaps=(*f.gaps, DocumentationGap(CODELIKE, f"Is {CODELIKE} the device?")),
        notes=(*f.notes, f"not read: application/{CODELIKE}"),
    )



@dataclass(frozen=True)
class SampleReply:
    findings: Findings
    text: str        # the text/plain part as a mail client shows it
    html: str        # the text/html part


def sample_replies(book: CodeBook) -> dict[str, SampleReply]:
    """name -> the composed reply of each case, plus 'long-token-stress': the long-token
    findings with 200-character tokens put into every field a template prints whole."""
    index = SuggestIndex.load(book)
    out: dict[str, SampleReply] = {}
    for name, (subject, body, escalation) in CASES.items():
        settings = ConsultSettings(bot_address=BOT, escalation_address=escalation)
        answer = consult(raw_mail(subject, body), book=book, index=index, settings=settings,
                         today=date(2026, 11, 24), now=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
                         message_ids=numbered_ids("bot.example"))
        assert isinstance(answer, Answer), f"{name}: {answer}"
        text, html = answer.reply.get_body(("plain",)), answer.reply.get_body(("html",))
        assert text is not None and html is not None, f"{name}: the reply lacks a text or HTML part"
        out[name] = SampleReply(answer.findings, text.get_content(), html.get_content())
    stress = with_long_tokens(out["long-token"].findings)
    rendered = render_reply(stress, subject=CASES["long-token"][0], forwarded=False)
    out["long-token-stress"] = SampleReply(stress, rendered.text, rendered.html)
    return out


NAMES = [*CASES, "long-token-stress"]
