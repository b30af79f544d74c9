"""The suggestion term index: code titles, inclusion terms, index paths and plain words,
normalised into tokens so that finding candidate codes for a phrase is an indexed lookup.

Written by `build_term_index(conn)` as the last step of a knowledge-base build:

* `term` / `term_token` (schema.sql): one row per searchable text of a code, and its tokens.
* `term_meta` (ours): per term the IDF weight of its required tokens and its optional tokens
  (words printed in parentheses or brackets are non-essential: '(primary)', '[HIV]').
* `term_posting` (ours): per token its document frequency, IDF and the term ids holding it as
  a packed int32 array, so the suggester loads postings with one primary-key lookup.
* `term_prefix` / `term_partner` (ours): per token the terms whose prefix holds it, and
  those terms again under each of their other tokens (`partners`), so that a sentence
  finds the terms two of its words reach with a few dictionary lookups.

The same `normalize` is used on case text by `consultant.analysis.suggest`, so both sides
agree on tokens: lower case, punctuation stripped, plurals stemmed, a few British spellings
and adjective forms folded ('renal' -> 'kidney'), filler words dropped, laterality kept.

    >>> normalize("Essential (primary) hypertension")
    (('essential', 'hypertension'), ('primary',))
    >>> normalize("Pneumonia, unspecified organism")
    (('pneumonia',), ('~organism',))
    >>> tokens("Fractures of the LEFT femurs")
    ['fracture', 'left', 'femur']
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from functools import lru_cache

log = logging.getLogger(__name__)

# Words that never decide a code. 'unspecified' and 'other' are dropped so that an
# unspecified code is not penalised for the word; the scorer prefers it when no detail
# is given because the detailed siblings carry words the phrase does not have.
STOP = frozenset(
    ["an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "by", "with", "as", "is", "are", "was", "were", "be", "been", "from", "into", "due", "than", "that", "this", "these", "those", "its", "it", "his", "her", "their", "which", "who", "whom", "whose", "than", "also", "nos", "unspecified", "specified", "classified", "elsewhere", "not", "mellitus", "any", "all", "patient", "pt", "case"]
)
# Words that say little about which code: counted at a fifth of their weight.
LIGHT = frozenset(
    ["without", "complication", "condition", "disease", "disorder", "site", "part", "type", "state", "stage", "use", "specific", "finding", "syndrome", "multiple", "body", "region", "other", "organism", "a"]
)
LIGHT_FACTOR = 0.2

# Symmetric folds applied to every token on both sides (index and case text).
CANON = {
    "renal": "kidney", "nephric": "kidney",
    "hepatic": "liver",
    "cardiac": "heart",
    "gastric": "stomach",
    "pulmonary": "lung",
    "cerebral": "brain",
    "diabetic": "diabete", "diabete": "diabete",
    "tumour": "tumor", "tumor": "neoplasm", "neoplastic": "neoplasm",
    "oesophagus": "esophagus", "oesophageal": "esophageal",
    "anaemia": "anemia", "haemorrhage": "hemorrhage", "haematoma": "hematoma",
    "oedema": "edema", "faecal": "fecal", "paediatric": "pediatric",
    "hypertensive": "hypertension",
    "asthmatic": "asthma",
    "arthritic": "arthritis",
    "septic": "sepsis",
    "anemic": "anemia",
    "obese": "obesity",
    "fractured": "fracture",
    "bilat": "bilateral",
    "lt": "left", "rt": "right",
    "ii": "2", "i": "1", "iii": "3", "iv": "4",
    # adjective -> organ, so 'pelvic fracture' meets 'fracture of pelvis'
    "pelvic": "pelvis", "femoral": "femur", "tibial": "tibia", "fibular": "fibula",
    "vertebral": "vertebra", "nasal": "nose", "ocular": "eye", "cutaneous": "skin",
    "intestinal": "intestine", "colonic": "colon", "rectal": "rectum", "vaginal": "vagina",
    "uterine": "uterus", "ovarian": "ovary", "testicular": "testis", "prostatic": "prostate",
    "mammary": "breast", "splenic": "spleen", "pancreatic": "pancreas", "esophageal": "esophagus",
    "laryngeal": "larynx", "pharyngeal": "pharynx", "tracheal": "trachea", "bronchial": "bronchus",
    "pleural": "pleura", "aortic": "aorta", "venous": "vein", "arterial": "artery",
    "muscular": "muscle", "spinal": "spine", "facial": "face", "oral": "mouth", "dental": "tooth",
    "retinal": "retina", "corneal": "cornea", "otic": "ear", "auricular": "ear",
    "humeral": "humerus", "ulnar": "ulna", "clavicular": "clavicle", "scapular": "scapula",
    "patellar": "patella", "sacral": "sacrum", "sternal": "sternum", "abdominal": "abdomen",
    "thoracic": "thorax", "inguinal": "groin", "umbilical": "umbilicus", "vesical": "bladder",
    "urethral": "urethra", "ureteral": "ureter", "gingival": "gum", "cranial": "skull",
    "thyroidal": "thyroid", "adrenal": "adrenal", "duodenal": "duodenum", "gallbladder": "gallbladder",
    "hepatitis": "hepatitis", "peritoneal": "peritoneum", "lumbar": "lumbar", "cervical": "cervical",
}
_WORD = re.compile(r"[a-z0-9]+")
_PAREN = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")


SOFT = "~"          # marks a word after 'unspecified' (optional, but counted a little if missing)
SOFT_FACTOR = 0.3


def stem(word: str) -> str:
    """Plural to singular for the common English endings; numbers and short words untouched."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "as", "os", "ys")):
        return word[:-1]
    return word


