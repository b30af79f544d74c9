"""Escalation by meaning: requests a bot must not decide, recognised from what the mail asks
(an intent joined to its object), not from single keywords, each with what the guidelines say.

    >>> [r.kind for r in escalations("What dx should we put so it pays?")]
    ['payment_driven']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from consultant.analysis import prefilter
from consultant.analysis.findings import WARNING, Issue
from consultant.codes.mention import Mention

_CODE_WORD = r"(?:dx|diagnos[ie]s|icd|code|codes|cpt|level|e/?m|modifier|\b[A-TV-Z]\d{2}\.?\w*|\b99\d{3})"
_PAID = (r"(?:pays?|paid|gets?\s+(?:it\s+)?(?:paid|covered|through|approved)|goes\s+through|covered|cover\s+it|"
         r"reimburs\w*|approved|not\s+(?:be\s+)?denied|stops?\s+(?:the\s+)?denying|won'?t\s+deny|"
         r"get\s+around\s+the\s+denial)")


@dataclass(frozen=True)
class Escalation:
    kind: str
    reason: str          # why a person must answer, and what the guidelines say


RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "payment_driven",
        re.compile(
            # choose a code so that it pays: 'what dx should we put so it pays', 'which diagnosis
            # will get this covered', 'a code that Medicare will accept'
            rf"\b(?:what|which|a|any|some|best|another)\s+(?:\w+\s+){{0,2}}{_CODE_WORD}[^.?!\n]{{0,80}}"
            rf"\b(?:so|so\s+that|to\s+make|that|to\s+get|in\s+order)\b[^.?!\n]{{0,40}}{_PAID}"
            rf"|\b{_CODE_WORD}[^.?!\n]{{0,40}}\b(?:will|would|that)\s+(?:\w+\s+){{0,4}}{_PAID}"
            r"|\bjust\s+tell\s+me\s+what\s+works\b",
            re.IGNORECASE,
        ),
        "it asks to choose a code so that the claim is paid rather than from what the provider "
        "documented. The ICD-10-CM Official Guidelines (Section I.A, Sections III-IV) and CMS "
        "rules allow only codes that the medical record supports: we cannot pick a diagnosis "
        "to get paid; if the record may support a more specific code, query the provider, and "
        "for Medicare consider an ABN when coverage is doubtful",
    ),
    (
        "upcoding",
        re.compile(
            r"\b(?:bump|bumped|bumping|raise|raising|increase|increasing|upgrade|upgrading|level\s+up|"
            r"push|max\s+out)\b[^.?!\n]{0,40}\b(?:99\d{3}|level\s*\d|(?:a\s+)?higher\s+(?:level|code)|"
            r"e/?m\s+levels?|the\s+levels?)\b"
            r"|\bupcod\w*"
            r"|\b(?:bill|code)\s+(?:every|all|each)\s+(?:\w+\s+){0,2}(?:visits?|patients?|encounters?|claims?)\s+as\b"
            r"|\b(?:add|put|use|code)\s+\S+(?:\s+\S+){0,2}\s+(?:to|on|for)\s+(?:every|all|each)\s+(?:\w+\s+){0,2}"
            r"(?:patients?|diabetics?|visits?|claims?|encounters?)"
            r"|\bsame\s+(?:code|dx|diagnosis|level)\s+(?:for|on)\s+(?:every|all|each)\b",
            re.IGNORECASE,
        ),
        "it asks to report a higher level or the same code for every visit regardless of the "
        "documentation. E/M levels must be supported by the documented medical decision making "
        "or time, and each diagnosis by the provider's own documentation of that encounter; "
        "coding beyond the record is upcoding, a compliance matter, so we cannot do it",
    ),
    (
        "payer_policy",
        re.compile(
            r"\b(?:does|do|will|would|is)\s+(?:\w+\s+){0,4}(?:they|the\s+(?:plan|payer|payor|insurer)|"
            r"this\s+(?:plan|payer))\b[^.?!\n]{0,40}\b(?:limit|cover|covers|pay|allow|want|require|accept|prefer)\w*"
            r"|\bstep[- ]therapy|\bfrequency\s+limit\w*|\b(?:formulary|medical\s+policy|drug\s+policy)\b"
            r"|\bper\s+year\s+per\b|\b(?:their|the\s+payer'?s?)\s+(?:polic\w+|rules?|limits?|list)",
            re.IGNORECASE,
        ),
        "it asks what a particular payer covers, limits or prefers; that is the payer's own "
        "policy, which we do not hold: check the plan's published medical or drug policy and "
        "provider manual, or contact provider services to verify",
    ),
    (
        "prior_authorization",
        re.compile(r"\bprior\s+auth\w*|\bpre-?auth\w*|\bpre-?cert\w*|\bauthori[sz]ation\s+(?:request|number|for)\b",
                   re.IGNORECASE),
        "we cannot submit or predict a prior authorization (the mail asks about one): that goes "
        "through your authorization staff and the payer's portal",
    ),
    (
        "appeal",
        re.compile(r"\bappeal\w*\b|\breconsideration\b|\bredetermination\b|\bdispute\s+(?:the\s+)?denial",
                   re.IGNORECASE),
        "it asks for an appeal of a payer decision: an appeal needs a human coder or your billing "
        "team to review the full record, and filing it is outside this service",
    ),
    (
        "compliance_legal",
        re.compile(
            r"\boverpayment\w*|\bself-?disclos\w*|\bFalse\s+Claims|\bOIG\b|\b(?:refund|pay\s+back)\b[^.?!\n]{0,60}"
            r"\b(?:claims?|medicare|payer|money)|\bhow\s+far\s+back\b|"
            r"\b(?:legal|financial|FCA|liability)\s+exposure|\bexposure\s+(?:to|under)\s+(?:the\s+)?"
            r"(?:False|FCA|liab\w*)|\bliab(?:le|ility)\b|\bfraud\w*|"
            r"\blawsuit|\battorney|\blawyer|\bwhistle-?blow|\bkickback|\bstark\s+law|\bis\s+(?:it|this|that)\s+legal\b",
            re.IGNORECASE,
        ),
        "it raises a compliance or legal question (refunds, disclosure, liability): that must go "
        "to your compliance officer and healthcare legal counsel; a coding bot cannot advise on it",
    ),
)


def escalations(text: str) -> tuple[Escalation, ...]:
    """What in the mail a person must decide, with the reason and the guideline, in rule order."""
    return tuple(Escalation(kind, reason) for kind, pattern, reason in RULES
                 if prefilter.search(pattern, text))


def request_issues(text: str, mentions: tuple[Mention, ...] | list[Mention],
                   found: tuple[Escalation, ...]) -> tuple[Issue, ...]:
    """For a payment-driven or upcoding request, each code named in it gets a warning that it
    may be reported only when the documentation supports it - never help to upcode."""
    kinds = {e.kind for e in found}
    if not kinds & {"payment_driven", "upcoding"}:
        return ()
    out = []
    for m in {m.code: m for m in mentions if m.system != "MODIFIER"}.values():
        start = max(text.rfind(".", 0, m.start), text.rfind("\n\n", 0, m.start)) + 1
        end = min((i for i in (text.find(".", m.end), text.find("\n\n", m.end)) if i >= 0),
                  default=len(text))
        sentence = text[start:end + 1]
        if not any(p.search(sentence) for k, p, _ in RULES if k in ("payment_driven", "upcoding")) and \
                not re.search(r"\?|\bbump|\bso\s+it\s+pays", sentence, re.IGNORECASE):
            continue
        out.append(Issue(
            WARNING, "documentation", (m.code,),
            f"Do not report {m.code} because it would pay or because a level is wanted: report it "
            f"only if the provider's documentation supports it (query the provider if unsure).",
            "ICD-10-CM Official Guidelines Sections I.A, III-IV; CMS E/M documentation rules",
        ))
    return tuple(out)
