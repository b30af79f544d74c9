"""Words read in context (analysis/clinical/sense.py) and undotted codes in questions."""

from __future__ import annotations

from consultant.analysis.clinical.sense import names_no_finding, read_in_context
from consultant.analysis.findings import Suggestion
from consultant.codes.extract import extract_codes


def sug(text: str, phrase: str, code: str, score: float = 0.9) -> Suggestion:
    start = text.index(phrase)
    return Suggestion("ICD10CM", code, "t", score, (start, start + len(phrase)), phrase, "matched")


def test_cad_beside_a_mammogram_is_computer_aided_detection() -> None:
    text = "Screening 3D mammo bilat with CAD, BI-RADS 1"
    assert read_in_context(text, [sug(text, "CAD", "I25.10")]) == ()
    heart = "Chest pain, known CAD s/p stent, on aspirin"
    assert [s.code for s in read_in_context(heart, [sug(heart, "CAD", "I25.10")])] == ["I25.10"]


def test_sugar_tong_splint_and_lac_without_a_site_suggest_nothing() -> None:
    text = "Applied sugar tong splint to the R wrist"
    assert read_in_context(text, [sug(text, "sugar", "E11.9")]) == ()
    lac = "Lac repaired with 4-0 nylon"
    assert read_in_context(lac, [sug(lac, "Lac", "S01.319A")]) == ()
    word = "Laceration, repaired in layers; site in the attached note"
    assert read_in_context(word, [sug(word, "Laceration", "S01.319A")]) == ()


def test_anatomy_or_procedure_words_alone_are_no_finding() -> None:
    assert names_no_finding("Descending colon")
    assert names_no_finding("R wrist")
    assert not names_no_finding("colon cancer")
    text = "Descending colon brought out as end colostomy"
    assert read_in_context(text, [sug(text, "Descending colon", "N80.559")]) == ()


def test_rule_out_is_uncertain_in_outpatient_and_coded_inpatient() -> None:
    text = "Cough x3 wk, r/o lung cancer, CXR ordered"
    s = sug(text, "lung cancer", "C34.90")
    (out,) = read_in_context(text, [s])
    assert out.status == "uncertain" and "IV.H" in out.reason
    (inp,) = read_in_context(text, [s], setting="inpatient")
    assert inp.status == "current"


def test_a_mail_of_codes_only_keeps_only_strong_suggestions() -> None:
    text = "99213 E11.9 I10 Z79.84 ok? dm"
    weak = sug(text, "dm", "E11.9", score=0.5)
    assert read_in_context(text, [weak], named_codes=4) == ()


def test_undotted_codes_in_a_question_are_found() -> None:
    text = "Can I use E119 and I10 together with Z7984?"
    assert [m.code for m in extract_codes(text)] == ["E11.9", "I10", "Z79.84"]
    assert extract_codes("The patient took B12 and D3 today.") == ()


def test_a_code_written_after_rule_out_is_flagged_in_outpatient_only() -> None:
    from consultant.analysis.clinical.sense import uncertain_codes

    text = "Cough 3 wks, r/o C34.90, CXR ordered; R05.2 for the cough."
    issues = uncertain_codes(text, extract_codes(text))
    assert [i.codes for i in issues] == [("C34.90",)] and "IV.H" in issues[0].source
    assert uncertain_codes(text, extract_codes(text), setting="inpatient") == ()


def test_a_disease_named_as_the_vaccine_given_is_no_diagnosis() -> None:
    shot = "Gave the influenza shot and a booster against hepatitis B at today's visit"
    assert read_in_context(shot, [sug(shot, "influenza", "J11.1")]) == ()
    against = "immunized against pertussis today (Tdap)"
    assert read_in_context(against, [sug(against, "pertussis", "A37.90")]) == ()
    sick = "Febrile, influenza A swab positive; vaccines up to date"
    assert [s.code for s in read_in_context(sick, [sug(sick, "influenza A", "J10.1")])] == ["J10.1"]