# British and Latin spellings -> the American ones the classification uses (both sides).
_SPELLING = {
    "haem": "hem", "aemia": "emia", "glycaem": "glycem", "ischaem": "ischem", "oedem": "edem",
    "oesoph": "esoph", "oestr": "estr", "foet": "fet", "rrhoea": "rrhea", "pnoea": "pnea",
    "leuc": "leuk", "paed": "ped", "anaes": "anes", "aetiol": "etiol", "isation": "ization",
    "tumour": "tumor", "coeli": "celi", "caesar": "cesar", "haemorrh": "hemorrh",
}
_SPELLING_RE = re.compile("|".join(sorted(_SPELLING, key=len, reverse=True)))


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """One raw lower-case word -> its index token ('' when it is a filler word)."""
    if len(word) > 4 and _SPELLING_RE.search(word):
        word = _SPELLING_RE.sub(lambda m: _SPELLING[m.group()], word)
    word = CANON.get(word, word)
    if word in STOP:
        return ""
    token = stem(word)
    return CANON.get(token, token)


@lru_cache(maxsize=4096)
def _plain_letter(ch: str) -> str:
    """'é' -> 'e', 'ç' -> 'c' ('Behçet', 'Sézary', 'Sjögren' as coders type them); a
    character without a one-letter plain form stays as it is."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return plain if len(plain) == 1 else ch


def words(text: str) -> list[tuple[str, int, int]]:
    """(lower-case word, start, end) of each word; the 's of a possessive is skipped,
    'non-' is kept on its word ('non-selective' is 'nonselective', never 'selective') and
    'IV' before a word is intravenous ('IV pole', 'IV antibiotics'), after 'stage', 'type' ...
    or at the end the numeral four."""
    low = text.lower()
    if not low.isascii():
        low = "".join(map(_plain_letter, low))   # same length: spans stay true
    found: list[tuple[str, int, int]] = []
    for m in _WORD.finditer(low):
        w = m.group()
        a, b = m.span()
        if w == "s" and a > 0 and low[a - 1] in "'\u2019":
            continue
        if found and found[-1][0] == "non" and a - found[-1][2] == 1 and low[a - 1] in "- " and not w.isdigit():
            found[-1] = ("non" + w, found[-1][1], b)
            continue
        found.append((w, a, b))
    if "iv" not in low:   # most texts: no word to read as intravenous
        return found
    return [("intravenous", a, b) if w == "iv" and i + 1 < len(found) and (
        i == 0 or found[i - 1][0] not in _NUMERAL_BEFORE) else (w, a, b) for i, (w, a, b) in enumerate(found)]


# words after which 'IV' is a numeral ('stage IV', 'type IV', 'class IV', 'factor IV')
_NUMERAL_BEFORE = frozenset("stage type class level grade phase group factor degree tier category nerve "
                            "mucolipidosis mucopolysaccharidosis glycogenosis collagen".split())


def tokens(text: str) -> list[str]:
    """Index tokens of a text, in order, repeats kept."""
    return [t for t in (fold(w) for w, _, _ in words(text)) if t]


def normalize(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required tokens, optional tokens) of a published title or term, each without repeats."""
    optional = [t for m in _PAREN.finditer(text) for t in tokens(m.group(1) or m.group(2) or "")]
    required: list[str] = []
    after_unspecified = excepted = False
    for i, (word, _, _) in enumerate(words(_PAREN.sub(" ", text))):
        if word == "unspecified":
            after_unspecified = i > 0   # 'Pneumonia, unspecified organism': 'organism' is optional
            continue
        if word in ("except", "without"):
            excepted = True             # '... except renal pelvis', '... without complications':
            continue                    # what follows is optional (the words need not say it)
        if excepted:
            token = fold(word)
            if token:
                optional.append(token)
            continue
        token = fold(word)
        if not token:
            continue
        (optional if after_unspecified else required).append(SOFT + token if after_unspecified else token)
        after_unspecified = False
    req = tuple(dict.fromkeys(required))
    opt = tuple(t for t in dict.fromkeys(optional) if t.lstrip(SOFT) not in req)
    return req, opt


