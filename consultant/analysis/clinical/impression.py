"""The conclusion of an interpreted diagnostic test (OGCR IV.K): for an outpatient test read by
a physician whose final report is at hand, the confirmed diagnoses of the interpretation are
coded, and the signs and symptoms that led to the test are not coded beside them — even when the
order said 'r/o' the same condition.

Pure: finds the report's conclusion lines; the caller matches their words to codes.

    >>> impression_phrases("CT A/P for RLQ pain, r/o appendicitis.\\nImpression: acute appendicitis.")
    ('acute appendicitis',)
"""

from __future__ import annotations

import re

# the diagnostic tests whose physician interpretation the guideline means
TEST = re.compile(
    r"\b(?:CT|CTA|CXR|KUB|MRI|MRA|PET|x-?rays?|radiograph\w*|ultrasound|sonogra\w*|US|mammo\w*|echo\w*|"
    r"EKG|ECG|EEG|EMG|endoscop\w*|colonoscop\w*|EGD|biops\w*|patholog\w*|cytolog\w*|scan|imaging|"
    r"radiolog\w*|DEXA|angiogra\w*|fluorosco\w*)\b", re.IGNORECASE)
CONCLUSION = re.compile(
    r"(?im)(?:^|(?<=[.:])\s+)[ \t>*-]*(?:final\s+)?(?:impressions?|conclusions?|interpretation|final\s+diagnos[ie]s|"
    r"path(?:ology)?\s+(?:dx|diagnosis)|diagnosis)\s*:\s*(?P<said>[^\n]{3,200})")
NEGATIVE = re.compile(r"\b(?:no|not|without|negative|normal|unremarkable|ruled\s+out|r/o|"
                      r"probabl[ey]|possible|suspect\w*|likely|cannot\s+exclude|versus|vs)\b", re.IGNORECASE)
SPLIT = re.compile(r"\s*(?:;|\.\s+|\.$|(?<![\w.])\d\)\s*)")
# a sentence of the mail itself after the conclusion ('Our radiologist reads ...', 'We billed ...')
NOT_A_FINDING = re.compile(r"\b(?:we|our|us|i|you|your|billed?|billing|coded?|claim|modifier|dx|cpt|icd)\b",
                           re.IGNORECASE)
SOURCE = ("ICD-10-CM Official Guidelines IV.K (outpatient diagnostic tests interpreted by a physician: "
          "code the confirmed diagnoses of the final report, not the signs and symptoms), paraphrased")


def impression_phrases(text: str) -> tuple[str, ...]:
    """The confirmed findings of a diagnostic test's conclusion lines ('Impression: ...'), each
    a short phrase; nothing when the mail is not about an interpreted test, and no phrase that is
    negative or still uncertain ('no acute process', 'probable pneumonia')."""
    if not TEST.search(text):
        return ()
    out: list[str] = []
    for m in CONCLUSION.finditer(text):
        for piece in SPLIT.split(m.group("said")):
            phrase = " ".join(piece.strip(" .,:;").split())
            if NOT_A_FINDING.search(phrase):
                break                     # the report's words ended: the sender's own words follow
            if 2 < len(phrase) <= 80 and not NEGATIVE.search(phrase) and phrase not in out:
                out.append(phrase)
    return tuple(out)
