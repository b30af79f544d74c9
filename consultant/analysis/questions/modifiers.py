"""Which modifier: 25 vs 57 by global days, 24 in the global period, 78/79/58, 76/77, 26/TC,
50 vs RT/LT, 59 vs X{EPSU} - from the case's words, by the rules in data/questions/modifiers.toml.

An answer is given when the mail names the modifier or one of its rivals, or asks which
modifier, and the words of the case support the situation; when both 25 and 57 fit the words,
the procedure's global days decide (fee schedule), and without them the answer says it cannot
tell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Protocol

from consultant.analysis import prefilter
from consultant.analysis.findings import DirectAnswer
from consultant.analysis.questions.common import PROCEDURES, is_em, nearest_code
from consultant.analysis.questions.rules import ModifierRule, modifier_rules
from consultant.codes.mention import MODIFIER, Mention
from consultant.kb.records import PaymentIndicators

ASKS_MODIFIER = re.compile(
    r"\bwhich\s+mod\w*|\bwhat\s+mod\w*|\?|"
    r"\bwho'?s\s+right|\bdoes\s+a\s+new\s+global",
    re.IGNORECASE,
)
EXPLICIT = re.compile(r"\b(?:which|what)\s+mod\w*|\bneed\s+(?:a\s+)?mod\w*|\bmod(?:ifier)?s?\s*\?",
                      re.IGNORECASE)
# A modifier written as one ('mod 25', '-59'), and two offered as a choice ('25 or 57').
_WRITTEN_MODIFIER = re.compile(r"\b(?:mod(?:ifier)?s?|-)\s*(\d{2}|[A-Z]{2})\b")
_MODIFIER_CHOICE = re.compile(r"\b(\d{2})\s+(?:or|vs\.?|versus)\s+(\d{2})\b")
_VISIT_WORDS = re.compile(r"\bE/?M\b|\bvisit\b|\bconsult\w*|\bH&P\b", re.IGNORECASE)
_EM_MODIFIERS = {"25", "57", "24"}
_RADIOLOGY = ("7",)


class PaymentBook(Protocol):
    def payment(self, code: str, on: date, modifier: str = "") -> PaymentIndicators | None: ...


def _named(text: str, mentions: Sequence[Mention]) -> set[str]:
    """Modifiers the mail names (attached to a code, or written as modifiers)."""
    found = {m.code for m in mentions if m.system == MODIFIER}
    for m in mentions:
        found.update(m.modifiers)
    for hit in prefilter.finditer(_WRITTEN_MODIFIER, text):
        found.add(hit.group(1))
    for hit in prefilter.finditer(_MODIFIER_CHOICE, text):
        found.update(hit.groups())
    return found


def _target(rule: ModifierRule, mentions: Sequence[Mention], start: int, end: int) -> Mention | None:
    if rule.code in _EM_MODIFIERS:
        ems = [m for m in mentions if is_em(m.code)]
        return ems[0] if ems else None
    if rule.code in ("26", "TC"):
        return nearest_code(mentions, start, end, prefix="7", reach=600)
    # The procedure the situation words describe: written after them (the code that closes the
    # scenario) rather than before; distance from where the situation words end.
    best: tuple[int, Mention] | None = None
    for m in mentions:
        if m.system not in PROCEDURES or is_em(m.code) or m.code == "99024":
            continue
        dist = m.start - end if m.start >= end else 3 * (end - m.end)
        if dist <= 240 and (best is None or dist < best[0]):
            best = (dist, m)
    return best[1] if best else None


def _global_days(mentions: Sequence[Mention], book: PaymentBook | None, on: date) -> dict[str, str]:
    out = {}
    for m in mentions:
        if m.system in PROCEDURES and not is_em(m.code) and book is not None:
            p = book.payment(m.code, on)
            if p is not None:
                out[m.code] = p.global_days
    return out


def modifier_answers(
    text: str, mentions: Sequence[Mention], book: PaymentBook | None, on: date
) -> tuple[DirectAnswer, ...]:
    named = _named(text, mentions)
    asks = bool(prefilter.search(ASKS_MODIFIER, text))
    out: list[DirectAnswer] = []
    fired: dict[str, tuple[ModifierRule, list[re.Match[str]]]] = {}
    visit = any(is_em(m.code) for m in mentions) or prefilter.search(_VISIT_WORDS, text)
    for rule in modifier_rules():
        if rule.code in _EM_MODIFIERS and not visit:
            continue  # an E/M modifier without a visit would be dropped below: its words are not read
        named_it = rule.code in named or any(r in named for r in rule.rivals)
        relevant = named_it or (asks and not rule.named_only)
        if not relevant:
            continue  # the situation's words are read only for a rule that applies
        hits = list(prefilter.finditer(rule.situation, text))
        if hits:
            fired[rule.code] = (rule, hits)
    if "25" in fired and "57" in fired:
        days = _global_days(mentions, book, on)
        if any(d == "090" for d in days.values()):
            fired.pop("25")
        elif days and all(d in ("000", "010") for d in days.values()):
            fired.pop("57")
        else:
            out.append(DirectAnswer(
                "modifier", "25 or 57?",
                "Cannot tell, because the choice rests on the procedure's global days (57 for "
                "the decision for a major, 90-day-global surgery; 25 for a significant, "
                "separately identifiable E/M with a minor, 0- or 10-day-global procedure) and no "
                "fee-schedule release is loaded to give them.",
                "CMS Claims Processing Manual ch. 12 sec. 40.2; NCCI Policy Manual ch. XI",
                settled=False,
            ))
            fired.pop("25")
            fired.pop("57")
    if not fired and not out and prefilter.search(EXPLICIT, text):
        out.append(DirectAnswer(
            "modifier", "which modifier?",
            "Cannot tell from the words, because they do not say what sets the service apart: "
            "an E/M with a minor procedure (25) or the decision for major surgery (57); a visit "
            "for an unrelated problem in a global period (24); a return to the OR for a "
            "complication (78), an unrelated procedure (79) or a planned stage (58); a repeat the "
            "same day (76/77); a separate site, session or practitioner (XS/XE/XP, or 59); a "
            "side (RT/LT/50); the reading only (26) or the equipment only (TC).",
            "CPT Appendix A modifiers; NCCI Policy Manual ch. I; CMS Claims Processing Manual "
            "ch. 12 (paraphrased)", settled=False,
        ))
    for code, (rule, hits) in fired.items():
        targets: list[str] = []
        for h in hits:
            t = _target(rule, mentions, h.start(), h.end())
            if t is not None and t.code not in targets:
                targets.append(t.code)
        on_codes = ", ".join(f"{t}-{code}" for t in targets)
        lead = f"Modifier {code}" + (f" on {on_codes}" if on_codes else "") + ": the case's words fit it."
        out.append(DirectAnswer(
            "modifier", f"which modifier ({code})?", f"{lead} {rule.rule}", rule.source,
            tuple(targets),
        ))
    return tuple(out)
