"""Can A be billed with B: the NCCI PTP edit between them, its modifier indicator, and whether
the case's words support a distinct site or session for 59/XS/XE/XP/XU."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import combinations

from consultant.analysis.findings import CheckRecord, DirectAnswer, Issue
from consultant.analysis.questions.common import PROCEDURES
from consultant.codes.mention import Mention

PAIR_QUESTION = re.compile(
    r"\b(?:can|could|may|should|do|does|is|are)\b[^?\n]{0,80}\b(?:bill\w*|code\w*|report\w*|charge\w*|"
    r"use|bundl\w*|together|separately|included|inclusive|with|and)\b[^?\n]{0,80}\?"
    r"|\bbundl\w*|\bseparately\s+(?:billable|reportable)|\b59\b\s*(?:or|vs\.?|/)\s*X[SEPU]\b",
    re.IGNORECASE,
)
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


def bundling_answers(
    text: str, mentions: Sequence[Mention], issues: Sequence[Issue], checks: Sequence[CheckRecord]
) -> tuple[DirectAnswer, ...]:
    if not PAIR_QUESTION.search(text):
        return ()
    procs = list(dict.fromkeys(m.code for m in mentions if m.system in PROCEDURES))
    if len(procs) < 2:
        return ()
    ptp = next((c for c in checks if c.name == "ncci_ptp"), None)
    out = []
    pairs = list(combinations(procs[:4], 2))[:3]
    support = _support(text)
    for a, b in pairs:
        edit = next((i for i in issues if i.kind == "ncci_ptp" and set(i.codes) == {a, b}), None)
        if edit is not None:
            answer = f"{edit.message} On the modifier: {support}."
            basis = f"{SOURCE}; {edit.source}"
            settled = True
        elif ptp is not None and ptp.ran:
            answer = (f"Yes as far as NCCI goes: no PTP edit pairs {a} and {b} on the date of "
                      f"service in {ptp.release}; CPT's own rules on what a code includes still apply.")
            basis = f"{SOURCE}; {ptp.release}"
            settled = True
        else:
            why = ptp.reason if ptp is not None else "no NCCI PTP table is loaded"
            answer = (f"Cannot tell whether an NCCI edit pairs {a} and {b}, because {why}. If an "
                      f"edit with indicator 1 exists, a modifier (59, or better XS/XE/XP/XU) is "
                      f"allowed only for a truly distinct service; here {support}.")
            basis = SOURCE
            settled = False
        out.append(DirectAnswer("bundling", f"can {a} be billed with {b}?", answer, basis,
                                (a, b), settled))
    return tuple(out)