def weight_of(token: str, idf: dict[str, float]) -> float:
    w = idf.get(token, 1.0)
    return w * LIGHT_FACTOR if token in LIGHT else w


HELPER_TABLES = """
CREATE TABLE IF NOT EXISTS term_meta (
    term_id  INTEGER PRIMARY KEY,   -- term.id
    weight   REAL NOT NULL,         -- summed IDF weight of the required tokens
    opt      TEXT NOT NULL,         -- optional (non-essential) tokens joined by ' '
    billable INTEGER                -- the code's billable flag (NULL unknown)
);
CREATE TABLE IF NOT EXISTS term_prefix (
    token    TEXT PRIMARY KEY,
    ids      BLOB NOT NULL          -- terms whose prefix (see `prefix_tokens`) holds the token
);
CREATE TABLE IF NOT EXISTS term_partner (
    token    TEXT PRIMARY KEY,      -- a prefix token (term_prefix)
    others   TEXT NOT NULL,         -- the other tokens of its terms, joined by ' '
    counts   BLOB NOT NULL,         -- per other token, how many of the ids below are its (int32)
    ids      BLOB NOT NULL          -- the terms of each other token in turn (see `partners`)
);
CREATE TABLE IF NOT EXISTS term_posting (
    token    TEXT PRIMARY KEY,
    df       INTEGER NOT NULL,      -- number of terms holding the token
    idf      REAL NOT NULL,
    ids      BLOB NOT NULL          -- term ids, int32 native order (array('i'))
);
"""

Term = tuple[str, str, str, str]   # system, code, text, source_kind

# In running text a term is a candidate only when the words cover this share of its weight
# (ICD-10-CM: the suggester's minimum coverage; procedures: half). Known at build time, so
# each term is posted only under the tokens of its *prefix*: its heaviest tokens, as many as
# it takes that the rest cannot reach the share alone (prefix filtering). A sentence then
# looks up a few short lists instead of every posting of every word.
RUNNING_COVER = {"ICD10CM": 0.7}
RUNNING_COVER_DEFAULT = 0.5


def running_cover(system: str) -> float:
    return RUNNING_COVER.get(system, RUNNING_COVER_DEFAULT)


