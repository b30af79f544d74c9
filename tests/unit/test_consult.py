"""analyze(): date of service, merged mentions, suggestions, edits, releases and escalation.

The first tests replace extraction, lookup, suggestion and date finding with small fakes so
they test analyze's own decisions; the last ones run the real pieces on the full knowledge base.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any
from pathlib import Path

import pytest

from consultant.analysis import consult
from consultant.analysis.consult import (
    MAX_SUGGESTIONS,
    analyze,
    escalation_reasons,
    merge_mentions,
)
from consultant.analysis.findings import (
    ERROR,
    INFO,
    VALID,
    WARNING,
    CodeVerdict,
    DocumentationGap,
    Issue,
    ModifierVerdict,
    Suggestion,
)
from consultant.codes.mention import CPT, ICD10CM, Mention
from consultant.kb.store import SCHEMA_PATH, CodeBook

TODAY = date(2026, 11, 24)


@dataclass(frozen=True)
class FakeResult:
    suggestions: tuple[Suggestion, ...] = ()
    gaps: tuple[DocumentationGap, ...] = ()
    issues: tuple[Issue, ...] = ()


@pytest.fixture(scope="module")
def small_book(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path: Path = tmp_path_factory.mktemp("consult") / "kb.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_PATH.read_text())
    for name, kind, vf, vt in (
        ("icd-2026", "icd10cm_tabular", "2025-10-01", "2026-09-30"),
        ("icd-2027", "icd10cm_tabular", "2026-10-01", "2027-09-30"),
        ("hcpcs-2019", "hcpcs", "2019-01-01", "2019-12-31"),
        ("hcpcs-2018", "hcpcs", "2018-01-01", "2018-12-31"),
        ("starter-cpt", "starter_cpt", None, None),
    ):
        conn.execute(
            "INSERT INTO dataset VALUES (?, ?, ?, ?, ?, 'src', NULL, 1, '2026-11-01')",
            (name, kind, name, vf, vt),
        )
    conn.execute(
        "INSERT INTO code (system, code, title, billable, dataset, source) "
        "VALUES ('CPT', '44140', 'colon resection', 1, 'starter-cpt', 'starter: t')"
    )
    conn.commit()
    conn.close()
    book = CodeBook.open(path)
    yield book
    book.close()


class _FakeIndex:
    """A suggestion index (`ports.SuggestionIndex`) whose `suggest` is the fake of the
    running test (set by `fakes`)."""

    fake: Any = None

    def suggest(self, text: str, *, on: date, limit: int = 20, setting: str = "outpatient") -> Any:
        assert self.fake is not None, "use the `fakes` fixture"
        return self.fake(text, self, on=on, limit=limit, setting=setting)


INDEX = _FakeIndex()


@pytest.fixture()
def fakes(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Fake extract/judge/suggest/dates; tests set `state` to steer them and read `calls`."""
    state: dict = {"mentions": (), "result": FakeResult(), "date": None, "calls": []}

    def fake_extract(text: str) -> tuple[Mention, ...]:
        return state["mentions"]

    def fake_judge(mention: Mention, text: str, book: object, on: date) -> CodeVerdict:
        state["calls"].append((mention, on))
        return CodeVerdict(
            mention.system,
            mention.code,
            VALID,
            f"title {mention.code}",
            None,
            mention.raw,
            tuple(ModifierVerdict(m, f"m{m}") for m in mention.modifiers),
            mention.units,
        )

    def fake_suggest(
        text: str, index: object, *, on: date, limit: int = 20, setting: str = "outpatient"
    ) -> FakeResult:
        state["suggest_on"] = on
        state["suggest_setting"] = setting
        return state["result"]

    monkeypatch.setattr(consult, "extract_codes", fake_extract)
    monkeypatch.setattr(consult, "judge", fake_judge)
    monkeypatch.setattr(INDEX, "fake", fake_suggest)
    monkeypatch.setattr(consult, "find_date_of_service", lambda text: state["date"])
    return state


def m(
    system: str,
    code: str,
    start: int,
    mods: tuple[str, ...] = (),
    units: int | None = None,
) -> Mention:
    return Mention(system, code, code, start, start + len(code), mods, units)


