"""Whether the suggester gives the same output as before on every evaluation text.

Runs `suggest` over every text of the evaluation sets in ../shared/data/eval (the NLM
condition phrases, the CodiEsp case reports and the coder mails, 2,582 texts), in the
outpatient and (for the case reports) the inpatient setting, and writes every field of every
suggestion, gap and issue as one JSON line per text. `--compare OLD.jsonl` prints the texts
whose output differs from a dump written before a change (none: behaviour unchanged).

    .venv/bin/python bench/suggest_identity.py --kb KB --out /tmp/after.jsonl --compare /tmp/before.jsonl
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

ON = date(2026, 5, 1)


def evaluation_texts(shared: Path = SHARED) -> Iterator[tuple[str, str]]:
    """(id, text) of every evaluation text: TSV rows, then the coder mails' parsed bodies."""
    from consultant.mail.parse import parse_message

    eval_dir = shared / "data" / "eval"
    for name in ("nlm_conditions_dev.tsv", "codiesp_train_dev.tsv"):
        lines = (eval_dir / name).read_text(encoding="utf-8").splitlines()[1:]
        for line in lines:
            parts = line.split("\t")
            if len(parts) >= 2:
                yield parts[0], parts[1].strip('"')
    for path in sorted((eval_dir / "coder-cases" / "cases").glob("*.eml")):
        yield "coder:" + path.stem, parse_message(path.read_bytes()).text


def dump(result: object) -> object:
    return json.loads(json.dumps(dataclasses.asdict(result), default=str))  # type: ignore[call-overload]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args()
    from consultant.analysis.suggest import SuggestIndex, suggest
    from consultant.kb.store import CodeBook

    book = CodeBook.open(args.kb)
    index = SuggestIndex.load(book)
    started = time.perf_counter()
    n = 0
    with args.out.open("w", encoding="utf-8") as out:
        for key, text in evaluation_texts():
            settings = ("outpatient", "inpatient") if key.startswith("codiesp") else ("outpatient",)
            for setting in settings:
                result = suggest(text, index, on=ON, limit=20, setting=setting)
                out.write(json.dumps({"id": key, "setting": setting, "out": dump(result)}, sort_keys=True) + "\n")
            n += 1
    print(f"{n} texts in {time.perf_counter() - started:.1f} s -> {args.out}")
    if args.compare:
        old = {(r["id"], r["setting"]): r["out"] for r in map(json.loads, args.compare.open(encoding="utf-8"))}
        new = {(r["id"], r["setting"]): r["out"] for r in map(json.loads, args.out.open(encoding="utf-8"))}
        differ = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        for k in differ[:20]:
            print("differs:", k)
        print(f"identity: {len(new)} outputs compared, {len(differ)} differ")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
