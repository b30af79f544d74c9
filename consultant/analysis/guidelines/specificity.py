"""Codes made as specific as the documentation allows, by the tables' own titles: respiratory
failure with hypoxia or hypercapnia, asthma by severity and exacerbation, COPD with both an
infection and an exacerbation, current tobacco use rather than its history, supplemental-oxygen
dependence, and chronic ulcers by depth (OGCR I.B.3 specificity, I.C.10, I.C.12, I.C.21.c).
"""

from __future__ import annotations

import itertools
import re

from consultant.analysis.findings import INFO, WARNING, Issue, Suggestion
from consultant.analysis.guidelines import data
from consultant.analysis.guidelines.case import (
    NOTHING,
    GuidelineCase,
    Part,
    Ruling,
    code_pattern,
    issue,
    span_in,
    suggestion,
)


def sibling_titled(case: GuidelineCase, code: str, old: str, new: str) -> str | None:
    """The code beside `code` whose title says `new` where `code`'s says `old`."""
    title = case.title(code) or ""
    if old not in title:
        return None
    target = _plain(title.replace(old, new))
    return next((e.code for e in case.siblings(code) if _plain(e.title) == target), None)


def _plain(title: str) -> str:
    """A title without its commas and extra spaces ('failure, with hypoxia' = 'failure with
    hypoxia')."""
    return " ".join(title.replace(",", " ").split()).lower()


def _replace(
    case: GuidelineCase, part: Part, code: str, better: str, why: str, section: str,
    cue: re.Match[str], add: list[Suggestion], drop: list[str], issues: list[Issue],
) -> None:
    s = suggestion(case, better, why, span_in(part, cue))
    if s is None:
        return
    add.append(s)
    if code in part.named:
        issues.append(issue(WARNING, (code, better), f"{code}: {why}.", section))
    else:
        drop.append(code)


def respiratory_failure_type(case: GuidelineCase) -> Ruling:
    """Respiratory failure 'unspecified whether with hypoxia or hypercapnia' (J96.x0) is not used
    when the record says which (Tabular J96; OGCR I.B.3, I.C.10.b)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    old = "unspecified whether with hypoxia or hypercapnia"
    for part in case.parts():
        hyp = part.says(data.HYPOXIA)
        cap = part.says(data.HYPERCAPNIA)
        if hyp is None and cap is None:
            continue
        new = ("with hypoxia and hypercapnia" if hyp and cap else "with hypoxia" if hyp else "with hypercapnia")
        cue = hyp or cap
        assert cue is not None
        for code in part.having("J96"):
            better = sibling_titled(case, code, old, new)
            if better is None:
                continue
            why = (
                f"the record documents '{cue.group(0)}', so the respiratory failure is coded "
                f"{new}: {better}, not the unspecified {code} (Tabular J96; OGCR I.C.10.b)"
            )
            _replace(case, part, code, better, why, "I.C.10.b", cue, add, drop, issues)
    return Ruling(tuple(add), tuple(drop), tuple(issues))


def asthma_severity(case: GuidelineCase) -> Ruling:
    """Asthma by the severity the provider documents (mild intermittent ... severe persistent)
    and with exacerbation or status asthmaticus (Tabular J45; OGCR I.C.10.a)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        sev = part.says(data.ASTHMA_SEVERITY)
        if sev is None or not (part.says(data.ASTHMA) or part.having("J45")):
            continue
        level = data.ASTHMA_LEVELS[_severity_key(sev)]
        status = part.says(data.STATUS_ASTHMATICUS)
        exac = part.says(data.EXACERBATION)
        fifth = "2" if status else "1" if exac else "0"
        code = f"{level}{fifth}"
        cue = status or exac or sev
        why = (
            f"{' '.join(sev.group(0).split())} asthma"
            + (" with status asthmaticus" if status else " with (acute) exacerbation" if exac else ", uncomplicated")
            + f" ('{cue.group(0)}'): {code} (Tabular J45; OGCR I.C.10.a)"
        )
        s = suggestion(case, code, why, span_in(part, sev))
        if s is None:
            continue
        add.append(s)
        for other in part.having("J45"):
            if other == code:
                continue
            if other in part.named:
                issues.append(issue(WARNING, (other, code), f"{other} does not fit: {why}.", "I.C.10.a"))
            else:
                drop.append(other)
    return Ruling(tuple(add), tuple(drop), tuple(issues))


def _severity_key(m: re.Match[str]) -> str:
    words = m.group(0).lower()
    if "interm" in words:
        return "mild intermittent"
    for k in ("mild", "moderate", "mod", "severe"):
        if words.startswith(k):
            return {"mod": "moderate"}.get(k, k) + " persistent"
    return "unspecified"


def copd_infection_and_exacerbation(case: GuidelineCase) -> Ruling:
    """COPD with an acute lower respiratory infection (J44.0, with the infection coded also) and
    with an acute exacerbation (J44.1): both are reported when both are documented (OGCR
    I.C.10.a.1; Tabular J44 'code also')."""
    add: list[Suggestion] = []
    issues: list[Issue] = []
    for part in case.parts():
        copd = part.says(data.COPD)
        if copd is None and not part.having("J44"):
            continue
        infection = part.says(data.LOWER_RESP_INFECTION)
        exac = part.says(data.EXACERBATION)
        if infection is None or exac is None:
            continue
        for code, cue, what in (("J44.0", infection, "an acute lower respiratory infection"),
                                ("J44.1", exac, "an acute exacerbation")):
            s = suggestion(
                case, code,
                f"COPD with {what} ('{cue.group(0)}'): {code} (OGCR I.C.10.a.1; Tabular J44)",
                span_in(part, cue),
            )
            if s is not None:
                add.append(s)
        issues.append(issue(
            INFO, ("J44.0", "J44.1"),
            "J44.0 and J44.1 can both be reported: COPD with an acute lower respiratory "
            "infection (J44.0, with the infection coded also) and with an acute exacerbation "
            "(J44.1), when the record documents both (OGCR I.C.10.a.1; Tabular J44).",
            "I.C.10.a.1",
        ))
    return Ruling(add=tuple(add), issues=tuple(issues))


