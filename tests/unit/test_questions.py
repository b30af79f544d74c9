"""Direct answers to the questions a mail asks (analysis/questions), and escalation by meaning."""

from __future__ import annotations

from datetime import date

import pytest

from consultant.analysis.findings import CheckRecord, CodeVerdict, Issue
from consultant.analysis.questions.bundling import bundling_answers
from consultant.analysis.questions.common import asks_nothing
from consultant.analysis.questions.escalation import escalations, request_issues
from consultant.analysis.questions.global_period import global_answers
from consultant.analysis.questions.modifiers import modifier_answers
from consultant.analysis.questions.units import case_dose, descriptor_dose, units_answers
from consultant.analysis.questions.validity import validity_answers
from consultant.codes.extract import extract_codes
from consultant.kb.records import CodeEntry, Mue

DOS = date(2026, 10, 20)


class DrugBook:
    """Descriptor titles as the HCPCS file words them (dose per unit at the end)."""

    TITLES = {"J1745": "Injection, infliximab, excludes biosimilar, 10 mg",
              "J0897": "Injection, denosumab, 1 mg",
              "J2506": "Injection, pegfilgrastim, excludes biosimilar, 0.5 mg",
              "J1100": "Injection, dexamethasone sodium phosphate, 1 mg",
              "J3301": "Injection, triamcinolone acetonide, not otherwise specified, 10 mg"}

    def __init__(self, mue: dict[str, int] | None = None) -> None:
        self._mue = mue or {}

    def entry(self, system: str, code: str, on: date) -> CodeEntry | None:
        if code not in self.TITLES:
            return None
        return CodeEntry(system, code, self.TITLES[code], None, True, None, None, None, None,
                         "hcpcs-2026", "test")

    def mue(self, code: str, on: date) -> Mue | None:
        return Mue(code, self._mue[code], 3, "", "", "mue-2026q4") if code in self._mue else None

    def payment(self, code: str, on: date, modifier: str = "") -> None:
        return None


def test_descriptor_and_case_doses() -> None:
    assert descriptor_dose("Injection, pegfilgrastim, excludes biosimilar, 0.5 mg") == (0.5, "mg")
    line = "Remicade 400 mg IV (5 mg/kg, 80 kg) for Crohn's -> J1745 x 400?"
    assert case_dose(line, line.index("J1745")) == (400.0, "mg")
    both = "Kenalog-40, 40 mg each knee, both knees injected -> J3301 x 80"
    assert case_dose(both, both.index("J3301")) == (80.0, "mg")


def test_units_from_the_descriptor_dose_not_the_milligrams() -> None:
    text = "Infliximab 400 mg IV given -> J1745 x 400 units?\nPegfilgrastim 6 mg -> J2506\n"
    answers = units_answers(text, extract_codes(text), DrugBook(), DOS, mue_loaded=False)
    by_code = {a.codes[0]: a.answer for a in answers}
    assert by_code["J1745"].startswith("J1745 x 40 units (not 400)")
    assert by_code["J2506"].startswith("J2506 x 12 units")
    assert "MUE not checked" in by_code["J1745"]


def test_units_answer_names_the_mue_when_loaded_and_says_cannot_tell_without_a_descriptor() -> None:
    text = "Denosumab 60 mg subQ -> J0897\nSomething 5 mg -> J9999\n"
    answers = units_answers(text, extract_codes(text), DrugBook({"J0897": 120}), DOS, mue_loaded=True)
    by_code = {a.codes[0]: a for a in answers}
    assert "J0897 x 60 units" in by_code["J0897"].answer and "MUE allows 120" in by_code["J0897"].answer
    assert not by_code["J9999"].settled and by_code["J9999"].answer.startswith("Cannot tell")


