"""Procedure families as data: one TOML file per family under data/procedures/.

A family names its member codes, the facts that pick one (each value with the words that are
evidence for it), measures read as numbers (sizes, lengths, areas, minutes) and the bands they
fall in, the rules that turn facts into codes, the pairs one code replaces, what is included
and never reported apart, and deleted codes with their successors. The engine never names a
code or a clinical word: adding a family is a data file and its tests. Each file is validated
when it is loaded, so a bad file stops the program with the file and key to fix.

    >>> fams = load_families(DATA_DIR)                                   # doctest: +SKIP
    >>> fams["hernia_anterior"].rules[0].code                            # doctest: +SKIP
    '49591'
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from consultant.errors import ConfigError

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "procedures"
KINDS = ("choice", "measured", "administration", "vaccine", "global", "components")
_RESERVED = {"default", "ask", "multi", "scope", "from_codes"}


@dataclass(frozen=True)
class FactSpec:
    """A fact read from words: its values in priority order, each with its evidence patterns.
    `multi` facts keep every value found (techniques done); others keep the first.
    `scope` is where a measured item looks: 'before' (site words precede the size) or 'after'."""

    name: str
    values: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]
    default: str | None = None
    ask: str | None = None
    multi: bool = False
    scope: str = "after"
    from_codes: tuple[tuple[str, tuple[str, ...]], ...] = ()   # value -> codes that imply it


@dataclass(frozen=True)
class MeasureSpec:
    """A number read from the note ('defect 6 x 4.5 cm'): the largest captured value, in the
    unit of the family, then named by its band (bands: (label, op, limit) in order)."""

    name: str
    patterns: tuple[re.Pattern[str], ...]
    combine: str                                  # max | product | sum | diameter_margins
    bands: tuple[tuple[str, str, float], ...]
    ask: str | None = None
    scale: tuple[tuple[str, float], ...] = ()     # unit word -> factor ('mm' -> 0.1)


@dataclass(frozen=True)
class Rule:
    """Facts -> one code. Rules of one `group` exclude each other (first match wins); each
    group contributes at most one code."""

    code: str
    when: tuple[tuple[str, tuple[str, ...]], ...]
    why: str
    group: str = "main"
    modifiers: tuple[str, ...] = ()
    addon: bool = False      # an add-on: named without support, it reads as 'not separately reportable'


@dataclass(frozen=True)
class ModifierRule:
    add: str
    when: tuple[tuple[str, tuple[str, ...]], ...]
    codes: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Replace:
    """Codes that, named together for one session, are one other code."""

    codes: tuple[str, ...]
    by: tuple[str, ...]
    why: str
    ask: str | None = None


@dataclass(frozen=True)
class Included:
    """A code never reported apart when the family's chosen code is one of `with_codes` (any
    chosen code when empty), unless one of `unless` is billed too."""

    code: str
    why: str
    unless: tuple[str, ...] = ()
    with_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Deleted:
    code: str
    since: date
    successors: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Group:
    """A measured group: items whose facts match are summed; the sum picks a band code, or a
    base code for the first `base_upto` and an add-on per `addon_step` (or part) beyond."""

    name: str
    when: tuple[tuple[str, tuple[str, ...]], ...]
    bands: tuple[tuple[float, str], ...] = ()
    base: str | None = None
    base_upto: float = 0.0
    addon: str | None = None
    addon_step: float = 0.0
    rank: int = 0                   # lower = more complex; listed first
    each: bool = False              # one code per item (lesions), not one for the group's sum


@dataclass(frozen=True)
class Family:
    id: str
    title: str
    kind: str
    source: str
    codes: frozenset[str]
    trigger: tuple[re.Pattern[str], ...]
    laterality: bool
    facts: tuple[FactSpec, ...]
    measures: tuple[MeasureSpec, ...]
    rules: tuple[Rule, ...]
    modifier_rules: tuple[ModifierRule, ...]
    replaces: tuple[Replace, ...]
    included: tuple[Included, ...]
    deleted: tuple[Deleted, ...]
    groups: tuple[Group, ...]
    notes: tuple[tuple[str, str], ...]         # code -> why it is not the code here
    tables: tuple[tuple[str, Any], ...]        # engine-specific tables (drug classes, vaccines)
    path: str
    global_days: int | None = None             # usual global period of the members (CMS PFS), a fallback
    others: tuple[re.Pattern[str], ...] = ()   # words that start another procedure's part of the note

    def table(self, name: str) -> Any:
        return dict(self.tables).get(name, {})

    def note(self, code: str) -> str | None:
        return dict(self.notes).get(code)


def _fail(path: Path, key: str, problem: str) -> ConfigError:
    return ConfigError(f"{path.name}:{key}", f"{problem}; fix the procedure family file {path}")


def _patterns(path: Path, key: str, words: Any) -> tuple[re.Pattern[str], ...]:
    if isinstance(words, str):
        words = [words]
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise _fail(path, key, "expected a list of regular expressions")
    try:
        return tuple(re.compile(w, re.IGNORECASE) for w in words)
    except re.error as e:
        raise _fail(path, key, f"bad regular expression ({e})") from e


def _when(path: Path, key: str, raw: Any, names: set[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise _fail(path, key, "'when' must be a table of fact = value(s)")
    out = []
    for fact, value in raw.items():
        if fact not in names:
            raise _fail(path, key, f"'when' names the unknown fact {fact!r}")
        values = (value,) if isinstance(value, str) else tuple(value)
        out.append((fact, tuple(str(v) for v in values)))
    return tuple(out)


def _codes(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        return (raw,)
    return tuple(str(c) for c in raw or ())


def _fact(path: Path, name: str, raw: dict[str, Any]) -> FactSpec:
    values = tuple(
        (value, _patterns(path, f"facts.{name}.{value}", words))
        for value, words in raw.items()
        if value not in _RESERVED
    )
    if not values:
        raise _fail(path, f"facts.{name}", "a fact needs at least one value with its words")
    default = raw.get("default")
    return FactSpec(
        name=name,
        values=values,
        default=str(default) if default is not None else None,
        ask=raw.get("ask"),
        multi=bool(raw.get("multi", False)),
        scope=str(raw.get("scope", "after")),
        from_codes=tuple((str(v), _codes(c)) for v, c in raw.get("from_codes", {}).items()),
    )


def _measure(path: Path, name: str, raw: dict[str, Any]) -> MeasureSpec:
    bands = []
    for band in raw.get("bands", []):
        if not (isinstance(band, list) and len(band) == 3 and band[1] in ("<", "<=", ">", ">=")):
            raise _fail(path, f"measures.{name}.bands", "each band is [label, '<'|'<='|'>'|'>=', number]")
        bands.append((str(band[0]), str(band[1]), float(band[2])))
    combine = str(raw.get("combine", "max"))
    if combine not in ("max", "product", "sum", "diameter_margins"):
        raise _fail(path, f"measures.{name}.combine", "combine is max, product, sum or diameter_margins")
    return MeasureSpec(
        name=name,
        patterns=_patterns(path, f"measures.{name}.patterns", raw.get("patterns")),
        combine=combine,
        bands=tuple(bands),
        ask=raw.get("ask"),
        scale=tuple((str(k), float(v)) for k, v in raw.get("scale", {}).items()),
    )


def load_family(path: Path) -> Family:
    """One family file, validated."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise _fail(path, "file", f"cannot read it ({e})") from e
    for key in ("id", "title", "kind", "source", "codes"):
        if key not in raw:
            raise _fail(path, key, "missing required key")
    if raw["kind"] not in KINDS:
        raise _fail(path, "kind", f"kind must be one of {', '.join(KINDS)}")
    facts = tuple(_fact(path, n, v) for n, v in raw.get("facts", {}).items())
    measures = tuple(_measure(path, n, v) for n, v in raw.get("measures", {}).items())
    names = {f.name for f in facts} | {m.name for m in measures} | set(raw.get("context_facts", []))
    members = frozenset(str(c) for c in raw["codes"])

    rules = tuple(
        Rule(
            code=str(r["code"]),
            when=_when(path, f"rule {r.get('code')}", r.get("when"), names),
            why=str(r.get("why", "")),
            group=str(r.get("group", "main")),
            modifiers=_codes(r.get("modifiers")),
            addon=bool(r.get("addon", False)),
        )
        for r in raw.get("rule", [])
    )
    for r in rules:
        if r.code not in members:
            raise _fail(path, f"rule {r.code}", "a rule's code must be listed in 'codes'")
    deleted = []
    for d in raw.get("deleted", []):
        try:
            since = date.fromisoformat(str(d["since"]))
        except (KeyError, ValueError) as e:
            raise _fail(path, f"deleted {d.get('code')}", "'since' must be a YYYY-MM-DD date") from e
        deleted.append(Deleted(str(d["code"]), since, _codes(d.get("successors")), str(d.get("why", ""))))
    groups = tuple(
        Group(
            name=str(g.get("name", g.get("base", ""))),
            when=_when(path, f"group {g.get('name')}", g.get("when"), names),
            bands=tuple((float(limit), str(code)) for limit, code in g.get("bands", [])),
            base=g.get("base"),
            base_upto=float(g.get("base_upto", 0)),
            addon=g.get("addon"),
            addon_step=float(g.get("addon_step", 0)),
            rank=int(g.get("rank", 0)),
            each=bool(g.get("each", False)),
        )
        for g in raw.get("group", [])
    )
    return Family(
        id=str(raw["id"]),
        title=str(raw["title"]),
        kind=str(raw["kind"]),
        source=str(raw["source"]),
        codes=members,
        trigger=_patterns(path, "trigger", raw.get("trigger", [])),
        laterality=bool(raw.get("laterality", False)),
        facts=facts,
        measures=measures,
        rules=rules,
        modifier_rules=tuple(
            ModifierRule(
                add=str(m["add"]),
                when=_when(path, f"modifier {m.get('add')}", m.get("when"), names),
                codes=_codes(m.get("codes")),
                why=str(m.get("why", "")),
            )
            for m in raw.get("modifier", [])
        ),
        replaces=tuple(
            Replace(_codes(r["codes"]), _codes(r.get("by")), str(r.get("why", "")), r.get("ask"))
            for r in raw.get("replaces", [])
        ),
        included=tuple(
            Included(str(i["code"]), str(i.get("why", "")), _codes(i.get("unless")), _codes(i.get("with")))
            for i in raw.get("included", [])
        ),
        deleted=tuple(deleted),
        groups=groups,
        notes=tuple((str(k), str(v)) for k, v in raw.get("notes", {}).items()),
        tables=tuple((str(k), v) for k, v in raw.get("tables", {}).items()),
        path=str(path),
        global_days=int(raw["global_days"]) if "global_days" in raw else None,
        others=_patterns(path, "others", raw.get("others", [])),
    )


def load_families(folder: Path = DATA_DIR) -> dict[str, Family]:
    """Every family file of the folder, by id (sorted by file name)."""
    out: dict[str, Family] = {}
    for path in sorted(folder.glob("*.toml")):
        family = load_family(path)
        if family.id in out:
            raise _fail(path, "id", f"family id {family.id!r} is used twice")
        out[family.id] = family
    return out
