"""The coding rules the answers rest on, read once from `data/questions/` (our own words, each
rule with its source)."""

from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[3] / "data" / "questions"


@dataclass(frozen=True)
class ModifierRule:
    code: str
    situation: re.Pattern[str]     # the case's words that support the modifier
    rule: str                      # the sentence the reply gives
    rivals: tuple[str, ...]
    source: str
    global_kind: str = ""          # 'major' / 'minor' when the choice depends on global days
    named_only: bool = False       # answer only when the mail names it or a rival


@dataclass(frozen=True)
class DeletedCode:
    code: str
    system: str
    ended: date
    replaced_by: str
    note: str
    source: str


@lru_cache(maxsize=1)
def modifier_rules() -> tuple[ModifierRule, ...]:
    with open(DATA / "modifiers.toml", "rb") as f:
        raw = tomllib.load(f)
    return tuple(
        ModifierRule(
            code=str(m["code"]),
            situation=re.compile(m["situation"], re.IGNORECASE),
            rule=m["rule"],
            rivals=tuple(m.get("rivals", ())),
            source=m["source"],
            global_kind=m.get("global_kind", ""),
            named_only=bool(m.get("named_only", False)),
        )
        for m in raw["modifier"]
    )


@lru_cache(maxsize=1)
def deleted_codes() -> dict[str, DeletedCode]:
    with open(DATA / "deleted_codes.csv", encoding="utf-8", newline="") as f:
        return {
            r["code"]: DeletedCode(r["code"], r["system"], date.fromisoformat(r["ended"]),
                                   r["replaced_by"], r["note"], r["source"])
            for r in csv.DictReader(f)
        }
