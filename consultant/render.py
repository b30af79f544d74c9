"""Findings -> the reply's text and HTML parts, through Jinja2 templates.

The templates are laid out by `templates/reply.txt.j2` and `templates/reply.html.j2`; a
deployment may override any of them file by file with a folder of its own. Everything the
sender wrote (evidence phrases, subjects) reaches the templates as data: HTML is autoescaped,
and template syntax inside the data is never evaluated.

    >>> render_reply(findings, subject="Re: 44320 with 44140").text.splitlines()[0]  # doctest: +SKIP
    'CaseConsultant: 4 codes checked for 2026-11-18 ...'
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from consultant.analysis.coverage import blocking, not_checked_lines
from consultant.analysis.findings import (
    DELETED,
    ERROR,
    INFO,
    NEEDS_7TH,
    NOT_BILLABLE,
    NOT_IN_KB,
    NOT_YET_VALID,
    UNKNOWN,
    VALID,
    WARNING,
    CodeVerdict,
    Findings,
    Issue,
    Suggestion,
)
from consultant.analysis.procedures.view import procedure_view
from consultant.codes.mention import CPT, HCPCS, ICD10CM, MODIFIER
from consultant.reply_size import cap_findings

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
TEXT_TEMPLATE = "reply.txt.j2"
HTML_TEMPLATE = "reply.html.j2"
WIDTH = 72
PHRASE_LIMIT = 60  # evidence is a short phrase, never the case

SYSTEM_NAMES = {
    CPT: "CPT",
    HCPCS: "HCPCS Level II",
    ICD10CM: "ICD-10-CM",
    MODIFIER: "Modifier",
}
STATUS_WORDS = {
    VALID: "valid on the date of service",
    NOT_BILLABLE: "a heading, not billable: pick a more specific code",
    NEEDS_7TH: "incomplete: needs a 7th character",
    DELETED: "deleted: not valid on the date of service",
    NOT_YET_VALID: "not yet valid on the date of service",
    UNKNOWN: "not found in any release we hold",
    NOT_IN_KB: "not verified: the knowledge base has no row for this CPT code",
}
SEVERITY_WORDS = {ERROR: "ERROR", WARNING: "WARNING", INFO: "NOTE"}
DISCLAIMER = (
    "Code descriptions are plain-language summaries written by CaseConsultant, not AMA CPT "
    "descriptors. Verify every answer against your payer's policy and the official code sets "
    "before you bill. This reply does not quote your message back; each code shows only a "
    "short phrase of it as evidence."
)


@dataclass(frozen=True)
class RenderedReply:
    """The two parts of a reply: plain text (readable at 72 columns) and HTML."""

    text: str
    html: str


def score_word(score: float) -> str:
    """How sure a suggestion is, in a word a coder reads at a glance."""
    if score >= 0.8:
        return "strong"
    if score >= 0.6:
        return "likely"
    if score >= 0.4:
        return "possible"
    return "weak"


def short_phrase(text: str, limit: int = PHRASE_LIMIT) -> str:
    """One line of at most `limit` characters, cut at a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = (
        text[: limit - 1].rsplit(" ", 1)[0]
        if " " in text[: limit - 1]
        else text[: limit - 1]
    )
    return cut + "…"


