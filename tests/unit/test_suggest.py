"""Suggestions from plain words, on the real ICD-10-CM tabular list (one KB per session)."""

from __future__ import annotations

import argparse
import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from consultant.analysis.suggest import SuggestIndex, SuggestResult, suggest
from consultant.commands import suggest as command
from consultant.kb import terms
from consultant.kb.importers import icd10cm_tabular
from consultant.kb.store import SCHEMA_PATH, CodeBook

ON = date(2026, 5, 1)


@pytest.fixture(scope="session")
def icd_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("suggest") / "kb.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_PATH.read_text())
    icd10cm_tabular.load(conn)
    conn.execute("INSERT INTO dataset (name, kind, release, source, rows, imported_at) "
                 "VALUES ('starter-cpt', 'starter_cpt', 'starter', 'test', 1, '2026-01-01')")
    conn.execute("INSERT INTO code (system, code, title, plain, billable, kind, dataset, source) VALUES "
                 "('CPT', '99213', 'Office or other outpatient visit, established patient, low complexity', "
                 "'Office visit for an established patient, low medical decision making', 1, 'em', "
                 "'starter-cpt', 'starter')")
    conn.execute("INSERT INTO code (system, code, title, plain, billable, kind, dataset, source) VALUES "
                 "('CPT', '47562', 'Laparoscopic cholecystectomy', 'Laparoscopic removal of the gallbladder', "
                 "1, 'surgery', 'starter-cpt', 'starter')")
    for code, plain in (("44320", "Making a colostomy as a stand-alone procedure"),
                        ("44340", "Simple revision of a colostomy"),
                        ("44140", "Open partial colectomy with the ends rejoined"),
                        ("44204", "Laparoscopic partial colectomy with the ends rejoined"),
                        ("27447", "Total knee replacement (the joint surfaces are replaced)")):
        conn.execute("INSERT INTO code (system, code, title, plain, billable, kind, dataset, source) VALUES "
                     "('CPT', ?, ?, ?, 1, 'surgery', 'starter-cpt', 'starter')", (code, plain, plain))
    terms.build_term_index(conn)
    conn.commit()
    conn.close()
    return path


@pytest.fixture(scope="session")
def index(icd_kb: Path):  # type: ignore[no-untyped-def]
    book = CodeBook.open(icd_kb)
    yield SuggestIndex.load(book)
    book.close()


def codes(result: SuggestResult, status: str | None = "current") -> list[str]:
    return [s.code for s in result.suggestions if status is None or s.status == status]


def test_acceptance_diabetes_ckd_hypertension(index: SuggestIndex) -> None:
    r = suggest("type 2 diabetes with diabetic CKD stage 3a, essential hypertension, follow-up office visit",
                index, on=ON)
    got = codes(r)
    assert {"E11.22", "N18.31", "I12.9"} <= set(got)
    assert "I10" not in got and "E11.9" not in got and "N18.9" not in got
    by_code = {s.code: s for s in r.suggestions}
    assert "CKD" in by_code["N18.31"].reason or "kidney" in by_code["N18.31"].reason
    assert "I10" in by_code["I12.9"].reason and "presumed" in by_code["I12.9"].reason
    assert by_code["E11.22"].reason.startswith("matched")
    assert all(0 < s.score <= 1 for s in r.suggestions)
    s = by_code["E11.22"]
    assert "diabetes" in "type 2 diabetes with diabetic CKD stage 3a"[s.span[0]:s.span[1]]


def test_procedure_is_linked_to_the_diagnoses(index: SuggestIndex) -> None:
    r = suggest("type 2 diabetes with diabetic CKD stage 3a, essential hypertension, follow-up office visit",
                index, on=ON)
    visit = [s for s in r.suggestions if s.system == "CPT"]
    assert [s.code for s in visit] == ["99213"]
    assert set(visit[0].supports) >= {"E11.22", "I12.9"}
    alone = suggest("Laparoscopic cholecystectomy performed today. Patient tolerated well.", index, on=ON)
    assert "47562" in codes(alone)
    assert any(i.kind == "medical_necessity" and "47562" in i.codes for i in alone.issues)


