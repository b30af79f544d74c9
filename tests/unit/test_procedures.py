"""Procedure families (data/procedures/*.toml) and the review that reads a note into codes.

Each family is tested through its own data file only (`only(...)`), so a test fails when the
family's data is missing or wrong; the issue's examples run with every family loaded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consultant.analysis.procedures import billed_lines, load_families, review_procedures
from consultant.analysis.procedures.families import DATA_DIR, Family, load_family
from consultant.analysis.procedures.model import DELETED, INCLUDED, PRIOR, REPLACED, UNITS, ProcedureReview
from consultant.codes.extract import extract_codes
from consultant.errors import ConfigError
from consultant.kb.records import PaymentIndicators

DOS = date(2026, 10, 15)


def only(*names: str) -> dict[str, Family]:
    return {f.id: f for f in (load_family(DATA_DIR / f"{n}.toml") for n in names)}


def run(text: str, families: dict[str, Family] | None = None, book: object = None) -> ProcedureReview:
    return review_procedures(text, extract_codes(text), on=DOS, book=book, families=families)  # type: ignore[arg-type]


def billed(text: str, families: dict[str, Family] | None = None) -> dict[str, tuple[int, tuple[str, ...]]]:
    review = run(text, families)
    return {b.code: (b.units, b.modifiers) for b in billed_lines(review, extract_codes(text))}


# -- the issue's examples (all families loaded) ------------------------------------------------
def test_hartmann_charged_as_colectomy_colostomy_drainage_is_44143() -> None:
    text = ("Sigmoid colectomy for perforated diverticulitis, end colostomy, rectal stump stapled "
            "closed (Hartmann), pelvic abscess drained. Charged 44140 + 44320 + 49020.")
    review = run(text)
    assert [ln.code for ln in review.lines] == ["44143"]
    pair = [c for c in review.corrections if c.codes == ("44140", "44320")]
    assert pair and pair[0].kind == REPLACED and pair[0].use == ("44143",)
    assert any(c.codes == ("49020",) and c.kind == INCLUDED for c in review.corrections)
    assert set(billed(text)) == {"44143"}


def test_chemo_infusion_charged_as_therapeutic_is_chemo_hierarchy() -> None:
    text = ("Office oncology, DOS 10/20/26\n0815 ondansetron 8 mg IV push\n"
            "0830-1130 paclitaxel 315 mg IV infusion, 3 hr.\nCharges: 96365, 96366 x2, 96374")
    got = billed(text)
    assert got == {"96413": (1, ()), "96415": (2, ()), "96375": (1, ())}
    assert {c.codes for c in run(text).corrections} >= {("96365",), ("96366",), ("96374",)}


def test_ventral_hernia_with_deleted_codes_is_by_size_and_reducibility() -> None:
    text = ("Open incisional hernia repair, first repair. Fascial defect 6.0 x 4.5 cm, contents "
            "reduced easily, no incarceration. Mesh placed. Billed 49560 + 49568.")
    review = run(text)
    assert [ln.code for ln in review.lines] == ["49593"]
    assert {c.codes[0] for c in review.corrections if c.kind == DELETED} == {"49560", "49568"}
    assert set(billed(text)) == {"49593"}


def test_fracture_follow_up_inside_the_global_is_99024() -> None:
    text = ("Closed reduction distal radius fx (25605) on 10/01/26. Seen 10/15/26 post-op: cast "
            "intact, xray alignment maintained. Billed 99213.")
    review = run(text)
    assert [ln.code for ln in review.lines] == ["99024"]
    assert any(c.kind == REPLACED and c.codes == ("99213",) for c in review.corrections)
    assert any(c.kind == PRIOR and c.codes == ("25605",) for c in review.corrections)
    assert any("could not be checked" in u for u in review.unchecked)  # no fee schedule loaded


def test_global_days_come_from_the_procedure_family_or_are_asked() -> None:
    text = "Lap appendectomy (44970) on 10/01/26. Post-op visit 10/30/26, incisions healing well. Billed 99212."
    assert [ln.code for ln in run(text).lines] == ["99024"]           # appendectomy: usual 90-day global
    alone = run(text, only("global_period"))                          # no family knows 44970's global
    assert not alone.lines
    assert any("global period of 44970" in g.question for g in alone.gaps)


def test_child_vaccines_with_physician_counselling_are_90460_90461() -> None:
    text = ("4 month well visit. Dr counseled parent on each vaccine. Given Vaxelis, Prevnar 20, "
            "RotaTeq. Billed 90697, 90677, 90680, 90471, 90472, 90474.")
    got = billed(text)
    assert got["90460"] == (3, ())
    assert got["90461"] == (5, ())
    assert not {"90471", "90472", "90474"} & set(got)


# -- one test per family, through its own data file only ---------------------------------------
FAMILY_CASES = [
    ("colectomy", "Lap right hemicolectomy, terminal ileum resected, ileocolic anastomosis. Billed 44204.", {"44205"}),
    ("colectomy", "Open sigmoid colectomy with colorectal anastomosis and diverting loop ileostomy. Billed 44145, 44310.", {"44146"}),
    ("ostomy", "Laparoscopic diverting loop sigmoid colostomy. Billed 44320.", {"44188"}),
    ("ostomy", "Ileostomy takedown, stoma-bearing segment resected, ileoileal anastomosis. Coded 44620.", {"44625"}),
    ("hernia_anterior", "Robotic repair of recurrent incisional hernia, defect 11 x 8 cm, omentum incarcerated, old mesh explanted (not infected). Draft 49596, 44180.", {"49618", "49623"}),
    ("hernia_anterior", "Umbilical hernia repair, defect 1.5 cm, reducible. Billed 49585.", {"49591"}),
    ("hernia_inguinal", "Open repair of right inguinal hernia, incarcerated, reduced. Billed 49505.", {"49507"}),
    ("cholecystectomy", "Laparoscopic converted to open cholecystectomy. Billed 47562-53, 47600.", {"47600"}),
    ("cholecystectomy", "Laparoscopic cholecystectomy with intraoperative cholangiogram interpreted by me. Billed 47562.", {"47563", "74300"}),
    ("appendectomy", "Open appendectomy for perforated appendicitis with abscess. Billed 44950.", {"44960"}),
    ("knee_arthroscopy", "Right knee arthroscopy: partial medial meniscectomy, partial lateral meniscectomy, chondroplasty. Billed 29881, 29881-59, 29877.", {"29880"}),
    ("fracture_care", "Right distal radius fracture, closed reduction, splint applied. Billed 25600, 29125.", {"25605"}),
    ("joint_injection", "Left knee injection under ultrasound guidance. Billed 20610, 76942.", {"20611"}),
    ("colonoscopy", "Medicare screening colonoscopy, average risk, 6 mm polyp removed with snare. Billed G0121.", {"45385"}),
    ("debridement", "Excisional debridement of subcutaneous tissue, L calf ulcer 6 x 5 cm. Billed 11042 x2.", {"11042", "11045"}),
    ("repair", "Laceration of R forearm 3 cm and R upper arm 2 cm, simple closure with nylon. Coded 12001 x2.", {"12002"}),
    ("drug_administration", "ED facility: NS 1 L hydration 0900-1000, then ceftriaxone 1 g IVPB 1005-1035, then ketorolac 15 mg IV push. Coded 96360, 96365, 96374.", {"96365", "96375", "96361"}),
    ("vaccine_administration", "Medicare pt 70 yo, flu vaccine and Pneumovax given by the nurse. Coded 90686, 90732, 90471, 90472.", {"90686", "90732", "G0008", "G0009"}),
    ("global_period", "Lap appendectomy (44970) on 10/01/26. Post-op visit 10/08/26, incisions healing well. Billed 99212.", {"99024"}),
    ("global_period", "10/05/26 open hernia repair (49505). 10/06 back to OR for wound hematoma, evacuated (10140).", {"10140"}),
    ("imaging_components", "Radiology group, CT head w/o contrast done in the hospital outpatient dept, our radiologist reads. Billed 70450.", {"70450"}),
    ("deleted_codes", "Old superbill: 99201 for a new patient, G0202 screening mammo.", set()),
    ("lesion_excision", "Excision of 1.2 cm BCC of the nose with 0.3 cm margins. Path: basal cell carcinoma. Billed 11641.", {"11642"}),
    ("small_bowel", "Ex lap, small bowel resection with primary anastomosis for obstruction, LOA. Billed 44120, 44005, 49000.", {"44120"}),
    ("egd", "EGD with cold forceps biopsies of the antrum for H. pylori. Billed 43235, 43239 x3.", {"43239"}),
    ("shoulder_arthroscopy", "Right shoulder arthroscopy: rotator cuff repair, subacromial decompression, limited debridement. Billed 29827, 29822, 29805.", {"29827", "29826"}),
]


@pytest.mark.parametrize("family,text,expected", FAMILY_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(FAMILY_CASES)])
def test_family_picks_the_code_from_its_data(family: str, text: str, expected: set[str]) -> None:
    with_data = billed(text, only(family))
    assert set(with_data) == expected
    # without the family's data, the codes go out as written
    assert billed(text, {}) != with_data


def test_every_family_file_has_a_test() -> None:
    tested = {c[0] for c in FAMILY_CASES}
    assert {p.stem for p in DATA_DIR.glob("*.toml")} <= tested


def test_return_to_the_operating_room_takes_the_global_modifier() -> None:
    review = run("10/05/26 open hernia repair (49505). 10/06 back to OR for wound hematoma, evacuated (10140).",
                 only("global_period"))
    assert [(ln.code, ln.modifiers) for ln in review.lines] == [("10140", ("78",))]
    planned = run("10/08/26 small bowel resection (44120), planned second look. 10/09 second look laparotomy (49002).",
                  only("global_period"))
    assert [(ln.code, ln.modifiers) for ln in planned.lines] == [("49002", ("58",))]


def test_imaging_component_follows_who_owns_and_who_reads() -> None:
    hospital = run("CT head at the hospital outpatient dept, our radiologist reads. Billed 70450.", only("imaging_components"))
    assert [(ln.code, ln.modifiers) for ln in hospital.lines] == [("70450", ("26",))]
    owned = run("Our urgent care x-ray, we own the unit, read by a contracted teleradiology group. Billed 71046.",
                only("imaging_components"))
    assert [(ln.code, ln.modifiers) for ln in owned.lines] == [("71046", ("TC",))]
    repeat = run("Inpatient portable CXR 71045 at 0600 and again at 1400, same radiologist.", only("imaging_components"))
    assert [ln.modifiers for ln in repeat.lines] == [("26",), ("26", "76")]


def test_deleted_codes_name_their_successors() -> None:
    review = run("Superbill: 99201, G0202.", only("deleted_codes"))
    assert {c.codes[0]: c.use for c in review.corrections if c.kind == DELETED} == {
        "99201": ("99202", "99203", "99204", "99205"), "G0202": ("77067",)}


def test_each_lesion_is_coded_by_its_excised_diameter_in_its_own_units() -> None:
    text = ("Excised two benign nevi of the back: 0.8 cm lesion with 2 mm margins, and 0.3 cm lesion "
            "with 1 mm margins. Path benign. Coded 11401 x2.")
    review = run(text, only("lesion_excision"))
    assert sorted(ln.code for ln in review.lines) == ["11400", "11402"]  # 1.2 cm and 0.5 cm


def test_units_and_laterality_are_checked() -> None:
    text = "Kenalog 40 mg each knee, both knees injected, no US. Billed 20610 x2, J3301 x8."
    review = run(text, only("joint_injection"))
    assert [(ln.code, ln.modifiers) for ln in review.lines] == [("20610", ("50",))]
    assert any(c.kind == UNITS for c in review.corrections)


def test_screening_colonoscopy_modifiers_by_payer() -> None:
    text = "Commercial pt, 50 yo, screening colonoscopy, polyp removed with hot snare. Billed 45385."
    assert billed(text, only("colonoscopy"))["45385"] == (1, ("33",))


# -- questions instead of guesses ---------------------------------------------------------------
def test_missing_defect_size_is_asked_not_guessed() -> None:
    review = run("Robotic ventral hernia repair, reducible, mesh placed. What code?", only("hernia_anterior"))
    assert not review.lines
    assert any("defect size" in g.question for g in review.gaps)


def test_units_written_at_the_end_of_a_sentence_are_read() -> None:
    review = run("12 yo, Tdap + MenACWY + HPV, MD counseled. Billed 90715, 90734, 90651, 90460 x3, 90461 x2.",
                 only("vaccine_administration"))
    assert {(ln.code, ln.units) for ln in review.lines} == {("90460", 3), ("90461", 2)}
    assert not review.corrections


def test_facility_hierarchy_not_chronology_and_a_place_is_not_an_infusion() -> None:
    text = ("Hospital outpatient infusion center (facility billing).\n"
            "0900 NS 1000 mL IV started, completed 1000 (hydration)\n"
            "1005 ceftriaxone 2 g IVPB started, complete 1035\n1040 ketorolac 30 mg IV push\n"
            "Our system produced: 96360, 96365, 96374.")
    assert billed(text, only("drug_administration")) == {"96365": (1, ()), "96375": (1, ()), "96361": (1, ())}


def test_a_pump_started_for_more_than_8_hours_is_not_billed_by_the_hour() -> None:
    text = "Chemo: oxaliplatin infusion 2 hr, then 5-FU pump started for 46 hr infusion. Coded 96413, 96415, 96416."
    got = billed(text, only("drug_administration"))
    assert got == {"96413": (1, ()), "96415": (1, ()), "96416": (1, ())}


def test_two_sides_in_one_note_keep_the_senders_side_lines() -> None:
    text = "Injected L shoulder subacromial bursa, landmark guided. Also R knee injection. Billed 20610-LT, 20610-RT."
    review = run(text, only("joint_injection"))
    assert not review.corrections
    lines = billed_lines(review, extract_codes(text))
    assert sorted(b.modifiers for b in lines) == [("LT",), ("RT",)]


def test_two_injections_on_one_line_are_two_units() -> None:
    text = "Pt got Toradol 60 mg IM and B12 1000 mcg IM. Billed 96372 x2, J1885 x4."
    assert billed(text, only("drug_administration"))["96372"] == (2, ())


def test_missing_infusion_time_is_asked() -> None:
    review = run("Infusion center: iron sucrose IV infusion given, tolerated well. Which code?", only("drug_administration"))
    assert any("start and stop times" in g.question for g in review.gaps)


def test_an_unstated_approach_follows_the_codes_chosen_or_is_asked() -> None:
    from_codes = run("Sigmoid colectomy, end colostomy, rectal stump closed. Billed 44140 + 44320.", only("colectomy"))
    assert [ln.code for ln in from_codes.lines] == ["44143"]
    assert "implied by the codes chosen" in from_codes.lines[0].evidence[1].phrase
    asked = run("Sigmoid colectomy with primary anastomosis. Which code?", only("colectomy"))
    assert not asked.lines
    assert any("open or laparoscopically" in g.question for g in asked.gaps)


def test_codes_named_without_a_note_get_the_candidates_and_a_question() -> None:
    review = run("Can I bill 44320 with 44140?", only("colectomy"))
    pair = [c for c in review.corrections if c.codes == ("44140", "44320")]
    assert pair and "44143" in pair[0].use
    assert review.gaps


def test_no_question_back_when_nobody_asked_for_a_procedure_code() -> None:
    review = run("Can you check my 7th characters? 6 wk recheck R Colles fx, healing -> S52.531A?", only("fracture_care"))
    assert not review.gaps


def test_negated_and_historical_words_are_not_evidence() -> None:
    review = run("Pt had LAR in May with diverting loop ileostomy. Now ileostomy takedown, "
                 "closed primarily, no resection.", only("colectomy", "ostomy"))
    assert [ln.code for ln in review.lines] == ["44620"]


def test_numbered_items_of_one_patient_stay_together() -> None:
    text = ("Pt w/ DM2.\n1. R heel ulcer 4 x 3.5 cm, excisional debridement to subcutaneous tissue.\n"
            "2. L heel ulcer 3 x 3 cm, same, excisional to subq.\nI had 11042 x2.")
    assert billed(text, only("debridement")) == {"11042": (1, ()), "11045": (1, ())}


def test_codes_listed_after_the_cases_go_to_the_case_they_name() -> None:
    text = ("Pt A: laparoscopic cholecystectomy with cholangiogram.\n"
            "Pt B: laparoscopic converted to open cholecystectomy.\n"
            "For A I have 47562. For B 47562-53 and 47600?\n")
    review = run(text, only("cholecystectomy"))
    uses = {c.use for c in review.corrections if c.codes == ("47562",)}
    assert uses == {("47563",), ("47600",)}


def test_two_scopes_in_one_note_read_their_own_parts() -> None:
    text = "EGD with biopsy of antrum, then colonoscopy normal to cecum (diagnostic for anemia). 43239, 45378"
    assert set(billed(text, only("egd", "colonoscopy"))) == {"43239", "45378"}


def test_cases_for_different_patients_are_split() -> None:
    text = ("2 chole's:\nPt A: laparoscopic cholecystectomy with cholangiogram.\n"
            "Pt B: laparoscopic converted to open cholecystectomy.\n")
    assert {ln.code for ln in run(text, only("cholecystectomy")).lines} == {"47563", "47600"}


# -- fee-schedule indicators --------------------------------------------------------------------
class _Book:
    def __init__(self, bilateral: str) -> None:
        self.bilateral = bilateral

    def payment(self, code: str, on: date, modifier: str = "") -> PaymentIndicators:
        return PaymentIndicators(
            code=code, modifier=modifier, status="A", pctc="0", global_days="000", preop=None, intraop=None,
            postop=None, mult_proc="2", bilateral=self.bilateral, assistant="1", co_surgeon="0", team="0",
            endo_base=None, work_rvu=None, total_rvu_nonfacility=None, total_rvu_facility=None,
            conversion_factor=None, valid_from=date(2026, 1, 1), valid_to=None, dataset="pfs-test",
        )


def test_bilateral_indicator_is_used_when_the_fee_schedule_has_it() -> None:
    text = "Both knees injected, no ultrasound. Billed 20610-50."
    with_pfs = run(text, only("joint_injection"), book=_Book("0"))
    assert any("bilateral indicator is 0" in u for u in with_pfs.unchecked)
    assert not any("could not be" in u for u in with_pfs.unchecked)
    without = run(text, only("joint_injection"), book=None)
    assert any("could not be" in u for u in without.unchecked)


def test_multiple_procedure_and_global_days_from_the_fee_schedule() -> None:
    text = "Medicare screening colonoscopy, polyp removed by snare, another biopsied with cold forceps. Billed G0121."
    review = run(text, only("colonoscopy"), book=_Book("0"))
    assert [ln.code for ln in review.lines] == ["45385", "45380"]
    assert any("multiple-procedure rule" in u for u in review.unchecked)


# -- data files are validated -------------------------------------------------------------------
def test_a_bad_family_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\ntitle = "x"\nkind = "choice"\nsource = "s"\ncodes = ["1"]\n'
                   '[facts.a]\nyes = ["("]\n')
    with pytest.raises(ConfigError, match="bad regular expression"):
        load_family(bad)
    bad.write_text('id = "x"\ntitle = "x"\nkind = "choice"\nsource = "s"\ncodes = ["1"]\n'
                   '[[rule]]\ncode = "2"\n')
    with pytest.raises(ConfigError, match="listed in 'codes'"):
        load_family(bad)


def test_every_family_names_its_source_and_no_descriptor_copies() -> None:
    for fam in load_families().values():
        assert fam.source and len(fam.source) > 20
        assert all(rule.why for rule in fam.rules)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(list("abxyz 0123456789.,;:-/\n()#x") + [
    "cm", " x ", "hernia", "44140", "infusion", "push", "Pt A", "1) ", "debrid", "lacerat", "vaccine",
    "post-op", "10/01/26", "defect", "mm", "99213", "right", "knee"]), max_size=80))
def test_review_never_fails_on_odd_text(words: list[str]) -> None:
    review = run("".join(words))
    assert isinstance(review, ProcedureReview)


def test_single_layer_closure_is_a_simple_repair() -> None:
    text = "Lacerations: L forearm 3 cm and L upper arm 2 cm, both single-layer closure with nylon. Coded 12001 x2."
    assert set(billed(text, only("repair"))) == {"12002"}


def test_codes_not_to_bill_become_warnings_for_the_problem_list() -> None:
    from consultant.analysis.findings import WARNING
    from consultant.analysis.procedures.view import procedure_issues

    review = run("Open sigmoid colectomy, end colostomy, rectal stump closed (Hartmann). Billed 44140 + 44320.")
    issues = procedure_issues(review)
    assert [(i.severity, i.codes) for i in issues] == [(WARNING, ("44140", "44320"))]
    assert "do not use 44140 + 44320" in issues[0].message


def test_a_vaccine_named_only_by_brand_starts_the_vaccine_review() -> None:
    text = "Nurse visit, 68 yo on Medicare: Fluzone High-Dose and Pneumovax 23 given, which admin codes?"
    assert set(billed(text)) >= {"G0008", "G0009"}


def test_office_chemo_initial_service_is_the_primary_reason_not_the_first_given() -> None:
    text = ("Office infusion suite: 0900 granisetron 1 mg IV push, then 0910-1010 docetaxel 130 mg "
            "IV over 60 min. Billed 96374 and 96413.")
    review = run(text)
    why = " ".join(ln.why for ln in review.lines if ln.code == "96413")
    assert "primary reason for the encounter" in why
    fix = [c for c in review.corrections if c.codes == ("96374",)]
    assert fix and "primary reason for the encounter" in fix[0].why


@pytest.mark.parametrize("text", [
    "L knee scope: partial medial and partial lateral meniscectomy. Coded 29881-LT x2.",
    "Arthroscopy, left knee, with meniscectomy of the lateral and medial menisci (29881-LT, 29881-59-LT)",
    "Left knee arthroscopy: PMM + PLM, chondral shaving of the trochlea",
])
def test_both_menisci_in_one_knee_says_both(text: str) -> None:
    review = run(text)
    line = next(ln for ln in review.lines if ln.code == "29880")
    assert "both menisci" in line.why


def test_a_replaced_code_gives_the_reason_for_its_replacement() -> None:
    """90471 on a Medicare flu shot is replaced by G0008 because Medicare has its own codes,
    not for the children's counselling rule the family's general note for 90471 states."""
    review = run("Medicare pt 72 yo, nurse visit: flu vaccine (Fluad) given. Billed 90653 and 90471.")
    (fix,) = [c for c in review.corrections if c.codes == ("90471",)]
    assert "G0008" in fix.use and "Medicare's own codes" in fix.why and "age 18" not in fix.why
    child = run("4 yo, Dr counselled mom on each vaccine: Vaxelis given. Billed 90697, 90471.")
    assert any("age 18" in c.why for c in child.corrections if c.codes == ("90471",))


def test_a_fracture_follow_up_with_a_cast_change_in_the_global_is_99024() -> None:
    """No 'post-op' in the note: 'fracture follow-up' and 'cast changed' after the fracture care
    code start the global-period review too."""
    text = ("DOS 11/16/2026. Closed treatment of distal radius fx without manipulation (25600) on "
            "10/26/2026 by Dr Lee. Today fracture follow-up with Dr Lee, x-ray stable, cast changed. "
            "We billed 99213 with S52.501D.")
    review = run(text)
    assert "99024" in [ln.code for ln in review.lines]
    assert any(c.kind == REPLACED and c.codes == ("99213",) for c in review.corrections)


def test_the_patient_part_blanks_each_line_from_its_first_billing_word_on() -> None:
    import random

    from consultant.analysis.procedures.reading import CODER_WORDS, patient_part

    def line_by_line(text: str) -> str:
        out = []
        for line in text.split("\n"):
            stop = CODER_WORDS.search(line)
            out.append(line[: stop.start()] + " " * (len(line) - stop.start()) if stop else line)
        return "\n".join(out)

    rng = random.Random(1)
    vocab = ["billed", "coded", "99213", "123456", "->", "-", ">", "knee", "R", "\n", " ", "coder",
             "I have", "we have", "x", "12345", "\n\n"]
    for _ in range(2000):
        text = "".join(rng.choice(vocab) + rng.choice(["", " "]) for _ in range(rng.randint(0, 25)))
        assert patient_part(text) == line_by_line(text), text