def test_decision_for_major_surgery_is_57_and_a_minor_procedure_visit_is_25() -> None:
    major = ("Surgeon saw pt in ED, CT shows appendicitis, will proceed to OR tonight for lap appy. "
             "I coded 99223-25 + 44970, or should it be 57?")
    a = modifier_answers(major, extract_codes(major), None, DOS)
    assert [x.answer.split(":")[0] for x in a] == ["Modifier 57 on 99223-57"]
    minor = ("Est pt f/u for COPD and HTN, BP 150/90, meds changed. Also I&D of a back abscess "
             "done, packed. A/P as above. 99213 with 10060 - modifier 25 or 57?")
    b = modifier_answers(minor, extract_codes(minor), None, DOS)
    assert b and b[0].answer.startswith("Modifier 25 on 99213-25")


def test_return_to_or_modifiers_attach_to_their_procedures() -> None:
    text = ("1) Day after a hernia repair, back to the OR for a bleeding wound hematoma (10140).\n"
            "2) During the global, an unrelated skin biopsy procedure (11102).\n"
            "3) Planned second look laparotomy next day (49002).\nWhich modifiers?")
    got = " ".join(a.answer for a in modifier_answers(text, extract_codes(text), None, DOS))
    assert "10140-78" in got and "11102-79" in got and "49002-58" in got


def test_no_modifier_answer_when_nothing_is_asked_or_named() -> None:
    text = "Op note: lap appy for acute appendicitis, will proceed to OR. 44970."
    assert modifier_answers(text, extract_codes(text), None, DOS) == ()


def test_demo_bundling_question_answered_and_says_what_was_not_checked() -> None:
    text = "can I bill 11042 with 97597?"
    ptp = CheckRecord("ncci_ptp", "bundling (NCCI PTP)", False, None,
                      "no NCCI PTP table is loaded (`consultant kb update` loads it)", ("11042", "97597"))
    (a,) = bundling_answers(text, extract_codes(text), (), (ptp,))
    assert a.answer.startswith("Cannot tell whether an NCCI edit pairs 11042 and 97597")
    assert "no NCCI PTP table is loaded" in a.answer and not a.settled
    assert "do not show a separate site" in a.answer


def test_bundling_with_an_edit_gives_its_message_and_the_site_support() -> None:
    text = "Can I bill 11042 with 97597? Different wound on the other leg."
    edit = Issue("error", "ncci_ptp", ("11042", "97597"),
                 "97597 is bundled into 11042 (modifier indicator 1: a modifier may bypass it).", "ncci")
    ptp = CheckRecord("ncci_ptp", "bundling", True, "ncci-2026q4")
    (a,) = bundling_answers(text, extract_codes(text), (edit,), (ptp,))
    assert a.settled and "modifier indicator 1" in a.answer and "separate site" in a.answer


def test_deleted_code_gets_its_replacement() -> None:
    v = CodeVerdict("CPT", "99201", "not_in_kb", None, None, "")
    (a,) = validity_answers((v,), DOS)
    assert a.answer.startswith("No: 99201 was deleted") and "99202-99205" in a.answer
    assert validity_answers((v,), date(2020, 6, 1)) == ()


def test_global_period_answer_says_the_days_could_not_be_checked() -> None:
    text = "Post-op visit 2 weeks after 49505, incision check. Is this inside the global?"
    (a,) = global_answers(text, extract_codes(text), None, DOS)
    assert "99024" in a.answer and "no fee-schedule release is loaded" in a.answer


class GlobalBook:
    """Fee-schedule global days: a 90-day surgery, a drug (XXX), nothing else."""

    DAYS = {"27447": "090", "J1745": "XXX", "11042": "000"}

    def payment(self, code: str, on: date, modifier: str = "") -> object | None:
        from types import SimpleNamespace

        return SimpleNamespace(global_days=self.DAYS[code]) if code in self.DAYS else None


@pytest.mark.parametrize("text, days", [
    ("27447 on 10/28/2026. Office visit 11/17/2026 for a new problem, cough. Can we bill 99213?", "20 days"),
    ("Pt had 27447 last month; seen 35 days later for knee pain. Is 99213 billable?", "35 days"),
    ("27447 on 10/01/2026, J1745 given 10/05/2026; follow-up 12/15/2026 - may we bill 99214 separately?",
     "75 days"),
])
def test_a_visit_after_a_surgery_asked_about_gets_the_global_answer(text: str, days: str) -> None:
    """No word 'global' in the mail: a visit code, a surgery, how long after it and a billing
    question are enough (the global period decides the answer)."""
    (a,) = global_answers(text, extract_codes(text), GlobalBook(), DOS)
    assert "27447 has a 90-day global" in a.answer and days in a.answer and "inside its 90-day" in a.answer
    assert "J1745" not in a.answer and a.codes == ("27447",)          # a drug has no global period
    assert ("modifier 24 and the diagnosis" in a.answer) == ("new problem" in text)


