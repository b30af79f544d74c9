"""Find the codes a case mentions: CPT (and Category II/III, PLA, vaccine, MAAA), HCPCS Level
II, ICD-10-CM with or without its dot, and modifiers and units written after a code.

Pure and fast: one precompiled scan for candidate tokens; for each, a look at the characters
around it for what is never a code (`codes.noise`: dates, phone numbers, ZIP codes, record
numbers, money, ...); then the modifiers and units written after each code
(`codes.modifiers`). Undotted ICD-10-CM shapes ('E119', 'B27', 'P53') are common in
clinical prose as other things, so they count only near coding words or other codes. The
knowledge base is not consulted: shape and context decide, and the analysis judges what
was found.

    >>> [(m.code, m.modifiers) for m in extract_codes("Bill 99213-25 for E119, MRN 00483921")]
    [('99213', ('25',)), ('E11.9', ())]
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from consultant.codes.mention import CPT, HCPCS, ICD10CM, Mention
from consultant.codes.modifiers import Found, read_tail, standalone_modifiers
from consultant.codes.noise import noise_kind, words_before
from consultant.codes.normalize import HCPCS_LETTERS, normalize_icd

# Candidate tokens. The look-arounds keep tokens whole: no code from the middle of a word,
# an e-mail address, a decimal number or a QP escape.
_TOKEN = re.compile(
    r"(?<![\w@&=])(?<!\d\.)"
    r"(?:(?P<icd>[A-Za-z]\d[0-9A-Za-z]\.[0-9A-Za-z]{1,4})"
    r"|(?P<alnum>[A-Z]\d[0-9A-Z]{1,5})"
    r"|(?P<cpt>\d{5}|\d{4}[Ff]|0\d{3}[TtUuAaMm]))"
    r"(?![\w@]|\.\w|,\d{1,3}(?!\d))"
)

# Every token's second character is a digit, after a letter or a digit: found in C by the
# engine's scan for digits, it says where `_TOKEN` can begin (one character before).
_SECOND_DIGIT = re.compile(r"\d(?<=[A-Za-z\d]\d)")


def _tokens(text: str) -> Iterator[re.Match[str]]:
    """`_TOKEN.finditer(text)`, tried only where a token can begin: most of a text is words
    and spaces, where `finditer` would try the look-behinds at every character."""
    pos = 0
    while (digit := _SECOND_DIGIT.search(text, pos + 1)) is not None:
        start = digit.start() - 1
        m = _TOKEN.match(text, start)
        if m is None:
            pos = start + 1
        else:
            yield m
            pos = m.end()


# -- context ----------------------------------------------------------------------------
# A count or quantity right after a number: '12000 patients', '50000 units of heparin'.
_QUANTITY_AFTER = re.compile(
    r"[ \t]*(?:units?\b(?![ \t]*[:=x×#]?[ \t]*\d)|(?:patients|people|persons|cases|steps|feet|"
    r"miles|meters|metres|words|pages|lines|rows|records|members|employees|beneficiaries|lives|"
    r"years|months|days|hours|minutes|seconds|times|calories|cells|copies|beats|dollars|"
    r"residents|children|adults|deaths|births|admissions|beds|samples|specimens)\b)",
    re.IGNORECASE,
)
# A word just before a number that makes it a value or an identifier: 'platelets 51000'.
_VALUE_WORDS = frozenset(
    {
        "platelets", "platelet", "plt", "plts", "leukocytes", "leukocyte", "leucocytes",
        "leucocyte", "wbc", "rbc", "hgb", "hb", "neutrophils", "lymphocytes", "count",
        "counts", "level", "levels", "titer", "titers", "titre", "titres", "value",
        "values", "score", "scores", "model", "models", "serial", "lot", "position",
        "positions", "nucleotide", "nucleotides", "exon", "exons", "codon", "codons",
        "pmid", "doi", "volume", "vol", "issue", "page", "pages", "pp", "cells", "weight",
        "height", "population", "approximately", "total", "sum", "balance"
    }
)
# Words just before a number that make it a code: 'CPT 44320', 'billed 99213', 'and 44140'.
_CODE_BEFORE = re.compile(
    r"(?:\b(?:cpt|hcpcs|codes?|bill(?:ed|ing|s)?|with|and|plus|or|vs|versus|reported|report|"
    r"append(?:ed)?|use|using|submit(?:ted)?|w)\b|#)[^\w\n]{0,3}$",
    re.IGNORECASE,
)
_DX_WORD = re.compile(
    r"\b(?:dx|ddx|diag|diagnos[ie]s|diagnoses|icd(?:-?10)?(?:-?cm)?|impression|assessment)\b",
    re.IGNORECASE,
)
_PROC_WORD = re.compile(
    r"\b(?:cpt|hcpcs|proc|procedures?|bill(?:ed|ing)?|charged?|j-?codes?|drugs?|supply|dme|"
    r"units?|injections?|infusions?)\b",
    re.IGNORECASE,
)
_LIST_GAP = re.compile(r"[\s,;/&+]*(?:(?:and|or|plus)[\s,;]*)?", re.IGNORECASE)
# Three-character tokens that look like categories but are something else here.
_NOT_CATEGORY_BEFORE = re.compile(r"\b(?:vitamin|vit|coenzyme|ansi|asc)\.?[ \t]*$", re.IGNORECASE)
_NOT_CATEGORY_AFTER = re.compile(
    r"[ \t]*(?:masks?|respirators?|vertebra|vertebrae|vertebral|level|837|835|27[0-7]|edi\b|"
    r"[-–/][ \t]*[A-Z]?\d)",
    re.IGNORECASE,
)
_VERTEBRA = frozenset({"T10", "T11", "T12"})
# Letter-and-digits tokens that name something else: HLA types, gene variants, percentiles.
_NOT_ICD_BEFORE = re.compile(r"\bHLA\b[^.;\n]{0,25}$|\b(?:p|c)\.$")
_NOT_ICD_AFTER = re.compile(
    r"[ \t]*(?:mutations?|variants?|polymorphisms?|alleles?|substitutions?|proteins?|genes?|"
    r"antigens?|antibod(?:y|ies)|percentiles?|centiles?|allotypes?|positive|negative|"
    r"infections?|virus|strain|serotype)\b",
    re.IGNORECASE,
)
# Words that say the text is about codes, so an undotted 'E119' or bare 'I10' is one.
_CODE_WORDS = (
    r"\b(?:codes?|coded|coding|dx|ddx|icd\w*|cpt|hcpcs|bill\w*|claims?|valid|invalid|"
    r"modifiers?|denied|denials?|payers?|category|subcategory|excludes\d?|7th|seventh)\b"
)
_SUPPORT = re.compile(
    _CODE_WORDS + r"|\bdiagnos[ie]s(?:[ \t]+codes?)?[ \t]*[:#-]", re.IGNORECASE
)
_SUPPORT_AFTER = re.compile(_CODE_WORDS, re.IGNORECASE)

_CPT_RANGES = ((100, 1999), (10004, 99607))


def _line_start(text: str, pos: int, limit: int = 80) -> int:
    nl = text.rfind("\n", max(0, pos - limit), pos)
    return nl + 1 if nl >= 0 else max(0, pos - limit)


def _icd_context(text: str, start: int, previous: Found | None) -> bool:
    """True when the words before a letter-and-four-digits token speak of diagnoses."""
    if previous is not None and previous.system == ICD10CM and _LIST_GAP.fullmatch(
        text, previous.tail_end, start
    ):
        return True
    begin = _line_start(text, start)
    dx = [m.end() for m in _DX_WORD.finditer(text, begin, start)]
    if not dx:
        return False
    proc = [m.end() for m in _PROC_WORD.finditer(text, begin, start)]
    return not proc or dx[-1] > proc[-1]


def _cpt_ok(text: str, start: int, end: int, code: str, previous: Found | None) -> bool:
    if code.isdigit():
        n = int(code)
        if not any(lo <= n <= hi for lo, hi in _CPT_RANGES):
            return False
    words = words_before(text, start, 24)
    if words and (words[-1].rstrip(":=") in _VALUE_WORDS or words[-2:-1] == ["factor"]):
        return False
    if _QUANTITY_AFTER.match(text, end):
        # A strong code word before wins over a count after ('billed 99213 visits').
        near = previous is not None and start - previous.tail_end <= 6
        return near or bool(_CODE_BEFORE.search(text, max(0, start - 25), start))
    return True


def _category_ok(text: str, start: int, end: int, code: str) -> bool:
    """Bare three-character categories ('I10') unless the context says vitamin, mask, spine."""
    if code in _VERTEBRA:
        return False
    if _NOT_CATEGORY_BEFORE.search(text, max(0, start - 15), start):
        return False
    return not _NOT_CATEGORY_AFTER.match(text, end)


def _glued_to_word(text: str, start: int) -> bool:
    """'HLA-B27', 'anti-P155', 'post-I131': a letter token hyphenated onto a word."""
    return start >= 2 and text[start - 1] in "-–—" and text[start - 2].isalpha()


def _supported(text: str, start: int, end: int) -> bool:
    """Coding words near an undotted ICD-10-CM shape, on the same line."""
    if _SUPPORT.search(text, _line_start(text, start), start):
        return True
    stop = text.find("\n", end, end + 40)
    return bool(_SUPPORT_AFTER.search(text, end, stop if stop >= 0 else min(len(text), end + 40)))


def _codes(text: str) -> list[Found]:
    found: list[Found] = []
    weak: set[int] = set()  # indexes into `found` of undotted ICD shapes without support
    for m in _tokens(text):
        kind = m.lastgroup
        start, end = m.span()
        raw = m.group()
        if found and start < found[-1].tail_end:
            continue  # inside the previous code's modifiers ('99213-25' never yields '25...')
        previous = found[-1] if found else None
        system: str
        code: str | None
        if kind == "cpt":
            code = raw.upper()
            if not _cpt_ok(text, start, end, code, previous):
                continue
            system = CPT
        else:
            if _glued_to_word(text, start) or _NOT_ICD_BEFORE.search(text, max(0, start - 30), start):
                continue
            if _NOT_ICD_AFTER.match(text, end):
                continue
            if kind == "icd":
                code = normalize_icd(raw)
                system = ICD10CM
            elif len(raw) == 5 and raw[1:].isdigit() and raw[0] in HCPCS_LETTERS and not _icd_context(
                text, start, previous
            ):
                system, code = HCPCS, raw
            else:
                code = normalize_icd(raw)
                if code is not None and len(raw) == 3 and not _category_ok(text, start, end, raw):
                    continue
                system = ICD10CM
            if code is None:
                continue
        if noise_kind(text, start, end) is not None:
            continue
        if kind == "alnum" and system == ICD10CM and not _supported(text, start, end):
            weak.add(len(found))
        item = Found(system, code, start, end, end)
        if system != ICD10CM:
            read_tail(text, item)
        found.append(item)
    if weak:
        found = _settle_weak(text, found, weak)
    return found


# A line that asks about or acts on codes: 'Can I use E119 and I10 together with Z7984?'.
_CODING_ACT = re.compile(
    r"\?|\b(?:use|using|bill|report|assign|add|code|together|sequence|pair|combine)\b", re.IGNORECASE
)


def _cluster(text: str, found: list[Found], weak: set[int]) -> set[int]:
    """Undotted shapes that support each other: two or more on one line, close together, at
    least one with four or more characters, on a line that asks about or acts on codes."""
    out: set[int] = set()
    order = sorted(weak)
    for i in order:
        group = [j for j in order
                 if j != i and abs(found[j].start - found[i].start) <= 60
                 and "\n" not in text[min(found[i].start, found[j].start):max(found[i].start, found[j].start)]]
        if not group:
            continue
        members = [i, *group]
        if not any(len(text[found[k].start:found[k].end]) >= 4 for k in members):
            continue
        start = _line_start(text, found[i].start)
        stop = text.find("\n", found[i].end)
        if _CODING_ACT.search(text, start, stop if stop >= 0 else len(text)):
            out.update(members)
    return out


def _settle_weak(text: str, found: list[Found], weak: set[int]) -> list[Found]:
    """Keep an unsupported undotted ICD shape only when a kept code sits near it on its line,
    or when several sit together on a line that asks about codes."""
    kept = [i not in weak for i in range(len(found))]
    for i in _cluster(text, found, weak):
        kept[i] = True
    changed = True
    while changed:
        changed = False
        for i in weak:
            if kept[i]:
                continue
            for j in (i - 1, i + 1):
                if 0 <= j < len(found) and kept[j]:
                    a, b = sorted((found[i], found[j]), key=lambda f: f.start)
                    if b.start - a.tail_end <= 40 and "\n" not in text[a.tail_end : b.start]:
                        kept[i] = changed = True
                        break
    return [f for f, k in zip(found, kept) if k]


def extract_codes(text: str) -> tuple[Mention, ...]:
    """Every code mention in `text`, sorted by start; one mention per occurrence.

    `raw` is the code as written and `text[start:end] == raw`; modifiers and units written
    after a code are attached to it, modifiers written elsewhere are MODIFIER mentions.
    """
    if not text:
        return ()
    codes = _codes(text)
    mods = standalone_modifiers(text, codes)
    mentions = [
        Mention(
            system=f.system,
            code=f.code,
            raw=text[f.start : f.end],
            start=f.start,
            end=f.end,
            modifiers=tuple(dict.fromkeys(f.modifiers)),
            units=f.units,
        )
        for f in (*codes, *mods)
    ]
    mentions.sort(key=lambda m: m.start)
    return tuple(mentions)


__all__ = ["extract_codes"]
