"""Modifiers and units as people write them: after a code ('99213-25', '27447 RT',
'J1885 x 4 units', '99213 with modifier 25') or on their own ('modifier 59', 'the 25
modifier', '-XS', 'should 29881 have RT?').

The extractor finds the codes; this module reads what follows each of them and finds the
modifiers named elsewhere, attaching 'modifier 59 on 44320' to 44320. Bare two-character
tokens count only in modifier positions and only when they are known modifiers, so 'LT knee
pain' or 'the US' never become modifiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from consultant.codes.mention import ICD10CM, MODIFIER
from consultant.codes.noise import noise_kind
from consultant.codes.normalize import KNOWN_MODIFIERS

# -- what follows a code ----------------------------------------------------------------
_MOD = r"[0-9A-Za-z]{2}"
_NO_UNIT_AFTER = (
    r"(?![ \t]*(?:%|percent|min\b|mins\b|minutes?|hrs?\b|hours?|yrs?\b|years?|yo\b|y/o|days?|"
    r"weeks?|months?|mg\b|ml\b|units?|patients?|people|visits?|cases?|times?|pts?\b|"
    r"year-old|y\.o\.))"
)
_TAIL_HYPHEN = re.compile(rf"[ \t]*,?[ \t]*[-–—][ \t]?(?P<m>{_MOD})(?!\w)(?![.:/]\d)")
_TAIL_KEYWORD = re.compile(
    rf"[ \t]*,?[ \t]*(?:(?:with|w/|plus|and|using)[ \t]+)?(?:(?:a|the)[ \t]+)?"
    rf"(?:mod(?:ifier)?s?)\.?[ \t]*[:#]?[ \t]*[-–—]?(?P<m>{_MOD})(?!\w)",
    re.IGNORECASE,
)
_TAIL_WITH = re.compile(
    rf"[ \t]+(?:with|w/)[ \t]+(?:(?:a|the)[ \t]+)?[-–—]?(?P<m>{_MOD})(?!\w)" + _NO_UNIT_AFTER,
    re.IGNORECASE,
)
_TAIL_SPACE_ALPHA = re.compile(r"[ \t]+(?P<m>[A-Z][A-Z0-9]|[0-9][A-Z]|rt|lt)(?![\w-])")
# '99213 25' only when nothing but an end, punctuation or another modifier follows.
_TAIL_SPACE_NUM = re.compile(
    r"[ \t]+(?P<m>\d{2})(?=[ \t]*(?:$|[\r\n,;)\]]|[-–—]?[0-9A-Z]{2}(?![\w.:/-])))", re.MULTILINE
)
_TAIL_LIST = re.compile(rf"[ \t]*[,/&][ \t]*[-–—]?(?P<m>{_MOD})(?!\w)(?![.:/]\d)")
_TAIL_UNITS = re.compile(
    r"[ \t]*[,;]?[ \t]*(?:"
    r"\(?[x×*][ \t]*(?P<a>\d{1,3})(?:[ \t]*units?)?\)?(?![\w.]|,\d)"
    r"|\(?(?P<b>\d{1,3})[ \t]*(?:units?|UOS)\b\)?"
    r"|\(?(?:units?|qty|quantity|UOS)[ \t]*(?:[:=#]|of)?[ \t]*[x×]?[ \t]*(?P<c>\d{1,3})(?![\w.])\)?"
    r")",
    re.IGNORECASE,
)

# -- modifiers written on their own ------------------------------------------------------
_MOD_WORD = re.compile(r"[Mm][Oo][Dd]")  # a cheap literal scan; the forms are checked after
_MOD_KEYWORD = re.compile(
    rf"(?:mod(?:ifier)?s?)\.?[ \t]*[:#(]?[ \t]*[-–—]?(?P<m>{_MOD})(?!\w)", re.IGNORECASE
)
# 'Should 29881 have RT?', 'do I need 59', 'append 59 to 11042'
_VERBS = "have has get gets need needs take takes use using add adding append appending apply applying"
# These two begin with their words, not with \b: the engine then skips in C to the letters a
# word can begin with, and a match that does not begin a word is dropped after
# (`_begins_word`): no match can begin inside one of those, so the same matches remain.
_MOD_AFTER_VERB = re.compile(
    # Lower-case and capitalised spelled out: much faster to scan than (?i:...).
    r"(?:" + "|".join(w for v in _VERBS.split() for w in (v, v.title())) + r")[ \t]+"
    r"(?:(?:a|an|the)[ \t]+)?(?P<m>[-–—]?(?:\d\d|[A-Z][A-Z0-9]|[0-9][A-Z]))(?![\w-])" + _NO_UNIT_AFTER
)
# What may follow a modifier named in prose: 'have RT?' but not 'need the PT eval'.
_CLEAR_END = re.compile(
    r"[ \t]*(?:(?i:modifiers?|on|to|for|is|was|with|here|instead|applies|applied|appended|too|"
    r"also|or|and)\b|[?,.;:)\r]|$)",
    re.MULTILINE,
)
# 'is the -25 on 99213 OK', 'a 59?': after an article only a clear modifier shape counts.
_MOD_AFTER_ARTICLE = re.compile(
    r"(?:the|an?|The|An?)[ \t]+(?P<m>[-–—][0-9A-Z]{2}|\d\d|X[EPSU])(?![\w-])"
    r"(?=[ \t]*(?:(?i:modifier|on|to|for|is|was|applies|applied|appended)\b|[?,.;)\r]|$))",
    re.MULTILINE,
)
_MOD_BEFORE_WORD = re.compile(rf"(?<![\w-])[-–—]?(?P<m>{_MOD})[ \t]+$")
_MOD_LIST_MORE = re.compile(
    rf"[ \t]*(?:,|/|&|\+|\band\b|\bor\b|,[ \t]*(?:and|or)\b)[ \t]*[-–—]?(?P<m>{_MOD})(?!\w)",
    re.IGNORECASE,
)
_MOD_BARE = re.compile(r"(?:X[EPSU]|[-–—][A-Z][A-Z0-9])(?![\w-])")
_ATTACH_TO = re.compile(
    r"[ \t]+(?:on|to|for|appended[ \t]+to|added[ \t]+to|with)[ \t]+(?:(?:the|code|cpt|hcpcs)[ \t]+)*",
    re.IGNORECASE,
)


@dataclass
class Found:
    """A code found so far, with what was read after it (mutable while the text is read)."""

    system: str
    code: str
    start: int
    end: int
    tail_end: int
    modifiers: list[str] = field(default_factory=list)
    units: int | None = None


def _modifier(raw: str, *, bare: bool) -> str | None:
    """Normal form of a written modifier, or None if it should not count here.

    After a hyphen or the word 'modifier' any two characters with a letter count (the
    knowledge base says whether they exist); bare tokens must be in the known list."""
    up = raw.upper()
    if bare:
        if up not in KNOWN_MODIFIERS:
            return None
        return up if raw.isdigit() or raw.isupper() or up in {"RT", "LT"} else None
    if up in KNOWN_MODIFIERS:
        return up
    return up if raw.isupper() and not raw.isdigit() else None


def _begins_word(text: str, at: int) -> bool:
    """What a word boundary before a letter asks: no word character (as `re` reads one) before `at`."""
    return not at or not (text[at - 1].isalnum() or text[at - 1] == "_")


def read_tail(text: str, found: Found) -> None:
    """Modifiers and units written after a CPT/HCPCS code, in any order."""
    pos = found.end
    last_was_modifier = False
    for _ in range(8):
        m = _TAIL_HYPHEN.match(text, pos)
        if m and (mod := _modifier(m.group("m"), bare=False)):
            found.modifiers.append(mod)
            pos, last_was_modifier = m.end(), True
            continue
        m = _TAIL_KEYWORD.match(text, pos)
        if m and (mod := _modifier(m.group("m"), bare=False)):
            found.modifiers.append(mod)
            pos, last_was_modifier = m.end(), True
            continue
        if last_was_modifier:
            m = _TAIL_LIST.match(text, pos)
            if m and (mod := _modifier(m.group("m"), bare=True)):
                found.modifiers.append(mod)
                pos = m.end()
                continue
        m = _TAIL_WITH.match(text, pos)
        if m and (mod := _modifier(m.group("m"), bare=True)):
            found.modifiers.append(mod)
            pos, last_was_modifier = m.end(), True
            continue
        m = _TAIL_SPACE_ALPHA.match(text, pos)
        if m and (mod := _modifier(m.group("m"), bare=True)):
            found.modifiers.append(mod)
            pos, last_was_modifier = m.end(), True
            continue
        m = _TAIL_SPACE_NUM.match(text, pos)
        if m and (mod := _modifier(m.group("m"), bare=True)):
            found.modifiers.append(mod)
            pos, last_was_modifier = m.end(), True
            continue
        if found.units is None:
            m = _TAIL_UNITS.match(text, pos)
            if m:
                value = int(m.group("a") or m.group("b") or m.group("c"))
                if value > 0:
                    found.units = value
                    pos, last_was_modifier = m.end(), False
                    continue
        break
    found.tail_end = pos


def standalone_modifiers(text: str, codes: list[Found]) -> list[Found]:
    """Modifiers not written right after a code: 'modifier 59', 'the 25 modifier', '-XS'."""
    taken = [(c.start, c.tail_end) for c in codes]

    def is_free(s: int, e: int) -> bool:
        return not any(a < e and s < b for a, b in taken) and noise_kind(text, s, e) is None

    hits: list[tuple[int, int, str]] = []
    for word in _MOD_WORD.finditer(text):
        at = word.start()
        if at and (text[at - 1].isalnum() or text[at - 1] == "_"):
            continue
        m = _MOD_KEYWORD.match(text, at)
        if m is not None:
            # 'modifier 59', 'mod 25', 'modifiers 59, XU or 25'
            mod = _modifier(m.group("m"), bare=False)
            if mod is not None and is_free(m.start("m"), m.end("m")):
                hits.append((m.start("m"), m.end("m"), mod))
                pos = m.end()
                while more := _MOD_LIST_MORE.match(text, pos):
                    extra = _modifier(more.group("m"), bare=True)
                    if extra is None or not is_free(more.start("m"), more.end("m")):
                        break
                    hits.append((more.start("m"), more.end("m"), extra))
                    pos = more.end()
        if text[at : at + 8].lower() == "modifier":
            # 'the 25 modifier', '-59 modifier', 'an XU modifier'
            b = _MOD_BEFORE_WORD.search(text, max(0, at - 8), at)
            if b is not None:
                mod = _modifier(b.group("m"), bare=True)
                if mod and is_free(b.start("m"), b.end("m")):
                    hits.append((b.start("m"), b.end("m"), mod))
    # Modifiers named in prose ('have RT?') only matter in a text that names codes.
    in_prose = (*_MOD_AFTER_VERB.finditer(text), *_MOD_AFTER_ARTICLE.finditer(text)) if codes or hits else ()
    for m in in_prose:
        if not _begins_word(text, m.start()):
            continue
        raw = m.group("m").lstrip("-–—")
        if not raw.isdigit() and not _CLEAR_END.match(text, m.end("m")):
            continue
        mod = _modifier(raw, bare=True)
        if mod and is_free(m.start("m"), m.end("m")):
            hits.append((m.end("m") - len(raw), m.end("m"), mod))
    for m in _MOD_BARE.finditer(text):
        if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_-"):
            continue
        raw = m.group().lstrip("-–—")
        mod = _modifier(raw, bare=True)
        if mod and is_free(m.start(), m.end()):
            hits.append((m.end() - len(raw), m.end(), mod))

    by_start = {c.start: c for c in codes}
    out: list[Found] = []
    seen: set[int] = set()
    for start, end, mod in sorted(hits):
        if start in seen:
            continue
        seen.add(start)
        # 'modifier 59 on 44320' belongs to 44320.
        attach = _ATTACH_TO.match(text, end)
        target = by_start.get(attach.end()) if attach else None
        if target is not None and target.system != ICD10CM:
            if mod not in target.modifiers:
                target.modifiers.append(mod)
            continue
        out.append(Found(MODIFIER, mod, start, end, end))
    return out