def s(
    code: str, score: float, system: str = ICD10CM, status: str = "current"
) -> Suggestion:
    return Suggestion(
        system, code, f"title {code}", score, (0, 4), "words", "matched", status
    )


def test_date_of_service_from_the_email(fakes, small_book) -> None:  # type: ignore[no-untyped-def]
    fakes["date"] = (date(2026, 11, 18), "DOS 11/18/2026")
    fakes["mentions"] = (m(CPT, "44140", 0),)
    f = analyze("44140 DOS 11/18/2026", small_book, INDEX, today=TODAY)
    assert (
        f.date_of_service == date(2026, 11, 18)
        and f.date_source == "email: DOS 11/18/2026"
    )
    assert fakes["calls"][0][1] == date(2026, 11, 18) and fakes["suggest_on"] == date(
        2026, 11, 18
    )


def test_date_of_service_falls_back_to_today(fakes, small_book) -> None:  # type: ignore[no-untyped-def]
    fakes["mentions"] = (m(CPT, "44140", 0),)
    f = analyze("44140", small_book, INDEX, today=TODAY)
    assert (f.date_of_service, f.date_source) == (TODAY, "today")


def test_releases_are_those_for_the_date_of_service(fakes, small_book) -> None:  # type: ignore[no-untyped-def]
    fakes["mentions"] = (m(CPT, "44140", 0),)
    fakes["date"] = (date(2026, 9, 1), "DOS 9/1/2026")
    used = {r.dataset for r in analyze("x", small_book, INDEX, today=TODAY).releases}
    assert used == {
        "icd-2026",
        "starter-cpt",
        "hcpcs-2019",
    }  # hcpcs: newest held, not in force
    fakes["date"] = None
    used = {r.dataset for r in analyze("x", small_book, INDEX, today=TODAY).releases}
    assert used == {"icd-2027", "starter-cpt", "hcpcs-2019"}
    fakes["date"] = (date(2018, 6, 1), "DOS 6/1/2018")
    used = {r.dataset for r in analyze("x", small_book, INDEX, today=TODAY).releases}
    assert used == {"hcpcs-2018", "starter-cpt"}  # nothing of ICD began yet


def test_repeated_mentions_make_one_verdict_with_merged_modifiers_and_units(
    fakes, small_book
) -> None:  # type: ignore[no-untyped-def]
    fakes["mentions"] = (
        m(CPT, "99213", 0, ("25",)),
        m(ICD10CM, "C18.7", 10),
        m(CPT, "99213", 30, ("25", "59"), 2),
        m(CPT, "99213", 50, (), 1),
    )
    f = analyze("text", small_book, INDEX, today=TODAY)
    assert [(v.system, v.code) for v in f.codes] == [(CPT, "99213"), (ICD10CM, "C18.7")]
    assert [x.code for x in f.codes[0].modifiers] == ["25", "59"] and f.codes[
        0
    ].units == 2
    assert len(fakes["calls"]) == 2


def test_merge_mentions_keeps_first_position() -> None:
    merged = merge_mentions(
        [m(CPT, "44140", 40), m(CPT, "44320", 0), m(CPT, "44140", 80, ("59",))]
    )
    assert [(x.code, x.start, x.modifiers) for x in merged] == [
        ("44320", 0, ()),
        ("44140", 40, ("59",)),
    ]


def test_suggestions_drop_mentioned_codes_and_their_headings_and_are_capped(
    fakes, small_book
) -> None:  # type: ignore[no-untyped-def]
    fakes["mentions"] = (m(ICD10CM, "K56.69", 0), m(CPT, "44140", 10))
    many = tuple(s(f"L{n:02d}.9", 0.9 - n / 100) for n in range(40))   # no symptom codes (OGCR I.B.5 rule)
    fakes["result"] = FakeResult(
        suggestions=(
            s("K56.69", 0.99),
            s("K56.6", 0.95),
            s("44140", 0.9, CPT),
            s("C18.7", 0.97),
        )
        + many
    )
    f = analyze("text", small_book, INDEX, today=TODAY)
    codes = [x.code for x in f.suggestions]
    assert "K56.69" not in codes and "K56.6" not in codes and "44140" not in codes
    assert codes[0] == "C18.7" and len(codes) == MAX_SUGGESTIONS
    assert [x.score for x in f.suggestions] == sorted(
        (x.score for x in f.suggestions), reverse=True
    )


