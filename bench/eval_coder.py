"""Replies to realistic consult mails scored against an expert coder's answers, ours against the
current release of the project, side by side in one run.

    .venv/bin/python bench/eval_coder.py [--kb PATH] [--baseline-ref main] [--no-baseline]
                                         [--show CASE-ID] [--json OUT.json]

Data (read from ../shared, never copied): `eval/coder-cases/` — 40 e-mails and
`expected.json` (must-have codes with modifiers and units, must-not codes, warning regexes,
escalation, reply or not). Scored exactly as its README says:

* must-have: the code appears in the reply outside a rejecting sentence; each expected
  modifier (attached or adjacent) and the unit count beside the code are sub-items;
* must-not: violated when the code (or a modifier recommended as such) appears and no
  sentence or paragraph that names it rejects it (deleted, invalid, not separately
  reportable, do not use, Excludes1, not verified ...);
* warnings: `re.search(regex, reply, re.IGNORECASE)`;
* escalation right: the analysis escalates exactly when expected; no-reply right: mails
  that need no reply get none and every other mail gets one;
* false reassurance: a reply whose headline reports no problem ("0 warnings" with no error,
  "no problems") while the case has an expected warning or must-not.

`high` items make the primary figures; `medium` ones are reported on their own line.
The cases are split by their position in sorted order: even positions are where we tune,
odd positions the held-out check (the project is judged on unseen mails).

The baseline is the code at `--baseline-ref` (default `main`, the current release), checked
out with `git archive` into a temporary folder and run in a subprocess with PYTHONPATH
pointing at it, against the same knowledge base.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import email.utils
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CASES = REPO.parent / "shared" / "data" / "eval" / "coder-cases"
BOT = "consult@caseconsultant.example"
HUMAN = "coder@caseconsultant.example"

# -- running the bot ---------------------------------------------------------------------------


def _today_of(raw: bytes) -> date:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    when = email.utils.parsedate_to_datetime(str(msg["Date"]))
    return when.date()


def _plain_text(reply: Any) -> str:
    for part in reply.walk():
        if part.get_content_type() == "text/plain" and not part.is_attachment():
            return str(part.get_content())
    return ""


def _stamps() -> dict[str, Any]:
    """The clock and Message-ID factory `consult` takes since they were passed in (none for a
    release older than that)."""
    import inspect

    from consultant.pipeline import consult

    if "message_ids" not in inspect.signature(consult).parameters:
        return {}
    from consultant.mail.stamps import numbered_ids

    return {"now": datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "message_ids": numbered_ids("eval.example")}


def run_cases(kb: Path, cases: Path) -> dict[str, dict[str, Any]]:
    """Every case through `consultant.pipeline.consult` as importable now (ours, or the
    baseline when PYTHONPATH points at it): reply text, escalation, skip reason."""
    from consultant.analysis.suggest import SuggestIndex
    from consultant.kb.store import CodeBook
    from consultant.pipeline import ConsultSettings, Skip, consult

    settings = ConsultSettings(bot_address=BOT, escalation_address=HUMAN)
    stamps = _stamps()
    book = CodeBook.open(kb)
    index = SuggestIndex.load(book)
    out: dict[str, dict[str, Any]] = {}
    try:
        for path in sorted((cases / "cases").glob("*.eml")):
            raw = path.read_bytes()
            started = time.perf_counter()
            outcome = consult(raw, book=book, index=index, settings=settings, today=_today_of(raw),
                              **stamps)
            ms = (time.perf_counter() - started) * 1000
            if isinstance(outcome, Skip):
                out[path.stem] = {"reply": False, "text": "", "escalate": False,
                                  "skip": outcome.reason, "ms": ms}
            else:
                out[path.stem] = {"reply": True, "text": _plain_text(outcome.reply),
                                  "escalate": bool(outcome.findings.escalate), "ms": ms}
    finally:
        book.close()
    return out


class BaselineError(RuntimeError):
    """The baseline release does not run here (e.g. it needs a dependency this venv lacks)."""


def run_in_subprocess(source: Path, kb: Path, cases: Path) -> dict[str, dict[str, Any]]:
    """`run_cases` with the package imported from `source` (a checked-out release)."""
    with tempfile.TemporaryDirectory(prefix="eval-coder-") as tmp:
        out = Path(tmp) / "out.json"
        env = dict(os.environ, PYTHONPATH=str(source))
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--emit", str(out),
             "--kb", str(kb), "--cases", str(cases)],
            env=env, cwd=str(source), capture_output=True, text=True,
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise BaselineError(f"the baseline could not run in this environment: {last}")
        result: dict[str, dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
        return result


def checkout(ref: str, into: Path) -> Path:
    """The tree of `ref` written into `into` (git archive; no worktree bookkeeping)."""
    data = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def build_kb(folder: Path) -> Path:
    """The default install's knowledge base (`consultant kb build`), in `folder`."""
    from consultant.kb.build import build_kb as build

    out = folder / "kb.sqlite"
    build(out)        # no sources: the tabular release plus data/official, as `consultant kb build`
    return out


