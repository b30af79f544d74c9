"""The body encodings `email`'s content manager writes, computed with C routines.

`email.contentmanager.raw_data_manager` encodes a text part with
`quoprimime.body_encode` (a `str.translate` over a 256-entry list, per character) or with
one `binascii.b2a_base64` call per 57 bytes: together most of a millisecond for a reply of
30 KB. These give the same strings: quoted-printable quotes the same characters (by one
regular expression that touches only the characters to quote) and breaks lines by the same
rules; base64 encodes once and cuts 76-character lines. `tests/unit/test_compose.py`
checks them against the standard library's.
"""

from __future__ import annotations

import binascii
import re

_QP_UNSAFE = re.compile(r"[^\t\n\r -<>-~]+")   # quoprimime's body map: all but these are quoted
_QP_QUOTED = {chr(c): f"={c:02X}" for c in range(256)}


def _qp_quote(match: re.Match[str]) -> str:
    return "".join(map(_QP_QUOTED.__getitem__, match.group()))


def body_text(text: str, linesep: str) -> bytes:
    """The text as UTF-8 with each line ended by `linesep` (what `_encode_text` encodes)."""
    return linesep.encode("ascii").join(text.encode("utf-8").splitlines()) + linesep.encode("ascii")


def quoted_printable(text: str, max_line_length: int) -> str:
    """`quoprimime.body_encode(normal_body, max_line_length)` of `set_text_content(...,
    cte='quoted-printable')` (the policy's `max_line_length`: 78 for `policy.SMTP`).

    >>> quoted_printable("a=b …", 78)
    'a=3Db =E2=80=A6\\n'
    """
    body = _QP_UNSAFE.sub(_qp_quote, body_text(text, "\n").decode("latin-1"))
    out: list[str] = []
    for line in body.splitlines():
        if len(line) <= max_line_length and line[-1:] not in (" ", "\t"):
            out.append(line)                    # most lines: nothing to break or quote
            continue
        start, last = 0, len(line) - 1 - max_line_length
        while start <= last:                    # soft breaks, never inside an '=XX'
            stop = start + max_line_length - 1
            if line[stop - 2] == "=":
                out.append(line[start:stop - 1])
                start = stop - 2
            elif line[stop - 1] == "=":
                out.append(line[start:stop])
                start = stop - 1
            else:
                out.append(line[start:stop] + "=")
                start = stop
        if line and line[-1] in " \t":          # whitespace at the end of a line is quoted
            room = start - last
            quoted = f"={ord(line[-1]):02X}"
            if room >= 3:
                tail = quoted
            elif room == 2:
                tail = line[-1] + "=\n"
            else:
                tail = "=\n" + quoted
            out.append(line[start:-1] + tail)
        else:
            out.append(line[start:])
    if body and body[-1] in "\r\n":
        out.append("")
    return "\n".join(out)


def base64_lines(text: str, linesep: str, max_line_length: int) -> str:
    """`_encode_base64(embedded_body, max_line_length)` of `set_text_content(...,
    cte='base64')`: whole 4-character groups a line (76 characters for 76 to 79), each
    ended by '\\n'.

    >>> base64_lines("hi", "\\r\\n", 78)
    'aGkNCg==\\n'
    """
    data = binascii.b2a_base64(body_text(text, linesep), newline=False).decode("ascii")
    width = max_line_length // 4 * 4
    return "\n".join([data[i:i + width] for i in range(0, len(data), width)]) + "\n"