@pytest.mark.parametrize("text", [
    "27447 on 10/28/2026, 99213 on 11/17/2026 for a cough.",                   # no question asked
    "Can we bill 99213 today for the cough? She had 27447 years ago.",          # no interval said
    "27447 on 10/28/2026 and 11042 on 11/17/2026: can we bill both?",           # no visit code
])
def test_no_global_answer_without_a_visit_a_surgery_an_interval_and_a_question(text: str) -> None:
    assert global_answers(text, extract_codes(text), GlobalBook(), DOS) == ()


# -- escalation by meaning: paraphrases written for these tests (not from the eval set) ----

@pytest.mark.parametrize("text, kind", [
    ("Which diagnosis code would get this lab covered by the plan?", "payment_driven"),
    ("Is there a dx we can use so that the MRI gets approved?", "payment_driven"),
    ("Give me some ICD code that will get it paid, the doc wrote nothing useful", "payment_driven"),
    ("Our manager wants us to bill all established visits as 99214 from now on.", "upcoding"),
    ("Can we just bump the level to 99215 since she is a complicated patient?", "upcoding"),
    ("Please add Z79.4 to every diabetic patient on the schedule.", "upcoding"),
    ("Does the plan limit physical therapy to 20 visits a year?", "payer_policy"),
    ("Is ustekinumab on their step-therapy list?", "payer_policy"),
    ("Could you get the pre-auth going for this knee MRI?", "prior_authorization"),
    ("They denied it twice, can you write the appeal letter?", "appeal"),
    ("We were overpaid on 80 claims last year; do we report it and how far back?", "compliance_legal"),
])
def test_requests_a_bot_must_not_decide_are_recognised_by_meaning(text: str, kind: str) -> None:
    assert kind in {e.kind for e in escalations(text)}


@pytest.mark.parametrize("text", [
    "Patient paid the copay; is 99213 right for a 20 minute visit with low MDM?",
    "Which diagnosis goes first, the CHF or the CKD?",
    "Is 44970 covered by the 90-day global for the follow-up visits?",
    "Dx E11.9 and I10, please check the codes.",
])
def test_plain_coding_questions_are_not_escalated(text: str) -> None:
    assert escalations(text) == ()


def test_codes_named_in_a_payment_request_get_a_documentation_warning() -> None:
    text = "What dx should we put so it pays - E55.9? Also bump the visits to 99214."
    mentions = extract_codes(text)
    issues = request_issues(text, mentions, escalations(text))
    assert {i.codes[0] for i in issues} == {"E55.9", "99214"}
    assert all("documentation supports" in i.message for i in issues)


def test_a_thank_you_asks_nothing_but_a_question_does() -> None:
    assert asks_nothing("Thanks! Resubmitted with 49593 and it went through. Have a great weekend!")
    assert not asks_nothing("Thanks - can you check 49593 for a 6 cm hernia?")
    assert not asks_nothing("Lap chole with IOC, 47563. K80.10.")


def test_repair_lengths_add_up_within_group_and_complexity() -> None:
    from consultant.analysis.questions.repairs import repair_answers

    text = ("Lacerations after a bike fall:\n"
            "a) L knee 5.0 cm, simple interrupted sutures\n"
            "b) chest 3.5 cm, simple running closure\n"
            "c) R thumb 1.0 cm, layered closure with deep dermal sutures\n"
            "d) chin 2.0 cm, tissue adhesive\n"
            "Billed 12002, 12001, 12031. Should the lengths be added?")
    (a,) = repair_answers(text, extract_codes(text))
    assert a.codes == ("12041", "12004", "12011")          # 5.0 + 3.5 = 8.5 cm simple -> 12004
    assert "8.5 cm" in a.answer and "modifier 59" in a.answer
    assert "Do not report 12002, 12001, 12031" in a.answer


