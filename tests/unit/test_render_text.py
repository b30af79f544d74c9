"""The plain-text part of real replies reads well at 72 columns: cases go through the whole
pipeline (parse, analyze, render, compose) on the full knowledge base, and the text part of
the composed email is checked line by line and section by section."""

from __future__ import annotations

import re

import pytest
from reply_cases import CODELIKE, LONG_TITLE_CODES, NAMES, URL, SampleReply

from consultant.analysis.findings import ERROR, WARNING, Findings

WIDTH = 72

# (name, heading pattern, does the findings call for it)
SECTIONS = (
    (
        "escalation",
        r"(FORWARDED TO A HUMAN CODER|NEEDS A HUMAN CODER)",
        lambda f: f.escalate,
    ),
    (
        "problems",
        r"PROBLEMS TO LOOK AT FIRST",
        lambda f: any(i.severity in (ERROR, WARNING) for i in f.issues),
    ),
    ("codes", r"CODES IN YOUR MESSAGE", lambda f: bool(f.codes)),
    (
        "suggestions",
        r"SUGGESTED CODES \(from the words of your message\)",
        lambda f: bool(f.suggestions),
    ),
    ("gaps", r"QUESTIONS FOR THE PHYSICIAN", lambda f: bool(f.gaps)),
    (
        "also",
        r"ALSO NOTE",
        lambda f: any(i.severity not in (ERROR, WARNING) for i in f.issues),
    ),
    ("date", r"Date of service used: .*", lambda f: True),
    ("releases", r"KNOWLEDGE-BASE RELEASES USED", lambda f: bool(f.releases)),
    ("not-read", r"NOT READ", lambda f: bool(f.notes)),
    ("disclaimer", r"--", lambda f: True),
)


@pytest.fixture(scope="module")
def replies(sample_replies: dict[str, SampleReply]) -> dict[str, tuple[Findings, str]]:
    """name -> (findings, text part of the composed reply)."""
    return {name: (r.findings, r.text) for name, r in sample_replies.items()}




def test_the_cases_are_what_they_claim(replies) -> None:  # type: ignore[no-untyped-def]
    colostomy, _ = replies["loop-colostomy"]
    assert {"44320", "44140", "C18.7", "K56.69", "99213"} <= {
        v.code for v in colostomy.codes
    }
    assert any(m.code == "25" for v in colostomy.codes for m in v.modifiers)
    words, _ = replies["em-plain-words"]
    assert not words.codes and len(words.suggestions) >= 3
    long_token, _ = replies["long-token"]
    assert set(LONG_TITLE_CODES) <= {v.code for v in long_token.codes}
    assert max(len(v.title or "") for v in long_token.codes) > 200
    escalated, _ = replies["escalated"]
    assert escalated.escalate and escalated.escalation_reasons


@pytest.mark.parametrize("name", NAMES)
def test_no_line_is_longer_than_72_columns_but_an_unbreakable_token(
    replies, name: str
) -> None:  # type: ignore[no-untyped-def]
    _, text = replies[name]
    for line in text.splitlines():
        if len(line) <= WIDTH:
            continue
        assert len(line.split()) == 1, (
            f"{name}: line of {len(line)} columns could wrap: {line!r}"
        )
        assert len(line.strip()) > WIDTH - 8, (
            f"{name}: a short word pushed past 72: {line!r}"
        )


def test_long_tokens_stay_whole_on_a_line_of_their_own(replies) -> None:  # type: ignore[no-untyped-def]
    _, text = replies["long-token-stress"]
    lines = text.splitlines()
    url_lines = [ln for ln in lines if URL in ln]
    assert url_lines, "the address must survive unbroken, so a reader can copy it"
    for ln in url_lines:
        assert ln.strip() == URL or ln.strip() == f"{URL}." or len(ln) <= WIDTH
    assert any(CODELIKE in ln for ln in lines)
    # the words after a long token go on wrapping at 72
    after = lines[lines.index(url_lines[0]) + 1]
    assert 0 < len(after) <= WIDTH


@pytest.mark.parametrize("name", NAMES)
def test_sections_come_in_reading_order(replies, name: str) -> None:  # type: ignore[no-untyped-def]
    findings, text = replies[name]
    lines = text.splitlines()
    found = []
    for section, pattern, wanted in SECTIONS:
        at = [n for n, line in enumerate(lines) if re.fullmatch(pattern, line)]
        assert len(at) <= 1, f"{name}: {section} heading {len(at)} times"
        assert bool(at) == bool(wanted(findings)), f"{name}: {section} shown={bool(at)}"
        if at:
            found.append((at[0], section))
    assert found == sorted(found), (
        f"{name}: sections out of order: {[s for _, s in found]}"
    )
    assert lines[0] and not lines[0].startswith(" "), "the summary comes first"
    assert lines[-1].rstrip().endswith("as evidence."), "the disclaimer comes last"


@pytest.mark.parametrize("name", NAMES)
def test_every_code_and_suggestion_is_listed_in_its_section(replies, name: str) -> None:  # type: ignore[no-untyped-def]
    findings, text = replies[name]
    lines = text.splitlines()

    def section(heading: str) -> list[str]:
        if heading not in lines:
            return []
        start = lines.index(heading) + 1
        end = next(
            (
                n
                for n in range(start, len(lines))
                if lines[n] and not lines[n].startswith(" ")
            ),
            len(lines),
        )
        return lines[start:end]

    listed = [
        ln.split()[0].split("-")[0]   # the line as written: code, then its modifiers
        for ln in section("CODES IN YOUR MESSAGE")
        if re.match(r"  \S", ln)
    ]
    assert listed == [v.code for v in findings.codes]
    suggested = [
        ln.split()[0]
        for ln in section("SUGGESTED CODES (from the words of your message)")
        if re.match(r"  \S", ln)
    ]
    assert suggested == [s.code for s in findings.suggestions]


@pytest.mark.parametrize("name", NAMES)
def test_text_part_has_no_markup_or_entities(replies, name: str) -> None:  # type: ignore[no-untyped-def]
    _, text = replies[name]
    assert not re.search(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^>]*)?/?>", text), (
        "HTML tag in the text part"
    )
    assert not re.search(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);", text), (
        "HTML entity in the text part"
    )
    assert "\t" not in text and "\r" not in text.replace("\r\n", "\n")
    assert all(line == line.rstrip() for line in text.splitlines()), "trailing spaces"
