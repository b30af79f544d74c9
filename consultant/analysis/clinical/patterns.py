"""Word lists and patterns the suggester reads the words of a case with (data, no logic):
word endings and prefixes for spelling, the words that say a code's setting, the
patterns of negation, complications, secondary diabetes and sides."""

from __future__ import annotations

import re

from consultant.analysis.clinical.lexicon import (
    ANATOMY,
    INJURY_WORDS,
    MONTHS,
    PHRASE_ABBREVIATIONS,
    QUALIFIERS,
    SYNONYMS,
)
from consultant.kb import terms as kt

# Word endings that name the same finding: 'tachycardic' -> 'tachycardia', 'cirrhotic' ->
# 'cirrhosis', 'thrombopenia' -> 'thrombocytopenia'; tried like inflections.
INFLECTIONS = (("otic", "osis"), ("itic", "itis"), ("emic", "emia"), ("ic", "ia"), ("penia", "cytopenia"),
                ("penic", "cytopenia"), ("ectomized", "ectomy"),
                ("ies", "y"), ("ied", "y"), ("ically", "ic"), ("ally", "al"), ("ly", ""), ("ing", ""),
                ("ing", "e"), ("ed", ""), ("ed", "e"), ("ened", "en"), ("ness", ""), ("ment", ""), ("s", ""),
                ("icle", "is"), ("oid", "oidism"), ("al", "us"), ("ic", "is"))   # 'hiatal', 'pubic'
VERB_ENDINGS = frozenset({"ed", "ing", "ied", "ened"})
WORD_PREFIXES = ("pre", "post", "non", "anti", "sub", "intra", "extra", "inter", "peri", "para", "supra",
             "infra", "trans", "retro", "semi", "hemi", "poly", "multi", "hyper", "hypo", "pseudo", "neo")



# -- words of the case -> slots -------------------------------------------------------------

MULTI_WORD = {**PHRASE_ABBREVIATIONS, **{k: v for k, v in SYNONYMS.items() if " " in k}}
MULTI_WORD_FIRST = frozenset(k.split(" ", 1)[0] for k in MULTI_WORD)   # a phrase is looked up only from these words
SLASHED = re.compile(r"\b(?:s/p|r/o|h/o|c/o|n/v|w/o|w/)", re.IGNORECASE)


# words between an analyte and its level that belong to the result ('blood sugar', 'serum
# potassium level', 'white blood cell count')
RESULT_WORDS = frozenset("blood serum plasma level levels count cell cells acid body".split())


SETTING_WORDS = {
    "O": frozenset(["pregnancy", "pregnant", "obstetric", "gestation", "gestational", "labor", "delivery", "puerperium", "puerperal", "postpartum", "antepartum", "trimester", "maternal", "eclampsia", "preeclampsia", "abortion", "ectopic", "placenta", "placental", "fetus", "fetal", "miscarriage"]),
    "P": frozenset(["newborn", "neonatal", "neonate", "perinatal", "fetus", "fetal", "birth", "infant", "baby", "congenital", "prematurity", "premature", "preterm"]),
    # injuries (S00-T34): 'carotid artery disease' is not 'Unspecified injury of carotid artery'
    "S": frozenset(t for t in map(kt.fold, INJURY_WORDS) if t),
    "Z": frozenset(["screening", "screen", "screened"]),
}


def _folded(words: frozenset[str]) -> frozenset[str]:
    return frozenset(t for t in map(kt.fold, words) if t)


ANATOMY_TOKENS = _folded(ANATOMY)
QUALIFIER_TOKENS = _folded(QUALIFIERS)
MONTH_TOKENS = _folded(MONTHS)
CONDITION_WORDS = frozenset(["disease", "disorder", "syndrome", "abnormality", "dysfunction"])   # 'liver disease'



NEGATING = re.compile(r"\b(?:without|w/o|no|not|except|non)\b", re.IGNORECASE)
OR_UNSPECIFIED = re.compile(r"\b\w+ or unspecified\b|\bunspecified\b.*", re.IGNORECASE)
WITHOUT = re.compile(r"\bwithout\b(.*?)(?=,|\bof\b|\bwith\b|\bin\b|$)", re.IGNORECASE)


# 'liver metastases from colon cancer': the words after 'from' name the primary, not another
# secondary site, so they are read as a phrase of their own
PRIMARY_NAMED = re.compile(r"\bmetasta\w*\b[^.;\n]{0,40}?\b(?:from|secondary to)\s", re.IGNORECASE)


# A title naming a complication of a device or procedure needs one stated ('diabetes with
# complications' is a combination title and is not meant: those say 'with').
COMPLICATION_TITLE = re.compile(r"^(?:other\s+)?(?:[\w-]+\s+){0,3}(?:complications?|malfunction)\b"
                                 r"|^complications?\s+of\b|^\w+ostomy\s+(?:hemorrhage|infection)\b", re.IGNORECASE)
COMPLICATION_SAID = re.compile(r"\b(?:complicat|malfunction|problem|fail|leak|dehisc|broke|dislodg|obstruct|"
                                r"stenos|prolaps|retract|necros|infect|bleed|hemorrh|haemorrh|hernia|irritat)",
                                re.IGNORECASE)


SECONDARY_DIABETES = re.compile(r"\b(?:drug|chemical|induced|due to|secondary|steroid|other specified|pancrea|"
                           r"cystic fibrosis|postprocedural|gestational)", re.IGNORECASE)


SIDE = re.compile(r"\b(?:right|left)\b", re.IGNORECASE)
SIDED = re.compile(r"\b(?:right|left|bilateral)\b", re.IGNORECASE)


SIDE_WORDS = re.compile(r"\b(?:right|left|bilateral|unspecified|side|initial encounter|subsequent encounter|"
                         r"sequela)\b|[^a-z ]", re.IGNORECASE)

# chronic kidney disease named in words; a phrase or clause (up to a full stop, semicolon or line end)
CKD_NAMED = re.compile(r"\b(?:ckd|chronic kidney disease|chronic renal (?:disease|failure|insufficiency))\b", re.IGNORECASE)
PHRASE_OR_CLAUSE = re.compile(r"\S[^.;\n]*")
# a text of up to SHORT_QUERY_WORDS words is one phrase unless it has a sentence break, a
# joining word or a comma before two more words
SENTENCE_OR_JOIN = re.compile(r"[.;\n]\s*\S|\b(?:with|and|for|due to|after)\b|,\s*\w+\s+\w+")
WORD = re.compile(r"\w+")
# how a matched term is named in the reason
TERM_KIND_NAMES = {"title": "title", "inclusion": "inclusion term", "index": "index term", "plain": "description",
                   "part": "one site of the title", "xref": "an Excludes note's pointer"}