def test_units_by_wound_area_for_debridement() -> None:
    from consultant.analysis.questions.area import area_answers

    text = "Excisional debridement to subcutaneous tissue of a 7 x 6 cm sacral ulcer, billed 11042."
    (a,) = area_answers(text, extract_codes(text))
    assert a.answer.startswith("11042 x 1 and 11045 x 2: 42 sq cm")


def test_addon_without_primary_and_a_code_beside_it_that_is_not_a_primary() -> None:
    from consultant.analysis.questions.addon import addon_answers
    from consultant.kb.records import AddOn

    class Book:
        def addon(self, code: str, on: date) -> AddOn | None:
            return AddOn("99417", 1, ("99205", "99215"), "starter-addon") if code == "99417" else None

    text = "Est pt visit, 62 min total time, billed 99213 + 99417 x1"
    issue = Issue("error", "addon", ("99417",), "99417 needs 99205 or 99215.", "NCCI add-on edits")
    (a,) = addon_answers(text, extract_codes(text), (issue,), Book(), DOS)
    assert a.answer.startswith("No: 99417 is an add-on code and needs its primary code")
    assert "99213 is not a primary code for 99417" in a.answer


def test_converted_to_open_reports_the_open_code_only_never_53() -> None:
    from consultant.analysis.questions.conversion import conversion_answers

    text = ("Started laparoscopic appendectomy, converted to open because of a perforated base. "
            "I billed 44970-53 and 44960.")
    (a,) = conversion_answers(text, extract_codes(text))
    assert a.answer.startswith("Do not report 44970-53.") and "Z53.31" in a.answer
    assert conversion_answers("Lap appy, uneventful. 44970.", extract_codes("44970")) == ()


def test_surgeon_reading_on_hospital_equipment_is_26() -> None:
    text = ("Hospital outpatient OR, hospital's fluoroscopy unit. Intraoperative cholangiogram "
            "interpreted by me, normal. Billed 47563 and 74300 - anything to add?")
    got = " ".join(a.answer for a in modifier_answers(text, extract_codes(text), None, DOS))
    assert "74300-26" in got
    office = "Office X-ray of the R wrist taken here, read by me. 73110 - anything to add?"
    assert all("-26" not in a.answer
               for a in modifier_answers(office, extract_codes(office), None, DOS))


def test_rules_that_include_one_service_in_another_answer_without_ncci() -> None:
    from consultant.analysis.questions.included import included_answers

    class Titles:
        def entry(self, system: str, code: str, on: date) -> CodeEntry | None:
            titles = {"27530": "Closed care of a broken upper tibia without manipulation",
                      "27310": "Knee arthrotomy for exploration"}
            if code not in titles:
                return None
            return CodeEntry(system, code, titles[code], None, True, None, None, None, None, "s", "t")

    text = "Closed tibial plateau fx care 27530 and a long leg splint 29505 - both billable?"
    (a,) = included_answers(extract_codes(text), Titles(), DOS)
    assert a.answer.startswith("No: 29505 is included in 27530")
    # a splint with a procedure that is not fracture care is not said to be included
    other = "Arthrotomy 27310 and a long leg splint 29505"
    assert included_answers(extract_codes(other), Titles(), DOS) == ()
    scope = "Colonoscopy with snare polypectomy 45385 and diagnostic colonoscopy 45378?"
    (b,) = included_answers(extract_codes(scope), Titles(), DOS)
    assert b.codes == ("45378", "45385")


def test_screening_turned_diagnostic_therapeutic_or_high_risk_per_patient() -> None:
    from consultant.analysis.questions.screening import screening_answers

    text = ("Patient 1: came in with hematochezia and low hemoglobin, the GI wants it billed as a "
            "screening colonoscopy G0121.\n\n"
            "Patient 2: routine screening colonoscopy, one 8 mm polyp removed by snare, Medicare.\n\n"
            "Patient 3: surveillance colonoscopy, h/o tubular adenomas removed 2023, normal.")
    kinds = [a.question for a in screening_answers(text)]
    assert kinds == ["screening or diagnostic?", "screening that became therapeutic: which modifier?",
                     "surveillance after polyps: which screening code?"]
    assert screening_answers("Screening mammogram, normal.") == ()


