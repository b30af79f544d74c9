"""The procedure block of the reply: corrections read as corrections, in text and HTML."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from consultant.analysis.findings import Findings
from consultant.analysis.procedures import review_procedures
from consultant.analysis.procedures.model import Correction
from consultant.codes.extract import extract_codes
from consultant.render import render_reply

HARTMANN = ("DOS 10/12/26. Sigmoid colectomy, end colostomy, rectal stump stapled closed (Hartmann). "
            "Billed 44140 + 44320 + 49020.")


def _findings(text: str) -> Findings:
    review = review_procedures(text, extract_codes(text), on=date(2026, 10, 12))
    return Findings(date_of_service=date(2026, 10, 12), date_source="email: DOS 10/12/26", codes=(),
                    suggestions=(), issues=(), gaps=review.gaps, releases=(), procedures=review)


def test_reply_names_the_replacement_and_flags_the_replaced_codes() -> None:
    reply = render_reply(_findings(HARTMANN), subject="Re: Hartmann")
    text = " ".join(reply.text.split())
    assert "PROCEDURE CODES FROM THE NOTE" in reply.text
    assert "44140 + 44320 -> use 44143 instead (do not use 44140 + 44320 as written)" in text
    assert "49020: included in 44143, not separately reportable" in text
    assert "Not checked: Fee-schedule indicators" in text
    assert "44140 + 44320 -&gt; use 44143" in reply.html
    assert 'id="procedures"' in reply.html


def test_reply_has_no_procedure_block_without_procedures() -> None:
    reply = render_reply(_findings("Is E11.9 valid?"), subject="Re: dx")
    assert "PROCEDURE CODES" not in reply.text
    assert 'id="procedures"' not in reply.html


def test_questions_for_the_physician_include_the_missing_deciding_fact() -> None:
    reply = render_reply(_findings("Robotic ventral hernia repair, reducible, mesh placed. Code?"), subject="Re: hernia")
    assert "QUESTIONS FOR THE PHYSICIAN" in reply.text
    assert "defect size" in reply.text


def test_a_fee_schedule_remark_is_a_note_not_a_check_that_did_not_run() -> None:
    from consultant.analysis.procedures.model import ProcedureReview
    from consultant.analysis.procedures.view import procedure_view

    review = ProcedureReview(lines=(), corrections=(), unchecked=(
        "99024: bundled status (B) on the fee schedule: not paid separately by Medicare.",
        "Fee-schedule indicators (global days) could not be checked for 25600: no release covers them."))
    view = procedure_view(replace(review, corrections=(Correction("replaced", ("99213",), ("99024",), "w", "s", "f"),)))
    assert [r["label"] for r in view["remarks"]] == ["Note", "Not checked"]
