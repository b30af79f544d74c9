"""ICD-10-CM rules the matcher cannot learn from titles: combination codes ('with'
presumption), history and status codes, default 7th characters, CKD stages.

Pure functions over codes and text; the suggester applies them after matching.

    >>> ckd_stage("CKD stage 3a")
    ('N18.31', 'CKD stage 3a')
    >>> history_code("C50.911")
    'Z85.3'
"""

from __future__ import annotations

import re

from consultant.analysis import prefilter

# -- CKD stage ------------------------------------------------------------------------------
_STAGE = re.compile(
    r"\b(?:ckd|chronic kidney disease|chronic renal (?:disease|failure|insufficiency))\b[^.;]{0,25}?"
    r"\b(?:stage|st\.?)\s*(1|2|3a|3b|3|4|5|i{1,3}|iv|v)\b"
    r"|\bstage\s*(1|2|3a|3b|3|4|5|i{1,3}|iv|v)\s*(?:ckd|chronic kidney disease)\b"
    r"|\bckd\s*(3a|3b|[1-5])\b",
    re.IGNORECASE,
)
_ESRD = re.compile(r"\b(?:esrd|end[- ]stage (?:renal|kidney) (?:disease|failure)|on (?:hemo)?dialysis)\b", re.IGNORECASE)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}
STAGE_CODES = {"1": "N18.1", "2": "N18.2", "3": "N18.30", "3a": "N18.31", "3b": "N18.32", "4": "N18.4",
               "5": "N18.5", "esrd": "N18.6"}


def ckd_stage(text: str) -> tuple[str, str] | None:
    """(N18 code, the words) for the CKD stage the text documents, or None."""
    m = _ESRD.search(text)
    if m:
        return STAGE_CODES["esrd"], m.group()
    m = _STAGE.search(text)
    if not m:
        return None
    stage = next(g for g in m.groups() if g).lower()
    stage = _ROMAN.get(stage, stage)
    return STAGE_CODES[stage], m.group()


# -- diabetes ---------------------------------------------------------------------------------
DIABETES = ("E08", "E09", "E10", "E11", "E13")
# A complication named in the case -> the 4th/5th characters of the diabetes combination code.
DIABETES_WITH = (
    (re.compile(r"\b(?:ckd|chronic kidney disease|diabetic kidney disease|diabetic nephropathy|esrd|"
                r"end[- ]stage renal disease)\b", re.IGNORECASE), ".22", "diabetic chronic kidney disease"),
    (re.compile(r"\bpolyneuropathy\b", re.IGNORECASE), ".42", "diabetic polyneuropathy"),
    (re.compile(r"\bneuropathy\b", re.IGNORECASE), ".40", "diabetic neuropathy"),
    (re.compile(r"\bgastroparesis\b", re.IGNORECASE), ".43", "diabetic autonomic neuropathy (gastroparesis)"),
    (re.compile(r"\bretinopathy\b", re.IGNORECASE), ".319", "diabetic retinopathy"),
    (re.compile(r"\bcataract\b", re.IGNORECASE), ".36", "diabetic cataract"),
    (re.compile(r"\b(?:peripheral (?:vascular|arterial) disease|pvd|pad|peripheral angiopathy)\b", re.IGNORECASE), ".51",
     "diabetic peripheral angiopathy"),
    (re.compile(r"\bfoot ulcer\b", re.IGNORECASE), ".621", "diabetic foot ulcer"),
    (re.compile(r"\bhyperglyc(?:a)?emia\b|\buncontrolled\b|\bpoorly controlled\b", re.IGNORECASE), ".65", "hyperglycemia"),
    (re.compile(r"\bhypoglyc(?:a)?emia\b", re.IGNORECASE), ".649", "hypoglycemia"),
    (re.compile(r"\bketoacidosis\b|\bdka\b", re.IGNORECASE), ".10", "ketoacidosis"),
)
_TYPE1 = re.compile(r"\b(?:type (?:1|i|one)|t1dm?|dm ?1|iddm|juvenile)\b", re.IGNORECASE)
_TYPE2 = re.compile(r"\b(?:type (?:2|ii|two)|t2dm?|dm ?2|dmii|niddm|adult[- ]onset)\b", re.IGNORECASE)


