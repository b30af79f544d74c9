"""Pregnancy (OGCR I.C.15): the trimester from the weeks of gestation, Z3A weeks, gestational
diabetes by how it is controlled (and no Z79 drug code with it), pre-existing diabetes with its
trimester, and supervision of an elderly primigravida or multigravida.
"""

from __future__ import annotations

import re

from consultant.analysis import prefilter
from consultant.analysis.findings import INFO, WARNING, DocumentationGap, Issue, Suggestion
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

TRIMESTER_WORDS = {1: "first trimester", 2: "second trimester", 3: "third trimester"}
_PAST = re.compile(
    r"\b(?:dx|diagnosed|started|since|until|before|after|began|begun)\s+(?:at\s+|in\s+)?$", re.IGNORECASE
)


def _pregnant(part: Part) -> bool:
    return bool(part.having("O", "Z3A", "Z34")) or part.says(data.PREGNANT_NOW) is not None


def weeks_in(text: str) -> tuple[int, int, re.Match[str]] | None:
    """Completed weeks and days of gestation the text states for this visit: '32w3d' before a
    bare '26 wks' ('GDM dx at 26 wks' is a past event, not today's age).

    >>> weeks_in("OB visit, 32w3d. GDM dx at 26 wks")[:2]
    (32, 3)
    """
    best: tuple[int, int, re.Match[str]] | None = None
    for m in prefilter.finditer(data.WEEKS, text):
        groups = [g for g in m.groups()]
        w = next((int(g) for g in (groups[0], groups[2], groups[4]) if g), None)
        d = next((int(g) for g in (groups[1], groups[3], groups[5]) if g), 0)
        if w is None or not 1 <= w <= 45:
            continue
        if _PAST.search(text[max(0, m.start() - 16) : m.start()]):
            continue
        has_days = any(groups[i] for i in (1, 3, 5))
        if has_days:
            return w, d, m
        if best is None:
            best = (w, d, m)
    return best


def trimester_of(weeks: int) -> int:
    """First trimester before 14 weeks 0 days, second from 14w0d to before 28w0d, third from
    28w0d (the Chapter 15 trimester definitions of the Tabular, OGCR I.C.15.a.3)."""
    return 1 if weeks < 14 else 2 if weeks < 28 else 3


def z3a_for(weeks: int) -> str:
    return "Z3A.01" if weeks < 8 else "Z3A.49" if weeks > 42 else f"Z3A.{weeks:02d}"


def _setting(part: Part) -> str:
    """'2' childbirth, '3' puerperium, '1' pregnancy (the 5th character of O24.x-)."""
    if part.says(data.DELIVERY_WORDS):
        return "2"
    if part.says(data.PUERPERIUM_WORDS):
        return "3"
    return "1"


def current_drug(text: str, pattern: re.Pattern[str]) -> re.Match[str] | None:
    """A drug mention the patient still takes: none of its mentions says it was stopped.

    >>> bool(current_drug("metformin started, now insulin (metformin stopped)", data.ORAL_HYPOGLYCEMIC))
    False
    """
    found = None
    for m in prefilter.finditer(pattern, text):
        if data.STOPPED_AFTER.search(text[m.end() : m.end() + 30]) or data.STOPPED_BEFORE.search(
            text[max(0, m.start() - 30) : m.start()]
        ):
            return None
        found = found or m
    return found