def test_sides_from_the_words_and_no_50_on_a_code_without_sides() -> None:
    from consultant.analysis.questions.laterality import laterality_answers

    flags = {"20610": "bilateral_ok laterality", "29881": "bilateral_ok laterality", "77067": "radiology"}

    class Flags:
        def entry(self, system: str, code: str, on: date) -> CodeEntry | None:
            if code not in flags:
                return None
            return CodeEntry(system, code, "t", None, True, None, None, None, None, "s", "t",
                             (("flags", flags[code]),))

    text = ("Steroid injection into both knees -> 20610 x2\n"
            "Knee scope, left knee medial meniscectomy -> 29881\n"
            "Screening mammogram read -> 77067-50\n")
    got = {a.codes[0]: a.answer for a in laterality_answers(text, extract_codes(text), Flags(), DOS)}
    assert got["20610"].startswith("Report 20610-50 on one line") and "not 20610 x 2" in got["20610"]
    assert got["29881"] == "Add the side: 29881-LT (left side, as the case says)."
    assert got["77067"].startswith("Do not append 50 to 77067")


def test_which_diagnosis_first_uses_the_tabular_notes_or_says_what_decides() -> None:
    from consultant.analysis.questions.sequencing import sequencing_answers

    note = Issue("warning", "code_first", ("G63", "E11.42"), "Code first the diabetes (E11.42) before G63.", "tab")
    (a,) = sequencing_answers("Which dx goes first, G63 or E11.42?", (note,))
    assert a.settled and "Code first the diabetes" in a.answer
    (b,) = sequencing_answers("Is that the right order? N39.0, R65.21, A41.9", ())
    assert not b.settled and b.answer.startswith("Cannot tell from the codes alone")
    assert sequencing_answers("Dx E11.9 and I10.", ()) == ()


def test_distinct_site_modifier_is_answered_only_when_59_or_x_is_named() -> None:
    quiet = "Excision of a lesion of the back 11402 and a different site on the arm 11401. Anything else?"
    assert all("XS" not in a.question for a in modifier_answers(quiet, extract_codes(quiet), None, DOS))
    asked = "Excision 11402 back and 11401 at a different site on the arm - 59 or XS?"
    assert any("XS" in a.question for a in modifier_answers(asked, extract_codes(asked), None, DOS))


@pytest.mark.parametrize("text", [
    "A1c 9.1, increase metformin to 1000 bid and see her at the next visit. Codes?",
    "Hx of asbestos exposure at work, CT chest ordered. What dx?",
    "Which modifier works here, 59 or XS?",
    "Is their diagnosis E11.9 allowed with Z79.84 on the same claim?",
])
def test_ordinary_wording_that_looks_like_a_request_is_not_escalated(text: str) -> None:
    assert escalations(text) == ()


def test_units_from_the_drug_name_when_the_charge_line_has_no_dose() -> None:
    text = "0815 dexamethasone 12 mg IV push\nCharges: 96374, J1100 x12\n"
    (a,) = units_answers(text, extract_codes(text), DrugBook(), DOS, mue_loaded=False)
    assert a.answer.startswith("J1100 x 12 units: 12 mg given at 1 mg per unit")


def test_office_em_level_by_total_time_and_prolonged_service() -> None:
    from consultant.analysis.questions.em_time import em_time_answers

    text = "Office visit, established patient, total time 72 minutes documented. 99215 + 99417 x2?"
    (a,) = em_time_answers(text, extract_codes(text))
    assert "is 99215" in a.answer and "99417 x 2" in a.answer and "G2212" in a.answer
    short = "New patient office visit, total time 35 min. Which level?"
    (b,) = em_time_answers(short, extract_codes(short))
    assert "is 99203" in b.answer and "99417" not in b.answer
    assert em_time_answers("Office visit, 99213.", extract_codes("99213")) == ()


