"""`suggest.conventions.substitute`: a rule's replacement never fails on a suggestion an earlier
rule already replaced (it raised ValueError, which turned the whole mail into an internal error)."""

from __future__ import annotations

from consultant.analysis.findings import Suggestion
from consultant.analysis.suggest.conventions import substitute


def s(code: str) -> Suggestion:
    return Suggestion("ICD10CM", code, code, 0.9, (0, 4), "word", "matched")


def test_substitute_in_place_drop_and_after_an_earlier_replacement() -> None:
    out = [s("E13.9"), s("I10")]
    substitute(out, out[0], s("E11.9"))
    assert [x.code for x in out] == ["E11.9", "I10"]
    substitute(out, s("E13.9"), s("E11.65"))          # E13.9 is gone already: the new code is added
    assert [x.code for x in out] == ["E11.9", "I10", "E11.65"]
    substitute(out, s("E13.9"), s("I10"))             # ... once
    assert [x.code for x in out] == ["E11.9", "I10", "E11.65"]
    substitute(out, out[0], s("I10"))                 # the new code is there: the old one goes
    assert [x.code for x in out] == ["I10", "E11.65"]
