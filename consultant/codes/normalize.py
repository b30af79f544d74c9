"""Normal forms of codes as people write them: one spelling per code, whatever the input.

ICD-10-CM gets its dot ('E119' -> 'E11.9'), CPT and HCPCS are upper-cased without spaces,
modifiers lose their hyphen and the word 'modifier' ('mod 59' -> '59', '-xs' -> 'XS').
Every function returns None for text that does not have the shape, so callers can try
one system after another without catching exceptions.

    >>> normalize_icd("e11.22"), normalize_cpt("0042t"), normalize_modifier("modifier 59")
    ('E11.22', '0042T', '59')
"""

from __future__ import annotations

import re

from consultant.codes.mention import CPT, HCPCS, ICD10CM, MODIFIER

# ICD-10-CM categories whose third character is a letter (all others have a digit there).
# Checked against the April 2026 tabular; a new one only makes the extractor miss it.
ICD_LETTER_CATEGORIES = frozenset(
    {"C4A", "C7A", "C7B", "D3A", "I1A", "I5A", "J4A", "M1A", "O9A", "Z3A"}
)

# Letters that begin HCPCS Level II codes (D is the ADA's CDT, N is unused; neither here).
HCPCS_LETTERS = frozenset("ABCEGHJKLMPQRSTUV")

# A conservative built-in list of modifiers: enough to recognise a bare token in a modifier
# position without asking the knowledge base (which has the meanings).
_LEVEL_I = (
    "22 23 24 25 26 27 32 33 47 50 51 52 53 54 55 56 57 58 59 62 63 66 73 74 76 77 78 79 "
    "80 81 82 90 91 92 93 95 96 97 99"
)
_LEVEL_II = (
    "AA AD AE AF AG AH AI AJ AK AM AO AQ AR AS AT AU AV AW AX AY AZ BA BL BO BP BR BU "
    "CA CB CC CG CH CI CJ CK CL CM CN CO CQ CR CS CT "
    "E1 E2 E3 E4 EA EB EC ED EE EJ EM EP ER ET EX EY "
    "F1 F2 F3 F4 F5 F6 F7 F8 F9 FA FB FC FP FQ FR FS FT FX FY "
    "G0 G1 G2 G3 G4 G5 G6 G7 G8 G9 GA GB GC GE GF GG GH GJ GK GL GM GN GO GP GQ GR GS GT GU "
    "GV GW GX GY GZ "
    "HA HB HC HD HE HF HG HH HI HJ HK HL HM HN HO HP HQ HR HS HT HU HV HW HX HY HZ "
    "J1 J2 J3 J4 JA JB JC JD JE JG JW JZ "
    "K0 K1 K2 K3 K4 KX KB KC KD KE KF KH KI KJ KK KL KM KN KO KP KQ KR KS "
    "LC LD LL LM LR LS LT LU "
    "M2 MA MB MC MD ME MF MG MH "
    "NB NR NU "
    "P1 P2 P3 P4 P5 P6 PA PB PC PD PI PL PM PN PO PS PT "
    "Q0 Q1 Q2 Q3 Q4 Q5 Q6 Q7 Q8 Q9 QA QB QC QD QE QF QG QH QJ QK QL QM QN QP QQ QR QS QT "
    "QW QX QY QZ "
    "RA RB RC RD RE RI RR RT "
    "SA SB SC SD SE SF SG SH SJ SL SM SN SQ SS ST SU SV SW SY "
    "T1 T2 T3 T4 T5 T6 T7 T8 T9 TA TB TC TD TE TF TG TH TJ TK TL TM TN TP TQ TR TS TT TU "
    "TV TW "
    "U1 U2 U3 U4 U5 U6 U7 U8 U9 UA UB UC UD UE UF UG UH UJ UK UN UP UQ UR US "
    "V1 V2 V3 V5 V6 V7 V8 V9 VM VP "
    "X1 X2 X3 X4 X5 XE XP XS XU "
    "ZA ZB ZC"
)
LEVEL_I_MODIFIERS = frozenset(_LEVEL_I.split())
LEVEL_II_MODIFIERS = frozenset(_LEVEL_II.split())
KNOWN_MODIFIERS = LEVEL_I_MODIFIERS | LEVEL_II_MODIFIERS

