"""The Alphabetic Index walked as a coder does: each convention on a small file in the CDC
layout (so each test fails without its rule), codes verified in the real April 2026 tabular;
then the real FY2025 files from ../shared read in place."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from consultant.analysis.index_walk import IndexWalker, fragment_scores, index_suggestions
from consultant.analysis.index_walk.suggestions import NO_INDEX, index_notice, said_words
from consultant.analysis.index_walk.tables import intent_of
from consultant.analysis.index_walk.tree import IndexTree
from consultant.kb.importers import icd10cm_index as idx
from consultant.kb.store import SCHEMA_PATH, CodeBook

ON = date(2026, 5, 1)

INDEX = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index><version>2025</version><title>ICD-10-CM INDEX TO DISEASES and INJURIES</title>
<letter><title>A</title>
  <mainTerm><title>Attack</title>
    <term level="1"><title>heart</title><see>Infarct, myocardium</see></term>
  </mainTerm>
  <mainTerm><title>Amyloidosis<nemod>(generalized) (primary)</nemod></title><code>E85.9</code>
    <term level="1"><title>with lung involvement</title><code>E85.4</code><manif>J99</manif></term>
  </mainTerm>
</letter>
<letter><title>B</title>
  <mainTerm><title>Bowen's</title>
    <term level="1"><title>disease</title><see>Neoplasm, skin, in situ</see></term>
  </mainTerm>
</letter>
<letter><title>C</title>
  <mainTerm><title>Cancer</title><see>Neoplasm, by site, malignant</see></mainTerm>
  <mainTerm><title>Cancer<nemod>(o)</nemod></title><code>F45.29</code></mainTerm>
</letter>
<letter><title>D</title>
  <mainTerm><title>Decubitus</title><see>Ulcer, pressure, by site</see></mainTerm>
  <mainTerm><title>Diabetes, diabetic<nemod>(mellitus) (sugar)</nemod></title><code>E11.9</code>
    <term level="1"><title>type 2</title><code>E11.9</code>
      <term level="2"><title>with</title>
        <term level="3"><title>chronic kidney disease</title><code>E11.22</code></term>
        <term level="3"><title>foot ulcer</title><code>E11.621</code></term>
      </term>
    </term>
  </mainTerm>
  <mainTerm><title>Disease, diseased</title>
    <term level="1"><title>specified NEC</title><code>R69</code></term>
    <term level="1"><title>kidney</title><code>N28.9</code>
      <term level="2"><title>chronic</title><code>N18.9</code></term>
    </term>
  </mainTerm>
</letter>
<letter><title>F</title>
  <mainTerm><title>Fracture, pathological<nemod>(pathologic)</nemod></title><seeAlso>Fracture, traumatic</seeAlso>
    <term level="1"><title>femur</title><code>M84.45-</code></term>
  </mainTerm>
  <mainTerm><title>Fracture, traumatic</title><code>T14.8</code>
    <term level="1"><title>femur, femoral</title><code>S72.9-</code></term>
  </mainTerm>
</letter>
<letter><title>F</title>
  <mainTerm><title>Fibrillation</title>
    <term level="1"><title>ventricular</title><code>I49.01</code></term>
    <term level="1"><title>atrial or auricular</title><code>I48.91</code></term>
  </mainTerm>
</letter>
<letter><title>H</title>
  <mainTerm><title>Hernia, hernial</title><code>K46.9</code>
    <term level="1"><title>inguinal</title><code>K40.90</code>
      <term level="2"><title>with</title>
        <term level="3"><title>obstruction</title><code>K40.30</code></term>
      </term>
    </term>
  </mainTerm>
  <mainTerm><title>Hypokalemia</title><code>E87.6</code></mainTerm>
  <mainTerm><title>Hypertension, hypertensive<nemod>(accelerated) (benign) (essential) (malignant)</nemod></title>
    <code>I10</code>
    <term level="1"><title>with</title>
      <term level="2"><title>heart failure<nemod>(congestive)</nemod></title><code>I11.0</code></term>
      <term level="2"><title>heart involvement</title><see>Hypertension, heart</see></term>
    </term>
    <term level="1"><title>heart<nemod>(disease)</nemod></title><code>I11.9</code>
      <term level="2"><title>with heart failure</title><code>I11.0</code></term>
    </term>
  </mainTerm>
</letter>
<letter><title>I</title>
  <mainTerm><title>Incarceration, incarcerated</title>
    <term level="1"><title>hernia</title><seeAlso>Hernia, by site, with obstruction</seeAlso></term>
  </mainTerm>
  <mainTerm><title>Infarct, infarction</title>
    <term level="1"><title>myocardium, myocardial<nemod>(acute)</nemod></title><code>I21.9</code></term>
  </mainTerm>
</letter>
<letter><title>I</title>
  <mainTerm><title>Ischemia, ischemic</title><code>I99.8</code>
    <term level="1"><title>intestine</title>
      <term level="2"><title>acute</title><code>K55.0</code></term>
    </term>
  </mainTerm>
</letter>
<letter><title>K</title>
  <mainTerm><title>Kidney</title><seeAlso>condition</seeAlso></mainTerm>
</letter>
<letter><title>L</title>
  <mainTerm><title>Lymphadenopathy</title><code>R59.1</code></mainTerm>
</letter>
<letter><title>L</title>
  <mainTerm><title>Leiomyosarcoma</title><seeAlso>Neoplasm, connective tissue, malignant</seeAlso></mainTerm>
</letter>
<letter><title>M</title>
  <mainTerm><title>May</title><code>D72.0</code></mainTerm>
</letter>
<letter><title>N</title>
  <mainTerm><title>Neoplasm, neoplastic</title><see>Table of Neoplasms</see></mainTerm>
</letter>
<letter><title>P</title>
  <mainTerm><title>Pneumonia<nemod>(acute) (double) (septic)</nemod></title><code>J18.9</code>
    <seeAlso>Pneumonia, by organism</seeAlso>
    <term level="1"><title>aspiration</title><code>J69.0</code></term>
  </mainTerm>
  <mainTerm><title>Painful</title><code>R52</code></mainTerm>
  <mainTerm><title>Pain</title><code>R52</code>
    <term level="1"><title>foot</title><see>Pain, limb, lower</see></term>
    <term level="1"><title>limb</title><code>M79.609</code>
      <term level="2"><title>lower</title><code>M79.606</code>
        <term level="3"><title>foot</title><code>M79.67-</code></term>
      </term>
    </term>
  </mainTerm>
</letter>
<letter><title>S</title>
  <mainTerm><title>Scales</title><code>R23.4</code></mainTerm>
  <mainTerm><title>Sepsis</title><code>A41.9</code>
    <term level="1"><title>severe</title><code>R65.20</code></term>
  </mainTerm>
</letter>
<letter><title>U</title>
  <mainTerm><title>Ulcer</title>
    <term level="1"><title>pressure</title><code>L89.90</code></term>
  </mainTerm>
</letter>
</ICD10CM.index>
"""