def gestational_diabetes(case: GuidelineCase) -> Ruling:
    """Gestational diabetes is O24.4-: in pregnancy / childbirth / the puerperium (O24.41-/42-/43-)
    by the record, and by control: diet (0), insulin (4), oral drugs (5), with insulin winning when
    both are used; Z79.4 / Z79.84 are not assigned with O24.4- (OGCR I.C.15.i)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        gdm = part.says(data.GESTATIONAL_DM)
        if gdm is None and not part.having("O24.4"):
            continue
        if gdm is None:
            continue
        insulin = current_drug(part.text, data.INSULIN)
        oral = current_drug(part.text, data.ORAL_HYPOGLYCEMIC)
        diet = part.says(data.DIET_CONTROL)
        control, how = (
            ("4", f"insulin-controlled ('{insulin.group(0)}')") if insulin
            else ("5", f"controlled by oral drugs ('{oral.group(0)}')") if oral
            else ("0", f"diet-controlled ('{diet.group(0)}')") if diet
            else ("9", "control not stated")
        )
        code = f"O24.4{_setting(part)}{control}"
        why = (
            f"gestational diabetes, {how}: {code} (OGCR I.C.15.i; insulin is coded when both "
            "insulin and diet or oral drugs are used)"
        )
        s = suggestion(case, code, why, span_in(part, gdm))
        if s is not None:
            add.append(s)
        for other in part.having("O24.4"):
            if other == code:
                continue
            if other in part.named:
                issues.append(issue(WARNING, (other, code), f"{other} does not fit: {why}.", "I.C.15.i"))
            else:
                drop.append(other)
        for z in part.having("Z79.4", "Z79.84", "Z79.85"):
            msg = (
                f"{z} is not assigned with a gestational diabetes code (O24.4-): the O24.4 code "
                "already says how it is controlled (OGCR I.C.15.i). Drop it."
            )
            if z in part.named:
                issues.append(issue(WARNING, (z, code), msg, "I.C.15.i"))
            else:
                drop.append(z)
    return Ruling(tuple(add), tuple(drop), tuple(issues))


def pregestational_diabetes(case: GuidelineCase) -> Ruling:
    """Diabetes that existed before the pregnancy is O24.0- (type 1), O24.1- (type 2) or O24.3-
    (unspecified), with the trimester, plus the E10/E11 code and Z79.4 when on insulin — never
    the gestational O24.4- (OGCR I.C.15.g, I.C.15.h)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        pre = part.says(data.PREEXISTING_DM)
        if pre is None or not _pregnant(part) or part.says(data.GESTATIONAL_DM):
            continue
        category = "O24.0" if part.says(data.TYPE1_DM) else "O24.1" if part.says(data.TYPE2_DM) else "O24.3"
        setting = _setting(part)
        found = weeks_in(part.text)
        if setting == "1":
            code = f"{category}1{trimester_of(found[0]) if found else 9}"
        else:
            code = f"{category}{setting}"
        when = f", {TRIMESTER_WORDS[trimester_of(found[0])]} at {found[0]} weeks" if found and setting == "1" else ""
        why = (
            f"diabetes that existed before the pregnancy ('{pre.group(0)}'){when}: {code}, with "
            "the E10/E11 code for the diabetes and Z79.4 when on insulin (OGCR I.C.15.g, I.C.15.h)"
        )
        s = suggestion(case, code, why, span_in(part, pre))
        if s is not None:
            add.append(s)
        for other in part.having(category, "O24.4"):
            if other == code or (other[:5] == code[:5] and other in part.named and other.endswith("9")):
                continue  # an unspecified trimester is the trimester rule's to say
            if other in part.named:
                issues.append(issue(WARNING, (other, code), f"{other} does not fit: {why}.", "I.C.15.g"))
            else:
                drop.append(other)
        insulin = current_drug(part.text, data.INSULIN)
        if insulin is not None and category != "O24.0":
            z = suggestion(
                case, "Z79.4",
                f"long-term insulin ('{insulin.group(0)}') with pre-existing diabetes in pregnancy "
                "(OGCR I.C.15.h)",
                span_in(part, insulin), score=0.8,
            )
            if z is not None:
                add.append(z)
    return Ruling(tuple(add), tuple(drop), tuple(issues))


def elderly_pregnancy(case: GuidelineCase) -> Ruling:
    """Supervision of a pregnancy in a woman 35 or older at delivery: O09.51- primigravida,
    O09.52- multigravida, with the trimester (OGCR I.C.15.b.2, Tabular O09.5-)."""
    add: list[Suggestion] = []
    for part in case.parts():
        # the words of the age first: 'pregnant now?' is the slowest search of the rules
        cue = part.says(data.ELDERLY_WORDS)
        age = part.says(data.AGE)
        years = int(age.group(1)) if age is not None else None
        if years is not None and years > 55:
            continue  # an obstetric history in an older woman's record, not a pregnancy
        if cue is None and not (years is not None and years >= 35):
            continue
        if not _pregnant(part):
            continue
        if cue is None and not weeks_in(part.text):
            continue
        g = part.says(data.GRAVIDA)
        gravida = int(g.group(1) or g.group(2)) if g else None
        if part.says(data.MULTIGRAVIDA) or (gravida is not None and gravida >= 2):
            kind, digit = "multigravida", "2"
        elif part.says(data.PRIMIGRAVIDA) or gravida == 1:
            kind, digit = "primigravida", "1"
        else:
            continue
        found = weeks_in(part.text)
        tri = trimester_of(found[0]) if found else 9
        code = f"O09.5{digit}{tri}"
        m = cue or age
        assert m is not None
        why = (
            f"pregnancy at 35 or older ('{m.group(0)}'), {kind}"
            + (f", {TRIMESTER_WORDS[tri]}" if tri != 9 else "")
            + f": {code} (OGCR I.C.15.b.2)"
        )
        s = suggestion(case, code, why, span_in(part, m), score=0.8)
        if s is not None:
            add.append(s)
    return Ruling(add=tuple(add)) if add else NOTHING