def prefix_tokens(weighted: Iterable[tuple[str, float]], weight: float, cover: float) -> list[str]:
    """The tokens of a term of which a text must hold one to cover `cover` of `weight`.

    >>> prefix_tokens([("cyst", 5.0), ("left", 1.0), ("kidney", 3.0)], 9.0, 0.7)
    ['cyst', 'kidney']
    """
    ranked = sorted(weighted, key=lambda tw: (-tw[1], tw[0]))
    rest = sum(w for _, w in ranked)
    out: list[str] = []
    for token, w in ranked:
        out.append(token)
        rest -= w
        if rest < cover * weight - 1e-9:
            break
    return out


def _icd_terms(conn: sqlite3.Connection) -> Iterator[Term]:
    # Titles of categories, subcategories and codes; not chapters and blocks (too broad),
    # nor the full codes a 7th character makes (their leaf carries the words; the
    # suggester adds the 7th character).
    rows = conn.execute(
        "SELECT c.code, c.title FROM code c WHERE c.system = 'ICD10CM' "
        "AND c.kind IN ('category', 'subcategory', 'code') "
        "AND NOT EXISTS (SELECT 1 FROM code p WHERE p.system = 'ICD10CM' AND p.code = c.parent "
        "                AND p.kind = 'code' AND p.billable = 0)"
    )
    in_titles: Counter[str] = Counter()
    for code, title in rows:
        in_titles.update(set(tokens(title)))
        yield "ICD10CM", code, title, "title"
        for part in (*title_parts(title), *bracket_names(title)):
            yield "ICD10CM", code, part, "part"
    for code, text in conn.execute(
        "SELECT n.code, n.text FROM icd_note n WHERE n.kind IN ('inclusion', 'includes') "
        "AND n.code NOT LIKE 'CH%' AND n.code NOT LIKE '%-%'"
    ):
        yield "ICD10CM", code, text, "inclusion"
    known_codes = {c for (c,) in conn.execute("SELECT code FROM code WHERE system = 'ICD10CM'")}
    for (text,) in conn.execute("SELECT DISTINCT text FROM icd_note WHERE kind IN "
                                "('excludes1', 'excludes2', 'code_first', 'use_additional', 'code_also')"):
        ref = cross_reference(text)
        if ref is None or ref[1] not in known_codes:
            continue
        said = [t for t in tokens(ref[0]) if t not in _XREF_FILLER]
        if len(said) == 1 and in_titles[said[0]] > XREF_COMMON_WORD:
            continue   # 'abscess (J85.1)' under a lung code means a lung abscess, not every abscess
        yield "ICD10CM", ref[1], ref[0], "xref"
    for path, code in conn.execute("SELECT path, code FROM index_term WHERE code IS NOT NULL"):
        yield "ICD10CM", code, path.replace(" > ", " "), "index"
    known = {c for (c,) in conn.execute("SELECT code FROM code WHERE system = 'ICD10CM'")}
    for text, code in MAIN_TERMS:
        if code in known:
            yield "ICD10CM", code, text, "index"


XREF_COMMON_WORD = 60   # a one-word pointer to a word in more titles than this is a list fragment
_NOTE_LEAD = re.compile(r"^(?:additional )?code(?:,? if applicable,?)? (?:to identify|for) (?:the )?", re.IGNORECASE)
_XREF = re.compile(r"^(?P<text>[^()]{3,120}?)\s*\((?P<code>[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{0,4})?)[.-]*\)\s*$")


def cross_reference(note: str) -> tuple[str, str] | None:
    """(condition, code) of an Excludes, Code first, Use additional or Code also note that
    names one condition and one code or category ('tuberculous enteritis (A18.32)', 'carrier of
    infectious disease (Z22.-)'): the tabular's own pointer to where the words are classified.
    None for ranges, lists and 'see' notes."""
    m = _XREF.match(_NOTE_LEAD.sub("", note.strip()))
    if m is None or " see " in f" {m.group('text')} ":
        return None
    text, code = m.group("text").strip(" ,"), m.group("code").rstrip(".")
    if "T36" <= code[:3] <= "T65":
        return None   # a drug or substance named alone is not its poisoning
    said = [t for t in tokens(text) if t not in _XREF_FILLER]
    if not any(t in _CONDITION_NOUNS or _CONDITION_ENDING.search(t) for t in said):
        return None   # 'acute (J01.-)', 'maxillary sinus (J32.0)': a fragment of a list under another term
    return text, code