NEOPLASM = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index><version>2025</version>
<indexHeading><head col="1">Neoplasm</head><head col="2">Malignant Primary</head>
<head col="3">Malignant Secondary</head><head col="4">Ca in situ</head><head col="5">Benign</head>
<head col="6">Uncertain Behavior</head><head col="7">Unspecified Behavior</head></indexHeading>
<letter><title>N</title><mainTerm><title>Neoplasm, neoplastic</title>
  <cell col="2">C80.1</cell><cell col="3">C79.9</cell><cell col="4">D09.9</cell><cell col="5">D36.9</cell>
  <cell col="6">D48.9</cell><cell col="7">D49.9</cell>
  <term level="1"><title>colon</title><see>Neoplasm, intestine, large</see></term>
  <term level="1"><title>connective tissue NEC</title><cell col="2">C49.9</cell><cell col="3">C79.89</cell>
    <cell col="5">D21.9</cell><cell col="6">D48.1</cell><cell col="7">D49.2</cell>
    <term level="2"><title>thigh</title><cell col="2">C49.2-</cell><cell col="5">D21.2-</cell></term></term>
  <term level="1"><title>cutaneous</title><see>Neoplasm, skin</see></term>
  <term level="1"><title>intestine, intestinal</title><cell col="2">C26.0</cell><cell col="3">C78.80</cell>
    <term level="2"><title>large</title><cell col="2">C18.9</cell><cell col="3">C78.5</cell>
      <cell col="4">D01.0</cell><cell col="5">D12.6</cell><cell col="6">D37.4</cell><cell col="7">D49.0</cell></term>
  </term>
  <term level="1"><title>liver</title><cell col="2">C22.9</cell><cell col="3">C78.7</cell><cell col="4">D01.5</cell>
    <cell col="5">D13.4</cell><cell col="6">D37.6</cell><cell col="7">D49.0</cell></term>
  <term level="1"><title>lung</title><cell col="2">C34.9-</cell><cell col="3">C78.0-</cell><cell col="4">D02.2-</cell>
    <cell col="5">D14.3-</cell><cell col="6">D38.1</cell><cell col="7">D49.1</cell></term>
  <term level="1"><title>uterus, uteri, uterine</title><cell col="2">C55</cell><cell col="3">C79.82</cell>
    <cell col="5">D26.9</cell></term>
  <term level="1"><title>skin NOS</title><cell col="2">C44.90</cell><cell col="3">C79.2</cell><cell col="4">D04.9</cell>
    <cell col="5">D23.9</cell><cell col="6">D48.5</cell><cell col="7">D49.2</cell></term>