def test_suggestions_from_words_beside_a_named_code_and_other_em_levels_are_dropped(
    fakes, small_book
) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Dx: C18.7, K56.69 other intestinal obstruction. Office visit 99214.\n"
        "Later that week: small bowel obstruction again, and sigmoid colon cancer noted."
    )

    def at(code: str, phrase: str, system: str = ICD10CM) -> Suggestion:
        start = text.index(phrase)
        return Suggestion(
            system, code, "t", 0.9, (start, start + len(phrase)), phrase, "matched"
        )

    fakes["mentions"] = tuple(
        m(sys_, code, text.index(code))
        for sys_, code in ((ICD10CM, "C18.7"), (ICD10CM, "K56.69"), (CPT, "99214"))
    )
    fakes["result"] = FakeResult(
        suggestions=(
            at("K56.609", "intestinal obstruction"),  # the words beside K56.69: dropped
            at("K56.50", "small bowel obstruction"),  # said elsewhere: kept
            at("C18.9", "sigmoid colon cancer"),  # far from C18.7: kept
            at("99213", "Office visit", CPT),  # another E/M level: dropped
            at("I10", "intestinal obstruction"),  # other category: kept
        )
    )
    codes = {
        x.code for x in analyze(text, small_book, INDEX, today=TODAY).suggestions
    }
    assert codes == {"K56.50", "C18.9", "I10"}


def test_issues_from_suggest_and_edits_errors_first(fakes, small_book) -> None:  # type: ignore[no-untyped-def]
    fakes["mentions"] = (
        m(CPT, "44140", 0),
    )  # no diagnosis: the medical-necessity edit warns
    gap = DocumentationGap("obstruction", "Partial or complete?")
    fakes["result"] = FakeResult(
        gaps=(gap,),
        issues=(
            Issue(INFO, "uncertain_dx", ("K56.69",), "uncertain", "s"),
            Issue(ERROR, "uncertain_dx", ("R10.9",), "x", "s"),
        ),
    )
    f = analyze("text", small_book, INDEX, today=TODAY)
    assert [i.severity for i in f.issues] == [ERROR, WARNING, INFO]
    assert f.issues[1].kind == "medical_necessity"
    assert f.gaps == (gap,)


def test_nothing_found_escalates(fakes, small_book) -> None:  # type: ignore[no-untyped-def]
    fakes["result"] = FakeResult(suggestions=(s("R10.9", 0.2),))
    f = analyze("hello, can you help?", small_book, INDEX, today=TODAY)
    assert f.escalate and "names no code" in f.escalation_reasons[0]
    fakes["result"] = FakeResult(suggestions=(s("R10.9", 0.8),))
    assert not analyze("abdominal pain", small_book, INDEX, today=TODAY).escalate


