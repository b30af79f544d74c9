from consultant.mail.authentication import check_authentication

ID = "mx.clinic.org"


def hdrs(*values: str) -> list[tuple[str, str]]:
    return [("authentication-results", v) for v in values]


def test_dmarc_pass_for_sender_domain_is_accepted() -> None:
    v = check_authentication(hdrs(f"{ID}; dmarc=pass header.from=clinic.org"), "a@clinic.org", ID)
    assert v.passed and v.reason == "dmarc=pass"


def test_dmarc_pass_for_another_domain_is_refused() -> None:
    v = check_authentication(hdrs(f"{ID}; dmarc=pass header.from=evil.test"), "a@clinic.org", ID)
    assert not v.passed


def test_aligned_dkim_subdomain_is_accepted() -> None:
    v = check_authentication(hdrs(f"{ID}; dkim=pass header.d=mail.clinic.org"), "a@clinic.org", ID)
    assert v.passed and "dkim" in v.reason


def test_unaligned_spf_pass_is_refused() -> None:
    v = check_authentication(
        hdrs(f"{ID}; spf=pass smtp.mailfrom=bounce@esp.test; dkim=fail header.d=clinic.org"),
        "a@clinic.org",
        ID,
    )
    assert not v.passed and "dkim=fail" in v.reason


def test_forged_header_below_ours_is_ignored() -> None:
    # The sender added a 'pass' for our id below ours; only the topmost (ours) counts.
    v = check_authentication(
        hdrs(f"{ID}; dmarc=fail header.from=clinic.org", f"{ID}; dmarc=pass header.from=clinic.org"),
        "a@clinic.org",
        ID,
    )
    assert not v.passed


def test_topmost_from_other_server_is_refused() -> None:
    v = check_authentication(hdrs("relay.test; dmarc=pass header.from=clinic.org"), "a@clinic.org", ID)
    assert not v.passed and "relay.test" in v.reason


def test_missing_and_garbage_headers_do_not_raise() -> None:
    assert not check_authentication([], "a@clinic.org", ID).passed
    assert not check_authentication(hdrs("garbage;;; ="), "a@clinic.org", ID).passed
