"""Abbreviations and synonyms coders and physicians write, expanded before matching.

Keys are lower-case words (or two-word phrases) as written; values are the words the
ICD-10-CM or CPT titles use. `data/abbreviations.csv` (via `CodeBook.abbreviations()`) adds
to and overrides these.

    >>> ABBREVIATIONS["t2dm"]
    'type 2 diabetes mellitus'
"""

from __future__ import annotations

ABBREVIATIONS: dict[str, str] = {
    # diabetes
    "dm": "diabetes mellitus", "dm2": "type 2 diabetes mellitus", "t2dm": "type 2 diabetes mellitus",
    "dmii": "type 2 diabetes mellitus", "t2d": "type 2 diabetes mellitus", "niddm": "type 2 diabetes mellitus",
    "dm1": "type 1 diabetes mellitus", "t1dm": "type 1 diabetes mellitus", "dmi": "type 1 diabetes mellitus",
    "t1d": "type 1 diabetes mellitus", "iddm": "type 1 diabetes mellitus",
    # heart and vessels
    "htn": "hypertension", "hld": "hyperlipidemia", "hlp": "hyperlipidemia",
    "chf": "congestive heart failure", "hf": "heart failure",
    "hfref": "systolic heart failure", "hfpef": "diastolic heart failure",
    "cad": "coronary artery disease", "ashd": "atherosclerotic heart disease",
    "mi": "myocardial infarction", "ami": "acute myocardial infarction",
    "stemi": "st elevation myocardial infarction", "nstemi": "non st elevation myocardial infarction",
    "afib": "atrial fibrillation", "a-fib": "atrial fibrillation", "af": "atrial fibrillation",
    "aflutter": "atrial flutter", "svt": "supraventricular tachycardia", "vt": "ventricular tachycardia",
    "pvd": "peripheral vascular disease", "pad": "peripheral vascular disease",
    "dvt": "deep vein thrombosis", "pe": "pulmonary embolism", "lvh": "left ventricular hypertrophy",
    "cva": "cerebral infarction", "tia": "transient ischemic attack", "aaa": "abdominal aortic aneurysm",
    "cabg": "coronary artery bypass graft", "pci": "percutaneous coronary intervention",
    # lungs
    "copd": "chronic obstructive pulmonary disease", "osa": "obstructive sleep apnea",
    "pna": "pneumonia", "cap": "community acquired pneumonia", "uri": "upper respiratory infection",
    "sob": "shortness of breath", "doe": "dyspnea on exertion", "ards": "acute respiratory distress syndrome",
    "tb": "tuberculosis",
    # kidneys and urinary
    "ckd": "chronic kidney disease", "esrd": "end stage renal disease", "aki": "acute kidney failure",
    "arf": "acute kidney failure", "uti": "urinary tract infection", "bph": "benign prostatic hyperplasia",
    "luts": "lower urinary tract symptoms",
    # digestive
    "gerd": "gastro-esophageal reflux disease", "gi": "gastrointestinal", "ibs": "irritable bowel syndrome",
    "ibd": "inflammatory bowel disease", "uc": "ulcerative colitis", "ugib": "upper gastrointestinal hemorrhage",
    "lgib": "lower gastrointestinal hemorrhage", "sbo": "small bowel obstruction", "n/v": "nausea with vomiting",
    "abd": "abdominal", "nash": "nonalcoholic steatohepatitis", "nafld": "nonalcoholic fatty liver disease",
    "hcv": "viral hepatitis c", "hbv": "viral hepatitis b", "egd": "esophagogastroduodenoscopy",
    # nerves and mind
    "sz": "seizure", "ha": "headache", "ams": "altered mental status", "ms": "multiple sclerosis",
    "mdd": "major depressive disorder", "gad": "generalized anxiety disorder",
    "ptsd": "post-traumatic stress disorder", "adhd": "attention-deficit hyperactivity disorder",
    "etoh": "alcohol", "oud": "opioid dependence", "aud": "alcohol dependence",
    # bones and joints
    "fx": "fracture", "oa": "osteoarthritis", "ra": "rheumatoid arthritis", "lbp": "low back pain",
    "djd": "osteoarthritis", "tka": "total knee arthroplasty", "tha": "total hip arthroplasty",
    "orif": "open reduction internal fixation",
    # general
    "hx": "history", "h/o": "history of", "s/p": "status post", "r/o": "rule out", "c/o": "complains of",
    "w/": "with", "w/o": "without", "ca": "cancer", "mets": "metastasis", "bx": "biopsy",
    "lap": "laparoscopic", "appy": "appendectomy", "chole": "cholecystectomy", "hiv": "human immunodeficiency virus disease",
    "std": "sexually transmitted disease", "sti": "sexually transmitted infection",
    "ed": "erectile dysfunction", "bmi": "body mass index", "ln": "lymph node", "lad": "lymphadenopathy",
    "cp": "chest pain", "bp": "blood pressure", "ugi": "upper gastrointestinal",
}