def weeks_of_gestation(case: GuidelineCase) -> Ruling:
    """The weeks of gestation on the maternal record: Z3A.-, from the weeks the record states
    (Tabular Chapter 15 'use additional code' note; OGCR I.C.15)."""
    add: list[Suggestion] = []
    issues: list[Issue] = []
    for part in case.parts():
        if not part.having("O") and not part.having("Z3A"):
            continue
        found = weeks_in(part.text)
        if found is None:
            continue
        w, _days, m = found
        code = z3a_for(w)
        why = f"{w} completed weeks of gestation ('{m.group(0)}'): {code} (OGCR I.C.15; Tabular Z3A)"
        s = suggestion(case, code, why, span_in(part, m), score=0.85)
        if s is not None:
            add.append(s)
        for other in part.having("Z3A"):
            if other != code and other in part.named:
                issues.append(issue(WARNING, (other, code), f"{other} does not match: {why}.", "I.C.15"))
    return Ruling(add=tuple(add), issues=tuple(issues))


def trimester_from_weeks(case: GuidelineCase) -> Ruling:
    """An obstetric code's trimester is the one the weeks of gestation give; 'unspecified
    trimester' is not used when the weeks are documented (OGCR I.C.15.a.3, I.C.15.a.5)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    for part in case.parts():
        obstetric = part.having("O")
        if not obstetric:
            continue  # the codes first: reading the weeks is the slow part
        found = weeks_in(part.text)
        if found is None:
            continue
        w, d, m = found
        tri = TRIMESTER_WORDS[trimester_of(w)]
        for code in obstetric:
            title = case.title(code) or ""
            said = re.search(r"\b(unspecified|first|second|third) trimester\b", title)
            if said is None or said.group(0) == tri:
                continue
            target = title.replace(said.group(0), tri)
            better = next((e.code for e in case.siblings(code) if e.title == target), None)
            if better is None:
                continue
            why = (
                f"at {w}w{d}d ('{m.group(0)}') the pregnancy is in the {tri} (first: before 14 "
                f"weeks; second: 14w0d to before 28w0d; third: from 28w0d), so {better}, not "
                f"{code} (OGCR I.C.15.a.3, I.C.15.a.5)"
            )
            s = suggestion(case, better, why, span_in(part, m))
            if s is None:
                continue
            add.append(s)
            if code in part.named:
                issues.append(issue(WARNING, (code, better), f"{code}: {why}.", "I.C.15.a.3"))
            else:
                drop.append(code)
    return Ruling(tuple(add), tuple(drop), tuple(issues))


def delivery_outcome(case: GuidelineCase) -> Ruling:
    """Every maternal delivery record carries an outcome of delivery code, Z37.- (single
    liveborn Z37.0, twins both liveborn Z37.2, single stillborn Z37.1) (OGCR I.C.15.b.5)."""
    add: list[Suggestion] = []
    for part in case.parts():
        m = part.says(data.DELIVERED)
        if m is None or part.having("Z37") or not _pregnant_or_delivered(part):
            continue
        if part.says(data.STILLBIRTH):
            code, what = "Z37.1", "single stillborn"
        elif part.says(data.TWINS):
            code, what = "Z37.2", "twins, both liveborn"
        else:
            code, what = "Z37.0", "single liveborn (the record names no other outcome)"
        s = suggestion(
            case, code,
            f"a delivery ('{m.group(0)}') takes an outcome of delivery code on the mother's record: "
            f"{code}, {what} (OGCR I.C.15.b.5)",
            span_in(part, m), score=0.8,
        )
        if s is not None:
            add.append(s)
    return Ruling(add=tuple(add)) if add else NOTHING


def _pregnant_or_delivered(part: Part) -> bool:
    return _pregnant(part) or part.says(data.DELIVERY_WORDS) is not None


def obstetric_first(case: GuidelineCase) -> Ruling:
    """In a pregnancy, the Chapter 15 (O) codes are sequenced before codes of other chapters,
    which add detail to them (OGCR I.C.15.a.1); not when the pregnancy is incidental (Z33.1)."""
    issues: list[Issue] = []
    drop: list[str] = []
    for part in case.parts():
        incidental = part.says(data.INCIDENTAL_PREGNANCY)
        if part.having("O") and not incidental and "Z33.1" in part.suggested:
            drop.append("Z33.1")  # 'pregnant state, incidental' is not for a pregnancy being managed
        named = list(part.named)
        o_codes = [c for c in named if c.startswith("O")]
        if not o_codes or named[0].startswith("O") or incidental:
            continue
        before = named[: named.index(o_codes[0])]
        issues.append(issue(
            INFO, (o_codes[0], *before),
            f"{o_codes[0]} goes before {', '.join(before)}: in a pregnancy the Chapter 15 (O) "
            "codes are sequenced first and codes from other chapters follow to add detail "
            "(OGCR I.C.15.a.1).",
            "I.C.15.a.1",
        ))
    return Ruling(drop=tuple(drop), issues=tuple(issues)) if issues or drop else NOTHING


def _time_of(part: Part) -> tuple[str, str]:
    """('trimester', digit) in pregnancy, ('childbirth', '') or ('puerperium', '')."""
    setting = _setting(part)
    if setting == "2":
        return "childbirth", ""
    if setting == "3":
        return "puerperium", ""
    found = weeks_in(part.text)
    return "trimester", str(trimester_of(found[0])) if found else "9"


def hypertension_in_pregnancy(case: GuidelineCase) -> Ruling:
    """Hypertension in a pregnancy is coded in Chapter 15: pre-existing essential hypertension
    O10.01- (not I10), gestational hypertension O13.-, pre-eclampsia O14.- (with pre-existing
    hypertension O11.-), by trimester, childbirth or puerperium (OGCR I.C.15.d; Tabular O10-O14)."""
    add: list[Suggestion] = []
    drop: list[str] = []
    issues: list[Issue] = []
    gaps: list[DocumentationGap] = []
    for part in case.parts():
        pre = part.says(data.PREECLAMPSIA)
        gest = part.says(data.GESTATIONAL_HTN)
        chronic = part.says(data.CHRONIC_HTN)
        if not (pre or gest or chronic) and part.says(data.HYPERTENSION) is None:
            continue  # no hypertension: nothing to code (the pregnancy, a slow search, is not read)
        if not _pregnant(part):
            continue
        when, tri = _time_of(part)
        if pre and chronic:
            code = f"O11.{ {'childbirth': '4', 'puerperium': '5'}.get(when, tri) }"
            what, cue = "pre-existing hypertension with pre-eclampsia", pre
        elif pre:
            sub = "2" if part.says(data.HELLP) else "1" if part.says(data.SEVERE_PREECLAMPSIA) else "0"
            last = {"childbirth": "4", "puerperium": "5"}.get(when, "0" if tri == "9" else tri)
            code, what, cue = f"O14.{sub}{last}", "pre-eclampsia", pre
        elif gest:
            code = f"O13.{ {'childbirth': '4', 'puerperium': '5'}.get(when, tri) }"
            what, cue = "gestational hypertension", gest
        elif chronic:
            code = {"childbirth": "O10.02", "puerperium": "O10.03"}.get(when, f"O10.01{tri}")
            what, cue = "pre-existing essential hypertension", chronic
        else:
            bare = part.says(data.HYPERTENSION)
            if bare is not None:
                gaps.append(DocumentationGap(
                    bare.group(0),
                    "Is the hypertension pre-existing (O10.-) or gestational / pregnancy-induced "
                    "(O13.-), and is there pre-eclampsia (O14.-)? In a pregnancy it is coded in "
                    "Chapter 15, not I10 (OGCR I.C.15.d)",
                ))
                for other in part.having("I10"):
                    msg = (f"{other} is not used for hypertension in a pregnancy: O10.- if it was "
                           "there before the pregnancy, O13.- if gestational (OGCR I.C.15.d).")
                    if other in part.named:
                        issues.append(issue(WARNING, (other,), msg, "I.C.15.d"))
                    else:
                        drop.append(other)
            continue
        why = f"{what} in a pregnancy ('{cue.group(0)}'): {code}, a Chapter 15 code (OGCR I.C.15.d)"
        s = suggestion(case, code, why, span_in(part, cue))
        if s is None:
            continue
        add.append(s)
        for other in part.having("I10"):
            msg = f"{other} is not used for hypertension in a pregnancy: {code} (OGCR I.C.15.d)."
            if other in part.named:
                issues.append(issue(WARNING, (other, code), msg, "I.C.15.d"))
            else:
                drop.append(other)
    return Ruling(tuple(add), tuple(drop), tuple(issues), tuple(gaps))
