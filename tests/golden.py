"""Golden outputs of the suggester: the codes and statuses it gives TODAY for a few hundred
texts of the evaluation sets (NLM condition phrases, CodiEsp case reports, the coder mails),
kept in tests/golden.json, one line per text, so that a change of behaviour shows as a
readable diff. `tests/unit/test_golden.py` fails on any difference.

When suggestions change on purpose, regenerate and review the diff:

    .venv/bin/python tests/golden.py --write            # builds a KB in a temp dir (~10 s)
    .venv/bin/python tests/golden.py --write --kb var/kb.sqlite
    git diff tests/golden.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
GOLDEN = Path(__file__).with_name("golden.json")
ON = date(2026, 5, 1)
LIMIT = 20
NLM_EVERY, CODIESP_EVERY = 6, 10          # which rows of each set are kept (all coder mails)


def golden_texts(shared: Path = SHARED) -> Iterator[tuple[str, str, str]]:
    """(id, setting, text): every 6th NLM phrase, every 10th CodiEsp case report (inpatient,
    as hospital reports are coded), every coder mail's parsed body (outpatient)."""
    from consultant.mail.parse import parse_message

    eval_dir = shared / "data" / "eval"
    for name, every, setting in (("nlm_conditions_dev.tsv", NLM_EVERY, "outpatient"),
                                 ("codiesp_train_dev.tsv", CODIESP_EVERY, "inpatient")):
        rows = [line.split("\t") for line in (eval_dir / name).read_text(encoding="utf-8").splitlines()[1:]]
        for n, parts in enumerate(r for r in rows if len(r) >= 2):
            if n % every == 0:
                yield parts[0], setting, parts[1].strip('"')
    for path in sorted((eval_dir / "coder-cases" / "cases").glob("*.eml")):
        yield "coder:" + path.stem, "outpatient", parse_message(path.read_bytes()).text


def outputs(kb: Path, shared: Path = SHARED) -> dict[str, str]:
    """id -> 'CODE status | CODE status ...' (non-ICD codes as SYSTEM:CODE), best first."""
    from consultant.analysis.suggest import SuggestIndex, suggest
    from consultant.kb.store import CodeBook

    book = CodeBook.open(kb)
    try:
        index = SuggestIndex.load(book)
        out = {}
        for key, setting, text in golden_texts(shared):
            result = suggest(text, index, on=ON, limit=LIMIT, setting=setting)
            out[key] = " | ".join(
                f"{s.code if s.system == 'ICD10CM' else s.system + ':' + s.code} {s.status}"
                for s in result.suggestions)
        return out
    finally:
        book.close()


def dumps(golden: dict[str, str]) -> str:
    """One text per line: a change shows as the lines of the texts that changed."""
    return "{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in golden.items()) + "\n}\n"


def differences(expected: dict[str, str], got: dict[str, str]) -> list[str]:
    return [f"{k}:\n  golden: {expected.get(k)}\n  now:    {got.get(k)}"
            for k in sorted(expected.keys() | got.keys()) if expected.get(k) != got.get(k)]


def main() -> int:
    parser = argparse.ArgumentParser(description="Check or regenerate tests/golden.json")
    parser.add_argument("--write", action="store_true", help="rewrite tests/golden.json from today's output")
    parser.add_argument("--kb", type=Path, help="knowledge base (default: one built into a temp dir)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    kb = args.kb
    if kb is None:
        from consultant.kb.build import build_kb

        kb = Path(tempfile.mkdtemp(prefix="golden-kb-")) / "kb.sqlite"
        build_kb(kb)
    got = outputs(kb)
    if args.write:
        GOLDEN.write_text(dumps(got), encoding="utf-8")
        print(f"wrote {len(got)} texts to {GOLDEN}")
        return 0
    diff = differences(json.loads(GOLDEN.read_text(encoding="utf-8")), got)
    print("\n".join(diff) or f"{len(got)} texts as golden")
    return 1 if diff else 0


if __name__ == "__main__":
    raise SystemExit(main())