def test_abbreviations(index: SuggestIndex) -> None:
    r = suggest("Pt with DM2 and CHF, COPD. Also AFib on warfarin.", index, on=ON)
    got = codes(r)
    assert any(c.startswith("E11") for c in got)
    assert any(c.startswith("I50") for c in got)
    assert "J44.9" in got
    assert any(c.startswith("I48") for c in got)
    assert any("'chf' read as" in s.reason for s in r.suggestions)


def test_typos_word_order_and_plurals(index: SuggestIndex) -> None:
    assert codes(suggest("pnuemonia", index, on=ON, limit=3))[0] == "J18.9"
    assert codes(suggest("femur neck fracture left", index, on=ON, limit=3))[0] == "S72.002A"
    assert codes(suggest("kidney stones", index, on=ON, limit=3))[0].startswith("N20")


def test_laterality_picks_the_side(index: SuggestIndex) -> None:
    right = codes(suggest("fracture of right femur neck", index, on=ON, limit=3))[0]
    left = codes(suggest("fracture of left femur neck", index, on=ON, limit=3))[0]
    none = suggest("fracture of femur neck", index, on=ON, limit=3)
    assert (right, left) == ("S72.001A", "S72.002A")
    assert codes(none)[0] == "S72.009A"
    assert any("side" in g.question for g in none.gaps)
    assert any("episode of care" in g.question for g in none.gaps)


def test_seventh_character_follows_the_encounter(index: SuggestIndex) -> None:
    got = codes(suggest("Follow-up visit for healing fracture of left femur neck, routine healing.", index, on=ON))
    assert "S72.002D" in got


def test_negated_findings_are_not_coded(index: SuggestIndex) -> None:
    r = suggest("Patient denies chest pain. No evidence of pneumonia. Cough for three days.", index, on=ON)
    got = codes(r, None)
    assert not any(c.startswith(("R07", "J18")) for c in got)
    assert any(c.startswith("R05") for c in got)


def test_uncertain_diagnosis_is_flagged(index: SuggestIndex) -> None:
    r = suggest("Fever and cough. Probable pneumonia, rule out influenza.", index, on=ON)
    uncertain = [s for s in r.suggestions if s.status == "uncertain"]
    assert any(s.code.startswith("J18") for s in uncertain)
    assert any(i.kind == "uncertain_dx" for i in r.issues)
    assert any(c.startswith("R50") for c in codes(r))
    assert not any(c.startswith("J18") for c in codes(r))


def test_history_and_status_codes(index: SuggestIndex) -> None:
    r = suggest("History of breast cancer. s/p CABG. Hx of DVT. Presents with cough.", index, on=ON)
    history = codes(r, "history")
    assert "Z85.3" in history and "Z86.718" in history
    assert "Z95.1" in codes(r, "status")
    assert not any(c.startswith(("C50", "I82", "I25.81")) for c in codes(r))
    fam = suggest("Family history of colon cancer.", index, on=ON)
    assert "Z80.0" in codes(fam, "history")


def test_hypertension_with_heart_failure_and_ckd(index: SuggestIndex) -> None:
    got = codes(suggest("Hypertension and chronic systolic heart failure. CKD stage 4.", index, on=ON))
    assert "I13.0" in got and "N18.4" in got and any(c.startswith("I50.2") for c in got)
    assert "I10" not in got
    hf = codes(suggest("HTN with CHF", index, on=ON))
    assert "I11.0" in hf
    esrd = codes(suggest("Hypertension. ESRD on dialysis.", index, on=ON))
    assert "I12.0" in esrd and "N18.6" in esrd


def test_diabetes_type_and_ckd_stage_gaps(index: SuggestIndex) -> None:
    r = suggest("Diabetes with chronic kidney disease, follow-up.", index, on=ON)
    assert "E11.22" in codes(r) and "N18.9" in codes(r)
    questions = " ".join(g.question for g in r.gaps)
    assert "type of diabetes" in questions and "stage" in questions


def test_empty_and_nonsense_text(index: SuggestIndex) -> None:
    assert suggest("", index, on=ON).suggestions == ()
    assert suggest("qwxz zzqv", index, on=ON).suggestions == ()


def test_date_outside_the_release_is_said(index: SuggestIndex) -> None:
    r = suggest("essential hypertension", index, on=date(2026, 11, 20))
    assert codes(r)[0] == "I10"
    assert any(i.kind == "date" for i in r.issues)


