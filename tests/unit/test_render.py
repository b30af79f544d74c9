"""Rendering a reply from hand-built Findings: layout, 72 columns, HTML safety, overrides."""

from __future__ import annotations

import re
import textwrap
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consultant.analysis.findings import (
    CodeVerdict,
    DocumentationGap,
    Findings,
    Issue,
    ModifierVerdict,
    Suggestion,
)
from consultant.errors import ConfigError
from consultant.kb.records import Release
from consultant.render import (
    RenderedReply,
    evidence_phrase,
    render_reply,
    score_word,
    short_phrase,
    wrap,
)

HOSTILE = "<script>alert('x')</script> {{ 7*7 }} {% raw %} <img src=http://evil.example/p.gif>"


def findings(**overrides) -> Findings:  # type: ignore[no-untyped-def]
    base = {
        "date_of_service": date(2026, 11, 18),
        "date_source": "email: DOS 11/18/2026",
        "codes": (
            CodeVerdict(
                "CPT",
                "99213",
                "valid",
                "Office visit, established patient, low complexity",
                "Office visit for a known patient",
                "billed 99213-25 for the visit",
                modifiers=(
                    ModifierVerdict(
                        "25", "Significant, separately identifiable E/M service"
                    ),
                ),
            ),
            CodeVerdict(
                "ICD10CM",
                "K56.6",
                "not_billable",
                "Other and unspecified intestinal obstruction",
                None,
                "K56.6",
                billable_children=(("K56.69", "Other intestinal obstruction"),),
            ),
            CodeVerdict(
                "ICD10CM",
                "S72.001",
                "needs_7th",
                "Fracture of unspecified part of neck of right femur",
                None,
                "S72.001",
                seventh_characters=(("A", "initial encounter for closed fracture"),),
            ),
            CodeVerdict(
                "ICD10CM",
                "C18.8",
                "unknown",
                None,
                None,
                "C18.8",
                did_you_mean=(("C18.7", "Malignant neoplasm of sigmoid colon"),),
            ),
            CodeVerdict(
                "CPT",
                "20610",
                "valid",
                "Joint injection, major joint",
                None,
                "20610 x3",
                units=3,
            ),
        ),
        "suggestions": (
            Suggestion(
                "ICD10CM",
                "K56.69",
                "Other intestinal obstruction",
                0.86,
                (0, 5),
                "small bowel obstruction",
                "matched the index term 'Obstruction, intestine'",
            ),
            Suggestion(
                "CPT",
                "44140",
                "Partial removal of colon with anastomosis",
                0.45,
                (9, 20),
                "sigmoid resection",
                "matched our summary",
                supports=("C18.7",),
            ),
        ),
        "issues": (
            Issue(
                "info",
                "use_additional",
                ("E11.9",),
                "E11.9: add the insulin use code.",
                "guidelines",
            ),
            Issue(
                "warning",
                "ncci_ptp",
                ("44140", "44320"),
                "NCCI edit: with 59, documentation must support a distinct service.",
                "NCCI",
            ),
            Issue(
                "error",
                "mue",
                ("20610",),
                "20610: 3 units exceed the MUE of 2.",
                "CMS MUE",
            ),
        ),
        "gaps": (
            DocumentationGap(
                "intestinal obstruction", "Is the obstruction partial or complete?"
            ),
        ),
        "releases": (
            Release(
                "icd10cm-2027",
                "icd10cm_tabular",
                "April 1, 2026",
                date(2026, 10, 1),
                date(2027, 9, 30),
                "x",
                1,
            ),
        ),
    }
    base.update(overrides)
    return Findings(**base)  # type: ignore[arg-type]


def section(text: str, title: str) -> str:
    """The lines of one upper-case section of the text part."""
    start = text.index(title)
    rest = text[start + len(title) :]
    m = re.search(r"\n\n[A-Z][A-Z -]+\n|\n--\n", rest)
    return rest[: m.start()] if m else rest


