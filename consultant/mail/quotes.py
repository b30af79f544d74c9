"""Split a message text into the sender's new words and the quoted history below them.

Why a wrapper and not `mail-parser-reply` as it is: we use that library's header patterns
(the "On ... wrote:" lines of many languages, "-----Original Message-----" and the Outlook
"From: / Sent: / To:" block) to *find* candidate reply headers, but we do not let it cut the
text. Evaluated on operative notes, its own splitting cut a note at any two "Date:" / "To:"
lines, took hyphen lists ("- no perforation") and lines starting "Thanks," or "Best," for a
signature, dropped lines starting "Warning:" as disclaimers, and stripped every line's
indentation. A coding case lost that way is a wrong answer, so here a candidate is accepted
only when it is unmistakably a reply header, and when in doubt the whole text is kept:

* "On <date/time/address> ... wrote:" (must carry a digit or an '@', at most two lines);
* "-----Original Message-----" style separators;
* an Outlook block that has a "From:" line, a "Sent:" line (or "Date:" under a separator
  line or with an address on the From line) and a "To:" or "Subject:" line;
* lines starting with ">" (quoted text, also interleaved answers);
* a "-- " signature (a bare "--" only when at most 10 lines follow), and a closing
  "Sent from my ..." / "Get Outlook for ..." line.

Headings of a clinical note ("PROCEDURE:", "FINDINGS:", "Dx:", "From the history:") never
match any of these. Forwarded blocks are found by `find_forward`; deciding whether the
forward *is* the case is the parser's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from mailparser_reply.parser import EmailMessage as _ReplyParserMessage

# English patterns only: each extra language multiplies the cost of the library's pattern
# (~0.1 ms per 1.5 KB for English alone). "wrote:" lines of other languages are found by
# `_WROTE_END` below, line by line.
_LANGUAGES = ("en",)
# Without "wrote" or a "From:" field no reply header matches: searched in the lower-cased
# text, where a pattern led by a literal is found fast (lower() maps no other letter to these)
_TRIGGER_LOWER = re.compile(r"from\s*\**\s*:")

_WROTE_END = re.compile(
    r"(wrote|a écrit|escribió|escreveu|ha scritto|schreef|napisał|skrev|napsal\(a\)|написал\(?а?\)?|kirjoitti)\s*:\s*$"
    r"|\bschrieb\b.{0,200}:\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^\s*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine)\s*-{2,}\s*$",
                        re.IGNORECASE)
_RULE_LINE = re.compile(r"^\s*[_\-=]{10,}\s*$")
_FIELD = re.compile(r"^[>\s]*\**\s*(from|sent|date|to|subject|cc)\s*\**\s*:", re.IGNORECASE)
_MOBILE_FOOTER = re.compile(
    r"^\s*(sent from my \S.{0,40}|get outlook for \S.{0,40}|sent from (yahoo )?mail\b.{0,40}"
    r"|sent from outlook\b.{0,40})$",
    re.IGNORECASE,
)
_FORWARD_MARKER = re.compile(
    r"^[>\s]*(-{2,}\s*forwarded message\s*-{2,}|begin forwarded message\s*:"
    r"|-{2,}\s*original message\s*-{2,}|-{2,}\s*weitergeleitete nachricht\s*-{2,}"
    r"|-{2,}\s*message transféré\s*-{2,})\s*$",
    re.IGNORECASE,
)
_MAX_SIGNATURE_LINES = 10
# Words without which no reply-header line can match (lower case). A substring test per word
# is far cheaper than one case-insensitive alternation over the whole mail.
_LINE_WORDS = (
    "wrote", "schrieb", "écrit", "escribió", "escreveu", "scritto", "schreef", "napisał", "skrev",
    "napsal", "написал", "kirjoitti", "original message", "nachricht", "message d'origine",
)


@dataclass(frozen=True)
class Split:
    """`body` is the new text of the message; `quoted` what was taken out as history."""

    body: str
    quoted: str


@dataclass(frozen=True)
class Forward:
    """An inline forwarded block: the forwarder's own words above it, the forwarded text
    (its From/Date/Subject/To lines removed) and which marker introduced it."""

    own: str
    forwarded: str
    marker: str


@lru_cache(maxsize=1)
def _header_regex() -> re.Pattern[str]:
    """The library's combined reply-header pattern, built once per process."""
    pattern: re.Pattern[str] = _ReplyParserMessage(text="", languages=list(_LANGUAGES)).HEADER_REGEX
    return pattern


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _line_index(text: str, pos: int) -> int:
    return text.count("\n", 0, pos)


def _accept(block_lines: list[str], lines: list[str], start: int) -> str | None:
    """Is this candidate a real reply header? Returns its kind ('wrote', 'separator',
    'outlook') or None."""
    joined = " ".join(s.strip().lstrip("> ").strip() for s in block_lines if s.strip())
    if not joined:
        return None
    if _SEPARATOR.match(joined):
        return "separator"
    if _WROTE_END.search(joined) and len(block_lines) <= 2 and len(joined) <= 400:
        if re.search(r"\d|@", joined):
            return "wrote"
        return None
    names = set()
    from_line = ""
    for s in block_lines:
        m = _FIELD.match(s)
        if m:
            name = m.group(1).lower()
            names.add(name)
            if name == "from" and not from_line:
                from_line = s
    if "from" not in names or not ({"to", "subject"} & names):
        return None
    if "sent" in names:
        return "outlook"
    if "date" in names:
        above = [s for s in lines[max(0, start - 3):start] if s.strip()]
        if (above and (_RULE_LINE.match(above[-1]) or _SEPARATOR.match(above[-1]))) or re.search(
            r"@|\[mailto:", from_line
        ):
            return "outlook"
    return None


