"""ICD-10-CM tabular conventions between diagnoses: Excludes1, the 7th character, and the
'code first' / 'use additional code' notes that fix which diagnoses go together and in what order.
"""

from __future__ import annotations

from dataclasses import dataclass

from consultant.analysis.edits.common import (
    GUIDELINES,
    Book,
    _CaseView,
    _label,
    _matches_any,
    _short,
    _soften,
    _some,
    code_beginnings,
    in_references,
    reference_set,
)
from consultant.analysis.findings import ERROR, INFO, NEEDS_7TH, WARNING, Issue
from consultant.codes.mention import ICD10CM
from consultant.kb.records import IcdNote

_CONDITIONAL = ("if applicable", "where applicable", "any associated", "if known")


# -- Excludes1 --------------------------------------------------------------------------------


def check_excludes1(view: _CaseView, book: Book) -> list[Issue]:
    icds = view.of(ICD10CM)
    issues = []
    done: set[frozenset[str]] = set()
    beginnings = {c.code: code_beginnings(c.code) for c in icds}
    any_beginning = frozenset().union(*beginnings.values())
    for a in icds:
        for note in view.notes(book, a.code, "excludes1"):
            refs = reference_set(note.refs)
            if not refs[1] and refs[0].isdisjoint(any_beginning):
                continue  # the note names none of the case's codes
            for b in icds:
                if b.code == a.code or not in_references(b.code, refs, beginnings[b.code]):
                    continue
                key = frozenset((a.code, b.code))
                if key in done:
                    continue
                done.add(key)
                msg = (
                    f"Excludes1 at {note.at}: {_label(a)} and {_label(b)} are not coded together "
                    f'("{_short(note.text)}"); keep the one the documentation supports.'
                )
                severity = _soften(ERROR, a, b)
                if "unrelated" in note.text.lower():
                    severity = WARNING
                    msg += (
                        " The note allows both when the conditions are unrelated: report both "
                        "only if the physician documents that."
                    )
                source = f"{GUIDELINES}, I.A.12.a"
                issues.append(Issue(severity, "excludes1", (a.code, b.code), msg, source))
    return issues


# -- 7th character ----------------------------------------------------------------------------


def seventh_example(code: str, character: str) -> str:
    """The code with X placeholders up to six characters and the 7th character.

    >>> seventh_example("T78.40", "A"), seventh_example("S72.001", "A")
    ('T78.40XA', 'S72.001A')
    """
    bare = code.replace(".", "").ljust(6, "X") + character
    return f"{bare[:3]}.{bare[3:]}"


def check_seventh(view: _CaseView, book: Book) -> list[Issue]:
    issues = []
    for v in view.verdicts:
        if v.status != NEEDS_7TH:
            continue
        chars = v.seventh_characters or tuple(
            (s.character, s.meaning) for s in book.seventh_characters(v.code)
        )
        listed = "; ".join(f"{ch} {meaning}" for ch, meaning in chars[:8])
        msg = f"{v.code} needs a 7th character"
        msg += " and X placeholders" if len(v.code.replace(".", "")) < 6 else ""
        msg += f" ({listed})" if listed else ""
        msg += f", e.g. {seventh_example(v.code, chars[0][0])}" if chars else ""
        msg += "; the code is invalid without it."
        source = f"{GUIDELINES}, I.A.4-I.A.5"
        issues.append(Issue(ERROR, "seventh_character", (v.code,), msg, source))
    return issues


# -- code first / use additional --------------------------------------------------------------


@dataclass(frozen=True)
class _NoteGroup:
    """One instructional note as the tabular writes it: a lead-in and its listed items."""

    at: str
    text: str
    refs: tuple[str, ...]

    @property
    def conditional(self) -> bool:
        low = self.text.lower()
        return any(w in low for w in _CONDITIONAL)

    @property
    def general(self) -> bool:
        """Written at a chapter or block, not at the code's own category."""
        return self.at.upper().startswith("CH") or "-" in self.at


def _note_groups(view: _CaseView, book: Book, code: str, kind: str) -> tuple[_NoteGroup, ...]:
    grouped: dict[str, list[IcdNote]] = {}
    for note in view.notes(book, code, kind):
        grouped.setdefault(note.at, []).append(note)
    return tuple(
        _NoteGroup(
            at,
            " ".join(" ".join(n.text.split()) for n in notes),
            tuple(dict.fromkeys(r for n in notes for r in n.refs)),
        )
        for at, notes in grouped.items()
    )


def _is_manifestation(group: _NoteGroup, title: str) -> bool:
    return "underlying" in group.text.lower() or "classified elsewhere" in title.lower()


def check_code_first(view: _CaseView, book: Book) -> list[Issue]:
    """Etiology/manifestation and 'code first' sequencing: a manifestation code is never listed
    first; a code whose note names an associated condition present in the case goes after it."""
    icds = view.of(ICD10CM)
    mentioned = [c for c in icds if not c.suggested]
    titles = {v.code: v.title or "" for v in view.verdicts}
    source = f"{GUIDELINES}, I.A.13 and I.B.7"
    issues = []
    for c in icds:
        for group in _note_groups(view, book, c.code, "code_first"):
            underlying = [o for o in icds if o.code != c.code and _matches_any(o.code, group.refs)]
            manifestation = _is_manifestation(group, titles.get(c.code, ""))
            first = bool(mentioned) and c is mentioned[0]
            after = [o.code for o in underlying if not o.suggested and o.order > c.order]
            lead = f'"Code first {_short(group.text, 70)}"'
            if first and (manifestation or after):
                msg = f"{c.code} is listed first but its note says {lead}: list "
                msg += f"{', '.join(after)} before it." if after else "the underlying condition first."
                severity = ERROR if manifestation or not group.conditional else WARNING
                issues.append(Issue(severity, "code_first", (c.code, *after), msg, source))
            elif after:
                msg = f"{c.code} has the note {lead}: list {', '.join(after)} before {c.code}."
                issues.append(Issue(WARNING, "code_first", (c.code, *after), msg, source))
            elif manifestation and not underlying and group.refs:
                msg = (
                    f"{_label(c)} describes a manifestation and the case names none of the "
                    f"underlying conditions its note lists ({_some(group.refs, 6)}); code the "
                    f"documented underlying condition and list it first."
                )
                issues.append(Issue(_soften(WARNING, c), "code_first", (c.code,), msg, source))
    return issues


def check_use_additional(view: _CaseView, book: Book) -> list[Issue]:
    """'Use additional code' reminders written at the code's own category or below, naming the
    codes the note lists when the case has none of them (notes 'if applicable' stay quiet)."""
    icds = view.of(ICD10CM)
    issues = []
    for c in icds:
        if c.suggested:
            continue
        for group in _note_groups(view, book, c.code, "use_additional"):
            if group.general or group.conditional or not group.refs:
                continue
            if any(_matches_any(o.code, group.refs) for o in icds):
                continue
            msg = (
                f'{c.code}: the note at {group.at} says "Use additional {_short(group.text, 110)}" '
                f"and the case has none of {_some(group.refs, 6)}; add the one that applies if "
                f"documented."
            )
            codes = (c.code, *group.refs[:6])
            issues.append(Issue(INFO, "use_additional", codes, msg, f"{GUIDELINES}, I.A.13"))
    return issues