# Two-word short forms (matched before single words).
PHRASE_ABBREVIATIONS: dict[str, str] = {
    "ex lap": "exploratory laparotomy",
    "lap chole": "laparoscopic cholecystectomy",
    "lap appy": "laparoscopic appendectomy",
    "ckd 3a": "chronic kidney disease stage 3a",
    "ckd 3b": "chronic kidney disease stage 3b",
    # a test, not 'Resonance disorder' (an expansion must be matched for at least half its weight)
    "magnetic resonance": "magnetic resonance imaging",
}

# Lay and clinical words -> the words the classification uses (added as an alternative).
SYNONYMS: dict[str, str] = {
    "heart attack": "myocardial infarction",
    "high blood pressure": "hypertension",
    "high cholesterol": "hypercholesterolemia",
    "stroke": "cerebral infarction",
    "cancer": "malignant neoplasm",
    "carcinoma": "malignant neoplasm",
    "malignancy": "malignant neoplasm",
    "metastasis": "secondary malignant neoplasm",
    "metastases": "secondary malignant neoplasm",
    "metastatic": "secondary malignant neoplasm",
    "lymphoma": "lymphoma",
    "tumor": "neoplasm",
    "broken": "fracture",
    "flu": "influenza",
    "kidney stone": "calculus of kidney",
    "kidney stones": "calculus of kidney",
    "gallstones": "calculus of gallbladder",
    "gallstone": "calculus of gallbladder",
    "heartburn": "gastro-esophageal reflux",
    "sugar": "diabetes",
    "pink eye": "conjunctivitis",
    "shingles": "zoster",
    "chickenpox": "varicella",
    "lockjaw": "tetanus",
    "hives": "urticaria",
    "nosebleed": "epistaxis",
    "bedsore": "pressure ulcer",
    "bed sore": "pressure ulcer",
    "bruise": "contusion",
    "sprain": "sprain",
    "fever": "fever",
    "pyrexia": "fever",
    "obese": "obesity",
    "overweight": "overweight",
    "fainting": "syncope",
    "faint": "syncope",
    "dizziness": "dizziness",
    "itching": "pruritus",
    "itch": "pruritus",
    "hair loss": "alopecia",
    "baldness": "alopecia",
    "ringworm": "tinea",
    "athlete foot": "tinea pedis",
    "cold sore": "herpes simplex",
    "wart": "verruca",
    "warts": "verruca",
    "mole": "nevus",
    "underactive thyroid": "hypothyroidism",
    "overactive thyroid": "hyperthyroidism",
    "blood clot": "thrombosis",
    "low blood count": "anemia",
    "irregular heartbeat": "arrhythmia",
    "water on the brain": "hydrocephalus",
    "lazy eye": "amblyopia",
    "cross eyed": "strabismus",
    "slipped disc": "intervertebral disc displacement",
    "herniated disc": "intervertebral disc displacement",
    "dementia": "dementia",
    "tummy": "abdominal",
    "belly": "abdominal",
    "stomach ache": "abdominal pain",
    "stomachache": "abdominal pain",
    "headache": "headache",
    "womb": "uterus",
    "neck pain": "cervicalgia", "back pain": "dorsalgia", "heel pain": "pain in heel",
    "joint pain": "arthralgia", "muscle pain": "myalgia", "nerve pain": "neuralgia",
    "e coli": "escherichia coli", "mrsa": "methicillin resistant staphylococcus aureus",
    "mssa": "methicillin susceptible staphylococcus aureus", "staph": "staphylococcus",
    "strep": "streptococcus", "cmv": "cytomegalovirus", "ebv": "epstein barr virus",
    "hepatitis b": "viral hepatitis b", "hepatitis c": "viral hepatitis c",
    # main terms of the Alphabetic Index that send the coder elsewhere ('see ...')
    "infection": "infectious disease", "infections": "infectious disease",
    "trauma": "injury", "traumatism": "injury", "necrosis": "gangrene", "necrotic": "gangrene",
    "loss of vision": "visual loss", "visual loss": "visual loss", "painful": "pain",
    "hta": "hypertension", "dyslipidemia": "hyperlipidemia", "hypercholesterolaemia": "hypercholesterolemia",
    "smoker": "nicotine dependence", "smoking": "nicotine dependence", "smokes": "nicotine dependence",
    "tobacco": "nicotine dependence", "cigarettes": "nicotine dependence cigarettes",
    "lymphadenopathy": "enlarged lymph nodes", "adenopathy": "enlarged lymph nodes",
    "adenopathies": "enlarged lymph nodes", "bleeding": "hemorrhage", "bleed": "hemorrhage",
    "blindness": "blindness", "vision loss": "visual loss", "weight loss": "abnormal weight loss",
    "vomit": "vomiting", "vomits": "vomiting", "breathlessness": "dyspnea",
    "shortness of breath": "shortness of breath dyspnea",
    "hyperopia": "hypermetropia", "farsighted": "hypermetropia", "nearsighted": "myopia",
    "addiction": "dependence", "addicted": "dependence", "sore throat": "pharyngitis",
    "stuffy nose": "nasal congestion", "runny nose": "rhinorrhea", "pins and needles": "paresthesia",
    "swelling": "edema", "swollen": "edema", "lump": "mass", "rash": "rash",
    "colon": "large intestine", "bowel": "intestine", "gums": "gingiva", "gum": "gingiva",
    "belly button": "umbilicus", "eyelid": "eyelid", "testicle": "testis", "testicles": "testis",
    "voice box": "larynx",
    "windpipe": "trachea",
    "collarbone": "clavicle",
    "kneecap": "patella",
    "shin": "tibia",
    "thigh bone": "femur",
    "breastbone": "sternum",
    "tailbone": "coccyx",
    "backbone": "spine",
    "hip": "hip",
    "inflammation": "inflammation",
    "insufficiency": "failure",
    "renal insufficiency": "kidney failure",
    "kidney insufficiency": "kidney failure",
    "hepatic insufficiency": "liver failure",
    "cardiac insufficiency": "heart failure",
    "respiratory insufficiency": "respiratory failure",
    "adenocarcinoma": "malignant neoplasm",
    # tumour morphology -> behaviour and usual site (the Neoplasm Table is not available)
    "glioblastoma": "malignant neoplasm brain", "glioma": "malignant neoplasm brain",
    "astrocytoma": "malignant neoplasm brain", "oligodendroglioma": "malignant neoplasm brain",
    "ependymoma": "malignant neoplasm brain", "medulloblastoma": "malignant neoplasm cerebellum",
    "neuroblastoma": "malignant neoplasm adrenal gland", "retinoblastoma": "malignant neoplasm retina",
    "nephroblastoma": "malignant neoplasm kidney", "wilms": "malignant neoplasm kidney",
    "osteosarcoma": "malignant neoplasm bone", "chondrosarcoma": "malignant neoplasm bone",
    "ewing": "malignant neoplasm bone", "liposarcoma": "malignant neoplasm connective soft tissue",
    "leiomyosarcoma": "malignant neoplasm connective soft tissue",
    "rhabdomyosarcoma": "malignant neoplasm connective soft tissue",
    "seminoma": "malignant neoplasm testis", "hepatoma": "liver cell carcinoma",
    "hepatocellular": "liver cell", "cholangiocarcinoma": "intrahepatic bile duct carcinoma",
    "adenoma": "benign neoplasm", "papilloma": "benign neoplasm", "fibroma": "benign neoplasm",
    "osteoma": "benign neoplasm bone", "chondroma": "benign neoplasm bone",
    "meningioma": "benign neoplasm meninges", "schwannoma": "benign neoplasm peripheral nerve",
    "neurinoma": "benign neoplasm peripheral nerve", "neurofibroma": "benign neoplasm peripheral nerve",
    "insulinoma": "benign neoplasm pancreas", "thymoma": "benign neoplasm thymus",
    "pheochromocytoma": "benign neoplasm adrenal gland", "cystadenoma": "benign neoplasm ovary",
    "fibroadenoma": "benign neoplasm breast", "angiomyolipoma": "benign neoplasm kidney",
    "oncocytoma": "benign neoplasm kidney", "prolactinoma": "benign neoplasm pituitary gland",
    "sarcoma": "malignant neoplasm connective soft tissue",
    "melanoma": "malignant melanoma",
    "leiomyoma": "leiomyoma",
    "cyst": "cyst",
    # lay names -> the classification's words (what a coder finds under the lay word in the Index)
    "common cold": "acute nasopharyngitis", "lice": "pediculosis", "louse": "pediculosis",
    "head lice": "pediculosis capitis", "pubic lice": "phthiriasis", "bedwetting": "enuresis",
    "bed wetting": "enuresis", "stye": "hordeolum", "sty": "hordeolum", "canker sore": "oral aphthae",
    "hay fever": "allergic rhinitis due to pollen", "swimmer ear": "otitis externa",
    "tennis elbow": "lateral epicondylitis", "golfer elbow": "medial epicondylitis",
    "frozen shoulder": "adhesive capsulitis of shoulder", "bunion": "hallux valgus", "bunions": "hallux valgus",
    "clubfoot": "talipes equinovarus", "club foot": "talipes equinovarus", "pinworm": "enterobiasis",
    "pinworms": "enterobiasis", "tapeworm": "taeniasis", "jock itch": "tinea cruris",
    "dandruff": "seborrhea capitis", "cradle cap": "seborrhea capitis", "diaper rash": "diaper dermatitis",
    "heat rash": "miliaria", "prickly heat": "miliaria rubra", "boil": "furuncle", "boils": "furuncle",
    "ingrown toenail": "ingrowing nail", "ingrown nail": "ingrowing nail",
    "whooping cough": "whooping cough pertussis", "german measles": "rubella",
    "strep throat": "streptococcal pharyngitis", "earache": "otalgia", "ear ache": "otalgia",
    "black eye": "contusion of eyelid and periocular area", "whiplash": "sprain of ligaments of cervical spine",
    "pinched nerve": "radiculopathy", "bowlegs": "genu varum", "bow legs": "genu varum",
    "knock knees": "genu valgum", "hunchback": "kyphosis", "heart murmur": "cardiac murmur",
    "enlarged heart": "cardiomegaly", "piles": "hemorrhoids", "indigestion": "dyspepsia",
    "upset stomach": "dyspepsia", "stomach flu": "gastroenteritis", "food poisoning": "bacterial foodborne intoxication",
    "bloating": "abdominal distension gaseous", "belching": "eructation", "burping": "eructation",
    "hiccups": "hiccough", "hiccup": "hiccough", "bad breath": "halitosis", "tongue tie": "ankyloglossia",
    "kidney infection": "pyelonephritis", "bladder infection": "cystitis", "yeast infection": "candidiasis",
    "heat stroke": "heatstroke", "color blindness": "color vision deficiencies",
    "colour blindness": "color vision deficiencies", "wandering eye": "strabismus", "floaters": "vitreous floaters",
    "ear ringing": "tinnitus", "glue ear": "serous otitis media", "sinus infection": "sinusitis",
    "chest cold": "acute bronchitis", "walking pneumonia": "pneumonia due to mycoplasma pneumoniae",
    "collapsed lung": "pneumothorax", "blood poisoning": "sepsis", "brittle bones": "osteoporosis",
    "charley horse": "muscle spasm", "mini stroke": "transient cerebral ischemic attack",
    "brain bleed": "intracranial hemorrhage", "period pain": "dysmenorrhea", "menstrual cramps": "dysmenorrhea",
    "painful periods": "dysmenorrhea", "heavy periods": "excessive menstruation",
    "irregular periods": "irregular menstruation", "stretch marks": "striae atrophicae",
    "water retention": "fluid retention", "drunkenness": "alcohol intoxication", "sleeplessness": "insomnia",
    "night terrors": "sleep terrors", "nightmares": "nightmare disorder", "panic attack": "panic disorder",
    "panic attacks": "panic disorder", "worms": "helminthiasis", "parasite": "parasitic", "parasites": "parasitic",
    # HIV positive without AIDS-defining illness is the status code (guideline I.C.1.a.2.d)
    "hiv positive": "asymptomatic human immunodeficiency virus infection status",
    "hiv+": "asymptomatic human immunodeficiency virus infection status",
    "toxicity": "toxic effect", "subluxation": "partial dislocation",
    # 'drug' in the Index's sense of a psychoactive substance (Abuse, drug NEC -> F19.1-)
    "drug abuse": "other psychoactive substance abuse", "drug addiction": "other psychoactive substance dependence",
    "drug dependence": "other psychoactive substance dependence", "drug use": "other psychoactive substance use",
    "drug overdose": "poisoning by unspecified drugs", "overdose": "poisoning",
    "blocked": "obstruction", "blockage": "obstruction", "tender": "tenderness",
    # pain of a site -> the '-dynia' / '-algia' word of the title
    "breast pain": "mastodynia", "tongue pain": "glossodynia", "rectal pain": "proctalgia",
    "anal pain": "proctalgia", "ear pain": "otalgia", "eye pain": "ocular pain",
    # words the titles spell otherwise
    "stone": "calculus", "stones": "calculus", "lithiasis": "calculus", "gonorrhea": "gonococcal infection",
    "gonorrhoea": "gonococcal infection", "herpes": "herpesviral",
    "hypertension arterial": "hypertension",
    "arterial hypertension": "hypertension",
    "type ii": "type 2",
    "type i": "type 1",
    "insulin dependent": "type 1",
    "non insulin dependent": "type 2",
    "adult onset": "type 2",
    "juvenile": "type 1",
}


