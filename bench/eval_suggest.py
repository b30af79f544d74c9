"""Suggestion quality and speed, ours against a peer and a floor, side by side in one run.

    .venv/bin/python bench/eval_suggest.py [--kb var/kb.sqlite] [--floor-sample 200]

Data (read from ../shared, never copied): `nlm_conditions_dev.tsv` (short condition names;
hit@1 / hit@5, a suggestion counts when it is a gold code or an ancestor/descendant of one)
and `codiesp_train_dev.tsv` (whole case reports; recall and precision of the gold ICD-10-CM
codes at the 3-character category level; ICD-10-PCS gold ignored).

Methods: (a) ours (`consultant.analysis.suggest`), with the outpatient rule (uncertain
diagnoses flagged, not coded) and the inpatient rule (coded as established; the CodiEsp
cases are hospital case reports); (b) the `icd10-coder` package's
`cm_search` (SQLite FTS5 over titles; for cases, the top hit of each sentence) when it is
installed; (c) plain rapidfuzz `extractOne` over every ICD-10-CM title (the floor; on a sample).
Rows are split by their position: even rows are where we tune, odd rows the held-out check.
The peer and the floor are slow on whole cases, so they run on a seeded sample (`n` column).
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO.parent / "shared" / "data" / "eval"
ON = date(2026, 5, 1)

Predict = Callable[[str], list[str]]


ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")


def read(name: str | Path) -> list[tuple[str, str, list[str]]]:
    """Rows (id, text, ICD-10-CM codes) of a tab-separated set with a header: codes as
    'ICD10CM:K56.69;ICD10PCS:...' or, for a set of one system, plain ICD-10 codes separated by
    ';' or ',' (an eICU-style '518.81, J96.00' keeps J96.00)."""
    csv.field_size_limit(sys.maxsize)
    with open(EVAL / name, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_MINIMAL))
    out = []
    for r in rows[1:]:
        if len(r) < 3:
            continue
        items = [c.strip() for c in re.split(r"[;,]", r[2]) if c.strip()]
        codes = [c.split(":", 1)[1] for c in items if c.startswith("ICD10CM:")]
        if not codes and not any(":" in c for c in items):
            codes = [c for c in items if ICD10.match(c)]
        out.append((r[0], r[1], codes))
    return out


def related(a: str, b: str) -> bool:
    """Same code, or one an ancestor of the other (prefix on the undotted form)."""
    x, y = a.replace(".", "").upper(), b.replace(".", "").upper()
    return x.startswith(y) or y.startswith(x)


def eval_short(rows: Sequence[tuple[str, str, list[str]]], predict: Predict) -> dict[str, float]:
    h1 = h5 = 0
    times = []
    for _, text, gold in rows:
        t0 = time.perf_counter()
        got = predict(text)
        times.append((time.perf_counter() - t0) * 1000)
        if got and any(related(got[0], g) for g in gold):
            h1 += 1
        if any(related(c, g) for c in got[:5] for g in gold):
            h5 += 1
    n = max(len(rows), 1)
    return {"n": len(rows), "hit@1": h1 / n, "hit@5": h5 / n, "ms": statistics.mean(times) if times else 0.0,
            "p95": sorted(times)[int(0.95 * (len(times) - 1))] if times else 0.0}


def eval_cases(rows: Sequence[tuple[str, str, list[str]]], predict: Predict) -> dict[str, float]:
    tp = n_gold = n_pred = 0
    times = []
    for _, text, gold in rows:
        t0 = time.perf_counter()
        got = predict(text)
        times.append((time.perf_counter() - t0) * 1000)
        g = {c[:3] for c in gold}
        p = {c[:3] for c in got}
        tp += len(g & p)
        n_gold += len(g)
        n_pred += len(p)
    n = max(len(rows), 1)
    return {"n": len(rows), "recall": tp / max(n_gold, 1), "precision": tp / max(n_pred, 1),
            "per_case": n_pred / n, "ms": statistics.mean(times) if times else 0.0}


# -- the three methods ------------------------------------------------------------------------

def ours(kb: Path, setting: str = "outpatient", walk: bool = True) -> tuple[Predict, Predict, float]:
    """Our suggester; `setting` 'inpatient' codes diagnoses still uncertain as established
    (guideline II.H), the rule for hospital cases such as the CodiEsp case reports. `walk`
    False switches the Alphabetic Index walk (and the Neoplasm / Drug tables) off: titles alone."""
    from consultant.analysis.suggest import SuggestIndex, suggest
    from consultant.kb.store import CodeBook

    t0 = time.perf_counter()
    book = CodeBook.open(kb)
    index = SuggestIndex.load(book)
    if not walk:
        index.walker = None
    load_ms = (time.perf_counter() - t0) * 1000

    def short(text: str) -> list[str]:
        return [s.code for s in suggest(text, index, on=ON, limit=5, setting=setting).suggestions
                if s.system == "ICD10CM"]

    def case(text: str) -> list[str]:
        return [s.code for s in suggest(text, index, on=ON, limit=60, setting=setting).suggestions
                if s.system == "ICD10CM" and s.status in ("current", "history", "status")]

    return short, case, load_ms


def peer() -> tuple[Predict, Predict, float] | None:
    try:
        from icd10_coder import coder  # pip install icd10-coder (benchmark only)
    except ImportError:
        return None
    t0 = time.perf_counter()
    conn = sqlite3.connect(coder.CM_DB)
    load_ms = (time.perf_counter() - t0) * 1000
    from consultant.analysis.clinical.context import sentences

    def short(text: str) -> list[str]:
        return [r[0] for r in coder.cm_search(conn, text, limit=5)]

    def case(text: str) -> list[str]:
        out = []
        for a, b in sentences(text):
            rows = coder.cm_search(conn, text[a:b], limit=1)
            out.extend(r[0] for r in rows)
        return out

    return short, case, load_ms


def floor(kb: Path) -> tuple[Predict, Predict, float]:
    from rapidfuzz import fuzz, process

    from consultant.analysis.clinical.context import sentences

    t0 = time.perf_counter()
    conn = sqlite3.connect(kb)
    rows = conn.execute("SELECT code, title FROM code WHERE system = 'ICD10CM' AND billable = 1").fetchall()
    codes = [r[0] for r in rows]
    titles = [r[1].lower() for r in rows]
    load_ms = (time.perf_counter() - t0) * 1000

    def short(text: str) -> list[str]:
        hits = process.extract(text.lower(), titles, scorer=fuzz.token_set_ratio, limit=5)
        return [codes[h[2]] for h in hits]

    def case(text: str) -> list[str]:
        out = []
        for a, b in sentences(text):
            hit = process.extractOne(text[a:b].lower(), titles, scorer=fuzz.token_set_ratio, score_cutoff=90)
            if hit:
                out.append(codes[hit[2]])
        return out

    return short, case, load_ms


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kb", type=Path, default=REPO / "var" / "kb.sqlite")
    ap.add_argument("--floor-sample", type=int, default=150, help="rows per data set for the slow floor")
    ap.add_argument("--cases", type=int, default=0, help="only the first N cases (0: all)")
    ap.add_argument("--short", type=int, default=0, help="only the first N short names (0: all)")
    ap.add_argument("--ours-only", action="store_true", help="no peer and no floor (while iterating)")
    ap.add_argument("--peer-cases", type=int, default=60, help="cases per split for the peer (1 s each)")
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--eicu", type=Path, default=None,
                    help="eICU-style diagnosis phrases (id<TAB>text<TAB>codes; default: any eicu*.tsv beside the "
                         "other sets); the line says when there is none")
    args = ap.parse_args(argv)
    if not args.kb.exists():
        from consultant.kb.build import build_kb

        args.kb = REPO / "bench" / "out" / "kb.sqlite"
        if not args.kb.exists():
            print(f"building a knowledge base at {args.kb} ...", file=sys.stderr)
            build_kb(args.kb)
    nlm = read("nlm_conditions_dev.tsv")
    cases = read("codiesp_train_dev.tsv")
    if args.cases:
        cases = cases[: args.cases]
    if args.short:
        nlm = nlm[: args.short]
    splits = {"even": lambda rows: rows[0::2], "odd": lambda rows: rows[1::2]}
    # (name, method, short-query sample, case sample); 0 = every row
    # every line twice: with the Index walk and tables, and on titles alone (same knowledge base)
    methods: list[tuple[str, tuple[Predict, Predict, float] | None, int, int]] = [
        ("ours outpat. +Index", ours(args.kb), 0, 0),
        ("ours outpat. titles", ours(args.kb, walk=False), 0, 0),
        ("ours inpat. +Index", ours(args.kb, "inpatient"), 0, 0),
        ("ours inpat. titles", ours(args.kb, "inpatient", walk=False), 0, 0)]
    if not args.skip_peer and not args.ours_only:
        methods.append(("icd10-coder cm_search", peer(), 0, args.peer_cases))
    if not args.ours_only:
        methods.append(("rapidfuzz floor", floor(args.kb), args.floor_sample, max(args.floor_sample // 10, 5)))
    rng = random.Random(7)
    print(f"{'method':24} {'split':5} | {'NLM n':>6} {'hit@1':>6} {'hit@5':>6} {'ms/q':>6} {'p95':>6} | "
          f"{'cases':>5} {'recall':>6} {'prec':>6} {'sugg/c':>6} {'ms/case':>8} | load ms")
    for name, method, short_n, case_n in methods:
        if method is None:
            print(f"{name:24} (not installed: pip install icd10-coder)")
            continue
        short, case, load_ms = method
        for split, pick in splits.items():
            s_rows, c_rows = pick(nlm), pick(cases)
            if short_n:
                s_rows = rng.sample(s_rows, min(short_n, len(s_rows)))
            if case_n:
                c_rows = rng.sample(c_rows, min(case_n, len(c_rows)))
            a = eval_short(s_rows, short)
            b = eval_cases(c_rows, case)
            print(f"{name:24} {split:5} | {a['n']:6d} {a['hit@1']:6.3f} {a['hit@5']:6.3f} {a['ms']:6.2f} "
                  f"{a['p95']:6.2f} | {b['n']:5d} {b['recall']:6.3f} {b['precision']:6.3f} {b['per_case']:6.1f} "
                  f"{b['ms']:8.1f} | {load_ms:.0f}", flush=True)
    eicu_file = args.eicu or next(iter(sorted(EVAL.glob("eicu*.tsv"))), None)
    if eicu_file is None or not Path(eicu_file).exists():
        print("eICU phrases: no data set here (give --eicu FILE, or put eicu*.tsv beside the other sets): "
              "not measured")
    else:
        eicu = read(eicu_file)
        for name, method, _, _ in methods[:4]:
            if method is None:
                continue
            for split, pick in splits.items():
                a = eval_short(pick(eicu), method[0])
                print(f"{name:24} {split:5} | eICU {a['n']:5d} {a['hit@1']:6.3f} {a['hit@5']:6.3f} {a['ms']:6.2f} "
                      f"{a['p95']:6.2f}", flush=True)
    print("targets (held-out = odd rows): hit@1 >= 0.72, hit@5 >= 0.85 under 5 ms/query; eICU phrases hit@1 >= 0.45, "
          "hit@5 >= 0.70; case 3-character recall >= 0.60 at precision >= 0.55; ready (load ms) <= 1000")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
