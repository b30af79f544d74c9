"""What the analysis found, as plain data: the reply, the JSON output and the escalation
are all made from a `Findings`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from consultant.kb.records import Release

if TYPE_CHECKING:
    from consultant.analysis.procedures.model import ProcedureReview

# Verdict statuses of one code.
VALID = "valid"                    # known and billable/valid for the date of service
NOT_BILLABLE = "not_billable"      # ICD-10-CM header (category/subcategory): pick a child
NEEDS_7TH = "needs_7th"            # ICD-10-CM code that needs a 7th character (or X placeholders)
DELETED = "deleted"                # existed before the date of service, not on it
NOT_YET_VALID = "not_yet_valid"    # exists only after the date of service
UNKNOWN = "unknown"                # not in any release the knowledge base holds
NOT_IN_KB = "not_in_kb"            # CPT-shaped code with no row in the knowledge base: "not verified"

# Issue severities.
ERROR = "error"        # a claim scrubber would reject it
WARNING = "warning"    # needs a coder's look
INFO = "info"


@dataclass(frozen=True)
class ModifierVerdict:
    code: str
    meaning: str | None          # None when the modifier is unknown
    fits: bool = True            # False when it does not fit the code (say why in an Issue)


@dataclass(frozen=True)
class CodeVerdict:
    """One code the case mentions, and what the knowledge base says of it."""

    system: str
    code: str
    status: str
    title: str | None            # official title or our plain-language summary
    plain: str | None            # our plain-language summary, when we have one
    evidence: str                # a short phrase of the case around the mention (not the case)
    modifiers: tuple[ModifierVerdict, ...] = ()
    units: int | None = None
    did_you_mean: tuple[tuple[str, str], ...] = ()       # (code, title)
    billable_children: tuple[tuple[str, str], ...] = ()  # for headers: (code, title)
    seventh_characters: tuple[tuple[str, str], ...] = () # for NEEDS_7TH: (character, meaning)
    source: str = ""             # data set the answer came from


@dataclass(frozen=True)
class Suggestion:
    """A code suggested for something the case says in words."""

    system: str                  # ICD10CM | CPT | HCPCS
    code: str
    title: str
    score: float                 # 0..1, higher is surer
    span: tuple[int, int]        # in the case text
    phrase: str                  # the words of the case it came from
    reason: str                  # 'matched "loop colostomy" to index term ...'
    status: str = "current"      # current | history | status | uncertain
    supports: tuple[str, ...] = ()   # for procedures: the diagnosis codes supporting it


@dataclass(frozen=True)
class Issue:
    """A problem between or about codes: an edit a claim scrubber would apply, and more."""

    severity: str                # error | warning | info
    kind: str                    # ncci_ptp | mue | addon | excludes1 | seventh_character |
                                 # code_first | use_additional | sex | age | date | modifier |
                                 # unknown_code | not_billable | medical_necessity | uncertain_dx
    codes: tuple[str, ...]
    message: str                 # one sentence a coder understands, saying what to do
    source: str = ""             # data set / rule the issue comes from


@dataclass(frozen=True)
class DocumentationGap:
    phrase: str                  # what the case says
    question: str                # what to ask the physician


@dataclass(frozen=True)
class CheckRecord:
    """Whether one family of checks ran for this case, on which release, and if not, why: a
    reply must never read as clean when a check that applies could not run."""

    name: str                    # validity_icd10cm | validity_cpt | validity_hcpcs | ncci_ptp | mue |
                                 # addon | icd_notes | global_period | pc_tc | bilateral |
                                 # assistant | modifier_fit | medical_necessity
    label: str                   # what the check is, in words ('bundling (NCCI PTP)')
    ran: bool
    release: str | None = None   # dataset it ran on (or the newest held when it could not)
    reason: str = ""             # why not (or a limit of what ran), in words a coder reads
    codes: tuple[str, ...] = ()  # the codes it applied to


@dataclass(frozen=True)
class DirectAnswer:
    """A direct answer to one question the mail asks, for the top of the reply."""

    kind: str                    # bundling | modifier | units | validity | global_period | sequencing
    question: str                # the question as we understood it, in a few words
    answer: str                  # one or two sentences; 'Cannot tell, because ...' when unsure
    basis: str = ""              # the rule and release it rests on
    codes: tuple[str, ...] = ()
    settled: bool = True         # False when the answer is 'cannot tell'


@dataclass(frozen=True)
class Findings:
    """Everything the reply says, for one case and one date of service."""

    date_of_service: date
    date_source: str                         # 'email' (with the phrase) or 'today'
    codes: tuple[CodeVerdict, ...]
    suggestions: tuple[Suggestion, ...]
    issues: tuple[Issue, ...]
    gaps: tuple[DocumentationGap, ...]
    releases: tuple[Release, ...]
    escalate: bool = False
    escalation_reasons: tuple[str, ...] = ()
    thread_codes: tuple[str, ...] = ()       # codes already discussed earlier in the thread
    notes: tuple[str, ...] = ()              # what could not be read (attachments, charsets)
    checks: tuple[CheckRecord, ...] = ()     # which check families ran, on what, and why not
    answers: tuple[DirectAnswer, ...] = ()   # direct answers to the questions asked, first
    asks: bool = True                        # False for a thank-you or report-back: no reply
    procedures: ProcedureReview | None = None  # procedure codes picked from the note (issue 13)