# words that name no condition: a note of only these is a fragment ('upper jaw', 'in newborn')
_XREF_FILLER = frozenset("""in of with due to nos nec upper lower left right acute chronic newborn neonatal
jaw ear eye head neck face arm leg hand foot back chest maternal congenital other unspecified""".split())
_CONDITION_NOUNS = frozenset("""disease disorder syndrome infection ulcer injury failure pain impairment shock
care abuse dependence deficiency tumor neoplasm cyst fracture hernia lesion anomaly malformation degeneration
dysfunction obstruction hemorrhage hypertension embolism thrombosis aneurysm abscess calculus stricture fistula
poisoning burn wound sprain dislocation retardation delay loss""".split())
_CONDITION_ENDING = re.compile(r"(?:oma|osis|itis|emia|aemia|pathy|iasis|ism|virus|derma|plegia|algia|rrhea|"
                               r"rrhage|cele|ectasis|uria|trophy|sclerosis|spasm|stenosis|ia)$")


# 'of liver and intrahepatic bile duct', 'of connective and soft tissue': a title that names two
# sites (or two kinds) with 'and' is found by either; not past 'of' ('shaft of tibia and fibula'
# splits at 'tibia and fibula', never at 'shaft')
_WORDS_NOT_OF = r"[\w'-]+(?: (?!of\b|and\b)[\w'-]+){0,2}?"
_CONJOINED = re.compile(rf"(?P<lead>\bof |, )(?P<a>{_WORDS_NOT_OF}) and (?P<b>{_WORDS_NOT_OF}[\w'-]*)"
                        r"(?P<tail>(?:,| of | with | in | without | due to ).*|$)")


_SQUARE = re.compile(r"\[([^\[\]]+)\]")
_NOT_A_NAME = re.compile(r"^(?:any|except|all|nos|nec|see|e\.g|i\.e|including|with|without)\b|\d", re.IGNORECASE)


def bracket_names(title: str) -> list[str]:
    """The title with a square-bracketed other name in place of the words it names, as the
    Index lists both ('Acute nasopharyngitis [common cold]' -> 'common cold'; 'navicular
    [scaphoid] bone' -> 'scaphoid bone'); initials ('[BMI]') and qualifiers ('[any part]')
    are not names."""
    out = []
    for m in _SQUARE.finditer(title):
        name = m.group(1).strip()
        if _NOT_A_NAME.search(name) or name.replace(".", "").replace(" ", "").isupper():
            continue
        before = title[: m.start()].rstrip()
        words_before = before.split(" ")
        n = min(len(name.split()), len(words_before))
        head = " ".join(words_before[: len(words_before) - n])
        tail = _SQUARE.sub("", title[m.end():])
        out.append(" ".join(f"{head} {name}{tail}".split()))
    return out


_TWO_NAMES = re.compile(r"^([\w'-]+) and ([\w'-]+)$")


def title_parts(title: str) -> list[str]:
    """The title once for each of two conjoined sites ('Secondary malignant neoplasm of liver
    and intrahepatic bile duct' -> '... of liver', '... of intrahepatic bile duct'), the way
    the Alphabetic Index lists each site on its own; [] for other titles."""
    pair = _TWO_NAMES.match(title)
    if pair:   # 'Syncope and collapse', 'Hypo-osmolality and hyponatremia': each is a name
        return [pair.group(1), pair.group(2)]
    m = _CONJOINED.search(title)
    if not m or m.group("a") == m.group("b"):
        return []
    head, tail = title[: m.start("a")], m.group("tail")
    a, b = m.group("a").split(), m.group("b").split()
    if len(a) > 1 and len(b) == 1:
        # 'bone density and structure': the first words belong to both ('bone structure')
        b = [*a[:-1], *b]
    return [f"{head}{' '.join(a)}{tail}", f"{head}{' '.join(b)}{tail}"]


