"""Answers by date of service from the official releases, end to end through the pure core:
a knowledge base built by the real importers from the CMS files in ../shared, and case mails
that state their date of service."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from consultant.analysis.findings import DELETED, NOT_YET_VALID, VALID
from consultant.analysis.suggest import SuggestIndex
from consultant.kb.build import build_kb, default_icd10cm_xml
from consultant.kb.store import CodeBook
from consultant.mail.stamps import numbered_ids
from consultant.pipeline import Answer, ConsultSettings, consult


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path):  # type: ignore[no-untyped-def]
    cms = shared_dir / "data" / "cms"
    path = tmp_path_factory.mktemp("kb-releases") / "kb.sqlite"
    build_kb(path, [
        ("icd10cm_tabular", default_icd10cm_xml()),
        ("hcpcs", cms / "hcpcs" / "2018-Alpha-Numeric-HCPCS-File.zip"),
        ("hcpcs", cms / "hcpcs" / "2019-Alpha-Numeric-HCPCS-File.zip"),
        ("ncci_ptp", cms / "ncci" / "ccipra-v322r0-f1.excerpt.txt"),
        ("mue", cms / "ncci" / "MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv"),
    ])
    opened = CodeBook.open(path)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def index(book):  # type: ignore[no-untyped-def]
    return SuggestIndex.load(book)


def answer(body: str, book, index) -> Answer:  # type: ignore[no-untyped-def]
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "coder@clinic.example", "consult@clinic.example", "q"
    msg["Message-ID"] = "<q-1@clinic.example>"
    msg.set_content(body)
    out = consult(msg.as_bytes(), book=book, index=index,
                  settings=ConsultSettings(bot_address="consult@clinic.example"), today=date(2026, 11, 24),
                  now=datetime(2026, 11, 24, 9, 0, tzinfo=UTC), message_ids=numbered_ids("bot.example"))
    assert isinstance(out, Answer), out
    return out


def verdict(out: Answer, code: str):  # type: ignore[no-untyped-def]
    return next(v for v in out.findings.codes if v.code == code)


def test_code_added_in_2019_is_not_yet_valid_on_a_2018_date(book, index) -> None:  # type: ignore[no-untyped-def]
    assert verdict(answer("Supply A4563, DOS 03/15/2018.", book, index), "A4563").status == NOT_YET_VALID
    assert verdict(answer("Supply A4563, DOS 03/15/2019.", book, index), "A4563").status == VALID


def test_code_terminated_at_the_end_of_2018_is_deleted_on_a_2019_date(book, index) -> None:  # type: ignore[no-untyped-def]
    assert verdict(answer("Billed C8904, DOS 12/31/2018.", book, index), "C8904").status == VALID
    out = answer("Billed C8904, DOS 01/02/2019.", book, index)
    assert verdict(out, "C8904").status == DELETED
    assert out.findings.date_of_service == date(2019, 1, 2)
    used = {r.dataset for r in out.findings.releases}
    assert "hcpcs-2019" in used and "hcpcs-2018" not in used


def test_ncci_edit_and_mue_from_the_official_layouts(book, index) -> None:  # type: ignore[no-untyped-def]
    out = answer("Lab 0001U and 0030U, 0001U x 3 units, DOS 08/03/2026. Dx D66.", book, index)
    kinds = {(i.kind, i.codes) for i in out.findings.issues}
    assert any(kind == "ncci_ptp" and set(codes) == {"0001U", "0030U"} for kind, codes in kinds)
    assert any(kind == "mue" and "0001U" in codes for kind, codes in kinds)


def test_an_edit_deleted_before_the_date_of_service_does_not_fire(book, index) -> None:  # type: ignore[no-untyped-def]
    # 0001U/0028U was in force 2018-07-01 .. 2018-09-29 only.
    inside = answer("0001U with 0028U, DOS 08/01/2018. Dx D66.", book, index)
    after = answer("0001U with 0028U, DOS 08/01/2019. Dx D66.", book, index)
    assert any(i.kind == "ncci_ptp" for i in inside.findings.issues)
    assert not any(i.kind == "ncci_ptp" for i in after.findings.issues)