</mainTerm></letter></ICD10CM.index>
"""

DRUG = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index><version>2025</version>
<indexHeading><head col="1">Substance</head><head col="2">Poisoning Accidental (unintentional)</head>
<head col="3">Poisoning Intentional self-harm</head><head col="4">Poisoning Assault</head>
<head col="5">Poisoning Undetermined</head><head col="6">Adverse effect</head><head col="7">Underdosing</head>
</indexHeading>
<letter><title>A</title><mainTerm><title>Acetaminophen</title>
  <cell col="2">T39.1X1</cell><cell col="3">T39.1X2</cell><cell col="4">T39.1X3</cell><cell col="5">T39.1X4</cell>
  <cell col="6">T39.1X5</cell><cell col="7">T39.1X6</cell></mainTerm></letter>
<letter><title>W</title><mainTerm><title>Warfarin</title>
  <cell col="2">T45.511</cell><cell col="3">T45.512</cell><cell col="4">T45.513</cell><cell col="5">T45.514</cell>
  <cell col="6">T45.515</cell><cell col="7">T45.516</cell>
  <term level="1"><title>rodenticide</title><cell col="2">T60.4X1</cell><cell col="3">T60.4X2</cell>
    <cell col="4">T60.4X3</cell><cell col="5">T60.4X4</cell><cell col="6">--</cell><cell col="7">--</cell></term>
</mainTerm></letter></ICD10CM.index>
"""


def _rows(tmp_path: Path, files: dict[str, str]) -> CodeBook:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA_PATH.read_text())
    idx.load(conn, tmp_path)
    return CodeBook(conn)


@pytest.fixture()
def walker(tmp_path: Path, full_book: CodeBook) -> IndexWalker:
    """The fixture Index and tables, codes verified in the real April 2026 tabular."""
    index_book = _rows(tmp_path, {"icd10cm_index_2025.xml": INDEX, "icd-10-cm-neoplasm-2025.xml": NEOPLASM,
                                  "icd-10-cm-drug-2025.xml": DRUG})
    return IndexWalker(IndexTree.from_rows(index_book.index_nodes()), full_book, {})


def codes(text: str, walker: IndexWalker, short: bool = True) -> list[str]:
    return [s.code for s in index_suggestions(text, walker, ON, short=short)]


def first(text: str, walker: IndexWalker, short: bool = True):  # type: ignore[no-untyped-def]
    found = index_suggestions(text, walker, ON, short=short)
    assert found, f"no suggestion for {text!r}"
    return found[0]


# -- the conventions ------------------------------------------------------------------------

