"""Facts -> codes, for the two kinds of family that are pure data.

* choice: rules in data order; within a rule group the first rule whose facts all hold wins.
  When the first rule the facts do not contradict needs a fact the note does not state (and
  the fact has no default), the group picks nothing and asks the physician instead.
* measured: every size in the note is an item (a wound, a laceration) with its own facts;
  items of one group (same depth, same site group and complexity) are summed, and the sum
  picks a band code or a base code plus add-on units.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from consultant.analysis.findings import DocumentationGap
from consultant.analysis.procedures.families import FactSpec, Family, Group, Rule
from consultant.analysis.procedures.model import Evidence, ProcedureLine
from consultant.analysis.procedures.reading import (
    band_of,
    find_positive,
    measure_value,
    patient_part,
    phrase_at,
    read_fact,
    read_measure,
    read_side,
)

Facts = Mapping[str, tuple[Evidence, ...]]
SIDE_MODIFIERS = {"right": ("RT",), "left": ("LT",), "bilateral": ("50",)}


@dataclass(frozen=True)
class Choice:
    lines: tuple[ProcedureLine, ...]
    gaps: tuple[DocumentationGap, ...]
    facts: Facts


def read_facts(
    family: Family, text: str, context: Facts | None = None, named: Sequence[str] = ()
) -> dict[str, tuple[Evidence, ...]]:
    """Every fact and measure band of the family the text states. A fact the note does not
    state may follow from the codes the sender chose ('from_codes': an open colectomy code says
    the resection was open) when they agree; else its default, marked as assumed."""
    facts: dict[str, tuple[Evidence, ...]] = dict(context or {})
    for spec in family.facts:
        found = read_fact(spec, text)
        if not found and spec.from_codes:
            implied = {v for v, codes in spec.from_codes if set(codes) & set(named)}
            if len(implied) == 1:
                value = implied.pop()
                shown = ", ".join(c for v, codes in spec.from_codes if v == value for c in codes if c in named)
                found = (Evidence(spec.name, value, f"(not stated in the note; implied by the codes chosen: {shown})"),)
        if not found and spec.default is not None:
            found = (Evidence(spec.name, spec.default, "(not stated: the usual case assumed)"),)
        if found:
            facts[spec.name] = found
    for m in family.measures:
        got = read_measure(m, text)
        if got is not None:
            band = band_of(m, got.value)
            if band is not None:
                facts[m.name] = (Evidence(m.name, band, f"{got.phrase} (= {got.value:g})"),)
    if family.laterality:
        side = read_side(text)
        if side is not None:
            facts["side"] = (side,)
    return facts


def _holds(when: tuple[tuple[str, tuple[str, ...]], ...], facts: Facts) -> tuple[bool, list[str]]:
    """(no contradiction, facts missing)."""
    missing = []
    for name, allowed in when:
        values = {e.value for e in facts.get(name, ())}
        if not values:
            if "none" in allowed:
                continue
            missing.append(name)
        elif not values & set(allowed):
            return False, []
    return True, missing


def _question(family: Family, name: str) -> str | None:
    for spec in family.facts:
        if spec.name == name:
            return spec.ask
    for m in family.measures:
        if m.name == name:
            return m.ask
    return None


def own_part(family: Family, text: str) -> str:
    """The note without the parts about another procedure ('Colonoscopy with biopsy; EGD
    normal.' read for the EGD loses the colonoscopy clause): from a word of `others` to the next
    word of the family's own trigger, blanked."""
    if not family.others:
        return text
    out = text
    at = 0
    while True:
        stop = min((m for p in family.others if (m := p.search(out, at))), key=lambda m: m.start(), default=None)
        if stop is None:
            return out
        back = min((m for p in family.trigger if (m := p.search(out, stop.end()))), key=lambda m: m.start(), default=None)
        end = back.start() if back else len(out)
        out = out[: stop.start()] + " " * (end - stop.start()) + out[end:]
        at = end


def choose(family: Family, text: str, context: Facts | None = None, named: Sequence[str] = ()) -> Choice:
    """The codes the note supports in a `choice` family, or the questions that decide them."""
    facts = read_facts(family, own_part(family, text), context, named)
    groups: dict[str, list[Rule]] = {}
    for r in family.rules:
        groups.setdefault(r.group, []).append(r)
    lines: list[ProcedureLine] = []
    gaps: list[DocumentationGap] = []
    for rules in groups.values():
        for rule in rules:
            ok, missing = _holds(rule.when, facts)
            if not ok:
                continue
            if missing:
                for name in missing:
                    q = _question(family, name)
                    if q:
                        gaps.append(DocumentationGap(family.title, q))
                break
            lines.append(_line(family, rule, facts))
            break
    return Choice(tuple(lines), tuple(dict.fromkeys(gaps)), facts)


def _line(family: Family, rule: Rule, facts: Facts) -> ProcedureLine:
    evidence = tuple(e for name, _ in rule.when for e in facts.get(name, ())) + tuple(
        e for e in facts.get("side", ()) if family.laterality and e.value == "mixed"
    )
    modifiers = list(rule.modifiers)
    if family.laterality and facts.get("side"):
        modifiers += SIDE_MODIFIERS.get(facts["side"][0].value, ())
    for mr in family.modifier_rules:
        if rule.code in mr.codes:
            ok, missing = _holds(mr.when, facts)
            if ok and not missing and mr.add not in modifiers:
                modifiers.append(mr.add)
    return ProcedureLine(
        code=rule.code,
        units=1,
        modifiers=tuple(modifiers),
        family=family.id,
        why=rule.why,
        evidence=evidence,
    )


# -- measured families -----------------------------------------------------------------------
_ITEM_HEAD = re.compile(r"(?m)^[ \t]*(?:\d{1,2}[.)]|[-*•])\s")


def split_items(text: str) -> tuple[tuple[int, int], ...]:
    """Numbered or bulleted items when the note has them, else the whole text."""
    heads = [m.start() for m in _ITEM_HEAD.finditer(text)]
    if len(heads) < 2:
        return ((0, len(text)),)
    return tuple(zip(heads, [*heads[1:], len(text)]))


def _nearest_before(spec: FactSpec, window: str) -> Evidence | None:
    best: tuple[int, Evidence] | None = None
    for value, patterns in spec.values:
        for p in patterns:
            for m in p.finditer(window):
                if best is None or m.start() > best[0]:
                    best = (m.start(), Evidence(spec.name, value, phrase_at(window, m.start(), m.end())))
    return best[1] if best else None


def _item_fact(spec: FactSpec, before: str, after: str, item: str, whole: str) -> Evidence | None:
    if spec.scope == "before":
        got = _nearest_before(spec, before)
        if got is not None:
            return got
        order: tuple[str, ...] = (after, item, whole)
    else:
        order = (after, before, item, whole)
    for text in order:
        found = read_fact(spec, text)
        if found:
            return found[0]
    if spec.default is not None:
        return Evidence(spec.name, spec.default, "(not stated: the usual case assumed)")
    return None


@dataclass(frozen=True)
class Item:
    value: float
    facts: dict[str, tuple[Evidence, ...]]
    phrase: str


def read_items(family: Family, text: str) -> tuple[Item, ...]:
    """Each size the note states, with the facts of its own item."""
    if not family.measures:
        return ()
    measure = family.measures[0]
    items: list[Item] = []
    for a, b in split_items(text):
        item = text[a:b]
        item = patient_part(item)
        spans: list[tuple[int, int, re.Match[str]]] = []
        for p in measure.patterns:
            for m in p.finditer(item):
                if not any(s < m.end() and m.start() < e for s, e, _ in spans):
                    spans.append((m.start(), m.end(), m))
        spans.sort(key=lambda t: t[0])
        for i, (start, end, m) in enumerate(spans):
            value = measure_value(measure, m)
            if value is None:
                continue
            before = item[spans[i - 1][1] if i else 0 : start]
            after = item[end : spans[i + 1][0] if i + 1 < len(spans) else len(item)]
            facts: dict[str, tuple[Evidence, ...]] = {}
            for spec in family.facts:
                got = _item_fact(spec, before, after, item, text)
                if got is not None:
                    facts[spec.name] = (got,)
            items.append(Item(value, facts, phrase_at(item, start, end)))
    return tuple(items)


def _group_codes(group: Group, total: float) -> list[tuple[str, int]]:
    if group.bands:
        for limit, code in group.bands:
            if total <= limit:
                return [(code, 1)]
        last_limit, last_code = group.bands[-1]
        if group.addon and group.addon_step:
            return [(last_code, 1), (group.addon, math.ceil((total - last_limit) / group.addon_step))]
        return [(last_code, 1)]
    if group.base is None:
        return []
    out = [(group.base, 1)]
    if group.addon and group.addon_step and total > group.base_upto:
        out.append((group.addon, math.ceil((total - group.base_upto) / group.addon_step - 1e-9)))
    return out


def measure_lines(family: Family, text: str) -> Choice:
    """Items summed by group -> codes with units, most complex group first."""
    items = read_items(family, text)
    totals: dict[str, tuple[Group, float, list[Item]]] = {}
    gaps: list[DocumentationGap] = []
    for item in items:
        for group in family.groups:
            ok, missing = _holds(group.when, item.facts)
            if ok and not missing:
                g, total, members = totals.get(group.name, (group, 0.0, []))
                totals[group.name] = (g, total + item.value, [*members, item])
                break
        else:
            for spec in family.facts:
                if spec.name not in item.facts and spec.ask:
                    gaps.append(DocumentationGap(item.phrase, spec.ask))
    lines: list[ProcedureLine] = []
    for group, total, members in sorted(totals.values(), key=lambda t: t[0].rank):
        unit = family.table("unit") or ""
        batches = [[it] for it in members] if group.each else [members]
        for batch in batches:
            evidence = tuple(e for it in batch for es in it.facts.values() for e in es)
            size = round(sum(it.value for it in batch), 2)
            sizes = " + ".join(f"{it.value:g}" for it in batch)
            why = f"{group.name}: {sizes}" + (f" = {size:g}" if len(batch) > 1 else "") + f" {unit}".rstrip()
            for code, units in _group_codes(group, size):
                if units > 0:
                    lines.append(ProcedureLine(code, units, (), family.id, why, evidence))
        _ = total
    return Choice(tuple(lines), tuple(dict.fromkeys(gaps)), {})


def triggered(family: Family, text: str) -> bool:
    """Whether the note's own words (not negated, not history) describe the family."""
    m = find_positive(family.trigger, text)
    while m is not None:
        if not _historical(text, m.start()):
            return True
        rest = text[m.end() :]
        nxt = find_positive(family.trigger, rest)
        if nxt is None:
            return False
        text, m = rest, nxt
    return False


_HISTORY = re.compile(
    r"\b(?:had|s/p|status post|prior|previous(?:ly)?|history of|hx of|h/o|remote)\b[^.;\n]{0,60}$",
    re.IGNORECASE,
)
# Words that bring a sentence back to today's service ('hx of X, presents for colonoscopy').
_NOW = re.compile(r"\b(?:now|today|presents?|here for|comes? in|came in|scheduled|undergo\w*|for (?:a |an |the )?(?:screening|elective))\b", re.IGNORECASE)


def _historical(text: str, start: int) -> bool:
    window = text[max(0, start - 70) : start]
    found = _HISTORY.search(window)
    return found is not None and not _NOW.search(window[found.start() :])
