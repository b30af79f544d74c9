"""Stretches of a mail that look like numbers but are never codes: dates, phone numbers, ZIP
codes and addresses, record numbers after their labels, money, times, measurements, version
strings, e-mail addresses, URLs, Message-IDs and quoted-printable debris.

`noise_kind` asks, for one candidate token, whether the few characters around it make it one
of these (cheap enough to call for every candidate of a long mail); `noise_spans` scans a
whole text with one combined pattern (for short texts: the lookup uses it to keep record
numbers and dates out of the evidence it quotes).

    >>> [kind for kind, _, _ in noise_spans("MRN 00483921, seen 11/18/2026")]
    ['record', 'date']
    >>> noise_kind("MRN 48392 and Chicago, IL 60614", 4, 9), noise_kind("IL 60614", 3, 8)
    ('record', 'address')
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|"
    "NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|PR|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
# States whose abbreviation is not also an English or clinical word ('OR', 'PA', 'CT', 'MD'):
# these mark a ZIP code even without a city before them.
_PLAIN_STATES = "AK|AZ|CA|DC|FL|IA|IL|KS|KY|MN|MT|NH|NJ|NM|NV|NY|ND|PR|SD|TN|TX|VT|WA|WI|WV|WY"
_STREET = (
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Way|Ct|Court|Pl|Place|"
    r"Pkwy|Parkway|Hwy|Highway|Ter|Terrace|Cir|Circle|Sq|Square|Trl|Trail)"
)
# Labels after which the next token is an identifier, not a code: one word, or a phrase.
RECORD_LABELS = frozenset(
    {
        "mrn", "mr", "acct", "account", "claim", "member", "subscriber", "npi", "dob",
        "d.o.b", "ssn", "policy", "group", "grp", "invoice", "inv", "order", "ticket",
        "ref", "reference", "auth", "authorization", "chart", "fin", "csn", "har", "mbi",
        "hicn", "medicare", "medicaid", "tin", "ein", "dea", "license", "lic", "id",
        "phone", "ph", "tel", "telephone", "cell", "mobile", "fax", "pager", "ext",
        "extension", "zip", "zipcode", "suite", "ste", "apt", "room", "rm", "bed", "box",
        "batch", "lot", "serial", "tracking", "confirmation", "port", "uid", "gid", "pid",
        "qmail", "smtp", "lmtp", "esmtp", "version", "ver", "build", "release", "rev",
        "revision", "firmware", "patch", "x"
    }
)
RECORD_PHRASES = frozenset(
    {"zip code", "postal code", "tax id", "member id", "subscriber id", "date of birth",
     "medical record", "medical records", "med rec", "prior auth", "po box", "p.o box",
     "patient id", "pt id", "account no", "case no", "case number", "case id", "encounter no",
     "encounter number", "encounter id", "unit no", "unit number", "visit no", "visit number"}
)
_QUALIFIERS = frozenset({"no", "number", "num", "nbr"})


def _label_pattern(labels: frozenset[str]) -> str:
    """The labels as one alternation, longest first, grouped by first letter: at any position
    only one group can match (the first letter decides), so the engine tries about 26 groups,
    not 150 labels, and none at a digit (the lookahead)."""
    groups: dict[str, list[str]] = {}
    for w in sorted(labels, key=len, reverse=True):
        groups.setdefault(w[0], []).append(re.escape(w).replace(r"\ ", r"\s+"))
    return r"(?=[^\W\d_])(?:" + "|".join("(?:" + "|".join(g) + ")" for g in groups.values()) + ")"


_RECORD_LABEL = _label_pattern(RECORD_LABELS | RECORD_PHRASES)

_PATTERNS: dict[str, str] = {
    # Mail plumbing first: these swallow anything inside them.
    "url": r"\b(?:https?|ftp)://[^\s<>\"']+|\bwww\.[^\s<>\"']+",
    "msgid": r"<[^<>\s@]+@[^<>\s]+>",
    "email": r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    "qp": r"(?:=(?:[0-9][A-F]|[A-F][0-9A-F]|20|09))+[\w.-]*|=\r?\n",
    "entity": r"&#(?:\d+|[xX][0-9a-fA-F]+);",
    "base64": r"(?m:^[A-Za-z0-9+/]{40,}={0,2}$)",
    # Dates and times.
    "date": (
        r"\b\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?\S*)?"
        r"|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"
        r"|\b\d{4}[/.]\d{1,2}[/.]\d{1,2}\b"
        rf"|(?i:\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{2,4}}\b)"
        rf"|(?i:\b\d{{1,2}}(?:st|nd|rd|th)?[\s-]+{_MONTH}\.?[\s,-]+\d{{2,4}}\b)"
        rf"|(?i:\b{_MONTH}\.?\s+\d{{4}}\b)"
        r"|\b(?:0?[1-9]|1[0-2])/(?:19|20)\d{2}\b"
    ),
    "time": (
        r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?[Mm]\b\.?)?"
        r"|(?i:\b\d{3,4}\s*(?:hrs|hours|h)\b)"
    ),
    # Phone numbers: (312) 555-0187, 312-555-0187, 312.555.0187, +1 312 555 0187.
    "phone": (
        r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{3}\)|\b\d{3})[\s.-]?\d{3}[\s.-]\d{4}\b"
        r"|\+\d{1,3}[\s.-]\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]?\d{3,4}\b"
    ),
    # Addresses: a street line, a city/state/ZIP, a ZIP+4.
    "address": (
        r"\b\d{1,6}\s+(?:[NSEW]\.?\s+|(?:North|South|East|West)\s+)?"
        rf"(?:[A-Z][\w'.-]*\s+){{1,3}}{_STREET}\b\.?"
        rf"|\b[A-Z][a-z]+\.?,?\s+(?:{_STATES})\.?,?\s+\d{{5}}(?:-\d{{4}})?\b"
        rf"|\b(?:{_PLAIN_STATES})\.?,?\s+\d{{5}}(?:-\d{{4}})?\b"
        r"|\b\d{5}-\d{4}\b"
    ),
    # A label and the identifier after it: 'MRN 00483921', 'Acct #: A-123', 'NPI 1234567890'.
    "record": (
        rf"(?i:\b{_RECORD_LABEL}\b\.?)\s*(?:(?i:no\.?|num(?:ber)?|id|#)\s*)?[:#=]?\s*"
        r"(?=[\w-]*\d)[A-Za-z0-9][\w-]*"
        r"|#\s*\d[\d-]*"
    ),
    # Money.
    "money": (
        r"[$€£]\s*\d[\d,]*(?:\.\d+)?"
        r"|(?i:\b(?:USD|US\$)\s*\d[\d,]*(?:\.\d+)?)"
        r"|(?i:\b\d[\d,]*(?:\.\d+)?\s*(?:dollars?|usd|cents?)\b)"
    ),
    # Measurements: '50000 IU', '12345 mg', '250 mL', '98.6 F' is not one we need.
    "measure": (
        r"(?i:\b\d[\d,]*(?:\.\d+)?\s*(?:mg|mcg|µg|ug|gm?|kg|lbs?|oz|ml|cc|dl|iu|meq|mmol|"
        r"mmhg|mm|cm|km|ft|ng|pg|kcal|cal|bpm|mosm)\b)"
        r"|\b\d[\d,]*(?:\.\d+)?(?:\s*IU|\s+(?:U|L))\b"
        r"|\b\d[\d,]*(?:\.\d+)?\s*%"
    ),
    # Version strings: 'v2.3.1', 'version 10.2', '3.11.4', 'build 12345'.
    "version": (
        r"(?i:\b(?:version|ver|build|release|rev|revision|firmware|patch)\b\.?\s*[:#]?\s*[\w.-]*\d[\w.-]*)"
        r"|\bv\d+(?:\.\d+)+\b"
        r"|\b\d+\.\d+\.\d+(?:\.\d+)*\b"
    ),
}

NOISE = re.compile("|".join(f"(?P<{kind}>{p})" for kind, p in _PATTERNS.items()))

# Words just before a '#' that make the number after it a code after all ('CPT #99213').
_CODE_WORD_BEFORE = re.compile(r"(?i:\b(?:cpt|hcpcs|codes?|icd(?:-?10)?(?:-?cm)?)\s*)$")


def _is_code_hash(text: str, at: int, matched: str) -> bool:
    """'CPT #99213': a '#' after a code word numbers a code, not a record."""
    return matched.startswith("#") and bool(_CODE_WORD_BEFORE.search(text, max(0, at - 20), at))


# Where a NOISE match can begin, when the text has no '@' (no 'email' or 'msgid' match): every
# other alternative begins with \b and a word character, with one of these marks, or
# ('base64') at a line start. Trying NOISE only there finds what `finditer` finds, without
# trying its fourteen alternatives at every space and inside every word.
_STARTS = re.compile(r"(?<!\w)\w|[<=&#$€£(+]|(?m:^[+/])")


def _noise_matches(text: str) -> Iterator[re.Match[str]]:
    """`NOISE.finditer(text)` (no alternative matches the empty string)."""
    if "@" in text:
        yield from NOISE.finditer(text)
        return
    pos = 0
    while (start := _STARTS.search(text, pos)) is not None:
        m = NOISE.match(text, start.start())
        if m is None:
            pos = start.start() + 1
        else:
            yield m
            pos = m.end()


def noise_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) of every stretch of `text` that is not a code, in order."""
    for m in _noise_matches(text):
        kind = m.lastgroup or ""
        if kind == "record" and _is_code_hash(text, m.start(), m.group()):
            continue
        yield kind, m.start(), m.end()


