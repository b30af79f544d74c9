"""What the Medicare Physician Fee Schedule indicators of a code mean for a coder.

Pure functions over `PaymentIndicators` (one line of the PFS relative value file, from
`CodeBook.payment`). Every meaning is written in our own words from the file's own
documentation (the record layout and Attachment A of the RVU file PDF, e.g. RVU25A.pdf) and
the Medicare Claims Processing Manual, chapter 12 (§30 correct coding, section 40 surgeons and global
surgery: section 40.6 multiple surgery, section 40.7 bilateral surgery, section 40.8 co-surgeons and team surgeons,
§20.4.2 / section 100 assistants at surgery and teaching physicians). Nothing here guesses: when
`CodeBook.payment` gives None the caller says the check could not run.

    >>> from datetime import date
    >>> from consultant.kb.records import PaymentIndicators
    >>> p = PaymentIndicators("44320", "", "A", "0", "090", 0.09, 0.81, 0.10, "2", "0", "2", "1", "0",
    ...                       None, 19.41, 33.59, 33.59, 33.4009, date(2026, 7, 1), None, "pfs-2026-07")
    >>> modifier_problem(p, "50")[0]
    'not_allowed'
    >>> global_period(p, date(2026, 11, 2))
    (datetime.date(2026, 11, 1), datetime.date(2027, 1, 31))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from consultant.kb.records import PaymentIndicators

RVU_DOC = "CMS PFS relative value file documentation (record layout and Attachment A)"
MANUAL = "Medicare Claims Processing Manual, ch. 12"

STATUS: dict[str, str] = {
    "A": "active: paid separately under the fee schedule when covered",
    "B": "bundled: never paid separately; its payment is part of the service it goes with",
    "C": "contractor priced: the MAC sets the payment, usually case by case from the documentation",
    "D": "deleted this year",
    "E": "excluded from the physician fee schedule by regulation; when covered it is paid under another method",
    "F": "deleted or discontinued (no grace period)",
    "G": "not valid for Medicare: Medicare pays a different code for this service (grace period)",
    "H": "deleted modifier line: the 26/TC component shown no longer exists",
    "I": "not valid for Medicare: Medicare pays a different code for this service",
    "J": "anesthesia service: no RVUs here (paid on anesthesia base and time units)",
    "M": "measurement code: reported for quality programs only, no payment",
    "N": "not covered by Medicare",
    "P": "bundled or excluded: no separate fee-schedule payment",
    "R": "restricted coverage: special coverage rules; contractor priced when covered",
    "T": "injection-type service paid only when no other fee-schedule service is billed that day by the same provider",
    "X": "statutory exclusion: not a physician service for fee-schedule payment (e.g. ambulance, clinical lab)",
}
NOT_VALID = frozenset("DFGHI")          # a claim line with this code is rejected or pays nothing
NOT_PAID = frozenset("BNPM")            # valid, but no separate fee-schedule payment

GLOBAL: dict[str, str] = {
    "000": "0-day global: pre- and post-operative work on the day of the procedure is included",
    "010": "10-day global: the day of the procedure and 10 days after are included",
    "090": "90-day global (major surgery): the day before, the day of and 90 days after are included",
    "XXX": "the global surgery rules do not apply",
    "YYY": "the contractor sets the global period",
    "ZZZ": "add-on service: it falls within the global period of its primary procedure",
    "MMM": "maternity service: the usual global surgery rules do not apply",
}
PCTC: dict[str, str] = {
    "0": "physician service: it cannot be split, so modifiers 26 and TC do not apply",
    "1": "diagnostic test with professional and technical components: 26 and TC may be used",
    "2": "professional-component-only code: do not add 26 or TC",
    "3": "technical-component-only code: do not add 26 or TC",
    "4": "global-test-only code (separate codes exist for each component): do not add 26 or TC",
    "5": "incident-to service: 26 and TC do not apply; not payable for hospital patients",
    "6": "laboratory physician interpretation: 26 may be used, TC may not",
    "7": "physical therapy service not payable when furnished in a hospital by an independent therapist",
    "8": "physician interpretation of an abnormal smear for a hospital inpatient: no TC",
    "9": "the professional/technical split does not apply",
}
MULT_PROC: dict[str, str] = {
    "0": "no multiple-procedure reduction: modifier 51 does not apply",
    "1": "standard multiple-procedure rules in effect before 1995 apply",
    "2": "standard multiple-procedure reduction: the highest-valued procedure is paid in full, others at 50%",
    "3": "multiple endoscopy rules apply within its family (same endoscopic base code)",
    "4": "multiple-procedure reduction for diagnostic imaging (technical and professional components)",
    "5": "therapy multiple-procedure reduction of the practice expense",
    "6": "diagnostic cardiovascular reduction of the technical component",
    "7": "diagnostic ophthalmology reduction of the technical component",
    "9": "the multiple-procedure concept does not apply",
}
BILATERAL: dict[str, str] = {
    "0": "the bilateral adjustment does not apply: modifier 50 (or RT and LT) is paid no more than one side",
    "1": "the bilateral adjustment applies: report one line with modifier 50; paid at 150% of one side",
    "2": "already a bilateral code: the value covers both sides, so do not add 50 (or RT and LT)",
    "3": "each side is paid in full (100% per side): radiology and other diagnostic tests",
    "9": "the bilateral concept does not apply",
}
ASSISTANT: dict[str, str] = {
    "0": "an assistant at surgery is paid only when documentation shows it was medically necessary",
    "1": "an assistant at surgery is never paid (statutory restriction)",
    "2": "an assistant at surgery may be paid",
    "9": "the assistant-at-surgery concept does not apply",
}
CO_SURGEON: dict[str, str] = {
    "0": "co-surgeons are not permitted",
    "1": "co-surgeons may be paid when documentation shows two surgeons were needed",
    "2": "co-surgeons are permitted (two specialties) without extra documentation",
    "9": "the co-surgeon concept does not apply",
}
TEAM: dict[str, str] = {
    "0": "team surgery is not permitted",
    "1": "team surgery may be paid, by report, when documentation shows a team was needed",
    "2": "team surgery is permitted, paid by report",
    "9": "the team-surgery concept does not apply",
}

ASSISTANT_MODIFIERS = frozenset({"80", "81", "82", "AS"})
PAYMENT_MODIFIERS = ASSISTANT_MODIFIERS | frozenset({"50", "51", "62", "66", "26", "TC"})


@dataclass(frozen=True)
class PaymentNote:
    """One thing an indicator tells the coder, with where the rule comes from."""

    topic: str        # status | global | pctc | mult_proc | bilateral | assistant | co_surgeon | team
    value: str
    text: str
    source: str


def explain(p: PaymentIndicators) -> tuple[PaymentNote, ...]:
    """Every indicator of the line, in words (unknown values say so rather than guess)."""
    where = f"{RVU_DOC}; {p.dataset}"

    def note(topic: str, table: dict[str, str], value: str, manual: str = "") -> PaymentNote:
        text = table.get(value, f"indicator value {value!r} is not one this program knows: check the RVU file documentation")
        return PaymentNote(topic, value, text, f"{where}{'; ' + manual if manual else ''}")

    return (
        note("status", STATUS, p.status),
        note("global", GLOBAL, p.global_days, f"{MANUAL} section 40.1"),
        note("pctc", PCTC, p.pctc),
        note("mult_proc", MULT_PROC, p.mult_proc, f"{MANUAL} section 40.6"),
        note("bilateral", BILATERAL, p.bilateral, f"{MANUAL} section 40.7"),
        note("assistant", ASSISTANT, p.assistant, f"{MANUAL} section 20.4.3"),
        note("co_surgeon", CO_SURGEON, p.co_surgeon, f"{MANUAL} section 40.8"),
        note("team", TEAM, p.team, f"{MANUAL} section 40.8"),
    )


def payable(p: PaymentIndicators) -> bool | None:
    """True when the status says the fee schedule pays the code separately, False when it
    never does, None when that depends on the contractor or another payment method."""
    if p.status in ("A", "T"):
        return True
    if p.status in NOT_VALID | NOT_PAID | {"X", "E"}:
        return False
    return None


def global_days(p: PaymentIndicators) -> int | None:
    """0, 10 or 90 for a surgical global package; None for XXX, YYY, ZZZ, MMM."""
    return int(p.global_days) if p.global_days.isdigit() else None


def global_period(p: PaymentIndicators, surgery: date) -> tuple[date, date] | None:
    """(first, last) day of the global package around a surgery on `surgery`: a 90-day global
    starts the day before; 0- and 10-day globals start on the day (ch. 12 section 40.1)."""
    days = global_days(p)
    if days is None:
        return None
    start = surgery - timedelta(days=1) if days == 90 else surgery
    return start, surgery + timedelta(days=days)


def modifier_problem(p: PaymentIndicators, modifier: str) -> tuple[str, str, str] | None:
    """(severity word, message, source) when the indicators restrict `modifier` on this code:
    'not_allowed' (the claim line is denied or paid nothing), 'documentation' (paid only with
    documentation or by report), 'note' (how it is paid); None when nothing restricts it."""
    m = modifier.upper()
    where = f"{RVU_DOC}; {p.dataset}"
    if m == "50":
        src = f"{where}; {MANUAL} section 40.7"
        if p.bilateral in ("0", "2", "9"):
            return "not_allowed", f"bilateral indicator {p.bilateral}: {BILATERAL[p.bilateral]}", src
        if p.bilateral == "3":
            return "note", f"bilateral indicator 3: {BILATERAL['3']}", src
        return None
    if m in ASSISTANT_MODIFIERS:
        src = f"{where}; {MANUAL} section 20.4.3"
        if p.assistant in ("1", "9"):
            return "not_allowed", f"assistant-at-surgery indicator {p.assistant}: {ASSISTANT[p.assistant]}", src
        if p.assistant == "0":
            return "documentation", f"assistant-at-surgery indicator 0: {ASSISTANT['0']}", src
        return None
    if m == "62":
        src = f"{where}; {MANUAL} section 40.8"
        if p.co_surgeon in ("0", "9"):
            return "not_allowed", f"co-surgeon indicator {p.co_surgeon}: {CO_SURGEON[p.co_surgeon]}", src
        if p.co_surgeon == "1":
            return "documentation", f"co-surgeon indicator 1: {CO_SURGEON['1']}", src
        return None
    if m == "66":
        src = f"{where}; {MANUAL} section 40.8"
        if p.team in ("0", "9"):
            return "not_allowed", f"team-surgery indicator {p.team}: {TEAM[p.team]}", src
        return "documentation", f"team-surgery indicator {p.team}: {TEAM.get(p.team, '?')}", src
    if m in ("26", "TC"):
        allowed = p.pctc == "1" or (m == "26" and p.pctc == "6")
        if not allowed:
            return "not_allowed", f"PC/TC indicator {p.pctc}: {PCTC.get(p.pctc, '?')}", where
        return None
    if m == "51":
        src = f"{where}; {MANUAL} section 40.6"
        if p.global_days == "ZZZ":
            return "not_allowed", "an add-on code is exempt from the multiple-procedure reduction: do not add 51", src
        if p.mult_proc in ("0", "9"):
            return "not_allowed", f"multiple-procedure indicator {p.mult_proc}: {MULT_PROC[p.mult_proc]}", src
        return None
    return None


SHORT_GLOBAL = {"000": "0-day global", "010": "10-day global", "090": "90-day global", "XXX": "no global period",
                "YYY": "global set by the contractor", "ZZZ": "add-on (in its primary's global)",
                "MMM": "maternity global rules"}


def one_line(p: PaymentIndicators) -> str:
    """The indicators a coder asks about most, in one line for a code's entry in a reply:
    'Medicare PFS (pfs-2026-07): status A; 90-day global; no bilateral adjustment (50 not
    paid extra); assistant may be paid; co-surgeons with documentation; team not permitted'."""
    parts = [f"status {p.status}" + ("" if p.status == "A" else f" ({STATUS.get(p.status, '?').split(':')[0]})"),
             SHORT_GLOBAL.get(p.global_days, p.global_days)]
    if p.pctc == "1":
        parts.append("26/TC may be used")
    parts.append({"0": "no bilateral adjustment (50 not paid extra)", "1": "bilateral 150% with 50",
                  "2": "already bilateral (no 50)", "3": "each side paid in full"}.get(p.bilateral, "bilateral n/a"))
    if p.assistant in ASSISTANT:
        parts.append({"0": "assistant only with documentation", "1": "assistant never paid",
                      "2": "assistant may be paid", "9": "assistant n/a"}[p.assistant])
    if p.co_surgeon in ("1", "2"):
        parts.append("co-surgeons " + ("with documentation" if p.co_surgeon == "1" else "permitted"))
    if p.team in ("1", "2"):
        parts.append("team surgery by report")
    return f"Medicare PFS ({p.dataset}): " + "; ".join(parts)
