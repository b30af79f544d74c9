"""Injuries (OGCR I.C.19): the 7th character follows what the visit is for, not whether the
provider has seen the patient before; an injury's aftercare is the injury code with D, never
an aftercare Z code; a sequela code follows the residual condition. Plus laterality from the
words (OGCR I.B.13), since a wrong side makes every later 7th character wrong too.
"""

from __future__ import annotations

import re

from consultant.analysis import prefilter
from consultant.analysis.findings import INFO, WARNING, Issue, Suggestion
from consultant.analysis.guidelines import data
from consultant.analysis.guidelines.case import (
    NOTHING,
    GuidelineCase,
    Part,
    Ruling,
    issue,
    span_in,
    suggestion,
)

_OPEN_LETTERS = {"B": 1, "E": 1, "H": 1, "M": 1, "Q": 1, "C": 2, "F": 2, "J": 2, "N": 2, "R": 2}


def _injury_codes(part: Part) -> tuple[str, ...]:
    """Injury codes with a 7th character (S00-T34: injuries, burns, frostbite; the poisoning
    and complication codes T36-T88 follow other rules for 'subsequent')."""
    return tuple(
        c for c in part.codes
        if (c[:1] == "S" or (c[:1] == "T" and c[1:3] < "35"))
        and len(c.replace(".", "")) == 7 and c[-1].isalpha()
    )


def _is_fracture(case: GuidelineCase, code: str) -> bool:
    """Whether the code takes the fracture 7th characters (G, K, P ...), per the tables."""
    return any(s.character == "G" for s in case.book.seventh_characters(code[:-1].rstrip("X.")))


_NEGATED = re.compile(r"\b(?:without|no|nor|not|free\s+of|negative\s+for)\s+(?:\w+\s+)?$", re.IGNORECASE)
_REACH = 100  # a stage word counts only this close to an injury word or a written injury code


def _stage(part: Part) -> tuple[str, re.Match[str]] | None:
    """What the visit is for, from a stage word said of the injury (near an injury word or an
    injury code), so a 'follow-up' elsewhere in a long note does not move the 7th character."""
    anchors = [m.start() for m in prefilter.finditer(data.INJURY_WORDS, part.text)]
    anchors += [m.start() for m in re.finditer(r"\b[ST]\d{2}\.?[0-9A-Z]{1,4}", part.text)]
    if not anchors:
        return None  # no injury word nor code for a stage word to be said of
    for name, pattern in data.ENCOUNTER_STAGES:
        for m in prefilter.finditer(pattern, part.text):
            if _NEGATED.search(part.text[max(0, m.start() - 16) : m.start()]):
                continue  # 'without sequelae', 'no delayed union'
            if any(abs(a - m.start()) <= _REACH for a in anchors):
                return name, m
    return None


_FUTURE_BEFORE = re.compile(r"\b(?:plan\w*|will|return|next|schedul\w*|RTC|to\s+be|for\s+the)\b", re.IGNORECASE)
_FUTURE_AFTER = re.compile(r"^\W{0,3}(?:in\s+)?(?:\d+|one|two|three|four|six)\s*-?\s*(?:d|days?|wks?|weeks?|mos?|months?)\b", re.IGNORECASE)


def _future(text: str, cue: re.Match[str]) -> bool:
    line_start = text.rfind("\n", 0, cue.start()) + 1
    before = text[max(line_start, cue.start() - 60) : cue.start()]
    return bool(_FUTURE_BEFORE.search(before) or _FUTURE_AFTER.match(text[cue.end() : cue.end() + 20]))


def _openness(part: Part, letter: str) -> int:
    if part.says(data.OPEN_FRACTURE):
        return 2 if part.says(data.GUSTILO_III) else 1
    return _OPEN_LETTERS.get(letter, 0)


def _wanted(case: GuidelineCase, code: str, stage: str, openness: int) -> str | None:
    if _is_fracture(case, code):
        return data.FRACTURE_SEVENTH[stage][openness]
    if stage in ("delayed", "nonunion", "malunion"):
        return None
    return data.INJURY_SEVENTH[stage]


