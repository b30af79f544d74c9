"""One message in, one decision out: the pure core that `consultant answer` and the daemon share.

    raw bytes --parse--> Case --robots--> skip?  --extract/analyze--> Findings --render/compose--> reply

No I/O here: the knowledge base and suggestion index are passed in (read-only, typed by
the ports in `consultant.analysis.ports`), and so are today's date, the time stamped on
the reply and the Message-IDs it gets (`consultant.mail.stamps`): the same input gives the
same bytes. The daemon records the outcome in the ledger and sends it; `answer` prints it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path

from consultant.analysis.consult import analyze, escalation_reasons
from consultant.analysis.findings import Findings
from consultant.analysis.ports import KnowledgeBase, SuggestionIndex
from consultant.mail.authentication import check_authentication
from consultant.mail.case import Case, ParseLimits
from consultant.mail.compose import compose_escalation, compose_reply
from consultant.mail.parse import parse_message
from consultant.mail.robots import SenderPolicy, skip_reason
from consultant.mail.stamps import MessageIds
from consultant.render import render_reply


@dataclass(frozen=True)
class ConsultSettings:
    """What the pure core needs to know of the deployment (built from the configuration)."""

    bot_address: str                              # the consult address; never answered, never CC'd
    allowed_senders: tuple[str, ...] = ()         # 'coder@clinic.org' or whole domains 'clinic.org'
    escalation_address: str | None = None         # human coder for cases the bot cannot answer
    message_id_domain: str = "caseconsultant.invalid"
    templates_dir: Path | None = None             # override folder; falls back to templates/
    limits: ParseLimits = field(default_factory=ParseLimits)
    require_authentication: bool = False          # topmost Authentication-Results must pass
    authserv_id: str | None = None                # our receiving server's id in that header
    setting: str = "outpatient"                   # uncertain diagnoses: outpatient flags, inpatient codes
    # DKIM checked by the bot where no trusted Authentication-Results exists: dkimpy's TXT
    # lookup (the daemon) or a stub (tests); None = off ([consult.authentication] verify_dkim)
    dkim_dns: Callable[..., bytes | None] | None = None


@dataclass(frozen=True)
class Skip:
    """Not answered, with the reason that goes to the log (never body text)."""

    case: Case | None
    reason: str


@dataclass(frozen=True)
class Answer:
    """A reply to send; `escalation` is the copy for the human coder, when one is needed."""

    case: Case
    findings: Findings
    reply: EmailMessage
    escalation: EmailMessage | None = None


Outcome = Skip | Answer


def consult(
    raw: bytes,
    *,
    book: KnowledgeBase,
    index: SuggestionIndex,
    settings: ConsultSettings,
    today: date,
    now: datetime,
    message_ids: MessageIds,
    thread_codes: tuple[str, ...] = (),
) -> Outcome:
    """Decide what to do with one raw message. Never raises on bad mail: bad mail is a Skip.
    `now` is the time the reply is stamped with; `message_ids` gives each mail its Message-ID."""
    case = parse_message(raw, settings.limits)
    policy = SenderPolicy(
        bot_address=settings.bot_address,
        allowed_senders=settings.allowed_senders,
        message_id_domain=settings.message_id_domain,
    )
    reason = skip_reason(case, policy)
    if reason is not None:
        return Skip(case, reason)
    if settings.require_authentication:
        verdict = check_authentication(case.headers, case.sender, settings.authserv_id or "")
        if not verdict.passed and not verdict.header_found and settings.dkim_dns is not None:
            from consultant.mail.dkim_check import verify_dkim

            verdict = verify_dkim(raw, case.sender, settings.dkim_dns)
        if not verdict.passed:
            return Skip(case, f"sender not authenticated: {verdict.reason}")
    findings = analyze(
        case.text,
        book,
        index,
        today=today,
        thread_codes=thread_codes,
        notes=case.notes + tuple(a.note for a in case.attachments if a.note),
        setting=settings.setting,
    )
    unread_documents = any(a.note and not a.content_type.startswith("image/") for a in case.attachments)
    nothing_found = not findings.codes and not findings.suggestions and not unread_documents
    if not getattr(findings, "asks", True):  # a thank-you or report-back: no question (issue 11)
        return Skip(case, "no coding question: a thank-you or a note with no request")
    if nothing_found and not escalation_reasons(case.text):
        # Not a coding case (a newsletter, a thank-you, a lunch invitation): no reply, logged.
        return Skip(case, "no coding question: no code or clinical term found")
    rendered = render_reply(
        findings,
        subject=case.subject,
        templates_dir=settings.templates_dir,
        forwarded=bool(settings.escalation_address),
    )
    reply = compose_reply(case, rendered, from_addr=settings.bot_address, now=now, msgid=message_ids(),
                          allowed_senders=settings.allowed_senders)
    escalation = None
    if findings.escalate and settings.escalation_address:
        escalation = compose_escalation(
            case,
            raw,
            rendered,
            from_addr=settings.bot_address,
            to_addr=settings.escalation_address,
            now=now,
            msgid=message_ids(),
        )
    return Answer(case, findings, reply, escalation)
