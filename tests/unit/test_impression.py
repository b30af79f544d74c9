"""The conclusion of an interpreted diagnostic test read as confirmed diagnoses (OGCR IV.K)."""

from __future__ import annotations

from datetime import date

import pytest

from consultant.analysis.clinical.impression import impression_phrases


@pytest.mark.parametrize(("text", "phrases"), [
    ("CT A/P with contrast for RLQ pain, r/o appendicitis.\nImpression: acute appendicitis.\nWe billed 74177.",
     ("acute appendicitis",)),
    ("CXR: Impression: 1) RLL pneumonia 2) small effusion. No pneumothorax.", ("RLL pneumonia", "small effusion")),
    ("MRI R knee. IMPRESSION: No acute fracture. Complex tear of the medial meniscus, posterior horn.",
     ("Complex tear of the medial meniscus, posterior horn",)),
    ("Colonoscopy. Path dx: tubular adenoma; no dysplasia", ("tubular adenoma",)),
])
def test_the_confirmed_findings_of_a_reports_conclusion(text: str, phrases: tuple[str, ...]) -> None:
    assert impression_phrases(text) == phrases


@pytest.mark.parametrize("text", [
    "Office visit for cough. Diagnosis: acute bronchitis.",                # no interpreted test
    "CT head. Impression: no acute intracranial process.",                 # negative
    "CXR. Impression: probable early pneumonia versus atelectasis.",        # still uncertain
])
def test_no_confirmed_finding(text: str) -> None:
    assert impression_phrases(text) == ()


def test_the_report_confirms_what_the_order_called_uncertain(full_book) -> None:  # type: ignore[no-untyped-def]
    from consultant.analysis.consult import analyze
    from consultant.analysis.suggest import SuggestIndex

    text = ("Radiology DOS 11/10/2026: CT abdomen and pelvis with contrast for RLQ pain, r/o appendicitis.\n"
            "Impression: acute uncomplicated appendicitis.\nWe billed 74177-26, dx R10.31. Which dx?")
    f = analyze(text, full_book, SuggestIndex.load(full_book), today=date(2026, 11, 24))
    first = f.suggestions[0]
    assert first.code.startswith("K35") and first.status == "current" and "IV.K" in first.reason
    assert not any(s.code == "K37" for s in f.suggestions)
    assert not any(i.kind == "uncertain_dx" for i in f.issues)
    assert any(i.codes == ("R10.31", first.code) for i in f.issues)      # the symptom is not coded beside it