def test_command_json_and_batch(icd_kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "kb_path", lambda config: icd_kb)
    args = argparse.Namespace(text="essential hypertension", batch=None, json=True, limit=5, date="2026-05-01",
                              config=None)
    assert command.main(args) == 0
    out = json.loads(capsys.readouterr().out)
    first = out["suggestions"][0]
    assert (first["system"], first["code"]) == ("ICD10CM", "I10")
    assert set(first) >= {"title", "score", "span", "reason"}
    queries = tmp_path / "q.txt"
    queries.write_text("essential hypertension\npnuemonia\n\n")
    args = argparse.Namespace(text=None, batch=str(queries), json=False, limit=3, date="2026-05-01", config=None)
    assert command.main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert json.loads(lines[1])["suggestions"][0]["code"] == "J18.9"
    assert json.loads(lines[2])["suggestions"] == []
    args = argparse.Namespace(text="Probable pneumonia", batch=None, json=True, limit=5, date="2026-05-01",
                              config=None, setting="inpatient")
    assert command.main(args) == 0
    inpatient = json.loads(capsys.readouterr().out)["suggestions"]
    assert inpatient[0]["code"].startswith("J18") and inpatient[0]["status"] == "current"


def test_command_usage_errors(icd_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from consultant.errors import UsageError

    monkeypatch.setattr(command, "kb_path", lambda config: icd_kb)
    with pytest.raises(UsageError):
        command.main(argparse.Namespace(text=None, batch=None, json=True, limit=5, date=None, config=None))
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        command.main(argparse.Namespace(text="x", batch=None, json=True, limit=5, date="May 1", config=None))


# -- precision on ordinary English ------------------------------------------------------------

@pytest.mark.parametrize("text", ["testing", "Test", "contents", "counter", "first", "activity",
                                  "see the first part of the contents"])
def test_generic_words_alone_give_no_code(index: SuggestIndex, text: str) -> None:
    assert suggest(text, index, on=ON).suggestions == ()


def test_generic_word_beside_a_clinical_word_still_counts(index: SuggestIndex) -> None:
    got = codes(suggest("first degree burn of the left forearm", index, on=ON, limit=5))
    assert got and got[0].startswith("T22")


def test_external_cause_code_needs_more_than_one_word(index: SuggestIndex) -> None:
    got = codes(suggest("We will meet again in the fall. The meeting covers the activity of the working "
                        "group and the next steps.", index, on=ON), None)
    assert not any(c[:1] in "VWXY" for c in got)


def test_lower_case_short_forms_are_english_words(index: SuggestIndex) -> None:
    english = suggest("Please forward this to ms Jones and the hr team before the ad goes out.", index, on=ON)
    assert not any(c.startswith(("G35", "F00", "Z17")) for c in codes(english, None))
    note = suggest("Patient with MS, relapsing. Assessment: MS flare, continue treatment.", index, on=ON)
    assert any(c.startswith("G35") for c in codes(note))
    clinical = suggest("Assessment: patient with htn and dm2, chronic.", index, on=ON)
    assert "I10" in codes(clinical) and any(c.startswith("E11") for c in codes(clinical))


def test_abbreviation_case_rule() -> None:
    from consultant.analysis.suggest import _abbreviation_ok

    assert _abbreviation_ok("MS", clinical=False) and _abbreviation_ok("AFib", clinical=False)
    assert not _abbreviation_ok("ms", clinical=False) and _abbreviation_ok("htn", clinical=True)
    assert not _abbreviation_ok("l", clinical=True) and _abbreviation_ok("CHOLE", clinical=False)


def test_capitals_only_acronyms(index: SuggestIndex) -> None:
    assert not any(c.startswith("B20") for c in codes(suggest("The new tool aids our team.", index, on=ON), None))
    assert "B20" in codes(suggest("AIDS", index, on=ON, limit=3))



def test_capitals_only_acronyms_also_when_listed_as_abbreviations(index: SuggestIndex,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(index.abbreviations, "aids", "human immunodeficiency virus disease")
    index._sentences.clear()
    text = "Buy cheap Aids for sleep and Allergies relief. Depression too."
    assert not any(c.startswith("B20") for c in codes(suggest(text, index, on=ON), None))
    assert "B20" in codes(suggest("Patient with AIDS, chronic, on treatment.", index, on=ON))
    index._sentences.clear()


def test_running_text_typo_correction_is_strict(index: SuggestIndex) -> None:
    assert index.correct("pnuemonia", strict=True) == "pneumonia"
    assert index.correct("compatible", strict=True) != "incompatible"
    assert index.correct("tachycardic", strict=True) == "tachycardia"
    assert index.split("performed") is None


def test_sentence_cache_gives_the_same_answer(index: SuggestIndex) -> None:
    text = "Acute appendicitis. Laparoscopic cholecystectomy performed today."
    first = suggest(text, index, on=ON)
    again = suggest(text, index, on=ON)
    assert first == again and "K35.80" in codes(first)


# -- running text: what counts as a finding ---------------------------------------------------

def test_a_site_alone_is_not_a_condition(index: SuggestIndex) -> None:
    got = codes(suggest("The prostate and the liver were examined by ultrasound. The bone scan was done.",
                        index, on=ON), None)
    assert not any(c.startswith(("N42", "K76", "M89")) for c in got)
    disease = codes(suggest("Patient with chronic liver disease, followed in clinic.", index, on=ON))
    assert any(c.startswith("K76") for c in disease)


def test_a_title_that_names_a_site_needs_the_site(index: SuggestIndex) -> None:
    got = codes(suggest("Ultrasound showed a simple cyst. Patient otherwise well.", index, on=ON), None)
    assert not any(c.startswith("H05") for c in got)
    ptosis = codes(suggest("Examination showed ptosis, otherwise normal findings.", index, on=ON))
    assert any(c.startswith("H02.4") for c in ptosis)    # the usual site of the word is implied


def test_injury_codes_need_an_injury_word(index: SuggestIndex) -> None:
    assert not any(c[:1] == "S" for c in codes(suggest("carotid artery disease", index, on=ON, limit=5)))
    assert codes(suggest("carotid artery injury", index, on=ON, limit=3))[0].startswith("S")
    text = "CT showed the lungs and the small intestine. The patient had pulmonary nodules."
    assert not any(c.startswith(("S27", "S36")) for c in codes(suggest(text, index, on=ON), None))


def test_result_titles_need_their_qualifier_and_months_are_dates(index: SuggestIndex) -> None:
    test = codes(suggest("Erythrocyte sedimentation rate was measured. Seen in March.", index, on=ON), None)
    assert not any(c.startswith(("R70", "M84")) for c in test)
    high = codes(suggest("Patient with elevated erythrocyte sedimentation rate, chronic.", index, on=ON))
    assert any(c.startswith("R70") for c in high)


def test_long_term_drug_needs_ongoing_use() -> None:
    from consultant.analysis.clinical import rules

    assert [z for z, *_ in rules.long_term_drugs("History of atrial fibrillation on warfarin.")] == ["Z79.01"]
    assert rules.long_term_drugs("Treatment was initiated with iv methylprednisolone pulses.") == []
    assert rules.long_term_drugs("Lupus anticoagulant was negative.") == []
    # the words are quoted as written, in ASCII text and in text with accents alike
    for text in ("Patient takes WARFARIN daily.", "Paciente: takes WARFARIN daily (café)."):
        assert [(z, w) for z, w, *_ in rules.long_term_drugs(text)] == [("Z79.01", "WARFARIN")]


def test_specific_site_replaces_unspecified_site(index: SuggestIndex) -> None:
    got = codes(suggest("Patient with carcinoma of the kidney. The carcinoma was resected.", index, on=ON))
    assert any(c.startswith("C64") for c in got)
    assert "C80.1" not in got
    pain = codes(suggest("She complains of pain since Monday. On examination there is abdominal pain in the "
                         "right lower quadrant.", index, on=ON))
    assert "R10.31" in pain and "R52" not in pain     # 'Pain, unspecified' only for pain without a site


def test_index_main_terms_give_their_default_code(index: SuggestIndex) -> None:
    assert "D49.9" in codes(suggest("The tumor was resected completely. Patient well.", index, on=ON))
    assert "R19.00" in codes(suggest("Examination showed an abdominal mass. Patient well.", index, on=ON))
    assert "L98.9" in codes(suggest("He presented a skin lesion on the arm. Patient well.", index, on=ON))


def test_main_term_is_kept_beside_the_title_that_leaves_words_unspecified(icd_kb: Path) -> None:
    conn = sqlite3.connect(icd_kb)
    rows = conn.execute("SELECT text FROM term WHERE code = 'D49.9'").fetchall()
    conn.close()
    texts = {r[0] for r in rows}
    assert "Neoplasm of unspecified behavior of unspecified site" in texts and "tumor" in texts


def test_a_rejected_match_does_not_hide_the_next_best(index: SuggestIndex) -> None:
    from consultant.analysis import suggest as mod

    piece = "Chest pain since yesterday."
    slots = mod.slots_of(piece, index)
    matches = mod._match_slots(slots, index, short=False)
    first = mod._select(matches, slots, index, False, 20)
    assert first
    top = first[0].term
    kept = mod._select(matches, slots, index, False, 20, lambda m: m.term != top)
    assert kept and top not in {m.term for m in kept}   # the words go to the next best match


def test_procedure_head_word_is_a_short_term() -> None:
    assert terms._procedure_head_names("Open partial colectomy with the ends rejoined") == [
        "open partial colectomy", "partial colectomy"]
    assert terms._procedure_head_names("Making a colostomy as a stand-alone procedure") == ["colostomy"]
    assert terms._procedure_head_names("Laparoscopic partial colectomy") == ["laparoscopic partial colectomy"]
    assert terms._procedure_head_names("Simple revision of a colostomy") == []
    assert "total knee arthroplasty" in terms._procedure_head_names("Total knee replacement (the joint)")
    assert terms._procedure_head_names("Selective debridement of an open wound") == ["selective debridement"]
    assert terms._procedure_head_names("Cystoscopy with ureteroscopy to remove a stone") == []   # combined
    assert terms._procedure_head_names("Open replacement of the aortic valve") == []     # 'replacement' alone
    assert terms._procedure_head_names("Infusion therapy, per visit") == []


def test_non_stays_on_its_word() -> None:
    # 'non-selective debridement' is not 'selective debridement' (97602 is not 97597)
    assert [w for w, _, _ in terms.words("Non-selective wound debridement")] == [
        "nonselective", "wound", "debridement"]
    assert terms.tokens("non-Hodgkin lymphoma") == terms.tokens("Non Hodgkin lymphoma") == ["nonhodgkin", "lymphoma"]
    assert [w for w, _, _ in terms.words("no, non 2")] == ["no", "non", "2"]


def test_iv_is_intravenous_before_a_word_and_four_after_stage_or_type() -> None:
    assert terms.tokens("IV pole") == ["intravenous", "pole"]          # not '4 cm ... lower pole'
    assert terms.tokens("given IV antibiotics")[1] == "intravenous"
    assert terms.tokens("stage IV breast cancer")[1] == "4"
    assert terms.tokens("Ehlers-Danlos syndrome type IV")[-1] == "4"


def test_accented_letters_read_as_coders_type_them(index: SuggestIndex) -> None:
    assert list(terms.words("Behçet, Sézary")) == [("behcet", 0, 6), ("sezary", 8, 14)]   # spans kept
    assert codes(suggest("Behcet's syndrome", index, on=ON, limit=5))[0] == "M35.2"


def test_procedure_words_in_a_case_suggest_the_cpt_code(index: SuggestIndex) -> None:
    case = ("Patient seen for follow-up after surgery. Yesterday a loop colostomy was made. "
            "Last spring she had a colectomy for a benign lesion and the recovery was slow. "
            "Total knee arthroplasty is planned on the left later in the year.")
    got = codes(suggest(case, index, on=ON, limit=60), None)
    assert "44320" in got and "44340" not in got
    assert "44140" in got and "44204" not in got     # open is the default; laparoscopic must be said
    assert "27447" in got
    for query, code in (("loop colostomy", "44320"), ("colectomy", "44140"), ("knee arthroplasty", "27447"),
                        ("cholecystectomy", "47562")):
        assert code in codes(suggest(query, index, on=ON), None)[:5], query


def test_colostomy_alone_is_not_a_complication(index: SuggestIndex) -> None:
    for text in ("colostomy", "loop colostomy",
                 "The patient was admitted for review. He has had a colostomy since 2019 and manages it well."):
        got = codes(suggest(text, index, on=ON, limit=60), None)
        assert not any(c.startswith("K94.0") for c in got), (text, got)
    assert "K94.00" in codes(suggest("colostomy complication", index, on=ON))
    assert "K94.03" in codes(suggest("colostomy malfunction", index, on=ON))


def test_an_abbreviation_stands_for_its_whole_expansion(index: SuggestIndex) -> None:
    case = ("The patient was seen for headaches over two months. A brain MRI was requested and showed "
            "no changes. He went home with analgesics and will be reviewed in clinic.")
    got = codes(suggest(case, index, on=ON, limit=60), None)
    assert not any(c.startswith("R49") for c in got), got     # not 'Resonance disorder NOS'
    index.abbreviations["mri"] = "magnetic resonance imaging"     # as the KB's abbreviation table has it
    index._sentences.clear()
    try:
        for text in ("An MRI was performed.", case):
            assert not any(c.startswith("R49") for c in codes(suggest(text, index, on=ON, limit=60), None)), text
    finally:
        del index.abbreviations["mri"]
        index._sentences.clear()
    assert {"E11.22", "N18.31"} <= set(codes(suggest("DM2 with CKD 3a", index, on=ON)))


def test_operative_and_test_words_are_not_diagnoses(index: SuggestIndex) -> None:
    text = ("Magnetic resonance showed a lesion. Tumor markers were negative. A lymph node dissection "
            "was performed and the wound closed without compression.")
    got = codes(suggest(text, index, on=ON, limit=60), None)
    assert not any(c.startswith(("R49", "I77", "R97", "G95")) for c in got), got
    # the same words with what makes them a condition still count
    assert codes(suggest("Aortic dissection", index, on=ON, limit=3))[0].startswith("I71")
    assert codes(suggest("spinal cord compression", index, on=ON, limit=3))[0].startswith("G95")
    plain = codes(suggest("He was given IV antibiotics. Mental status was normal.", index, on=ON, limit=60), None)
    assert not any(c.startswith(("F99", "9636")) for c in plain), plain
    cyst = codes(suggest("The soft tissues were normal. A hemorrhagic cyst was seen in the ovary.", index,
                         on=ON, limit=60), None)
    assert not any(c.startswith(("M79", "D69")) for c in cyst), cyst     # adjectives and a site alone


def test_a_verb_on_a_short_stem_is_not_read_as_a_name(index) -> None:  # type: ignore[no-untyped-def]
    # 'picked' must not become "Pick's disease" by dropping '-ed'.
    codes = {s.code for s in suggest("The provider picked 99214 for the visit.", index, on=ON).suggestions}
    assert not any(c.startswith("G31.0") for c in codes)


def test_a_level_of_an_analyte_is_the_hypo_or_hyper_condition(index: SuggestIndex) -> None:
    low = suggest("Magnesium - low", index, on=ON, limit=5)
    assert codes(low)[0] == "E83.42"
    assert "read as 'hypomagnesemia'" in low.suggestions[0].reason
    assert codes(suggest("elevated serum calcium", index, on=ON, limit=5))[0] == "E83.52"


def test_a_tumour_named_by_its_morphology_is_a_neoplasm_of_its_tissue(index: SuggestIndex) -> None:
    r = suggest("Fibrosarcoma", index, on=ON, limit=5)
    assert codes(r)[0] == "C49.9"
    assert "(morphology)" in r.suggestions[0].reason
    assert codes(suggest("Hidradenoma", index, on=ON, limit=5))[0] == "D23.9"


def test_initials_in_brackets_are_not_read_again(index: SuggestIndex) -> None:
    # CP is also 'chest pain': here it only repeats the name
    got = codes(suggest("Cerebral palsy (CP)", index, on=ON, limit=5))
    assert got[0] == "G80.9"
    assert not any(c.startswith("R07") for c in got)


def test_a_second_name_in_brackets_is_matched_on_its_own(index: SuggestIndex) -> None:
    got = codes(suggest("Shortness of breath (dyspnea)", index, on=ON, limit=5))
    assert {"R06.02", "R06.00"} <= set(got)     # 'Dyspnea, unspecified' via the bracketed name


def test_a_shorter_title_wins_a_tie(index: SuggestIndex) -> None:
    assert codes(suggest("Rheumatoid arthritis", index, on=ON, limit=5))[0] == "M06.9"


def test_a_header_child_is_chosen_by_what_the_words_add(index: SuggestIndex) -> None:
    assert codes(suggest("Peptic ulcer with perforation", index, on=ON, limit=5)) == ["K27.5"]
    assert "K26.4" in codes(suggest("Duodenal ulcer with hemorrhage", index, on=ON, limit=5))
    # without such words the header still gives its default child
    assert codes(suggest("Cocaine abuse", index, on=ON, limit=5))[0] == "F14.10"


def test_an_inflected_name_is_read_before_a_prefix_split(index: SuggestIndex) -> None:
    assert codes(suggest("Hyperparathyroid", index, on=ON, limit=5))[0] == "E21.3"


def test_a_site_with_a_condition_word_is_a_short_query(index: SuggestIndex) -> None:
    assert codes(suggest("Eye disorder", index, on=ON, limit=5))[0].startswith("H")


def test_a_short_query_gets_one_code_per_thing_not_each_side(index: SuggestIndex) -> None:
    got = codes(suggest("Otitis media", index, on=ON, limit=5))
    assert got[0] == "H66.90"                       # no side written: the unspecified-side code
    assert not {"H66.91", "H66.92"} & set(got)      # not its right and left variants as well
    assert codes(suggest("left otitis media", index, on=ON, limit=5))[0] == "H66.92"


def test_a_title_naming_two_sites_is_found_by_either() -> None:
    assert terms.title_parts("Secondary malignant neoplasm of liver and intrahepatic bile duct") == [
        "Secondary malignant neoplasm of liver", "Secondary malignant neoplasm of intrahepatic bile duct"]
    assert terms.title_parts("Fracture of shaft of tibia and fibula") == [
        "Fracture of shaft of tibia", "Fracture of shaft of fibula"]      # never at 'shaft'
    assert terms.title_parts("Disorder of bone density and structure, unspecified") == [
        "Disorder of bone density, unspecified", "Disorder of bone structure, unspecified"]
    assert terms.title_parts("Hypertensive heart and chronic kidney disease with heart failure") == []
    assert terms.title_parts("Syncope and collapse") == ["Syncope", "collapse"]     # two names


def test_history_of_a_procedure_is_its_status(index: SuggestIndex) -> None:
    r = suggest("Chest pain, MI ruled out. History of CABG and hypertension.", index, on=ON)
    found = {s.code: s.status for s in r.suggestions}
    assert found.get("Z95.1") == "status"
    assert not any(c.startswith("I25.8") for c in found), found     # not a disease of the graft
    assert found.get("I10") == "current"       # a chronic condition in the history stays current


def test_a_word_said_twice_does_not_widen_the_match() -> None:
    from consultant.analysis.suggest import _tightest
    # slots 1 'knee', 2 'osteoarthritis', 3 'injection', 4 'knee': the match is 1-2, not 2-4
    assert _tightest([1, 2, 4], {1: {"knee"}, 2: {"osteoarthritis"}, 4: {"knee"}}) == [1, 2]
    assert _tightest([3, 4], {4: {"hypertension"}}) == [4]          # an optional word's slot at the edge
    assert _tightest([5], {5: {"x"}}) == [5]


def test_knee_osteoarthritis_in_a_note_is_osteoarthritis_of_knee(index: SuggestIndex) -> None:
    got = codes(suggest("Right knee osteoarthritis, injection of the knee joint with 6 units. Also obesity.", index,
                        on=ON))
    assert any(c.startswith("M17") for c in got), got


def test_an_other_residual_title_does_not_beat_the_plain_name(index: SuggestIndex) -> None:
    assert codes(suggest("hypertension", index, on=ON, limit=3))[0] == "I10"     # not I1A 'Other hypertension'


def test_the_site_after_metastases_from_is_the_primary(index: SuggestIndex) -> None:
    got = codes(suggest("She has liver metastases from colon cancer. Chemotherapy is planned.", index, on=ON))
    assert "C78.7" in got and any(c.startswith("C18") for c in got)
    assert "C78.5" not in got, got          # not a secondary neoplasm of the colon


def test_liver_metastases_are_the_secondary_neoplasm_of_liver(index: SuggestIndex) -> None:
    r = suggest("We observed liver metastases in segment 8 with a size of 4 cm. The patient was treated.",
                index, on=ON)
    found = {s.code: s for s in r.suggestions}
    assert "C78.7" in found
    assert "one site of the title" in found["C78.7"].reason


@pytest.mark.parametrize(("text", "code"), [
    ("Tennis elbow", "M77.10"),          # lay name -> 'lateral epicondylitis'
    ("Pubic lice", "B85.3"),             # -> 'phthiriasis' (not 'public')
    ("Hernia - hiatal", "K44.9"),        # adjective 'hiatal' -> the title's 'hiatus'
    ("HIV positive", "Z21"),             # the status code, not B20 (guideline I.C.1.a)
    ("Lead toxicity", "T56.0X1A"),       # 'toxicity' is the title's 'toxic effect'
    ("Ascites", "R18.8"),                # no 'unspecified' child: the 'Other' one, not 'Malignant'
    ("Tuberculosis", "A15.9"),           # the disease, not 'Encounter for screening for ...'
    ("Drug abuse", "F19.10"),            # 'drug' as the Index reads it: a psychoactive substance
])
def test_lay_names_and_adjectives_read_as_the_classification_words(index: SuggestIndex, text: str,
                                                                     code: str) -> None:
    assert codes(suggest(text, index, on=ON, limit=5))[0] == code


def test_a_square_bracketed_other_name_is_a_term() -> None:
    assert terms.bracket_names("Acute nasopharyngitis [common cold]") == ["common cold"]
    assert terms.bracket_names("Fracture of navicular [scaphoid] bone of right wrist") == [
        "Fracture of scaphoid bone of right wrist"]
    assert terms.bracket_names("Body mass index [BMI] pediatric") == []          # initials
    assert terms.bracket_names("Burn of scalp [any part], initial encounter") == []   # a qualifier


def test_an_excludes_note_pointing_at_one_code_is_a_term() -> None:
    assert terms.cross_reference("tuberculous enteritis (A18.32)") == ("tuberculous enteritis", "A18.32")
    assert terms.cross_reference("carrier of infectious disease (Z22.-)") == ("carrier of infectious disease", "Z22")
    # ranges, 'see' notes, drugs alone and list fragments are not
    assert terms.cross_reference("Escherichia coli infection (A04.0-A04.4)") is None
    assert terms.cross_reference("certain localized infections - see body system-related chapters") is None
    assert terms.cross_reference("benzodiazepines (T42.4-)") is None
    assert terms.cross_reference("acute (J01.-)") is None
    assert terms.cross_reference("maxillary sinus (J32.0)") is None


def test_excludes_pointers_are_searched(index: SuggestIndex, icd_kb: Path) -> None:
    conn = sqlite3.connect(icd_kb)
    n = conn.execute("SELECT count(*) FROM term WHERE source_kind = 'xref'").fetchone()[0]
    conn.close()
    assert n > 1000
    # a one-word pointer to a common word is a list fragment ('abscess (J85.1)' under a lung code)
    drained = codes(suggest("The abscess was drained in clinic. He went home the same day.", index,
                            on=ON), None)
    assert not any(c.startswith("J85") for c in drained), drained
    r = suggest("Endotoxic shock", index, on=ON, limit=5)      # only a note (under A48.3) says so
    assert codes(r)[0] == "R57.8"
    assert "Excludes note" in r.suggestions[0].reason


def test_inpatient_setting_codes_an_uncertain_diagnosis_as_established(index: SuggestIndex) -> None:
    text = "Fever and cough. Probable pneumonia, rule out influenza."
    r = suggest(text, index, on=ON, setting="inpatient")
    assert any(c.startswith("J18") for c in codes(r))
    assert any(i.kind == "uncertain_dx" and "II.H" in i.source for i in r.issues)
    with pytest.raises(ValueError, match="setting"):
        suggest(text, index, on=ON, setting="hospital")


def test_a_genus_initial_does_not_end_a_sentence(index: SuggestIndex) -> None:
    from consultant.analysis.clinical.context import sentences
    text = "Sepsis due to E. coli urinary tract infection. Admitted to ICU."
    assert [text[a:b].strip() for a, b in sentences(text)] == [
        "Sepsis due to E. coli urinary tract infection", "Admitted to ICU"]
    assert "A41.51" in codes(suggest(text, index, on=ON))