def seventh_by_encounter(case: GuidelineCase) -> Ruling:
    """7th character from the visit's words: A while the injury is actively treated, D for
    routine care in the healing phase (a recheck, cast change, healing as expected), G/K/P for
    delayed healing, nonunion, malunion (with the open-fracture variants), S for a sequela
    (OGCR I.C.19.a, I.C.19.c.1)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    # 'Injury of unspecified body region' beside a code that names the region is noise.
    has_site = any(c[:1] == "S" for c in case.named_icd + case.suggested_icd)
    for part in case.parts():
        codes = _injury_codes(part)
        if not codes and not part.says(data.OPEN_FRACTURE):
            continue  # nothing to give a 7th character, nor an open fracture to ask about
        found = _stage(part) or _initial(part)
        if found is None:
            if not codes and part.says(data.OPEN_FRACTURE):
                _open_question(case, part, add, issues)
            continue
        stage, cue = found
        # A follow-up that is still to come ('recheck in 1 wk', 'plan: ... f/u') is a later
        # visit: this one keeps its 7th character and the later one is given.
        also_initial = stage == "routine" and _future(part.text, cue)
        for code in codes:
            letter = code[-1]
            if code not in part.named and (
                any(n != code and n[:6] == code[:6] and n[:1] in "ST" for n in part.named)
                or (code.startswith(("T14.8", "T14.9")) and has_site)
            ):
                drop.append(code)  # the sender's own code of this injury says it better
                continue
            if also_initial:
                # Treated today, the follow-up is a later visit: A now, D at the recheck.
                if letter in "ABC":
                    later = data.FRACTURE_SEVENTH["routine"]["ABC".index(letter)] if _is_fracture(
                        case, code) else "D"
                    s = suggestion(
                        case, code[:-1] + later,
                        f"for the later visit ('{cue.group(0)}'): routine care while the injury "
                        f"heals takes 7th character {later}; this visit's active treatment keeps "
                        f"{letter} (OGCR I.C.19.a)",
                        span_in(part, cue),
                    )
                    if s is not None:
                        add.append(s)
                continue
            want = _wanted(case, code, stage, _openness(part, letter))
            if want is None or want == letter:
                if stage == "sequela" and letter == "S":
                    issues.append(_sequela_order(case, part, code))
                continue
            better = code[:-1] + want
            why = (
                f"the documentation describes {data.STAGE_WORDS[stage]} ('{cue.group(0)}'), so "
                f"the 7th character is {want}: {better} (OGCR I.C.19.a, I.C.19.c.1)"
            )
            s = suggestion(case, better, why, span_in(part, cue))
            if s is None:
                continue
            add.append(s)
            if code in part.named:
                issues.append(issue(WARNING, (code, better), f"{code}: {why}.", "I.C.19.a, I.C.19.c.1"))
            else:
                drop.append(code)
            if stage == "sequela":
                issues.append(_sequela_order(case, part, better))
    if has_site:
        drop += [c for c in case.suggested_icd if c.startswith(("T14.8", "T14.9"))]
    return Ruling(tuple(add), tuple(drop), tuple(issues))


def _initial(part: Part) -> tuple[str, re.Match[str]] | None:
    """Active treatment given at this visit (ED visit, admitted for ORIF, reduced today) and
    nothing that puts it in the past: the initial encounter (OGCR I.C.19.a)."""
    for m in data.ACTIVE_TREATMENT_NOW.finditer(part.text):
        after = part.text[m.end() : m.end() + 25]
        if re.match(r"^\s*(?:was\s+)?(?:done|performed|on|in)\b|^\s*\d{1,2}/\d{1,2}", after, re.IGNORECASE):
            continue  # 'ORIF done 3/2/26', 'ORIF 7/15': treatment in the past
        return "initial", m
    return None


def _sequela_order(case: GuidelineCase, part: Part, code: str) -> Issue:
    residual = [c for c in part.codes if c[:1] not in "ST"]
    first = residual[0] if residual else "the code of the residual condition"
    return issue(
        INFO, (code, *residual[:1]),
        f"{code} is a sequela code: code {first} (the condition the old injury left) first and "
        f"{code} after it (OGCR I.B.10, I.C.19.a).",
        "I.B.10",
    )


def _open_question(case: GuidelineCase, part: Part, add: list[Suggestion], issues: list[Issue]) -> None:
    """'What if the fracture was open (Gustilo II)?' without a code: answer for the fracture
    codes of the mail whose 7th character the question names (all of them if it names none)."""
    letters = set(re.findall(r"(?<![\w.])([A-S])(?![\w.])", part.text))
    openness = 2 if part.says(data.GUSTILO_III) else 1
    fractures = [
        c for c in case.named_icd
        if c[:1] == "S" and len(c.replace(".", "")) == 7 and c[-1] in "ADGKP" and _is_fracture(case, c)
    ]
    asked = [c for c in fractures if c[-1] in letters] or fractures
    for code in asked:
        stage = {"A": "initial", "D": "routine", "G": "delayed", "K": "nonunion", "P": "malunion"}[code[-1]]
        better = code[:-1] + data.FRACTURE_SEVENTH[stage][openness]
        kind = "type IIIA/B/C" if openness == 2 else "type I or II"
        why = (
            f"if the fracture was open ({kind}), {data.STAGE_WORDS[stage]} takes "
            f"{better[-1]}, not {code[-1]}: {better} (OGCR I.C.19.c.1; an open fracture not "
            "typed is coded as type I or II)"
        )
        m = part.says(data.OPEN_FRACTURE)
        s = suggestion(case, better, why, span_in(part, m) if m else (part.start, part.end))
        if s is not None:
            add.append(s)
            issues.append(issue(INFO, (code, better), f"{code}: {why}.", "I.C.19.c.1"))


def no_aftercare_for_injury(case: GuidelineCase) -> Ruling:
    """Aftercare Z codes are not used for injuries: the injury code with 7th character D is
    (OGCR I.C.21.c.7)."""
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        injury = _injury_codes(part) or part.says(data.INJURY_WORDS)
        if not injury:
            continue
        for code in part.having(*data.AFTERCARE_NOT_FOR_INJURY):
            msg = (
                f"{code} is not used for the aftercare or follow-up of an injury: report the "
                "injury code with 7th character D (subsequent encounter) instead (OGCR "
                "I.C.21.c.7)."
            )
            if code in part.named:
                issues.append(issue(WARNING, (code,), msg, "I.C.21.c.7"))
            else:
                drop.append(code)
    return Ruling(drop=tuple(drop), issues=tuple(issues)) if drop or issues else NOTHING


def _other_side(case: GuidelineCase, code: str, want: str) -> str | None:
    """The code that differs only in its side (by the tables' titles)."""
    title = case.title(code)
    if not title:
        return None
    have = "left" if want == "right" else "right"
    target = re.sub(rf"\b{have}\b", want, title)
    if target == title:
        return None
    bare = code.replace(".", "")
    for i in range(3, len(bare)):
        for ch in "0123456789":
            if ch == bare[i]:
                continue
            cand = bare[:i] + ch + bare[i + 1:]
            cand = f"{cand[:3]}.{cand[3:]}" if len(cand) > 3 else cand
            if case.title(cand) == target:
                return cand
    return None


def laterality_from_words(case: GuidelineCase) -> Ruling:
    """A suggested code's side must be the side the words state (OGCR I.B.13): 'R wrist' is
    never the left radius."""
    add: list[Suggestion] = []
    drop: list[str] = []
    for s in case.suggestions:
        if s.status != "current":
            continue
        a, b = s.span
        window = case.text[max(0, a - 100) : b + 12]
        right, left = data.SIDE_RIGHT.search(window), data.SIDE_LEFT.search(window)
        if bool(right) == bool(left):
            continue  # no side, or both: the title is not looked up
        title = (case.title(s.code) or "").lower()
        if not title:
            continue
        if right and not left and re.search(r"\bleft\b", title):
            want = "right"
        elif left and not right and re.search(r"\bright\b", title):
            want = "left"
        else:
            continue
        other = _other_side(case, s.code, want)
        if other is None:
            continue
        new = suggestion(
            case, other,
            f"the words give the {want} side ('{(right or left).group(0)}'), so {other}, not "  # type: ignore[union-attr]
            f"{s.code} (OGCR I.B.13)",
            s.span, score=s.score,
        )
        if new is not None:
            add.append(new)
            drop.append(s.code)
    return Ruling(tuple(add), tuple(drop)) if add else NOTHING