# Main terms of the ICD-10-CM Alphabetic Index whose code no tabular title or inclusion term
# spells out ('Tumor - see Neoplasm, unspecified behavior'; 'Mass, abdominal'). Written from
# the Index for when its XML is not imported (the importer then adds the full Index).
MAIN_TERMS: tuple[tuple[str, str], ...] = (
    ("tumor", "D49.9"), ("neoplasm", "D49.9"), ("neoplasia", "D49.9"),
    ("abdominal mass", "R19.00"), ("pelvic mass", "R19.00"), ("abdominal lump", "R19.00"),
    ("kidney mass", "N28.89"), ("lung mass", "R91.8"), ("breast mass", "N63.0"), ("breast lump", "N63.0"),
    ("neck mass", "R22.1"), ("skin lesion", "L98.9"),
    ("alcoholism", "F10.20"), ("hemospermia", "R36.1"), ("hematospermia", "R36.1"),
    ("hypogastric pain", "R10.30"), ("trauma", "T14.90"), ("injury", "T14.90"),
    ("tuberculosis", "A15.9"), ("abscess", "L02.91"),
)


def _procedure_terms(conn: sqlite3.Connection) -> Iterator[Term]:
    """CPT rows, and the HCPCS Level II rows we wrote a plain summary for. The official HCPCS
    file's other 8,000 long descriptions (quality-reporting G and M codes, pass-through devices,
    supplies, private-payer S codes) are not services a coder asks us to name from plain words:
    as terms they out-scored the diagnoses ('Patient was not admitted to hospice' -> G9856)."""
    for system, code, title, plain in conn.execute(
        "SELECT system, code, title, plain FROM code WHERE system = 'CPT' "
        "OR (system = 'HCPCS' AND plain IS NOT NULL)"
    ):
        if title:
            yield system, code, title, "title"
        if plain and plain != title:
            yield system, code, plain, "plain"
        for text in {title, plain} - {None}:
            short = _procedure_short_name(text)
            if short:
                yield system, code, short, "plain"
            for head in _procedure_head_names(text):
                if head != short:
                    yield system, code, head, "plain"


_APPROACH = frozenset(["laparoscopic", "open", "endoscopic", "percutaneous", "arthroscopic", "robotic", "bilateral", "unilateral", "partial", "total", "diagnostic"])


_PROCEDURE_WORD = re.compile(r"(?:ectomy|otomy|ostomy|plasty|scopy|graphy|pexy|rrhaphy|centesis|lysis|tripsy|"
                             r"desis|biopsy|ablation|resection|excision|repair|fusion|replacement|debridement|"
                             r"drainage|amputation)$", re.IGNORECASE)


_GENERIC_HEADS = frozenset(["repair", "fusion", "replacement", "biopsy", "ablation", "resection", "excision",
                            "debridement", "drainage", "amputation", "infusion", "transfusion"])
_HEAD_LEAD = frozenset(["a", "an", "the", "making", "creating", "forming", "doing"])
_JOINT_REPLACEMENT = frozenset(["knee", "hip", "shoulder", "elbow", "ankle", "wrist"])


def _procedure_head_names(text: str) -> list[str]:
    """'Open partial colectomy where ...' -> ['open partial colectomy', 'partial colectomy'];
    'Making a colostomy ...' -> ['colostomy']; 'Total knee replacement' also 'total knee
    arthroplasty': the summary's head procedure word as a short term, when only approach
    words and at most one other word (the site) come before it. Approach words stay unless
    the approach is open (the default): 'colectomy' alone is the open one, 'laparoscopic'
    must be said. A head word after 'revision of a' names another procedure, and one followed
    by a second procedure word is a combined procedure: none."""
    approach: list[str] = []
    other: list[str] = []
    said = [w for w, _, _ in words(text)]
    for n, w in enumerate(said):
        if _PROCEDURE_WORD.search(w) and len(w) > 6:
            if any(_PROCEDURE_WORD.search(x) and len(x) > 6 for x in said[n + 1:]):
                return []   # 'Cystoscopy with ureteroscopy ...' is not a plain cystoscopy
            if w in _GENERIC_HEADS and not other:
                return []   # 'replacement', 'infusion' alone name no service: the site must be said
            names = []
            for head in [w] + (["arthroplasty"] if w == "replacement" and other and
                               other[-1] in _JOINT_REPLACEMENT else []):
                full = " ".join([*approach, *other, head])
                names.append(full)
                kept = [a for a in approach if a not in ("open", "laparoscopic", "endoscopic", "percutaneous",
                                                         "arthroscopic", "robotic", "diagnostic")]
                if "laparoscopic" not in approach and not {"endoscopic", "percutaneous", "arthroscopic",
                                                           "robotic"} & set(approach):
                    bare = " ".join([*kept, *other, head])
                    if bare != full:
                        names.append(bare)
            return names
        if w in _APPROACH:
            approach.append(w)
        elif w in _HEAD_LEAD:
            continue
        elif not other:
            other.append(w)
        else:
            return []
    return []


