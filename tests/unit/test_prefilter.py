"""The regex prefilter skips a search only when the pattern cannot match."""

from __future__ import annotations

import re

from consultant.analysis import prefilter
from consultant.analysis.questions.bundling import SENTENCE

PATTERNS = [
    re.compile(r"\bca\b|\bcancer\w*|\bcarcinoma\w*", re.IGNORECASE),
    re.compile(r"(lesion|nevus|\bBCC\b)[^.;]{0,40}excis\w+", re.IGNORECASE),
    re.compile(r"(?:back|return\w*)\s+to\s+(?:the\s+)?(?:(?-i:OR)|operating\s+room)", re.IGNORECASE),
    re.compile(r"(?<![\w.])(?:history|h/o)(?=\s)\s+of", re.IGNORECASE),
    re.compile(r"sepsis"),
    re.compile(r"(?:ab)+c|x{2,}"),
]
TEXTS = [
    "", "History of breast CA, s/p lumpectomy.", "nevus excised", "returned to the OR",
    "Returned to the or", "h/o  sepsis", "Sepsis", "ababc", "xx", "ca", "H/O\tof",
    "Ca\u017fe", "BA\u017fK",  # the long s matches s under IGNORECASE
    "Returned to the operating room", "lesion; excised", "lesion was excised",
]


def test_required_words_are_read_from_the_pattern() -> None:
    assert prefilter.required_words(PATTERNS[0]) == ("ca",)
    assert prefilter.required_words(PATTERNS[1]) == ("excis",)  # the longest word every match has
    assert set(prefilter.required_words(re.compile(r"(lesion|nevus|\bBCC\b)\s", re.IGNORECASE)) or ()) == {"lesion", "nevus", "bcc"}
    assert prefilter.required_words(re.compile(r"\d{5}|->")) is None  # one branch needs no word


def test_a_skipped_search_is_one_that_finds_nothing() -> None:
    for pattern in PATTERNS:
        for text in TEXTS:
            found = pattern.search(text)
            assert prefilter.search(pattern, text) == found or (
                found and prefilter.search(pattern, text).span() == found.span())  # type: ignore[union-attr]
            assert [m.span() for m in prefilter.finditer(pattern, text)] == [
                m.span() for m in pattern.finditer(text)]
            if found:
                assert prefilter.may_match(pattern, text)


def warm(*patterns: re.Pattern[str]) -> None:
    """A pattern is read from its second search on (the first runs plain, for the ready time)."""
    for pattern in patterns:
        prefilter.may_match(pattern, "")


def test_a_pattern_is_filtered_from_its_second_search_on() -> None:
    pattern = re.compile(r"\bfirst\s+use\b")
    assert prefilter.may_match(pattern, "nothing")       # first search: plain
    assert not prefilter.may_match(pattern, "nothing")   # then read


def test_a_character_that_folds_onto_ascii_forces_the_search() -> None:
    pattern = re.compile(r"\bsepsis\b", re.IGNORECASE)
    warm(pattern)
    text = "\u017fepsis"  # LATIN SMALL LETTER LONG S: re matches it to s, str.lower() does not
    assert pattern.search(text)
    assert prefilter.may_match(pattern, text)
    assert not prefilter.may_match(pattern, "no such word here")