def diabetes_category(text: str) -> tuple[str, bool]:
    """(E10 or E11, whether the type was documented); E11 is the default (guideline I.C.4.a.2)."""
    if _TYPE1.search(text):
        return "E10", True
    return "E11", bool(_TYPE2.search(text))


# -- hypertension -----------------------------------------------------------------------------
def hypertension_code(ckd: str | None, heart_failure: bool) -> tuple[str, str]:
    """The hypertension combination code and why (guideline I.C.9.a: the link is presumed)."""
    late = ckd in ("N18.5", "N18.6")
    if ckd and heart_failure:
        return ("I13.2" if late else "I13.0"), "hypertension with heart failure and chronic kidney disease"
    if ckd:
        return ("I12.0" if late else "I12.9"), "hypertension with chronic kidney disease"
    if heart_failure:
        return "I11.0", "hypertension with heart failure"
    return "I10", "essential hypertension"


# -- history and status ---------------------------------------------------------------------
_CANCER_HISTORY = {
    "C50": "Z85.3", "C18": "Z85.038", "C19": "Z85.048", "C20": "Z85.048", "C34": "Z85.118",
    "C61": "Z85.46", "C67": "Z85.51", "C64": "Z85.528", "C73": "Z85.850", "C43": "Z85.820",
    "C53": "Z85.41", "C54": "Z85.42", "C56": "Z85.43", "C16": "Z85.028", "C25": "Z85.07",
    "C22": "Z85.05", "C15": "Z85.01", "C71": "Z85.841", "C62": "Z85.47", "C44": "Z85.828",
}
_HISTORY = {
    "I21": "I25.2", "I22": "I25.2", "I63": "Z86.73", "G45": "Z86.73", "I26": "Z86.711",
    "I82": "Z86.718", "N39": "Z87.440", "N30": "Z87.440", "J18": "Z87.01", "J15": "Z87.01",
    "N20": "Z87.442", "K25": "Z87.11", "K26": "Z87.11", "K27": "Z87.11", "F17": "Z87.891",
    "O14": "Z87.59", "A15": "Z86.11", "B99": "Z86.19", "I46": "Z86.74", "L89": "Z87.2",
    "D50": "Z86.2", "E66": "Z86.39", "K35": "Z87.19", "K80": "Z87.19", "F10": "Z86.59",
}
_BY_LETTER = {"A": "Z86.19", "B": "Z86.19", "D": "Z86.018", "E": "Z86.39", "F": "Z86.59", "G": "Z86.69",
              "I": "Z86.79", "J": "Z87.09", "K": "Z87.19", "L": "Z87.2", "M": "Z87.39", "N": "Z87.448",
              "S": "Z87.81", "T": "Z87.828"}


# A 'history of' these (typically in the past medical history) means the patient has them.
CHRONIC = ("E10", "E11", "E13", "E03", "E05", "E66", "E78", "I1", "I25", "I48", "I50", "I70", "J44", "J45",
           "J47", "N18", "N40", "M05", "M06", "M15", "M16", "M17", "M81", "K50", "K51", "K21", "K70", "K74",
           "B18", "B20", "L40", "G20", "G30", "G35", "G40", "G43", "F03", "F20", "F31", "F32", "F33", "F41",
           "F84", "F90", "D86", "M32", "M45", "E84", "Q")