_ICD = re.compile(r"([A-Z])(\d)([0-9A-Z])(?:\.?([0-9A-Z]{1,4}))?")
_CPT = re.compile(r"\d{5}|\d{4}F|0\d{3}[TUAM]")
_HCPCS = re.compile(r"[A-Z]\d{4}")
_MODIFIER = re.compile(
    r"(?:(?:modifiers?|mod)\.?\s*[:#]?\s*)?-?\s*([0-9A-Z]{2})", re.IGNORECASE
)
_SPACES = re.compile(r"\s+")


def _squash(raw: str) -> str:
    return _SPACES.sub("", raw).upper()


def is_icd_category_shape(three: str) -> bool:
    """True for a three-character ICD-10-CM category shape: letter, digit, digit or one of
    the few letter categories ('C4A')."""
    return (
        len(three) == 3
        and three[0].isalpha()
        and three[1].isdigit()
        and (three[2].isdigit() or three in ICD_LETTER_CATEGORIES)
    )


def normalize_icd(raw: str) -> str | None:
    """'E119' -> 'E11.9', 'e11.22' -> 'E11.22', 'S72001A' -> 'S72.001A'; None if not ICD-shaped.

    >>> normalize_icd("E119"), normalize_icd("I10"), normalize_icd("99213")
    ('E11.9', 'I10', None)
    """
    text = _squash(raw)
    m = _ICD.fullmatch(text)
    if m is None or not is_icd_category_shape(text[:3]):
        return None
    category = text[:3]
    rest = m.group(4)
    return f"{category}.{rest}" if rest else category


def normalize_cpt(raw: str) -> str | None:
    """CPT Level I: five digits, or four digits and F (Category II), or 0 + three digits and
    T (Category III), U (PLA), A (vaccine administration) or M (MAAA).

    >>> normalize_cpt("99213"), normalize_cpt("0042t"), normalize_cpt("3074F"), normalize_cpt("1234T")
    ('99213', '0042T', '3074F', None)
    """
    text = _squash(raw)
    return text if _CPT.fullmatch(text) else None


def normalize_hcpcs(raw: str) -> str | None:
    """HCPCS Level II: a letter and four digits, upper-case ('j1885' -> 'J1885').

    Any letter is accepted here (the caller decides whether 'K5669' is HCPCS or an
    undotted ICD-10-CM code); see `HCPCS_LETTERS` for the letters HCPCS uses.
    """
    text = _squash(raw)
    return text if _HCPCS.fullmatch(text) else None


def normalize_modifier(raw: str) -> str | None:
    """'-25', 'mod 25', 'modifier 59', '-XS', 'rt' -> '25', '25', '59', 'XS', 'RT'.

    Any two alphanumerics are accepted here; whether the modifier exists is the knowledge
    base's question (`KNOWN_MODIFIERS` is what the extractor trusts in bare positions).
    """
    m = _MODIFIER.fullmatch(raw.strip())
    return m.group(1).upper() if m else None


def classify(raw: str) -> tuple[str, str] | None:
    """(system, normal form) for one code as a person typed it, or None.

    A letter and four digits is read as HCPCS when the letter is a HCPCS letter, else as
    ICD-10-CM; the analysis tries the other reading when the first is unknown.

    >>> classify("E119"), classify("j1885"), classify("0042T"), classify("-xs")
    (('ICD10CM', 'E11.9'), ('HCPCS', 'J1885'), ('CPT', '0042T'), ('MODIFIER', 'XS'))
    """

    text = _squash(raw)
    if not text:
        return None
    cpt = normalize_cpt(text)
    if cpt:
        return CPT, cpt
    hcpcs = normalize_hcpcs(text)
    if hcpcs and hcpcs[0] in HCPCS_LETTERS:
        return HCPCS, hcpcs
    icd = normalize_icd(text)
    if icd:
        return ICD10CM, icd
    if len(text) <= 12:  # 'modifier59' at most
        modifier = normalize_modifier(text)
        if modifier:
            return MODIFIER, modifier
    return None


def icd_undotted(code: str) -> str:
    """'E11.9' -> 'E119' (for generating near misses)."""
    return code.replace(".", "")


def hcpcs_as_icd(code: str) -> str | None:
    """The ICD-10-CM reading of a letter-and-four-digits code: 'K5669' -> 'K56.69'."""
    return normalize_icd(code) if _HCPCS.fullmatch(code) else None
