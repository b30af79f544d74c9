"""How many units for a drug dose: the HCPCS descriptor's dose unit against the dose the mail
gives (J1745 is per 10 mg, so 400 mg is 40 units), then the MUE when a table is loaded."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Protocol

from consultant.analysis import prefilter
from consultant.analysis.findings import DirectAnswer
from consultant.analysis.questions.common import places
from consultant.analysis.questions.rules import DATA
from consultant.codes.mention import HCPCS, Mention
from consultant.kb.records import CodeEntry, Mue

_UNIT = r"(mg|mcg|micrograms?|g|gm|units?|ml|mL|cc|iu)"
DESCRIPTOR_DOSE = re.compile(rf"(?:per|up\s+to)?\s*(\d+(?:\.\d+)?)\s*{_UNIT}\b", re.IGNORECASE)
CASE_DOSE = re.compile(rf"(?<![\w.])(\d+(?:\.\d+)?)\s*{_UNIT}\b(?!\s*/)", re.IGNORECASE)
EACH_BOTH = re.compile(r"\beach\s+(\w+)[^\n]{0,40}\b(?:both|bilat\w*|two|2)\b", re.IGNORECASE)
_SAME = {"mg": "mg", "mcg": "mcg", "microgram": "mcg", "micrograms": "mcg", "g": "g", "gm": "g",
         "unit": "unit", "units": "unit", "ml": "ml", "cc": "ml", "iu": "unit"}
SOURCE = ("HCPCS Level II descriptor dose (CMS HCPCS file); units = dose given / dose per unit, "
          "rounded up (CMS Claims Processing Manual ch. 17 sec. 70, paraphrased)")


class UnitsBook(Protocol):
    def entry(self, system: str, code: str, on: date) -> CodeEntry | None: ...
    def mue(self, code: str, on: date) -> Mue | None: ...


def descriptor_dose(title: str) -> tuple[float, str] | None:
    """The dose one unit of the code stands for ('..., 10 mg' -> (10.0, 'mg'))."""
    hits = list(DESCRIPTOR_DOSE.finditer(title))
    if not hits:
        return None
    h = hits[-1]
    return float(h.group(1)), _SAME[h.group(2).lower()]


def case_dose(line: str, code_at: int) -> tuple[float, str] | None:
    """The dose written on the code's line before the code (the first that is not a rate like
    mg/kg), doubled when the line says 'each X ... both'."""
    before = line[:code_at] if code_at > 0 else line
    hit = next(iter(CASE_DOSE.finditer(before)), None) or next(iter(CASE_DOSE.finditer(line)), None)
    if hit is None:
        return None
    dose = float(hit.group(1))
    if EACH_BOTH.search(line):
        dose *= 2
    return dose, _SAME[hit.group(2).lower()]


_NOT_DRUG = {"injection", "infusion", "excludes", "biosimilar", "not", "otherwise", "specified",
             "sodium", "phosphate", "acetonide", "hydrochloride", "per", "oral", "inhalation"}


@lru_cache(maxsize=1)
def brands() -> dict[str, str]:
    """Brand name -> generic name (data/questions/drug_names.toml)."""
    with open(DATA / "drug_names.toml", "rb") as f:
        return {str(k): str(v) for k, v in tomllib.load(f)["brands"].items()}


def drug_names(title: str) -> list[str]:
    """The drug's generic name (first word of the descriptor that names a drug) and the brand
    names written for it, as regular-expression alternatives."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z-]{4,}", title) if w.lower() not in _NOT_DRUG]
    if not words:
        return []
    generic = words[0].lower()
    return [re.escape(words[0])] + [re.escape(b) for b, g in brands().items() if generic.startswith(g)]


def drug_dose(text: str, title: str) -> tuple[float, str] | None:
    """The dose written after the drug's name somewhere in the mail ('dexamethasone 12 mg IV'),
    for a code line that carries no dose ('J1100 x12')."""
    names = drug_names(title)
    if not names:
        return None
    hit = re.search(rf"\b(?:{'|'.join(names)})\w*\b[^\n]{{0,30}}?{CASE_DOSE.pattern}", text, re.IGNORECASE)
    if hit is None:
        return None
    return float(hit.group(1)), _SAME[hit.group(2).lower()]


ORAL = re.compile(r"\b(?:PO|p\.o\.|oral(?:ly)?|by\s+mouth|tablets?|tabs?|elixir|oral\s+solution)\b",
                  re.IGNORECASE)