def evidence_phrase(text: str, code: str, limit: int = PHRASE_LIMIT) -> str:
    """A short window of the evidence around the code, cut at words: the reply shows where a
    code was found, never the case itself."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    at = text.find(code)
    if at < 0:
        at = text.replace(".", "").find(code.replace(".", ""))
    if at < 0:
        return short_phrase(text, limit)
    start = max(0, min(at - limit // 3, len(text) - limit))
    end = start + limit
    window = text[start:end]
    if start > 0:
        window = window.split(" ", 1)[1] if " " in window[: at - start] else window
        window = "…" + window
    if end < len(text):
        window = (
            window.rsplit(" ", 1)[0]
            if " " in window[len(window) - (end - at - len(code)) :]
            else window
        )
        window += "…"
    return window


def wrap(
    text: str, width: int = WIDTH, first: str = "", rest: str | None = None
) -> str:
    """Greedy word wrap that never breaks a code or an address in two (what textwrap.fill does
    with break_long_words=False and break_on_hyphens=False, several times faster).

    >>> print(wrap("one two three four", 10, "- ", "  "))
    - one two
      three
      four
    """
    rest = first if rest is None else rest
    text = " ".join(str(text).split())
    if not text:
        return first.rstrip()
    lines: list[str] = []
    prefix = first
    while len(prefix) + len(text) > width:
        # the line takes every word up to the last space that leaves it within the width
        # (words hold no spaces), or one word alone when even that one is too long
        cut = text.rfind(" ", 0, max(0, width - len(prefix)) + 1)
        if cut < 0:
            cut = text.find(" ")
            if cut < 0:
                break
        lines.append(prefix + text[:cut])
        text, prefix = text[cut + 1:], rest
    lines.append(prefix + text)
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def summary_line(f: Findings, forwarded: bool = True) -> str:
    errors = sum(1 for i in f.issues if i.severity == ERROR)
    warnings = sum(1 for i in f.issues if i.severity == WARNING)
    parts = []
    modifiers = sum(1 for v in f.codes if v.system == MODIFIER)
    codes = len(f.codes) - modifiers
    if f.codes:
        named = [
            _plural(n, w) for n, w in ((codes, "code"), (modifiers, "modifier")) if n
        ]
        parts.append(
            f"{' and '.join(named)} checked for {f.date_of_service.isoformat()}"
        )
    else:
        parts.append(
            f"no codes named in your message (date of service {f.date_of_service.isoformat()})"
        )
    skipped = len(blocking(f.checks))
    if skipped and not errors and not warnings:
        # Never "0 warnings" when a check that applies could not run: that reads as clean.
        parts.append(
            f"the checks that ran found nothing, but {_plural(skipped, 'check')} that "
            f"{'applies' if skipped == 1 else 'apply'} could not run (see NOT CHECKED)"
        )
    else:
        parts.append(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}")
        if skipped:
            parts.append(f"{_plural(skipped, 'check')} could not run (see NOT CHECKED)")
    if f.suggestions:
        parts.append(_plural(len(f.suggestions), "suggested code"))
    line = "; ".join(parts) + "."
    if f.escalate:
        line += " Forwarded to a human coder." if forwarded else " Needs a human coder's review."
    return line[0].upper() + line[1:]


def _flagged(issues: Sequence[Issue]) -> dict[str, str]:
    """Code -> the worst problem naming it ('error' or 'warning'), for the code list."""
    out: dict[str, str] = {}
    for i in issues:
        if i.severity in (ERROR, WARNING):
            for code in i.codes:
                if out.get(code) != ERROR:
                    out[code] = i.severity
    return out


def _code_row(v: CodeVerdict, flagged: Mapping[str, str] | None = None) -> dict[str, Any]:
    status_words = STATUS_WORDS.get(v.status, v.status.replace("_", " "))
    problem = (flagged or {}).get(v.code)
    if problem is not None:      # never a bare 'valid' next to a code the problems above reject
        status_words += f"; but see the {'error' if problem == ERROR else 'warning'} on it above"
    return {
        "code": v.code,
        # the code line as the sender wrote it: code, modifiers, units ('73110-RT x 1')
        "line": v.code
        + "".join(f"-{m.code}" for m in v.modifiers)
        + (f" x {v.units}" if v.units is not None else ""),
        "system": SYSTEM_NAMES.get(v.system, v.system),
        "status": v.status,
        "status_words": status_words,
        "ok": v.status == VALID and problem is None,
        "title": v.title or "",
        "plain": v.plain if v.plain and v.plain != v.title else "",
        "modifiers": [
            {"code": m.code, "meaning": m.meaning or "unknown modifier", "fits": m.fits}
            for m in v.modifiers
        ],
        "units": v.units,
        "evidence": evidence_phrase(v.evidence, v.code) if v.evidence else "",
        "did_you_mean": [{"code": c, "title": t} for c, t in v.did_you_mean[:5]],
        "children": [{"code": c, "title": t} for c, t in v.billable_children[:8]],
        "more_children": max(0, len(v.billable_children) - 8),
        "seventh": [{"character": c, "meaning": m} for c, m in v.seventh_characters],
        "source": v.source,
    }


def _suggestion_row(s: Suggestion) -> dict[str, Any]:
    return {
        "code": s.code,
        "system": SYSTEM_NAMES.get(s.system, s.system),
        "title": s.title,
        "strength": score_word(s.score),
        "phrase": short_phrase(s.phrase),
        "reason": s.reason,
        "status": s.status,
        "supports": list(s.supports),
    }


def _release_line(r: Any, on: Any) -> str:
    valid = ""
    if r.valid_from or r.valid_to:
        start = r.valid_from.isoformat() if r.valid_from else "…"
        end = r.valid_to.isoformat() if r.valid_to else "…"
        valid = f", valid {start} to {end}"
        if (r.valid_from and on < r.valid_from) or (r.valid_to and r.valid_to < on):
            valid += " (does not cover the date of service; the newest release held)"
    return f"{r.dataset}: {r.release}{valid}"


def date_source_words(source: str) -> str:
    """'email: DOS 11/18/2026' -> 'stated in your message ("DOS 11/18/2026")'."""
    if source.startswith("email"):
        phrase = source.partition(":")[2].strip()
        return "stated in your message" + (
            f' ("{short_phrase(phrase, 40)}")' if phrase else ""
        )
    return "not stated in your message, so today's date was used"


def view_model(f: Findings, subject: str, forwarded: bool = True) -> dict[str, Any]:
    """Plain values for the templates; all wording decisions that are not layout live here."""
    flagged = _flagged(f.issues)
    return {
        "subject": subject,
        "summary": summary_line(f, forwarded),
        "issues": [
            {
                "severity": i.severity,
                "label": SEVERITY_WORDS.get(i.severity, i.severity.upper()),
                "codes": list(i.codes),
                "message": i.message,
                "source": i.source,
            }
            for i in sorted(f.issues, key=lambda i: i.severity != ERROR)
            if i.severity in (ERROR, WARNING)
        ],
        "notes_info": [
            {"message": i.message, "source": i.source}
            for i in f.issues
            if i.severity not in (ERROR, WARNING)
        ],
        "codes": [_code_row(v, flagged) for v in f.codes],
        "procedures": procedure_view(f.procedures),
        "suggestions": [_suggestion_row(s) for s in f.suggestions],
        "gaps": [
            {"phrase": short_phrase(g.phrase), "question": g.question} for g in f.gaps
        ],
        "date_of_service": f.date_of_service.isoformat(),
        "date_source": date_source_words(f.date_source),
        "releases": [_release_line(r, f.date_of_service) for r in f.releases],
        "answers": [
            {
                "question": a.question,
                "answer": a.answer,
                "basis": a.basis,
                "settled": a.settled,
            }
            for a in f.answers
        ],
        "not_checked": list(not_checked_lines(f.checks)),
        "escalate": f.escalate,
        "forwarded": forwarded,
        "escalation_reasons": list(f.escalation_reasons),
        "thread_codes": list(f.thread_codes),
        "notes": [short_phrase(n, 200) for n in f.notes],
        "disclaimer": DISCLAIMER,
        "width": WIDTH,
    }


_DICT_NAMES = frozenset(dir(dict))


class _ReplyEnvironment(jinja2.Environment):
    """Jinja's environment, reading the view model's rows (dicts) by key first.

    `row.code` in a template is `getattr(row, "code")` first, then `row["code"]`: for a dict
    row that is a raised and caught AttributeError per field, some 400 per reply. A key that
    does not shadow a dict attribute gives the same value either way, so it is read directly.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_NAMES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs, so a start does not spend ~75 ms compiling them.

    In jinja's per-user private folder (it creates it 0700 and refuses one that is not ours);
    a template whose source changed is compiled again (its checksum is stored). The file names
    carry a hash of this module, where the environment's options are set, so compiled code is
    never read back under other options. A cache that cannot be read or written is no cache.
    """

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _template_cache() -> jinja2.BytecodeCache | None:
    try:
        options = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
        return _TemplateCache(pattern=f"__caseconsultant_{options}_%s.cache")
    except (OSError, RuntimeError):       # no private temp folder: compile each start
        return None


@lru_cache(maxsize=8)
def _environment(override: str | None) -> jinja2.Environment:
    search = [override] if override else []
    env = _ReplyEnvironment(
        loader=jinja2.FileSystemLoader([*search, str(TEMPLATES_DIR)]),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "html.j2", "htm.j2"),
            disabled_extensions=("txt", "txt.j2"),
            default=True,
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,      # templates are read once per process: no stat() per reply
        bytecode_cache=_template_cache(),
    )
    env.filters["wrap"] = wrap
    return env


def render_reply(
    findings: Findings,
    *,
    subject: str,
    templates_dir: Path | None = None,
    forwarded: bool = True,
) -> RenderedReply:
    """Render the reply for one case. `templates_dir` overrides the bundled templates file by file;
    `forwarded` says whether an escalated case really goes to a human (an escalation address is
    configured) or the reply can only say that it needs one."""
    env = _environment(str(templates_dir) if templates_dir else None)
    findings = cap_findings(findings)     # a reply of bounded size, whatever the case (reply_size.py)
    model = view_model(findings, subject, forwarded)
    try:
        text = env.get_template(TEXT_TEMPLATE).render(model)
        html = env.get_template(HTML_TEMPLATE).render(model)
    except jinja2.TemplateError as e:
        from consultant.errors import ConfigError

        raise ConfigError(
            "templates.dir",
            f"reply template failed ({type(e).__name__}: {e}); fix the override in "
            f"{templates_dir or TEMPLATES_DIR} or remove it to use the bundled templates",
        ) from e
    return RenderedReply(text=_tidy(text), html=html)


def _tidy(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line == "" and (not out or out[-1] == ""):
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"
