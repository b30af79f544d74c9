"""Throughput of the whole pure pipeline: parse -> extract -> suggest -> analyse -> render.

1,000 realistic case emails (2-5 KB, codes and plain words mixed, generated here from
templates with seeded variation) go through `consultant.pipeline.consult` in one process on
one core, against the full knowledge base (`var/kb.sqlite`, or one built into a temp dir
with the ICD-10-CM tabular plus the CMS files in ../shared when present).

Prints a table: emails per second, per-email latency percentiles, peak memory (tracemalloc
over a sample and ru_maxrss for the process), and the time from process start until the
knowledge base answered its first case. The baseline, measured in the same run, is the same
emails through parse + a naive lookup that scans every code row for each code-shaped token.
Target: >= 100 emails/s. No asserts: the figures are for people.

    .venv/bin/python bench/throughput.py [--emails 1000] [--kb var/kb.sqlite] [--seed 7]
"""

from __future__ import annotations

import time

_T_IMPORT = time.perf_counter()

import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import statistics
import sys
import tempfile
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def IDS() -> str:  # noqa: N802 - the Message-ID factory passed to consult
    return "<bench-reply@bench.example>"


def seconds_since_process_start() -> float | None:
    """Wall time since the kernel started this process (Linux /proc), else None."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# -- the emails --------------------------------------------------------------------------------

PROCEDURES = [
    ("44140", "sigmoid colectomy with primary anastomosis"),
    ("44320", "loop colostomy"),
    ("99213", "office visit"),
    ("99214", "office visit, moderate complexity"),
    ("99203", "new patient visit"),
    ("20610", "knee joint injection"),
    ("27447", "total knee arthroplasty"),
    ("29881", "knee arthroscopy with meniscectomy"),
    ("29877", "arthroscopic chondroplasty"),
    ("43239", "EGD with biopsy"),
    ("43235", "diagnostic EGD"),
    ("11042", "debridement of subcutaneous tissue"),
    ("11045", "each additional 20 sq cm debrided"),
    ("73030", "shoulder x-ray"),
    ("71046", "chest x-ray two views"),
    ("93000", "ECG with interpretation"),
    ("36415", "venipuncture"),
    ("45378", "diagnostic colonoscopy"),
    ("45380", "colonoscopy with biopsy"),
    ("47562", "laparoscopic cholecystectomy"),
    ("49505", "inguinal hernia repair"),
    ("64483", "transforaminal epidural injection"),
    ("97110", "therapeutic exercise"),
    ("J1885", "ketorolac injection"),
    ("J3301", "triamcinolone injection"),
    ("G0439", "annual wellness visit"),
]
DIAGNOSES = [
    ("C18.7", "malignant neoplasm of the sigmoid colon"),
    ("K56.69", "small bowel obstruction"),
    ("E11.9", "type 2 diabetes without complications"),
    ("E11.42", "type 2 diabetes with polyneuropathy"),
    ("I10", "essential hypertension"),
    ("J44.9", "COPD"),
    ("M17.11", "primary osteoarthritis of the right knee"),
    ("S72.001A", "fracture of the right femoral neck"),
    ("K35.80", "acute appendicitis"),
    ("N39.0", "urinary tract infection"),
    ("R10.9", "abdominal pain"),
    ("Z79.4", "long-term insulin use"),
    ("J18.9", "pneumonia"),
    ("I48.91", "atrial fibrillation"),
    ("E78.5", "hyperlipidemia"),
    ("M54.50", "low back pain"),
    ("K80.20", "gallstones without obstruction"),
    ("K40.90", "inguinal hernia"),
    ("E11.22", "diabetic chronic kidney disease"),
    ("N18.3", "chronic kidney disease stage 3"),
]
MODIFIERS = ["25", "59", "RT", "LT", "XS", "50", "XU"]
WORDS = [
    "acute appendicitis",
    "small bowel obstruction",
    "type 2 diabetes with peripheral neuropathy",
    "hypertension",
    "osteoarthritis of the right knee",
    "community acquired pneumonia",
    "atrial fibrillation on anticoagulation",
    "low back pain radiating to the left leg",
    "urinary tract infection",
    "hyperlipidemia",
    "sigmoid colon cancer",
    "chronic kidney disease stage 3",
    "COPD exacerbation",
    "congestive heart failure",
    "gallstones",
    "right inguinal hernia",
    "major depressive disorder, single episode",
    "iron deficiency anemia",
    "GERD",
    "obesity, BMI 36",
]
NARRATIVE = [
    "The patient was brought to the operating room and placed supine.",
    "General endotracheal anesthesia was induced without difficulty.",
    "The abdomen was prepped and draped in the usual sterile fashion.",
    "A midline laparotomy incision was made and carried down through the fascia.",
    "Dense adhesions were taken down sharply and the bowel was run from the ligament of Treitz.",
    "Estimated blood loss was 150 mL; no transfusion was required.",
    "The specimen was passed off the field and sent to pathology.",
    "Hemostasis was confirmed and the fascia was closed with running looped PDS.",
    "The skin was closed with staples and a sterile dressing applied.",
    "The patient tolerated the procedure well and went to recovery in stable condition.",
    "History of present illness: three days of crampy abdominal pain, nausea and vomiting.",
    "Review of systems is otherwise negative except as noted above.",
    "Vital signs were stable; afebrile, heart rate 88, blood pressure 138/84.",
    "Physical exam: abdomen distended, tympanic, diffusely tender without peritoneal signs.",
    "CT of the abdomen and pelvis showed dilated loops of small bowel with a transition point.",
    "Labs: white count 12.4, lactate 1.8, creatinine 1.1, glucose 212.",
    "Medications reviewed and reconciled; continue metformin and lisinopril.",
    "Assessment and plan discussed with the patient, who agrees with the plan.",
    "Follow up in the clinic in two weeks or sooner if symptoms worsen.",
    "Counseled on diet, exercise and smoking cessation for more than half of the visit.",
    "The right knee shows a moderate effusion with medial joint line tenderness.",
    "Under ultrasound guidance, the joint was injected with 40 mg of triamcinolone.",
    "A 6 x 4 cm wound over the sacrum was debrided to healthy bleeding subcutaneous tissue.",
    "Chest x-ray showed a right lower lobe infiltrate.",
    "ECG showed atrial fibrillation with a controlled ventricular rate.",
]
QUESTIONS = [
    "Can I bill {p1} with {p2} on the same day?",
    "Is {p1}-{m} correct here, and which diagnosis should go first?",
    "Please check these codes before I submit the claim.",
    "What ICD-10 codes fit this note? I was thinking {d1}.",
    "Do I need a modifier on {p2} if {p1} is also billed?",
    "Is {d1} billable, or do I need more characters?",
    "How many units of {p1} can I report?",
    "Would {d2} be excluded with {d1}?",
]
GREETINGS = ["Hi,", "Hello team,", "Good morning,", "Hi CaseConsultant,", ""]
SIGNATURES = [
    "Thanks,\nDana\nCoding Dept, Lakeside Clinic\n(312) 555-0187",
    "Regards,\nM. Ortiz, CPC\nRevenue Cycle",
    "Thank you!\nPriya",
    "--\nJ. Smith | Coding Specialist | ext. 4411",
]


def make_email(rng: random.Random, n: int, narrative: list[str] | None = None) -> bytes:
    narrative = narrative or NARRATIVE
    p1, p2 = rng.sample(PROCEDURES, 2)
    d1, d2, d3 = rng.sample(DIAGNOSES, 3)
    m = rng.choice(MODIFIERS)
    style = rng.random()
    lines = [rng.choice(GREETINGS), ""]
    lines.append(
        rng.choice(QUESTIONS).format(p1=p1[0], p2=p2[0], d1=d1[0], d2=d2[0], m=m)
    )
    lines.append("")
    dos = TODAY - timedelta(days=rng.randint(0, 120))
    lines.append(
        rng.choice(
            [
                f"DOS {dos:%m/%d/%Y}",
                f"Date of service: {dos.isoformat()}",
                f"seen on {dos:%B %d, %Y}",
                "",
            ]
        )
    )
    lines.append(
        f"MRN {rng.randint(10000000, 99999999):08d}, callback ({rng.randint(200, 989)}) 555-{rng.randint(0, 9999):04d}"
    )
    lines.append("")
    if style < 0.7:  # codes written out
        units = f" x {rng.randint(1, 4)} units" if rng.random() < 0.3 else ""
        lines.append(f"CPT: {p1[0]}-{m}{units}, {p2[0]}")
        lines.append(
            f"Dx: {d1[0]}, {d2[0]}" + (f", {d3[0]}" if rng.random() < 0.5 else "")
        )
        lines.append("")
    lines.append(
        f"Procedure: {p1[1]}" + (f" and {p2[1]}" if rng.random() < 0.6 else "") + "."
    )
    lines.append(
        f"Diagnoses: {rng.choice(WORDS)}; {d1[1]}; history of {rng.choice(WORDS)}."
    )
    lines.append("")
    target = rng.randint(2048, 5000)
    body = "\n".join(lines)
    paragraph: list[str] = []
    while len(body) + sum(len(s) + 1 for s in paragraph) < target - 200:
        paragraph.append(rng.choice(narrative))
        if rng.random() < 0.2:
            paragraph.append(f"Impression: {rng.choice(WORDS)}.")
        if len(paragraph) >= 6:
            body += "\n" + " ".join(paragraph) + "\n"
            paragraph = []
    body += "\n" + " ".join(paragraph) + "\n\n" + rng.choice(SIGNATURES) + "\n"

    msg = EmailMessage()
    msg["From"] = f"Coder {n} <coder{n % 40}@clinic.example>"
    msg["To"] = "consult@clinic.example"
    msg["Subject"] = rng.choice(
        [
            "Coding question",
            "Case review",
            f"{p1[0]} with {p2[0]}?",
            "Dx codes please",
            "claim check",
        ]
    )
    msg["Message-ID"] = make_msgid(idstring=f"bench{n}", domain="clinic.example")
    msg["Date"] = format_datetime(
        datetime(2026, 11, 24, 9, 0, tzinfo=UTC) + timedelta(minutes=n)
    )
    msg.set_content(body)
    return msg.as_bytes()


def real_prose_sentences() -> list[str]:
    """Sentences of the CodiEsp case reports in ../shared (real clinical prose that rarely
    repeats, so no per-sentence cache flatters the figure); empty when the file is absent."""
    path = SHARED / "data" / "eval" / "codiesp_train_dev.tsv"
    if not path.exists():
        return []
    sentences: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 2:
            sentences += [x.strip() + "." for x in parts[1].split(". ") if 40 <= len(x) <= 300]
    return sentences


# -- knowledge base ------------------------------------------------------------------------------


def knowledge_base(path: Path | None) -> tuple[Path, str, float]:
    from consultant.kb.build import build_kb, default_icd10cm_xml

    if path is not None and path.exists():
        return path, f"existing {path}", 0.0
    default = REPO / "var" / "kb.sqlite"
    if path is None and default.exists():
        return default, f"existing {default}", 0.0
    sources: list[tuple[str, Path]] = [("icd10cm_tabular", default_icd10cm_xml())]
    cms = SHARED / "data" / "cms"
    for kind, rel in (
        ("hcpcs", "hcpcs/2019-Alpha-Numeric-HCPCS-File.zip"),
        ("ncci_ptp", "ncci/ccipra-v322r0-f1.excerpt.txt"),
        ("mue", "ncci/MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv"),
    ):
        if (cms / rel).exists():
            sources.append((kind, cms / rel))
    out = Path(tempfile.mkdtemp(prefix="bench-kb-")) / "kb.sqlite"
    started = time.perf_counter()
    build_kb(out, sources)
    took = time.perf_counter() - started
    return (
        out,
        f"built in {took:.1f} s from {', '.join(k for k, _ in sources)} + starter",
        took,
    )


# -- the baseline ---------------------------------------------------------------------------------

_CODE_SHAPE = re.compile(
    r"\b(?:[A-TV-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?|\d{4}[0-9FTU]|[A-V]\d{4})\b"
)


class NaiveLookup:
    """Every code row in a Python list, scanned from the start for each token."""

    def __init__(self, conn) -> None:  # type: ignore[no-untyped-def]
        self.rows = [
            (r[0], r[1].replace(".", ""), r[2])
            for r in conn.execute("SELECT system, code, title FROM code")
        ]

    def find(self, token: str) -> list[tuple[str, str]]:
        bare = token.replace(".", "")
        return [(system, title) for system, code, title in self.rows if code == bare]


def stage_times(emails: list[bytes], book, index, settings) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Milliseconds per email of each stage, run as `pipeline.consult` and `analyze` run them."""
    from consultant.analysis import consult as analysis
    from consultant.analysis.edits import check_edits
    from consultant.mail.compose import compose_reply
    from consultant.mail.parse import parse_message
    from consultant.render import render_reply

    spent = dict.fromkeys(
        (
            "parse",
            "extract + dates",
            "lookup (judge)",
            "suggest",
            "edits",
            "render",
            "compose",
        ),
        0.0,
    )

    def timed(stage: str, fn, *a, **kw):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        out = fn(*a, **kw)
        spent[stage] += time.perf_counter() - t
        return out

    def judge_all(merged, text, book, dos):  # type: ignore[no-untyped-def]
        return tuple(analysis.judge(m, text, book, dos) for m in merged)

    for raw in emails:
        case = timed("parse", parse_message, raw, settings.limits)
        text = case.text
        found = timed("extract + dates", analysis.find_date_of_service, text)
        dos = found[0] if found else TODAY
        mentions = timed("extract + dates", analysis.extract_codes, text)
        merged = analysis.merge_mentions(mentions)
        verdicts = timed("lookup (judge)", judge_all, merged, text, book, dos)
        result = timed(
            "suggest",
            index.suggest,
            text,
            on=dos,
            limit=analysis.MAX_SUGGESTIONS * 2,
        )
        suggestions = analysis._new_suggestions(result.suggestions, mentions, text)
        timed("edits", check_edits, verdicts, suggestions, mentions, text, book, dos)
        findings = analysis.analyze(text, book, index, today=TODAY)
        rendered = timed("render", render_reply, findings, subject=case.subject)
        timed(
            "compose",
            compose_reply,
            case,
            rendered,
            from_addr=settings.bot_address,
            now=NOW,
            msgid=IDS(),
        )
    return {k: v * 1000 / max(1, len(emails)) for k, v in spent.items()}


