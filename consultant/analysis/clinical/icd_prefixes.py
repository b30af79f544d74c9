"""ICD-10-CM code prefixes the suggester's conventions name (data): 'unspecified site'
codes and the codes that give the site, the pain codes that name a site, and the
families the 'with' presumption links (guidelines I.A.15, I.C.4.a, I.C.9.a)."""

from __future__ import annotations

from collections.abc import Callable

ICD = "ICD10CM"

# pain codes that name the site: 'Pain, unspecified' (R52) is only for pain without one
SITE_PAIN = ("R10", "R07", "M54", "M25.5", "M79.6", "M79.1", "N64.4", "H57.1", "H92.0", "K14.6", "N50.81",
             "R30", "N94.89", "G44", "R51", "K62.89", "M26.62")

# 'unspecified site' codes and the codes that say the site: (unspecified, the specific ones)
UNSPECIFIED_SITE: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("C80.1", lambda c: c[:1] == "C" and not "C77" <= c[:3] <= "C80"),   # malignant, primary site
    ("C79.9", lambda c: "C77" <= c[:3] <= "C79"),                        # secondary
    ("D49.9", lambda c: c[:3] == "D49"),                                 # unspecified behaviour
    ("R52", lambda c: c.startswith(SITE_PAIN)),                          # pain with its site
)

DIABETES_CATEGORIES = ("E08", "E09", "E13", "E10", "E11")      # E08-E13: the diabetes mellitus categories
CKD_FAMILY = ("N18", "I12", "I13")                            # codes that say chronic kidney disease
HYPERTENSION = ("I10", "I11", "I12", "I13")                   # hypertensive diseases
HEART_FAILURE = ("I50", "I11.0", "I13.0", "I13.2")            # codes that say heart failure
# I50 codes that leave the type or acuity open: ask for it
HEART_FAILURE_OPEN = ("9", "0", "I50.20", "I50.30", "I50.40")
# unspecified codes whose own question is asked by a convention (CKD stage, heart failure, diabetes type)
ASKED_ELSEWHERE = ("N18", "I50", "E11", "E10")