# -- scoring -----------------------------------------------------------------------------------

# Words that, in the sentence or paragraph naming a code, reject it or attach a problem to it.
REJECT = re.compile(
    r"\b(?:deleted|invalid|not\s+valid|no\s+longer\s+valid|not\s+separately|not\s+reportable|"
    r"not\s+billable|do\s+not|don't|does\s+not|should\s+not|must\s+not|never|instead\s+of|"
    r"rather\s+than|not\s+(?:use|report|bill|code|add|append)|bundled|included\s+in|inclusive|"
    r"excludes\s*1|excludes1|wrong\s+7th|not\s+found|not\s+in\s+any\s+release|retired|"
    r"replaced\s+by|not\s+verified|not\s+supported|not\s+appropriate|not\s+recommended|"
    r"no\s+separate|not\s+a\s+valid|incomplete|a\s+heading|error|conflict|violat\w*|"
    r"denied|avoid|remove|drop|not\s+needed|not\s+required|unsupported|cannot\s+be\s+billed|"
    r"can't\s+be\s+billed|not\s+with|isn't|is\s+not|are\s+not)\b",
    re.IGNORECASE,
)
HEADLINE_CLEAN = re.compile(
    r"\bno\s+(?:problems?|issues?|errors?\s+or\s+warnings?)\b|\ball\s+(?:codes?\s+)?(?:are\s+)?valid\b|"
    r"\bclean\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9*\-])|\n\s*\n|\n\s*[*\-•]\s|\n(?=\S)")


def code_pattern(code: str, modifier: bool = False) -> re.Pattern[str]:
    """Where a code is written: whole, not inside a longer code or number (a modifier:
    'modifier 57', '-57', '57 modifier')."""
    c = re.escape(code)
    if modifier:
        return re.compile(
            rf"(?:\bmod(?:ifier)?s?\s*[-:]?\s*(?:\w+\s*(?:,|and|or|/)\s*){{0,3}}{c}\b"
            rf"|(?<=[0-9A-Z])-{c}\b|(?<![\w.]){c}\s+mod(?:ifier)?\b|\b\d{{5}}\s+{c}\b)",
            re.IGNORECASE if not code.isupper() else 0,
        )
    return re.compile(rf"(?<![\w.]){c}(?![\w]|\.\d)", re.IGNORECASE)


def _spans(text: str) -> list[tuple[int, int]]:
    """Sentence-ish spans of the reply (sentences, list items, lines of a block)."""
    out = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(text)))
    return out


def _paragraph(text: str, at: int) -> str:
    start = text.rfind("\n\n", 0, at)
    end = text.find("\n\n", at)
    return text[start + 1 if start >= 0 else 0 : end if end >= 0 else len(text)]


def _sentence(text: str, at: int, spans: Sequence[tuple[int, int]]) -> str:
    for s, e in spans:
        if s <= at < e or (at == e):
            return text[s:e]
    return text[max(0, at - 120) : at + 120]


@dataclass
class Tally:
    """Counts for one group of cases (one side, one split, one confidence)."""

    have: int = 0
    have_total: int = 0
    have_codes: int = 0
    have_codes_total: int = 0
    must_not_violated: int = 0
    must_not_total: int = 0
    warnings: int = 0
    warnings_total: int = 0
    escalation_right: int = 0
    escalation_total: int = 0
    reply_right: int = 0
    reply_total: int = 0
    false_reassurance: int = 0
    phi_echoed: int = 0
    passed: int = 0
    cases: int = 0
    misses: list[str] = field(default_factory=list)


def recommended(code: str, kind: str, text: str) -> list[int]:
    """Offsets where the reply names the code (or modifier) outside a rejecting sentence."""
    pat = code_pattern(code, modifier=(kind == "modifier"))
    spans = _spans(text)
    return [m.start() for m in pat.finditer(text) if not REJECT.search(_sentence(text, m.start(), spans))]


def warning_attached(code: str, text: str) -> bool:
    """The scoring README's 'an error or warning attached': a problem item that is about the code
    ('* WARNING S52.531A: ...'), or the code list's line for it pointing to one."""
    c = re.escape(code)
    return bool(re.search(rf"^\s*\*\s*(?:WARNING|ERROR)\s+{c}(?![\w.])", text, re.MULTILINE)
                or re.search(rf"^\s*{c}(?![\w.])[^\n]*:[^\n]*\bbut\s+see\s+the\s+(?:warning|error)\b",
                             text, re.MULTILINE))