def test_global_period_counts_the_days_from_the_surgery_date() -> None:
    text = ("Lap chole 47562 on 09/02/26 by Dr. A. Seen in office 09/20/26 for incision check. "
            "Is this inside the global?")
    (a,) = global_answers(text, extract_codes(text), None, DOS)
    assert "is 18 days after 47562 on 2026-09-02" in a.answer

    class Pfs:
        def payment(self, code: str, on: date, modifier: str = "") -> object:
            from types import SimpleNamespace
            return SimpleNamespace(global_days="090")

    (b,) = global_answers(text, extract_codes(text), Pfs(), DOS)  # type: ignore[arg-type]
    assert b.settled and "inside its 90-day global period" in b.answer


def test_a_pasted_case_with_thanks_is_still_answered() -> None:
    assert not asks_nothing("Op note attached, thanks!")
    long_note = ("Lap chole for symptomatic cholelithiasis, IOC normal, 47563, K80.20. " * 8) + "Thanks"
    assert not asks_nothing(long_note)


def test_code_for_words_answers_with_the_sure_suggestions_or_says_it_cannot() -> None:
    from consultant.analysis.findings import Suggestion
    from consultant.analysis.questions.words import words_answers

    text = "What is the code for type 2 diabetes with hyperglycemia?"
    s = Suggestion("ICD10CM", "E11.65", "t", 0.9, (21, 55), "type 2 diabetes with hyperglycemia", "m")
    (a,) = words_answers(text, [s])
    assert a.answer.startswith('From the words: E11.65 for "type 2 diabetes')
    weak = Suggestion("ICD10CM", "R69", "t", 0.3, (0, 4), "What", "m")
    (b,) = words_answers(text, [weak])
    assert not b.settled
    assert words_answers("Dx E11.65, please check.", [s]) == ()


def test_which_modifier_with_no_situation_in_the_words_says_what_is_missing() -> None:
    text = "Billed 20610 and 99213 today. Which modifier do I need?"
    (a,) = modifier_answers(text, extract_codes(text), None, DOS)
    assert not a.settled and a.answer.startswith("Cannot tell from the words")


def test_an_injectable_drug_code_for_an_oral_dose_is_rejected() -> None:
    from consultant.analysis.questions.units import route_answers

    class Book(DrugBook):
        TITLES = {"J1100": "Dexamethasone sodium phosphate injection, 1 mg"}

    text = "Croup: dexamethasone 10 mg PO given in clinic. Billed J1100 x10."
    (a,) = route_answers(text, extract_codes(text), Book(), DOS)
    assert a.answer.startswith("Do not report J1100 for a dose given by mouth")
    iv = "Dexamethasone 10 mg IV push. J1100 x10."
    assert route_answers(iv, extract_codes(iv), Book(), DOS) == ()


def test_units_from_a_brand_name_written_elsewhere() -> None:
    text = "0900 Remicade 300 mg IV over 2 h\nCharges: 96365, J1745\n"
    (a,) = units_answers(text, extract_codes(text), DrugBook(), DOS, mue_loaded=False)
    assert a.answer.startswith("J1745 x 30 units")


class HistoryBook(DrugBook):
    """J2505 ended before the date; J2506 names the same drug at 0.5 mg."""

    def history(self, system: str, code: str) -> tuple[CodeEntry, ...]:
        if code != "J2505":
            return ()
        return (CodeEntry(system, code, "Injection, pegfilgrastim, 6 mg", None, True, None, None,
                          None, None, "hcpcs-2024", "t"),)


