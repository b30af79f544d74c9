"""Coverage, stated: which check families ran, on which release, and why not."""

from __future__ import annotations

from datetime import date

from consultant.analysis.coverage import (
    blocking,
    coverage,
    not_checked_lines,
    unverified_issues,
)
from consultant.analysis.findings import NOT_IN_KB, VALID, WARNING, CodeVerdict, Findings
from consultant.kb.records import PaymentIndicators, Release
from consultant.render import render_reply, summary_line

DOS = date(2026, 11, 18)


def rel(dataset: str, kind: str, start: date | None = None, end: date | None = None) -> Release:
    return Release(dataset, kind, dataset, start, end, "file", 1)


class FakeBook:
    def __init__(self, releases: tuple[Release, ...], pfs: dict[str, str] | None = None) -> None:
        self._releases = releases
        self._pfs = pfs or {}

    def releases(self) -> tuple[Release, ...]:
        return self._releases

    def payment(self, code: str, on: date, modifier: str = "") -> PaymentIndicators | None:
        if code not in self._pfs:
            return None
        return PaymentIndicators(
            code=code, modifier="", status="A", pctc="0", global_days=self._pfs[code],
            preop=0.1, intraop=0.8, postop=0.1, mult_proc="2", bilateral="0", assistant="2",
            co_surgeon="0", team="0", endo_base="", work_rvu=1.0, total_rvu_nonfacility=2.0,
            total_rvu_facility=1.5, conversion_factor=33.0, valid_from=date(2026, 1, 1),
            valid_to=None, dataset="pfs-2026",
        )


def cpt(code: str, status: str = VALID) -> CodeVerdict:
    return CodeVerdict("CPT", code, status, None, None, "")


STARTER = (rel("starter-cpt", "starter_cpt"), rel("starter-addon", "addon"),
           rel("starter-modifiers", "modifiers"))


def test_bundling_not_checked_without_a_ptp_table_says_which_pair_and_how_to_load() -> None:
    checks = coverage((cpt("44140"), cpt("44320")), FakeBook(STARTER), DOS)
    ptp = next(c for c in checks if c.name == "ncci_ptp")
    assert not ptp.ran and ptp.release is None
    lines = not_checked_lines(checks)
    assert any("bundling between 44140 and 44320" in line and "no NCCI PTP table is loaded" in line
               and "consultant kb update" in line for line in lines)
    # the fee-schedule indicators are not guessed: none loaded, so not checked
    assert {c.name for c in blocking(checks)} >= {"global_period", "pc_tc", "bilateral", "ncci_ptp"}


def test_ptp_ran_on_the_release_that_covers_the_date() -> None:
    book = FakeBook(STARTER + (rel("ncci-2026q4", "ncci_ptp", date(2026, 10, 1), date(2026, 12, 31)),))
    ptp = next(c for c in coverage((cpt("44140"), cpt("44320")), book, DOS) if c.name == "ncci_ptp")
    assert ptp.ran and ptp.release == "ncci-2026q4"


def test_a_release_that_ends_before_the_date_of_service_does_not_count() -> None:
    book = FakeBook(STARTER + (rel("ncci-2026q2", "ncci_ptp", date(2026, 4, 1), date(2026, 6, 30)),))
    ptp = next(c for c in coverage((cpt("44140"), cpt("44320")), book, DOS) if c.name == "ncci_ptp")
    assert not ptp.ran and ptp.release == "ncci-2026q2"
    assert "does not cover the date of service 2026-11-18" in ptp.reason


def test_payment_indicators_ran_when_the_fee_schedule_has_the_codes() -> None:
    book = FakeBook(STARTER, pfs={"44140": "090"})
    checks = coverage((cpt("44140"),), book, DOS)
    glob = next(c for c in checks if c.name == "global_period")
    assert glob.ran and glob.release == "pfs-2026"


def test_a_single_code_has_no_pair_check() -> None:
    assert "ncci_ptp" not in {c.name for c in coverage((cpt("44140"),), FakeBook(STARTER), DOS)}


def test_cpt_without_a_row_is_not_verified_with_a_warning() -> None:
    issues = unverified_issues((cpt("44999", NOT_IN_KB), cpt("44140")))
    assert [i.codes for i in issues] == [("44999",)]
    assert issues[0].severity == WARNING and "not verified" in issues[0].message


def findings(checks: tuple = ()) -> Findings:  # type: ignore[type-arg]
    return Findings(DOS, "today", (cpt("44140"), cpt("44320")), (), (), (), (), checks=checks)


def test_headline_never_says_0_warnings_when_a_check_could_not_run() -> None:
    checks = coverage((cpt("44140"), cpt("44320")), FakeBook(STARTER), DOS)
    line = summary_line(findings(checks))
    assert "0 warnings" not in line and "could not run" in line
    # with every check run, the plain count is honest
    assert "0 warnings" in summary_line(findings(()))


def test_reply_says_what_was_not_checked_near_the_top() -> None:
    checks = coverage((cpt("44140"), cpt("44320")), FakeBook(STARTER), DOS)
    text = render_reply(findings(checks), subject="x").text
    assert text.index("NOT CHECKED") < text.index("CODES IN YOUR MESSAGE")
    assert "bundling between 44140 and 44320" in text
