"""Which consult the integration tests drive: the real pipeline, or a stand-in while parts land.

The real one (`consultant.pipeline.consult` with the full knowledge base) is used whenever
every module it needs imports. Until then (other helpers write analysis/suggest at the same
time) `stand_in_consult` keeps the mail edge testable: the REAL parse, robots policy, render
and compose, with a tiny regex "analysis" in place of `analysis.consult.analyze`.
TODO: delete the stand-in once `consultant.analysis.suggest` has landed everywhere.
"""

from __future__ import annotations

import importlib
import re
from datetime import date
from typing import Any

NEEDED = ("consultant.mail.parse", "consultant.mail.robots", "consultant.analysis.consult",
          "consultant.analysis.suggest", "consultant.render", "consultant.kb.build")


def real_pipeline_available() -> bool:
    try:
        for name in NEEDED:
            importlib.import_module(name)
    except ImportError:
        return False
    return True


_CODE = re.compile(r"\b(\d{5}|[A-TV-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?)\b")


def stand_in_consult(raw: bytes, *, book: Any, index: Any, settings: Any, today: date,
                     thread_codes: tuple[str, ...] = ()) -> Any:
    from consultant.analysis.findings import VALID, CodeVerdict, Findings
    from consultant.mail.compose import compose_reply
    from consultant.mail.parse import parse_message
    from consultant.mail.robots import SenderPolicy, skip_reason
    from consultant.pipeline import Answer, Skip
    from consultant.render import render_reply

    case = parse_message(raw, settings.limits)
    reason = skip_reason(case, SenderPolicy(settings.bot_address, settings.allowed_senders,
                                            settings.message_id_domain))
    if reason is not None:
        return Skip(case, reason)
    codes = tuple(dict.fromkeys(m.group(1) for m in _CODE.finditer(case.text)))
    verdicts = tuple(CodeVerdict(system="CPT" if c.isdigit() else "ICD10CM", code=c, status=VALID,
                                 title=f"code {c}", plain=None, evidence=c) for c in codes)
    findings = Findings(date_of_service=today, date_source="today", codes=verdicts, suggestions=(),
                        issues=(), gaps=(), releases=(), thread_codes=thread_codes)
    rendered = render_reply(findings, subject=case.subject)
    reply = compose_reply(case, rendered, from_addr=settings.bot_address,
                          message_id_domain=settings.message_id_domain)
    return Answer(case, findings, reply)
