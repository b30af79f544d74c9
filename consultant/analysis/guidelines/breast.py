"""Breast cancer by what the note documents (Neoplasm Table, C50.-; OGCR I.C.2 and I.B.18):
the quadrant (or the clock position read by the side), the side and the sex give the code, and
the receptor status goes with it (Tabular note at C50 and Z17: one code per receptor documented,
Z17.4- only when a combined status is all that is documented).

A breast malignancy written in a coder's shorthand ('L breast IDC UOQ', 'right breast ca at 10
o'clock') otherwise matches lump or unspecified-site titles; 'ER/PR+, HER2-' matches the
positive status of every receptor named. Word lists and code maps are in
`consultant.analysis.guidelines.data`.
"""

from __future__ import annotations

from consultant.analysis import prefilter
from consultant.analysis.findings import WARNING, Issue, Suggestion
from consultant.analysis.guidelines import data
from consultant.analysis.guidelines.case import (
    NOTHING,
    GuidelineCase,
    Part,
    Ruling,
    issue,
    suggestion,
)

_SIDE_DIGIT = {"right": "1", "left": "2"}


def _side(words: str) -> str | None:
    """'right', 'left', or None when the words name no side or both."""
    right = bool(data.BREAST_RIGHT.search(words))
    left = bool(data.BREAST_LEFT.search(words))
    if data.BREAST_BOTH.search(words) or right == left:
        return None
    return "right" if right else "left"


def _quadrant(words: str, side: str | None) -> tuple[str, str] | None:
    """(site digit, the words that show it): a named quadrant or part, else a clock position
    read by the side (a position on a quadrant line is no quadrant)."""
    for pattern, digit in data.BREAST_SITES:
        m = pattern.search(words)
        if m:
            return digit, m.group(0)
    clock = data.BREAST_CLOCK.search(words)
    if clock and side is not None:
        hour = int(clock.group(1)) % 12
        quadrant = data.BREAST_CLOCK_QUADRANT[side].get(hour)
        if quadrant is not None:
            return quadrant, clock.group(0)
    return None


def _mentions(part: Part) -> list[tuple[int, int]]:
    """Spans (in the part) where a current breast malignancy is named: a breast word and a
    malignancy word close together, not in situ, not a history, a relative's or a query."""
    out = []
    for m in prefilter.finditer(data.BREAST_CANCER, part.text):
        line_start = part.text.rfind("\n", 0, m.start()) + 1
        before = part.text[max(line_start, m.start() - 40) : m.start()]
        line_end = part.text.find("\n", m.end())
        after = part.text[m.end() : line_end if line_end >= 0 else len(part.text)][:40]
        if (data.IN_SITU.search(m.group(0) + after) or data.NOT_CURRENT_CANCER.search(before)
                or data.NOT_CURRENT_AFTER.match(after)):
            continue
        out.append((m.start(), m.end()))
    return out