def test_main_term_default_code_when_nothing_more_is_said(walker: IndexWalker) -> None:
    got = first("hypertension", walker)
    assert got.code == "I10"
    assert got.reason.startswith("Index: Hypertension, hypertensive") and "verified in the tabular" in got.reason


def test_nonessential_modifiers_are_optional_and_belong_to_the_term(walker: IndexWalker) -> None:
    assert codes("essential hypertension", walker)[0] == "I10"
    # 'congestive' is a modifier of 'heart failure': said or not, the same sub-term
    assert codes("hypertension with congestive heart failure", walker)[0] == "I11.0"
    assert first("essential hypertension", walker).score == 1.0   # every word explained


def test_with_convention_links_two_conditions_without_the_word(walker: IndexWalker) -> None:
    got = first("type 2 diabetes, chronic kidney disease", walker)
    assert got.code == "E11.22"
    assert "-> with -> chronic kidney disease -> E11.22" in got.reason


def test_see_pointer_is_followed_to_its_main_term_and_subterm(walker: IndexWalker) -> None:
    got = first("heart attack", walker)
    assert got.code == "I21.9"
    assert "see Infarct, myocardium" in got.reason
    got = first("hypertension with heart involvement", walker)
    assert got.code == "I11.9" and "see Hypertension, heart" in got.reason


def test_see_also_is_taken_only_when_the_words_go_on_there(walker: IndexWalker) -> None:
    assert codes("aspiration pneumonia", walker)[0] == "J69.0"
    assert codes("pneumonia", walker)[0] == "J18.9"


def test_nec_subterm_is_not_matched_by_a_generic_word(walker: IndexWalker) -> None:
    # 'Disease, specified NEC' must not be reached by the word 'disease' alone
    assert "R69" not in codes("kidney disease", walker)
    assert codes("chronic kidney disease", walker)[0] == "N18.9"


def test_a_site_main_term_starts_no_walk(walker: IndexWalker) -> None:
    assert codes("kidney", walker) == []


def test_manifestation_code_is_listed_second(walker: IndexWalker) -> None:
    found = index_suggestions("amyloidosis with lung involvement", walker, ON, short=True)
    assert [s.code for s in found[:2]] == ["E85.4", "J99"]
    assert "listed second" in found[1].reason


def test_incomplete_code_resolved_in_the_tabular_with_7th_character(walker: IndexWalker) -> None:
    got = first("fracture of femur", walker)
    assert got.code.startswith("S72.9") and len(got.code.replace(".", "")) == 7 and got.code.endswith("A")
    assert "7th character A" in got.reason and "assumed" in got.reason


# -- the Neoplasm table -----------------------------------------------------------------------

def test_see_neoplasm_skin_in_situ_resolved_through_the_table(walker: IndexWalker) -> None:
    got = first("Bowen's disease", walker)
    assert got.code == "D04.9"
    assert "see Neoplasm, skin, in situ" in got.reason and "skin NOS" in got.reason


def test_neoplasm_behaviour_by_site(walker: IndexWalker) -> None:
    assert codes("lung cancer", walker)[0].startswith("C34.9")
    assert codes("benign neoplasm of colon", walker)[0] == "D12.6"     # colon -> see intestine, large
    assert codes("neoplasm of uncertain behavior of liver", walker)[0] == "D37.6"


def test_connective_tissue_pointer_gives_way_to_a_site_not_in_its_list(walker: IndexWalker) -> None:
    # 'Leiomyosarcoma - see also Neoplasm, connective tissue, malignant': the table's note codes
    # a site that the connective-tissue list does not have to the neoplasm of that site
    got = first("leiomyosarcoma of the uterus", walker)
    assert got.code == "C55" and "the site said" in got.reason
    assert codes("leiomyosarcoma of thigh", walker)[0].startswith("C49.2")   # in the list: kept
    assert codes("leiomyosarcoma", walker)[0] == "C49.9"                     # no site said


def test_a_sub_term_is_said_by_any_of_its_printed_forms(walker: IndexWalker) -> None:
    # 'myocardium, myocardial' lists two forms of one word, not two words to say
    assert codes("myocardial infarction", walker)[0] == "I21.9"
    assert codes("cancer of uteri", walker)[0] == "C55"   # one printed form of the row is enough