def test_text_layout_order_and_content() -> None:
    r = render_reply(findings(), subject="Re: case")
    assert isinstance(r, RenderedReply)
    text = r.text
    assert text.splitlines()[0].startswith(
        "5 codes checked for 2026-11-18; 1 error, 1 warning"
    )
    order = [
        text.index(t)
        for t in (
            "PROBLEMS TO LOOK AT FIRST",
            "CODES IN YOUR MESSAGE",
            "SUGGESTED CODES",
            "QUESTIONS FOR THE PHYSICIAN",
            "Date of service used",
            "KNOWLEDGE-BASE RELEASES",
            "--\n",
        )
    ]
    assert order == sorted(order)
    problems = section(text, "PROBLEMS TO LOOK AT FIRST")
    assert problems.index("ERROR") < problems.index("WARNING")  # errors before warnings
    assert "add the insulin use code" not in problems  # info goes below
    codes = section(text, "CODES IN YOUR MESSAGE")
    assert "Modifier 25: Significant, separately identifiable" in codes
    assert "K56.69 Other intestinal obstruction" in codes  # billable child
    assert "A initial encounter for closed fracture" in codes  # 7th character
    assert "C18.7 Malignant neoplasm" in codes  # did you mean
    assert "Units: 3" in codes
    assert 'Found in: "billed 99213-25 for the visit"' in codes
    sugg = section(text, "SUGGESTED CODES")
    assert "K56.69 (ICD-10-CM, strong)" in sugg and "44140 (CPT, possible)" in sugg
    assert 'For: "sigmoid resection"' in sugg and "Supported by: C18.7" in sugg
    assert '2026-11-18, stated in your message ("DOS 11/18/2026")' in " ".join(
        text.split()
    )
    assert "April 1, 2026" in text
    assert "not AMA CPT descriptors" in text and "payer's policy" in text
    assert "FORWARDED" not in text


def test_text_lines_fit_72_columns() -> None:
    long_title = "An extremely long plain-language summary " * 6
    f = findings(
        codes=(
            CodeVerdict("CPT", "99213", "valid", long_title, long_title, long_title),
        ),
        notes=("attachment " + "x" * 100 + ".pdf could not be read",),
    )
    for line in render_reply(f, subject="s").text.splitlines():
        if len(line) > 72:
            assert " " not in line.strip() or len(max(line.split(), key=len)) > 50, line


def test_today_date_source_and_escalation_and_notes() -> None:
    f = findings(
        date_source="today",
        escalate=True,
        escalation_reasons=("it asks about prior authorization",),
        notes=("scan.pdf: image-only PDF, no text could be read",),
        thread_codes=("44140",),
    )
    r = render_reply(f, subject="s")
    assert "not stated in your message, so today's date was used" in " ".join(
        r.text.split()
    )
    assert (
        "FORWARDED TO A HUMAN CODER" in r.text
        and "it asks about prior authorization" in r.text
    )
    assert (
        r.text.splitlines()[1] == "Forwarded to a human coder."
        or "Forwarded to a human coder." in r.text.splitlines()[0]
    )
    assert "scan.pdf: image-only PDF" in r.text and "scan.pdf: image-only PDF" in r.html
    assert "Forwarded to a human coder" in r.html
    assert "Codes discussed earlier in this thread: 44140" in r.text


def test_summary_counts_modifiers_apart() -> None:
    f = findings(
        codes=findings().codes
        + (CodeVerdict("MODIFIER", "59", "valid", "Distinct service", None, "59"),)
    )
    assert render_reply(f, subject="s").text.startswith(
        "5 codes and 1 modifier checked for 2026-11-18"
    )


def test_no_codes_summary() -> None:
    r = render_reply(findings(codes=(), issues=(), suggestions=()), subject="s")
    assert r.text.startswith("No codes named in your message")
    assert "CODES IN YOUR MESSAGE" not in r.text


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)