def redact(text: str, keep: tuple[int, int] | None = None) -> str:
    """`text` with dates, phone numbers, record numbers and the like replaced by '…'
    (the span `keep`, relative to `text`, is left alone)."""
    out: list[str] = []
    last = 0
    for kind, start, end in noise_spans(text):
        if kind not in {"date", "phone", "record", "address", "email", "url", "msgid", "money"}:
            continue
        if keep is not None and start < keep[1] and keep[0] < end:
            continue
        out.append(text[last:start])
        out.append("…")
        last = end
    out.append(text[last:])
    return "".join(out)


# -- one candidate at a time ----------------------------------------------------------------
_STATE_SET = frozenset(_STATES.split("|"))
_PLAIN_STATE_SET = frozenset(_PLAIN_STATES.split("|"))
_CODE_WORDS = frozenset({"cpt", "hcpcs", "code", "codes", "icd", "icd-10", "icd10", "icd-10-cm"})
_SEPARATORS = " \t:#="
_NUMBERISH = "0123456789()+-"
_PUNCT = ".()[],;\"'"


def words_before(text: str, start: int, limit: int = 48) -> list[str]:
    """The last few words before `start` on its line, lower-case, without punctuation."""
    seg = text[max(0, start - limit) : start]
    seg = seg[seg.rfind("\n") + 1 :]
    return [w.strip(_PUNCT).lower() for w in seg.split()[-3:]]


