"""`consultant answer FILE.eml|-`: print the reply the bot would send for one message.

Runs the same pure pipeline as the daemon (`consultant.pipeline.consult`) against the
configured knowledge base, with no mail server: a way to try the bot, and to debug a case.

    $ consultant answer case.eml --today 2026-11-24
    $ consultant answer - --json < case.eml
"""

from __future__ import annotations

import copy
import dataclasses
import email.policy
import json
import logging
import sys
import time
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from consultant.errors import UsageError
from consultant.mail.stamps import message_ids

log = logging.getLogger(__name__)


def parse_today(value: str | None) -> date:
    """The --today value as a date (today when absent); a UsageError says what to write."""
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value.strip())
    except ValueError as e:
        raise UsageError(
            f"--today {value!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-24"
        ) from e


def read_message(name: str) -> bytes:
    """The raw message from a file, or from standard input for '-'."""
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name)
    try:
        return path.read_bytes()
    except FileNotFoundError as e:
        raise UsageError(
            f"message file {name!r} does not exist: give the path of a saved .eml or - for stdin"
        ) from e
    except IsADirectoryError as e:
        raise UsageError(
            f"{name!r} is a folder: give the path of one saved .eml message"
        ) from e
    except OSError as e:
        raise UsageError(
            f"cannot read message file {name!r} ({e.strerror}): check its permissions"
        ) from e


def printable(msg: EmailMessage) -> str:
    """The message as it would be sent, headers included, with the text part decoded (the
    sent copy is quoted-printable; this shows the same words as a person reads them)."""
    shown = copy.deepcopy(msg)
    for part in shown.walk():
        if part.get_content_type() == "text/plain" and not part.is_attachment():
            assert isinstance(part, EmailMessage)
            had_version = "MIME-Version" in part
            text = part.get_content()
            part.set_content(text, cte="8bit")
            if not had_version:
                del part["MIME-Version"]
    out = shown.as_bytes(policy=email.policy.SMTPUTF8.clone(linesep="\n"))
    return out.decode("utf-8", "replace")


def _plain(value: Any) -> Any:
    """Dataclasses, tuples and dates as JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def analysis_json(findings: Any, mentions: Any) -> dict[str, Any]:
    """The whole analysis of one answered message, as `answer --json` prints it."""
    return {
        "date_of_service": findings.date_of_service.isoformat(),
        "date_source": findings.date_source,
        "mentions": [
            {
                "system": m.system,
                "code": m.code,
                "raw": m.raw,
                "span": [m.start, m.end],
                "modifiers": list(m.modifiers),
                "units": m.units,
            }
            for m in mentions
        ],
        "codes": _plain(findings.codes),
        "suggestions": _plain(findings.suggestions),
        "issues": _plain(findings.issues),
        "gaps": _plain(findings.gaps),
        "releases": _plain(findings.releases),
        "escalate": findings.escalate,
        "escalation_reasons": list(findings.escalation_reasons),
        "thread_codes": list(findings.thread_codes),
        "notes": list(findings.notes),
        "checks": [
            {"name": c.name, "label": c.label, "ran": c.ran, "release": c.release,
             "reason": c.reason, "codes": list(c.codes)}
            for c in getattr(findings, "checks", ())
        ],
        "answers": _plain(getattr(findings, "answers", ())),
        "procedures": _plain(findings.procedures),
    }


def main(args: Any) -> int:
    today = parse_today(getattr(args, "today", None))
    raw = read_message(args.file)

    from consultant.analysis.suggest import SuggestIndex
    from consultant.codes.extract import extract_codes
    from consultant.config import load_config
    from consultant.kb.store import CodeBook
    from consultant.pipeline import Skip, consult

    config = load_config(getattr(args, "config", None))
    settings = config.consult_settings()

    started = time.perf_counter()
    book = CodeBook.open(config.kb.path)
    try:
        index = SuggestIndex.load(book)
        outcome = consult(raw, book=book, index=index, settings=settings, today=today, now=datetime.now(UTC),
                          message_ids=message_ids(settings.message_id_domain))
    finally:
        book.close()
    log.debug("answered in %.0f ms", (time.perf_counter() - started) * 1000)

    if isinstance(outcome, Skip):
        if getattr(args, "json", False):
            print(json.dumps({"skipped": True, "reason": outcome.reason}, indent=2))
        else:
            print(f"not answered: {outcome.reason}")
        return 0
    if getattr(args, "json", False):
        mentions = extract_codes(outcome.case.text)
        print(
            json.dumps(
                analysis_json(outcome.findings, mentions), indent=2, ensure_ascii=False
            )
        )
        return 0
    sys.stdout.write(printable(outcome.reply))
    if outcome.escalation is not None:
        print(f"\n(a copy goes to the human coder at {outcome.escalation['To']})")
    return 0
