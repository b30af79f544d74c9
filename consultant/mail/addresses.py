"""Address headers read strictly: who wrote the mail, and where an answer may go.

A reply's recipient is taken from these headers, so a misread address is a reflection hole:
an encoded CR/LF once turned `Reply-To` into an extra recipient, and a lenient fallback parser
read an encoded From as another address. Here the RFC 5322 grammar of the standard library
(`email.headerregistry`, through `policies.DEFAULT`) is the only parser; encoded words are
decoded *before* any check; and whatever is not a plain, well-formed address is refused:

* any CR, LF or other control character in the raw value or in a decoded part (display
  name, local part, domain) refuses the header (`AddressProblem`), and the mail with it;
* an address whose addr-spec does not appear literally in the raw value was built from an
  encoded word (RFC 2047 forbids them inside an addr-spec) and is refused too;
* an entry that is not a plain dot-atom local part at a dotted DNS name (a quoted local
  part, a domain literal, no domain at all) is dropped.

    >>> read_addresses("From", "Coder <Coder@Clinic.example>").addresses
    ('coder@clinic.example',)
    >>> read_addresses("Reply-To", "=?utf-8?q?x=0D=0A?=_victim3@evil.example?=").problem
    'encoded CR/LF or control character in Reply-To'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.errors import NonPrintableDefect

from consultant.mail import policies

_REGISTRY = policies.DEFAULT.header_factory
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
_DECODED_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_UNFOLD = re.compile(r"\r?\n(?=[ \t])")
_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")   # dot-atom, ASCII
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$|^xn--[a-z0-9-]{1,59}$")
MAX_CHARS = 8000
# The shape of most From and To headers: 'Ann Lee <ann.lee@clinic.example>' or a bare
# 'ann.lee@clinic.example', in ASCII letters, digits and a few dot-atom characters. What the
# standard parser makes of these is known (the display name, the addr-spec as written), so
# they skip its ~0.1 ms; every other value goes through it. tests/unit/test_addresses.py
# compares the two on generated values.
_SPEC = r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_SIMPLE = re.compile(rf"(?:(?P<name>[A-Za-z0-9]+(?: [A-Za-z0-9]+)*) <(?P<quoted>{_SPEC})>|(?P<bare>{_SPEC}))")
_PLAIN_SPEC = re.compile(_SPEC)
_ADDRESS_HEADERS = frozenset({"from", "to", "cc", "bcc", "reply-to", "sender"})


@dataclass(frozen=True)
class AddressRead:
    """The bare, lower-case addresses of one header and what was wrong with it.

    `problem` set: the header must not be trusted and the mail is refused (logged, no reply).
    `dropped`: entries that were not addresses (e.g. 'Smith' of an unquoted 'Smith, John').
    """

    addresses: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    problem: str | None = None
    dropped: int = 0


def _unfold(raw: object) -> str:
    value = raw if isinstance(raw, str) else str(raw)
    return _UNFOLD.sub("", value)


def plain_addr_spec(value: str) -> bool:
    """A bare address of dot-atoms in ASCII letters, digits and '_+-': what the standard
    parser reads as written ('ann.lee@clinic.example').

    >>> plain_addr_spec("ann.lee@clinic.example"), plain_addr_spec('"a b"@clinic.example')
    (True, False)
    """
    return _PLAIN_SPEC.fullmatch(value) is not None


def plain_domain(domain: str) -> bool:
    """A dotted DNS name (not a literal such as [192.0.2.1])."""
    labels = domain.lower().rstrip(".").split(".")
    return len(labels) >= 2 and len(domain) <= 253 and all(_LABEL.match(lab) for lab in labels)


def read_addresses(name: str, raw: object) -> AddressRead:
    """Parse one address header (From, Reply-To, To, Cc, Sender) without leniency."""
    value = _unfold(raw)
    if len(value) > MAX_CHARS:
        return AddressRead(problem=f"{name} longer than {MAX_CHARS} characters")
    if _CONTROL.search(value):
        return AddressRead(problem=f"CR/LF or control character in {name}")
    simple = _SIMPLE.fullmatch(value) if name.lower() in _ADDRESS_HEADERS else None
    if simple is not None:
        spec = (simple["quoted"] or simple["bare"]).lower()
        if not plain_domain(spec.rpartition("@")[2]):
            return AddressRead(dropped=1)
        return AddressRead((spec,), (simple["name"] or "",), None, 0)
    try:
        header = _REGISTRY(name.lower(), value)
        parsed = getattr(header, "addresses", ())
    except ValueError:       # "address parts cannot contain CR or LF" after decoding
        return AddressRead(problem=f"encoded CR/LF or control character in {name}")
    except Exception:  # noqa: BLE001 - the header parser has raised others on hostile input
        return AddressRead(problem=f"unreadable {name}")
    if any(isinstance(d, NonPrintableDefect) for d in header.defects):
        return AddressRead(problem=f"control character in {name}")
    lowered = value.lower()
    out: dict[str, str] = {}
    dropped = 0
    for a in parsed:
        parts = (a.display_name or "", a.username or "", a.domain or "")
        if any(_DECODED_CONTROL.search(p) for p in parts):
            return AddressRead(problem=f"encoded CR/LF or control character in {name}")
        spec = (a.addr_spec or "").lower()
        if not (a.username and a.domain and _LOCAL.match(spec.rpartition("@")[0]) and plain_domain(a.domain)):
            dropped += 1
            continue
        if spec not in lowered:
            return AddressRead(problem=f"encoded word inside an address in {name}")
        out.setdefault(spec, a.display_name or "")
    return AddressRead(tuple(out), tuple(out.values()), None, dropped)