def history_code(code: str) -> str | None:
    """The personal-history code for a condition that no longer exists ('history of ...')."""
    cat = code[:3]
    if cat.startswith("C"):
        return _CANCER_HISTORY.get(cat, "Z85.9")
    if cat in _HISTORY:
        return _HISTORY[cat]
    if cat.startswith("D") and cat <= "D09":
        return "Z86.00"
    if code.startswith(CHRONIC):
        return None   # chronic conditions: 'history of' them is usually the current condition
    return _BY_LETTER.get(code[0])


# 's/p' + a procedure -> the status code (acquired absence, presence of a device or graft).
STATUS = (
    (re.compile(r"\bcabg\b|\bcoronary (?:artery )?bypass", re.IGNORECASE), "Z95.1"),
    (re.compile(r"\b(?:pci|coronary stent|stent)", re.IGNORECASE), "Z95.5"),
    (re.compile(r"\bpacemaker\b", re.IGNORECASE), "Z95.0"),
    (re.compile(r"\b(?:icd|defibrillator)\b", re.IGNORECASE), "Z95.810"),
    (re.compile(r"\b(?:valve replacement|prosthetic valve)\b", re.IGNORECASE), "Z95.2"),
    (re.compile(r"\b(?:appendectomy|appy)\b", re.IGNORECASE), "Z90.49"),
    (re.compile(r"\b(?:cholecystectomy|chole)\b", re.IGNORECASE), "Z90.49"),
    (re.compile(r"\bcolectomy\b", re.IGNORECASE), "Z90.49"),
    (re.compile(r"\bgastrectomy\b|\bgastric bypass\b", re.IGNORECASE), "Z98.84"),
    (re.compile(r"\bhysterectomy\b", re.IGNORECASE), "Z90.710"),
    (re.compile(r"\bleft mastectomy\b", re.IGNORECASE), "Z90.12"),
    (re.compile(r"\bright mastectomy\b", re.IGNORECASE), "Z90.11"),
    (re.compile(r"\bbilateral mastectomy\b", re.IGNORECASE), "Z90.13"),
    (re.compile(r"\bmastectomy\b", re.IGNORECASE), "Z90.10"),
    (re.compile(r"\bnephrectomy\b", re.IGNORECASE), "Z90.5"),
    (re.compile(r"\bsplenectomy\b", re.IGNORECASE), "Z90.81"),
    (re.compile(r"\bthyroidectomy\b", re.IGNORECASE), "Z90.89"),
    (re.compile(r"\bprostatectomy\b", re.IGNORECASE), "Z90.79"),
    (re.compile(r"\b(?:right )?(?:tka|total knee|knee replacement|knee arthroplasty)\b", re.IGNORECASE), "Z96.65"),
    (re.compile(r"\b(?:tha|total hip|hip replacement|hip arthroplasty)\b", re.IGNORECASE), "Z96.64"),
    (re.compile(r"\bkidney transplant|renal transplant", re.IGNORECASE), "Z94.0"),
    (re.compile(r"\bliver transplant", re.IGNORECASE), "Z94.4"),
    (re.compile(r"\bheart transplant", re.IGNORECASE), "Z94.1"),
    (re.compile(r"\bamputation\b", re.IGNORECASE), "Z89.9"),
    (re.compile(r"\bcolostomy\b", re.IGNORECASE), "Z93.3"),
    (re.compile(r"\bileostomy\b", re.IGNORECASE), "Z93.2"),
    (re.compile(r"\btracheostomy\b", re.IGNORECASE), "Z93.0"),
)


def status_codes(text: str) -> list[tuple[str, str]]:
    """(status code, the words) for each procedure named after 's/p' / 'status post'."""
    out: list[tuple[str, str]] = []
    for pattern, code in STATUS:
        m = pattern.search(text)
        if m and all(code != c for c, _ in out):
            if code == "Z90.10" and any(c.startswith("Z90.1") for c, _ in out):
                continue
            out.append((code, m.group()))
    return out