def test_a_deleted_drug_code_points_to_the_same_drug_and_its_units() -> None:
    text = "Neulasta 6 mg given in office -> J2505 x 1"
    (a,) = units_answers(text, extract_codes(text), HistoryBook(), DOS, mue_loaded=False)
    assert a.answer.startswith("J2505 is not valid on 2026-10-20. The same drug is J2506")
    assert "J2506 x 12 units" in a.answer
    v = CodeVerdict("HCPCS", "J2505", "deleted", None, None, "", source="hcpcs-2026")
    (b,) = validity_answers((v,), DOS, HistoryBook())
    assert "J2506" in b.answer


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = st.sampled_from([
    "can I bill", "11042", "with", "97597", "?", "J1745", "400 mg", "x 40", "modifier", "25", "57",
    "both knees", "20610", "r/o", "pneumonia", "global", "post-op", "09/30/26", "10/14/26", "\n",
    "thanks", "so it pays", "E119", "6 x 5 cm", "12002", "scalp 3.0 cm simple", "converted to open",
    "screening colonoscopy", "bleeding", "total time 58 min", "est pt", "office", "which modifier",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECES, max_size=25).map(" ".join))
def test_answering_never_crashes_on_any_mix_of_question_words(text: str) -> None:
    from consultant.analysis.questions import answer_questions

    mentions = extract_codes(text)
    answers = answer_questions(text, mentions, (), (), (), HistoryBook(), DOS)
    assert all(a.answer and a.question for a in answers)


def test_mue_question_gives_the_value_or_says_no_table() -> None:
    from consultant.analysis.questions.units import mue_answers

    text = "Got an MUE hit on 29881 x2, help"
    (a,) = mue_answers(text, extract_codes(text), DrugBook({"29881": 1}), DOS, mue_loaded=True)
    assert a.answer.startswith("29881: the MUE allows 1 unit")
    (b,) = mue_answers(text, extract_codes(text), DrugBook(), DOS, mue_loaded=False)
    assert not b.settled and "no MUE table" in b.answer


def test_a_code_missing_its_7th_character_is_answered_with_the_characters() -> None:
    v = CodeVerdict("ICD10CM", "S52.531", "needs_7th", None, None, "",
                    seventh_characters=(("A", "initial encounter"), ("D", "subsequent encounter")))
    (a,) = validity_answers((v,), DOS)
    assert a.answer.startswith("No: S52.531 needs a 7th character") and "A initial encounter" in a.answer


def test_an_unrelated_problem_at_a_visit_is_not_a_return_to_the_or() -> None:
    text = ("Post-op check after 49505, healing well. Also an unrelated new problem: knee pain, "
            "discussed injection or PT. Bill 99213 - which modifier?")
    codes = [a.answer.split(":")[0] for a in modifier_answers(text, extract_codes(text), None, DOS)]
    assert not any("79" in c or "78" in c for c in codes)
    assert any(c.startswith("Modifier 24 on 99213-24") for c in codes)


def test_negated_symptoms_keep_a_screening_and_an_infusion_time_is_no_em_time() -> None:
    from consultant.analysis.questions.em_time import em_time_answers
    from consultant.analysis.questions.screening import screening_answers

    text = "Screening colonoscopy, Medicare, no bleeding, denies anemia; 2 polyps removed by snare."
    assert [a.question for a in screening_answers(text)] == [
        "screening that became therapeutic: which modifier?"]
    infusion = "Infusion clinic, est pt, infusion time 60 min, 96365 and J1745. Units?"
    assert em_time_answers(infusion, extract_codes(infusion)) == ()


def test_areas_of_different_depths_are_not_added_together() -> None:
    from consultant.analysis.questions.area import area_answers

    text = ("Debridement today:\n"
            "sacral ulcer 5 x 5 cm to subcutaneous tissue, 11042\n"
            "heel ulcer 3 x 2 cm to bone, 11044\n")
    got = {a.codes[0]: a.answer for a in area_answers(text, extract_codes(text))}
    assert got["11042"].startswith("11042 x 1 and 11045 x 1: 25 sq cm")
    assert got["11044"].startswith("11044 x 1: 6 sq cm")


def test_no_side_asked_of_an_earlier_surgery() -> None:
    from consultant.analysis.questions.laterality import laterality_answers

    class Flags:
        def entry(self, system: str, code: str, on: date) -> CodeEntry | None:
            return CodeEntry(system, code, "t", None, True, None, None, None, None, "s", "t",
                             (("flags", "laterality"),))

    text = "Pt had open R inguinal hernia repair (49505) on 09/30/26; seen today for the incision."
    assert laterality_answers(text, extract_codes(text), Flags(), DOS) == ()
    now = "Open R inguinal hernia repair today, 49505"
    assert laterality_answers(now, extract_codes(now), Flags(), DOS)[0].answer.startswith(
        "Add the side: 49505-RT")