def test_an_index_walk_outranks_a_title_fragment_over_the_words_it_explained(walker: IndexWalker) -> None:
    text = "leiomyosarcoma - pleomorphic"
    got = first(text, walker)
    assert got.code == "C49.9" and got.score < 1.0          # 'pleomorphic' is not explained
    assert text[got.span[0]:got.span[1]] == "leiomyosarcoma"  # the span: the words the walk explained
    # a title matching 'leiomyosarcoma' alone ranks just below the walk; one over other words keeps its score
    assert fragment_scores([(got.span, got.score)], [((0, 14), 0.95), ((17, 28), 0.9)]) == [
        pytest.approx(got.score - 0.001), 0.9]


def test_words_either_side_of_or_are_alternatives(walker: IndexWalker) -> None:
    # 'Fibrillation, atrial or auricular': 'atrial' alone says the sub-term
    got = first("atrial fibrillation", walker)
    assert got.code == "I48.91" and "atrial or auricular" in got.reason


def test_a_path_of_levels_is_read_level_by_level(walker: IndexWalker) -> None:
    # an ICU problem list's path, broadest first: the condition's own level gives its sub-terms;
    # a level that starts with a connector is a linked condition, not a word of this one
    path = codes("cardiovascular|arrhythmias|atrial fibrillation|with rapid ventricular response", walker)
    assert path[0] == "I48.91" and "I49.01" not in path
    # a level that names no condition ('|severe') is said of the level before it
    assert codes("infectious diseases|systemic/other infections|sepsis|severe", walker)[0] == "R65.20"


def test_a_combining_vowel_left_alone_starts_no_walk(walker: IndexWalker) -> None:
    # a file that lost the word after 'Cancer(o)' (cancerophobia) must not read 'cancer' as a phobia
    assert "F45.29" not in codes("cancer", walker)
    assert "F45.29" not in codes("She had breast cancer.", walker, short=False)


def test_an_everyday_word_alone_in_running_text_starts_no_walk(walker: IndexWalker) -> None:
    assert "R23.4" not in codes("Glasgow coma scale of 14 on arrival.", walker, short=False)
    assert codes("scales", walker)[0] == "R23.4"   # asked about by itself, it is the term


def test_a_lay_word_is_looked_up_in_the_index_s_word_too(walker: IndexWalker) -> None:
    # 'bowel' is no term of the Index: a coder looks up 'intestine' ('Ischemia, intestine, acute')
    got = first("acute bowel ischemia", walker)
    assert got.code.startswith("K55.0") and "-> intestine -> acute" in got.reason


def test_plurals_in_as_are_read_as_their_singular(walker: IndexWalker) -> None:
    assert [t for t, _, _ in said_words("lymphomas, hernias, traumas; pancreas")] == [
        "lymphoma", "hernia", "trauma", "pancreas"]
    assert "J18.9" in codes("Both lungs showed recurrent pneumonias.", walker, short=False)


def test_words_that_name_a_test_start_no_walk(walker: IndexWalker) -> None:
    assert codes("A lung cancer was found.", walker, short=False)[0].startswith("C34.9")
    assert codes("Lung cancer markers were normal.", walker, short=False) == []
    # 'decubitus' alone is a position; said with its ulcer it is the condition's word
    assert codes("She was examined in lateral decubitus.", walker, short=False) == []


def test_a_level_stated_is_looked_up_as_the_condition_it_names(walker: IndexWalker) -> None:
    got = first("Potassium - low", walker)
    assert got.code == "E87.6" and got.reason.startswith("Index: Hypokalemia")


def test_a_by_site_pointer_takes_the_site_from_the_words_then_the_rest(walker: IndexWalker) -> None:
    # 'Incarcerated hernia - see also Hernia, by site, with obstruction'
    got = first("incarcerated inguinal hernia", walker)
    assert got.code == "K40.30" and "-> inguinal -> with -> obstruction" in got.reason


