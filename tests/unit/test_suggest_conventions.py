"""Each ICD-10-CM convention the suggester applies after matching, alone: one test per rule
of `conventions.RUNNING_TEXT_RULES` / `PHRASE_RULES` (the last test checks that every rule
has one), on the full knowledge base."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from consultant.analysis.clinical import context as ctx
from consultant.analysis.findings import Suggestion
from consultant.analysis.suggest import PHRASE_RULES, RUNNING_TEXT_RULES, CaseFacts, SuggestIndex
from consultant.analysis.suggest import conventions as cv
from consultant.kb.store import CodeBook

ON = date(2026, 5, 1)


@pytest.fixture(scope="module")
def index(full_kb_path: Path):  # type: ignore[no-untyped-def]
    book = CodeBook.open(full_kb_path)
    yield SuggestIndex.load(book)
    book.close()


def sug(code: str, text: str, words: str, system: str = "ICD10CM", status: str = "current") -> Suggestion:
    at = text.find(words)
    return Suggestion(system, code, f"title of {code}", 0.9, (at, at + len(words)), words, "matched", status=status)


def facts(index: SuggestIndex, text: str, out: list[Suggestion]) -> CaseFacts:
    return CaseFacts(text, index, ON, tuple(ctx.scopes(text)), tuple(ctx.sentences(text)),
                     frozenset((s.system, s.code) for s in out), frozenset(s.code for s in out if cv.current(s)))


def codes(applied: cv.Applied) -> list[str]:
    return [s.code for s in applied.suggestions]


def test_diabetes_type(index: SuggestIndex) -> None:
    text = "Diabetes mellitus, on diet."
    out = [sug("E13.9", text, "Diabetes mellitus")]
    assert codes(cv.diabetes_type(out, facts(index, text, out))) == ["E11.9"]
    secondary = "Steroid induced diabetes mellitus."
    out = [sug("E09.9", secondary, "diabetes mellitus")]
    assert codes(cv.diabetes_type(out, facts(index, secondary, out))) == ["E09.9"]


def test_diabetes_combinations(index: SuggestIndex) -> None:
    text = "Type 2 diabetes. Diabetic polyneuropathy of both feet."
    out = [sug("E11.9", text, "Type 2 diabetes")]
    applied = cv.diabetes_combinations(out, facts(index, text, out))
    assert codes(applied) == ["E11.42"] and not applied.gaps
    untyped = "Diabetes with no complications."
    out = [sug("E11.9", untyped, "Diabetes")]
    applied = cv.diabetes_combinations(out, facts(index, untyped, out))
    assert codes(applied) == ["E11.9"] and "Which type of diabetes" in applied.gaps[0].question


def test_ckd_stage(index: SuggestIndex) -> None:
    text = "Type 2 diabetes with CKD stage 3a."
    out = [sug("E11.22", text, "Type 2 diabetes with CKD")]
    applied = cv.ckd_stage(out, facts(index, text, out))
    assert codes(applied) == ["E11.22", "N18.31"] and not applied.gaps
    text = "Hypertensive chronic kidney disease."
    out = [sug("I12.9", text, "Hypertensive chronic kidney disease")]
    applied = cv.ckd_stage(out, facts(index, text, out))
    assert codes(applied) == ["I12.9", "N18.9"] and "stage of the chronic kidney disease" in applied.gaps[0].question
    text = "No chronic kidney disease. Hypertension."
    out = [sug("I10", text, "Hypertension")]
    assert codes(cv.ckd_stage(out, facts(index, text, out))) == ["I10"]


def test_hypertension_combinations(index: SuggestIndex) -> None:
    text = "Hypertension. Heart failure."
    out = [sug("I10", text, "Hypertension"), sug("I50.9", text, "Heart failure")]
    applied = cv.hypertension_combinations(out, facts(index, text, out))
    assert codes(applied) == ["I11.0", "I50.9"]
    text = "Hypertension. Heart failure. CKD stage 4."
    out = [sug("I10", text, "Hypertension")]
    assert codes(cv.hypertension_combinations(out, facts(index, text, out))) == ["I12.9"]   # CKD, no HF code
    out = [sug("I10", text, "Hypertension"), sug("I50.9", text, "Heart failure")]
    assert codes(cv.hypertension_combinations(out, facts(index, text, out)))[0] == "I13.0"


def test_heart_failure_detail(index: SuggestIndex) -> None:
    text = "Heart failure."
    out = [sug("I50.9", text, "Heart failure")]
    assert "acute, chronic or acute on chronic" in cv.heart_failure_detail(out, facts(index, text, out)).gaps[0].question
    out = [sug("I50.22", text, "Heart failure")]
    assert not cv.heart_failure_detail(out, facts(index, text, out)).gaps


def test_long_term_drugs(index: SuggestIndex) -> None:
    text = "Type 2 diabetes. Takes metformin 500 mg twice a day."
    out = [sug("E11.9", text, "Type 2 diabetes")]
    applied = cv.long_term_drugs(out, facts(index, text, out))
    assert codes(applied) == ["E11.9", "Z79.84"] and applied.suggestions[1].status == "status"
    text = "No insulin. Type 2 diabetes."
    assert codes(cv.long_term_drugs([], facts(index, text, []))) == []


def test_office_visit(index: SuggestIndex) -> None:
    text = "Established patient office visit for hypertension."
    applied = cv.office_visit([], facts(index, text, []))
    assert codes(applied) == ["99213"] and "level of medical decision making" in applied.gaps[0].question
    out = [sug("99214", text, "office visit", system="CPT")]
    assert codes(cv.office_visit(out, facts(index, text, out))) == ["99214"]


def test_specific_over_unspecified(index: SuggestIndex) -> None:
    text = "Carcinoma. Renal cell carcinoma of the right kidney."
    out = [sug("C80.1", text, "Carcinoma"), sug("C64.1", text, "Renal cell carcinoma")]
    assert codes(cv.specific_over_unspecified(out, facts(index, text, out))) == ["C64.1"]


def test_supports(index: SuggestIndex) -> None:
    text = "Gallstones. Laparoscopic cholecystectomy done."
    out = [sug("K80.20", text, "Gallstones"), sug("47562", text, "Laparoscopic cholecystectomy", system="CPT")]
    applied = cv.supports(out, facts(index, text, out))
    assert applied.suggestions[1].supports == ("K80.20",) and not applied.issues
    alone = [sug("47562", text, "Laparoscopic cholecystectomy", system="CPT")]
    assert cv.supports(alone, facts(index, text, alone)).issues[0].kind == "medical_necessity"


def test_every_rule_is_named_documented_and_tested() -> None:
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    for rule in (*RUNNING_TEXT_RULES, *PHRASE_RULES):
        assert rule.__doc__, f"rule {rule.__name__} needs a docstring that says why"
        assert rule.__name__ in tested, f"rule {rule.__name__} needs its own test_{rule.__name__}"
