"""ICD-10-CM guideline rules (consultant.analysis.guidelines): each rule on phrases of our own,
written the way other coders write, against the real ICD-10-CM tables (`full_book`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from consultant.analysis.findings import INFO, WARNING, CodeVerdict, Findings, Suggestion
from consultant.analysis.guidelines import (
    RULES,
    GuidelineCase,
    Ruling,
    apply_guidelines,
    breast,
    combination,
    digestive,
    encounters,
    injury,
    knee,
    neoplasm,
    pregnancy,
    sepsis,
    specificity,
    wounds,
)
from consultant.analysis.guidelines.case import parts_of
from consultant.codes.mention import ICD10CM

ON = date(2026, 5, 1)  # inside the ICD-10-CM release the test book holds


def make_case(book, text: str, named=(), suggested=()) -> GuidelineCase:  # type: ignore[no-untyped-def]
    verdicts = tuple(CodeVerdict(ICD10CM, c, "valid", None, None, "") for c in named)
    sugg = []
    for code, phrase in suggested:
        at = text.index(phrase)
        sugg.append(Suggestion(ICD10CM, code, code, 0.8, (at, at + len(phrase)), phrase, "words"))
    return GuidelineCase(text, ON, verdicts, tuple(sugg), book, ON)


def added(r: Ruling) -> set[str]:
    return {s.code for s in r.add}


def flagged(r: Ruling) -> set[str]:
    return {i.codes[0] for i in r.issues if i.severity == WARNING}


# -- the frame --------------------------------------------------------------------------------


def test_parts_split_patients_and_lettered_questions() -> None:
    text = "Pt 1: breast ca\nPt 2: lung ca\n"
    assert [text[a:b].strip() for a, b in parts_of(text)] == ["Pt 1: breast ca", "Pt 2: lung ca"]
    text = "check these:\na) recheck fx\nb) nonunion\n"
    assert len(parts_of(text)) == 3
    assert parts_of("one patient only") == ((0, 16),)


def test_every_rule_reason_names_a_guideline_section(full_book) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Septic shock due to E. coli pyelo, POA. GDM on insulin at 30w2d. "
        "HTN, CKD stage 4, chronic diastolic CHF. Type 2 DM on metformin."
    )
    case = make_case(full_book, text, named=("A41.9", "Z79.4", "I10"))
    reasons = []
    for rule in RULES:
        r = rule(case)
        reasons += [s.reason for s in r.add] + [i.source for i in r.issues]
    assert reasons
    assert all("OGCR" in x or "Official Guidelines" in x or "Tabular" in x for x in reasons)


# -- neoplasms ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "history"),
    [
        ("L lumpectomy 2018 for breast cancer, radiation completed, no evidence of disease. "
         "New lung mets on CT.", "C50.912", "Z85.3"),
        ("Colon ca s/p right colectomy 2020, finished FOLFOX, NED since.", "C18.9", "Z85.038"),
        ("prostate ca treated with radical prostatectomy in 2015, no further treatment, PSA undetectable",
         "C61", "Z85.46"),
    ],
)
def test_excised_primary_with_treatment_over_is_history(full_book, text, code, history) -> None:  # type: ignore[no-untyped-def]
    r = neoplasm.history_of_neoplasm(make_case(full_book, text, named=(code,)))
    assert history in added(r)
    assert code in flagged(r)
    assert all("I.C.2" in i.source for i in r.issues)


@pytest.mark.parametrize(
    "text",
    [
        "Breast ca s/p lumpectomy, currently on adjuvant chemo, cycle 3.",
        "Known rectal cancer, LAR done, now receiving radiation.",
    ],
)
def test_primary_under_treatment_stays_current(full_book, text) -> None:  # type: ignore[no-untyped-def]
    r = neoplasm.history_of_neoplasm(make_case(full_book, text, named=("C50.911", "C20")))
    assert r.add == () and r.issues == ()


def test_mastectomy_side_adds_acquired_absence(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "left mastectomy for breast ca 2017, chemo finished, no recurrence. Bone mets now."
    r = neoplasm.history_of_neoplasm(make_case(full_book, text, named=("C50.912",)))
    assert {"Z85.3", "Z90.12"} <= added(r)


def test_metastasis_words_withdraw_a_primary_site_suggestion(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "Admitted for SRS to a solitary brain met from lung primary."
    case = make_case(full_book, text, named=("C79.31",), suggested=(("C71.9", "brain met"),))
    assert "C71.9" in neoplasm.metastasis_not_primary(case).drop


@pytest.mark.parametrize(
    "text",
    [
        "Liver mets, primary unknown after full workup.",
        "Bone metastases of unknown primary; palliative XRT.",
    ],
)
def test_secondary_with_unknown_primary_is_c80_1(full_book, text) -> None:  # type: ignore[no-untyped-def]
    r = neoplasm.secondary_needs_primary(make_case(full_book, text, named=("C78.7",)))
    assert "C80.1" in added(r)


def test_secondary_without_primary_asks_for_it(full_book) -> None:  # type: ignore[no-untyped-def]
    r = neoplasm.secondary_needs_primary(make_case(full_book, "Lung mets seen on CT.", named=("C78.00",)))
    assert r.issues and "I.C.2" in r.issues[0].source


@pytest.mark.parametrize(
    "text",
    [
        "Known L lung adenoca on chemo; admitted for resection of a solitary brain metastasis.",
        "Breast ca on tamoxifen, here for craniotomy and excision of the brain met.",
    ],
)
def test_treatment_aimed_at_the_metastasis_puts_it_first(full_book, text) -> None:  # type: ignore[no-untyped-def]
    r = neoplasm.treatment_of_secondary_first(make_case(full_book, text, named=("C34.92", "C79.31")))
    assert r.issues and r.issues[0].codes[0] == "C79.31"
    assert "C79.31 is the principal" in r.issues[0].message and "I.C.2.b" in r.issues[0].source


# -- injuries -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "better"),
    [
        ("4 week recheck of R Colles fx, healing as expected -> S52.531A?", "S52.531A", "S52.531D"),
        ("f/u visit after closed treatment of R distal radius fx: S52.531A", "S52.531A", "S52.531D"),
        ("tib shaft fx, delayed union on today's films: S82.201D", "S82.201D", "S82.201G"),
        ("L clavicle fx 8 months out, established nonunion: S42.002D", "S42.002D", "S42.002K"),
        ("R radius fx healed with malunion, osteotomy planned: S52.531D", "S52.531D", "S52.531P"),
    ],
)
def test_seventh_character_follows_the_visit(full_book, text, code, better) -> None:  # type: ignore[no-untyped-def]
    r = injury.seventh_by_encounter(make_case(full_book, text, named=(code,)))
    assert better in added(r)
    assert code in flagged(r)
    assert any("I.C.19" in i.source for i in r.issues)


def test_open_fracture_takes_the_open_seventh_character(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "open tibial shaft fx (Gustilo II), nonunion at 9 months: S82.201K"
    r = injury.seventh_by_encounter(make_case(full_book, text, named=("S82.201K",)))
    assert "S82.201M" in added(r)


def test_what_if_open_question_answers_for_the_named_fracture(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "a) tibia fx, nonunion -> S82.201K\nb) and if it had been an open fx, Gustilo I? still K?\n"
    r = injury.seventh_by_encounter(make_case(full_book, text, named=("S82.201K",)))
    assert "S82.201M" in added(r)


def test_treated_today_with_a_recheck_planned_keeps_a_and_gives_d_for_later(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "Closed reduction of R Colles fx today, splint applied, recheck in 1 wk."
    r = injury.seventh_by_encounter(make_case(full_book, text, named=("S52.531A",)))
    assert "S52.531D" in added(r) and not flagged(r)


def test_sequela_goes_after_the_residual_condition(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "post-traumatic arthritis of R wrist from a radius fx 6 years ago: M19.131, S52.531S"
    r = injury.seventh_by_encounter(make_case(full_book, text, named=("M19.131", "S52.531S")))
    msgs = " ".join(i.message for i in r.issues)
    assert "M19.131" in msgs and "I.B.10" in " ".join(i.source for i in r.issues)


@pytest.mark.parametrize(
    ("text", "z"),
    [
        ("Fracture aftercare visit for healing L ankle fx: Z47.89", "Z47.89"),
        ("follow-up of a healed laceration, coded Z09", "Z09"),
    ],
)
def test_no_aftercare_z_code_for_an_injury(full_book, text, z) -> None:  # type: ignore[no-untyped-def]
    r = injury.no_aftercare_for_injury(make_case(full_book, text, named=(z,)))
    assert z in flagged(r) and "I.C.21.c.7" in r.issues[0].source


def test_aftercare_z_code_without_an_injury_is_left_alone(full_book) -> None:  # type: ignore[no-untyped-def]
    r = injury.no_aftercare_for_injury(make_case(full_book, "aftercare after knee replacement Z47.1", named=("Z47.1",)))
    assert r.issues == () and r.drop == ()


def test_side_from_the_words_replaces_the_wrong_side(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "XR of the R wrist: displaced distal radius fx (Colles)"
    case = make_case(full_book, text, suggested=(("S52.532A", "distal radius fx (Colles"),))
    r = injury.laterality_from_words(case)
    assert "S52.531A" in added(r) and "S52.532A" in r.drop


# -- sepsis -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Sepsis due to E. coli pyelonephritis", "A41.51"),
        ("septic from MRSA bacteremia, line removed", "A41.02"),
        ("Sepsis, blood cultures grew Klebsiella", "A41.59"),
        ("sepsis secondary to pseudomonas pneumonia", "A41.52"),
    ],
)
def test_sepsis_is_coded_by_its_organism(full_book, text, code) -> None:  # type: ignore[no-untyped-def]
    r = sepsis.sepsis_organism(make_case(full_book, text, named=("A41.9",)))
    assert code in added(r) and "A41.9" in flagged(r)


def test_sepsis_without_an_organism_keeps_a41_9(full_book) -> None:  # type: ignore[no-untyped-def]
    r = sepsis.sepsis_organism(make_case(full_book, "Sepsis, cultures negative", named=("A41.9",)))
    assert r == Ruling()


@pytest.mark.parametrize(
    ("text", "want", "wrong"),
    [
        ("Septic shock from a perforated bowel, on pressors", "R65.21", "R65.20"),
        ("severe sepsis with AKI due to strep pneumonia", "R65.20", "R65.21"),
    ],
)
def test_severe_sepsis_and_septic_shock(full_book, text, want, wrong) -> None:  # type: ignore[no-untyped-def]
    r = sepsis.severe_sepsis(make_case(full_book, text, named=(wrong,)))
    assert want in added(r) and wrong in flagged(r)


def test_sirs_of_non_infectious_origin_is_not_for_sepsis(full_book) -> None:  # type: ignore[no-untyped-def]
    r = sepsis.severe_sepsis(make_case(full_book, "Sepsis due to cellulitis; R65.10?", named=("R65.10",)))
    assert "R65.10" in flagged(r)


def test_localized_infection_listed_first_is_reordered(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "Admitted with septic shock due to UTI, POA. Draft: N39.0, R65.21, A41.51"
    r = sepsis.sepsis_sequencing(make_case(full_book, text, named=("N39.0", "R65.21", "A41.51")))
    msg = r.issues[0].message
    assert "A41.51 (the systemic infection) is sequenced first" in msg
    assert "R65.21 can never be the principal" in msg


def test_sepsis_after_admission_keeps_the_local_infection_first(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "Admitted for pneumonia, developed sepsis on day 3. J18.9, A41.9"
    r = sepsis.sepsis_sequencing(make_case(full_book, text, named=("J18.9", "A41.9")))
    assert r.issues[0].codes[0] == "J18.9" and "I.C.1.d.4" in r.issues[0].source


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("ED note says urosepsis. Which code?", True),
        ("PCP wrote uro-sepsis; attending: sepsis due to E. coli UTI", False),
    ],
)
def test_urosepsis_has_no_code(full_book, text, asks) -> None:  # type: ignore[no-untyped-def]
    r = sepsis.urosepsis_query(make_case(full_book, text))
    assert "no code" in r.issues[0].message and "I.C.1.d.1.a.ii" in r.issues[0].source
    assert bool(r.gaps) is asks


# -- pregnancy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("GDM at 30 wks, now on insulin, glucose log reviewed", "O24.414"),
        ("gestational diabetes controlled on glyburide, 33w", "O24.415"),
        ("gestational DM, diet controlled, 29 weeks", "O24.410"),
        ("delivered today by C-section; GDM on insulin during pregnancy", "O24.424"),
        ("postpartum day 2, GDM diet-controlled", "O24.430"),
    ],
)
def test_gestational_diabetes_by_control_and_setting(full_book, text, code) -> None:  # type: ignore[no-untyped-def]
    r = pregnancy.gestational_diabetes(make_case(full_book, text, named=("O24.419",)))
    assert code in added(r) and "O24.419" in flagged(r)


def test_insulin_wins_over_a_stopped_oral_drug_and_z79_is_dropped(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "GDM, metformin started at 28 wk, switched to NPH (metformin stopped). Z79.4, Z79.84"
    r = pregnancy.gestational_diabetes(make_case(full_book, text, named=("Z79.4", "Z79.84")))
    assert "O24.414" in added(r)
    assert {"Z79.4", "Z79.84"} <= flagged(r)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("pregnant, 22w0d, pre-existing type 2 diabetes on metformin", "O24.112"),
        ("IUP at 10 weeks, type 1 DM on pump", "O24.011"),
        ("G2P1 at 31w4d with pregestational diabetes", "O24.313"),
    ],
)
def test_pre_existing_diabetes_in_pregnancy_with_trimester(full_book, text, code) -> None:  # type: ignore[no-untyped-def]
    r = pregnancy.pregestational_diabetes(make_case(full_book, text))
    assert code in added(r)


@pytest.mark.parametrize(
    ("text", "named", "better"),
    [
        ("MFM visit, 20w1d, type 2 DM", "O24.119", "O24.112"),
        ("OB visit at 13w6d, elderly multigravida", "O09.529", "O09.521"),
        ("prenatal visit 28w0d, elderly primigravida", "O09.512", "O09.513"),
    ],
)
def test_trimester_from_the_weeks(full_book, text, named, better) -> None:  # type: ignore[no-untyped-def]
    r = pregnancy.trimester_from_weeks(make_case(full_book, text, named=(named,)))
    assert better in added(r) and named in flagged(r)


@pytest.mark.parametrize(("weeks", "code"), [("6w2d", "Z3A.01"), ("32w3d", "Z3A.32"), ("43 weeks", "Z3A.49")])
def test_weeks_of_gestation_code(full_book, weeks, code) -> None:  # type: ignore[no-untyped-def]
    text = f"OB visit at {weeks}, O99.89"
    r = pregnancy.weeks_of_gestation(make_case(full_book, text, named=("O99.89",)))
    assert code in added(r)


def test_weeks_of_a_past_event_are_not_todays(full_book) -> None:  # type: ignore[no-untyped-def]
    assert pregnancy.weeks_in("GDM dx at 26 wks; today 34 weeks") is not None
    assert pregnancy.weeks_in("GDM dx at 26 wks; today 34 weeks")[0] == 34  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("38 yo G4P3 at 16 weeks, AMA", "O09.522"),
        ("advanced maternal age, primigravida, 30w", "O09.513"),
    ],
)
def test_elderly_pregnancy_supervision(full_book, text, code) -> None:  # type: ignore[no-untyped-def]
    assert code in added(pregnancy.elderly_pregnancy(make_case(full_book, text)))


# -- combinations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("HTN, CKD 3a, chronic systolic HF", "I13.0"),
        ("hypertension and ESRD on HD, acute on chronic diastolic CHF", "I13.2"),
        ("HTN with CKD stage 4", "I12.9"),
        ("HTN, ESRD on dialysis", "I12.0"),
        ("HTN, HFrEF", "I11.0"),
    ],
)
def test_hypertension_combination_is_presumed(full_book, text, code) -> None:  # type: ignore[no-untyped-def]
    r = combination.hypertension_combination(make_case(full_book, text, named=("I10",)))
    assert code in added(r) and "I10" in flagged(r)
    assert "presumed" in r.add[0].reason


def test_hypertension_documented_as_unrelated_is_left_alone(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "HTN; CKD 3b due to lithium, not due to hypertension"
    assert combination.hypertension_combination(make_case(full_book, text, named=("I10",))) == Ruling()


def test_combination_code_goes_before_the_heart_failure_code(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "admitted with acute on chronic systolic CHF, HTN, ESRD on HD"
    r = combination.hypertension_combination(make_case(full_book, text, named=("I50.23", "N18.6")))
    assert any(i.message.startswith("I13.2 goes before I50.23") for i in r.issues)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("chronic HFpEF, EF 60%", "I50.32"),
        ("acute on chronic systolic heart failure", "I50.23"),
        ("acute diastolic CHF", "I50.31"),
        ("HFrEF, compensated", "I50.22"),
    ],
)
def test_heart_failure_type_and_acuity(full_book, text, code) -> None:  # type: ignore[no-untyped-def]
    r = combination.heart_failure_type(make_case(full_book, text, named=("I50.9",)))
    assert code in added(r) and "I50.9" in flagged(r)


@pytest.mark.parametrize(
    ("text", "code"),
    [("CKD stage 3b", "N18.32"), ("CKD 3a", "N18.31"), ("stage 4 CKD", "N18.4"), ("ESRD on HD", "N18.6")],
)
def test_ckd_stage(full_book, text, code) -> None:  # type: ignore[no-untyped-def]
    assert code in added(combination.ckd_stage(make_case(full_book, text)))


def test_esrd_replaces_stage_5_and_adds_dialysis(full_book) -> None:  # type: ignore[no-untyped-def]
    r = combination.ckd_stage(make_case(full_book, "ESRD on hemodialysis, N18.5", named=("N18.5",)))
    assert {"N18.6", "Z99.2"} <= added(r) and "N18.5" in flagged(r)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("DM2 with CKD stage 3a", {"E11.22"}),
        ("type 1 diabetes, CKD 2", {"E10.22"}),
        ("uncontrolled type 2 DM, BG 350", {"E11.65"}),
        ("diabetes, poorly controlled, with chronic kidney disease", {"E11.22", "E11.65"}),
    ],
)
def test_diabetes_combination_codes(full_book, text, codes) -> None:  # type: ignore[no-untyped-def]
    r = combination.diabetes_combination(make_case(full_book, text, named=("E11.9",)))
    assert codes <= added(r)
    if "type 1" not in text:
        assert "E11.9" in flagged(r)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("DM2 on glargine and metformin", {"Z79.4", "Z79.84"}),
        ("type 2 diabetes on Ozempic", {"Z79.85"}),
        ("T2DM, metformin discontinued, now on insulin", {"Z79.4"}),
    ],
)
def test_diabetes_drug_codes(full_book, text, codes) -> None:  # type: ignore[no-untyped-def]
    r = combination.diabetes_drugs(make_case(full_book, text))
    assert added(r) == codes


# -- wiring -------------------------------------------------------------------------------------


def test_apply_guidelines_adds_replaces_and_flags(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "Sepsis due to E. coli UTI, POA. Coder: A41.9"
    case = make_case(full_book, text, suggested=(("A41.9", "Sepsis"),))
    findings = Findings(ON, "email", case.verdicts, case.suggestions, (), (), ())
    out = apply_guidelines(findings, text, full_book)
    assert out.suggestions[0].code == "A41.51"
    assert "A41.9" not in {s.code for s in out.suggestions}
    named = make_case(full_book, text, named=("A41.9",))
    findings = Findings(ON, "email", named.verdicts, (), (), (), ())
    out = apply_guidelines(findings, text, full_book)
    assert any(i.kind == "guideline" and i.codes[0] == "A41.9" for i in out.issues)
    assert apply_guidelines(findings, text, full_book, rules=()) is findings


def test_info_is_never_an_error(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "Admitted with septic shock due to UTI, POA. N39.0, R65.21, A41.51"
    r = sepsis.sepsis_sequencing(make_case(full_book, text, named=("N39.0", "R65.21", "A41.51")))
    assert all(i.severity == INFO for i in r.issues)


# -- specificity from the words ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "better"),
    [
        ("chronic hypoxemic respiratory failure on home O2", "J96.10", "J96.11"),
        ("acute resp failure with CO2 retention, BiPAP", "J96.00", "J96.02"),
        ("acute on chronic resp failure, hypercapnic on ABG", "J96.20", "J96.22"),
    ],
)
def test_respiratory_failure_with_hypoxia_or_hypercapnia(full_book, text, code, better) -> None:  # type: ignore[no-untyped-def]
    r = specificity.respiratory_failure_type(make_case(full_book, text, named=(code,)))
    assert better in added(r) and code in flagged(r)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("moderate persistent asthma with acute exacerbation", "J45.41"),
        ("mild intermittent asthma, well controlled", "J45.20"),
        ("severe persistent asthma in status asthmaticus", "J45.52"),
    ],
)
def test_asthma_by_severity_and_exacerbation(full_book, text, code) -> None:  # type: ignore[no-untyped-def]
    r = specificity.asthma_severity(make_case(full_book, text, named=("J45.901",)))
    assert code in added(r) and "J45.901" in flagged(r)


def test_copd_with_pneumonia_and_exacerbation_takes_both_codes(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "AECOPD with LLL pneumonia, on nebs and steroids"
    r = specificity.copd_infection_and_exacerbation(make_case(full_book, text))
    assert {"J44.0", "J44.1"} <= added(r)
    assert r.issues[0].message.startswith("J44.0 and J44.1 can both be reported")


def test_copd_exacerbation_alone_is_not_j44_0(full_book) -> None:  # type: ignore[no-untyped-def]
    assert specificity.copd_infection_and_exacerbation(make_case(full_book, "COPD exacerbation")) == Ruling()


@pytest.mark.parametrize(
    ("text", "code"),
    [("current smoker, 1ppd x 30 yrs", "F17.210"), ("currently smokes a pipe", "F17.200")],
)
def test_current_smoker_is_dependence_not_history(full_book, text, code) -> None:  # type: ignore[no-untyped-def]
    r = specificity.tobacco_current_not_history(make_case(full_book, text, named=("Z87.891",)))
    assert code in added(r) and "Z87.891" in flagged(r)


def test_former_smoker_keeps_the_history_code(full_book) -> None:  # type: ignore[no-untyped-def]
    r = specificity.tobacco_current_not_history(make_case(full_book, "former smoker, quit 2010", named=("Z87.891",)))
    assert r == Ruling()


@pytest.mark.parametrize("text", ["COPD on 3L home O2", "on continuous oxygen since 2022", "O2-dependent"])
def test_home_oxygen_is_a_status(full_book, text) -> None:  # type: ignore[no-untyped-def]
    assert "Z99.81" in added(specificity.oxygen_dependence(make_case(full_book, text)))


def test_ulcer_depth_and_side_replace_unspecified_severity(full_book) -> None:  # type: ignore[no-untyped-def]
    text = (
        "1. R heel diabetic ulcer, fat layer exposed, debrided.\n"
        "2. L heel diabetic ulcer with necrosis of muscle.\n"
        "Dx: E11.621, L97.419 x2\n"
    )
    r = specificity.ulcer_depth(make_case(full_book, text, named=("L97.419",)))
    assert {"L97.412", "L97.423"} <= added(r)


# -- encounters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "finding", "z"),
    [
        ("screening colonoscopy, 6 mm polyp snared: K63.5", "K63.5", "Z12.11"),
        ("screening mammogram showed a mass, N63.0", "N63.0", "Z12.31"),
    ],
)
def test_screening_code_first_then_the_finding(full_book, text, finding, z) -> None:  # type: ignore[no-untyped-def]
    r = encounters.screening_first(make_case(full_book, text, named=(finding,)))
    assert z in added(r)
    assert r.issues[0].message.startswith(f"{z} is listed first")


def test_diagnostic_exam_is_not_a_screening(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "diagnostic colonoscopy for rectal bleeding, not screening: K62.5"
    assert encounters.screening_first(make_case(full_book, text, named=("K62.5",))) == Ruling()


@pytest.mark.parametrize(
    "text",
    ["Well visit, 4 yo: MMR and varicella vaccines given by the MA",
     "Office visit for a tetanus booster shot after the clinic's reminder letter",
     "Nurse-only visit: Shingrix dose 2 in the left deltoid"],
)
def test_a_vaccine_given_is_an_encounter_for_immunization(full_book, text) -> None:  # type: ignore[no-untyped-def]
    r = encounters.immunization_encounter(make_case(full_book, text))
    assert added(r) == {"Z23"}
    assert "I.C.21.c.2" in r.add[0].reason


def test_vaccine_product_codes_named_are_read_from_the_codes_not_record_numbers(full_book) -> None:  # type: ignore[no-untyped-def]
    case = make_case(full_book, "Acct 90715-3 seen for HTN, I10")
    assert encounters.immunization_encounter(case) == Ruling()
    verdicts = (CodeVerdict("CPT", "90715", "valid", None, None, ""),)
    named = GuidelineCase("billed 90715 and 90471 today", ON, verdicts, (), full_book, ON)
    assert added(encounters.immunization_encounter(named)) == {"Z23"}


def test_a_vaccine_declined_is_no_immunization_encounter(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "Mother declined the influenza vaccine again; asthma check, J45.20"
    assert encounters.immunization_encounter(make_case(full_book, text, named=("J45.20",))) == Ruling()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Pt with infiltrating ductal carcinoma of the right breast, upper-inner quadrant, cycle 2", "C50.211"),
        ("R breast ca at the 10 o'clock position, port placed today", "C50.411"),
        ("left breast ILC, 7:00, lumpectomy scheduled", "C50.312"),
        ("64 yo M with carcinoma of the left breast, subareolar", "C50.122"),
        ("breast cancer, side not stated in the referral", "C50.919"),
    ],
)
def test_breast_malignancy_is_coded_by_quadrant_side_and_sex(full_book, text, code) -> None:  # type: ignore[no-untyped-def]
    r = breast.breast_site_and_side(make_case(full_book, text))
    assert added(r) == {code}
    assert "Neoplasm Table" in r.add[0].reason


def test_breast_lump_title_read_from_cancer_words_is_withdrawn(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "Dx: lt breast IDC, UOQ - C1D1 docetaxel"
    case = make_case(full_book, text, suggested=(("N63.22", "lt breast IDC, UOQ"),))
    r = breast.breast_site_and_side(case)
    assert added(r) == {"C50.412"} and "N63.22" in r.drop


def test_unspecified_breast_site_written_is_flagged_when_the_note_has_it(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "C50.911 billed; op note: right breast carcinoma at the upper outer quadrant"
    r = breast.breast_site_and_side(make_case(full_book, text, named=("C50.911",)))
    assert added(r) == {"C50.411"}
    assert flagged(r) == {"C50.911"} and "do not use C50.911" in r.issues[0].message


@pytest.mark.parametrize(
    "text",
    ["screening mammogram, breast cancer in her sister", "r/o breast ca, diagnostic mammo",
     "left breast DCIS, lumpectomy", "history of right breast cancer 2015"],
)
def test_no_current_breast_cancer_is_left_alone(full_book, text) -> None:  # type: ignore[no-untyped-def]
    assert breast.breast_site_and_side(make_case(full_book, text)).add == ()


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("right breast carcinoma; estrogen receptor positive, PR negative, HER-2/neu negative",
         {"Z17.0", "Z17.22", "Z17.32"}),
        ("L breast ca, ER/PR neg, HER2 pos", {"Z17.1", "Z17.22", "Z17.31"}),
        ("breast cancer, hormone receptor positive, HER2-negative", {"Z17.411"}),
        ("triple-negative carcinoma of the left breast", {"Z17.421"}),
    ],
)
def test_receptor_status_is_read_with_its_sign(full_book, text, codes) -> None:  # type: ignore[no-untyped-def]
    wrong = [("Z17.31", "HER")] if "HER" in text else []
    r = breast.receptor_status(make_case(full_book, text, suggested=wrong))
    assert added(r) == codes
    if wrong and "Z17.31" not in codes:
        assert "Z17.31" in r.drop


def test_er_without_a_cancer_is_the_emergency_room(full_book) -> None:  # type: ignore[no-untyped-def]
    assert breast.receptor_status(make_case(full_book, "seen in the ER - chest pain, ER+ triage")) == Ruling()


def test_each_repaired_wound_is_a_laceration_code_by_site_and_side(full_book) -> None:  # type: ignore[no-untyped-def]
    text = ("Urgent care, dog-free fall on gravel. Lacerations repaired:\n"
            "a) left upper arm 5 cm, intermediate closure with 3-0 Vicryl\n"
            "b) chin 1 cm, Dermabond\n"
            "c) right knee 4 cm, simple sutures; no foreign body seen")
    assert added(wounds.laceration_by_site(make_case(full_book, text))) == {"S41.112A", "S01.81XA", "S81.011A"}


def test_a_repair_code_named_is_enough_to_read_the_wound_list(full_book) -> None:  # type: ignore[no-untyped-def]
    verdicts = (CodeVerdict("CPT", "12002", "valid", None, None, ""),)
    text = "Billed 12002.\n1) R foot, 3 cm, nylon\n2) R ankle 2.5 cm, nylon"
    case = GuidelineCase(text, ON, verdicts, (), full_book, ON)
    assert added(wounds.laceration_by_site(case)) == {"S91.311A", "S91.011A"}


@pytest.mark.parametrize(
    "text",
    ["Knee arthroscopy, portals closed with nylon",                       # no laceration
     "laceration of the R index finger with nail bed repair, 2 cm",       # the digit decides
     "lac R forearm 3 cm with glass foreign body removed, sutured"],      # foreign body
)
def test_lacerations_the_rule_must_not_guess(full_book, text) -> None:  # type: ignore[no-untyped-def]
    assert wounds.laceration_by_site(make_case(full_book, text)) == Ruling()


@pytest.mark.parametrize(
    ("text", "vague", "code"),
    [
        ("Palpable mass in the right breast; on exam it sits in the lower inner quadrant", "N63.10", "N63.14"),
        ("breast lump, left, at 4 o'clock, 8 mm", "N63.20", "N63.23"),
        ("R breast lump in the axillary tail, imaging ordered", "N63.10", "N63.31"),
    ],
)
def test_breast_lump_takes_the_quadrant_the_note_documents(full_book, text, vague, code) -> None:  # type: ignore[no-untyped-def]
    phrase = "mass in the right breast" if "mass" in text else ("breast lump" if "breast lump" in text else "lump")
    r = breast.breast_lump_quadrant(make_case(full_book, text, suggested=((vague, phrase),)))
    assert added(r) == {code} and vague in r.drop


def test_breast_lump_without_a_quadrant_is_left_alone(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "new lump L breast, no further exam documented"
    assert breast.breast_lump_quadrant(make_case(full_book, text, suggested=(("N63.20", "lump L breast"),))) == Ruling()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Surgeon's dx: acute appendicitis, focal peritonitis, not perforated, no gangrene", "K35.30"),
        ("Ruptured appendicitis with diffuse peritonitis, no abscess found", "K35.201"),
        ("acute appendicitis, gangrenous tip, localized peritonitis, no perforation", "K35.31"),
        ("acute appendicitis with localised peritonitis, perforated, periappendiceal abscess drained", "K35.33"),
    ],
)
def test_appendicitis_with_peritonitis_is_one_combination_code(full_book, text, code) -> None:  # type: ignore[no-untyped-def]
    case = make_case(full_book, text, suggested=(("K65.0", "peritonitis"), ("K35.80", "appendicitis")))
    r = digestive.appendicitis_combination(case)
    assert added(r) == {code}
    assert {"K65.0", "K35.80"} <= set(r.drop)


def test_appendicitis_named_with_a_separate_peritonitis_code_is_flagged(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "Dx K35.80 + K65.9 - acute appendicitis with localized peritonitis, no perforation or gangrene"
    r = digestive.appendicitis_combination(make_case(full_book, text, named=("K35.80", "K65.9")))
    assert added(r) == {"K35.30"} and flagged(r) == {"K35.80", "K65.9"}


def test_appendicitis_without_peritonitis_is_left_to_the_tables(full_book) -> None:  # type: ignore[no-untyped-def]
    assert digestive.appendicitis_combination(make_case(full_book, "acute appendicitis, no peritonitis")) == Ruling()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Left knee arthroscopy after a skiing fall: flap tear of the medial meniscus trimmed", "S83.242A"),
        ("R knee: bucket handle tear, lateral meniscus, reduced and repaired", "S83.251A"),
        ("right knee, complex tear of the medial meniscus from a fall last week", "S83.231A"),
        ("L knee: chronic degenerative tear, anterior horn of the lateral meniscus", "M23.242"),
        ("left knee - medial meniscus, posterior horn degenerative tear, no trauma", "M23.222"),
    ],
)
def test_meniscus_tear_by_meniscus_type_knee_and_cause(full_book, text, code) -> None:  # type: ignore[no-untyped-def]
    assert added(knee.meniscus_tear_type(make_case(full_book, text))) == {code}


def test_meniscus_tear_named_with_the_wrong_type_is_flagged(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "Right knee scope: complex tear of the lateral meniscus. Dx S83.281A"
    r = knee.meniscus_tear_type(make_case(full_book, text, named=("S83.281A",)))
    assert added(r) == {"S83.271A"} and flagged(r) == {"S83.281A"}


def test_meniscus_tear_without_a_knee_side_or_type_is_left_alone(full_book) -> None:  # type: ignore[no-untyped-def]
    assert knee.meniscus_tear_type(make_case(full_book, "medial meniscus tear, MRI ordered")) == Ruling()


# -- what the rules must leave alone (phrases from long case histories) --------------------------


def test_negated_stage_words_do_not_move_the_seventh_character(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "pelvic fx repaired, healed without sequelae: S32.9XXA"
    assert injury.seventh_by_encounter(make_case(full_book, text, named=("S32.9XXA",))).add == ()


def test_a_follow_up_far_from_the_injury_is_not_its_encounter(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "Closed L ankle fracture S82.892A." + " Labs and imaging were unremarkable." * 6 + " Diabetes follow-up with PCP."
    assert injury.seventh_by_encounter(make_case(full_book, text, named=("S82.892A",))).add == ()


@pytest.mark.parametrize(
    ("text", "phrase"),
    [("metastatic lung cancer on chemo", "lung cancer"),
     ("renal metastasis of pulmonary carcinoma", "pulmonary carcinoma")],
)
def test_the_primary_named_beside_a_metastasis_is_kept(full_book, text, phrase) -> None:  # type: ignore[no-untyped-def]
    case = make_case(full_book, text, suggested=(("C34.90", phrase),))
    assert "C34.90" not in neoplasm.metastasis_not_primary(case).drop


def test_screening_must_be_said_of_the_exam(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "prostate adenocarcinoma, PSA of 794 and alkaline phosphatase 870, bone screening showed mets"
    assert encounters.screening_first(make_case(full_book, text)) == Ruling()


@pytest.mark.parametrize("text", ["type 2 DM with insulin resistance", "DM2, insulin levels drawn"])
def test_insulin_as_a_lab_word_is_not_long_term_insulin(full_book, text) -> None:  # type: ignore[no-untyped-def]
    assert "Z79.4" not in added(combination.diabetes_drugs(make_case(full_book, text)))


def test_an_obstetric_history_is_not_a_pregnancy(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "62-year-old woman, G4P3, multigravida, admitted for a hip fracture"
    assert pregnancy.elderly_pregnancy(make_case(full_book, text)) == Ruling()


def test_a_removal_not_put_in_the_past_is_this_episode(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "Right hemicolectomy for cecal adenocarcinoma, margins clear, no residual disease."
    r = neoplasm.history_of_neoplasm(make_case(full_book, text, named=("C18.0",)))
    assert r == Ruling()


@pytest.mark.parametrize(
    ("text", "code", "better"),
    [
        ("ED visit: slipped on ice, closed fx of R femoral neck, admitted for ORIF. Coded S72.001D?", "S72.001D", "S72.001A"),
        ("fell off a ladder this morning, L wrist fx, closed reduction in clinic: S52.502D", "S52.502D", "S52.502A"),
    ],
)
def test_active_treatment_now_is_the_initial_encounter(full_book, text, code, better) -> None:  # type: ignore[no-untyped-def]
    r = injury.seventh_by_encounter(make_case(full_book, text, named=(code,)))
    assert better in added(r) and code in flagged(r)


def test_treatment_put_in_the_past_is_not_this_visit(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "f/u of her L wrist fracture, ORIF done 3/2/26, healing well per XR. I coded S52.502A."
    r = injury.seventh_by_encounter(make_case(full_book, text, named=("S52.502A",)))
    assert "S52.502D" in added(r) and "S52.502A" in flagged(r)


def test_urosepsis_with_sepsis_ruled_out_says_not_to_code_sepsis(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "ED: urosepsis. Hospitalist: UTI, no sepsis criteria met. Coded A41.9 + N39.0?"
    case = make_case(full_book, text, named=("A41.9", "N39.0"))
    r = sepsis.urosepsis_query(case)
    assert r.issues[0].severity == WARNING and r.issues[0].codes == ("A41.9",)
    assert sepsis.sepsis_sequencing(case) == Ruling()


def test_specific_history_code_replaces_the_unspecified_one(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "h/o colon ca s/p hemicolectomy 2021, completed adjuvant FOLFOX, CT NED. C18.6?"
    case = make_case(full_book, text, named=("C18.6",), suggested=(("Z85.9", "h/o colon ca"),))
    r = neoplasm.history_of_neoplasm(case)
    assert "Z85.038" in added(r) and "Z85.9" in r.drop


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("G2P2, 39w1d, delivered vaginally, GDM diet controlled", "Z37.0"),
        ("di-di twins delivered by C-section at 36w, both well", "Z37.2"),
        ("IUFD at 30w, induced, delivered stillborn infant", "Z37.1"),
    ],
)
def test_delivery_outcome_on_the_maternal_record(full_book, text, code) -> None:  # type: ignore[no-untyped-def]
    assert code in added(pregnancy.delivery_outcome(make_case(full_book, text)))


def test_a_planned_c_section_is_not_a_delivery(full_book) -> None:  # type: ignore[no-untyped-def]
    assert pregnancy.delivery_outcome(make_case(full_book, "32w2d, C-section planned at 39w")) == Ruling()


def test_obstetric_codes_go_first(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "MFM 20w1d: E11.9, O24.112, Z3A.20"
    r = pregnancy.obstetric_first(make_case(full_book, text, named=("E11.9", "O24.112", "Z3A.20")))
    assert r.issues[0].message.startswith("O24.112 goes before E11.9")
    text = "incidental pregnancy, seen for ankle sprain: S93.401A, Z33.1"
    assert pregnancy.obstetric_first(make_case(full_book, text, named=("S93.401A", "Z33.1"))) == Ruling()


def test_heart_failure_type_is_read_from_its_own_clause(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "systolic and diastolic murmur, and signs of heart failure"
    assert combination.heart_failure_type(make_case(full_book, text)) == Ruling()


def test_diet_alone_is_diet_controlled(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "34 week G2P1 here for GDM f/u, fasting sugars ok on diet alone. Billed O24.414."
    r = pregnancy.gestational_diabetes(make_case(full_book, text, named=("O24.414",)))
    assert "O24.410" in added(r) and "O24.414" in flagged(r)


def test_incidental_pregnancy_code_gives_way_to_a_managed_pregnancy(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "type 1 DM in pregnancy at 24 wks: O24.012"
    case = make_case(full_book, text, named=("O24.012",), suggested=(("Z33.1", "in pregnancy"),))
    assert "Z33.1" in pregnancy.obstetric_first(case).drop


def test_sequencing_names_the_septic_shock_code(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "admitted with sepsis due to Klebsiella pneumonia, POA, septic shock. Coded J15.0, A41.59, R65.20"
    case = make_case(full_book, text, named=("J15.0", "A41.59", "R65.20"), suggested=(("R65.21", "septic shock"),))
    msg = sepsis.sepsis_sequencing(case).issues[0].message
    assert "R65.21 can never be the principal" in msg


def test_questions_about_a_withdrawn_code_go_with_it(full_book) -> None:  # type: ignore[no-untyped-def]
    from consultant.analysis.findings import DocumentationGap

    text = "6 wk recheck of R Colles fx, healing as expected"
    case = make_case(full_book, text, suggested=(("S52.531A", "R Colles fx"), ("T14.8XXA", "fx")))
    gaps = (
        DocumentationGap("R Colles fx", "Which episode of care is this for S52.531? (initial ...)"),
        DocumentationGap("fx", "T14.8XXA (Other injury of unspecified body region) is unspecified"),
        DocumentationGap("x", "Which side for S52.53?"),
    )
    findings = Findings(ON, "email", (), case.suggestions, (), gaps, ())
    out = apply_guidelines(findings, text, full_book)
    assert [s.code for s in out.suggestions] == ["S52.531D"]
    assert [g.question for g in out.gaps] == ["Which side for S52.53?"]


@pytest.mark.parametrize(
    ("text", "primary", "nodes"),
    [
        ("Path: adenocarcinoma of cecum, pT3 N1a (1/19 LN pos). C18.0", "C18.0", "C77.2"),
        ("L breast IDC, 2 positive axillary nodes, C50.912", "C50.912", "C77.3"),
        ("RUL adenocarcinoma with hilar nodal metastasis, C34.11", "C34.11", "C77.1"),
    ],
)
def test_positive_nodes_are_secondary(full_book, text, primary, nodes) -> None:  # type: ignore[no-untyped-def]
    assert nodes in added(neoplasm.positive_nodes_secondary(make_case(full_book, text, named=(primary,))))


def test_negative_nodes_add_nothing(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "sigmoid adenocarcinoma pT2 N0 (0/14 LN), C18.7"
    assert neoplasm.positive_nodes_secondary(make_case(full_book, text, named=("C18.7",))) == Ruling()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Prenatal visit, 9w4d, chronic HTN on labetalol. Dx I10", "O10.011"),
        ("31w2d, gestational hypertension, BP 150/95", "O13.3"),
        ("G1 at 35w, preeclampsia with severe features, admitted", "O14.13"),
        ("delivered today, pre-eclampsia, mild", "O14.04"),
    ],
)
def test_hypertension_in_pregnancy_is_chapter_15(full_book, text, code) -> None:  # type: ignore[no-untyped-def]
    r = pregnancy.hypertension_in_pregnancy(make_case(full_book, text, named=("I10",) if "I10" in text else ()))
    assert code in added(r)
    if "I10" in text:
        assert "I10" in flagged(r)


def test_unqualified_hypertension_in_pregnancy_is_a_question(full_book) -> None:  # type: ignore[no-untyped-def]
    r = pregnancy.hypertension_in_pregnancy(make_case(full_book, "28w1d, HTN noted today. I10?", named=("I10",)))
    assert r.add == () and r.gaps and "I10" in flagged(r)


def test_a_removal_said_of_something_else_is_not_a_cancer_history(full_book) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Hernia repair 09/30/26. Incision healing well, no recurrence, steri strips removed. "
        "New lump L breast, 1.5 cm mass upper outer quadrant, mammo ordered."
    )
    case = make_case(full_book, text, suggested=(("C50.412", "mass upper outer quadrant"),))
    assert neoplasm.history_of_neoplasm(case) == Ruling()


def test_analyze_applies_the_guidelines(full_book) -> None:  # type: ignore[no-untyped-def]
    from consultant.analysis.consult import analyze
    from consultant.analysis.suggest import SuggestIndex

    text = "OB visit 4/20/26 at 33w2d. GDM, now on insulin glargine. Draft: O24.419, Z79.4, Z3A.33"
    f = analyze(text, full_book, SuggestIndex.load(full_book), today=ON)
    assert "O24.414" in {s.code for s in f.suggestions}
    assert any(i.kind == "guideline" and i.codes[0] == "Z79.4" for i in f.issues)


# -- signs and symptoms (OGCR I.B.4, I.B.5) ---------------------------------------------------

from consultant.analysis.guidelines.symptoms import symptom_of_definitive  # noqa: E402


@pytest.mark.parametrize(("text", "named", "suggested", "gone"), [
    ("Cough and fever for 3 days, dx acute bronchitis J20.9.", ("J20.9",),
     (("R05.9", "Cough"), ("R50.9", "fever")), {"R05.9", "R50.9"}),
    ("RLQ abdominal pain with vomiting: acute appendicitis.", (),
     (("R10.31", "RLQ abdominal pain"), ("R11.10", "vomiting"), ("K35.80", "acute appendicitis")),
     {"R10.31", "R11.10"}),
    ("Chest pain, troponin up: NSTEMI I21.4.", ("I21.4",), (("R07.9", "Chest pain"),), {"R07.9"}),
])
def test_symptoms_of_an_established_diagnosis_are_withdrawn(full_book, text, named, suggested,  # type: ignore[no-untyped-def]
                                                            gone) -> None:
    r = symptom_of_definitive(make_case(full_book, text, named=named, suggested=suggested))
    assert set(r.drop) == gone and not r.issues


@pytest.mark.parametrize(("text", "named", "suggested"), [
    ("Cough for 3 weeks, chest X-ray clear, no diagnosis yet.", (), (("R05.9", "Cough"),)),        # I.B.4
    ("Fever. Also known type 2 diabetes E11.9.", ("E11.9",), (("R50.9", "Fever"),)),             # unrelated
    ("Pt 1: cough\nPt 2: acute bronchitis J20.9\n", ("J20.9",), (("R05.9", "cough"),)),  # other patient
])
def test_a_symptom_without_its_diagnosis_stays(full_book, text, named, suggested) -> None:  # type: ignore[no-untyped-def]
    r = symptom_of_definitive(make_case(full_book, text, named=named, suggested=suggested))
    assert r.drop == () and r.issues == ()


def test_a_symptom_the_sender_wrote_beside_its_diagnosis_is_flagged_not_removed(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "Dx: J18.9 pneumonia, R05.9 cough, R50.9 fever."
    r = symptom_of_definitive(make_case(full_book, text, named=("J18.9", "R05.9", "R50.9")))
    assert r.drop == () and {i.codes for i in r.issues} == {("R05.9", "J18.9"), ("R50.9", "J18.9")}
    assert all(i.severity == INFO and "I.B.5" in i.source for i in r.issues)


def test_answers_and_notes_name_the_code_a_guideline_replaced() -> None:
    """'list A41.9 before R65.21' answered before the sepsis rule said 'use A41.51' names A41.51,
    and says it replaced the written code; the rule's own note keeps the written code."""
    from consultant.analysis.findings import DirectAnswer, Issue
    from consultant.analysis.guidelines import _answers_with_replacements, _issues_with_replacements

    rule = Issue(WARNING, "guideline", ("A41.9", "A41.51"),
                 "A41.9 is sepsis of an unspecified organism, but the organism is documented: use A41.51.", "OGCR")
    note = Issue(WARNING, "code_first", ("R65.21", "A41.9"), "R65.21: list A41.9 before R65.21.", "Tabular")
    other = Issue(WARNING, "code_first", ("R65.21", "A41.91"), "list A41.91 first", "Tabular")
    answer = DirectAnswer("sequencing", "which diagnosis goes first?", "List A41.9 before R65.21.", "", ("A41.9",))
    (a,) = _answers_with_replacements((answer,), (rule,), {"A41.9", "R65.21"})
    assert a.answer.startswith("List A41.51 before R65.21.") and "not A41.9 as written" in a.answer
    assert a.codes == ("A41.51",)
    kept_rule, swapped, untouched = _issues_with_replacements((rule, note, other), {"A41.9", "R65.21"})
    assert kept_rule == rule and untouched == other
    assert swapped.message.startswith("R65.21: list A41.51 before R65.21.") and swapped.codes == ("R65.21", "A41.51")
    # a replacement of a code the sender did not write changes nothing
    assert _answers_with_replacements((answer,), (rule,), {"R65.21"}) == (answer,)


