"""Property tests of the extractor: any text, no crash; spans exact; no codes from dates or
phone numbers, wherever they sit in prose."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from consultant.codes.extract import extract_codes
from consultant.codes.mention import SYSTEMS

_WORDS = st.sampled_from(
    ["the", "patient", "was", "seen", "and", "billed", "for", "with", "Dx", "CPT", "DOS", "MRN",
     "on", "call", ",", ".", ";", "-", "(", ")", "\n", "modifier", "units", "x", "99213",
     "E11.9", "J1885", "25", "RT", "IL", "#"]
)
_CODEY = st.text(alphabet="0123456789ABCDEFJKSTXZ.-/ ():#=@$,x×\n", max_size=80)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_never_raises_and_spans_slice_back(text: str) -> None:
    for m in extract_codes(text):
        assert text[m.start : m.end] == m.raw
        assert m.system in SYSTEMS


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_WORDS, _CODEY), max_size=30).map(" ".join))
def test_code_like_text_is_sorted_and_exact(text: str) -> None:
    found = extract_codes(text)
    assert [m.start for m in found] == sorted(m.start for m in found)
    for m in found:
        assert text[m.start : m.end] == m.raw
        assert m.units is None or m.units > 0


_DATE = st.one_of(
    st.builds(lambda m, d, y: f"{m:02d}/{d:02d}/{y}", st.integers(1, 12), st.integers(1, 28),
              st.integers(1900, 2099)),
    st.builds(lambda m, d, y: f"{y}-{m:02d}-{d:02d}", st.integers(1, 12), st.integers(1, 28),
              st.integers(1900, 2099)),
    st.builds(lambda m, d, y: f"{d:02d}.{m:02d}.{y}", st.integers(1, 12), st.integers(1, 28),
              st.integers(1900, 2099)),
    st.builds(lambda m, d, y: f"{m}/{d}/{y % 100:02d}", st.integers(1, 12), st.integers(1, 28),
              st.integers(1900, 2099)),
)
_PHONE = st.builds(
    lambda a, b, c, style: [f"({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}", f"+1 {a} {b} {c:04d}",
                            f"{a}.{b}.{c:04d}"][style],
    st.integers(200, 999), st.integers(200, 999), st.integers(0, 9999), st.integers(0, 3),
)
_PROSE = st.sampled_from(["", "DOS ", "seen on ", "call ", "phone: ", "Dx E11.9 on ", "CPT 99213, "])


@settings(max_examples=300, deadline=None)
@given(_PROSE, st.one_of(_DATE, _PHONE), st.sampled_from(["", ".", " today", ", thanks", "\n"]))
def test_no_code_from_inside_a_date_or_phone(before: str, noise: str, after: str) -> None:
    text = before + noise + after
    start, end = len(before), len(before) + len(noise)
    for m in extract_codes(text):
        assert m.end <= start or m.start >= end, (text, m)
