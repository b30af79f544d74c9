"""What the procedure review found, as plain data: the lines a coder should bill, the codes of
the message it corrects and why, and the questions for the physician."""

from __future__ import annotations

from dataclasses import dataclass

from consultant.analysis.findings import DocumentationGap

# Kinds of correction.
REPLACED = "replaced"      # another code (or codes) describes what was done
INCLUDED = "included"      # part of another service of the same session: never reported apart
DELETED = "deleted"        # not valid on the date of service; successors named
UNITS = "units"            # the code is right, its units are not
MODIFIERS = "modifiers"    # the code is right, its modifiers are not
PRIOR = "prior"            # a service of an earlier date the case refers to: not billed again now


@dataclass(frozen=True)
class Evidence:
    """One fact read from the note, with the words that show it."""

    fact: str
    value: str
    phrase: str


@dataclass(frozen=True)
class ProcedureLine:
    """One line to bill: code, units, modifiers, and why the note supports it."""

    code: str
    units: int
    modifiers: tuple[str, ...]
    family: str
    why: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Correction:
    """A code (or codes) of the message that should not go out as written, and what to use."""

    kind: str                      # replaced | included | deleted | units | modifiers
    codes: tuple[str, ...]         # as the message named them
    use: tuple[str, ...]           # what to bill instead ('' units/modifiers shown in `why`)
    why: str
    source: str
    family: str


@dataclass(frozen=True)
class ProcedureReview:
    """The procedure part of a reply for one case."""

    lines: tuple[ProcedureLine, ...] = ()
    corrections: tuple[Correction, ...] = ()
    gaps: tuple[DocumentationGap, ...] = ()
    unchecked: tuple[str, ...] = ()     # what could not be checked (no fee-schedule data ...)
    families: tuple[str, ...] = ()      # families that applied

    def replaced_codes(self) -> frozenset[str]:
        """Codes of the message a coder must not bill as written."""
        return frozenset(
            c for k in self.corrections if k.kind in (REPLACED, INCLUDED, DELETED, PRIOR) for c in k.codes
        )
