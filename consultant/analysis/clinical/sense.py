"""Words read in their context: a suggestion from a word that means something else around it
(CAD beside a mammogram, 'lac' with no site, a 'sugar tong' splint), from words that name no
clinical finding (anatomy, a procedure or a test alone), or from a diagnosis the case calls
uncertain ('r/o', 'probable', 'suspected': outpatient rule), is dropped or marked.

Data-driven: the senses and the no-finding words are in `data/clinical/senses.toml`, in our
own words with sources. Pure.

    >>> [s.code for s in read_in_context("Screening mammo with CAD", sugs)]   # doctest: +SKIP
    []
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from consultant.analysis.findings import WARNING, Issue, Suggestion
from consultant.codes.mention import Mention

DATA = Path(__file__).resolve().parents[3] / "data" / "clinical" / "senses.toml"
REACH = 80
ICD = "ICD10CM"
UNCERTAIN = re.compile(
    r"\b(?:r/o|rule\s+out|ruled\s+out|to\s+rule\s+out|probabl[ey]|suspect(?:ed)?|possible|possibly|"
    r"likely|questionable|query|presumed|concern\s+for|cannot\s+exclude|versus|vs\.?)\s*(?:\w+\s+){0,3}$",
    re.IGNORECASE,
)
OUTPATIENT_RULE = ("uncertain: in an outpatient visit code the signs or symptoms, not a 'rule out', "
                   "'probable' or 'suspected' diagnosis (ICD-10-CM Official Guidelines IV.H)")
_WORD = re.compile(r"[A-Za-z][A-Za-z\-]*")


@dataclass(frozen=True)
class Sense:
    """A word's other meaning: read when `context` occurs around the phrase, or when the words
    right before it end with `before` or the words right after it start with `after` (a
    'flu shot', a 'vaccine against pneumonia')."""

    word: re.Pattern[str]
    context: re.Pattern[str] | None
    means: str
    source: str
    before: re.Pattern[str] | None = None
    after: re.Pattern[str] | None = None

    def reads(self, text: str, start: int, end: int) -> bool:
        """The words around text[start:end] give this sense."""
        around = text[max(0, start - REACH) : start] + " " + text[end : end + REACH]
        return bool(
            (self.context is not None and self.context.search(around))
            or (self.before is not None and self.before.search(text[max(0, start - REACH) : start]))
            or (self.after is not None and self.after.match(text[end : end + REACH]))
        )


def _pattern(raw: dict[str, str], key: str) -> re.Pattern[str] | None:
    return re.compile(raw[key], re.IGNORECASE) if key in raw else None


@lru_cache(maxsize=1)
def _data() -> tuple[tuple[Sense, ...], frozenset[str]]:
    with open(DATA, "rb") as f:
        raw = tomllib.load(f)
    senses = tuple(
        Sense(re.compile(s["word"], re.IGNORECASE), _pattern(s, "context"), s["means"], s["source"],
              _pattern(s, "before"), _pattern(s, "after"))
        for s in raw["sense"]
    )
    return senses, frozenset(w.lower() for w in raw["not_a_finding"]["words"])


def other_sense(text: str, s: Suggestion) -> str | None:
    """What the suggestion's phrase means here instead, when the words around it say so."""
    senses, _ = _data()
    start, end = s.span
    for sense in senses:
        if sense.word.search(s.phrase) and sense.reads(text, start, end):
            return sense.means
    return None


def names_no_finding(phrase: str) -> bool:
    """Only anatomy, sides, procedure or test words: no condition to code."""
    _, words = _data()
    tokens = [w.lower() for w in _WORD.findall(phrase)]
    return bool(tokens) and all(t in words for t in tokens)


def uncertain_before(text: str, s: Suggestion) -> bool:
    start = s.span[0]
    line_start = max(text.rfind("\n", 0, start), text.rfind(".", 0, start)) + 1
    return bool(UNCERTAIN.search(text[max(line_start, start - 40) : start]))