def test_unreadable_attachment_and_unknown_codes_escalate(
    fakes, small_book, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    f = analyze(
        "see attached",
        small_book,
        INDEX,
        today=TODAY,
        notes=("scan.pdf: image only",),
    )
    assert f.escalate and "could not be read" in f.escalation_reasons[0]

    def unknown(mention: Mention, text: str, book: object, on: date) -> CodeVerdict:
        return CodeVerdict(
            mention.system, mention.code, "unknown", None, None, mention.raw
        )

    monkeypatch.setattr(consult, "judge", unknown)
    fakes["mentions"] = (m(ICD10CM, "Q99.X9", 0), m(CPT, "0999T", 10))
    f = analyze("Q99.X9 0999T", small_book, INDEX, today=TODAY)
    assert f.escalate and "none of the codes named" in f.escalation_reasons[0]
    fakes["result"] = FakeResult(suggestions=(s("R10.9", 0.9),))
    assert not analyze("Q99.X9 0999T", small_book, INDEX, today=TODAY).escalate


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Will Medicare cover 97110 for this patient?", "payer"),
        ("Does Aetna pay for 99213 and 20610 same day?", "payer"),
        ("Is this covered by UHC?", "payer"),
        ("What does the payer policy say about 64483?", "policy"),
        ("Do we need prior authorization for 27447?", "prior authorization"),
        ("The claim was denied, how do we appeal?", "appeal"),
        ("Is there an LCD for 64483?", "LCD/NCD"),
        ("Is it legal to bill both?", "legal"),
        ("Is 99215 medically necessary for Medicare here?", "medically necessary"),
    ],
)
def test_questions_the_bot_cannot_decide_escalate(
    fakes, small_book, text: str, word: str
) -> None:  # type: ignore[no-untyped-def]
    fakes["mentions"] = (m(CPT, "44140", 0),)
    f = analyze(text, small_book, INDEX, today=TODAY)
    assert f.escalate and any(word in r for r in f.escalation_reasons)


@pytest.mark.parametrize(
    "text",
    [
        "Can I bill 44320 with 44140?",
        "History of alcohol abuse, legal blindness, medication noncompliance.",
        "Patient has Medicare; 67 y/o male seen for follow-up.",
        "Pain appeared after the fall.",
    ],
)
def test_ordinary_coding_questions_do_not_escalate(text: str) -> None:
    assert escalation_reasons(text) == ()


def test_thread_codes_and_notes_pass_through_and_analysis_is_deterministic(
    fakes, small_book
) -> None:  # type: ignore[no-untyped-def]
    fakes["mentions"] = (m(CPT, "44140", 0),)
    a = analyze(
        "t",
        small_book,
        INDEX,
        today=TODAY,
        thread_codes=("44320",),
        notes=("scan.pdf not read",),
    )
    b = analyze(
        "t",
        small_book,
        INDEX,
        today=TODAY,
        thread_codes=("44320",),
        notes=("scan.pdf not read",),
    )
    assert a == b and a.thread_codes == ("44320",) and a.notes == ("scan.pdf not read",)


# -- with the real pieces and the full knowledge base ----------------------------------------------

ACCEPTANCE = (
    "Hi, can I bill 44320 and 44140 together? Dx C18.7 and K56.69, also 99213-25 for the visit.\n"
    "DOS 11/18/2026, MRN 00483921, call me at (312) 555-0187.\n"
)


def test_acceptance_case_end_to_end(full_book) -> None:  # type: ignore[no-untyped-def]
    from consultant.analysis.suggest import SuggestIndex

    index = SuggestIndex.load(full_book)
    f = analyze(ACCEPTANCE, full_book, index, today=TODAY)
    assert f.date_of_service == date(2026, 11, 18) and f.date_source.startswith("email")
    assert sorted(v.code for v in f.codes) == sorted(
        ["44320", "44140", "C18.7", "K56.69", "99213"]
    )
    visit = next(v for v in f.codes if v.code == "99213")
    assert [x.code for x in visit.modifiers] == ["25"]
    others = [v for v in f.codes if v.code != "99213"]
    assert all(not v.modifiers for v in others)
    everything = {v.code for v in f.codes} | {x.code for x in f.suggestions}
    assert not everything & {"00483921", "0048", "555", "0187", "312", "2026"}
    status = {v.code: v.status for v in f.codes}
    assert status["C18.7"] == VALID
    assert status["K56.69"] == "not_billable"  # a heading since FY2018: K56.690/691/699
    assert any(i.kind == "not_billable" and i.codes == ("K56.69",) for i in f.issues)
    assert f.releases and not f.escalate


def test_real_analysis_is_deterministic(full_book) -> None:  # type: ignore[no-untyped-def]
    from consultant.analysis.suggest import SuggestIndex

    index = SuggestIndex.load(full_book)
    text = "65 yo male with small bowel obstruction and sigmoid colon cancer; loop colostomy done."
    assert analyze(text, full_book, index, today=TODAY) == analyze(
        text, full_book, index, today=TODAY
    )