INJECTABLE = re.compile(r"\binjection\b|\binj\b|\binfusion\b", re.IGNORECASE)


def route_answers(text: str, mentions: Sequence[Mention], book: UnitsBook, on: date) -> tuple[DirectAnswer, ...]:
    """A drug code for an injection reported for a dose the mail says was given by mouth."""
    out = []
    seen: set[str] = set()
    for p in places(text, [m for m in mentions if m.system == HCPCS]):
        m = p.mention
        entry = book.entry(HCPCS, m.code, on)
        if m.code in seen or entry is None or not INJECTABLE.search(entry.title):
            continue
        names = drug_names(entry.title)
        said = [p.line]
        if names:
            near = re.compile(rf"[^\n]{{0,40}}\b(?:{'|'.join(names)})\w*[^\n]{{0,40}}", re.IGNORECASE)
            said += [h.group(0) for h in prefilter.finditer(near, text)]
        if any(ORAL.search(x) for x in said):
            seen.add(m.code)
            out.append(DirectAnswer(
                "units", f"is {m.code} right for this dose?",
                f"Do not report {m.code} for a dose given by mouth: {m.code} describes the drug given "
                f"by injection. An oral dose is not billed with the injectable drug code (a drug "
                f"the patient takes by mouth is usually not separately payable in the office).",
                "HCPCS Level II descriptors (route of administration); CMS Benefit Policy Manual "
                "ch. 15 sec. 50.2 (self-administered drugs), paraphrased", (m.code,)))
    return tuple(out)


def _num(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:g}"


def units_answers(
    text: str, mentions: Sequence[Mention], book: UnitsBook, on: date, mue_loaded: bool
) -> tuple[DirectAnswer, ...]:
    out = []
    seen: set[str] = set()
    for p in places(text, [m for m in mentions if m.system == HCPCS]):
        m = p.mention
        if m.code in seen:
            continue
        dose = case_dose(p.line, m.start - p.line_start)
        entry = book.entry(HCPCS, m.code, on)
        if dose is None and entry is not None:
            dose = drug_dose(text, entry.title)
        if dose is None:
            continue
        seen.add(m.code)
        per = descriptor_dose(entry.title) if entry is not None else None
        if entry is None and hasattr(book, "history"):
            successors = [e for e in same_drug_codes(m.code, book, on)  # type: ignore[arg-type]
                          if descriptor_dose(e.title) is not None]
            if successors:
                succ = successors[0]
                unit = descriptor_dose(succ.title)
                assert unit is not None
                if unit[1] == dose[1]:
                    n = math.ceil(dose[0] / unit[0] - 1e-9)
                    out.append(DirectAnswer(
                        "units", f"how many units of {m.code}?",
                        f"{m.code} is not valid on {on.isoformat()}. The same drug is {succ.code} "
                        f"({_num(unit[0])} {unit[1]} per unit): {succ.code} x {n} units for "
                        f"{_num(dose[0])} {dose[1]}.",
                        SOURCE + f"; descriptor from {succ.dataset}", (m.code, succ.code)))
                    continue
        if entry is None or per is None:
            out.append(DirectAnswer(
                "units", f"how many units of {m.code}?",
                f"Cannot tell, because the knowledge base has no descriptor dose for {m.code} on "
                f"{on.isoformat()} (it may be deleted or not loaded); units are the dose given "
                f"divided by the dose in the code's descriptor.",
                SOURCE, (m.code,), settled=False,
            ))
            continue
        if per[1] != dose[1]:
            out.append(DirectAnswer(
                "units", f"how many units of {m.code}?",
                f"Cannot tell, because {m.code} is per {_num(per[0])} {per[1]} and the dose written "
                f"is in {dose[1]}; convert the dose to {per[1]} first.",
                SOURCE, (m.code,), settled=False,
            ))
            continue
        units = math.ceil(dose[0] / per[0] - 1e-9)
        wrote = f" (not {m.units})" if m.units is not None and m.units != units else ""
        answer = (f"{m.code} x {units} units{wrote}: {_num(dose[0])} {dose[1]} given at "
                  f"{_num(per[0])} {per[1]} per unit.")
        mue = book.mue(m.code, on)
        if mue is not None:
            answer += f" The MUE allows {mue.value} (adjudication indicator {mue.adjudication}, {mue.dataset})."
        elif not mue_loaded:
            answer += " MUE not checked: no MUE table is loaded."
        out.append(DirectAnswer("units", f"how many units of {m.code}?", answer,
                                SOURCE + f"; descriptor from {entry.dataset}", (m.code,)))
    return tuple(out) + waste_answer(text, [a.codes[0] for a in out if a.settled])


