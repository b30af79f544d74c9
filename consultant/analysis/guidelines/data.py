"""The words and code maps the guideline rules read: data, in our own words, each with its
source. Codes are identifiers from the ICD-10-CM Tabular List (public domain, CDC/NCHS); the
guideline sections are those of the ICD-10-CM Official Guidelines for Coding and Reporting
(OGCR), paraphrased in each rule's message, never quoted.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

# -- neoplasms (OGCR I.C.2) -------------------------------------------------------------------

# A primary site's personal-history code (Tabular Z85 subcategory titles name the site).
HISTORY_OF_PRIMARY: tuple[tuple[str, str], ...] = (
    ("C00", "Z85.819"), ("C01", "Z85.810"), ("C02", "Z85.810"), ("C03", "Z85.819"),
    ("C04", "Z85.819"), ("C05", "Z85.819"), ("C06", "Z85.819"), ("C07", "Z85.818"),
    ("C08", "Z85.818"), ("C09", "Z85.818"), ("C10", "Z85.818"), ("C11", "Z85.818"),
    ("C12", "Z85.818"), ("C13", "Z85.818"), ("C14", "Z85.819"),
    ("C15", "Z85.01"), ("C16", "Z85.028"), ("C17", "Z85.068"), ("C18", "Z85.038"),
    ("C19", "Z85.048"), ("C20", "Z85.048"), ("C21", "Z85.048"), ("C22", "Z85.05"),
    ("C23", "Z85.09"), ("C24", "Z85.09"), ("C25", "Z85.07"), ("C32", "Z85.21"),
    ("C33", "Z85.12"), ("C34", "Z85.118"), ("C37", "Z85.238"), ("C40", "Z85.830"),
    ("C41", "Z85.830"), ("C43", "Z85.820"), ("C44", "Z85.828"), ("C45", "Z85.89"),
    ("C49", "Z85.831"), ("C50", "Z85.3"), ("C51", "Z85.44"), ("C52", "Z85.44"),
    ("C53", "Z85.41"), ("C54", "Z85.42"), ("C55", "Z85.42"), ("C56", "Z85.43"),
    ("C60", "Z85.49"), ("C61", "Z85.46"), ("C62", "Z85.47"), ("C64", "Z85.528"),
    ("C65", "Z85.53"), ("C66", "Z85.54"), ("C67", "Z85.51"), ("C69", "Z85.840"),
    ("C71", "Z85.841"), ("C73", "Z85.850"), ("C74", "Z85.858"),
)

CANCER_WORDS = re.compile(
    r"\bca\b|\bcancer\w*|\bcarcinoma\w*|\badenoca\w*|\bmalignan\w+|\bneoplasm\w*|\btumou?r\b|\blymphoma\b|"
    r"\bmelanoma\b|\bsarcoma\b|\bNSCLC\b|\bSCLC\b|\bIDC\b|\bDCIS\b|\bHCC\b|\bRCC\b|\bseminoma\b|\bmyeloma\b|\bleukemia\b",
    _I,
)
# Treatment finished, primary excised or eradicated, no disease left at the primary site.
COMPLETED_TREATMENT = re.compile(
    r"\b(?:s/p|status\s+post|post)\s+\w*(?:ectomy|resection|excision)\b|\b\w*ectomy\b|"
    r"\b(?:resected|excised|eradicated|removed)\b|\bresection\b|\b(?:LAR|APR|TURBT|WLE)\b",
    _I,
)
_TREATMENT = r"(?:chemo\w*|radiation|radiotherapy|XRT|RT|treatment|tx|therapy|immunotherapy)"
NO_DISEASE_LEFT = re.compile(
    rf"\b{_TREATMENT}(?:/{_TREATMENT})?\s+(?:was\s+|were\s+)?(?:finished|completed|done|ended)\b|"
    rf"\b(?:finished|completed|ended)\s+(?:\w+\s+){{0,3}}{_TREATMENT}\b|"
    r"\bno\s+(?:further\s+)?(?:tx|treatment|therapy)\b|"
    r"\bno\s+(?:local\s+|evidence\s+of\s+)?(?:recurrence|disease)\b|\bNED\b|"
    r"\bno\s+evidence\b|\bcancer[- ]free\b|\bdisease[- ]free\b|\bin\s+remission\b",
    _I,
)
# Treatment still directed at the cancer: it is current, not history (OGCR I.C.2.m).
ON_TREATMENT = re.compile(
    r"\b(?:on|receiving|undergoing|currently\s+(?:on|receiving|getting)|continues?|continuing)\s+"
    r"(?:adjuvant\s+|active\s+|systemic\s+)?(?:chemo\w*|radiation|XRT|RT|immunotherapy|"
    r"hormon\w+\s+therapy|tamoxifen|letrozole|anastrozole|treatment|tx)\b|\bC\d+D\d+\b|"
    r"\bcycle\s+\d+\b",
    _I,
)
METASTASIS_WORDS = re.compile(
    r"\bmets?\b|\bmetasta\w*|\bsecondar(?:y|ies)\b|\bspread\s+to\b", _I
)
UNKNOWN_PRIMARY = re.compile(
    r"\b(?:unknown|occult|unidentified|undetermined|unspecified)\s+primary\b|"
    r"\bprimary\s+(?:site\s+)?(?:unknown|not\s+(?:known|found|identified))\b|\bCUP\b",
    _I,
)
# The encounter's treatment is aimed at the metastasis (resection of, radiation to, the met).
TREATS_SECONDARY = re.compile(
    r"\b(?:resect\w*|excis\w*|craniotomy|SRS|stereotactic|radiosurgery|radiation|XRT|"
    r"ablation|removal)\b[^.\n]{0,60}\b(?:mets?|metasta\w+)\b|"
    r"\b(?:mets?|metasta\w+)\b[^.\n]{0,30}\b(?:resect\w*|excis\w*|radiation|ablation)\b",
    _I,
)

# Acquired absence after a mastectomy (Tabular Z90.1-): right, left, both.
MASTECTOMY = re.compile(r"\b(?:(R|rt|right|L|lt|left|bilat\w*|bilateral|B/L)\.?\s+)?(?:total\s+|simple\s+|radical\s+|modified\s+radical\s+)?mastectomy\b", _I)
MASTECTOMY_CODES = {"right": "Z90.11", "left": "Z90.12", "both": "Z90.13"}

# -- injuries (OGCR I.C.19) -------------------------------------------------------------------

# What the visit is for, read from its words, for the 7th character (OGCR I.C.19.a, I.C.19.c.1).
ENCOUNTER_STAGES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("sequela", re.compile(
        r"\bsequela\w*|\blate\s+effects?\b|\bpost-?traumatic\b[^.\n]{0,60}\b(?:from|after|due\s+to)\b"
        r"[^.\n]{0,60}\b(?:\d+\s+(?:yrs?|years?|mos?|months?)\s+ago|old|prior|previous)\b|"
        r"\b(?:scar|contracture|arthritis|OA)\b[^.\n]{0,40}\bfrom\b[^.\n]{0,40}\b(?:ago|old)\b",
        _I)),
    ("malunion", re.compile(r"\bmal-?union\b|\bmal-?united\b|\bhealed\s+in\s+\w*\s*(?:mal|angulat)", _I)),
    ("nonunion", re.compile(r"\bnon-?union\b|\bnon-?united\b|\bfailed\s+to\s+unite\b", _I)),
    ("delayed", re.compile(r"\bdelayed\s+(?:union|healing)\b|\bslow\s+(?:to\s+)?heal\w*", _I)),
    ("routine", re.compile(
        r"\b(?:re-?check|recheck|follow[- ]?up|f/u|post-?op(?:erative)?\s+visit|cast\s+(?:check|"
        r"change|removal)|suture\s+removal|healing\s+(?:as\s+expected|well|normally|appropriately)|"
        r"routine\s+healing|\d+\s*(?:wk|wks|week|weeks)\s+(?:re-?check|f/u|follow[- ]?up|visit)|"
        r"callus)\b",
        _I)),
)
# Active treatment done at this visit: with a follow-up also named, that follow-up is a later
# encounter (subsequent, D) and this one is initial (A).
INITIAL_CARE = re.compile(
    r"\bclosed\s+reduction\b|\breduc(?:ed|tion)\b|\bmanipulat\w+|\bORIF\b|\b(?:splint|cast)\s+(?:was\s+)?applied\b|"
    r"\bapplied\b[^.\n]{0,20}\b(?:splint|cast)\b|\b(?:ED|ER|emergency)\s+(?:visit|dept|department)\b|"
    r"\bwalk-?in\b|\b(?:FOOS|fell|injured|twisted)\b[^.\n]{0,30}\b(?:yesterday|today|this\s+morning|last\s+night)\b",
    _I,
)
# Active treatment happening at this visit (for the initial-encounter 7th character).
ACTIVE_TREATMENT_NOW = re.compile(
    r"\b(?:ED|ER|emergency\s+(?:dept|department|room))\s+(?:visit|encounter|eval\w*)\b|\badmitted\s+(?:for|with)\b|"
    r"\bclosed\s+reduction\b|\bORIF\b|\b(?:splint|cast)\s+(?:was\s+)?applied\b|\b(?:repaired|sutured)\s+today\b|"
    r"\b(?:injured|fell|slipped|twisted)\b[^.\n]{0,40}\b(?:today|yesterday|this\s+morning|last\s+night)\b",
    _I,
)
# 'no sepsis', 'sepsis ruled out', 'does not meet sepsis criteria'
SEPSIS_NEGATED = re.compile(
    r"\b(?:no|not|without|negative\s+for|r/o|rule\s+out|ruled\s+out|denies)\s+(?:\w+\s+){0,2}sep(?:sis|tic)\b|"
    r"\bsep(?:sis|tic)\b[^.\n]{0,20}\b(?:ruled\s+out|not\s+met|not\s+present|unlikely)\b|"
    r"\b(?:not|doesn't|does\s+not)\s+meet\s+(?:\w+\s+){0,2}sepsis\b",
    _I,
)
SIDE_RIGHT = re.compile(r"(?<![\w/])(?:R|rt|right)\b(?!\s*/)", _I)
SIDE_LEFT = re.compile(r"(?<![\w/])(?:L|lt|left)\b(?!\s*/)", _I)

# 7th characters by stage for a fracture: (closed, open type I/II or open NOS, open type III).
FRACTURE_SEVENTH: dict[str, tuple[str, str, str]] = {
    "initial": ("A", "B", "C"),
    "routine": ("D", "E", "F"),
    "delayed": ("G", "H", "J"),
    "nonunion": ("K", "M", "N"),
    "malunion": ("P", "Q", "R"),
    "sequela": ("S", "S", "S"),
}
# For other injuries (A initial, D subsequent, S sequela).
INJURY_SEVENTH = {"initial": "A", "routine": "D", "delayed": "D", "nonunion": "D",
                  "malunion": "D", "sequela": "S"}
STAGE_WORDS = {
    "initial": "active treatment",
    "routine": "routine healing after active treatment",
    "delayed": "delayed healing",
    "nonunion": "nonunion",
    "malunion": "malunion",
    "sequela": "a sequela (late effect)",
}
OPEN_FRACTURE = re.compile(r"\bopen\b[^.\n]{0,40}?(?:fx|fracture|gustilo)|\bgustilo\b|\bcompound\s+fracture", _I)
GUSTILO_III = re.compile(r"\b(?:gustilo|type)\s*(?:III|3)\s*[ABC]?\b", _I)
# Aftercare codes the guidelines keep off injuries (OGCR I.C.21.c.7): injury code with D instead.
AFTERCARE_NOT_FOR_INJURY = ("Z47.89", "Z48.89", "Z48.81", "Z09")
INJURY_WORDS = re.compile(r"\bfx\b|\bfractur\w+|\bcolles\b|\bsmith'?s\b|\bunion\b|\bcast\b|\bsplint\b|\binjur\w+|\bsprain\w*|\blacerat\w+|\bdislocat\w+", _I)

# -- sepsis (OGCR I.C.1.d) --------------------------------------------------------------------

SEPSIS_WORDS = re.compile(r"\bsep(?:sis|tic)\b|\bsepticemi\w*|\bbacteremi\w*\s+with\s+sepsis", _I)
SEPTIC_SHOCK = re.compile(r"\bseptic\s+shock\b", _I)
SEVERE_SEPSIS = re.compile(
    r"\bsevere\s+sepsis\b|\bsepsis\b[^.\n]{0,50}\bwith\b[^.\n]{0,30}\b(?:organ\s+dysfunction|"
    r"AKI|acute\s+kidney|acute\s+renal|acute\s+respiratory\s+failure|encephalopathy|"
    r"DIC|coagulopathy)\b",
    _I,
)
# Organism named with the sepsis -> the sepsis code that names it (Tabular A40-A41 titles).
SEPSIS_ORGANISMS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"\bMRSA\b|\bmethicillin[- ]resistant\b", _I), "A41.02", "MRSA"),
    (re.compile(r"\bMSSA\b|\bmethicillin[- ]s(?:usceptible|ensitive)\b|\bstaph(?:ylococcus)?\.?\s+aureus\b|"
                r"\bS\.\s*aureus\b", _I), "A41.01", "Staphylococcus aureus (MSSA)"),
    (re.compile(r"\bcoag(?:ulase)?[- ]neg\w*\s+staph\w*|\bstaph(?:ylococcus)?\s+epidermidis\b", _I),
     "A41.1", "another specified staphylococcus"),
    (re.compile(r"\bE\.?\s*coli\b|\bescherichia\b", _I), "A41.51", "E. coli"),
    (re.compile(r"\bpseudomonas\b", _I), "A41.52", "Pseudomonas"),
    (re.compile(r"\bserratia\b", _I), "A41.53", "Serratia"),
    (re.compile(r"\bacinetobacter\b", _I), "A41.54", "Acinetobacter baumannii"),
    (re.compile(r"\bklebsiella\b|\bproteus\b|\benterobacter\b|\bcitrobacter\b", _I), "A41.59",
     "another Gram-negative organism"),
    (re.compile(r"\bh\.?\s*flu\b|\bhaemophilus\b|\bhemophilus\b", _I), "A41.3", "Haemophilus influenzae"),
    (re.compile(r"\benterococc\w*|\bE\.?\s*faecalis\b|\bE\.?\s*faecium\b|\bVRE\b", _I), "A41.81",
     "Enterococcus"),
    (re.compile(r"\bgroup\s+A\s+strep\w*|\bGAS\b|\bstrep(?:tococcus)?\.?\s+pyogenes\b", _I), "A40.0",
     "group A streptococcus"),
    (re.compile(r"\bgroup\s+B\s+strep\w*|\bGBS\b|\bstrep(?:tococcus)?\.?\s+agalactiae\b", _I), "A40.1",
     "group B streptococcus"),
    (re.compile(r"\bpneumococc\w*|\bstrep(?:tococcus)?\.?\s+pneumoniae\b|\bS\.\s*pneumoniae\b", _I), "A40.3",
     "Streptococcus pneumoniae"),
    (re.compile(r"\bbacteroides\b|\banaerob\w+", _I), "A41.4", "anaerobes"),
    (re.compile(r"\bgram[- ]neg\w*", _I), "A41.50", "a Gram-negative organism"),
)
UROSEPSIS = re.compile(r"\buro-?sepsis\b", _I)
POA = re.compile(r"\bPOA\b|\bpresent\s+on\s+admission\b|\badmit\w*\b[^.\n]{0,40}\b(?:with|for)\b|\bfrom\s+(?:the\s+)?ED\b", _I)
# Localized infections that sepsis often arises from (code also, sequenced after the systemic one).
LOCAL_INFECTIONS = ("N39.0", "N10", "N30.", "J18.", "J15.", "J13", "J69.", "L03.", "K65.",
                    "K81.", "K35.", "A04.7", "T81.4", "T82.7", "T83.5", "T84.5", "T85.7",
                    "M86.", "I33.", "G00.", "N12")

# -- pregnancy (OGCR I.C.15) ------------------------------------------------------------------

# Pregnant now (not an obstetric history such as 'G4P3' in a 62-year-old's record).
PREGNANT_NOW = re.compile(
    r"\bpregnant\b|\b\d{1,2}\s*w(?:ks?|eeks?)?\s*\d\s*d\b|\b\d{1,2}\s*(?:wks?|weeks)\s+(?:gestation|GA|pregnan\w*)|"
    r"\bGA\s*\d|\bEDD\b|\bIUP\b|\bprenatal\b|\bantepartum\b|\bOB\s+(?:visit|f/u|follow)|\bMFM\b|\bGDM\b|"
    r"\bgestational\s+(?:age|diabetes|DM|hypertension)\b|\btrimester\b|\badvanced\s+maternal\s+age\b|"
    r"\bpre-?eclamp\w*|\bHELLP\b|\bpregnancy[- ]induced\b|\bG\d{1,2}\s+(?:at\s+)?\d{1,2}\s*w|"
    r"\b(?:elderly\s+)?(?:primi|multi)gravida\b|\bG\d{1,2}\s*P\d{1,2}\w*\b(?=[^.\n]{0,40}\b\d{1,2}\s*(?:w|wks?|weeks)\b)",
    _I,
)
PREGNANCY_WORDS = re.compile(
    r"\bpregnan\w*|\bgestation\w*|\b\d{1,2}\s*w(?:ks?|eeks?)?\s*\d?\s*d?\b(?=[^.\n]{0,40}\b(?:G\d|EDD|GA|OB|preg))|"
    r"\b(?:primi|multi)grav\w*|\badvanced\s+maternal\s+age\b|\bG\d\s*P\d|\bEDD\b|\bOB\s+(?:visit|f/u|follow)|\bMFM\b|\bprenatal\b|\bantepartum\b|\bIUP\b|\bGDM\b",
    _I,
)
# "32w3d", "32 wks 3 d", "GA 32+3", "32 weeks", "at 20 wk"
WEEKS = re.compile(
    r"\b(?:GA\s*)?(\d{1,2})\s*(?:w|wk|wks|week|weeks)\s*(?:,?\s*(\d)\s*(?:d|days?)\b)?|"
    r"\bGA\s*(\d{1,2})\s*\+\s*(\d)\b|\b(\d{1,2})\s*\+\s*(\d)\s*(?:wks?|weeks)\b",
    _I,
)
WEEKS_CONTEXT_NOT = re.compile(r"\b(?:ago|post-?op|after|since|for|x|every|q)\s*$", _I)
DELIVERY_WORDS = re.compile(
    r"\bdeliver\w*|\bL\s*&\s*D\b|\blabor\b|\bin\s+labou?r\b|\bcesarean\b|\bC-?section\b|\bSVD\b|"
    r"\bNSVD\b|\bvaginal\s+birth\b|\bchildbirth\b",
    _I,
)
# A delivery that happened (not one planned): the outcome of delivery code applies.
DELIVERED = re.compile(
    r"\bdelivered\b|\bN?SVD\b|\b(?:vaginal|cesarean|c-section|operative)\s+delivery\b(?![^.\n]{0,20}\b(?:planned|scheduled))|"
    r"\bC-?section\b(?![^.\n]{0,20}\b(?:planned|scheduled|recommended))|\bgave\s+birth\b|\bbirth\s+of\s+(?:a|twin)",
    _I,
)
STILLBIRTH = re.compile(r"\bstill-?birth\b|\bstill-?born\b|\bIUFD\b|\bfetal\s+demise\b", _I)
TWINS = re.compile(r"\btwins?\b|\bdi-?di\b|\bmo-?di\b", _I)
INCIDENTAL_PREGNANCY = re.compile(r"\bincidental(?:ly)?\b[^.\n]{0,30}\bpregnan\w*|\bpregnan\w*\s+(?:is\s+)?incidental\b", _I)
PUERPERIUM_WORDS = re.compile(r"\bpost-?partum\b|\bpuerper\w+|\bPPD\s*\d|\bPP\s+day\b", _I)
GESTATIONAL_DM = re.compile(r"\bGDM\w*|\bgestational\s+(?:diabetes|DM)\b|\bA[12]GDM\b", _I)
PREEXISTING_DM = re.compile(
    r"\b(?:pre-?existing|pre-?gestational|pregestational)\b[^.\n]{0,30}\b(?:diabet\w+|DM\w*|T[12]DM)\b|"
    r"\b(?:type\s*(?:1|2|I|II)\s+(?:diabet\w+|DM)|T[12]DM|DM\s*(?:type\s*)?(?:1|2|I|II)\b|IDDM|NIDDM)",
    _I,
)
TYPE1_DM = re.compile(r"\btype\s*(?:1|I)\s+(?:diabet\w+|DM)|\bT1DM\b|\bDM\s*(?:type\s*)?(?:1|I)\b|\bIDDM\b", _I)
TYPE2_DM = re.compile(r"\btype\s*(?:2|II)\s+(?:diabet\w+|DM)|\bT2DM\b|\bDM\s*(?:type\s*)?(?:2|II)\b|\bNIDDM\b", _I)
INSULIN = re.compile(
    r"\binsulin(?:[- ](?:dependent|treated|requiring|controlled))?\b(?![- ](?:resistan\w*|levels?|like|secret\w*|sensitiv\w*|"
    r"tolerance|release|assay|clamp|autoimmun\w*|antibod\w*))|\bNPH\b|\bglargine\b|\blispro\b|\baspart\b|\bdetemir\b|\bdegludec\b|\blantus\b|"
    r"\bhumalog\b|\bnovolog\b|\blevemir\b|\btresiba\b|\bbasaglar\b|\bhumulin\b|\bnovolin\b|\bsliding\s+scale\b",
    _I,
)
ORAL_HYPOGLYCEMIC = re.compile(
    r"\bmetformin\b|\bglucophage\b|\bglyburide\b|\bglipizide\b|\bglimepiride\b|\bpioglitazone\b|"
    r"\bsitagliptin\b|\bjanuvia\b|\blinagliptin\b|\bempagliflozin\b|\bjardiance\b|\bdapagliflozin\b|"
    r"\bfarxiga\b|\bcanagliflozin\b|\boral\s+(?:hypoglycemic|agent|antidiabetic)s?\b|\bOHAs?\b",
    _I,
)
INJECTABLE_NON_INSULIN = re.compile(
    r"\bsemaglutide\b|\bozempic\b|\bliraglutide\b|\bvictoza\b|\bdulaglutide\b|\btrulicity\b|"
    r"\btirzepatide\b|\bmounjaro\b|\bexenatide\b",
    _I,
)
DIET_CONTROL = re.compile(r"\bdiet[- ](?:controlled|control|only|managed)\b|\bdiet\s+(?:alone|only)\b|\b(?:by|with)\s+diet\b|\bA1GDM\b|\bdiet\s+and\s+exercise\b", _I)
# A drug the patient no longer takes: "metformin stopped", "off glyburide", "switched from ..."
STOPPED_AFTER = re.compile(r"^[\s)]*(?:was\s+|has\s+been\s+|now\s+)?(?:stopped|discontinued|d/?c'?d|held|dc)\b", _I)
STOPPED_BEFORE = re.compile(r"\b(?:off|stopped|discontinued|d/?c'?d|switched\s+from|instead\s+of|failed)\s+(?:\w+\s+){0,2}$", _I)
ELDERLY_WORDS = re.compile(
    r"\badvanced\s+maternal\s+age\b|\bAMA\b(?=[^.\n]{0,40}\b(?:preg|G\d|multigrav|primigrav|IUP|gest))|"
    r"\belderly\s+(?:multi|primi)grav\w+",
    _I,
)
AGE = re.compile(r"\b(\d{2})\s*(?:yo|y/o|y\.o\.|yrs?\s+old|years?\s+old|-year-old|F\b)", _I)
GRAVIDA = re.compile(r"\bG\s*(\d{1,2})\s*P\s*\d|\bgravida\s*(\d{1,2})\b", _I)
MULTIGRAVIDA = re.compile(r"\bmultigrav\w+|\bmultip\w*", _I)
PRIMIGRAVIDA = re.compile(r"\bprimigrav\w+|\bprimip\w*|\bnullip\w*", _I)
EDD = re.compile(r"\bEDD\b[:\s]*(\d{1,2})/(\d{1,2})/(\d{2,4})", _I)

# -- combinations (OGCR I.A.15, I.C.4.a, I.C.9.a, I.C.14.a) ------------------------------------

HYPERTENSION = re.compile(r"\bHTN\b|\bhypertensi\w+|\bhigh\s+blood\s+pressure\b", _I)
UNRELATED_TO_HTN = re.compile(
    r"\b(?:not\s+(?:due\s+to|related\s+to|from|caused\s+by)|unrelated\s+to)\s+(?:the\s+)?(?:HTN|hypertensi\w+)", _I
)
HEART_FAILURE = re.compile(
    r"\bCHF\b|\bHF(?:r|p|mr)?EF\b|\bheart\s+failure\b|\bHF\b|\bcardiac\s+failure\b|\bcongestive\b", _I
)
CKD = re.compile(r"\bCKD\b|\bchronic\s+kidney\b|\bchronic\s+renal\s+(?:disease|insufficiency|failure)\b|\bESRD\b|\bESKD\b|\bend[- ]stage\s+(?:renal|kidney)\b", _I)
ESRD = re.compile(r"\bESRD\b|\bESKD\b|\bend[- ]stage\s+(?:renal|kidney)\b|\bCKD\s*(?:stage\s*)?(?:5|V)\b|\bstage\s*(?:5|V)\s+CKD\b", _I)
DIALYSIS = re.compile(r"\bdialysis\b|\bHD\b|\bhemodialysis\b|\bPD\b(?=[^.\n]{0,20}\b(?:daily|nightly|cycler))|\bperitoneal\s+dialysis\b", _I)
CKD_STAGE = re.compile(
    r"\b(?:CKD|chronic\s+kidney\s+disease)\s*(?:,\s*)?(?:stage\s*|st\.?\s*|G)?\s*(1|2|3a|3b|3|4|5|I{1,3}V?|IV|V)\b|"
    r"\bstage\s*(1|2|3a|3b|3|4|5|IV|V|III|II|I)\s+(?:CKD|chronic\s+kidney)",
    _I,
)
CKD_CODES = {"1": "N18.1", "2": "N18.2", "3": "N18.30", "3A": "N18.31", "3B": "N18.32",
             "4": "N18.4", "5": "N18.5", "I": "N18.1", "II": "N18.2", "III": "N18.30",
             "IV": "N18.4", "V": "N18.5"}
# Heart failure type (4th character of I50) and acuity (5th character).
HF_SYSTOLIC = re.compile(r"\bHFrEF\b|\bsystolic\b|\breduced\s+(?:EF|ejection)\b|\bHFREF\b", _I)
HF_DIASTOLIC = re.compile(r"\bHFpEF\b|\bdiastolic\b|\bpreserved\s+(?:EF|ejection)\b", _I)
HF_COMBINED = re.compile(r"\bcombined\s+(?:systolic\s+and\s+diastolic|heart\s+failure)\b|\bsystolic\s+and\s+diastolic\b", _I)
HF_ACUTE_ON_CHRONIC = re.compile(r"\bacute\s+on\s+chronic\b|\bexacerbation\b|\bdecompensat\w+", _I)
HF_ACUTE = re.compile(r"\bacute\b", _I)
HF_CHRONIC = re.compile(r"\bchronic\b|\bcompensated\b|\bstable\b", _I)
DIABETES = re.compile(r"\bdiabet\w+|\bDM\d?\b|\bT[12]DM\b|\bIDDM\b|\bNIDDM\b", _I)
DIABETIC_KIDNEY = re.compile(r"\bdiabetic\s+(?:nephropathy|kidney|CKD|renal)|\bDKD\b", _I)
HYPERGLYCEMIA = re.compile(r"\buncontrolled\b|\bpoorly\s+controlled\b|\bout\s+of\s+control\b|\bhyperglyc\w+|\binadequately\s+controlled\b", _I)

# -- specificity from the words (Tabular titles; OGCR I.B.3, I.C.10, I.C.12, I.C.21.c) --------

HYPOXIA = re.compile(r"\bhypox\w*|\bhypoxemi\w*", _I)
HYPERCAPNIA = re.compile(r"\bhypercapni\w*|\bhypercarbi\w*|\bCO2\s+retention\b", _I)
ASTHMA = re.compile(r"\basthma\w*|\bRAD\b|\breactive\s+airway", _I)
ASTHMA_SEVERITY = re.compile(
    r"\b(?:mild\s+intermittent|mild\s+persistent|mod(?:erate)?\.?\s+persistent|severe\s+persistent)\b", _I
)
# Severity -> the 4-character subcategory; the 5th character is 0 uncomplicated,
# 1 with (acute) exacerbation, 2 with status asthmaticus (Tabular J45).
ASTHMA_LEVELS = {
    "mild intermittent": "J45.2", "mild persistent": "J45.3",
    "moderate persistent": "J45.4", "severe persistent": "J45.5",
}
STATUS_ASTHMATICUS = re.compile(r"\bstatus\s+asthmaticus\b", _I)
EXACERBATION = re.compile(r"\bexacerbat\w+|\bflare\b|\bAECOPD\b|\bdecompensat\w+", _I)
COPD = re.compile(r"\bCOPD\b|\bAECOPD\b|\bchronic\s+obstructive\b|\bemphysema\b|\bchronic\s+bronchitis\b", _I)
LOWER_RESP_INFECTION = re.compile(
    r"\bpneumonia\b|\bCAP\b|\bHCAP\b|\bbronchitis\b(?<!chronic\sbronchitis)|\bLRTI\b|"
    r"\blower\s+resp\w*\s+(?:tract\s+)?infection\b|\binfiltrate\b",
    _I,
)
CURRENT_SMOKER = re.compile(
    r"\bcurrent(?:ly)?\s+(?:a\s+)?(?:smok\w+|tobacco\s+use\w*|vap\w+)|\bactive\s+smoker\b|\bsmokes\b|"
    r"\b\d+(?:\.\d+)?\s*ppd\b|\bstill\s+smok\w+",
    _I,
)
FORMER_SMOKER = re.compile(r"\b(?:former|ex-?|quit|past|previous)\s*-?\s*smok\w*|\bquit\s+(?:smoking|tobacco)\b", _I)
CIGARETTES = re.compile(r"\bcig\w*|(?<![a-z])ppd\b|\bpacks?\s+(?:a|per)\s+day\b|\bpack[- ]years?\b", _I)
HOME_OXYGEN = re.compile(
    r"\bhome\s+(?:O2|oxygen)\b|\b\d(?:\.\d)?\s*L\s+(?:NC\s+)?(?:home\s+)?(?:O2|oxygen)\b(?=[^.\n]{0,30}\b(?:home|baseline|chronic|continuous|nightly|at\s+night)\b)|"
    r"\bon\s+(?:continuous|chronic|supplemental|nocturnal)\s+(?:O2|oxygen)\b|\bO2[- ]dependent\b|\boxygen[- ]dependent\b",
    _I,
)
# Wound depth words -> the severity the ulcer titles name (deepest first).
ULCER_DEPTHS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bnecrosis\s+of\s+(?:the\s+)?bone\b|\bbone\s+necrosis\b|\bnecrotic\s+bone\b", _I), "with necrosis of bone"),
    (re.compile(r"\bnecrosis\s+of\s+(?:the\s+)?muscle\b|\bmuscle\s+necrosis\b|\bnecrotic\s+muscle\b", _I), "with necrosis of muscle"),
    (re.compile(r"\bbone\s+(?:involvement|exposed|visible)\b|\bexposed\s+bone\b", _I), "with bone involvement without evidence of necrosis"),
    (re.compile(r"\bmuscle\s+(?:involvement|exposed|visible)\b|\bexposed\s+muscle\b", _I), "with muscle involvement without evidence of necrosis"),
    (re.compile(r"\bfat\s+layer\s+exposed\b|\bexposed\s+(?:subcutaneous\s+)?fat\b|\bsubcut\w*\s+(?:tissue|fat)\s+exposed\b", _I), "with fat layer exposed"),
    (re.compile(r"\blimited\s+to\s+(?:the\s+)?(?:breakdown\s+of\s+(?:the\s+)?)?skin\b|\bskin\s+breakdown\s+only\b", _I), "limited to breakdown of skin"),
)
ULCER_WORDS = re.compile(r"\bulcer\w*|\bwound\b|\bpressure\s+injur\w+", _I)
ULCER_RIGHT = re.compile(r"(?<![\w/])(?:R|rt|right)\b(?=\s+(?:heel|foot|ankle|calf|leg|thigh|toe|midfoot|great|lower|plantar|lateral|medial|dorsal))", _I)
ULCER_LEFT = re.compile(r"(?<![\w/])(?:L|lt|left)\b(?=\s+(?:heel|foot|ankle|calf|leg|thigh|toe|midfoot|great|lower|plantar|lateral|medial|dorsal))", _I)

# -- encounters (OGCR I.C.21.c.5) -------------------------------------------------------------

SCREENING = re.compile(r"\bscreening\b|\bscreen\b(?!\s+(?:shot|print))", _I)
SCREENING_REACH = 30  # the screening word and the exam it names are this close (characters)
# A date or word that puts an event in the past ('2019', '8 yrs ago', 'h/o', 's/p', 'in May').
PAST_EVENT = re.compile(
    r"\b(?:19|20)\d{2}\b|\b\d{1,2}/\d{2,4}\b|\bago\b|\bh/o\b|\bhx\s+of\b|\bhistory\s+of\b|\bs/p\b|\bstatus\s+post\b|"
    r"\bprior\b|\bprevious(?:ly)?\b|\blast\s+(?:year|month)\b|"
    r"\bin\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w*\b",
    _I,
)
NOT_SCREENING = re.compile(r"\bdiagnostic\b|\bnot\s+(?:a\s+)?screening\b", _I)
# What is screened, by the exam's words -> the Z12 code (Tabular Z12 titles).
SCREENING_SITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bcolonoscop\w*|\bcolo\b|\bcolorectal\b|\bFIT\b|\bcologuard\b|\bsigmoidoscop\w*", _I), "Z12.11"),
    (re.compile(r"\bmammo\w*|\bbreast\b", _I), "Z12.31"),
    (re.compile(r"\bpap\b|\bcervi\w+", _I), "Z12.4"),
    (re.compile(r"\bPSA\b|\bprostat\w+", _I), "Z12.5"),
    (re.compile(r"\blow[- ]dose\s+CT\b|\bLDCT\b|\blung\s+cancer\s+screening\b", _I), "Z12.2"),
)

# Encounters for vaccination (OGCR I.C.21.c.2): Z23, whatever the vaccine; a routine exam's
# Z00.- stays first when the vaccine was given at it. Vaccine words, vaccine brand names from the
# procedure data, or the administration / vaccine product codes (CPT 90460-90474, 90476-90759;
# HCPCS G0008-G0010) show a vaccine was given.
VACCINATION = re.compile(
    r"\bvaccin\w*|\bimmuni[sz]\w*|\binoculat\w*|\b(?:flu|pneumo\w*|covid|booster)\s+shots?\b|"
    r"\b(?:shingrix|boostrix|adacel|fluad|fluzone|flublok|flucelvax|prevnar|pneumovax|vaxneuvance|"
    r"capvaxive|gardasil|pentacel|pediarix|vaxelis|kinrix|quadracel|proquad|varivax|havrix|vaqta|"
    r"engerix|recombivax|heplisav|arexvy|abrysvo|comirnaty|spikevax)\b",
    _I,
)
# The codes themselves are read from the codes the mail names (never from a record number).
VACCINE_CODES = re.compile(r"^(?:9046[01]|9047[1-4]|904(?:7[6-9]|[89]\d)|90[5-6]\d\d|907[0-5]\d|G00(?:08|09|10))$")
VACCINE_NOT_GIVEN = re.compile(
    r"\b(?:declin\w*|refus\w*|deferred|not\s+given|no\s+(?:vaccin\w*|immuni[sz]\w*)|"
    r"contraindicat\w*|postpon\w*)\b",
    _I,
)
IMMUNIZATION = "Z23"

# Breast malignancy (ICD-10-CM Neoplasm Table, C50.-: site digit, then 1 female / 2 male, then
# 1 right / 2 left / 9 unspecified side). A breast word and a malignancy word close together.
_BREAST_MALIGNANT = (
    r"(?:\bca\b|\bcancer\b|\bcarcinoma\b|\badenocarcinoma\b|\bmalignan\w+|(?-i:\bIDC\b|\bILC\b|\bTNBC\b)|"
    r"\bductal\s+carcinoma|\blobular\s+carcinoma)"
)
BREAST_CANCER = re.compile(
    rf"\bbreast\b[^.\n]{{0,40}}?{_BREAST_MALIGNANT}|{_BREAST_MALIGNANT}[^.\n]{{0,25}}?\b(?:of\s+(?:the\s+)?)?"
    r"(?:(?:left|right|lt|rt|L|R)\s+)?breast\b",
    _I,
)
IN_SITU = re.compile(r"\bin\s+situ\b|\bDCIS\b|\bLCIS\b", _I)
# Words before the mention that make it no current cancer of this patient (a history, a
# relative's, a query or a screening): left to the history rule or to the physician.
NOT_CURRENT_CANCER = re.compile(
    r"\b(?:h/o|hx|history|personal|family|FHx?|mother|sister|aunt|grandmother|daughter|r/o|rule\s+out|"
    r"suspicious|suspected|possible|probable|concern|screen\w*|risk|BRCA|negative\s+for|no\s+evidence)\b",
    _I,
)
NOT_CURRENT_AFTER = re.compile(r"\W{0,3}(?:screen\w*|risk|prevention|awareness|gene\w*|survivor|history)\b", _I)
BREAST_RIGHT = re.compile(r"\bright\b|\brt\b|(?-i:\bR\b)", _I)
BREAST_LEFT = re.compile(r"\bleft\b|\blt\b|(?-i:\bL\b)", _I)
BREAST_BOTH = re.compile(r"\bbilateral\b|\bbilat\b|\bboth\s+breasts\b|\bb/l\b", _I)
BREAST_SITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bupper[- ]outer\b|(?-i:\bUOQ\b)", _I), "4"),
    (re.compile(r"\bupper[- ]inner\b|(?-i:\bUIQ\b)", _I), "2"),
    (re.compile(r"\blower[- ]outer\b|(?-i:\bLOQ\b)", _I), "5"),
    (re.compile(r"\blower[- ]inner\b|(?-i:\bLIQ\b)", _I), "3"),
    (re.compile(r"\baxillary\s+tail\b|\btail\s+of\s+spence\b", _I), "6"),
    (re.compile(r"\bcentral\s+portion\b|\bsubareolar\b|\bretroareolar\b", _I), "1"),
    (re.compile(r"\bnipple\b|\bareola\b", _I), "0"),
    (re.compile(r"\boverlapping\b", _I), "8"),
)
BREAST_CLOCK = re.compile(r"\b(1[0-2]|[1-9])(?::[0-5]\d)?\s*(?:o'?\s*clock|o['’]clock|:00)\b", _I)
# Clock face as the examiner faces the patient: upper outer is 9-12 on the right breast and 12-3
# on the left. A position on a quadrant line (12, 3, 6, 9) is no single quadrant.
BREAST_CLOCK_QUADRANT: dict[str, dict[int, str]] = {
    "right": {10: "4", 11: "4", 1: "2", 2: "2", 4: "3", 5: "3", 7: "5", 8: "5"},
    "left": {1: "4", 2: "4", 10: "2", 11: "2", 4: "5", 5: "5", 7: "3", 8: "3"},
}
MALE_PATIENT = re.compile(
    r"\bmale\b(?!\s+pattern)|\bman\b|\bgentleman\b|\bMr\.?\s|\bhe\b|\bhis\b|\b\d{1,3}\s*(?:yo\s*|y/o\s*|-year-old\s*)?(?-i:M)\b",
    _I,
)
# Breast lump (N63.-) by the C50 site digit read from the words: quadrant digit of N63.1-/N63.2-.
LUMP_QUADRANT: dict[str, str] = {"4": "1", "2": "2", "5": "3", "3": "4", "8": "5"}
LUMP_UNSPECIFIED = ("N63.0", "N63.10", "N63.20")
UNSPECIFIED_BREAST = re.compile(r"^C50\.(?:9\d\d|\d\d9)$")
BREAST_WITHDRAWN = ("N63", "C50", "C80", "D05", "D48.6", "D49.3", "R92")
# Receptor status (Tabular Z17: one code for each receptor documented; Z17.4- only for a
# combined status). 'ER/PR+' is both; a sign or positive/negative right after the receptor.
_SIGN = r"(?:\s*(?:[-:]\s*)?(?P<word>pos(?:itive)?|neg(?:ative)?)\b|\s*\(?(?P<sign>[+\-−])(?![\w+]))"
RECEPTOR_STATUS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(rf"(?-i:\bER)\s*(?:/|and|&|,)\s*(?-i:PR)\b{_SIGN}", _I), ("ER", "PR")),
    (re.compile(rf"(?-i:\bER)\b(?!\s*/\s*PR){_SIGN}", _I), ("ER",)),
    (re.compile(rf"\bestrogen\s+receptor(?:\s+status)?{_SIGN}", _I), ("ER",)),
    (re.compile(rf"(?<!ER/)(?-i:\bPR)\b{_SIGN}", _I), ("PR",)),
    (re.compile(rf"\bprogesterone\s+receptor(?:\s+status)?{_SIGN}", _I), ("PR",)),
    (re.compile(rf"\bHER[- ]?2(?:\s*/\s*neu)?{_SIGN}", _I), ("HER2",)),
)
RECEPTOR_CODES: dict[tuple[str, str], str] = {
    ("ER", "+"): "Z17.0", ("ER", "-"): "Z17.1",
    ("PR", "+"): "Z17.21", ("PR", "-"): "Z17.22",
    ("HER2", "+"): "Z17.31", ("HER2", "-"): "Z17.32",
}
RECEPTOR_COMBINED = re.compile(
    r"(?P<triple>\btriple[- ]negative\b|(?-i:\bTNBC\b))|"
    r"(?P<hr>(?-i:\bHR)\b|\bhormone\s+receptor)\s*(?:[-:]\s*)?(?P<hr_sign>\+|pos(?:itive)?\b|neg(?:ative)?\b|-(?=[\s,;/)]|$))",
    _I,
)
RECEPTOR_COMBINED_CODES: dict[tuple[str, str], str] = {
    ("+", "+"): "Z17.410", ("+", "-"): "Z17.411", ("-", "+"): "Z17.420", ("-", "-"): "Z17.421",
}

# Lacerations repaired (ICD-10-CM Index: Laceration, by site -> 'without foreign body' unless a
# foreign body is documented; OGCR I.C.19.a: 7th character A while the wound is actively
# treated). Each site: its words, then the (right, left, unspecified side) codes, or one code for a
# site without sides. Fingers and toes are left out: nail involvement and which digit decide.
LACERATION_CONTEXT = re.compile(r"\blacs?\b|\blacerat\w*", _I)
REPAIR_CODES = re.compile(r"^1(?:20\d\d|3[01]\d\d)$")        # CPT repair (closure) 12001-13160
WOUND_CLOSED = re.compile(
    r"\b\d+(?:\.\d+)?\s*cm\b|\bsutur\w*|\bstaple\w*|\bnylon\b|\bvicryl\b|\bprolene\b|\bmonocryl\b|"
    r"\bethilon\b|\bdermabond\b|\bsteri[- ]?strips?\b|\bclos(?:ure|ed)\b|\brepair\w*|\blacs?\b|\blacerat\w*",
    _I,
)
FOREIGN_BODY = re.compile(r"(?<!no\s)(?<!without\s)(?<!w/o\s)\b(?:FB|foreign\s+body)\b(?!\s*(?:removed\s+)?(?:not|none|neg))", _I)
NO_LACERATION = re.compile(r"\bno\s+(?:\w+\s+)?lacerat\w*|\babrasion\w*\s+only\b", _I)
DIGIT_SITE = re.compile(r"\bfinger\w*|\bthumb\w*|\btoe\w*|\bdigit\w*|\bnail\w*", _I)
LACERATION_SITES: tuple[tuple[re.Pattern[str], tuple[str, str, str] | str], ...] = (
    (re.compile(r"\bscalp\b", _I), "S01.01XA"),
    (re.compile(r"\bfore\s?head\b|\bchin\b|\bjaw\b|\bbrow\b(?!\s*line)|\bface\b|\bfacial\b|\btemple\b", _I), "S01.81XA"),
    (re.compile(r"\beye\s?lid\b|\beyebrow\b|\bperiorbital\b|\bperiocular\b", _I), ("S01.111A", "S01.112A", "S01.119A")),
    (re.compile(r"\bcheek\b", _I), ("S01.411A", "S01.412A", "S01.419A")),
    (re.compile(r"\bear\b|\bauricle\b|\bpinna\b", _I), ("S01.311A", "S01.312A", "S01.319A")),
    (re.compile(r"\bnose\b|\bnasal\b", _I), "S01.21XA"),
    (re.compile(r"\blip\b", _I), "S01.511A"),
    (re.compile(r"\bneck\b", _I), "S11.81XA"),
    (re.compile(r"\bforearm\b", _I), ("S51.811A", "S51.812A", "S51.819A")),
    (re.compile(r"\belbow\b", _I), ("S51.011A", "S51.012A", "S51.019A")),
    (re.compile(r"\bshoulder\b", _I), ("S41.011A", "S41.012A", "S41.019A")),
    (re.compile(r"\bupper\s+arm\b|\barm\b", _I), ("S41.111A", "S41.112A", "S41.119A")),
    (re.compile(r"\bwrist\b", _I), ("S61.511A", "S61.512A", "S61.519A")),
    (re.compile(r"\bhand\b|\bpalm\b", _I), ("S61.411A", "S61.412A", "S61.419A")),
    (re.compile(r"\bthigh\b", _I), ("S71.111A", "S71.112A", "S71.119A")),
    (re.compile(r"\bknee\b", _I), ("S81.011A", "S81.012A", "S81.019A")),
    (re.compile(r"\bshin\b|\bcalf\b|\blower\s+leg\b|\bleg\b", _I), ("S81.811A", "S81.812A", "S81.819A")),
    (re.compile(r"\bankle\b", _I), ("S91.011A", "S91.012A", "S91.019A")),
    (re.compile(r"\bfoot\b|\bheel\b|\bsole\b", _I), ("S91.311A", "S91.312A", "S91.319A")),
)

# Acute appendicitis combination codes (OGCR I.B.9; Tabular K35): peritonitis spread,
# perforation, gangrene, abscess read from the words; 'no perforation/gangrene/abscess' rules out.
APPENDICITIS = re.compile(r"\b(?:acute\s+|perforated\s+|gangrenous\s+|suppurative\s+|ruptured\s+)?appendicitis\b", _I)
PERITONITIS = re.compile(
    r"(?:(?P<localized>\blocali[sz]ed|\blocal|\bfocal|\bperiappendiceal|\bRLQ)|"
    r"(?P<generalized>\bgenerali[sz]ed|\bdiffuse|\bfour[- ]quadrant|\bpan-?))?\s*peritonitis\b",
    _I,
)
PERFORATION = re.compile(r"\bperforat\w*|\brupture\w*|\bburst\b", _I)
GANGRENE = re.compile(r"\bgangren\w*|\bnecrot\w*", _I)
ABSCESS = re.compile(r"\babscess\w*|\bphlegmon\b", _I)
APPENDIX_NEGATED = re.compile(r"\bno\b|\bnot\b|\bwithout\b|\bw/o\b|\bnon-?|\bnegative\s+for\b|\bdenies\b", _I)
APPENDIX_NEGATION_REACH = 40
# Codes the combination replaces: appendicitis NOS and a separate peritonitis code.
APPENDIX_SEPARATE = ("K35", "K37", "K65.")

# Meniscus tears (Index: Tear, meniscus; S83.2- current injury by type, M23.2- old tear by horn).
KNEE_SIDE = re.compile(
    r"(?:\b(?P<a>right|left|rt|lt)\b|(?-i:\b(?P<a2>R|L)\b))[\s-]*knee\b|\bknee\s*[,(:-]?\s*(?P<b>right|left|rt|lt)\b",
    _I,
)
MENISCUS = re.compile(r"(?P<medial>\bmedial\b|(?-i:\bMM\b))|(?P<lateral>\blateral\b|(?-i:\bLM\b))", _I)
TEAR = re.compile(r"\btear\w*|\btorn\b", _I)
TEAR_TYPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bbucket[- ]?handle\b", _I), "bucket-handle"),
    (re.compile(r"\bperipheral\b", _I), "peripheral"),
    (re.compile(r"\bcomplex\b", _I), "complex"),
    (re.compile(r"\bradial\b|\bflap\b|\bhorizontal\b|\boblique\b|\bparrot[- ]?beak\b|\blongitudinal\b|\bvertical\b|\broot\b", _I), "other"),
)
DEGENERATIVE = re.compile(r"\bdegenerat\w*|\bchronic\b|\bold\s+tear|\battritional\b|\bno\s+(?:injury|trauma)\b", _I)
HORN = re.compile(r"\bposterior\s+horn\b|\banterior\s+horn\b|(?-i:\bPH\b|\bAH\b)", _I)

# Positive regional lymph nodes (OGCR I.C.2; Neoplasm Table, lymph node, secondary): the
# node region by the primary's site.
POSITIVE_NODES = re.compile(
    r"\bN[1-3][a-c]?\b|\b\d+\s*/\s*\d+\s*(?:LNs?|lymph\s+nodes?|nodes?)\s*(?:pos\w*|\+|positive|involved)|"
    r"\b(?:LN|lymph\s+node|nodal?)\s*(?:s\s+)?(?:pos\w*|\+|positive|involvement|metasta\w*)|"
    r"\bpositive\s+(?:\w+\s+)?(?:lymph\s+)?nodes?\b|\bnodal\s+metasta\w+|\bmetasta\w+\s+(?:to\s+)?(?:\w+\s+)?(?:lymph\s+)?nodes?\b",
    _I,
)
NODE_NEGATIVE = re.compile(r"\bN0\b|\b0\s*/\s*\d+\s*(?:LNs?|nodes?)|\bnodes?\s+(?:neg\w*|negative|clear|free)\b|\bnode[- ]negative\b", _I)
NODE_REGION_BY_PRIMARY: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("C0", "C10", "C11", "C12", "C13", "C14", "C30", "C31", "C32", "C73"), "C77.0", "head, face and neck"),
    (("C33", "C34", "C37", "C38", "C15"), "C77.1", "intrathoracic"),
    (("C16", "C17", "C18", "C19", "C20", "C21", "C22", "C23", "C24", "C25", "C64", "C65"), "C77.2", "intra-abdominal"),
    (("C50",), "C77.3", "axilla and upper limb"),
    (("C51", "C52", "C53", "C54", "C55", "C56", "C57", "C61", "C66", "C67", "C68"), "C77.5", "intrapelvic"),
)

# Hypertension in pregnancy (OGCR I.C.15.d; Tabular O10-O16).
GESTATIONAL_HTN = re.compile(r"\bgestational\s+(?:HTN|hypertension)\b|\bpregnancy[- ]induced\s+(?:HTN|hypertension)\b|\bPIH\b|\bgHTN\b", _I)
PREECLAMPSIA = re.compile(r"\bpre-?eclampsia\b|\bPEC\b|\bpre-?eclamptic\b|\bHELLP\b", _I)
SEVERE_PREECLAMPSIA = re.compile(r"\bsevere\s+(?:features|pre-?eclampsia)|\bpre-?eclampsia\s+with\s+severe\b|\bsPEC\b", _I)
HELLP = re.compile(r"\bHELLP\b", _I)
CHRONIC_HTN = re.compile(r"\bchronic\s+(?:HTN|hypertension)\b|\bpre-?existing\s+(?:essential\s+)?(?:HTN|hypertension)\b|\bessential\s+(?:HTN|hypertension)\b|\bcHTN\b", _I)

# -- signs and symptoms (OGCR I.B.4, I.B.5) ---------------------------------------------------

# A symptom code prefix (R00-R99, and joint or back pain in chapter 13) -> the ICD-10-CM code prefixes of definitive diagnoses the
# symptom is routinely part of: with such a diagnosis established in the same part of the mail,
# the symptom is not coded separately (OGCR I.B.5); without one, the symptom is the code
# (I.B.4). Deliberately narrow: only pairings a coder would call routine for the disease.
SYMPTOM_OF: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    # cough, breathing abnormalities, abnormal sputum: respiratory disease, heart failure for dyspnea
    (("R05", "R06.2", "R09.3"), ("J", "U07.1", "A15", "A37")),
    (("R06.0",), ("J", "U07.1", "A15", "I50")),
    # fever: infections
    (("R50",), ("A", "B", "J0", "J1", "J20", "J21", "J22", "J36", "J39.0", "J85", "J86", "N10",
                "N30.0", "N39.0", "K35", "K65", "K81.0", "L02", "L03", "M00", "M86.0", "M86.1",
                "G00", "G03", "G04", "I33", "U07.1", "T81.4")),
    # abdominal and pelvic pain: the abdominal conditions that present with it
    (("R10",), ("K25", "K26", "K27", "K29", "K35", "K36", "K37", "K56", "K57", "K80", "K81", "K85",
                "N10", "N20", "N21", "N23", "O00")),
    # nausea and vomiting
    (("R11",), ("K29", "K35", "K56", "K80", "K81", "K85", "A08", "A09", "O21")),
    # diarrhoea
    (("R19.7",), ("A0", "K50", "K51", "K52")),
    # chest pain: acute coronary syndromes and angina
    (("R07.89", "R07.9", "R07.2"), ("I20", "I21", "I22", "I24")),
    # headache: migraine and other headache syndromes
    (("R51",), ("G43", "G44")),
    # painful or frequent urination, urgency: cystitis and urinary infection
    (("R30.0", "R35", "R39.15"), ("N30", "N34", "N39.0")),
    # blood in the urine: stones
    (("R31",), ("N20", "N21")),
    # jaundice: biliary obstruction, hepatitis, liver disease
    (("R17",), ("K80", "K83.0", "K83.1", "B15", "B16", "B17", "B19", "K70", "K71", "K72", "K74")),
    # raised blood sugar: diabetes
    (("R73",), ("E08", "E09", "E10", "E11", "E13", "O24")),
    # rash: the exanthems and dermatitis that are the rash
    (("R21",), ("B01", "B02", "B05", "B06", "B08", "B09", "L20", "L21", "L23", "L24", "L25", "L30")),
    # seizure: epilepsy
    (("R56.9",), ("G40",)),
    # dizziness: vestibular disorders
    (("R42",), ("H81",)),
    # joint pain and stiffness: the arthritis of that joint (knee M17, hip M16, others M19, RA)
    (("M25.56", "M25.66"), ("M17", "M05", "M06")),
    (("M25.55", "M25.65"), ("M16", "M05", "M06")),
    (("M25.5", "M25.6"), ("M15", "M19", "M05", "M06")),
    # back pain: the disc disorder or spondylosis that is its cause
    (("M54.5", "M54.4", "M54.9"), ("M51", "M47", "M48.0")),
)

# Title words that name no condition (for 'an unspecified code beside a specific one').
NOT_CONDITION_WORDS = frozenset({
    "unspecified", "other", "site", "sites", "type", "organism", "part", "of", "the", "and", "or",
    "with", "without", "in", "due", "to", "nos", "not", "elsewhere", "classified", "specified",
    "unilateral", "bilateral", "right", "left", "primary", "secondary", "acute", "chronic",
    "initial", "encounter", "subsequent", "disorder", "disease", "condition", "a", "an", "on",
    "complication", "complications", "uncomplicated", "mellitus",
})
