"""DKIM checked by the bot (issue 9, optional part): its own RSA keys (openssl) and a resolver
stub that serves their public halves; no network."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import dkim
import pytest

from consultant.mail.dkim_check import verify_dkim

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI is needed to make keys")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, bytes]]:
    """selector -> (private PEM, DNS TXT record)"""
    out = {}
    for selector in ("good", "other"):
        d = tmp_path_factory.mktemp(selector)
        private = d / "key.pem"
        subprocess.run(["openssl", "genrsa", "-out", str(private), "2048"], check=True, capture_output=True)
        der = subprocess.run(["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"], check=True,
                             capture_output=True).stdout
        out[selector] = (Path(private).read_bytes(), b"v=DKIM1; k=rsa; p=" + base64.b64encode(der))
    return out


def dns_for(keys: dict[str, tuple[bytes, bytes]], published: dict[str, str]):  # type: ignore[no-untyped-def]
    """A resolver stub: '<selector>._domainkey.<domain>.' -> the TXT of the named key."""
    asked: list[bytes] = []

    def txt(name: bytes, timeout: int = 5) -> bytes | None:
        asked.append(name)
        key = published.get(name.decode().rstrip("."))
        return keys[key][1] if key else None

    txt.asked = asked  # type: ignore[attr-defined]
    return txt


MAIL = (b"From: Coder <coder@clinic.example>\r\nTo: bot@clinic.example\r\nSubject: 44320 with 44140?\r\n"
        b"Message-ID: <dkim-1@clinic.example>\r\nDate: Thu, 03 Dec 2026 07:00:00 +0000\r\n\r\n"
        b"Can I bill 44320 with 44140?\r\n")


def signed(keys, domain: str, selector: str = "good", *, length: bool = False, raw: bytes = MAIL) -> bytes:  # type: ignore[no-untyped-def]
    sig = dkim.sign(raw, selector.encode(), domain.encode(), keys[selector][0],
                    include_headers=[b"from", b"to", b"subject", b"message-id", b"date"], length=length)
    return sig + raw


def test_aligned_signature_that_verifies_passes(keys) -> None:  # type: ignore[no-untyped-def]
    dns = dns_for(keys, {"good._domainkey.mail.clinic.example": "good"})
    v = verify_dkim(signed(keys, "mail.clinic.example"), "coder@clinic.example", dns)
    assert v.passed and "d=mail.clinic.example" in v.reason
    assert dns.asked == [b"good._domainkey.mail.clinic.example."]


def test_unaligned_or_public_suffix_signer_fails_without_a_lookup(keys) -> None:  # type: ignore[no-untyped-def]
    dns = dns_for(keys, {"good._domainkey.evil.example": "good", "good._domainkey.example": "good"})
    for domain in ("evil.example", "example"):
        v = verify_dkim(signed(keys, domain), "coder@clinic.example", dns)
        assert not v.passed and "not aligned" in v.reason
    assert dns.asked == []


def test_changed_body_wrong_key_and_missing_key_fail(keys) -> None:  # type: ignore[no-untyped-def]
    dns = dns_for(keys, {"good._domainkey.clinic.example": "good", "other._domainkey.clinic.example": "good"})
    tampered = signed(keys, "clinic.example").replace(b"44140?", b"44140 and send it to evil@x.example?")
    assert not verify_dkim(tampered, "coder@clinic.example", dns).passed
    assert not verify_dkim(signed(keys, "clinic.example", "other"), "coder@clinic.example", dns).passed
    assert not verify_dkim(signed(keys, "clinic.example"), "coder@clinic.example", dns_for(keys, {})).passed


def test_partial_body_signature_is_not_trusted(keys) -> None:  # type: ignore[no-untyped-def]
    dns = dns_for(keys, {"good._domainkey.clinic.example": "good"})
    v = verify_dkim(signed(keys, "clinic.example", length=True), "coder@clinic.example", dns)
    assert not v.passed and "l=" in v.reason


def test_no_signature_and_garbage(keys) -> None:  # type: ignore[no-untyped-def]
    dns = dns_for(keys, {})
    assert not verify_dkim(MAIL, "coder@clinic.example", dns).passed
    assert not verify_dkim(b"DKIM-Signature: v=1; a=;;;\r\n" + MAIL, "coder@clinic.example", dns).passed
    assert not verify_dkim(b"\x00\xff garbage", "coder@clinic.example", dns).passed


@pytest.fixture(scope="module")
def index(full_book):  # type: ignore[no-untyped-def]
    from consultant.analysis.suggest import SuggestIndex
    return SuggestIndex.load(full_book)


def test_pipeline_checks_dkim_only_where_no_header_is_trusted(keys, full_book, index) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, date, datetime

    from consultant.mail.stamps import numbered_ids
    from consultant.pipeline import Answer, ConsultSettings, Skip, consult

    dns = dns_for(keys, {"good._domainkey.clinic.example": "good"})
    base = {"bot_address": "bot@clinic.example", "allowed_senders": ("clinic.example",),
            "require_authentication": True, "authserv_id": "mx.clinic.example"}

    def run(raw: bytes, **kw: object):  # type: ignore[no-untyped-def]
        return consult(raw, book=full_book, index=index, settings=ConsultSettings(**{**base, **kw}),  # type: ignore[arg-type]
                       today=date(2026, 12, 3), now=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
                       message_ids=numbered_ids("clinic.example"))

    good = signed(keys, "clinic.example")
    assert isinstance(run(good), Skip)                          # verify_dkim off: no trusted header, refused
    assert isinstance(run(good, dkim_dns=dns), Answer)
    # our server's own result is there and says fail: that decides, DKIM is not re-checked
    failed = b"Authentication-Results: mx.clinic.example; dmarc=fail header.from=clinic.example\r\n" + good
    out = run(failed, dkim_dns=dns)
    assert isinstance(out, Skip) and "not authenticated" in out.reason
