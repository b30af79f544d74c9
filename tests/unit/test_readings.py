"""Readings of words no title spells out: levels, tumour morphology, brackets (pure)."""

from __future__ import annotations

import pytest

from consultant.analysis.clinical import readings


@pytest.mark.parametrize(("words", "expected"), [
    ("magnesium - low", [(0, 2, "hypomagnesemia")]),
    ("elevated serum calcium", [(2, 0, "hypercalcemia")]),
    ("blood sugar is high", [(1, 3, "hyperglycemia")]),
    ("low white blood cell count", [(1, 0, "leukopenia")]),
    ("platelets decreased", [(0, 1, "thrombocytopenia")]),
])
def test_a_level_of_an_analyte_reads_as_the_condition(words: str, expected: list[tuple[int, int, str]]) -> None:
    assert readings.level_readings(words.split()) == expected


@pytest.mark.parametrize("words", [
    "magnesium citrate given",          # no level said
    "high fever and low mood",          # levels, but of no analyte
    "white patches on the tongue are low",   # 'white' is no blood count here
    "potassium chloride was started and the patient went home feeling low",   # too far apart
])
def test_no_level_without_an_analyte_and_a_direction_close_by(words: str) -> None:
    assert readings.level_readings(words.split()) == []


@pytest.mark.parametrize(("word", "expected"), [
    ("fibrosarcoma", "malignant neoplasm connective soft tissue"),
    ("rhabdomyoma", "benign neoplasm connective soft tissue"),
    ("hidradenoma", "benign neoplasm skin"),
    ("neurilemmoma", "benign neoplasm peripheral nerve"),
    ("chondroblastoma", "benign neoplasm bone articular cartilage"),
    ("osteosarcoma", "malignant neoplasm bone articular cartilage"),
])
def test_morphology_gives_behaviour_and_tissue(word: str, expected: str) -> None:
    assert readings.morphology(word) == expected


@pytest.mark.parametrize("word", ["hematoma", "glaucoma", "granuloma", "xanthoma", "coma", "stoma", "sarcoma"])
def test_words_ending_in_oma_that_are_no_tumour_of_a_known_tissue(word: str) -> None:
    assert readings.morphology(word) is None


def test_initials_in_brackets_are_told_from_a_second_name() -> None:
    assert readings.brackets("Diabetic ketoacidosis (DKA)") == ((23, 26), True)
    assert readings.brackets("Bronchopulmonary dysplasia (BPD)")[1] is True
    assert readings.brackets("Shortness of breath (dyspnea)") == ((21, 28), False)
    assert readings.brackets("No brackets here") is None
    assert readings.brackets("Two (a) brackets (b)") is None
    assert not readings.initialism("CLL", "Acute myeloid leukemia")