def breast_site_and_side(case: GuidelineCase) -> Ruling:
    """A breast malignancy is coded by the quadrant, side and sex the note documents (Neoplasm
    Table, C50.-); a lump or unspecified-site title read from the same words is withdrawn, and
    an unspecified site the sender wrote is flagged when the note documents the site
    (OGCR I.B.18, I.C.2)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        spans = _mentions(part)
        if not spans:
            continue
        a, b = spans[0]
        line_start = part.text.rfind("\n", 0, a) + 1
        line_end = part.text.find("\n", b)
        line = part.text[line_start : line_end if line_end >= 0 else len(part.text)]
        words = part.text[max(line_start, a - 30) : b + 60 if line_end < 0 else min(line_end, b + 60)]
        side = _side(words)
        site = _quadrant(line, side)
        male = bool(data.MALE_PATIENT.search(part.text))
        digit, shown = site if site is not None else ("9", "")
        code = f"C50.{digit}{'2' if male else '1'}{_SIDE_DIGIT.get(side or '', '9')}"
        said = [w for w in (shown and f"'{shown}'", side, "male" if male else "female (no male patient named)") if w]
        reason = (
            f"breast malignancy coded by what the note documents ({', '.join(said)}): {code} "
            "(ICD-10-CM Neoplasm Table, C50.-; OGCR I.C.2)"
        )
        s = suggestion(case, code, reason, (part.start + a, part.start + b))
        if s is None:
            continue
        if code not in part.named:
            add.append(s)
        region = (part.start + max(line_start, a - 60), part.start + b + 80)
        drop += [
            x.code for x in case.suggestions
            if x.code != code and x.code.startswith(data.BREAST_WITHDRAWN)
            and region[0] <= x.span[0] < region[1]
        ]
        for named in part.named:
            if named.startswith("C50") and named != code and data.UNSPECIFIED_BREAST.match(named) \
                    and not data.UNSPECIFIED_BREAST.match(code):
                issues.append(issue(
                    WARNING, (named, code),
                    f"{named} is an unspecified breast site, but the note documents "
                    f"{', '.join(said[:-1]) or 'the site'}: do not use {named}; use {code} "
                    "(OGCR I.B.18: an unspecified code only when the record gives no more).",
                    "I.B.18, I.C.2",
                ))
    if not (add or drop or issues):
        return NOTHING
    return Ruling(add=tuple(add), drop=tuple(dict.fromkeys(drop)), issues=tuple(issues))


def _statuses(text: str) -> tuple[dict[str, str], dict[str, tuple[int, int]], list[tuple[int, int]]]:
    """Receptor -> '+' or '-' as written ('ER/PR+', 'HER2-negative', 'estrogen receptor
    positive'), where each was read, and the spans of all the words read."""
    found: dict[str, str] = {}
    at: dict[str, tuple[int, int]] = {}
    spans: list[tuple[int, int]] = []
    for pattern, receptors in data.RECEPTOR_STATUS:
        for m in prefilter.finditer(pattern, text):
            word = m.group("word") or ""
            sign = "+" if word.lower().startswith("pos") or m.group("sign") == "+" else "-"
            for r in receptors:
                found.setdefault(r, sign)
                at.setdefault(r, (m.start(), m.end()))
            spans.append((m.start(), m.end()))
    return found, at, spans


def receptor_status(case: GuidelineCase) -> Ruling:
    """With a breast (or ovarian) malignancy, one Z17 code per receptor whose status is
    documented, read with its sign; Z17.4- only when a combined status is all the note says
    (Tabular notes at C50 and Z17)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    for part in case.parts():
        found, at, spans = _statuses(part.text)
        combined = part.says(data.RECEPTOR_COMBINED)
        if combined is None and not found.keys() & {"ER", "PR", "HER2"}:
            continue  # no status to code (read first: most mails name none, and cancer words are slower)
        cancer = part.having("C50", "C56") or part.says(data.CANCER_WORDS)
        if not cancer:
            continue
        codes: list[tuple[str, str, tuple[int, int]]] = []
        if found.keys() & {"ER", "PR"}:
            codes += [(data.RECEPTOR_CODES[(r, found[r])], f"{r}{found[r]}", at[r]) for r in ("ER", "PR", "HER2") if r in found]
        elif combined is not None:
            hr = "+" if combined.group("hr") and combined.group("hr_sign") in ("+", "pos", "positive") else "-"
            her2 = found.get("HER2", "-" if combined.group("triple") else "")
            if her2:
                codes.append((data.RECEPTOR_COMBINED_CODES[(hr, her2)], f"HR{hr}, HER2{her2}",
                              (combined.start(), combined.end())))
            spans.append((combined.start(), combined.end()))
        elif "HER2" in found:
            codes.append((data.RECEPTOR_CODES[("HER2", found["HER2"])], f"HER2{found['HER2']}", at["HER2"]))
        if not codes:
            continue
        mine = {c for c, _, _ in codes}
        for code, shown, (a, b) in codes:
            where = (part.start + a, part.start + b)
            if code in part.named:
                continue
            s = suggestion(
                case, code,
                f"receptor status documented as {shown}: {code}, after the malignancy code "
                "(Tabular notes at C50 and Z17: one code for each receptor documented)",
                where, score=0.85,
            )
            if s is not None:
                add.append(s)
        drop += [
            x.code for x in case.suggestions
            if x.code not in mine
            and (x.code.startswith("Z17") or any(
                part.start + a <= x.span[0] < part.start + b for a, b in spans))
        ]
    if not (add or drop):
        return NOTHING
    return Ruling(add=tuple(add), drop=tuple(dict.fromkeys(drop)))




def _lump_code(side: str, site: str) -> str | None:
    """N63.- for a breast lump by side and the C50 site digit read from the words."""
    r = "1" if side == "right" else "2"
    if site == "6":
        return f"N63.3{r}"
    if site == "1":
        return f"N63.4{r}"
    quadrant = data.LUMP_QUADRANT.get(site)
    return f"N63.{r}{quadrant}" if quadrant else None


def breast_lump_quadrant(case: GuidelineCase) -> Ruling:
    """A breast lump suggested without its quadrant is coded to the quadrant (or axillary tail,
    subareolar) and side the note documents (N63.-; OGCR I.B.18: no unspecified code when the
    record says more)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    for part in case.parts():
        vague = [
            s for s in case.suggestions
            if s.code in data.LUMP_UNSPECIFIED and s.status == "current"
            and part.start <= s.span[0] < part.end
        ]
        if not vague or _mentions(part):
            continue
        s = vague[0]
        side = {"N63.10": "right", "N63.20": "left"}.get(s.code) or _side(part.text)
        site = _quadrant(part.text, side)
        if side is None or site is None:
            continue
        code = _lump_code(side, site[0])
        if code is None or code in part.named:
            continue
        if code in part.suggested:
            drop += [v.code for v in vague]
            continue
        new = suggestion(
            case, code,
            f"the note documents where the lump is ('{site[1]}', {side} breast): {code}, not an "
            "unspecified quadrant (OGCR I.B.18)",
            s.span, score=max(s.score, 0.85),
        )
        if new is not None:
            add.append(new)
            drop += [v.code for v in vague]
    if not (add or drop):
        return NOTHING
    return Ruling(add=tuple(add), drop=tuple(dict.fromkeys(drop)))


__all__ = ["breast_lump_quadrant", "breast_site_and_side", "receptor_status"]
