"""DKIM checked by the bot itself, for mail that carries no result from our receiving server.

Optional (`[consult.authentication] verify_dkim = true`): where the receiving server adds no
`Authentication-Results` (Dovecot LMTP alone, a relay without a milter) the only proof a
sender cannot forge is a DKIM signature. `dkimpy` verifies it; the public key is looked up
by the `dns` function passed in (dkimpy's own resolver in the daemon, a stub in tests), so
this module does no I/O of its own. A signature counts only when its `d=` domain is aligned
with the From domain by organisational domain (see `authentication.aligned`), the From header
is signed (dkimpy refuses otherwise) and it covers the whole body (no `l=` tag: with one, a
sender could append any text below the signed part).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import dkim

from consultant.mail.authentication import AuthVerdict, aligned

DnsTxt = Callable[..., bytes | None]
"""dkimpy's `dnsfunc`: the TXT record of a name (bytes) as bytes, or None."""

_quiet = logging.getLogger(__name__)
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False          # dkimpy logs signature details; none of it belongs in our log


def verify_dkim(raw: bytes, sender: str, dns: DnsTxt) -> AuthVerdict:
    """An aligned, whole-body DKIM signature that verifies, or why there is none."""
    domain = sender.rpartition("@")[2].lower()
    if not domain:
        return AuthVerdict(False, "no sender domain", header_found=False)
    try:
        checker = dkim.DKIM(raw, logger=_quiet, minkey=1024)
        signatures = _signatures(checker)
    except Exception as e:  # noqa: BLE001 - dkimpy raises its own errors and others on garbage
        return AuthVerdict(False, f"DKIM signature unreadable ({type(e).__name__})", header_found=False)
    if not signatures:
        return AuthVerdict(False, "no trusted Authentication-Results and no DKIM signature", header_found=False)
    seen: list[str] = []
    for index, tags in enumerate(signatures):
        d = tags.get(b"d", b"").decode("ascii", "replace").strip().lower()
        if not aligned(d, domain):
            seen.append(f"d={d} not aligned")
            continue
        if b"l" in tags:
            seen.append(f"d={d} signs only part of the body (l=)")
            continue
        try:
            ok = bool(checker.verify(idx=index, dnsfunc=dns))
        except Exception as e:  # noqa: BLE001 - DKIMException, DNS errors, bad keys
            seen.append(f"d={d} {type(e).__name__}")
            continue
        if ok:
            return AuthVerdict(True, f"aligned dkim=pass verified by the bot (d={d})", header_found=False)
        seen.append(f"d={d} fails")
    return AuthVerdict(False, "no aligned DKIM pass (" + ", ".join(seen) + ")", header_found=False)


def _signatures(checker: dkim.DKIM) -> list[dict[bytes, bytes]]:
    """The tags of each DKIM-Signature header, indexed as `DKIM.verify(idx)` indexes them."""
    out: list[dict[bytes, bytes]] = []
    for name, value in checker.headers:
        if name.lower() == b"dkim-signature":
            try:
                out.append(dkim.util.parse_tag_value(value))
            except Exception:  # noqa: BLE001 - InvalidTagValueList and others on garbage
                out.append({})
    return out


def resolver_dns() -> DnsTxt:
    """dkimpy's own TXT lookup (dnspython) for the daemon."""
    from dkim.dnsplug import get_txt

    lookup: DnsTxt = get_txt
    return lookup