def _procedure_short_name(text: str) -> str | None:
    """'Laparoscopic removal of the gallbladder (cholecystectomy)' -> 'laparoscopic cholecystectomy':
    a procedure description's parenthesised name, with its approach words."""
    m = _PAREN.search(text)
    inner = (m.group(1) or "").strip() if m else ""
    if not m or not inner or len(inner.split()) > 3 or re.search(r"\d|^(?:with|see|reported|or|and)\b", inner):
        return None
    if "e.g" in inner or not any(_PROCEDURE_WORD.search(w) for w, _, _ in words(inner)):
        return None
    approach = [w for w, _, _ in words(text[: m.start()]) if w in _APPROACH]
    return " ".join([*approach, m.group(1).strip()])


def collect_terms(conn: sqlite3.Connection) -> list[Term]:
    """Every searchable text of every code, without repeats of (system, code, normalised text,
    whether words were left unspecified)."""
    seen: set[tuple[str, str, tuple[str, ...], bool]] = set()
    out: list[Term] = []
    for term in (*_icd_terms(conn), *_procedure_terms(conn)):
        req, opt = normalize(term[2])
        # a term without the title's 'unspecified ...' words is another term ('tumor' is not
        # 'Neoplasm of unspecified behavior of unspecified site': nothing left unsaid)
        key = (term[0], term[1], req, any(t.startswith(SOFT) for t in opt))
        if req and key not in seen:
            seen.add(key)
            out.append(term)
    return out


def build_term_index(conn: sqlite3.Connection) -> int:
    """Fill term, term_token and the helper tables from what the importers wrote; returns terms.

    Safe to re-run: the tables are emptied first.
    """
    conn.executescript(HELPER_TABLES)
    for table in ("term", "term_token", "term_meta", "term_posting", "term_prefix", "term_partner"):
        conn.execute(f"DELETE FROM {table}")
    terms = collect_terms(conn)
    billable = {
        (s, c): b for s, c, b in conn.execute("SELECT system, code, billable FROM code")
    }
    normed = [normalize(t[2]) for t in terms]
    df: Counter[str] = Counter()
    for req, opt in normed:
        df.update(req)
        df.update(t.lstrip(SOFT) for t in opt)
    n = max(len(terms), 1)
    idf = {tok: math.log(1 + n / d) for tok, d in df.items()}
    postings: dict[str, list[int]] = defaultdict(list)
    prefixes: dict[str, list[int]] = defaultdict(list)
    term_rows, token_rows, meta_rows = [], [], []
    for term_id, ((system, code, text, kind), (req, opt)) in enumerate(zip(terms, normed), 1):
        term_rows.append((term_id, system, code, text, " ".join(req), kind))
        for tok in (*req, *(t.lstrip(SOFT) for t in opt)):
            token_rows.append((tok, term_id))
            postings[tok].append(term_id)
        weight = sum(weight_of(t, idf) for t in req) + sum(
            SOFT_FACTOR * weight_of(t[1:], idf) for t in opt if t.startswith(SOFT))
        meta_rows.append((term_id, weight, " ".join(opt), billable.get((system, code))))
        every = dict.fromkeys((*req, *(t.lstrip(SOFT) for t in opt)))
        for tok in prefix_tokens(((t, weight_of(t, idf)) for t in every), weight, running_cover(system)):
            prefixes[tok].append(term_id)
    conn.executemany("INSERT INTO term (id, system, code, text, norm, source_kind) VALUES (?, ?, ?, ?, ?, ?)",
                     term_rows)
    conn.executemany("INSERT INTO term_token (token, term_id) VALUES (?, ?)", token_rows)
    conn.executemany("INSERT INTO term_meta (term_id, weight, opt, billable) VALUES (?, ?, ?, ?)", meta_rows)
    conn.executemany(
        "INSERT INTO term_posting (token, df, idf, ids) VALUES (?, ?, ?, ?)",
        ((tok, len(ids), idf[tok], array("i", ids).tobytes()) for tok, ids in postings.items()),
    )
    conn.executemany("INSERT INTO term_prefix (token, ids) VALUES (?, ?)",
                     ((tok, array("i", ids).tobytes()) for tok, ids in prefixes.items()))
    build_term_partners(conn)
    log.info("term index: %d terms, %d tokens, %d distinct", len(term_rows), len(token_rows), len(postings))
    return len(term_rows)


