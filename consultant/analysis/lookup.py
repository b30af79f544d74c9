"""What the knowledge base says of one code the case mentions, for the date of service.

    mention --judge--> CodeVerdict(status, title, children, 7th characters, did-you-mean, ...)

A code is VALID, a heading (NOT_BILLABLE: here are its billable codes), incomplete
(NEEDS_7TH: here are the 7th characters), DELETED or NOT_YET_VALID on the date (per the
releases' validity), UNKNOWN (with near misses that do exist), or for CPT, NOT_IN_KB: a
well-formed CPT code our starter set does not describe (its words need an AMA licence, so
we never call it invalid). Pure: the code book is read-only and the date is an argument.

When the date of service lies outside every official release we hold for the code's system
(a case dated after the newest ICD-10-CM file), the nearest release answers, and its data
set is named as the source.

    >>> judge(Mention("ICD10CM", "E11.9", "E119", 0, 4), "E119", book, date(2026, 6, 1)).status
    ...                                                                   # doctest: +SKIP
    'valid'
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date

from consultant.analysis.findings import (
    DELETED,
    NEEDS_7TH,
    NOT_BILLABLE,
    NOT_IN_KB,
    NOT_YET_VALID,
    UNKNOWN,
    VALID,
    CodeVerdict,
    ModifierVerdict,
)
from consultant.analysis.ports import KnowledgeBase
from consultant.codes.mention import CPT, HCPCS, ICD10CM, MODIFIER, Mention
from consultant.codes.noise import redact
from consultant.codes.normalize import HCPCS_LETTERS, normalize_hcpcs, normalize_icd
from consultant.kb.records import CodeEntry

NOT_IN_KB_TEXT = "CPT code not in the starter set; its text needs an AMA licence"
MAX_CHILDREN = 12
MAX_DID_YOU_MEAN = 8
EVIDENCE_CHARS = 60

# Release kinds that define, per system, which dates our official data covers.
_OFFICIAL_KINDS = {
    ICD10CM: ("icd10cm_tabular", "icd10cm_order"),
    HCPCS: ("hcpcs",),
    CPT: ("cpt_licensed",),
}
_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# -- the date the knowledge base can answer for ----------------------------------------------
def effective_date(book: KnowledgeBase, system: str, on: date) -> date:
    """`on`, or the nearest day an official release of the system covers when none covers
    `on` (so a case dated after our newest file is answered from that file)."""
    kinds = _OFFICIAL_KINDS.get(system, ())
    spans = [(r.valid_from, r.valid_to) for r in book.releases() if r.kind in kinds]
    if not spans or any((a is None or a <= on) and (b is None or on <= b) for a, b in spans):
        return on
    ends = [b for _, b in spans if b is not None and b < on]
    if ends:
        return max(ends)
    starts = [a for a, _ in spans if a is not None and a > on]
    return min(starts) if starts else on


# -- evidence --------------------------------------------------------------------------------
_SPACES = re.compile(r"\s+")


def evidence(text: str, start: int, end: int, limit: int = EVIDENCE_CHARS) -> str:
    """A few words of the case around text[start:end], on its line, with dates, phone and
    record numbers blanked out: never more than `limit` characters.

    >>> evidence("MRN 00483921. Can I bill 44320 with 44140 for this?", 25, 30)
    'Can I bill 44320 with 44140 for this?'
    """
    if not text or not 0 <= start <= end <= len(text):
        return ""
    line_start = max(text.rfind("\n", 0, start) + 1, start - 200)
    line_end = text.find("\n", end)
    line_end = min(len(text) if line_end < 0 else line_end, end + 200)
    # Prefer the sentence the mention sits in.
    for stop in (". ", "? ", "! ", "; "):
        cut = text.rfind(stop, line_start, start)
        if cut >= 0:
            line_start = max(line_start, cut + 2)
    for stop in (". ", "? ", "! ", "; "):
        cut = text.find(stop, end, line_end)
        if cut >= 0:
            line_end = min(line_end, cut + 1)
    window = text[line_start:line_end]
    rel_start, rel_end = start - line_start, end - line_start
    cleaned = redact(window, keep=(rel_start, rel_end))
    # Find the mention again in the redacted window (redaction shortens text before it).
    shift = len(window) - len(cleaned)
    pos = cleaned.find(text[start:end], max(0, rel_start - shift))
    if pos < 0:
        pos = cleaned.find(text[start:end])
    if pos < 0:
        return _SPACES.sub(" ", text[start:end]).strip()[:limit]
    left, right = cleaned[:pos], cleaned[pos + (end - start):]
    core = cleaned[pos : pos + (end - start)]
    left, right = _SPACES.sub(" ", left), _SPACES.sub(" ", right)
    room = max(0, limit - len(core))
    take_left = min(len(left), room // 2)
    take_right = min(len(right), room - take_left)
    take_left = min(len(left), room - take_right)
    lpart = left[len(left) - take_left :] if take_left else ""
    rpart = right[:take_right]
    # Clipped when what was left out holds more than spaces.
    clipped_left = bool(left[: len(left) - take_left].strip())
    clipped_right = bool(right[take_right:].strip())
    if clipped_left and " " in lpart:
        lpart = lpart[lpart.index(" ") + 1 :]
    if clipped_right and " " in rpart:
        rpart = rpart[: rpart.rindex(" ")]
    phrase = (lpart + core + rpart).strip()
    if clipped_left and not phrase.startswith("…") and len(phrase) < limit:
        phrase = "…" + phrase
    if clipped_right and not phrase.endswith("…") and len(phrase) < limit:
        phrase = phrase + "…"
    return phrase[:limit]


# -- near misses -----------------------------------------------------------------------------
def _alphabet(system: str, position: int) -> str:
    if system == HCPCS:
        return "".join(sorted(HCPCS_LETTERS)) if position == 0 else _DIGITS
    if position == 0:
        return _LETTERS
    if position in (1, 2):
        return _DIGITS
    return _DIGITS + _LETTERS


def near_misses(system: str, code: str) -> Iterator[str]:
    """Normal-form codes one slip away from `code`, likeliest slips first (may repeat): a
    swapped pair, X placeholders left out, one extra character, one wrong character, one
    missing character."""
    bare = code.replace(".", "")
    norm = normalize_icd if system == ICD10CM else normalize_hcpcs
    shapes: list[str] = []
    for i in range(len(bare) - 1):
        if bare[i] != bare[i + 1]:
            shapes.append(bare[:i] + bare[i + 1] + bare[i] + bare[i + 2 :])
    if system == ICD10CM and len(bare) > 4 and bare[-1].isalpha():
        # 'T8140A' -> 'T81.40XA': pad the placeholders to six characters.
        base = bare[:-1].rstrip("X")
        if len(base) <= 6:
            shapes.append(base.ljust(6, "X") + bare[-1])
    if len(bare) > 3:
        shapes.extend(bare[:i] + bare[i + 1 :] for i in range(len(bare) - 1, -1, -1))
    for i in range(len(bare) - 1, -1, -1):
        shapes.extend(bare[:i] + ch + bare[i + 1 :] for ch in _alphabet(system, i) if ch != bare[i])
    if system == ICD10CM and len(bare) < 7:
        for i in range(len(bare), 2, -1):
            shapes.extend(bare[:i] + ch + bare[i:] for ch in _DIGITS + "X")
    for shape in shapes:
        normal = norm(shape)
        if normal is not None and normal != code:
            yield normal


def did_you_mean(book: KnowledgeBase, system: str, code: str, on: date) -> tuple[tuple[str, str], ...]:
    """Codes one slip away from `code` that the knowledge base holds on the date, with titles."""
    if system not in (ICD10CM, HCPCS):
        return ()
    out: dict[str, str] = {}
    for candidate in near_misses(system, code):
        if candidate in out:
            continue
        entry = book.entry(system, candidate, on)
        if entry is not None:
            out[candidate] = entry.title
            if len(out) >= MAX_DID_YOU_MEAN:
                break
    return tuple(out.items())


# -- verdicts --------------------------------------------------------------------------------
def _modifier_verdicts(book: KnowledgeBase, modifiers: Sequence[str]) -> tuple[ModifierVerdict, ...]:
    out = []
    for code in modifiers:
        entry = book.modifier(code)
        out.append(ModifierVerdict(code, (entry.plain or entry.title) if entry else None))
    return tuple(out)


def _spread(entries: Sequence[CodeEntry], limit: int) -> tuple[CodeEntry, ...]:
    """Up to `limit` codes, taking one per parent in turn, so a heading's list shows its
    different branches before the 7th-character variants of the first one."""
    groups: dict[str | None, list[CodeEntry]] = {}
    for e in entries:
        groups.setdefault(e.parent, []).append(e)
    out: list[CodeEntry] = []
    while len(out) < limit and any(groups.values()):
        for members in groups.values():
            if members and len(out) < limit:
                out.append(members.pop(0))
    return tuple(out)


def _is_expansion(child: str, code: str) -> bool:
    """True when `child` is `code` plus a 7th character ('S72.001A' of 'S72.001')."""
    bare_child, bare = child.replace(".", ""), code.replace(".", "")
    return len(bare_child) == 7 and bare_child[:-1].rstrip("X") == bare.rstrip("X")


def _found(base: CodeVerdict, entry: CodeEntry, book: KnowledgeBase, on: date) -> CodeVerdict:
    """The verdict for a code the knowledge base holds on `on`."""
    verdict = replace(base, code=entry.code, status=VALID, title=entry.title, plain=entry.plain,
                      source=entry.dataset)
    if entry.system != ICD10CM or entry.billable is not False:
        return verdict
    children = book.children(entry.code, on)
    sevenths = tuple((s.character, s.meaning) for s in book.seventh_characters(entry.code))
    if sevenths and (not children or all(_is_expansion(c.code, entry.code) for c in children)):
        return replace(
            verdict,
            status=NEEDS_7TH,
            billable_children=tuple((c.code, c.title) for c in children[:MAX_CHILDREN]),
            seventh_characters=sevenths,
        )
    billable = _spread(book.billable_descendants(entry.code, on, limit=60), MAX_CHILDREN)
    return replace(
        verdict,
        status=NOT_BILLABLE,
        billable_children=tuple((c.code, c.title) for c in billable),
        seventh_characters=sevenths,
    )


def _seventh_by_rule(book: KnowledgeBase, code: str, on: date) -> CodeEntry | None:
    """A 7th-character code the knowledge base did not list whole: 'S72.001A' from the
    leaf 'S72.001' and its declared 7th character 'A'."""
    bare = code.replace(".", "")
    if len(bare) != 7 or not bare[-1].isalpha():
        return None
    leaf = normalize_icd(bare[:-1].rstrip("X"))
    if leaf is None:
        return None
    base = book.entry(ICD10CM, leaf, on)
    if base is None or book.children(leaf, on):
        return None
    for s in book.seventh_characters(leaf):
        if s.character == bare[-1]:
            return CodeEntry(ICD10CM, code, f"{base.title}, {s.meaning}", base.plain, True, "code",
                             leaf, base.valid_from, base.valid_to, base.dataset, base.source)
    return None


def _judge_code(base: CodeVerdict, book: KnowledgeBase, on: date) -> CodeVerdict:
    system, code = base.system, base.code
    day = effective_date(book, system, on)
    entry = book.entry(system, code, day)
    if entry is None and system == ICD10CM:
        entry = _seventh_by_rule(book, code, day)
    if entry is not None:
        return _found(base, entry, book, day)
    history = book.history(system, code)
    if history:
        last = history[-1]
        status = NOT_YET_VALID if all(h.valid_from and h.valid_from > day for h in history) else DELETED
        shown = history[0] if status == NOT_YET_VALID else last
        return CodeVerdict(
            system, code, status, shown.title, shown.plain, base.evidence, base.modifiers,
            base.units, source=shown.dataset,
        )
    if system == CPT:
        return CodeVerdict(system, code, NOT_IN_KB, None, NOT_IN_KB_TEXT, base.evidence,
                           base.modifiers, base.units, source="")
    return CodeVerdict(system, code, UNKNOWN, None, None, base.evidence, base.modifiers, base.units,
                       did_you_mean=did_you_mean(book, system, code, day))


def _other_reading(system: str, code: str) -> tuple[str, str] | None:
    """'K5669' is HCPCS-shaped and an undotted ICD-10-CM code; each reading backs up the other."""
    bare = code.replace(".", "")
    if len(bare) != 5 or not bare[0].isalpha() or not bare[1:].isdigit():
        return None
    if system == HCPCS:
        icd = normalize_icd(bare)
        return (ICD10CM, icd) if icd else None
    if system == ICD10CM and bare[0] in HCPCS_LETTERS:
        return HCPCS, bare
    return None


def _judge_modifier(mention: Mention, book: KnowledgeBase, evidence_text: str) -> CodeVerdict:
    entry = book.modifier(mention.code)
    if entry is None:
        return CodeVerdict(MODIFIER, mention.code, UNKNOWN, None, None, evidence_text)
    dataset = next((r.dataset for r in book.releases() if r.kind == "modifiers"), entry.source)
    return CodeVerdict(MODIFIER, mention.code, VALID, entry.title, entry.plain, evidence_text,
                       source=dataset)


def judge(mention: Mention, text: str, book: KnowledgeBase, on: date) -> CodeVerdict:
    """The knowledge base's verdict on one mentioned code for the date of service `on`."""
    phrase = evidence(text, mention.start, mention.end)
    if mention.system == MODIFIER:
        return _judge_modifier(mention, book, phrase)
    base = CodeVerdict(
        mention.system, mention.code, UNKNOWN, None, None, phrase,
        _modifier_verdicts(book, mention.modifiers), mention.units,
    )
    verdict = _judge_code(base, book, on)
    if verdict.status == UNKNOWN and mention.code.replace(".", "") == mention.raw.upper():
        other = _other_reading(mention.system, mention.code)
        if other is not None:
            alt = _judge_code(
                CodeVerdict(other[0], other[1], UNKNOWN, None, None, phrase, base.modifiers, base.units),
                book, on,
            )
            if alt.status != UNKNOWN:
                return alt
    return verdict