def tobacco_current_not_history(case: GuidelineCase) -> Ruling:
    """A current smoker has nicotine dependence (F17.2-, cigarettes F17.21-), not the history
    code Z87.891, which is for a dependence that no longer exists (OGCR I.C.21.c.4; Tabular
    F17 Excludes1)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        current = part.says(data.CURRENT_SMOKER)
        if current is None or part.says(data.FORMER_SMOKER):
            continue
        cig = part.says(data.CIGARETTES)
        code = "F17.210" if cig else "F17.200"
        why = (
            f"'{current.group(0)}' is current tobacco use: {code}"
            + (f" (cigarettes: '{cig.group(0)}')" if cig else "")
            + "; Z87.891 is only for a past dependence (OGCR I.C.21.c.4)"
        )
        s = suggestion(case, code, why, span_in(part, current))
        if s is not None:
            add.append(s)
        for other in part.having("Z87.891", "F17.20" if cig else "F17.2X"):
            if other == code:
                continue
            if other in part.named:
                issues.append(issue(WARNING, (other, code), f"{other} does not fit: {why}.", "I.C.21.c.4"))
            else:
                drop.append(other)
    return Ruling(tuple(add), tuple(drop), tuple(issues))


def oxygen_dependence(case: GuidelineCase) -> Ruling:
    """Long-term home oxygen is the status Z99.81 (OGCR I.C.21.c.3)."""
    add: list[Suggestion] = []
    for part in case.parts():
        m = part.says(data.HOME_OXYGEN)
        if m is None:
            continue
        s = suggestion(
            case, "Z99.81",
            f"dependence on supplemental oxygen ('{m.group(0)}') is a status code: Z99.81 "
            "(OGCR I.C.21.c.3)",
            span_in(part, m), score=0.8,
        )
        if s is not None:
            add.append(s)
    return Ruling(add=tuple(add)) if add else NOTHING


def ulcer_depth(case: GuidelineCase) -> Ruling:
    """A chronic ulcer's severity (depth) and side come from the wound documentation, which
    clinicians other than the provider may record: 'fat layer exposed', 'necrosis of muscle'
    ... replace 'unspecified severity' (OGCR I.C.12.b; pressure ulcer stages I.C.12.a)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    mail_ulcers = tuple(c for c in case.named_icd if c.startswith(("L97", "L98.4")))
    for part in case.parts():
        for item in items_of(case, part):
            depth = next(
                ((words, m) for pattern, words in data.ULCER_DEPTHS if (m := item.says(pattern))),
                None,
            )
            if depth is None or not item.says(data.ULCER_WORDS):
                continue
            words, cue = depth
            # An item that describes a wound without its code takes the codes of the mail's list.
            codes = item.having("L97", "L98.4") or mail_ulcers
            for code in codes:
                better = sibling_titled(case, code, "with unspecified severity", words)
                target = better or code
                title = case.title(target) or ""
                side_r, side_l = item.says(data.ULCER_RIGHT), item.says(data.ULCER_LEFT)
                if side_l and not side_r and "right" in title:
                    target = _switch_side(case, target, "right", "left") or target
                elif side_r and not side_l and "left" in title:
                    target = _switch_side(case, target, "left", "right") or target
                if target == code or target in {s.code for s in add}:
                    continue
                why = (
                    f"the wound documentation gives the depth ('{cue.group(0)}') and side: "
                    f"{target} (OGCR I.C.12.b)"
                )
                _replace(case, item, code, target, why, "I.C.12.b", cue, add, drop, issues)
    return Ruling(tuple(add), tuple(drop), tuple(issues))


_ITEM = re.compile(r"^[ \t]*\d{1,2}[.)][ \t]", re.MULTILINE)


def items_of(case: GuidelineCase, part: Part) -> tuple[Part, ...]:
    """The numbered items of one part ('1. sacrum ...', '2. R heel ...'): the problems of
    one patient, each with the codes written in it."""
    starts = [part.start + m.start() for m in _ITEM.finditer(part.text)]
    if not starts:
        return (part,)
    bounds = [part.start, *starts, part.end] if starts[0] != part.start else [*starts, part.end]
    out = []
    for a, b in itertools.pairwise(bounds):
        if not case.text[a:b].strip():
            continue
        named = tuple(c for c in part.named if code_pattern(c).search(case.text, a, b))
        sugg = tuple(
            s.code for s in case.suggestions
            if s.code in part.suggested and a <= s.span[0] < b
        )
        out.append(Part(a, b, case.text[a:b], named, sugg))
    return tuple(out)


def _switch_side(case: GuidelineCase, code: str, have: str, want: str) -> str | None:
    title = case.title(code) or ""
    target = title.replace(have, want)
    bare = code.replace(".", "")
    for i in range(3, len(bare)):
        for ch in "0123456789":
            cand = bare[:i] + ch + bare[i + 1:]
            cand = f"{cand[:3]}.{cand[3:]}"
            if cand != code and case.title(cand) == target:
                return cand
    return None