def codes_only(text: str, named_codes: int) -> bool:
    """A mail that is mostly a list of codes: few words besides them."""
    words = [w for w in _WORD.findall(text) if len(w) > 2]
    return named_codes >= 2 and len(words) <= 4 * named_codes + 8


# A laboratory result quoted in a note ('A1c 8.2', 'Cr 2.8 (baseline 0.9)', 'troponin 0.04'):
# the test's value, read from a chart, names no service billed by the sender; the lab code is
# suggested only when the mail says the test was done or drawn here.
_RESULT_AFTER = re.compile(r"\s*(?:of|was|is|=|:|at|level)?\s*[<>]?\s*\d", re.IGNORECASE)
_DONE_HERE = re.compile(
    r"\b(?:drawn|collected|performed|done|ran|run|point[- ]of[- ]care|POC|in[- ]office|in[- ]house|"
    r"venipuncture|specimen|ordered|we\s+(?:did|ran|billed?|bill)|billing|billed|bill)\b", re.IGNORECASE)
LAB_RESULT_RULE = ("a test result quoted in the note is no service billed here; the lab code goes on "
                   "the claim of whoever ran the test (CPT Pathology and Laboratory guidelines, paraphrased)")


def lab_result_only(text: str, s: Suggestion) -> bool:
    """A laboratory code (80047-89398) suggested from a test named with its value, in a sentence
    that does not say the test was done or drawn here."""
    if s.system != "CPT" or not s.code.isdigit() or not 80047 <= int(s.code) <= 89398:
        return False
    start, end = s.span
    if not _RESULT_AFTER.match(text, end):
        return False
    a = max(text.rfind(".", 0, start), text.rfind("\n", 0, start)) + 1
    b_dot, b_nl = text.find(".", end), text.find("\n", end)
    b = min(x for x in (b_dot, b_nl, len(text)) if x >= 0)
    return not _DONE_HERE.search(text, a, b)


def read_in_context(
    text: str, suggestions: Sequence[Suggestion], *, setting: str = "outpatient", named_codes: int = 0
) -> tuple[Suggestion, ...]:
    """The suggestions that survive reading their words in context (uncertain ones marked in
    the outpatient setting); for a mail of codes only, just the strong clinical ones."""
    only_codes = codes_only(text, named_codes)
    out = []
    for s in suggestions:
        if other_sense(text, s) is not None:
            continue
        if s.system == ICD and names_no_finding(s.phrase):
            continue
        if lab_result_only(text, s):
            continue
        if only_codes and s.score < 0.8:
            continue
        if (setting == "outpatient" and s.system == ICD and s.status == "current"
                and uncertain_before(text, s)):
            s = replace(s, status="uncertain", reason=f"{s.reason}; {OUTPATIENT_RULE}")
        out.append(s)
    return tuple(out)


def uncertain_codes(
    text: str, mentions: Sequence[Mention], *, setting: str = "outpatient"
) -> tuple[Issue, ...]:
    """An ICD-10-CM code the sender wrote after 'r/o', 'probable', 'suspected' ...: in the
    outpatient setting it is not coded as established (a warning saying what to code)."""
    if setting != "outpatient":
        return ()
    out = []
    seen: set[str] = set()
    for m in mentions:
        if m.system != ICD or m.code in seen:
            continue
        line_start = max(text.rfind("\n", 0, m.start), text.rfind(".", 0, m.start)) + 1
        before = text[max(line_start, m.start - 40) : m.start]
        cue = UNCERTAIN.search(before)
        if cue is None:
            continue
        seen.add(m.code)
        out.append(Issue(
            WARNING, "uncertain_dx", (m.code,),
            f"{m.code} is written after \"{' '.join(cue.group(0).split())}\": do not code a "
            f"diagnosis that is still uncertain in an outpatient visit; code the signs, symptoms "
            f"or findings that are documented instead.",
            "ICD-10-CM Official Guidelines IV.H",
        ))
    return tuple(out)