def test_sender_text_is_inert() -> None:
    f = findings(
        codes=(CodeVerdict("CPT", "99213", "valid", "Office visit", None, HOSTILE),),
        suggestions=(
            Suggestion(
                "ICD10CM", "R10.9", "Abdominal pain", 0.7, (0, 1), HOSTILE, "matched"
            ),
        ),
        gaps=(DocumentationGap(HOSTILE, "Which side?"),),
        notes=(HOSTILE,),
    )
    r = render_reply(f, subject=HOSTILE)
    parser = _Collector()
    parser.feed(r.html)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert "<script" not in r.html.lower() and "&lt;script&gt;" in r.html
    assert "{{ 7*7 }}" in r.html and "49" not in r.html.replace("#", "")
    assert "{% raw %}" in r.html
    assert "{{ 7*7 }}" in r.text or "{{ 7*7" in r.text  # shown as text, not evaluated
    assert " 49 " not in r.text


def test_html_is_mail_safe() -> None:
    r = render_reply(findings(), subject="s")
    parser = _Collector()
    parser.feed(r.html)
    assert not {"script", "img", "link", "style", "iframe", "object"} & set(parser.tags)
    assert "max-width:600px" in r.html and "table-layout:fixed" in r.html
    assert "word-break:break-word" in r.html
    assert not re.search(r"(?:src|href)\s*=", r.html)
    assert "K56.69" in r.html and "Problems to look at first" in r.html
    assert (
        r.html.index("ERROR")
        < r.html.index("WARNING")
        < r.html.index("Codes in your message")
    )


def test_templates_dir_overrides_file_by_file(tmp_path: Path) -> None:
    (tmp_path / "reply.txt.j2").write_text("CUSTOM {{ summary }}\n")
    r = render_reply(findings(), subject="s", templates_dir=tmp_path)
    assert r.text.startswith("CUSTOM 5 codes checked")
    assert "Codes in your message" in r.html  # html still from the bundled template


def test_broken_override_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "reply.txt.j2").write_text("{{ no_such_value }}\n")
    with pytest.raises(ConfigError, match="reply template failed"):
        render_reply(findings(), subject="s", templates_dir=tmp_path)


def test_helpers() -> None:
    assert [score_word(s) for s in (0.9, 0.65, 0.45, 0.1)] == [
        "strong",
        "likely",
        "possible",
        "weak",
    ]
    assert (
        short_phrase("word " * 40, 20).endswith("…")
        and len(short_phrase("word " * 40, 20)) <= 20
    )
    assert wrap("a " * 60, 20, "  ").splitlines()[1].startswith("  a")
    assert wrap("x" * 100, 20) == "x" * 100  # codes and addresses are never split


def test_evidence_is_a_short_window_around_the_code() -> None:
    case = (
        "Patient seen today for follow-up of colon cancer and we decided to bill 44320 and "
        "44140 together with modifier 59 on the second one, please advise soon"
    )
    phrase = evidence_phrase(case, "44320")
    assert (
        "44320" in phrase
        and len(phrase) <= 62
        and phrase.startswith("…")
        and phrase.endswith("…")
    )
    assert "Patient seen today" not in phrase
    assert evidence_phrase("Dx K56.69", "K56.69") == "Dx K56.69"
    f = findings(codes=(CodeVerdict("CPT", "44320", "valid", "t", None, case),))
    assert "Patient seen today" not in render_reply(f, subject="s").text


def test_release_not_covering_the_date_is_marked() -> None:
    old = Release(
        "hcpcs-2019",
        "hcpcs",
        "2019 Annual",
        date(2019, 1, 1),
        date(2019, 12, 31),
        "x",
        1,
    )
    text = " ".join(render_reply(findings(releases=(old,)), subject="s").text.split())
    assert (
        "hcpcs-2019: 2019 Annual, valid 2019-01-01 to 2019-12-31 (does not cover the date of service"
        in text
    )
    current = " ".join(render_reply(findings(), subject="s").text.split())
    assert "does not cover" not in current