def test_metastatic_to_and_from(walker: IndexWalker) -> None:
    assert codes("liver metastases", walker)[0] == "C78.7"
    both = codes("metastatic carcinoma of the liver from the colon", walker)
    assert set(both[:2]) == {"C78.7", "C18.9"}
    assert "C22.9" not in both      # the liver is where it spread, not a liver primary


# -- the Table of Drugs -----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "code"), [
    ("adverse effect of warfarin", "T45.515A"),
    ("accidental overdose of acetaminophen", "T39.1X1A"),
    ("acetaminophen overdose, suicide attempt", "T39.1X2A"),
    ("poisoning by acetaminophen, assault", "T39.1X3A"),
    ("acetaminophen poisoning, intent undetermined", "T39.1X4A"),
    ("underdosing of warfarin", "T45.516A"),
    ("warfarin rodenticide poisoning", "T60.4X1A"),
])
def test_drug_by_intent_with_7th_character(text: str, code: str, walker: IndexWalker) -> None:
    assert code in codes(text, walker)


def test_poisoning_without_a_stated_intent_is_accidental() -> None:
    assert intent_of("acetaminophen overdose") == "accidental"
    assert intent_of("rash, adverse reaction to amoxicillin") == "adverse"
    assert intent_of("hypertension") is None


def test_adverse_effect_reason_says_the_manifestation_comes_first(walker: IndexWalker) -> None:
    got = next(s for s in index_suggestions("bleeding due to adverse effect of warfarin", walker, ON, short=False)
               if s.code.startswith("T45"))
    assert "I.C.19.e.5.a" in got.reason


# -- running text -----------------------------------------------------------------------------

def test_running_text_one_code_per_condition(walker: IndexWalker) -> None:
    text = "Known type 2 diabetes with chronic kidney disease. Blood pressure high: hypertension."
    found = index_suggestions(text, walker, ON, short=False)
    got = [s.code for s in found]
    assert "E11.22" in got and "I10" in got
    assert "E11.9" not in got           # the same diabetes, coded once
    for s in found:                     # spans point at the words
        assert text[s.span[0]:s.span[1]] == s.phrase


def test_running_text_a_month_or_a_site_starts_nothing(walker: IndexWalker) -> None:
    assert codes("Seen in May for a kidney check.", walker, short=False) == []
    assert codes("The rash may recur.", walker, short=False) == []   # 'May' (-Hegglin) is a main term too


# -- the product says when there is no Index ----------------------------------------------------

def test_notice_when_no_index_is_imported(full_book: CodeBook, tmp_path: Path) -> None:
    assert index_notice(full_book) == NO_INDEX
    assert IndexWalker.load(full_book) is None
    book = _rows(tmp_path, {"icd10cm_index_2025.xml": INDEX})
    assert index_notice(book) is None


# -- the real FY2025 files, read in place -------------------------------------------------------

@pytest.fixture(scope="module")
def real_walker(shared_dir: Path, full_book: CodeBook) -> IndexWalker:
    base = shared_dir / "data" / "icd10cm"
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA_PATH.read_text())
    idx.load(conn, base / "index-2025-reconstructed" / "icd10cm_index_2025.xml")
    tables = idx.load(conn, base / "index-tables-2025")
    assert tables.name == "icd10cm-index-tables-2025"   # the tables and the eindex: one data set
    index_book = CodeBook(conn)      # as the product reads it: main terms, sub-terms on demand
    tree = IndexTree.lazy(index_book.index_nodes(mains_only=True), index_book.index_children,
                          *index_book.index_token_counts())
    return IndexWalker(tree, full_book, {})


@pytest.mark.parametrize(("text", "code"), [
    ("hypertensive heart disease with heart failure", "I11.0"),
    ("type 2 diabetes with chronic kidney disease", "E11.22"),
    ("acute kidney failure", "N17.9"),
    ("Rieger syndrome", "Q13.81"),
    ("Dermatofibroma", "D23.9"),
    ("Bowen's disease", "D04.9"),
    ("liver metastases", "C78.7"),
    ("adverse effect of warfarin", "T45.515A"),
    ("leg pain", "M79.606"),
])
def test_real_index_and_tables(text: str, code: str, real_walker: IndexWalker) -> None:
    got = first(text, real_walker)
    assert got.code == code, got.reason
    assert "verified in the tabular" in got.reason


