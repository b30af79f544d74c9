-- The knowledge base: one SQLite file, the product of `consultant kb build` / `kb update`.
-- Read-only at run time. Every row names the dataset (release) it came from and the dates it
-- is valid for, so questions are answered for the date of service.
-- Dates are ISO 'YYYY-MM-DD'; valid_from inclusive, valid_to inclusive, NULL = open-ended.
-- Codes are stored in their normal form: ICD-10-CM with the dot ('E11.22'), CPT and HCPCS
-- upper-case without spaces ('44320', '0042T', 'J1885'), modifiers two characters ('25', 'RT').

PRAGMA user_version = 1;

CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);   -- schema_version, built_at

CREATE TABLE dataset (
    name        TEXT PRIMARY KEY,   -- e.g. 'icd10cm-2026-04', 'hcpcs-2019-01', 'ncci-ptp-2026q3'
    kind        TEXT NOT NULL,      -- icd10cm_tabular | icd10cm_order | icd10cm_index | hcpcs |
                                    -- ncci_ptp | mue | addon | cpt_licensed | starter_cpt |
                                    -- starter_hcpcs | modifiers | abbreviations
    release     TEXT NOT NULL,      -- what the publisher calls it: 'April 1, 2026', '2019 Annual', 'v322r0'
    valid_from  TEXT,
    valid_to    TEXT,
    source      TEXT NOT NULL,      -- file name or URL it was read from
    sha256      TEXT,               -- of the source file/archive
    rows        INTEGER NOT NULL,
    imported_at TEXT NOT NULL
);

-- Every code of every system; one row per code and validity period.
CREATE TABLE code (
    system      TEXT NOT NULL,      -- 'ICD10CM' | 'CPT' | 'HCPCS' | 'MODIFIER'
    code        TEXT NOT NULL,
    title       TEXT NOT NULL,      -- official title (ICD-10-CM long title, HCPCS long description,
                                    -- licensed CPT descriptor) or, for starter rows, our own words
    short_title TEXT,
    plain       TEXT,               -- our plain-language summary (never AMA text)
    billable    INTEGER,            -- 1 billable / valid for claims, 0 header or category, NULL unknown
    kind        TEXT,               -- ICD: chapter|block|category|subcategory|code; CPT: section name
    parent      TEXT,               -- ICD: the code one level up ('E11.2' for 'E11.22'); NULL at top
    valid_from  TEXT,
    valid_to    TEXT,
    dataset     TEXT NOT NULL REFERENCES dataset(name),
    source      TEXT NOT NULL,      -- where this row's words come from
    extra       TEXT                -- JSON object: HCPCS pricing/coverage/BETOS/action code, CPT
                                    -- add-on flag, ICD sex/age hints ...
);
CREATE INDEX code_by_code ON code(code, system);
CREATE INDEX code_by_parent ON code(parent) WHERE parent IS NOT NULL;

-- ICD-10-CM instructional notes as written at a tabular node (applies to its descendants too).
CREATE TABLE icd_note (
    code      TEXT NOT NULL,        -- the node carrying the note (category, subcategory or code)
    kind      TEXT NOT NULL,        -- inclusion | includes | excludes1 | excludes2 | code_first |
                                    -- use_additional | code_also | note
    text      TEXT NOT NULL,
    refs      TEXT,                 -- space-separated normal-form codes/ranges named in the text
                                    -- ('K56.6 K56.69', 'E08-E13' kept as a range)
    dataset   TEXT NOT NULL
);
CREATE INDEX icd_note_by_code ON icd_note(code);

-- 7th characters declared at a node (sevenChrDef), inherited by its descendants.
CREATE TABLE icd_seventh (
    code      TEXT NOT NULL,        -- the declaring node ('S72')
    character TEXT NOT NULL,        -- 'A'
    meaning   TEXT NOT NULL,        -- 'initial encounter for closed fracture'
    dataset   TEXT NOT NULL,
    PRIMARY KEY (code, character)
);

-- ICD-10-CM Alphabetic Index (main terms and nested sub-terms, flattened to paths).
CREATE TABLE index_term (
    id        INTEGER PRIMARY KEY,
    path      TEXT NOT NULL,        -- 'Diabetes, type 2 > with > chronic kidney disease'
    code      TEXT,                 -- normal form, may be NULL (see-references only)
    see       TEXT,
    see_also  TEXT,
    tbl       TEXT,                 -- NULL | 'neoplasm' | 'drug' | 'external'
    dataset   TEXT NOT NULL
);
CREATE INDEX index_term_by_code ON index_term(code);