# -- measuring -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--emails", type=int, default=1000)
    ap.add_argument(
        "--baseline-emails",
        type=int,
        default=200,
        help="emails for the naive baseline (it is slow)",
    )
    ap.add_argument(
        "--memory-emails", type=int, default=200, help="emails for the tracemalloc pass"
    )
    ap.add_argument(
        "--kb",
        type=Path,
        help="knowledge base to use (default var/kb.sqlite, else build one)",
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--against",
        metavar="REF",
        help="also run this benchmark as it is at git REF (a temporary worktree) on the same "
        "emails and knowledge base, and print both (e.g. --against cbb00ba, before issue 10)",
    )
    args = ap.parse_args(argv)

    from consultant.pipeline import Answer, ConsultSettings, consult

    kb_path, kb_how, build_seconds = knowledge_base(args.kb)
    rng = random.Random(args.seed)
    t_generate = time.perf_counter()
    emails = [make_email(rng, n) for n in range(args.emails)]
    t_generated = time.perf_counter()
    sizes = [len(e) for e in emails]
    settings = ConsultSettings(
        bot_address="consult@clinic.example",
        allowed_senders=("clinic.example",),
        message_id_domain="clinic.example",
    )

    # Ready time: open + index + first answer (cold), measured from process start.
    from consultant.analysis.suggest import SuggestIndex
    from consultant.kb.store import CodeBook

    t0 = time.perf_counter()
    book = CodeBook.open(kb_path)
    t_open = time.perf_counter()
    index = SuggestIndex.load(book)
    t_index = time.perf_counter()
    first = consult(emails[0], book=book, index=index, settings=settings, today=TODAY, now=NOW, message_ids=IDS)
    t_first = time.perf_counter()
    since_start = seconds_since_process_start()
    generate_seconds = t_generated - t_generate

    # Throughput of the pipeline (no tracing).
    latencies: list[float] = []
    outcomes = {"answered": 0, "skipped": 0, "escalated": 0}
    started = time.perf_counter()
    for raw in emails:
        a = time.perf_counter()
        out = consult(raw, book=book, index=index, settings=settings, today=TODAY, now=NOW, message_ids=IDS)
        latencies.append(time.perf_counter() - a)
        if isinstance(out, Answer):
            outcomes["answered"] += 1
            outcomes["escalated"] += out.findings.escalate
        else:
            outcomes["skipped"] += 1
    elapsed = time.perf_counter() - started
    rate = len(emails) / elapsed

    # The same pipeline on emails whose narrative is real case-report prose.
    prose = real_prose_sentences()
    prose_rate = None
    if prose:
        prng = random.Random(args.seed + 1)
        prose_emails = [make_email(prng, n, prose) for n in range(args.emails // 2)]
        p_started = time.perf_counter()
        for raw in prose_emails:
            consult(raw, book=book, index=index, settings=settings, today=TODAY, now=NOW, message_ids=IDS)
        prose_rate = len(prose_emails) / (time.perf_counter() - p_started)

    # Peak Python allocations over a sample.
    tracemalloc.start()
    for raw in emails[: args.memory_emails]:
        consult(raw, book=book, index=index, settings=settings, today=TODAY, now=NOW, message_ids=IDS)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # Where the time goes: the stages of one answer, timed apart over a sample.
    stages = stage_times(emails[: args.memory_emails], book, index, settings)

    # Baseline: parse + naive linear-scan lookup.
    from consultant.mail.parse import parse_message

    naive = NaiveLookup(book.connection)
    sample = emails[: args.baseline_emails]
    b0 = time.perf_counter()
    found = 0
    for raw in sample:
        case = parse_message(raw)
        for token in _CODE_SHAPE.findall(case.text):
            found += bool(naive.find(token))
    b_elapsed = time.perf_counter() - b0
    p0 = time.perf_counter()
    for raw in sample:
        parse_message(raw)
    p_elapsed = time.perf_counter() - p0
    book.close()
    if args.against and build_seconds:   # keep the built KB for the previous run
        pass
    elif build_seconds:
        shutil.rmtree(kb_path.parent, ignore_errors=True)  # the temp dir the KB was built in

    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("knowledge base", kb_how),
        (
            "emails",
            f"{len(emails)} ({min(sizes)}-{max(sizes)} bytes, median {int(statistics.median(sizes))})",
        ),
        (
            "outcomes",
            f"{outcomes['answered']} answered ({outcomes['escalated']} escalated), {outcomes['skipped']} skipped",
        ),
        ("pipeline throughput", f"{rate:.1f} emails/s on one core (target >= 100)"),
        (
            "  with real case prose",
            f"{prose_rate:.1f} emails/s ({args.emails // 2} emails whose narrative is CodiEsp sentences)"
            if prose_rate else "n/a (../shared/data/eval/codiesp_train_dev.tsv absent)",
        ),
        (
            "latency p50 / p95 / max",
            f"{percentile(latencies, 0.5) * 1000:.1f} / {percentile(latencies, 0.95) * 1000:.1f} / {max(latencies) * 1000:.1f} ms",
        ),
        *(
            (
                f"  stage: {k}",
                f"{v:.2f} ms/email (mean over the first {min(args.memory_emails, len(emails))})",
            )
            for k, v in stages.items()
        ),
        (
            "baseline parse + naive scan",
            f"{len(sample) / b_elapsed:.1f} emails/s ({len(sample)} emails, {found} codes found)",
        ),
        ("baseline parse only", f"{len(sample) / p_elapsed:.1f} emails/s"),
        (
            "peak traced memory",
            f"{peak / 1e6:.1f} MB over {min(args.memory_emails, len(emails))} emails (tracemalloc)",
        ),
        (
            "process peak RSS",
            f"{maxrss_mb:.0f} MB (ru_maxrss; includes the naive baseline's code list)",
        ),
        ("CodeBook.open", f"{(t_open - t0) * 1000:.1f} ms"),
        ("SuggestIndex.load", f"{(t_index - t_open) * 1000:.1f} ms"),
        (
            "first answer",
            f"{(t_first - t_index) * 1000:.1f} ms ({type(first).__name__})",
        ),
        (
            "process start -> ready",
            (
                f"{since_start - build_seconds - generate_seconds:.2f} s (interpreter, imports, open, index, "
                f"first answer; KB build and email generation excluded)"
                if since_start is not None
                else f"{t_first - _T_IMPORT - build_seconds - generate_seconds:.2f} s since import"
            ),
        ),
    ]
    if args.against:
        rows += previous(args.against, kb_path if not build_seconds else None, args)
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 50}")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0