def rejected_somewhere(code: str, kind: str, text: str) -> bool:
    pat = code_pattern(code, modifier=(kind == "modifier"))
    spans = _spans(text)
    if kind != "modifier" and warning_attached(code, text):
        return True
    for m in pat.finditer(text):
        if REJECT.search(_sentence(text, m.start(), spans)) or REJECT.search(
            _paragraph(text, m.start())
        ):
            return True
    return False


def modifier_beside(code: str, modifier: str, text: str) -> bool:
    c, mod = re.escape(code), re.escape(modifier)
    return bool(re.search(
        rf"(?<![\w.]){c}(?:\s*[-,/ ]\s*[0-9A-Z]{{2}}){{0,3}}\s*[-,/ ]\s*{mod}\b"
        rf"|(?<![\w.]){c}\b[^\n]{{0,60}}\bmod(?:ifier)?s?\s*[-:]?\s*(?:\w+\s*(?:,|and|/)\s*){{0,3}}{mod}\b"
        rf"|\bmod(?:ifier)?\s*-?{mod}\b[^\n]{{0,40}}\b(?:on|to|with)\s+{c}\b",
        text,
    ))


def units_beside(code: str, units: int, text: str) -> bool:
    c, n = re.escape(code), str(units)
    return bool(re.search(
        rf"(?<![\w.]){c}\b[^\n]{{0,80}}(?:\bx\s*{n}\b|\b{n}\s*units?\b|\bunits?\s*[:=]?\s*{n}\b|\u00d7\s*{n}\b)"
        rf"|\b{n}\s*units?\s+(?:of\s+)?{c}\b",
        text, re.IGNORECASE,
    ))


def headline(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def reassures(text: str) -> bool:
    """The headline reports no problem at all."""
    head = headline(text)
    if HEADLINE_CLEAN.search(head):
        return True
    zero_warnings = re.search(r"\b0\s+warnings?\b", head, re.IGNORECASE)
    some_error = re.search(r"\b[1-9]\d*\s+errors?\b", head, re.IGNORECASE)
    return bool(zero_warnings and not some_error)


def score_case(exp: dict[str, Any], got: dict[str, Any], level: str, tally: Tally, cid: str) -> bool:
    """Add one case to the tally at one confidence level; True when every item passed."""
    text = got["text"]
    ok = True
    tally.cases += 1
    for item in exp["must_have"]:
        if item.get("confidence") != level:
            continue
        hit = bool(recommended(item["code"], item["type"], text)) if got["reply"] else False
        tally.have_total += 1
        tally.have_codes_total += 1
        tally.have += hit
        tally.have_codes += hit
        if not hit:
            ok = False
            tally.misses.append(f"{cid}: must-have {item['code']}")
        for mod in item.get("modifiers") or ():
            good = hit and modifier_beside(item["code"], mod, text)
            tally.have_total += 1
            tally.have += good
            if not good:
                ok = False
                tally.misses.append(f"{cid}: must-have {item['code']}-{mod}")
        if item.get("units") is not None:
            good = hit and units_beside(item["code"], int(item["units"]), text)
            tally.have_total += 1
            tally.have += good
            if not good:
                ok = False
                tally.misses.append(f"{cid}: must-have {item['code']} x{item['units']}")
    for item in exp["must_not"]:
        if item.get("confidence") != level:
            continue
        tally.must_not_total += 1
        kind = item["type"]
        named = code_pattern(item["code"], modifier=(kind == "modifier")).search(text)
        bad = bool(got["reply"] and named and not rejected_somewhere(item["code"], kind, text))
        tally.must_not_violated += bad
        if bad:
            ok = False
            tally.misses.append(f"{cid}: must-not {item['code']}")
    for w in exp["warnings"]:
        if w.get("confidence") != level:
            continue
        tally.warnings_total += 1
        hit = bool(got["reply"] and re.search(w["regex"], text, re.IGNORECASE))
        tally.warnings += hit
        if not hit:
            ok = False
            tally.misses.append(f"{cid}: warning {w['id']}")
    if level == "high":
        if exp["reply"]:
            tally.escalation_total += 1
            right = got["reply"] and got["escalate"] == exp["escalate"]
            tally.escalation_right += right
            if not right:
                ok = False
                tally.misses.append(f"{cid}: escalation (expected {exp['escalate']})")
        tally.reply_total += 1
        reply_ok = got["reply"] == exp["reply"]
        tally.reply_right += reply_ok
        if not reply_ok:
            ok = False
            tally.misses.append(f"{cid}: reply (expected {exp['reply']})")
        problems = bool(exp["must_not"]) or bool(exp["warnings"])
        if got["reply"] and problems and reassures(text):
            tally.false_reassurance += 1
            ok = False
            tally.misses.append(f"{cid}: false reassurance")
        if any(d in text for d in exp.get("phi_decoys", ())):
            tally.phi_echoed += 1
    tally.passed += ok
    return ok


def tally_all(expected: dict[str, Any], got: dict[str, dict[str, Any]], ids: Iterable[str],
              level: str) -> Tally:
    t = Tally()
    for cid in ids:
        score_case(expected[cid], got[cid], level, t, cid)
    return t


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f} ({a}/{b})" if b else "-"


