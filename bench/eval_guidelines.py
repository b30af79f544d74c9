"""ICD-10-CM items of the coder cases, with and without the guideline rules, in one run.

    .venv/bin/python bench/eval_guidelines.py [--kb var/kb.sqlite] [--case ob-01-gdm] [-v]

Reads `../shared/data/eval/coder-cases/` (never copied). For the cases that turn on ICD-10-CM
guidelines, it scores only the ICD-10-CM items of `expected.json`:

* must-have: the code is in the reply as a code the reply passes (named and valid with no
  error or warning about it) or as a suggestion;
* must-not: the code is in the reply without an error or warning that names it (a violation);
* warnings: the case's regexes over the reply text (all of them, ICD or not, since the
  guideline rules add words to the reply).

The baseline is the same pipeline with `consultant.analysis.guidelines.apply_guidelines`
replaced by the identity, so the difference is what the rules add.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

REPO = Path(__file__).resolve().parents[1]
CASES = REPO.parent / "shared" / "data" / "eval" / "coder-cases"
ICD_CASES = (
    "dm-01-ckd-hf", "dm-02-esrd-admit", "neo-01-mets", "sep-01-shock", "resp-01-copd",
    "resp-02-asthma", "ob-01-gdm", "ob-02-pregestational", "or-01-distal-radius",
    "or-02-7th-char", "gs-01-colectomy", "gs-02-ostomy", "col-01-screen-polyp",
    "col-02-highrisk",
)
FLAGGING = ("error", "warning")


@contextmanager
def rules_off() -> Iterator[None]:
    with mock.patch(
        "consultant.analysis.consult.apply_guidelines", side_effect=lambda f, *a, **k: f
    ):
        yield


def reply_text(outcome: Any) -> str:
    for part in outcome.reply.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_content())
    return ""


def score(case_id: str, expected: dict[str, Any], outcome: Any) -> dict[str, Any]:
    f = outcome.findings
    text = reply_text(outcome)
    # A guideline issue flags its first code (the others are the codes it recommends instead);
    # any other edit flags every code it names.
    flagged = {
        c
        for i in f.issues
        if i.severity in FLAGGING
        for c in (i.codes[:1] if i.kind == "guideline" else i.codes)
    }
    passed = {v.code for v in f.codes if v.status == "valid"} - flagged
    suggested = {s.code for s in f.suggestions if s.status == "current"}
    shown = {v.code for v in f.codes} | {s.code for s in f.suggestions}
    rows: dict[str, Any] = {"must": [], "must_not": [], "warn": []}
    for m in expected["must_have"]:
        if m["type"] == "icd10cm" and m["confidence"] != "low":
            rows["must"].append((m["code"], m["code"] in passed | suggested, m["confidence"]))
    for m in expected["must_not"]:
        if m["type"] == "icd10cm" and m["confidence"] != "low":
            bad = m["code"] in shown and m["code"] not in flagged
            bad = bad or (m["code"] in suggested and m["code"] not in flagged)
            rows["must_not"].append((m["code"], bad, m["confidence"]))
    for w in expected["warnings"]:
        if w["confidence"] != "low":
            ok = re.search(w["regex"], text, re.IGNORECASE) is not None
            rows["warn"].append((w["id"], ok, w["confidence"]))
    return rows


def run(cases: list[str], kb: Path) -> dict[str, dict[str, Any]]:
    from consultant.analysis.suggest import SuggestIndex
    from consultant.kb.store import CodeBook
    from consultant.pipeline import Answer, ConsultSettings, consult

    expected = json.loads((CASES / "expected.json").read_text())
    settings = ConsultSettings(bot_address="consult@caseconsultant.example")
    book = CodeBook.open(kb)
    index = SuggestIndex.load(book)
    out: dict[str, dict[str, Any]] = {}
    try:
        for label, ctx in (("baseline", rules_off), ("guidelines", _nothing)):
            with ctx():
                for cid in cases:
                    raw = (CASES / "cases" / f"{cid}.eml").read_bytes()
                    outcome = consult(
                        raw, book=book, index=index, settings=settings, today=date(2026, 12, 1)
                    )
                    if not isinstance(outcome, Answer):
                        continue
                    out.setdefault(cid, {})[label] = score(cid, expected[cid], outcome)
    finally:
        book.close()
    return out


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def codiesp(n: int, kb: Path) -> dict[str, dict[str, float]]:
    """3-character precision/recall of the ICD-10-CM codes `analyze` suggests on the first `n`
    CodiEsp case reports (inpatient rule), with and without the guideline rules."""
    import csv

    from consultant.analysis.consult import analyze
    from consultant.analysis.suggest import SuggestIndex
    from consultant.kb.store import CodeBook

    csv.field_size_limit(sys.maxsize)
    path = CASES.parent / "codiesp_train_dev.tsv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))[1 : n + 1]
    book = CodeBook.open(kb)
    index = SuggestIndex.load(book)
    out: dict[str, dict[str, float]] = {}
    try:
        for label, ctx in (("baseline", rules_off), ("guidelines", _nothing)):
            tp = n_gold = n_pred = 0
            with ctx():
                for _, text, codes in rows:
                    gold = {c.split(":", 1)[1][:3] for c in codes.split(";") if c.startswith("ICD10CM:")}
                    f_ = analyze(text, book, index, today=date(2026, 5, 1), setting="inpatient")
                    got = {s.code[:3] for s in f_.suggestions if s.system == "ICD10CM"}
                    tp += len(gold & got)
                    n_gold += len(gold)
                    n_pred += len(got)
            out[label] = {"recall": tp / max(n_gold, 1), "precision": tp / max(n_pred, 1),
                          "per_case": n_pred / max(len(rows), 1)}
    finally:
        book.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", type=Path, default=REPO / "var" / "kb.sqlite")
    ap.add_argument("--case", action="append", help="only this case (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every item")
    ap.add_argument("--codiesp", type=int, default=0, metavar="N",
                    help="also score analyze() on the first N CodiEsp case reports")
    args = ap.parse_args()
    if args.codiesp:
        for label, m in codiesp(args.codiesp, args.kb).items():
            print(f"CodiEsp n={args.codiesp} {label:<11} recall {m['recall']:.3f}  "
                  f"precision {m['precision']:.3f}  ICD suggestions/case {m['per_case']:.1f}")
    cases = args.case or list(ICD_CASES)
    results = run(cases, args.kb)
    totals: dict[str, dict[str, list[int]]] = {}
    for cid, by in results.items():
        for label, rows in by.items():
            t = totals.setdefault(label, {"must": [0, 0], "must_not": [0, 0], "warn": [0, 0]})
            for kind in ("must", "must_not", "warn"):
                for _, ok, _conf in rows[kind]:
                    t[kind][0] += int(ok)
                    t[kind][1] += 1
        if args.verbose:
            b, g = by.get("baseline"), by.get("guidelines")
            print(f"== {cid}")
            for kind in ("must", "must_not", "warn"):
                for (item, ok0, conf), (_, ok1, _) in zip(b[kind] if b else [], g[kind] if g else []):
                    tag = {"must": "+", "must_not": "-", "warn": "W"}[kind]
                    sense = "violated" if kind == "must_not" else "ok"
                    print(f"   {tag} {item:<22} {conf:<6} baseline {sense}={ok0!s:<5} rules {sense}={ok1}")
    print(f"{'':<12}{'ICD must-have':>16}{'ICD must-not violated':>24}{'warnings matched':>20}")
    for label, t in totals.items():
        cells = [f"{t[k][0]}/{t[k][1]} ({t[k][0] / max(t[k][1], 1):.2f})" for k in ("must", "must_not", "warn")]
        print(f"{label:<12}{cells[0]:>16}{cells[1]:>24}{cells[2]:>20}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
