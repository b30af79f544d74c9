"""Is the From address genuine? Read what our own receiving server concluded, and nothing else.

Which header is trusted. Servers *prepend* trace headers (RFC 5321 §4.4, RFC 8601 §5), so the
header block reads top-down from the last hop to the sender's own lines. The first
`Authentication-Results` from the top that carries our `authserv_id` is the one our receiving
server added; every header below it, including another one with our id, may have been written
by the sender and is ignored. One that sits below the sender's own message headers (From,
Subject, Message-ID, Date, To, MIME-Version) was written with them, by the sender, and is
refused even when it is the only one. Header order cannot prove more than that: the receiving
server must add its own result and strip forged ones (see `forgery_advice`).

What passes. DMARC pass for exactly the From domain, or a DKIM or SPF pass *aligned* with it
in the sense of RFC 7489 §3.1 (relaxed): the signing or envelope domain has the same
organisational domain as the From domain. Organisational domains come from the Public Suffix
List (`publicsuffixlist`, which ships the list, so nothing is fetched at run time), never from
"any parent domain": `header.d=example` or `header.d=co.uk` is a public suffix and aligns with
nothing. Parsing is left to `authres`, which implements the RFC 8601 grammar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import authres
from publicsuffixlist import PublicSuffixList

_ORIGINATOR = ("from", "subject", "message-id", "date", "to", "mime-version")


@dataclass(frozen=True)
class AuthVerdict:
    passed: bool
    reason: str      # for the log: method and result, never body text
    header_found: bool = True   # False: no trusted header from our server (DKIM may be checked instead)


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def organisational_domain(domain: str) -> str | None:
    """The registrable domain (one label below its public suffix), or None for a public suffix.

    >>> organisational_domain("mail.clinic.co.uk"), organisational_domain("co.uk"), organisational_domain("example")
    ('clinic.co.uk', None, None)
    """
    domain = domain.strip().strip(".").lower()
    if not domain or ".." in domain:
        return None
    org: str | None = _psl().privatesuffix(domain)
    return org


def aligned(a: str, b: str) -> bool:
    """Relaxed alignment: both domains have the same organisational domain (and have one)."""
    org = organisational_domain(a)
    return org is not None and org == organisational_domain(b)


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(">").lower()


def trusted_results(headers: Sequence[tuple[str, str]], authserv_id: str) -> tuple[str | None, str]:
    """The value of the one Authentication-Results header our server added, or None and why."""
    wanted = authserv_id.strip().lower()
    seen_originator = False
    for name, value in headers:
        name = name.lower()
        if name in _ORIGINATOR:
            seen_originator = True
            continue
        if name != "authentication-results":
            continue
        if _authserv_id(value) != wanted:
            continue
        if seen_originator:
            return None, (f"the only Authentication-Results from {authserv_id!r} sits among the sender's "
                          "own headers (forged; the receiving server added none)")
        return value, ""
    return None, f"no Authentication-Results header from {authserv_id!r}"


def _authserv_id(value: str) -> str:
    return value.split(";", 1)[0].strip().split()[0].lower() if value.strip() else ""


def check_authentication(
    headers: Sequence[tuple[str, str]], sender: str, authserv_id: str
) -> AuthVerdict:
    """Judge our server's Authentication-Results header for the sender's domain.

    >>> hdr = [("authentication-results", "mx.example.org; dmarc=pass header.from=clinic.org")]
    >>> check_authentication(hdr, "coder@clinic.org", "mx.example.org").passed
    True
    """
    if not authserv_id.strip():
        return AuthVerdict(False, "no authserv_id configured")
    value, why = trusted_results(headers, authserv_id)
    if value is None:
        return AuthVerdict(False, why, header_found=False)
    try:
        header = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
    except Exception as e:  # noqa: BLE001 - authres raises its own SyntaxError and others on garbage
        return AuthVerdict(False, f"unparseable Authentication-Results ({type(e).__name__})")
    sender_domain = _domain(sender)
    if not sender_domain:
        return AuthVerdict(False, "no sender domain")
    if organisational_domain(sender_domain) is None:
        return AuthVerdict(False, f"sender domain {sender_domain!r} is a public suffix")
    seen: list[str] = []
    for result in header.results:
        method, outcome = (result.method or "").lower(), (result.result or "").lower()
        seen.append(f"{method}={outcome}")
        if outcome != "pass":
            continue
        props = {f"{p.type}.{p.name}".lower(): (p.value or "") for p in (result.properties or [])}
        if method == "dmarc" and props.get("header.from", "").strip().lower().rstrip(".") == sender_domain:
            return AuthVerdict(True, "dmarc=pass")
        if method == "dkim" and aligned(props.get("header.d", ""), sender_domain):
            return AuthVerdict(True, "aligned dkim=pass")
        if method == "spf" and aligned(_domain(props.get("smtp.mailfrom", "")), sender_domain):
            return AuthVerdict(True, "aligned spf=pass")
    return AuthVerdict(False, "no aligned pass (" + (", ".join(seen) or "no results") + ")")


def forgery_advice(authserv_id: str | None) -> tuple[str, ...]:
    """What `check-config` and the README tell the operator to set on the receiving server."""
    name = authserv_id or "<authserv_id>"
    pattern = name.replace(".", "[.]")
    return (
        f"authentication: only the topmost Authentication-Results header from {name!r} is read; the "
        "receiving server must ADD one to every message and REMOVE any that arrive already carrying that id "
        "(RFC 8601 section 5):",
        f"  Postfix: the milter (OpenDMARC, OpenDKIM, rspamd) writes AuthservID {name}; strip forged ones "
        f"before it with header_checks = regexp:/etc/postfix/header_checks holding "
        f"'/^Authentication-Results:[[:space:]]*{pattern}([[:space:];]|$)/ IGNORE' (milter headers are not "
        "subject to header_checks)",
        "  Exchange: a mail-flow (transport) rule for mail from outside the organisation that removes the "
        "header 'Authentication-Results' before the server adds its own; Exchange Online writes its "
        "result without an authserv-id, which cannot be named here: put a gateway that writes one in "
        "front, or keep require = false and a strict allowed_senders list",
        "  Gmail / Google Workspace: authserv_id = \"mx.google.com\"; Google adds the topmost header "
        "itself and the bot reads nothing below it",
    )


def check_config_lines(require: bool, authserv_id: str | None, allowed_senders: tuple[str, ...]) -> tuple[str, ...]:
    """What `consultant check-config` prints about who may ask (it cannot see the server's filters)."""
    lines: list[str] = []
    if not allowed_senders:
        lines.append("senders: allowed_senders is empty: ANYONE may ask and get answers (within the rate limits)")
    if require:
        lines.extend(forgery_advice(authserv_id))
    else:
        lines.append("authentication: require = false: a forged From in an allowed domain is answered (to that "
                     "From address only, within the rate limits); set [consult.authentication] require = true")
    return tuple(lines)
