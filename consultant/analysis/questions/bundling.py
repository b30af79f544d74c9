"""Can A be billed with B: the NCCI PTP edit between them, its modifier indicator, and whether
the case's words support a distinct site or session for 59/XS/XE/XP/XU."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import combinations

from consultant.analysis.findings import CheckRecord, DirectAnswer, Issue
from consultant.analysis.questions.common import PROCEDURES, is_em
from consultant.codes.mention import Mention

# A question about billing codes together: asked of two codes in one sentence, or in bundling words.
PAIR_WORDS = re.compile(
    r"\bbundl\w*|\bseparately\b|\btogether\b|\binclusive\b|\bunbundl\w*|\bNCCI\b|\bPTP\b|"
    r"\b59\b\s*(?:or|vs\.?|/)\s*X[SEPU]\b|\bX[SEPU]\s*(?:or|vs\.?|/)\s*59\b|\bwith\b|\band\b|\+",
    re.IGNORECASE,
)
BILL_VERB = re.compile(r"\b(?:bill\w*|code\w*|report\w*|charge\w*|use|submit\w*|claim)\b|\bbundl\w*|"
                       r"\bseparately\b|\btogether\b", re.IGNORECASE)
# A question sentence; it starts only after a sentence end (or at the start): the matches of
# the plain `[^.?!\n]*\?`, without trying every position of every sentence.
SENTENCE = re.compile(r"(?:\A|(?<=[.?!\n]))[^.?!\n]*\?")
DISTINCT_SITE = re.compile(
    r"separate\s+(?:site|incision|lesion|organ|wound|area|ulcer)|different\s+(?:site|incision|lesion|"
    r"organ|wound|area|anatomic\w*|side|limb|ulcer)|other\s+(?:side|limb|knee|leg|arm|foot)|"
    r"\b(?:right|left)\b[^.\n]{0,60}\b(?:right|left)\b",
    re.IGNORECASE,
)
DISTINCT_SESSION = re.compile(
    r"separate\s+(?:session|encounter|visit)|different\s+(?:session|encounter)|later\s+(?:that|the\s+same)\s+day|"
    r"returned\s+(?:later|in\s+the\s+afternoon)",
    re.IGNORECASE,
)
SOURCE = "NCCI Policy Manual ch. I sec. E-F (PTP edits, modifier indicator, 59 and X{EPSU})"


def _support(text: str) -> str:
    site = DISTINCT_SITE.search(text)
    session = DISTINCT_SESSION.search(text)
    if site:
        return (f"the case's words suggest a separate site (\"{' '.join(site.group(0).split())[:50]}\"), "
                "which supports XS where the edit allows a modifier")
    if session:
        return (f"the case's words suggest a separate session (\"{' '.join(session.group(0).split())[:50]}\"), "
                "which supports XE where the edit allows a modifier")
    return ("the case's words do not show a separate site, session or practitioner, so 59/XS/XE/"
            "XP/XU would not be supported on what was written")


def _asked_pairs(text: str, mentions: Sequence[Mention]) -> list[tuple[str, str]]:
    """Pairs of procedure codes a question sentence asks about ('Can I bill 11042 with
    97597?'), or, when the mail speaks of bundling, the codes it names."""
    procs = [m for m in mentions if m.system in PROCEDURES and not is_em(m.code)]
    if len({m.code for m in procs}) < 2:
        return []  # no pair to ask about (the sentences are not read)
    pairs: list[tuple[str, str]] = []
    for q in SENTENCE.finditer(text):
        inside = list(dict.fromkeys(m.code for m in procs if q.start() <= m.start < q.end()))
        if len(inside) >= 2 and BILL_VERB.search(q.group(0)) and PAIR_WORDS.search(q.group(0)):
            pairs += list(combinations(inside[:4], 2))
    if not pairs and re.search(r"\bbundl\w*|\bseparately\s+(?:bill|report)\w*|\bunbundl\w*", text,
                               re.IGNORECASE):
        codes = list(dict.fromkeys(m.code for m in procs))
        pairs = list(combinations(codes[:4], 2))
    return list(dict.fromkeys(pairs))[:3]


def bundling_answers(
    text: str, mentions: Sequence[Mention], issues: Sequence[Issue], checks: Sequence[CheckRecord],
    settled: Sequence[tuple[str, ...]] = (),
) -> tuple[DirectAnswer, ...]:
    """One answer per asked pair, unless a rule already settled it (`settled`: code pairs)."""
    pairs = [p for p in _asked_pairs(text, mentions)
             if not any(set(p) <= set(done) for done in settled)]
    if not pairs:
        return ()
    ptp = next((c for c in checks if c.name == "ncci_ptp"), None)
    out = []
    support = _support(text)
    for a, b in pairs:
        edit = next((i for i in issues if i.kind == "ncci_ptp" and set(i.codes) == {a, b}), None)
        if edit is not None:
            answer = f"{edit.message} On the modifier: {support}."
            basis = f"{SOURCE}; {edit.source}"
            done = True
        elif ptp is not None and ptp.ran:
            answer = (f"Yes as far as NCCI goes: no PTP edit pairs {a} and {b} on the date of "
                      f"service in {ptp.release}; CPT's own rules on what a code includes still apply.")
            basis = f"{SOURCE}; {ptp.release}"
            done = True
        else:
            why = ptp.reason if ptp is not None else "no NCCI PTP table is loaded"
            answer = (f"Cannot tell whether an NCCI edit pairs {a} and {b}, because {why}. If an "
                      f"edit with indicator 1 exists, a modifier (59, or better XS/XE/XP/XU) is "
                      f"allowed only for a truly distinct service; here {support}.")
            basis = SOURCE
            done = False
        out.append(DirectAnswer("bundling", f"can {a} be billed with {b}?", answer, basis,
                                (a, b), done))
    return tuple(out)
