"""Fee-schedule indicators in answers: analysis.payment meanings and the payment edit family,
read from the default knowledge base (PFS July 2026 extract in data/official/)."""

from __future__ import annotations

from datetime import date

import pytest

from consultant.analysis import payment
from consultant.analysis.edits import CHECKS, check_payment
from consultant.analysis.findings import ERROR, INFO, WARNING
from consultant.kb.records import PaymentIndicators
from consultant.kb.store import CodeBook
from test_edits import DX, run, v

NOV = date(2026, 11, 18)


def _pfs(**kw: object) -> PaymentIndicators:
    base: dict[str, object] = dict(
        code="12345", modifier="", status="A", pctc="0", global_days="090", preop=0.1, intraop=0.8, postop=0.1,
        mult_proc="2", bilateral="1", assistant="2", co_surgeon="0", team="0", endo_base=None, work_rvu=1.0,
        total_rvu_nonfacility=2.0, total_rvu_facility=2.0, conversion_factor=33.4009,
        valid_from=date(2026, 7, 1), valid_to=date(2026, 12, 31), dataset="pfs-test")
    base.update(kw)
    return PaymentIndicators(**base)  # type: ignore[arg-type]


def test_every_indicator_is_explained_with_its_source() -> None:
    notes = payment.explain(_pfs())
    assert [n.topic for n in notes] == ["status", "global", "pctc", "mult_proc", "bilateral", "assistant",
                                        "co_surgeon", "team"]
    assert all("pfs-test" in n.source for n in notes)
    assert "150%" in notes[4].text and "section 40.7" in notes[4].source
    assert "not one this program knows" in payment.explain(_pfs(bilateral="7"))[4].text


@pytest.mark.parametrize(("days", "surgery", "window"), [
    ("090", date(2026, 11, 2), (date(2026, 11, 1), date(2027, 1, 31))),
    ("010", date(2026, 11, 2), (date(2026, 11, 2), date(2026, 11, 12))),
    ("000", date(2026, 11, 2), (date(2026, 11, 2), date(2026, 11, 2))),
    ("XXX", date(2026, 11, 2), None),
    ("ZZZ", date(2026, 11, 2), None),
])
def test_global_period(days: str, surgery: date, window: object) -> None:
    assert payment.global_period(_pfs(global_days=days), surgery) == window


@pytest.mark.parametrize(("kw", "modifier", "verdict"), [
    ({"bilateral": "0"}, "50", "not_allowed"), ({"bilateral": "2"}, "50", "not_allowed"),
    ({"bilateral": "1"}, "50", None), ({"bilateral": "3"}, "50", "note"),
    ({"assistant": "1"}, "80", "not_allowed"), ({"assistant": "0"}, "AS", "documentation"),
    ({"assistant": "2"}, "82", None),
    ({"co_surgeon": "0"}, "62", "not_allowed"), ({"co_surgeon": "1"}, "62", "documentation"),
    ({"co_surgeon": "2"}, "62", None), ({"team": "2"}, "66", "documentation"),
    ({"pctc": "0"}, "26", "not_allowed"), ({"pctc": "1"}, "26", None), ({"pctc": "1"}, "TC", None),
    ({"pctc": "6"}, "26", None), ({"pctc": "6"}, "TC", "not_allowed"), ({"pctc": "3"}, "TC", "not_allowed"),
    ({"mult_proc": "0"}, "51", "not_allowed"), ({"global_days": "ZZZ"}, "51", "not_allowed"),
    ({"mult_proc": "2"}, "51", None), ({}, "RT", None),
])
def test_modifier_against_indicator(kw: dict[str, str], modifier: str, verdict: str | None) -> None:
    found = payment.modifier_problem(_pfs(**kw), modifier)
    assert (found[0] if found else None) == verdict


def test_payment_check_is_in_the_edit_family() -> None:
    assert check_payment in CHECKS


def _payment_issues(book: CodeBook, *verdicts):  # type: ignore[no-untyped-def]
    import test_edits

    old = test_edits.DOS
    test_edits.DOS = NOV
    try:
        return [i for i in run(book, *verdicts, DX) if i.kind == "payment"]
    finally:
        test_edits.DOS = old


def test_real_indicators_in_edits(full_book: CodeBook) -> None:
    issues = _payment_issues(full_book, v("44320", mods=("50",)), v("44320", mods=("80",)),
                             v("99213", mods=("26",)), v("71046", mods=("26",)))
    by = {(i.codes, i.message.split(":")[0]): i for i in issues}
    assert by[(("44320",), "44320-50")].severity == ERROR          # bilateral indicator 0
    assert (("44320",), "44320-80") not in by                       # assistant indicator 2: may be paid
    assert by[(("99213",), "99213-26")].severity == ERROR          # PC/TC 0
    assert not any(k[0] == ("71046",) for k in by)                  # PC/TC 1: 26 fits
    assert all("pfs-2026-07" in i.source for i in issues)


def test_real_status_bilateral_sides_and_endoscopy_family(full_book: CodeBook) -> None:
    issues = _payment_issues(full_book, v("0001F"), v("69436", mods=("RT", "LT")), v("43239"), v("43235"),
                             v("27447", mods=("62",)))
    texts = {i.codes: i for i in issues}
    assert texts[("0001F",)].severity == WARNING and "status I" in texts[("0001F",)].message
    assert texts[("69436",)].severity == INFO and "modifier 50" in texts[("69436",)].message
    assert texts[("43235", "43239")].severity == INFO and "base code 43235" in texts[("43235", "43239")].message
    assert texts[("27447",)].severity == WARNING and "co-surgeon indicator 1" in texts[("27447",)].message


def test_no_fee_schedule_for_the_date_says_the_check_did_not_run(full_book: CodeBook) -> None:
    import test_edits

    old = test_edits.DOS
    test_edits.DOS = date(2027, 2, 1)        # after the newest PFS release held
    try:
        issues = [i for i in run(full_book, v("44320", mods=("80",)), DX) if i.kind == "payment"]
    finally:
        test_edits.DOS = old
    assert len(issues) == 1 and "could not be checked" in issues[0].message


def test_one_line_summary(full_book: CodeBook) -> None:
    colostomy = full_book.payment("44320", NOV)
    assert colostomy is not None
    assert payment.one_line(colostomy) == (
        "Medicare PFS (pfs-2026-07): status A; 90-day global; no bilateral adjustment (50 not paid extra); "
        "assistant may be paid; co-surgeons with documentation")
    xray = full_book.payment("71046", NOV)
    assert xray is not None and "26/TC may be used" in payment.one_line(xray)
    assert "status I (not valid for Medicare" in payment.one_line(full_book.payment("0001F", NOV))  # type: ignore[arg-type]