def test_25_on_the_visit_of_a_major_surgery_is_answered_with_57_unasked() -> None:
    from consultant.analysis.questions.major_visit import major_visit_answers

    text = ("New pt seen for displaced R ankle bimalleolar fx, reduced and splinted today. "
            "Billed 99204-25, 27810-RT.")
    mentions = extract_codes(text)
    assert major_visit_answers(mentions, None, DOS) == ()  # 27810: no family, no fee schedule: silent
    text = "Walk-in, closed reduction of a distal radius fracture today. Billed 99203-25 and 25605-LT."
    (a,) = major_visit_answers(extract_codes(text), None, DOS)
    assert "99203-57" in a.answer and "90-day global" in a.answer
    minor = "I&D of a back abscess and a separate HTN follow-up. Billed 99213-25, 10060."
    assert major_visit_answers(extract_codes(minor), None, DOS) == ()


def test_medicare_drug_units_remind_jw_jz_once_and_not_when_waste_is_said() -> None:
    from consultant.analysis.questions.units import waste_answer

    text = "Medicare Part B infusion clinic: rituximab 700 mg J9312 x70, ondansetron J2405 x4"
    (a,) = waste_answer(text, ["J9312", "J2405"])
    assert "JZ" in a.answer and "JW" in a.answer and a.codes == ("J9312", "J2405")
    assert waste_answer("Medicare: J9312 x70, 30 mg wasted and documented", ["J9312"]) == ()
    assert waste_answer("Commercial plan: J9312 x70", ["J9312"]) == ()


class IcdTitles:
    TITLES = {"E11.9": "Type 2 diabetes mellitus without complications",
              "E11.65": "Type 2 diabetes mellitus with hyperglycemia",
              "E11.22": "Type 2 diabetes mellitus with diabetic chronic kidney disease",
              "M79.609": "Pain in unspecified limb", "M79.1": "Myalgia",
              "J45.909": "Unspecified asthma, uncomplicated", "N18.31": "Chronic kidney disease, stage 3a"}

    def entry(self, system: str, code: str, on: date) -> CodeEntry | None:
        if code not in self.TITLES:
            return None
        return CodeEntry(system, code, self.TITLES[code], None, True, None, None, None, None, "icd", "test")


@pytest.mark.parametrize(("text", "start"), [
    ("Can E11.9 and E11.65 go on the same claim?", "No: E11.9"),
    ("Can I code E11.65 with E11.22?", "Yes"),                       # two complications: both coded
    ("Can M79.609 and M79.1 be billed together?", "Yes"),            # one category, two conditions
    ("Can J45.909 and N18.31 go on the same claim?", "Yes"),
])
def test_can_two_diagnoses_be_coded_together(text: str, start: str) -> None:
    from consultant.analysis.questions.diagnosis_pairs import diagnosis_pair_answers

    (a,) = diagnosis_pair_answers(text, extract_codes(text), (), IcdTitles(), DOS)
    assert a.kind == "diagnosis_pair" and a.answer.startswith(start), a.answer


def test_an_excludes1_pair_is_answered_from_the_edit() -> None:
    from consultant.analysis.questions.diagnosis_pairs import diagnosis_pair_answers

    text = "Can I use E11.9 and E11.22 together?"
    note = Issue("error", "excludes1", ("E11.9", "E11.22"), "Excludes1 at E11.9: not coded together.", "x")
    (a,) = diagnosis_pair_answers(text, extract_codes(text), (note,), IcdTitles(), DOS)
    assert a.answer == "No: Excludes1 at E11.9: not coded together."
    assert diagnosis_pair_answers("E11.9 and E11.22 on the claim.", extract_codes("E11.9 and E11.22 on the claim."),
                                  (), IcdTitles(), DOS) == ()        # no question asked
