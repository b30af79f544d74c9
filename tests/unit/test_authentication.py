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
    assert not v.passed and ID in v.reason


def test_missing_and_garbage_headers_do_not_raise() -> None:
    assert not check_authentication([], "a@clinic.org", ID).passed
    assert not check_authentication(hdrs("garbage;;; ="), "a@clinic.org", ID).passed


def test_parent_domain_and_public_suffix_never_align() -> None:
    # issue 9: 'dkim=pass header.d=example' was taken as aligned for From: ...@clinic.example
    for d, sender in (("example", "a@clinic.example"), ("co.uk", "a@clinic.co.uk"),
                      ("other.co.uk", "a@clinic.co.uk"), ("clinic.example.evil.test", "a@clinic.example")):
        v = check_authentication(hdrs(f"{ID}; dkim=pass header.d={d}"), sender, ID)
        assert not v.passed, (d, sender)
        v = check_authentication(hdrs(f"{ID}; spf=pass smtp.mailfrom=bounce@{d}"), sender, ID)
        assert not v.passed, (d, sender)
    v = check_authentication(hdrs(f"{ID}; dkim=pass header.d=clinic.co.uk"), "a@mail.clinic.co.uk", ID)
    assert v.passed and v.reason == "aligned dkim=pass"
    v = check_authentication(hdrs(f"{ID}; spf=pass smtp.mailfrom=b@bounce.clinic.org"), "a@clinic.org", ID)
    assert v.passed and v.reason == "aligned spf=pass"


def test_dmarc_pass_must_name_the_from_domain_itself() -> None:
    for value in (f"{ID}; dmarc=pass header.from=example", f"{ID}; dmarc=pass",
                  f"{ID}; dmarc=pass header.from=org"):
        assert not check_authentication(hdrs(value), "a@clinic.org", ID).passed, value


def test_sender_domain_that_is_a_public_suffix_is_refused() -> None:
    v = check_authentication(hdrs(f"{ID}; dmarc=pass header.from=co.uk"), "a@co.uk", ID)
    assert not v.passed and "public suffix" in v.reason


def test_only_the_topmost_of_ours_counts_and_others_above_are_ignored() -> None:
    headers = [("received", "from relay by mx2"), ("authentication-results", "relay.internal; dmarc=fail"),
               ("authentication-results", f"{ID}; dmarc=pass header.from=clinic.org"),
               ("received", "from out.clinic.org by mx"),
               ("authentication-results", f"{ID}; dmarc=fail header.from=clinic.org")]
    assert check_authentication(headers, "a@clinic.org", ID).passed
    headers[2], headers[4] = headers[4], headers[2]        # the pass is now the lower, forged one
    assert not check_authentication(headers, "a@clinic.org", ID).passed


def test_header_written_among_the_senders_own_headers_is_forged() -> None:
    # the receiving server added none; the sender wrote one with our id below its From line
    headers = [("received", "from evil by mx.clinic.org"), ("from", "a@clinic.org"), ("subject", "44970"),
               ("authentication-results", f"{ID}; dmarc=pass header.from=clinic.org")]
    v = check_authentication(headers, "a@clinic.org", ID)
    assert not v.passed and "forged" in v.reason
    # the same header above the sender's headers, where a receiving server puts it, is read
    headers.insert(1, headers.pop())
    assert check_authentication(headers, "a@clinic.org", ID).passed


def test_organisational_domain() -> None:
    from consultant.mail.authentication import aligned, organisational_domain
    assert organisational_domain("a.b.clinic.example") == "clinic.example"
    assert organisational_domain("nhs.uk") == "nhs.uk" or organisational_domain("nhs.uk") is None
    assert organisational_domain("") is None and organisational_domain("a..b") is None
    assert aligned("mail.clinic.org", "clinic.org") and not aligned("org", "clinic.org")


def test_check_config_says_how_to_strip_forged_headers() -> None:
    from consultant.mail.authentication import check_config_lines
    text = "\n".join(check_config_lines(True, "mx.clinic.org", ("clinic.org",)))
    assert "mx[.]clinic[.]org" in text and "IGNORE" in text                  # Postfix header_checks
    assert "Exchange" in text and "mx.google.com" in text
    loose = "\n".join(check_config_lines(False, None, ()))
    assert "ANYONE" in loose and "require = true" in loose