def table(rows: Sequence[tuple[str, str, str, Tally]]) -> str:
    head = ("side", "split", "conf", "must-have", "codes only", "must-not viol.", "warnings",
            "escalation", "no-reply", "false reass.", "cases passed")
    lines = [head]
    for side, split, level, t in rows:
        high = level == "high"
        lines.append((
            side, split, level, _ratio(t.have, t.have_total), _ratio(t.have_codes, t.have_codes_total),
            _ratio(t.must_not_violated, t.must_not_total), _ratio(t.warnings, t.warnings_total),
            f"{t.escalation_right}/{t.escalation_total}" if high else "",
            f"{t.reply_right}/{t.reply_total}" if high else "",
            f"{t.false_reassurance}" if high else "",
            f"{t.passed}/{t.cases}" if high else "",
        ))
    widths = [max(len(r[i]) for r in lines) for i in range(len(head))]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--kb", type=Path, help="knowledge base (default: build the default install's)")
    ap.add_argument("--cases", type=Path, default=CASES)
    ap.add_argument("--baseline-ref", default="main")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--show", action="append", default=[], help="print the reply of this case")
    ap.add_argument("--misses", action="store_true", help="list the missed items of the tune half")
    ap.add_argument("--misses-all", action="store_true", help="also list the held-out misses")
    ap.add_argument("--json", type=Path, help="write the raw replies here")
    ap.add_argument("--emit", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.emit:  # subprocess mode: run with whatever `consultant` PYTHONPATH gives
        args.emit.write_text(json.dumps(run_cases(args.kb, args.cases)), encoding="utf-8")
        return 0

    with tempfile.TemporaryDirectory(prefix="eval-coder-kb-") as kb_dir:
        kb = args.kb if args.kb is not None else build_kb(Path(kb_dir))
        return report(args, kb)


def report(args: argparse.Namespace, kb: Path) -> int:
    """Run both sides against `kb`, print the table (and the misses and replies asked for)."""
    expected: dict[str, Any] = json.loads((args.cases / "expected.json").read_text(encoding="utf-8"))
    ids = sorted(expected)
    splits = {"tune": ids[0::2], "held-out": ids[1::2]}

    sides: dict[str, dict[str, dict[str, Any]]] = {}
    if not args.no_baseline:
        with tempfile.TemporaryDirectory(prefix="eval-coder-base-") as tmp:
            source = checkout(args.baseline_ref, Path(tmp))
            try:
                sides[f"release ({args.baseline_ref})"] = run_in_subprocess(source, kb, args.cases)
            except BaselineError as e:
                print(f"baseline {args.baseline_ref} skipped: {e}; pick another with --baseline-ref",
                      file=sys.stderr)
    sys.path.insert(0, str(REPO))
    sides["this branch"] = run_cases(kb, args.cases)

    rows = []
    for side, got in sides.items():
        for split, chosen in splits.items():
            for level in ("high", "medium"):
                rows.append((side, split, level, tally_all(expected, got, chosen, level)))
    print(f"coder-cases: {len(ids)} mails ({len(splits['tune'])} tune = even positions, "
          f"{len(splits['held-out'])} held out = odd positions); kb {kb}")
    print(table(rows))
    for side, got in sides.items():
        ms = sorted(v["ms"] for v in got.values())
        print(f"{side}: median {ms[len(ms) // 2]:.0f} ms per mail")
    if args.misses:
        for side, split, level, t in rows:
            if side == "this branch" and (split == "tune" or args.misses_all):
                for miss in t.misses:
                    print(f"  [{split}/{level}] {miss}")
    for cid in args.show:
        print(f"\n===== {cid} =====\n{sides['this branch'][cid]['text']}")
    if args.json:
        args.json.write_text(json.dumps(sides, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
