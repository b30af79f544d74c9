"""`noise_spans` finds what one plain `finditer` of the combined pattern finds: the scan that
tries it only where a match can begin, and the record labels grouped by first letter, are
speed, not a change of meaning."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from consultant.codes import noise

_PLAIN_LABELS = "(?:" + "|".join(
    re.escape(w).replace(r"\ ", r"\s+")
    for w in sorted(noise.RECORD_LABELS | noise.RECORD_PHRASES, key=len, reverse=True)
) + ")"
_PLAIN = re.compile(noise.NOISE.pattern.replace(noise._RECORD_LABEL, _PLAIN_LABELS))

_TOKENS = st.sampled_from([
    "MRN", "mrn", "Mrn:", "#", "12", "2026", "11/18/2026", "-", "/", "+", "+1", "(312)", "555-0187",
    " ", "\n", "Jan", "jan.", "ſep", "K", "İ", "v2.3.1", "version", "$", "€5", "USD", "mg", "%", "=",
    "=3D", "&#x41;", "&", "<", ">", "www.", "http://", "x" * 41, "IL", "60614", "Chicago,", "St",
    "12 Main St", ".", ",", ":", "_", "a", "Z", "9", "١٢٣", "zip code", "zip", "ZIP  Code", "po box",
    "P.O. Box", "d.o.b", "member id", "ID", "Acct #", "no.", "\t", "\r\n", "hrs", "3.11.4", "=\n",
    "abc/def+" * 6, "ſsn", "medical records", "case no", "44320", "E11.9", "#12", "CPT #99213",
])
_MAIL = st.sampled_from(["a@b.com", "<x@y.example>", "Ann <ann@clinic.example>"])


@settings(max_examples=400)
@given(st.lists(st.tuples(st.one_of(_TOKENS, _TOKENS, _TOKENS, _MAIL), st.sampled_from(["", " ", "-"])),
                max_size=25))
def test_noise_spans_are_the_plain_scan(pieces: list[tuple[str, str]]) -> None:
    text = "".join(a + b for a, b in pieces)
    assert _PLAIN.pattern != noise.NOISE.pattern
    plain = [(m.lastgroup, m.start(), m.end()) for m in _PLAIN.finditer(text)
             if not (m.lastgroup == "record" and noise._is_code_hash(text, m.start(), m.group()))]
    assert list(noise.noise_spans(text)) == plain


def test_record_numbers_and_dates_after_marks_are_found() -> None:
    text = "a #12 b, (312) 555-0187, $40, =3D, &#x41;, +1 312 555 0187\n/abc" + "d" * 40
    # with an '@' in the text the plain scan runs: the same spans, after the address's
    assert [k for k, _, _ in noise.noise_spans(text)] == [k for k, _, _ in noise.noise_spans("a@b.com\n" + text)][1:]
    assert [k for k, _, _ in noise.noise_spans(text)][:3] == ["record", "phone", "money"]