-- The Alphabetic Index as the tree a coder walks (main Index, Neoplasm table, Table of Drugs,
-- External Cause index): one row per main term or sub-term; written by
-- consultant.kb.importers.icd10cm_index, read by consultant.analysis.index_walk.
CREATE TABLE IF NOT EXISTS index_node (
    id        INTEGER PRIMARY KEY,  -- document order: a parent comes before its children
    parent    INTEGER,              -- NULL for a main term
    tbl       TEXT NOT NULL,        -- 'index' | 'neoplasm' | 'drug' | 'external'
    title     TEXT NOT NULL,        -- essential words ('Hypertension, hypertensive')
    nemod     TEXT,                 -- nonessential modifiers, as printed ('(benign) (essential)')
    code      TEXT,                 -- normal form ('S72.00-' is stored 'S72.00': the tabular says what follows)
    manif     TEXT,                 -- <manif>: the manifestation code listed second (italic brackets)
    see       TEXT,
    see_also  TEXT,
    subcat    TEXT,                 -- <subcat> / <seecat>: 'see category' pointers
    cells     TEXT,                 -- table rows: 'primary=C34.9-;secondary=C78.0-' (column key=code)
    req       TEXT NOT NULL DEFAULT '',  -- index tokens of the title (consultant.kb.terms folds), space-joined
    opt       TEXT NOT NULL DEFAULT '',  -- index tokens of the non-essential modifiers
    forms     TEXT NOT NULL DEFAULT '',  -- main terms: the token sets of each form, '|'-joined
    dataset   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS index_node_by_parent ON index_node(parent);
-- How many Index titles (main Index and tables) hold each token: the walk's word weights.
CREATE TABLE IF NOT EXISTS index_token (token TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;

-- NCCI procedure-to-procedure edits (practitioner).
CREATE TABLE ptp (
    column1     TEXT NOT NULL,
    column2     TEXT NOT NULL,
    prior_1996  INTEGER NOT NULL,   -- column '*' in the official file
    valid_from  TEXT NOT NULL,      -- effective date
    valid_to    TEXT,               -- day before the deletion date; NULL when '*'
    modifier    INTEGER NOT NULL,   -- 0 never together, 1 allowed with a modifier, 9 not applicable
    rationale   TEXT,
    dataset     TEXT NOT NULL
);
CREATE INDEX ptp_by_pair ON ptp(column1, column2);
CREATE INDEX ptp_by_col2 ON ptp(column2);

-- Medically Unlikely Edits (practitioner).
CREATE TABLE mue (
    code        TEXT NOT NULL,
    value       INTEGER,            -- NULL where the publisher prints it blank
    mai         INTEGER NOT NULL,   -- 1 per line, 2 per day (policy), 3 per day (clinical)
    mai_text    TEXT,
    rationale   TEXT,
    valid_from  TEXT,
    valid_to    TEXT,
    dataset     TEXT NOT NULL
);
CREATE INDEX mue_by_code ON mue(code);

-- NCCI add-on code edits: one row per add-on/primary pair.
CREATE TABLE addon (
    addon       TEXT NOT NULL,
    type        INTEGER NOT NULL,   -- 1, 2 or 3
    primary_code TEXT,              -- NULL for type 2 (no primary list)
    valid_from  TEXT,
    valid_to    TEXT,
    dataset     TEXT NOT NULL
);
CREATE INDEX addon_by_addon ON addon(addon);

-- Medicare Physician Fee Schedule indicators (PFS relative value file): one row per code,
-- modifier line ('' global, '26', 'TC', '53') and release. No descriptor text (AMA).
CREATE TABLE pfs (
    code        TEXT NOT NULL,
    modifier    TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    pctc        TEXT NOT NULL,
    global_days TEXT NOT NULL,
    preop       REAL,
    intraop     REAL,
    postop      REAL,
    mult_proc   TEXT NOT NULL,
    bilateral   TEXT NOT NULL,
    assistant   TEXT NOT NULL,
    co_surgeon  TEXT NOT NULL,
    team        TEXT NOT NULL,
    endo_base   TEXT,
    work_rvu    REAL,
    total_rvu_nonfacility REAL,
    total_rvu_facility    REAL,
    conversion_factor     REAL,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT,
    dataset     TEXT NOT NULL
);
CREATE INDEX pfs_by_code ON pfs(code, modifier);

-- Modifiers: what they mean and which codes they may go with.
CREATE TABLE modifier (
    code        TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    plain       TEXT NOT NULL,
    applies_to  TEXT NOT NULL,      -- 'any' | 'em' | 'surgery' | 'laterality' | 'anesthesia' |
                                    -- 'radiology' | 'lab' | 'ptp' (NCCI-associated) | 'dme' | ...
    level       TEXT NOT NULL,      -- 'I' (CPT) or 'II' (HCPCS)
    source      TEXT NOT NULL,
    dataset     TEXT NOT NULL
);

-- Words coders write, expanded for matching: 'HTN' -> 'hypertension'.
CREATE TABLE abbreviation (
    short       TEXT NOT NULL,
    expansion   TEXT NOT NULL,
    source      TEXT NOT NULL,
    dataset     TEXT NOT NULL
);

-- Search terms for suggestions (titles, inclusion terms, index paths, plain words), with a
-- token table so candidate retrieval is an indexed lookup, not a scan. Filled by the
-- suggestion index builder after the importers ran.
CREATE TABLE term (
    id          INTEGER PRIMARY KEY,
    system      TEXT NOT NULL,
    code        TEXT NOT NULL,
    text        TEXT NOT NULL,      -- as published
    norm        TEXT NOT NULL,      -- normalised tokens joined by ' '
    source_kind TEXT NOT NULL       -- title | inclusion | index | plain | abbreviation
);
CREATE TABLE term_token (
    token       TEXT NOT NULL,
    term_id     INTEGER NOT NULL
);
CREATE INDEX term_token_by_token ON term_token(token);