def _find_headers(lines: list[str]) -> list[tuple[int, int, str]]:
    """(first line, last line, kind) of each accepted reply header, in order."""
    probe = "\n".join(s.strip() for s in lines)
    low = probe.lower()
    found: list[tuple[int, int, str]] = []
    maybe = "wrote" in low or _TRIGGER_LOWER.search(low)
    matches = _header_regex().finditer(probe) if maybe else iter(())
    for m in matches:
        text = m.group(0)
        lead = len(text) - len(text.lstrip("\n"))
        first = _line_index(probe, m.start() + lead)
        last = _line_index(probe, max(m.start() + lead, m.end() - 1))
        if found and first <= found[-1][1]:
            continue
        kind = _accept(lines[first:last + 1], lines, first)
        if kind is None and last > first:
            # the library's Outlook pattern may swallow one line too many or too few
            kind = _accept(lines[first:last], lines, first)
        if kind:
            found.append((first, last, kind))
    # separators and "wrote:" lines the English library pattern misses
    scan = enumerate(lines) if any(w in low for w in _LINE_WORDS) else iter(())
    for i, s in scan:
        if any(a <= i <= b for a, b, _ in found):
            continue
        bare = s.strip().lstrip("> ")
        if _SEPARATOR.match(bare):
            found.append((i, i, "separator"))
        elif _WROTE_END.search(bare) and _accept([s], lines, i) == "wrote":
            prev = lines[i - 1].strip() if i > 0 else ""
            wrapped = prev and (prev.endswith(("<", ",", '"', "(")) or re.match(r"^\S+@\S+>", bare))
            found.append((i - 1 if wrapped else i, i, "wrote"))
    found.sort()
    return found


def _signature_start(lines: list[str], keep: list[bool]) -> int | None:
    """Index of the '-- ' line that opens the signature among the kept lines, if any."""
    for i, s in enumerate(lines):
        if not keep[i]:
            continue
        if s == "-- " or s.rstrip() == "--":
            rest = [t for j, t in enumerate(lines[i + 1:], i + 1) if keep[j] and t.strip()]
            if s == "-- " or len(rest) <= _MAX_SIGNATURE_LINES:
                return i
    return None


def _tidy(lines: list[str]) -> str:
    """Join lines, drop trailing blanks on each, collapse 3+ empty lines to 2."""
    text = "\n".join(s.rstrip() for s in lines)
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    return text.strip("\n")


def split_reply(text: str) -> Split:
    """Separate a follow-up's new text from quoted history and signature.

    >>> s = split_reply("Is 44970 right?\\n\\nOn Mon, 3 Jun 2024, Bot <b@x.org> wrote:\\n> Hi")
    >>> s.body
    'Is 44970 right?'
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    keep = [True] * len(lines)
    cut = len(lines)
    for first, last, kind in _find_headers(lines):
        after = next((s for s in lines[last + 1:] if s.strip()), "")
        if kind == "wrote" and _is_quote(after):
            for i in range(first, last + 1):
                keep[i] = False          # bottom-posting or inline answers may follow
            continue
        cut = first
        while cut > 0 and (not lines[cut - 1].strip() or _RULE_LINE.match(lines[cut - 1])):
            cut -= 1
        break
    for i in range(cut, len(lines)):
        keep[i] = False
    for i in range(cut):
        if keep[i] and _is_quote(lines[i]):
            keep[i] = False
    sig = _signature_start(lines[:cut], keep[:cut])
    if sig is not None:
        for i in range(sig, cut):
            keep[i] = False
    kept = [i for i in range(len(lines)) if keep[i] and lines[i].strip()]
    if kept and _MOBILE_FOOTER.match(lines[kept[-1]]):
        keep[kept[-1]] = False
    body = _tidy([s for s, k in zip(lines, keep) if k])
    quoted = _tidy([s for s, k in zip(lines, keep) if not k])
    return Split(body=body, quoted=quoted)


def _strip_forward_fields(lines: list[str]) -> list[str]:
    """Drop the From/Date/Subject/To block that opens a forwarded message."""
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    seen = 0
    while i < len(lines):
        s = lines[i]
        if _FIELD.match(s) or re.match(r"^[>\s]*\**\s*(reply-to|bcc)\s*\**\s*:", s, re.IGNORECASE):
            seen += 1
            i += 1
        elif seen and s.startswith((" ", "\t")) and s.strip():
            i += 1                        # folded continuation of a long To: line
        else:
            break
    return lines[i:] if seen else lines


def find_forward(text: str) -> Forward | None:
    """The first inline forwarded block ("---------- Forwarded message ---------",
    "Begin forwarded message:", "-----Original Message-----"), or None.

    >>> find_forward("FYI\\n---------- Forwarded message ---------\\nFrom: a@b.org\\n\\nPROCEDURE: x").forwarded
    'PROCEDURE: x'
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for i, s in enumerate(lines):
        m = _FORWARD_MARKER.match(s)
        if m:
            own = _tidy(lines[:i])
            content = _strip_forward_fields(lines[i + 1:])
            if any(_is_quote(t) for t in content if t.strip()) and all(
                _is_quote(t) for t in content if t.strip()
            ):
                content = [t.lstrip()[1:].removeprefix(" ") if _is_quote(t) else t for t in content]
            return Forward(own=own, forwarded=_tidy(content), marker=m.group(1).strip())
    return None
