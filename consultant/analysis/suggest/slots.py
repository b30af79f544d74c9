"""The words of a case as slots: each word (or multi-word abbreviation or synonym) with its
index tokens and alternatives (abbreviations expanded, synonyms added, spelling corrected,
lab levels read as the condition), and the weight it carries."""

from __future__ import annotations

from consultant.analysis.clinical import readings
from consultant.analysis.clinical.lexicon import (
    CAPITALS_ONLY,
    PHRASE_ABBREVIATIONS,
    SYNONYMS,
)
from consultant.analysis.clinical.patterns import (
    MULTI_WORD,
    MULTI_WORD_FIRST,
    RESULT_WORDS,
    SLASHED,
)
from consultant.analysis.suggest.index import (
    TermIndex,
)
from consultant.analysis.suggest.model import _Slot
from consultant.kb import terms as kt


def _alt(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(kt.tokens(text)))


def _abbreviation_ok(written: str, clinical: bool) -> bool:
    """Short forms of up to 3 letters are read only as clinical notes write them: in
    capitals ('MS', 'AF', 'AFib' is longer) or, in a text that is clearly clinical, in lower
    case too ('htn'); one letter only in capitals. In ordinary English 'ms', 'ad', 'hr',
    'pe' are words or units, not diagnoses."""
    letters = sum(c.isalpha() for c in written)
    if letters > 3:
        return True
    if any(c.isupper() for c in written):
        return letters > 1 or written.isupper()
    return clinical and letters > 1


def slots_of(text: str, index: TermIndex, start: int = 0, end: int | None = None,
             skip: tuple[tuple[int, int], ...] = (), *, strict: bool = True, clinical: bool = True) -> list[_Slot]:
    """The slots of text[start:end], with spans into `text`; words inside `skip` spans
    (context cues such as 'history of') are left out."""
    end = len(text) if end is None else end
    piece = text[start:end]
    if "/" in piece:   # every SLASHED form holds a slash
        piece = SLASHED.sub(lambda m: " " * len(m.group()), piece)
    raw = [(w, s + start, e + start) for w, s, e in kt.words(piece)]
    if skip:
        raw = [r for r in raw if not any(a <= r[1] < b for a, b in skip)]
    out: list[_Slot] = []
    cache = index._word_readings
    i = 0
    while i < len(raw):
        word, s, e = raw[i]
        done = False
        if word in MULTI_WORD_FIRST:
            for n in (3, 2):   # multi-word abbreviations and synonyms first
                if i + n <= len(raw):
                    phrase = " ".join(w for w, _, _ in raw[i:i + n])
                    if phrase in MULTI_WORD:
                        exp = _alt(MULTI_WORD[phrase])
                        own = _alt(phrase)
                        multi = (exp,) if phrase in PHRASE_ABBREVIATIONS or not own else (own, exp)
                        out.append(_slot(index, s, raw[i + n - 1][2], multi,
                                         f"{phrase!r} read as {MULTI_WORD[phrase]!r}"))
                        i += n
                        done = True
                        break
            if done:
                continue
        written = text[s:e]
        read = cache.get((word, written, strict, clinical), _UNREAD)
        if read is _UNREAD:
            read = _word_reading(index, word, written, strict, clinical)
        if read is not None:
            out.append(_Slot(s, e, *read))
        i += 1
    return _read_levels([sl for sl in out if sl.alts], text, index)


_UNREAD = ((), 0.0, "")   # a sentinel: a word not read yet (a reading is None or has alts)
WORD_CACHE = 50_000       # words whose reading is kept (prose repeats its words far more than its sentences)


def _word_reading(index: TermIndex, word: str, written: str, strict: bool,
                  clinical: bool) -> tuple[tuple[tuple[str, ...], ...], float, str] | None:
    """(alts, weight, via) of one written word outside a multi-word phrase, or None when
    it makes no slot; depends on nothing but its arguments, so kept per index (bounded)."""
    key = (word, written, strict, clinical)
    cache = index._word_readings
    if key in cache:
        return cache[key]
    if len(cache) > WORD_CACHE:
        cache.clear()
    read = cache[key] = _word_reading_uncached(index, word, written, strict, clinical)
    return read


def _word_reading_uncached(index: TermIndex, word: str, written: str, strict: bool,
                           clinical: bool) -> tuple[tuple[tuple[str, ...], ...], float, str] | None:
    short = written.lower()
    if word in CAPITALS_ONLY and not written.isupper():
        return None      # 'Aids', 'aids' are the English word; only 'AIDS' is the disease
    if word in index.abbreviations and (len(word) <= 5 or word not in index.postings) and \
            _abbreviation_ok(written, clinical):
        exp = _alt(index.abbreviations[word])
        if not exp:
            return None
        return _reading(index, (exp,), f"{short!r} read as {index.abbreviations[word]!r}")
    token = kt.fold(word)
    if not token:
        return None
    alts: list[tuple[str, ...]] = [(token,)]
    via = ""
    if word in SYNONYMS:
        alts.append(_alt(SYNONYMS[word]))
        via = f"{word!r} read as {SYNONYMS[word]!r}"
    elif token not in index.postings and not token.isdigit():
        tumour = readings.morphology(word)
        # an inflection first: 'hyperparathyroid' is 'hyperparathyroidism', not 'hyper' + 'parathyroid'
        inflected = None if tumour else index._inflection(token)
        parts = None if tumour or inflected else index.split(token)
        fixed = inflected or (None if parts or tumour else index.correct(token, strict))
        if tumour:
            alts = [_alt(tumour)]
            via = f"{word!r} read as {tumour!r} (morphology)"
        elif parts:
            alts = [parts]
            via = f"{word!r} read as {' '.join(parts)!r}"
        elif fixed:
            alts = [(fixed,)]
            via = f"{word!r} read as {fixed!r}"
    return _reading(index, tuple(dict.fromkeys(a for a in alts if a)), via)


def _reading(index: TermIndex, alts: tuple[tuple[str, ...], ...],
             via: str) -> tuple[tuple[tuple[str, ...], ...], float, str] | None:
    """A slot's alts, weight (as `_slot` works it out) and reading; None without alts."""
    return (alts, max(sum(index.weight(t) for t in a) for a in alts), via) if alts else None


def _read_levels(slots: list[_Slot], text: str, index: TermIndex) -> list[_Slot]:
    """'Magnesium - low', 'elevated calcium': the analyte, its level and the result words
    between them also read as the condition ('hypomagnesemia'); see `readings.level_readings`."""
    written = [text[sl.start:sl.end].lower() for sl in slots]
    found = readings.level_readings(written)
    if not found:
        return slots
    out = list(slots)
    for i, j, term in found:
        alt = _alt(term)
        if not alt or not all(t in index.postings for t in alt):
            continue
        a, b = min(i, j), max(i, j)
        while a > 0 and written[a - 1] in RESULT_WORDS:
            a -= 1
        while b + 1 < len(out) and written[b + 1] in RESULT_WORDS:
            b += 1
        for k in range(a, b + 1):
            if k in (i, j) or written[k] in RESULT_WORDS:
                sl = out[k]
                via = "; ".join(v for v in (sl.via, f"{written[i]!r} {written[j]!r} read as {term!r}") if v)
                out[k] = _slot(index, sl.start, sl.end, (*sl.alts, alt), via) if alt not in sl.alts else sl
    return out


def _slot(index: TermIndex, s: int, e: int, alts: tuple[tuple[str, ...], ...], via: str) -> _Slot:
    weight = max((sum(index.weight(t) for t in a) for a in alts), default=0.0)
    return _Slot(s, e, alts, weight, via)