def partners(token: str, ids: Iterable[int], norms: list[str], opts: list[str]) -> dict[str, list[int]]:
    """The terms whose prefix holds `token` (`ids`), listed under each of their other
    tokens: a term that needs a second word of a sentence is found by looking up the
    sentence's other words here (`consultant.analysis.suggest.scoring._covered`)."""
    out: dict[str, list[int]] = {}
    for tid in ids:
        for other in norms[tid].split():
            if other != token:
                out.setdefault(other, []).append(tid)
        if opts[tid]:
            for other in opts[tid].split():
                other = other.lstrip(SOFT)
                if other != token:
                    out.setdefault(other, []).append(tid)
    return out


def pack_partners(found: dict[str, list[int]]) -> tuple[str, bytes, bytes]:
    """(others, counts, ids) of a `partners` map, as `term_partner` holds it."""
    return (" ".join(found), array("i", map(len, found.values())).tobytes(),
            array("i", (tid for ids in found.values() for tid in ids)).tobytes())


def unpack_partners(others: str, counts: bytes, ids: bytes) -> dict[str, tuple[int, ...]]:
    """The `partners` map of a `term_partner` row, as tuples (which, holding only numbers,
    the garbage collector soon stops walking)."""
    sizes, flat = array("i"), array("i")
    sizes.frombytes(counts)
    flat.frombytes(ids)
    out: dict[str, tuple[int, ...]] = {}
    at = 0
    for other, n in zip(others.split(), sizes, strict=True):
        out[other] = tuple(flat[at:at + n])
        at += n
    return out


def build_term_partners(conn: sqlite3.Connection) -> int:
    """Fill `term_partner` from `term`, `term_meta` and `term_prefix` (the last step of
    `build_term_index`; also run alone on a knowledge base built before the table existed).
    Returns the number of tokens."""
    conn.executescript(HELPER_TABLES)
    conn.execute("DELETE FROM term_partner")
    norms, opts = [""], [""]
    for tid, norm, opt in conn.execute("SELECT t.id, t.norm, m.opt FROM term t JOIN term_meta m "
                                       "ON m.term_id = t.id ORDER BY t.id"):
        if tid != len(norms):
            raise ValueError(f"term ids are not dense at {tid}")
        norms.append(norm)
        opts.append(opt)
    rows = []
    for token, blob in conn.execute("SELECT token, ids FROM term_prefix ORDER BY token").fetchall():
        rows.append((token, *pack_partners(partners(token, unpack_ids(blob), norms, opts))))
    conn.executemany("INSERT INTO term_partner (token, others, counts, ids) VALUES (?, ?, ?, ?)", rows)
    return len(rows)


def unpack_ids(blob: bytes) -> Iterable[int]:
    """The term ids of a term_posting row."""
    ids = array("i")
    ids.frombytes(blob)
    return ids