def test_fracture_callus_an_im_nail_and_a_codes_character_are_no_skin_or_personality_findings() -> None:
    xray = "6 wk recheck, x-ray shows bridging callus at the fracture"
    assert read_in_context(xray, [sug(xray, "callus", "L84")]) == ()
    foot = "Thick plantar callus under the 2nd metatarsal head, pared today"
    assert [s.code for s in read_in_context(foot, [sug(foot, "callus", "L84")])] == ["L84"]
    im = "Tibial shaft fx fixed with an IM nail in June"
    assert read_in_context(im, [sug(im, "nail", "L60.9")]) == ()
    toe = "Ingrown nail of the great toe, medial border, painful"
    assert [s.code for s in read_in_context(toe, [sug(toe, "nail", "L60.9")])] == ["L60.9"]
    coding = "Which 7th characters do these take?"
    assert read_in_context(coding, [sug(coding, "characters", "F60.9")]) == ()


def test_a_lab_result_quoted_from_the_chart_suggests_no_lab_code() -> None:
    from consultant.analysis.clinical.sense import lab_result_only

    def cpt(text: str, phrase: str, code: str) -> Suggestion:
        start = text.index(phrase)
        return Suggestion("CPT", code, "t", 0.9, (start, start + len(phrase)), phrase, "matched")

    quoted = "Follow-up of type 2 diabetes, A1c 8.2 last month, metformin increased"
    assert lab_result_only(quoted, cpt(quoted, "A1c", "83036"))
    assert read_in_context(quoted, [cpt(quoted, "A1c", "83036")]) == ()
    done = "POC A1c 8.2 done in office today, metformin increased"
    assert not lab_result_only(done, cpt(done, "A1c", "83036"))
    ordered = "A1c ordered for next visit"                              # no value: not a result
    assert not lab_result_only(ordered, cpt(ordered, "A1c", "83036"))
    visit = "Pt seen 20 min, plan discussed"                            # not a lab code
    assert not lab_result_only(visit, cpt(visit, "Pt seen", "99213"))


def test_a_reports_impression_heading_is_no_ear_impression() -> None:
    rad = "CT abdomen/pelvis with contrast. Impression: acute appendicitis."
    s = Suggestion("HCPCS", "V5275", "Ear impression, each", 0.7, (rad.index("Impression"), rad.index("Impression") + 10),
                   "Impression", "matched")
    assert read_in_context(rad, [s]) == ()
    ear = "Hearing aid fitting: ear impression taken of both ears"
    e = Suggestion("HCPCS", "V5275", "Ear impression, each", 0.7, (ear.index("impression"), ear.index("impression") + 10),
                   "impression", "matched")
    assert [x.code for x in read_in_context(ear, [e])] == ["V5275"]


def test_an_injury_word_alone_and_the_date_of_service_abbreviation_name_no_code() -> None:
    text = "ATFL sprain per ortho; screening colonoscopy DOS 11/20/2026"
    sprain = sug(text, "sprain", "S63.609A")
    dos = sug(text, "screening colonoscopy DOS", "Z36.88")
    assert read_in_context(text, [sprain, dos]) == ()
    sited = "sprained left ankle, first visit"
    assert [s.code for s in read_in_context(sited, [sug(sited, "sprained left ankle", "S93.402A")])] == ["S93.402A"]


def test_first_visit_says_the_initial_encounter() -> None:
    from consultant.analysis.clinical.rules import seventh_for

    meanings = {"A": "initial encounter", "D": "subsequent encounter", "S": "sequela"}
    assert seventh_for("sprained left ankle, first visit", meanings) == ("A", True)
    assert seventh_for("sprained left ankle", meanings) == ("A", False)


def test_a_debridement_notes_words_are_read_as_wound_care() -> None:
    note = ('Stage 4 pressure injury of the sacrum. "Excisional debridement of necrotic subcut tissue '
            'down to bleeding bone." Wound cleaned.')
    junk = [sug(note, "injury", "T14.90XA"), sug(note, "necrotic", "I96"), sug(note, "down", "Q90.9"),
            sug(note, "bleeding", "R58"), sug(note, "Wound", "T14.8XXA"), sug(note, "subcut tissue", "L98.9")]
    assert read_in_context(note, junk) == ()
    bleed = "Rectal bleeding for 2 days, no pain"
    assert [s.code for s in read_in_context(bleed, [sug(bleed, "bleeding", "K62.5")])] == ["K62.5"]
    sport = "Sports injury of the knee yesterday"
    assert [s.code for s in read_in_context(sport, [sug(sport, "injury", "S89.90XA")])] == ["S89.90XA"]