@given(
    st.lists(
        st.sampled_from(["a", "bb", "K56.690", "obstruction", "x" * 80, "—", "ü"]),
        max_size=40,
    ),
    st.integers(10, 72),
    st.sampled_from(["", "  ", "  * "]),
    st.sampled_from([None, "    "]),
)
def test_wrap_matches_textwrap_without_breaking_words(
    words, width, first, rest
) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(words)
    expected = (
        textwrap.fill(
            text,
            width=width,
            initial_indent=first,
            subsequent_indent=first if rest is None else rest,
            break_long_words=False,
            break_on_hyphens=False,
        )
        or first.rstrip()
    )
    assert wrap(text, width, first, rest) == expected


def test_a_valid_code_a_problem_names_points_to_it_in_the_code_list() -> None:
    """The code list never says a bare 'valid' beside a code the problems above reject."""
    text = render_reply(findings(), subject="Re: case").text
    codes = section(text, "CODES IN YOUR MESSAGE")
    line = {c: next(ln for ln in codes.splitlines() if ln.strip().startswith(c)) for c in ("99213", "20610")}
    assert "see the" not in line["99213"]                    # no problem names 99213
    assert "valid on the date of service; but see the error" in " ".join(
        codes[codes.index("20610"):].split()[:14])


def test_rows_read_by_key_render_as_jinjas_own_environment_does(tmp_path: Path) -> None:
    """The reply environment reads a dict row's fields by key first; the bundled templates
    (and a field a row lacks, and a dict method) render as plain Jinja renders them."""
    import jinja2

    from consultant.render import TEMPLATES_DIR, _environment, cap_findings, view_model

    ours = _environment(None)
    plain = jinja2.Environment(loader=ours.loader, autoescape=ours.autoescape,
                               undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                               keep_trailing_newline=True)
    plain.filters["wrap"] = wrap
    f = findings(issues=(Issue("error", "ptp", ("99213",), HOSTILE, "NCCI"),))
    model = view_model(cap_findings(f), "s")
    for name in ("reply.txt.j2", "reply.html.j2"):
        assert (TEMPLATES_DIR / name).exists()
        assert ours.get_template(name).render(model) == plain.get_template(name).render(model)
    row = {"code": "K56.6", "items": "shadowed"}
    assert ours.from_string("{{ r.code }} {{ r.items is callable }}").render(r=row) == "K56.6 True"
    with pytest.raises(jinja2.UndefinedError):
        ours.from_string("{{ r.nope }}").render(r=row)


def test_compiled_templates_are_kept_between_runs_and_a_bad_cache_is_none(tmp_path: Path) -> None:
    import jinja2

    from consultant.render import TEMPLATES_DIR, _TemplateCache, _environment

    def env(cache: jinja2.BytecodeCache) -> jinja2.Environment:
        ours = _environment(None)
        e = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=ours.autoescape,
                               undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                               keep_trailing_newline=True, bytecode_cache=cache)
        e.filters["wrap"] = wrap
        return e

    model = {"answers": [], "width": 72}
    first = env(_TemplateCache(str(tmp_path))).get_template("answers.txt.j2")
    (stored,) = list(tmp_path.glob("*.cache"))                   # compiled once, written
    loaded: list[bool] = []

    class Spy(_TemplateCache):
        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            super().load_bytecode(bucket)
            loaded.append(bucket.code is not None)

    again = env(Spy(str(tmp_path))).get_template("answers.txt.j2")
    assert loaded == [True] and again.render(model) == first.render(model)
    stored.write_bytes(b"not a cache")                             # damaged: compiled again
    assert env(_TemplateCache(str(tmp_path))).get_template("answers.txt.j2").render(model) == first.render(model)
    gone = _TemplateCache(str(tmp_path / "missing" / "folder"))     # cannot write: no cache, no error
    assert env(gone).get_template("answers.txt.j2").render(model) == first.render(model)
    assert render_reply(findings(), subject="s").text.startswith("5 codes checked")