def test_knee_pain_beside_knee_osteoarthritis_is_withdrawn(full_book) -> None:  # type: ignore[no-untyped-def]
    text = "R knee pain, OA R knee on xray: M17.11. Steroid injection given."
    r = symptom_of_definitive(make_case(full_book, text, named=("M17.11",),
                                        suggested=(("M25.561", "R knee pain"),)))
    assert r.drop == ("M25.561",)
    hip = "R knee pain; OA of the L hip M16.12 known."
    assert symptom_of_definitive(make_case(full_book, hip, named=("M16.12",),
                                           suggested=(("M25.561", "R knee pain"),))).drop == ()


def test_an_unspecified_code_beside_the_specific_code_written_for_it_is_withdrawn(full_book) -> None:  # type: ignore[no-untyped-def]
    from consultant.analysis.guidelines.symptoms import unspecified_beside_specific

    def named_case(text: str, named: tuple[str, ...], suggested: tuple[tuple[str, str, str], ...]) -> GuidelineCase:
        case = make_case(full_book, text, named=named)
        verdicts = tuple(replace(v, title=full_book.entry(ICD10CM, v.code, ON).title) for v in case.verdicts)
        sugg = tuple(Suggestion(ICD10CM, c, title, 0.8, (text.index(p), text.index(p) + len(p)), p, "words")
                     for c, title, p in suggested)
        return replace(case, verdicts=verdicts, suggestions=sugg)

    oa = named_case("OA R knee, coded M17.11.", ("M17.11",),
                    (("M19.90", "Unspecified osteoarthritis, unspecified site", "OA"),))
    assert unspecified_beside_specific(oa).drop == ("M19.90",)
    hf = named_case("Heart failure: chronic diastolic, I50.32.", ("I50.32",),
                    (("I50.9", "Heart failure, unspecified", "Heart failure"),))
    assert unspecified_beside_specific(hf).drop == ("I50.9",)
    other = named_case("Anemia; also CKD 3a N18.31.", ("N18.31",),
                       (("D64.9", "Anemia, unspecified", "Anemia"),))
    assert unspecified_beside_specific(other).drop == ()          # another condition: kept


def test_a_written_code_without_complications_beside_one_with_is_flagged(full_book) -> None:  # type: ignore[no-untyped-def]
    from consultant.analysis.guidelines.symptoms import unspecified_beside_specific

    def titled(text: str, named: tuple[str, ...]) -> GuidelineCase:
        case = make_case(full_book, text, named=named)
        return replace(case, verdicts=tuple(replace(v, title=full_book.entry(ICD10CM, v.code, ON).title)
                                            for v in case.verdicts))

    r = unspecified_beside_specific(titled("Dx E11.9, E11.65.", ("E11.9", "E11.65")))
    assert [(i.severity, i.codes) for i in r.issues] == [(WARNING, ("E11.9", "E11.65"))]
    assert unspecified_beside_specific(titled("Dx E11.65, E11.22.", ("E11.65", "E11.22"))).issues == ()
    assert unspecified_beside_specific(titled("Dx M79.609, M79.1.", ("M79.609", "M79.1"))).issues == ()
