"""The whole analysis on the default knowledge base: the demo question answered at the top,
what was not checked said, escalation by meaning, the coverage list in `answer --json`."""

from __future__ import annotations

from datetime import date

import pytest

from consultant.analysis.consult import analyze
from consultant.commands.answer import analysis_json
from consultant.codes.extract import extract_codes
from consultant.render import render_reply

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def index(full_book):  # type: ignore[no-untyped-def]
    from consultant.analysis.suggest import SuggestIndex

    return SuggestIndex.load(full_book)


def test_demo_question_is_answered_first_and_says_what_was_not_checked(full_book, index) -> None:  # type: ignore[no-untyped-def]
    text = ("Wound clinic: subcutaneous debridement (11042) and selective debridement (97597) "
            "of another ulcer the same day. Can I bill 11042 with 97597? DOS 11/16/2026")
    f = analyze(text, full_book, index, today=TODAY)
    reply = render_reply(f, subject="can I bill 11042 with 97597?").text
    top = reply.index("YOUR QUESTION")
    assert top < reply.index("\nNOT CHECKED\n") < reply.index("CODES IN YOUR MESSAGE")
    assert "Q: can 11042 be billed with 97597?" in reply
    assert "no NCCI PTP table is loaded" in " ".join(reply[top:reply.index("CODES IN YOUR MESSAGE")].split())
    assert "0 warnings" not in reply.splitlines()[0]
    data = analysis_json(f, extract_codes(text))
    ptp = next(c for c in data["checks"] if c["name"] == "ncci_ptp")
    assert ptp["ran"] is False and "NCCI PTP" in ptp["reason"]
    assert data["answers"][0]["kind"] == "bundling"


def test_payment_driven_request_is_escalated_with_the_guideline_and_never_helped(full_book, index) -> None:  # type: ignore[no-untyped-def]
    text = ("The B12 level 82607 keeps getting denied with fatigue R53.83. Which diagnosis code "
            "would get it paid? Maybe D51.9? The doctor did not document a deficiency.")
    f = analyze(text, full_book, index, today=TODAY)
    assert f.escalate
    assert any("query the provider" in r for r in f.escalation_reasons)
    flagged = {i.codes[0] for i in f.issues if i.kind == "documentation"}
    assert "D51.9" in flagged


def test_rule_out_in_an_answer_is_not_coded_as_established(full_book, index) -> None:  # type: ignore[no-untyped-def]
    text = "Office visit, cough for 3 weeks, r/o pneumonia, CXR ordered. What dx codes?"
    f = analyze(text, full_book, index, today=TODAY)
    assert all(s.status != "current" for s in f.suggestions if s.code.startswith("J18"))


def test_a_corrected_code_gets_its_correction_not_also_not_verified(full_book, index) -> None:  # type: ignore[no-untyped-def]
    """49560 (deleted in 2023) is said to be deleted, with what replaces it; a 'not verified'
    warning beside it would contradict that. A CPT code nobody corrects keeps the warning."""
    text = ("Open repair of an initial incisional hernia, 4 cm defect, reducible, mesh placed. "
            "Billed 49560 and 49568; also 64999 for a nerve block. DOS 10/02/2026")
    f = analyze(text, full_book, index, today=TODAY)
    not_verified = {i.codes[0] for i in f.issues if i.kind == "not_verified"}
    corrected = {c for fix in f.procedures.corrections for c in fix.codes}
    assert {"49560", "49568"} <= corrected and not ({"49560", "49568"} & not_verified)
    assert "64999" in not_verified


def test_can_i_bill_the_pair_is_answered_by_the_procedure_review_when_it_replaces_it(full_book, index) -> None:  # type: ignore[no-untyped-def]
    """A Hartmann written as 44140 + 44320: the answer at the top is 'No: 44143', not only what
    the (missing) PTP table could have said; the colostomy is not also listed as billable."""
    text = ("DOS 11/12/2026. Perforated sigmoid diverticulitis, Hartmann procedure: sigmoid resection, "
            "end colostomy, rectal stump closed. Can I bill 44320 with 44140?")
    f = analyze(text, full_book, index, today=TODAY)
    (a,) = [x for x in f.answers if x.kind == "bundling"]
    assert a.answer.startswith("No: for this note, 44140 + 44320") and "44143" in a.answer and a.settled
    assert [ln.code for ln in f.procedures.lines] == ["44143"]


def test_a_screening_colonoscopy_reply_has_no_word_match_beside_the_review_and_one_modifier_answer(  # type: ignore[no-untyped-def]
        full_book, index) -> None:
    text = ("Medicare screening colonoscopy DOS 11/20/2026, polyp found and removed by snare. We coded "
            "45385, Z12.11, K63.5. Do we need modifier PT?")
    f = analyze(text, full_book, index, today=TODAY)
    assert "colonoscopy" in f.procedures.families
    assert not any(s.code.startswith("453") for s in f.suggestions)      # no 45378 beside the review's 45385
    assert [a.question for a in f.answers if "modifier" in a.question] == [
        "screening that became therapeutic: which modifier?"]
