"""Sex and age edits: a diagnosis that cannot belong to the patient the case describes.

The patient's sex and age are read from the words of the case only when a code is in one of
the rules' ranges, so most cases never pay for the regular expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from consultant.analysis.edits.common import Book, _CaseCode, _CaseView, _label, _matches_any, _soften
from consultant.analysis.findings import ERROR, WARNING, Issue
from consultant.codes.mention import ICD10CM

MALE, FEMALE = "male", "female"

_AGE_WORD = r"\b\d{1,3}\s*-?\s*(?:yo|y/o|y\.o\.?|years?[- ]old)\s*"
_MALE_STRONG = re.compile(r"\b(male|man|boy|gentleman)\b|\bmr\.\s|" + _AGE_WORD + r"m\b", re.IGNORECASE)
_FEMALE_STRONG = re.compile(r"\b(female|woman|girl|lady|mrs)\b|" + _AGE_WORD + r"f\b", re.IGNORECASE)
_MALE_WEAK = re.compile(r"\b(he|him|his)\b", re.IGNORECASE)
_FEMALE_WEAK = re.compile(r"\b(she|her|hers)\b", re.IGNORECASE)

_AGE_YEARS = re.compile(
    r"\b(\d{1,3})\s*(?:-\s*)?(?:years?[- ]old|yrs?[- ]old|y/o|y\.o\.?|yo|years? of age)"
    r"|\bage(?:d)?\s*:?\s*(\d{1,3})\b",
    re.IGNORECASE,
)
_AGE_UNDER_ONE = re.compile(
    r"\b(newborn|neonate|neonatal|infant|baby)\b"
    r"|\b\d{1,2}\s*(?:-\s*)?(?:days?|weeks?|wks?|months?|mos?)[- ]old\b",
    re.IGNORECASE,
)


def case_sex(text: str) -> str | None:
    """'male', 'female' or None, from the words of the case; pronouns only when no noun says it,
    and nothing when the case says both."""
    for male_re, female_re in ((_MALE_STRONG, _FEMALE_STRONG), (_MALE_WEAK, _FEMALE_WEAK)):
        male, female = bool(male_re.search(text)), bool(female_re.search(text))
        if male != female:
            return MALE if male else FEMALE
        if male and female:
            return None
    return None


def case_age(text: str) -> int | None:
    """Age in whole years (0 for newborns and infants), or None when the case does not say."""
    m = _AGE_YEARS.search(text)
    if m:
        years = int(m.group(1) or m.group(2))
        if years <= 120:
            return years
    if _AGE_UNDER_ONE.search(text):
        return 0
    return None


@dataclass(frozen=True)
class DemographicRule:
    ranges: tuple[str, ...]  # ICD-10-CM refs as `code_matches` reads them
    what: str
    sex: str | None = None  # the sex the codes conflict with
    min_age: int | None = None  # conflict below this age
    max_age: int | None = None  # conflict above this age
    severity: str = ERROR
    note: str = ""  # added to the message: when the code may still be right


# Source: ICD-10-CM Official Guidelines (I.C.15 pregnancy, I.C.16 perinatal, Z38 liveborn) and
# the CMS Medicare Code Editor sex and age edits (maternity age 12-55, newborn age 0).
DEMOGRAPHIC_SOURCE = "ICD-10-CM Official Guidelines; CMS Medicare Code Editor sex and age edits"
_PREGNANCY = ("O00-O9A", "Z3A")
DEMOGRAPHIC_RULES: tuple[DemographicRule, ...] = (
    DemographicRule(_PREGNANCY, "pregnancy", sex=MALE),
    DemographicRule(
        ("N40-N53", "C60-C63", "D07.4-D07.6", "D29", "D40"), "male genital organs", sex=FEMALE
    ),
    DemographicRule(("N70-N98", "C51-C58"), "female genital organs", sex=MALE),
    DemographicRule(_PREGNANCY, "pregnancy", min_age=12, max_age=55, severity=WARNING),
    DemographicRule(("Z38",), "liveborn infant (birth record only)", max_age=0),
    DemographicRule(
        ("P00-P96",), "perinatal conditions", max_age=17, severity=WARNING,
        note=" Perinatal codes may be used later in life only when the condition began in the "
        "perinatal period.",
    ),
)


def _conflict(rule: DemographicRule, c: _CaseCode, sex: str | None, age: int | None) -> Issue | None:
    """The issue when the code's rule contradicts the patient's sex or age, else None."""
    if rule.sex is not None:
        if sex != rule.sex:
            return None
        kind = "sex"
        msg = (
            f"{_label(c)} is a code for {rule.what} and the case describes a {sex} patient; "
            f"check the code or the patient's sex."
        )
    else:
        low = age is not None and rule.min_age is not None and age < rule.min_age
        high = age is not None and rule.max_age is not None and age > rule.max_age
        if not (low or high):
            return None
        kind = "age"
        bounds = (
            f"ages {rule.min_age}-{rule.max_age}" if rule.min_age is not None
            else f"age {rule.max_age} or under"
        )
        msg = (
            f"{_label(c)} is a code for {rule.what} ({bounds}) and the case describes a patient "
            f"aged {age}; check the code or the age.{rule.note}"
        )
    return Issue(_soften(rule.severity, c), kind, (c.code,), msg, DEMOGRAPHIC_SOURCE)


def check_demographics(view: _CaseView, book: Book) -> list[Issue]:
    icds = view.of(ICD10CM)
    hits = [(rule, c) for rule in DEMOGRAPHIC_RULES for c in icds if _matches_any(c.code, rule.ranges)]
    if not hits:
        return []
    sex, age = case_sex(view.text), case_age(view.text)
    return [i for rule, c in hits if (i := _conflict(rule, c, sex, age)) is not None]
