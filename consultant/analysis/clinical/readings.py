"""Readings of words that no title spells out: what a coder would look up in the Index.

Three kinds, each a pure function the suggester applies before matching:

- a result stated as a level ('magnesium - low', 'elevated calcium', 'high blood sugar')
  is the hypo-/hyper- condition the classification names ('hypomagnesemia');
- a tumour named by its morphology ('fibrosarcoma', 'hidradenoma') is a neoplasm of a
  behaviour (from the ending) and a tissue (from the root), as the Alphabetic Index sends
  the coder to the Neoplasm Table ('Fibrosarcoma - see Neoplasm, connective tissue,
  malignant');
- a name followed by its initials in brackets ('Bronchopulmonary dysplasia (BPD)') says the
  same thing twice: the initials are not read again (BPD is also borderline personality
  disorder); other brackets ('Shortness of breath (dyspnea)') are a second name.

    >>> level_term("magnesium", "high")
    'hypermagnesemia'
    >>> morphology("fibrosarcoma")
    'malignant neoplasm connective soft tissue'
    >>> initialism("BPD", "Bronchopulmonary dysplasia")
    True
"""

from __future__ import annotations

import re

# -- levels ---------------------------------------------------------------------------------

HIGH = frozenset("high higher elevated elevation increased increase raised excess excessive too much "
                 "hyper above".split())
LOW = frozenset("low lower decreased decrease reduced deficient deficiency depleted depletion too little "
                "hypo below".split())

# analyte word (as written, singular) -> (word for a high level, word for a low level); the
# words are those of ICD-10-CM titles and inclusion terms.
ANALYTES: dict[str, tuple[str, str]] = {
    "magnesium": ("hypermagnesemia", "hypomagnesemia"),
    "calcium": ("hypercalcemia", "hypocalcemia"),
    "potassium": ("hyperkalemia", "hypokalemia"),
    "sodium": ("hypernatremia", "hyponatremia"),
    "chloride": ("hyperchloremia", "hypochloremia"),
    "phosphate": ("hyperphosphatemia", "hypophosphatemia"),
    "phosphorus": ("hyperphosphatemia", "hypophosphatemia"),
    "glucose": ("hyperglycemia", "hypoglycemia"),
    "sugar": ("hyperglycemia", "hypoglycemia"),
    "cholesterol": ("hypercholesterolemia", "hypocholesterolemia"),
    "triglyceride": ("hypertriglyceridemia", "hypolipoproteinemia"),
    "lipid": ("hyperlipidemia", "hypolipoproteinemia"),
    "uric": ("hyperuricemia", "hypouricemia"),
    "urate": ("hyperuricemia", "hypouricemia"),
    "albumin": ("hyperalbuminemia", "hypoalbuminemia"),
    "protein": ("hyperproteinemia", "hypoproteinemia"),
    "bilirubin": ("hyperbilirubinemia", "hypobilirubinemia"),
    "ammonia": ("hyperammonemia", "hypoammonemia"),
    "oxygen": ("hyperoxia", "hypoxemia"),
    "carbon dioxide": ("hypercapnia", "hypocapnia"),
    "co2": ("hypercapnia", "hypocapnia"),
    "temperature": ("hyperthermia", "hypothermia"),
    "pressure": ("hypertension", "hypotension"),
    "thyroid": ("hyperthyroidism", "hypothyroidism"),
    "parathyroid": ("hyperparathyroidism", "hypoparathyroidism"),
    "platelet": ("thrombocytosis", "thrombocytopenia"),
    "wbc": ("leukocytosis", "leukopenia"),
    "leukocyte": ("leukocytosis", "leukopenia"),
    "white": ("leukocytosis", "leukopenia"),
    "neutrophil": ("neutrophilia", "neutropenia"),
    "lymphocyte": ("lymphocytosis", "lymphocytopenia"),
    "eosinophil": ("eosinophilia", "eosinopenia"),
    "monocyte": ("monocytosis", "monocytopenia"),
    "rbc": ("polycythemia", "anemia"),
    "red": ("polycythemia", "anemia"),
    "erythrocyte": ("polycythemia", "anemia"),
    "hemoglobin": ("polycythemia", "anemia"),
    "hematocrit": ("polycythemia", "anemia"),
    "iron": ("iron overload", "iron deficiency"),
}
# an analyte word that is only one when the word before it says so ('white' blood cells)
_NEEDS_NEXT = {"white": ("blood", "cell", "count"), "red": ("blood", "cell", "count"),
               "pressure": ("blood",), "uric": ("acid",), "temperature": ("body",)}
_WORD = re.compile(r"[a-z0-9]+")


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word


def level_term(analyte: str, direction: str) -> str | None:
    """The condition a level of an analyte names, or None ('potassium', 'low' -> 'hypokalemia')."""
    pair = ANALYTES.get(_singular(analyte.lower()))
    d = direction.lower()
    if pair is None or (d not in HIGH and d not in LOW):
        return None
    return pair[0] if d in HIGH else pair[1]


def level_readings(words: list[str], window: int = 4) -> list[tuple[int, int, str]]:
    """(analyte word index, direction word index, condition) for each level stated in a
    short run of words: 'Magnesium - low', 'low serum potassium', 'blood sugar is high',
    'white blood cell count elevated'. Words are lower case, in order."""
    low = [_singular(w) for w in words]
    out: list[tuple[int, int, str]] = []
    used: set[int] = set()
    for i, w in enumerate(low):
        if w not in ANALYTES:
            continue
        near = _NEEDS_NEXT.get(w)
        if near is not None:
            # 'white' / 'red' only with 'blood'/'cell'/'count' right after; 'pressure' after 'blood'
            ctx = low[i + 1:i + 3] if w in ("white", "red") else low[max(i - 2, 0):i] + low[i + 1:i + 2]
            if not any(c in near for c in ctx):
                continue
        best: tuple[int, int] | None = None
        for j in range(max(i - window, 0), min(i + window + 4, len(low))):
            if j == i or j in used or (low[j] not in HIGH and low[j] not in LOW):
                continue
            if best is None or abs(j - i) < best[0]:
                best = (abs(j - i), j)
        if best is None:
            continue
        term = level_term(w, low[best[1]])
        if term:
            used.add(best[1])
            out.append((i, best[1], term))
    return out