# Words that ICD-10-CM and CPT titles use but that name no disease, finding or procedure by
# themselves: ordinary English in an email ('testing', 'first', 'contents', 'counter',
# 'activity'). A match needs another, clinical word (`suggest._enough_evidence`). Index
# tokens (folded: plurals stemmed).
GENERIC: frozenset[str] = frozenset("""
test testing tested tester exam examination screening screen check checking result report reporting
first second third fourth fifth last next some any every each many much more most less least no none
sign signed signing still other others part parts portion piece content contents counter count
activity activities identity protection projection union construction misconstruction problem issue
issues status state type use used user using person people personal family member work working
worker job school home house place time day days week year years number level form forms system
support service services question questions answer answers help thing things way case cases note
notes message mail email bar line lines list panel group unit units order orders code codes coding
release version change changes new old general specific special simple single double open close
closed end ending start started view review record records name names free high low large small
long short good bad well poor main major minor total partial normal abnormal finding findings
procedure procedures encounter encounters visit visits condition
conditions complaint complaints history care plan planning planned scheduled management follow followup
communication growth attack attacks pre post prominent
dissection compression soft hemorrhagic mental
head neck face arm leg hand foot back chest eye ear nose knee hip shoulder body skin
""".split())

# Acronyms that are ordinary words in lower case ('aids', 'pres'): read only in capitals.
CAPITALS_ONLY: frozenset[str] = frozenset("aids pres sars mers hellp cream".split())