def _record_label_before(text: str, start: int) -> bool:
    """'MRN 48392', 'Acct #: 44320', 'Fax: 312 44320', '#44320' (but not 'CPT #44320')."""
    seg = text[max(0, start - 48) : start]
    core = seg[seg.rfind("\n") + 1 :]
    hashed = False
    for _ in range(4):  # peel separators and digit groups: 'Fax: 312 555 ' -> 'Fax'
        bare = core.rstrip(_SEPARATORS + "-")   # "MRN 0045-99223": a hyphen joins the groups
        hashed = hashed or "#" in core[len(bare) :]
        if bare is core or bare == core:
            break
        digits = bare.rstrip(_NUMBERISH)
        if digits == bare or (digits and digits[-1] not in _SEPARATORS):
            core = bare
            break
        core = digits
    words = [w.strip(_PUNCT).lower() for w in core.split()[-4:]]
    qualified = False
    while words and words[-1] in _QUALIFIERS:
        words.pop()
        qualified = True
    if words:
        if words[-1] in RECORD_LABELS:
            return True
        if " ".join(words[-2:]) in RECORD_PHRASES or " ".join(words[-3:]) in RECORD_PHRASES:
            return True
        if qualified and f"{words[-1]} no" in RECORD_PHRASES:
            return True
    return hashed and not (words and words[-1] in _CODE_WORDS)