# -- tumour morphology ----------------------------------------------------------------------

# Endings that carry the behaviour, longest first (ICD-O naming: '-sarcoma' and '-carcinoma'
# malignant, '-blastoma' mostly malignant; '-oma' after a tissue root benign).
_BEHAVIOUR = (("sarcoma", "malignant neoplasm"), ("carcinoma", "malignant neoplasm"),
              ("blastoma", "malignant neoplasm"), ("oma", "benign neoplasm"))

# Roots that name the tissue (what the Index's 'see Neoplasm, <site>' points at), longest
# match wins. Only a word with one of these roots is read: 'hematoma', 'glaucoma',
# 'granuloma', 'xanthoma' are not tumours.
_TISSUE: dict[str, str] = {
    "fibro": "connective soft tissue", "myxo": "connective soft tissue", "rhabdomyo": "connective soft tissue",
    "leiomyo": "connective soft tissue", "myo": "connective soft tissue", "lipo": "connective soft tissue",
    "fibrohistiocyt": "connective soft tissue", "histiocyt": "connective soft tissue",
    "synovio": "connective soft tissue", "mesenchym": "connective soft tissue",
    "angio": "connective soft tissue", "hemangioendotheli": "connective soft tissue",
    "osteo": "bone articular cartilage", "chondro": "bone articular cartilage",
    "osteochondro": "bone articular cartilage", "chondroblast": "bone articular cartilage",
    "amelo": "bone jaw", "odonto": "bone jaw", "cemento": "bone jaw",
    "neuro": "peripheral nerve", "neurilemm": "peripheral nerve", "neurilem": "peripheral nerve",
    "schwann": "peripheral nerve", "neurofibro": "peripheral nerve", "ganglioneuro": "peripheral nerve",
    "hidraden": "skin", "syring": "skin", "trichoepitheli": "skin", "trichilemm": "skin",
    "pilomatric": "skin", "pilomatrix": "skin", "dermatofibro": "skin", "poro": "skin",
    "spiraden": "skin", "cylindr": "skin", "acanth": "skin", "keratoacanth": "skin",
    "adeno": "", "papill": "", "cystadeno": "", "oncocyt": "",
    "mening": "meninges", "gli": "brain", "astrocyt": "brain", "ependym": "brain",
    "oligodendrogli": "brain", "medullo": "cerebellum", "pineo": "pineal gland",
    "nephro": "kidney", "hepato": "liver", "cholangio": "bile duct", "retino": "retina",
    "thym": "thymus", "insulin": "pancreas", "gastrin": "pancreas", "glucagon": "pancreas",
    "pheochromocyt": "adrenal gland", "myelolip": "adrenal gland", "paragangli": "",
    "lymphangio": "lymphatic", "hemangio": "",
}
# '-blastoma' of these roots is benign (chondroblastoma, osteoblastoma, lipoblastoma ...)
_BENIGN_BLASTOMA = frozenset(["amelo", "chondro", "osteo", "lipo", "myo", "angio", "hemangio", "fibro",
                              "odonto", "cemento"])


def morphology(token: str) -> str | None:
    """The neoplasm a morphology word names ('rhabdomyoma' -> 'benign neoplasm connective soft
    tissue'), or None when the word is not built from a known tissue root and ending."""
    word = token.lower()
    for ending, behaviour in _BEHAVIOUR:
        if not word.endswith(ending):
            continue
        # the root may keep or give up its linking 'o' ('fibro' + 'sarcoma', 'fibr' + 'oma')
        room = len(word) - len(ending) + 1
        roots = [r for r in _TISSUE if len(r) <= room and word.startswith(r) and len(r) >= 3]
        if not roots:
            return None
        root = max(roots, key=len)
        if ending == "blastoma" and root in _BENIGN_BLASTOMA:
            behaviour = "benign neoplasm"
        return f"{behaviour} {_TISSUE[root]}".strip()
    return None


# -- brackets -------------------------------------------------------------------------------

_BRACKET = re.compile(r"\(([^()]{1,80})\)")


def initialism(short: str, name: str) -> bool:
    """Whether `short` is the initials of `name` ('DKA' of 'Diabetic ketoacidosis': the
    letters of the short form appear, in order, at word or part starts of the name)."""
    letters = [c for c in short.lower() if c.isalpha()]
    if len(letters) < 2 or len(letters) > 8 or not short.replace("-", "").isalnum():
        return False
    name = name.lower()
    if not name or name[0] != letters[0]:
        return False
    pos = 0
    for c in letters:
        pos = name.find(c, pos)
        if pos < 0:
            return False
        pos += 1
    return True


def brackets(text: str) -> tuple[tuple[int, int], bool] | None:
    """The span of the one bracketed part of a short text (inside the brackets) and whether
    it is the initials of what comes before; None without exactly one bracket."""
    found = list(_BRACKET.finditer(text))
    if len(found) != 1:
        return None
    m = found[0]
    before = text[: m.start()].strip(" -,:")
    return (m.start(1), m.end(1)), bool(before) and initialism(m.group(1).strip(), before)