# -- family history -------------------------------------------------------------------------
def family_history_code(code: str) -> str | None:
    cat = code[:3]
    if cat.startswith("C"):
        return {"C18": "Z80.0", "C19": "Z80.0", "C20": "Z80.0", "C50": "Z80.3", "C34": "Z80.1",
                "C61": "Z80.42", "C56": "Z80.41", "C64": "Z80.51", "C67": "Z80.52"}.get(cat, "Z80.9")
    if cat in DIABETES:
        return "Z83.3"
    if cat[0] == "I" and cat in ("I20", "I21", "I22", "I25", "I50"):
        return "Z82.49"
    if cat in ("I63", "I64"):
        return "Z82.3"
    if cat in ("I10",):
        return "Z82.49"
    if cat[0] == "F":
        return "Z81.8"
    if cat in ("G30", "F03"):
        return "Z82.0"
    return None


# -- 7th characters -------------------------------------------------------------------------
_SUBSEQUENT = re.compile(r"\b(?:subsequent|follow[- ]?up|routine healing|healing|f/u|recheck|cast change)\b", re.IGNORECASE)
_SEQUELA = re.compile(r"\b(?:sequela|sequelae|late effect)\b", re.IGNORECASE)
_INITIAL = re.compile(r"\b(?:initial|new|acute|emergency|er visit|ed visit|active treatment|first (?:visit|encounter|evaluation|seen))\b",
                      re.IGNORECASE)
_OPEN = re.compile(r"\bopen fracture\b|\bcompound fracture\b", re.IGNORECASE)


def seventh_for(text: str, characters: dict[str, str]) -> tuple[str, bool]:
    """(7th character, whether the text said so) from the meanings declared at the code."""
    def pick(pred: str) -> str | None:
        for ch, meaning in sorted(characters.items()):
            if meaning.lower().startswith(pred):
                return ch
        return None

    if _SEQUELA.search(text):
        ch = pick("sequela")
        if ch:
            return ch, True
    if _SUBSEQUENT.search(text):
        ch = pick("subsequent encounter for closed fracture with routine") or pick("subsequent")
        if ch:
            return ch, True
    said = bool(_INITIAL.search(text))
    if _OPEN.search(text):
        ch = pick("initial encounter for open")
        if ch:
            return ch, True
    ch = pick("initial") or min(characters)
    return ch, said


# -- office visits (E/M) --------------------------------------------------------------------
_VISIT = re.compile(r"\b(?:(?:follow[- ]?up|office|outpatient|clinic|return|established[- ]patient|new[- ]patient)"
                    r"(?: office)? visit|(?:new|established) patient)\b", re.IGNORECASE)
_NEW = re.compile(r"\bnew[- ]patient\b|\bfirst visit\b|\binitial visit\b", re.IGNORECASE)


def office_visit(text: str) -> tuple[str, str] | None:
    """(E/M code, the words) for an office visit named in words: 99213 for an established
    patient, 99203 for a new one; the level (decision making or time) is left to the coder."""
    m = _VISIT.search(text)
    if not m:
        return None
    return ("99203" if _NEW.search(text) else "99213"), m.group()