MEDICARE = re.compile(r"\bmedicare\b|\bpart\s+b\b", re.IGNORECASE)
WASTE_SAID = re.compile(r"\bJ[WZ]\b|\bwast\w*|\bdiscard\w*", re.IGNORECASE)
WASTE_SOURCE = ("CMS Medicare Claims Processing Manual ch. 17 sec. 40 (discarded drugs and "
                "biologicals: JW for the amount discarded, JZ when none is, on single-dose "
                "containers; JZ required since July 2023), paraphrased")


def waste_answer(text: str, drugs: Sequence[str]) -> tuple[DirectAnswer, ...]:
    """For Medicare, drugs from single-dose containers carry JW (the discarded amount, its own
    line) or JZ (nothing discarded); said once when the mail counts drug units for Medicare
    and does not speak of waste."""
    if not drugs or not prefilter.search(MEDICARE, text) or prefilter.search(WASTE_SAID, text):
        return ()
    codes = ", ".join(dict.fromkeys(drugs))
    return (DirectAnswer(
        "units", "JW or JZ on the drug lines?",
        f"For Medicare, each drug from a single-dose vial or package ({codes}, if so) takes "
        "modifier JZ when nothing was discarded, or JW on a separate line for the units "
        "discarded; drugs from multi-dose vials take neither.",
        WASTE_SOURCE, tuple(dict.fromkeys(drugs)),
    ),)


class HistoryBook(UnitsBook, Protocol):
    def history(self, system: str, code: str) -> tuple[CodeEntry, ...]: ...


def same_drug_codes(code: str, book: HistoryBook, on: date, reach: int = 8) -> tuple[CodeEntry, ...]:
    """Codes near a deleted drug code (HCPCS drug codes run in name order) that name the same
    drug and are valid on the date: where its replacement usually is ('J2505' -> 'J2506')."""
    past = book.history(HCPCS, code)
    if not past or not code[1:].isdigit():
        return ()
    names = drug_names(past[-1].title)
    if not names:
        return ()
    name = re.compile(rf"\b(?:{'|'.join(names)})", re.IGNORECASE)
    number = int(code[1:])
    out = []
    for n in range(max(0, number - reach), number + reach + 1):
        other = f"{code[0]}{n:04d}"
        if other == code:
            continue
        entry = book.entry(HCPCS, other, on)
        if entry is not None and name.search(entry.title):
            out.append(entry)
    return tuple(out)


MUE_ASKED = re.compile(r"\bMUEs?\b|\bmedically\s+unlikely\b|\bunits?\s+limit|\bmax(?:imum)?\s+units?", re.IGNORECASE)
MUE_SOURCE = "CMS NCCI Medically Unlikely Edits (MUE) for practitioner services; MAI 1 line edit, 2 policy, 3 date of service"


def mue_answers(
    text: str, mentions: Sequence[Mention], book: UnitsBook, on: date, mue_loaded: bool
) -> tuple[DirectAnswer, ...]:
    """'MUE hit on 29881': the MUE value and its adjudication indicator, or that no table is loaded."""
    if not prefilter.search(MUE_ASKED, text):
        return ()
    codes = list(dict.fromkeys(m.code for m in mentions if m.system in ("CPT", "HCPCS")))[:6]
    if not codes:
        return ()
    out = []
    for code in codes:
        mue = book.mue(code, on)
        if mue is not None and mue.value is not None:
            kind = {1: "per claim line (MAI 1)", 2: "per day, a policy limit (MAI 2: not bypassed by modifiers)",
                    3: "per day, by clinical reasoning (MAI 3: appealable with documentation)"}
            how = kind.get(mue.adjudication, f"(MAI {mue.adjudication})")
            plural = "s" if mue.value != 1 else ""
            out.append(DirectAnswer(
                "units", f"MUE for {code}?",
                f"{code}: the MUE allows {mue.value} unit{plural} {how} in {mue.dataset}.",
                MUE_SOURCE, (code,)))
    if not out:
        why = ("no MUE table covering the date is loaded (`consultant kb update` loads it)"
               if not mue_loaded else "the MUE table holds no value for these codes")
        out.append(DirectAnswer(
            "units", "MUE?", f"Cannot tell the MUE of {', '.join(codes)}, because {why}.",
            MUE_SOURCE, tuple(codes), settled=False))
    return tuple(out)