def _state_before(text: str, start: int) -> bool:
    """'Chicago, IL 60614' or 'IL 60614': a ZIP code after its state."""
    seg = text[max(0, start - 40) : start]
    if not seg[-1:].isspace():
        return False
    words = seg[seg.rfind("\n") + 1 :].split()[-2:]
    if not words:
        return False
    state = words[-1].rstrip(".,")
    if state in _PLAIN_STATE_SET:
        return True
    if state not in _STATE_SET or len(words) < 2:
        return False
    city = words[0].rstrip(".,")
    return len(city) > 1 and city[0].isupper() and city[1:].islower()


_AFTER = re.compile(
    r"(?P<address>-\d{4}\b"                                     # ZIP+4
    r"|[ \t]+(?:[NSEW]\.?[ \t]+|(?:North|South|East|West)[ \t]+)?"
    rf"(?:[A-Z][\w'.-]*[ \t]+){{1,3}}{_STREET}\b)"                 # '12345 N Clark St'
    r"|(?P<money>[ \t]*(?i:dollars?|usd|cents?)\b)"
    r"|(?P<measure>[ \t]*(?i:mg|mcg|µg|ug|gm?|kg|lbs?|oz|ml|cc|dl|iu|meq|mmol|mmhg|mm|cm|km|"
    r"ft|ng|pg|kcal|cal|bpm|mosm|hrs)\b|[ \t]+(?:U|L)\b|[ \t]*%)"
    r"|(?P<number>[ \t]\d{3}(?!\d))"                             # '12 345' thousands
)
_QP = re.compile(r"=(?:[0-9][A-F]|[A-F][0-9A-F]|20|09)")
_BASE64 = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")
_HOST_OR_NUMBER = re.compile(
    r"(?P<url>\.(?i:com|org|net|edu|gov|mil|int|io|info|biz|us|uk|ca|de|fr|local)\b)"
    r"|(?P<number>\d{8,}|\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b)"
)


def _chunk(text: str, start: int, end: int) -> str:
    """The run of non-space characters around [start, end) (at most 300 on each side)."""
    lo, hi = max(0, start - 300), min(len(text), end + 300)
    a = max(text.rfind(" ", lo, start), text.rfind("\n", lo, start)) + 1 or lo
    ends = [i for i in (text.find(" ", end, hi), text.find("\n", end, hi)) if i >= 0]
    chunk = text[a : min(ends) if ends else hi]
    if "\t" in chunk or "\r" in chunk:
        offset = start - a
        pieces = chunk.replace("\r", "\t").split("\t")
        pos = 0
        for piece in pieces:
            if pos <= offset <= pos + len(piece):
                return piece
            pos += len(piece) + 1
    return chunk


def noise_kind(text: str, start: int, end: int) -> str | None:
    """Why the token text[start:end] is not a code ('email', 'record', 'money', ...), or None.

    Looks only at the token's own run of non-space characters and a few dozen characters
    around it, so it costs microseconds whatever the length of the text."""
    chunk = _chunk(text, start, end)
    if "@" in chunk:
        return "email"
    if "://" in chunk or chunk.lower().startswith("www."):
        return "url"
    if "&#" in chunk:
        return "entity"
    if "=" in chunk and _QP.search(chunk):
        return "qp"
    if len(chunk) >= 40 and _BASE64.fullmatch(chunk):
        return "base64"
    if len(chunk) > end - start + 3 and (host := _HOST_OR_NUMBER.search(chunk)):
        return host.lastgroup
    if _record_label_before(text, start):
        return "record"
    near = text[max(0, start - 8) : start].rstrip(" \t")
    if near.endswith(("$", "€", "£")) or near.lower().endswith(("usd", "us$")):
        return "money"
    if _state_before(text, start):
        return "address"
    m = _AFTER.match(text, end)
    return m.lastgroup if m is not None else None