def test_excludes1_codes_are_not_kept_together(walker: IndexWalker) -> None:
    from consultant.analysis.findings import Suggestion
    from consultant.analysis.index_walk.suggestions import _excludes1, in_reference

    assert in_reference("O10.02", "O10-O11") and in_reference("I11.0", "I11.-") and not in_reference("I10", "I11")
    first_found = Suggestion("ICD10CM", "I10", "t", 0.9, (0, 1), "x", "Index: Hypertension -> I10")
    excluded = Suggestion("ICD10CM", "O10.02", "t", 0.8, (2, 3), "y", "Index: Hypertension -> complicating")
    other = Suggestion("ICD10CM", "E11.9", "t", 0.8, (4, 5), "z", "Index: Diabetes -> E11.9")
    assert [s.code for s in _excludes1(walker, [first_found, excluded, other])] == ["I10", "E11.9"]


def test_a_place_in_needs_the_word_in(real_walker: IndexWalker) -> None:
    assert codes("blood in urine", real_walker)[0] == "R31.9"
    assert "R31.9" not in codes("blood and urine cultures were drawn", real_walker, short=False)


def test_a_drug_needs_what_happened_near_it(real_walker: IndexWalker) -> None:
    text = ("Injected 8 mg dexamethasone into the left knee joint under ultrasound guidance, tolerated well, "
            "and reviewed her old records of an overdose.")
    assert not any(c.startswith("T38") for c in codes(text, real_walker, short=False))
    assert "T38.0X5A" in codes("hyperglycemia due to adverse effect of dexamethasone", real_walker, short=False)


def test_poison_ivy_is_no_poisoning() -> None:
    assert intent_of("Decadron 10 mg IM for poison ivy") is None
    assert intent_of("rat poison ingestion") == "accidental"


def test_a_subterm_without_code_is_not_given_the_main_terms_default(walker: IndexWalker) -> None:
    assert codes("ischemia", walker) == ["I99.8"]                 # nothing more said: the default
    assert "I99.8" not in codes("intestinal ischemia", walker)    # the Index splits it further
    assert codes("acute intestinal ischemia", walker)[0].startswith("K55.0")


def test_see_pointer_target_is_walked_on_with_the_words_of_the_pointing_term(walker: IndexWalker) -> None:
    # 'Pain, foot - see Pain, limb, lower': under 'lower' the coder finds 'foot' again
    got = first("foot pain", walker)
    assert got.code == "M79.673", got.reason
    assert "see Pain, limb, lower -> Pain -> limb -> lower -> foot" in got.reason


def test_a_qualified_main_term_not_said_yields_to_the_one_with_the_default_code(walker: IndexWalker) -> None:
    # 'Fracture, pathological' and 'Fracture, traumatic' both start from 'fracture'; the words
    # say neither: the main term the Index gives a default code to (traumatic) is the reading
    assert codes("femur fracture", walker)[0].startswith("S72.9")
    assert codes("pathological fracture of femur", walker)[0].startswith("M84.45")


def test_running_text_a_subterm_belongs_to_its_own_phrase(walker: IndexWalker) -> None:
    # a type or a site said in another phrase of the sentence is not the term's sub-term ...
    assert not any(c.startswith("K55.0") for c in codes("There was intestinal ischemia, and acute renal failure.",
                                                        walker, short=False))
    assert codes("There was acute intestinal ischemia.", walker, short=False)[0].startswith("K55.0")
    # ... but the 'with' convention links two conditions wherever the sentence names them
    assert "E11.22" in codes("She has type 2 diabetes, chronic kidney disease and gout.", walker, short=False)


def test_running_text_a_lone_noun_is_a_condition_a_lone_adjective_is_not(walker: IndexWalker) -> None:
    # '-y' and '-ing' end the nouns of conditions ('lymphadenopathy', 'epilepsy', 'vomiting')
    assert "R59.1" in codes("The neck examination showed lymphadenopathy.", walker, short=False)
    assert "R52" not in codes("The knee was painful.", walker, short=False)
