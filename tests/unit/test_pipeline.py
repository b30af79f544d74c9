"""The pure core end to end: raw bytes in, Skip or Answer out, on the full knowledge base."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.message import EmailMessage

import pytest

from consultant.analysis.suggest import SuggestIndex
from consultant.mail.stamps import numbered_ids
from consultant.pipeline import Answer, ConsultSettings, Skip, consult

BOT = "consult@clinic.example"


def raw_mail(body: str, *, attachment: tuple[str, str, bytes] | None = None, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "Coder <coder@clinic.example>")
    msg["To"] = BOT
    msg["Subject"] = headers.pop("Subject", "case")
    msg["Message-ID"] = "<case-1@clinic.example>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    if attachment:
        ctype, name, data = attachment
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def index(full_book):  # type: ignore[no-untyped-def]
    return SuggestIndex.load(full_book)


def run(raw: bytes, book, index, **settings) -> Skip | Answer:  # type: ignore[no-untyped-def]
    return consult(
        raw, book=book, index=index, settings=ConsultSettings(bot_address=BOT, **settings),
        today=date(2026, 11, 24), now=NOW, message_ids=numbered_ids("bot.example"),
    )


def test_a_case_with_codes_is_answered_in_the_thread(full_book, index) -> None:  # type: ignore[no-untyped-def]
    out = run(raw_mail("Can I bill 44320 with 44140? Dx C18.7, DOS 11/18/2026."), full_book, index)
    assert isinstance(out, Answer)
    assert out.reply["In-Reply-To"] == "<case-1@clinic.example>"
    assert {v.code for v in out.findings.codes} == {"44320", "44140", "C18.7"}


def test_mail_with_nothing_to_code_is_skipped_with_a_reason(full_book, index) -> None:  # type: ignore[no-untyped-def]
    out = run(raw_mail("Thanks a lot, see you at lunch tomorrow."), full_book, index)
    assert isinstance(out, Skip) and out.reason.startswith("no coding question")


def test_an_unreadable_document_is_answered_not_skipped(full_book, index) -> None:  # type: ignore[no-untyped-def]
    scanned = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    out = run(raw_mail("See attached.", attachment=("application/pdf", "note.pdf", scanned)), full_book, index)
    assert isinstance(out, Answer)
    assert out.findings.notes, "the reply must say the attachment was not read"


def test_a_payer_question_without_codes_is_escalated(full_book, index) -> None:  # type: ignore[no-untyped-def]
    out = run(raw_mail("Will Aetna need prior authorization for this?"), full_book, index,
              escalation_address="lead@clinic.example")
    assert isinstance(out, Answer) and out.findings.escalate
    assert out.escalation is not None and out.escalation["To"] == "lead@clinic.example"


def test_escalation_without_an_address_does_not_claim_forwarding(full_book, index) -> None:  # type: ignore[no-untyped-def]
    out = run(raw_mail("Will Aetna need prior authorization for this?"), full_book, index)
    assert isinstance(out, Answer) and out.escalation is None
    text = out.reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Forwarded to a human coder" not in text and "human coder" in text


def test_required_authentication_refuses_a_forged_sender(full_book, index) -> None:  # type: ignore[no-untyped-def]
    def received(value: str) -> bytes:      # the receiving server PREPENDS its result
        return f"Authentication-Results: {value}\r\n".encode() + raw_mail("Can I bill 44320 with 44140?")

    auth = {"require_authentication": True, "authserv_id": "mx.clinic.example"}
    out = run(received("mx.clinic.example; dmarc=fail header.from=clinic.example"), full_book, index, **auth)
    assert isinstance(out, Skip) and "not authenticated" in out.reason
    ok = received("mx.clinic.example; dmarc=pass header.from=clinic.example")
    assert isinstance(run(ok, full_book, index, **auth), Answer)
    # the same 'pass' written by the sender among its own headers (the server added none): forged
    forged = raw_mail("Can I bill 44320 with 44140?",
                      Authentication_Results="mx.clinic.example; dmarc=pass header.from=clinic.example")
    out = run(forged, full_book, index, **auth)
    assert isinstance(out, Skip) and "forged" in out.reason


def test_the_care_setting_decides_an_uncertain_diagnosis(full_book, index) -> None:  # type: ignore[no-untyped-def]
    raw = raw_mail("Admitted with fever and cough. Probable pneumonia. What do I code?")
    outpatient = run(raw, full_book, index)
    inpatient = run(raw, full_book, index, setting="inpatient")
    assert isinstance(outpatient, Answer) and isinstance(inpatient, Answer)
    current = [s.code for s in outpatient.findings.suggestions if s.status == "current"]
    assert not any(c.startswith("J18") for c in current)
    assert any(s.code.startswith("J18") and s.status == "current" for s in inpatient.findings.suggestions)


def test_the_same_mail_gives_the_same_reply_bytes(full_book, index) -> None:  # type: ignore[no-untyped-def]
    """The clock and the Message-IDs are passed in: nothing in the reply depends on when or
    how often it is composed."""
    raw = raw_mail("Type 2 diabetes with CKD stage 3a and hypertension. 99213. DOS 11/18/2026.")
    first, again = run(raw, full_book, index), run(raw, full_book, index)
    assert isinstance(first, Answer) and isinstance(again, Answer)
    assert first.reply.as_bytes() == again.reply.as_bytes()
    assert first.reply["Message-ID"] == "<consult.1@bot.example>"
    assert first.reply["Date"] == "Tue, 24 Nov 2026 09:00:00 +0000"
    later = consult(raw, book=full_book, index=index, settings=ConsultSettings(bot_address=BOT),
                    today=date(2026, 11, 24), now=datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
                    message_ids=numbered_ids("bot.example", "other"))
    assert isinstance(later, Answer) and later.reply.as_bytes() != first.reply.as_bytes()


def test_vaccines_named_by_brand_are_answered_not_read_as_the_disease(full_book, index) -> None:  # type: ignore[no-untyped-def]
    body = ("Nurse visit 11/20/26, 67 yo Medicare patient: high-dose flu shot (Fluzone) and "
            "Prevnar 20 given in the deltoids. Which admin codes and dx?")
    out = run(raw_mail(body), full_book, index)
    assert isinstance(out, Answer)
    suggested = {s.code for s in out.findings.suggestions}
    assert "Z23" in suggested
    assert not any(c.startswith(("J10", "J11", "J18")) for c in suggested)
    assert not out.findings.escalate


def test_a_word_of_timing_alone_names_no_procedure(full_book, index) -> None:  # type: ignore[no-untyped-def]
    body = "R shoulder MRI shows a full-thickness rotator cuff tear; repair is planned and scheduled for 12/02/26."
    out = run(raw_mail(body), full_book, index)
    assert isinstance(out, Answer)
    assert not any(s.phrase.lower() in ("planned", "scheduled") for s in out.findings.suggestions)
