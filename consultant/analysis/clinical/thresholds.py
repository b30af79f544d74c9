"""The numbers the suggester decides by, in one place (each pinned by a test in
tests/unit/test_thresholds.py: a change here must change that test, on purpose)."""

from __future__ import annotations

from consultant.kb import terms as kt

SHORT_QUERY_WORDS = 12           # up to this many words, the whole text is one phrase
MIN_CASE_SCORE = 0.55            # a match in running text needs at least this score
MIN_CASE_COVER = kt.RUNNING_COVER["ICD10CM"]            # ... and this share of the term's weight covered
MIN_PROCEDURE_SCORE = 0.66       # procedures: the words must be explained by the description
MIN_PROCEDURE_COVER = 0.5        # ... and this share of the description's weight covered
SHORT_CANDIDATES = 200            # a short query scores at most this many terms, most covered first
BRACKET_SCORE = 0.8              # a second name in brackets must name a code on its own
COMMON_DF = 3000                 # tokens in more terms than this only confirm candidates
UNCERTAIN_FACTOR = 0.5           # outpatient: an uncertain diagnosis is flagged at this share of its score
SETTING_FACTOR = 0.6             # pregnancy, newborn, injury, screening codes without such words
MAX_OVERLAP = 0.4                # running text: a match may reuse this share of words already taken
BETA2 = 1.0                      # F-measure of term and query cover: < 1 leans on the term side
STRICT_LIGHT = 0.5                # filler words of a title count half in running text
NEAR = 1e-7     # far above the rounding of a sum of a few weights in another order
