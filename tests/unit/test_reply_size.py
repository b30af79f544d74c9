"""The reply size cap: a case naming hundreds of codes gives a reply of bounded size that
counts what it left out; a normal case is untouched."""

from __future__ import annotations

import random
from dataclasses import replace
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from consultant.analysis.findings import ERROR, INFO, CodeVerdict, Findings, Issue
from consultant.mail.stamps import numbered_ids
from consultant.reply_size import ReplyLimits, cap_findings


def verdict(code: str) -> CodeVerdict:
    return CodeVerdict(system="ICD10CM", code=code, status="valid", title=f"title {code}", plain=None,
                       evidence=f"... {code} ...")


def findings(n_codes: int, issues: tuple[Issue, ...] = ()) -> Findings:
    return Findings(date(2026, 1, 5), "today", tuple(verdict(f"A{i:02d}.0") for i in range(n_codes)), (), issues,
                    (), ())


def test_small_findings_are_returned_unchanged() -> None:
    f = findings(3, (Issue(INFO, "date", ("A00.0",), "x"),))
    assert cap_findings(f) is f


def test_codes_and_issues_are_cut_with_a_count_of_what_was_left_out() -> None:
    issues = tuple(Issue(INFO, "date", (f"A{i:02d}.0",), f"info {i}") for i in range(60)) + (
        Issue(ERROR, "ncci_ptp", ("A55.0",), "an error about a code that is cut"),
        Issue(ERROR, "ncci_ptp", ("A01.0",), "an error about a listed code"),
    )
    capped = cap_findings(findings(100, issues), ReplyLimits(codes=10, issues=5))
    assert [v.code for v in capped.codes] == [f"A{i:02d}.0" for i in range(10)]
    assert len(capped.issues) == 5
    # errors about codes the reply lists come first; an issue about a code left out does not
    assert any(i.message == "an error about a listed code" for i in capped.issues)
    assert all(set(i.codes) <= {v.code for v in capped.codes} for i in capped.issues)
    (note,) = capped.notes
    assert "90 of 100 codes" in note and "57 of 62 edit findings" in note


@pytest.fixture(scope="module")
def knowledge(full_kb_path: Path):  # type: ignore[no-untyped-def]
    from consultant.service import open_knowledge

    book, index = open_knowledge(full_kb_path)
    yield full_kb_path, book, index
    book.close()


def test_a_50_kb_case_of_many_codes_gives_a_reply_under_100_kb(knowledge) -> None:  # type: ignore[no-untyped-def]
    from consultant.pipeline import Answer, ConsultSettings, consult

    path, book, index = knowledge
    with sqlite3.connect(path) as c:
        codes = [r[0] for r in c.execute("SELECT code FROM code ORDER BY code")]
    random.Random(1).shuffle(codes)
    lines, i = [], 0
    while sum(map(len, lines)) < 50_000:
        lines.append(f"Line {i}: seen for {codes[i]} with 99213 and 44970; DOS 01/05/2026.")
        i += 1
    raw = ("From: coder@clinic.example\r\nTo: bot@x.example\r\nSubject: many codes\r\n"
           "Message-ID: <many@clinic.example>\r\n\r\n" + "\r\n".join(lines) + "\r\n").encode()
    settings = ConsultSettings(bot_address="bot@x.example", allowed_senders=("clinic.example",))
    outcome = consult(raw, book=book, index=index, settings=settings, today=date(2026, 1, 5),
                      now=datetime(2026, 1, 5, 9, 0, tzinfo=UTC), message_ids=numbered_ids("x.example"))
    assert isinstance(outcome, Answer) and len(outcome.findings.codes) > 100
    size = len(outcome.reply.as_bytes())
    assert size < 100_000, size             # 2.9 MB before the cap
    text = outcome.reply.get_body(("plain",)).get_content()
    assert "This reply was shortened:" in text and f"of {len(outcome.findings.codes)} codes" in text


def test_answers_and_not_checked_lists_are_capped_too() -> None:
    from consultant.analysis.findings import CheckRecord, DirectAnswer

    answers = tuple(DirectAnswer("validity", f"is {i} valid?", "Yes.", codes=(str(i),)) for i in range(40))
    checks = (CheckRecord("ncci_ptp", "bundling (NCCI PTP)", False, reason="no table",
                          codes=tuple(f"C{i}" for i in range(300))),)
    f = replace(findings(3), answers=answers, checks=checks)
    capped = cap_findings(f, ReplyLimits(answers=5, check_codes=10))
    assert len(capped.answers) == 5 and len(capped.checks[0].codes) == 10
    assert "35 of 40 answers" in capped.notes[-1] and "290 codes of the 'not checked' list" in capped.notes[-1]