COMPARED = ("pipeline throughput", "  with real case prose", "  stage: suggest", "SuggestIndex.load",
            "process start -> ready")


def previous(ref: str, kb_path: Path | None, args: argparse.Namespace) -> list[tuple[str, str]]:
    """The figures of this benchmark as it is at git `ref`, run in a temporary worktree
    (beside a link to ../shared) on the same emails and knowledge base."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-previous-"))
    tree = tmp / "repo"
    try:
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), ref],
                       check=True, capture_output=True)
        if SHARED.exists():
            (tmp / "shared").symlink_to(SHARED)
        cmd = [sys.executable, str(tree / "bench" / "throughput.py"), "--emails", str(args.emails),
               "--seed", str(args.seed), "--baseline-emails", "5",
               "--memory-emails", str(min(args.memory_emails, 20))]
        if kb_path is not None:
            cmd += ["--kb", str(kb_path)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    figures = {}
    for line in out.splitlines():
        for key in COMPARED:
            if line.startswith(key + " "):
                figures[key] = line[len(key):].strip()
    if not figures:
        return [(f"previous ({ref})", "did not run: " + (out.strip().splitlines() or ["no output"])[-1])]
    return [(f"previous ({ref}) {key.strip()}", figures.get(key, "n/a")) for key in COMPARED]


if __name__ == "__main__":
    raise SystemExit(main())
