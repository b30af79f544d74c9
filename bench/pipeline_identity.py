"""Whether the whole pipeline gives the same replies as before (a speed change must not change
one byte).

`bench/suggest_identity.py` checks the suggester alone; this runs `pipeline.consult` (parse,
extraction, analysis with guideline rules, procedure review, questions, rendering) over the
bench's emails (templated and real-prose, as `bench/throughput.py` makes them) and the
evaluation coder mails, and `analyze` over every evaluation text, and writes one JSON line per
case: the reply's text (and the escalation copy's), or the skip. `--compare OLD.jsonl` prints the
cases that differ from a dump written before a change.

    .venv/bin/python bench/pipeline_identity.py --kb KB --out /tmp/after.jsonl --compare /tmp/before.jsonl
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


# The bench's Message-IDs carry the time and process id; the reply quotes them.
_MSGID = re.compile(r"<\d+\.\d+\.\d+\.(bench\d+@)")


def _same_ids(reply: str) -> str:
    return _MSGID.sub(r"<\1", reply)


def cases(emails: int) -> Iterator[tuple[str, bytes]]:
    """(id, raw mail) of the bench's templated and prose emails and the coder mails."""
    import throughput as bench

    rng = random.Random(7)
    for n in range(emails):
        yield f"templated:{n}", bench.make_email(rng, n)
    prose = bench.real_prose_sentences()
    if prose:
        prng = random.Random(8)
        for n in range(emails):
            yield f"prose:{n}", bench.make_email(prng, n, prose)
    for path in sorted((bench.SHARED / "data" / "eval" / "coder-cases" / "cases").glob("*.eml")):
        yield "coder:" + path.stem, path.read_bytes()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--emails", type=int, default=300, help="bench emails of each kind")
    parser.add_argument("--texts", action="store_true", help="also `analyze` every evaluation text")
    args = parser.parse_args()
    import throughput as bench
    from suggest_identity import ON, evaluation_texts

    from consultant.analysis.consult import analyze
    from consultant.analysis.suggest import SuggestIndex
    from consultant.kb.store import CodeBook
    from consultant.pipeline import Answer, ConsultSettings, consult

    book = CodeBook.open(args.kb)
    index = SuggestIndex.load(book)
    settings = ConsultSettings(bot_address="consult@clinic.example",
                               allowed_senders=("clinic.example",),
                               message_id_domain="clinic.example")
    started = time.perf_counter()
    n = 0
    with args.out.open("w", encoding="utf-8") as out:
        for key, raw in cases(args.emails):
            got = consult(raw, book=book, index=index, settings=settings, today=bench.TODAY,
                          now=bench.NOW, message_ids=bench.IDS)
            if isinstance(got, Answer):
                record: object = {"reply": _same_ids(got.reply.as_string()),
                                  "escalation": _same_ids(got.escalation.as_string())
                                  if got.escalation else None}
            else:
                record = repr(got)
            out.write(json.dumps({"id": key, "out": record}, sort_keys=True) + "\n")
            n += 1
        if args.texts:
            for key, text in evaluation_texts():
                findings = analyze(text, book, index, today=ON)
                record = json.loads(json.dumps(dataclasses.asdict(findings), default=str))
                out.write(json.dumps({"id": "text:" + key, "out": record}, sort_keys=True) + "\n")
                n += 1
    print(f"{n} cases in {time.perf_counter() - started:.1f} s -> {args.out}")
    if args.compare:
        old = {r["id"]: r["out"] for r in map(json.loads, args.compare.open(encoding="utf-8"))}
        new = {r["id"]: r["out"] for r in map(json.loads, args.out.open(encoding="utf-8"))}
        differ = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        for k in differ[:20]:
            print("differs:", k)
        print(f"identity: {len(new)} cases compared, {len(differ)} differ")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