# Procedure words too broad to name a service on their own ('test', 'panel', 'study').
GENERIC_PROCEDURE: frozenset[str] = frozenset("test testing panel study analysis service visit intravenous".split())

# Words that say the case is about an injury: injury codes (chapter S) are read only when one
# of them is written ('carotid artery disease' is not 'Unspecified injury of carotid artery').
INJURY_WORDS: frozenset[str] = frozenset("""
injury injuries injured trauma traumatic traumatism fracture fractures fractured fx sprain sprained strain
strained dislocation dislocated subluxation laceration lacerated wound wounds wounded contusion contused
bruise bruised bruising crush crushed avulsion amputation amputated puncture bite bitten abrasion
concussion tear torn rupture ruptured blow fall fell accident hit struck stab stabbed gunshot burn burns
burned blister foreign hematoma
""".split())

# Anatomical sites (organs, regions, tissues, vessels). In running text a site alone names no
# condition ('the prostate', 'the liver' is not 'Disorder of prostate'), and a title that names a
# site ('Cyst of orbit') needs the site written.
ANATOMY: frozenset[str] = frozenset("""
kidney liver heart lung stomach brain eye skin bone muscle prostate bladder intestine colon rectum vagina
uterus ovary testis testicle breast spleen pancreas esophagus larynx pharynx trachea bronchus pleura aorta
vein artery arteriole spine face mouth tooth teeth retina cornea ear humerus ulna radius clavicle scapula
patella sacrum sternum abdomen thorax groin umbilicus urethra ureter gum gingiva skull thyroid adrenal
duodenum gallbladder peritoneum lumbar pelvis femur tibia fibula vertebra nose orbit eyelid lip tongue
jaw mandible maxilla palate neck head chest back arm forearm leg hand foot finger toe knee hip shoulder
elbow wrist ankle thigh calf buttock joint tendon ligament nerve mediastinum diaphragm tissue vessel
respiratory biliary bile duct cava jugular carotid iliac portal mesenteric sigmoid ileum jejunum cecum
appendix anus penis scrotum glans epididymis cervix axis atlas meninges cerebellum pituitary thymus
parotid salivary gland sinus lymph node marrow blood cartilage fascia synovium bursa omentum
mesentery retroperitoneum perineum vulva ovaries fallopian tube gastrointestinal cardiovascular
""".split())

# Words of a result title that the words must say ('Elevated erythrocyte sedimentation rate'
# is not the test named; 'Abnormal ...' is not a normal finding).
QUALIFIERS: frozenset[str] = frozenset("elevated elevation increased decreased raised positive reduced abnormal".split())

# Month names are dates, not findings ('March' is not a march fracture).
MONTHS: frozenset[str] = frozenset("january february march april june july august september october "
                                   "november december".split())