def test_question_sentences_are_the_plain_patterns_matches() -> None:
    plain = re.compile(r"[^.?!\n]*\?")
    for text in ["Can I bill 11042 with 97597? Thanks. Or 20610?? ok", "a. b? c", "?", "x\ny?z.w?",
                 "no question here.", "Is 99213-25 ok?\nDx: I10. Why? Because."]:
        assert [m.span() for m in SENTENCE.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_a_word_read_with_its_case_is_looked_for_with_its_case() -> None:
    pattern = re.compile(r"\bED\b|emergency\s+room", re.IGNORECASE)
    local = re.compile(r"(?-i:\bED\b)|(?i:\bER\b)", re.IGNORECASE)
    lar = re.compile(r"\bLAR\b")
    warm(local, lar)
    assert prefilter.required_words(pattern) == ("emergency", "ed")
    assert not prefilter.may_match(local, "he was admitted and discharged")
    assert prefilter.may_match(local, "seen in the ED") and prefilter.may_match(local, "seen in the er")
    assert not prefilter.may_match(lar, "a particular case")


def test_searches_begun_late_find_what_a_search_from_the_start_finds() -> None:
    import random

    patterns = PATTERNS + [
        re.compile(r"(?:again|repeat\w*)[\s\S]{0,20}(?:same|one)", re.IGNORECASE),
        re.compile(r"(?<!no )\b(?:\w+\s+){0,2}fracture", re.IGNORECASE),
        re.compile(r"\bN[1-3]\b|\b\d+\s*/\s*\d+\s*nodes?", re.IGNORECASE),
        re.compile(r"^case\b|x\d?y", re.IGNORECASE | re.MULTILINE),
        # alternatives with and without words that begin every match
        re.compile(r"\bsame\b|\b\d\s*/\s*\d|(?:again|repeat\w*)[\s\S]{0,20}one|(?-i:OR)", re.IGNORECASE),
        re.compile(r"\bca\b|\bcancer\w*|\bfracture|(?<=no )nodes", re.IGNORECASE),
        # matches that begin with a digit, or with a word after `\b`
        re.compile(r"\bpregnant\b|\b\d{1,2}\s*w(?:ks?)?\s*\d\s*d\b|\bG\d|\b[0-4]\s*yo", re.IGNORECASE),
        re.compile(r"\d+\s*/\s*\d+|\bone\b|\b(?:a|any)\s+x"),
        # a word that begins a match only when the rest of its alternative is in the text
        re.compile(r"(?:I\s*&\s*D|incision|a(?:b|x\d))[\s\S]{0,20}plan|nodes", re.IGNORECASE),
        # a word that begins a match only when a space comes after it
        re.compile(r"(?:what|an?) (?:x|one)|\b(?:is|any)\s+(?:\w+\s+){0,2}same", re.IGNORECASE),
    ]
    vocab = ["again", "same", "one", "no", "fracture", "Fracture", "N2", "3/4", "nodes", "case",
             "x1y", "xy", "repeated", " ", " ", "\n", ".", "ca", "cancer", "OR", "or", "ſ",
             "2", "12", "w", "wk", "&", "I", "D", "plan", "an", "\t", "is", "what", "incision", "ab", "ax", "ax1", "3d", "g2", "G1", "é", "_", "3yo", "٣", "pregnant", "a", "any", "x"]
    rng = random.Random(5)
    for _ in range(400):
        text = "".join(rng.choice(vocab) + rng.choice(["", " "]) for _ in range(rng.randint(0, 30)))
        for pattern in patterns:
            assert [m.span() for m in prefilter.finditer(pattern, text)] == [
                m.span() for m in pattern.finditer(text)], (pattern.pattern, text)
            for pos in (0, 3, 17):
                a, b = prefilter.search(pattern, text, pos), pattern.search(text, pos)
                assert (a and a.span()) == (b and b.span()), (pattern.pattern, text, pos)


def test_every_part_of_a_sequence_is_needed_and_one_alternative_of_a_branch() -> None:
    pattern = re.compile(r"(?:back|return\w*)\s+to\s+(?:the\s+)?(?:(?-i:OR)|operating\s+room)[\s\S]{0,60}"
                         r"(?:hematoma|bleed\w*)|(?:ab)+c", re.IGNORECASE)
    warm(pattern)
    assert prefilter.gate(pattern) is not None
    texts = ["Returned to the OR for a hematoma.", "returned to the OR, no issues.",
             "back to the operating room: bleeding", "back to the or: bleeding", "ABABC",
             "returned to the OR. Hematoma", "a hematoma, taken to the OR", "returned to the OR \u017fomething hematoma"]
    for text in texts:
        found = pattern.search(text)
        got = prefilter.search(pattern, text)
        assert (got and got.span()) == (found and found.span())
        assert [m.span() for m in prefilter.finditer(pattern, text)] == [m.span() for m in pattern.finditer(text)]
    assert prefilter.required_words(pattern) == ("hematoma", "bleed", "ab")    # the words of `_start`
    assert not prefilter.may_match(pattern, "a hematoma, taken to the OR")      # no 'back' or 'return'
    assert not prefilter.may_match(pattern, "back to the or: bleeding")         # 'OR' read with its case
    assert prefilter.may_match(pattern, "Returned to the OR for a hematoma.")


def test_a_search_tries_only_where_a_match_can_begin() -> None:
    pattern = re.compile(r"\b(?:bump|raise|level\s+up)\b[^.?!\n]{0,40}\b(?:99\d{3}|level\s*\d)|(?-i:ED)\s+visit",
                         re.IGNORECASE)
    warm(pattern)
    folded, exact = prefilter._heads(pattern) or ((), ())
    assert set(folded) == {"bump", "raise", "level"} and exact == ("ED",)   # every match begins with one
    texts = ["Can we bump 99213 to 99214?", "raise it. to level 4", "RAISE the level 5 please",
             "ed visit, then ED visit", "bumped 99213", "level up to level 3 and bump 99215",
             "a b c " * 40 + "bump to 99214", "raise raise raise raise raise raise raise raise raise raise "
             "raise raise raise raise raise raise raise raise to level 2"]
    for text in texts:
        found = pattern.search(text)
        got = prefilter.search(pattern, text)
        assert (got and got.span()) == (found and found.span())
        assert [m.span() for m in prefilter.finditer(pattern, text)] == [m.span() for m in pattern.finditer(text)]
    plan = prefilter._plan(pattern)
    assert plan is not None and prefilter._head_positions(plan, prefilter._scan("Can we bump 99213 to 99214?"), 0) == [7]


def test_a_part_of_a_text_read_lately_is_searched_as_the_plain_pattern_searches_it() -> None:
    pattern = re.compile(r"\bsepsis\b|\bSIRS\b", re.IGNORECASE)
    warm(pattern)
    pad = " word" * 60   # parts long enough to be read as parts (short texts are read alone)
    parts = [f"Dx: Sepsis.{pad}", f"Plan: fluids, SIRS criteria.{pad}", f"No other.{pad}", f"Plan: fluids{pad}"]
    whole = "\n\n".join(parts[:3])
    long_s = f"\u017f Sepsis here{pad}"   # the long s matches s under IGNORECASE; str.lower() keeps it
    for text in [whole, *parts, long_s, long_s[2:], long_s[3:]]:
        found = pattern.search(text)
        got = prefilter.search(pattern, text)
        assert (got and got.span()) == (found and found.span()), text
        assert prefilter.may_match(pattern, text) or not found
    assert not prefilter.may_match(pattern, f"No other.{pad}")
    assert prefilter._scan(parts[1]).parent is prefilter._scan(whole)


def test_a_word_that_a_space_must_follow_begins_a_match_only_before_one() -> None:
    pattern = re.compile(r"(?:what|an?) (?:x|one)|\b(?:is|any)\s+(?:\w+\s+){0,2}same", re.IGNORECASE)
    warm(pattern)
    for text in ["what one", "whatone what x", "What\tx, what x", "is\tthe same", "isn't same, is same",
                 "anyway any  same", "a one"]:
        assert [m.span() for m in prefilter.finditer(pattern, text)] == [m.span() for m in pattern.finditer(text)]


def test_candidates_are_the_patterns_that_may_match_in_their_order() -> None:
    warm(*PATTERNS)
    for text in TEXTS:
        kept = prefilter.candidates(PATTERNS, text)
        assert kept == [p for p in PATTERNS if prefilter.may_match(p, text)]
        assert all(p in kept for p in PATTERNS if p.search(text))  # never one that matches
    assert prefilter.candidates(PATTERNS, "nevus excised") == [PATTERNS[1], PATTERNS[5]]  # an x


def test_an_alternative_begins_a_match_only_where_the_text_has_all_it_needs() -> None:
    pattern = re.compile(r"\bN[1-3]\b|\b\d+\s*/\s*\d+\s*(?:LNs?|lymph\s+nodes?|nodes?)\s*(?:pos\w*|\+)", re.IGNORECASE)
    warm(pattern)
    texts = ["seen 3/12, BP 120/80, stage N2", "2/14 nodes positive", "3/4 LN+ and N1", "BP 120/80 on 3/12",
             "12/14 lymph nodes pos", "1/2 nodes negative, N0"]
    for text in texts:
        assert [m.span() for m in prefilter.finditer(pattern, text)] == [m.span() for m in pattern.finditer(text)]
    plan = prefilter._plan(pattern)
    # no node word in the text: the digits (3, 12, 120, 80) are not tried, only the 'N'
    assert plan is not None and prefilter._head_positions(plan, prefilter._scan(texts[0]), 0) == [28]


def test_the_scans_of_texts_are_kept_per_thread_so_cases_answered_at_once_share_none() -> None:
    """The daemon answers its mailboxes in a thread pool: a scan (filled in as rules ask) made in
    one thread is not handed to another, and searches there still give the plain regex's answer."""
    import threading

    from consultant.analysis import prefilter

    text = "Patient seen for chest pain; no fracture of the left wrist. " * 10
    mine = prefilter._scan(text)
    assert prefilter._scan(text) is mine
    theirs: list[object] = []
    pattern = re.compile(r"\bfracture of the (left|right) wrist\b", re.I)
    found: list[bool] = []

    def other() -> None:
        theirs.append(prefilter._scan(text))
        found.append(prefilter.search(pattern, text) is not None)

    worker = threading.Thread(target=other)
    worker.start()
    worker.join()
    assert theirs and theirs[0] is not mine
    assert found == [True]
