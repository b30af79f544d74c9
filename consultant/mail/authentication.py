"""Is the From address genuine? Read what our own receiving server concluded.

The topmost `Authentication-Results` header is the one our own server added (RFC 8601 §5:
headers are prepended, and a border server removes forged ones carrying its id). A message is
accepted when that header, with the configured authserv-id, shows DMARC pass for the From
domain, or an aligned DKIM or SPF pass (relaxed alignment: same domain or a subdomain).
Parsing is left to `authres`, which implements the RFC grammar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import authres


@dataclass(frozen=True)
class AuthVerdict:
    passed: bool
    reason: str      # for the log: method and result, never body text


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(">").lower()


def _aligned(a: str, b: str) -> bool:
    """Relaxed alignment: one domain equals the other or is a subdomain of it."""
    a, b = a.lower().strip("."), b.lower().strip(".")
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def check_authentication(
    headers: Sequence[tuple[str, str]], sender: str, authserv_id: str
) -> AuthVerdict:
    """Judge the topmost Authentication-Results header for the sender's domain.

    >>> hdr = [("authentication-results", "mx.example.org; dmarc=pass header.from=clinic.org")]
    >>> check_authentication(hdr, "coder@clinic.org", "mx.example.org").passed
    True
    """
    values = [v for k, v in headers if k.lower() == "authentication-results"]
    if not values:
        return AuthVerdict(False, "no Authentication-Results header")
    try:
        header = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + values[0])
    except Exception as e:  # noqa: BLE001 - authres raises its own SyntaxError and others on garbage
        return AuthVerdict(False, f"unparseable Authentication-Results ({type(e).__name__})")
    if (header.authserv_id or "").lower() != authserv_id.lower():
        return AuthVerdict(
            False, f"topmost Authentication-Results is from {header.authserv_id!r}, not {authserv_id!r}"
        )
    sender_domain = _domain(sender)
    if not sender_domain:
        return AuthVerdict(False, "no sender domain")
    seen: list[str] = []
    for result in header.results:
        method, outcome = (result.method or "").lower(), (result.result or "").lower()
        seen.append(f"{method}={outcome}")
        if outcome != "pass":
            continue
        props = {f"{p.type}.{p.name}".lower(): (p.value or "") for p in (result.properties or [])}
        if method == "dmarc" and _aligned(props.get("header.from", sender_domain), sender_domain):
            return AuthVerdict(True, "dmarc=pass")
        if method == "dkim" and _aligned(props.get("header.d", ""), sender_domain):
            return AuthVerdict(True, "aligned dkim=pass")
        if method == "spf" and _aligned(_domain(props.get("smtp.mailfrom", "")), sender_domain):
            return AuthVerdict(True, "aligned spf=pass")
    return AuthVerdict(False, "no aligned pass (" + (", ".join(seen) or "no results") + ")")