# -- long-term (current) drug therapy -------------------------------------------------------
LONG_TERM_DRUGS = (
    (re.compile(r"\b(?:warfarin|acenocoumarol|sintrom|dicoumarin|dicumarol|coumadin|apixaban|rivaroxaban|"
                r"dabigatran|edoxaban|enoxaparin|anticoagula\w*)\b", re.IGNORECASE), "Z79.01"),
    (re.compile(r"\b(?:clopidogrel|ticagrelor|prasugrel|antiplatelet\w*)\b", re.IGNORECASE), "Z79.02"),
    (re.compile(r"\b(?:aspirin|acetylsalicylic acid|asa)\b", re.IGNORECASE), "Z79.82"),
    (re.compile(r"\binsulin\b(?! resistance| secretion| level)", re.IGNORECASE), "Z79.4"),
    (re.compile(r"\b(?:metformin|glipizide|glimepiride|sitagliptin|empagliflozin|dapagliflozin|"
                r"oral (?:antidiabetic|hypoglycemic)s?)\b", re.IGNORECASE), "Z79.84"),
    (re.compile(r"\b(?:prednisone|prednisolone|methylprednisolone|corticosteroids?|corticoids?|"
                r"steroid therapy|chronic steroids?)\b", re.IGNORECASE), "Z79.52"),
    (re.compile(r"\b(?:methadone|buprenorphine|oxycodone|morphine|fentanyl|opioids?)\b", re.IGNORECASE), "Z79.891"),
    (re.compile(r"\b(?:tacrolimus|cyclosporine|ciclosporin|mycophenolate|azathioprine|sirolimus|everolimus|"
                r"immunosuppress\w*)\b", re.IGNORECASE), "Z79.69"),
    (re.compile(r"\b(?:tamoxifen|letrozole|anastrozole|aromatase inhibitors?)\b", re.IGNORECASE), "Z79.81"),
)


_LOWER_DRUGS = tuple((re.compile(p.pattern), code) for p, code in LONG_TERM_DRUGS)   # for lower-cased text


# Z79 is for drugs taken long term, not a drug given once or started for the acute illness:
# the sentence must say the use is ongoing, and not that it is given now ('iv', 'started').
_LONG_TERM_CUE = re.compile(
    r"\b(?:long[- ]term|chronic(?:ally)?|usual(?:ly)?|maintenance|habitual(?:ly)?|regular(?:ly)?|home|daily|"
    r"permanent(?:ly)?|history|antecedents?|anticoagulated|[a-z]+-dependent|dependent|being treated|treated with|"
    r"under treatment|in treatment|on (?:oral |chronic )?[a-z]+(?: therapy| treatment)?|since|for (?:\d+|many|several) "
    r"(?:years?|months)|takes|taking)\b", re.IGNORECASE)
_SHORT_TERM_CUE = re.compile(
    r"\b(?:initiated|started|start|begun|bolus(?:es)?|pulses?|intravenous|i\.v|iv|parenteral|intralesional|"
    r"sedat\w*|anesthe\w*|analgesia|withdrawn|removed|suspend\w*|stopped|discontinued|tapering|"
    r"for \d+ (?:consecutive )?days|levels?|serum|urine|lupus anticoagulant|intubation|test doses?)\b",
    re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.;\n]")


def _sentence_around(text: str, start: int, end: int) -> str:
    # the last sentence end before `start` (rfind: no scan of the whole text per mention)
    a = max(text.rfind(".", 0, start), text.rfind(";", 0, start), text.rfind("\n", 0, start)) + 1
    m = _SENTENCE_END.search(text, end)
    return text[a:m.start() if m else len(text)]


def long_term(sentence: str) -> bool:
    """Whether a sentence naming a drug says it is taken long term ('on warfarin', 'usual
    treatment with ...') and not given for the moment ('iv methylprednisolone was started')."""
    return bool(_LONG_TERM_CUE.search(sentence)) and not _SHORT_TERM_CUE.search(sentence)


def long_term_drugs(text: str) -> list[tuple[str, str, int, int]]:
    """(Z79 code, the words, start, end) for each long-term drug class the text names as
    taken long term (`long_term`)."""
    out: list[tuple[str, str, int, int]] = []
    # ASCII text lower-cased keeps its length, and the case-sensitive patterns run ~3x faster
    hay, patterns = (text.lower(), _LOWER_DRUGS) if text.isascii() else (text, LONG_TERM_DRUGS)
    for pattern, code in patterns:
        for m in prefilter.finditer(pattern, hay):
            if long_term(_sentence_around(text, m.start(), m.end())):
                if all(code != c for c, *_ in out):
                    out.append((code, text[m.start():m.end()], m.start(), m.end()))
                break
    return out
