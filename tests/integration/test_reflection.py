"""Replies only to who may ask, authentication that the sender cannot forge (issue 9), against
a REAL Dovecot (LMTP delivery, IMAP) and a real aiosmtpd sink.

A receiving server prepends its Authentication-Results header; here `received()` does the
same to the message before LMTP delivery, as a border MTA with OpenDMARC would.
"""

from __future__ import annotations

import time

import pytest

from consultant.service import build_consultant
from consultant.state import ANSWERED, SKIPPED

OUR_ID = "mx.clinic.example"
AUTH = {"authentication": {"require": True, "authserv_id": OUR_ID}}
BODY = ("Loop colostomy with sigmoid resection for cancer of the sigmoid colon (C18.7). "
        "Can I bill 44320 with 44140 on the same day?")


@pytest.fixture()
def build(make_config, knowledge_factory, consult_fn):  # type: ignore[no-untyped-def]
    made = []

    def _build(**kw):  # type: ignore[no-untyped-def]
        c = build_consultant(make_config(**kw), knowledge_factory=knowledge_factory, consult=consult_fn)
        made.append(c)
        return c

    yield _build
    for c in made:
        c.inbox.close()
        c.ledger.close()


def mail(n: int | str, bot: str, *, sender: str = "coder@clinic.example", extra: str = "", body: str = "") -> bytes:
    body = body or f"{BODY} (case {n})"      # the same text twice would be a loop stop
    return (f"From: Coder <{sender}>\r\nTo: {bot}\r\nSubject: case {n}: colostomy and resection\r\n"
            f"Message-ID: <refl-{n}@clinic.example>\r\nDate: Thu, 03 Dec 2026 07:00:00 +0000\r\n{extra}"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


def received(results: str, raw: bytes) -> bytes:
    """What our border server does: prepend its own Authentication-Results."""
    return f"Authentication-Results: {OUR_ID}; {results}\r\n".encode() + raw


def outcome(bot_, n: int | str):  # type: ignore[no-untyped-def]
    row = bot_.ledger.message(f"<refl-{n}@clinic.example>")
    assert row is not None, n
    return row


def test_dmarc_pass_with_hostile_reply_to_answers_only_the_sender(dovecot, bot, smtp, build) -> None:  # type: ignore[no-untyped-def]
    dovecot.deliver(received("dmarc=pass header.from=clinic.example",
                             mail(1, bot, extra="Reply-To: harvest@evil.example\r\n")), rcpt=bot)
    dovecot.deliver(received("dmarc=pass header.from=clinic.example",
                             mail(2, bot, extra="Reply-To: team@clinic.example, harvest@evil.example\r\n")), rcpt=bot)
    dovecot.deliver(received("dmarc=pass header.from=clinic.example",
                             mail(3, bot, extra="Reply-To: Team <team@clinic.example>\r\n")), rcpt=bot)
    bot_ = build(consult=AUTH)
    report = bot_.process_pass()
    assert report.answered == 3, report
    got = smtp.wait_for(3)
    time.sleep(0.3)
    by_case = {g.message["In-Reply-To"]: g for g in smtp.messages if g.message["In-Reply-To"]}
    assert by_case["<refl-1@clinic.example>"].rcpt_tos == ["coder@clinic.example"]
    assert by_case["<refl-2@clinic.example>"].rcpt_tos == ["coder@clinic.example"]   # never adds recipients
    assert by_case["<refl-3@clinic.example>"].rcpt_tos == ["team@clinic.example"]    # one allowed address
    assert all("evil.example" not in " ".join(g.rcpt_tos) + str(g.message["To"]) for g in got)


def test_forged_senders_with_one_reply_to_victim(dovecot, bot, smtp, build) -> None:  # type: ignore[no-untyped-def]
    # issue 9: 60 forged From addresses in an allowed domain, each with Reply-To the victim,
    # gave 60 replies to the victim. Now: none to the victim, and at most the domain limit.
    for n in range(60):
        dovecot.deliver(mail(f"f{n}", bot, sender=f"forged{n}@clinic.example",
                             extra="Reply-To: victim@evil.example\r\n",
                             ), rcpt=bot, sender=f"forged{n}@clinic.example")
    bot_ = build(consult={"rate_limit_per_hour": 20, "rate_limit_per_domain_per_hour": 8,
                          "rate_limit_total_per_hour": 200})
    report = bot_.process_pass()
    assert report.seen == 60
    time.sleep(0.5)
    replies = [m for m in smtp.messages if m.message["In-Reply-To"]]
    assert len(replies) == 8 == report.answered, report
    assert not any("victim" in r for m in smtp.messages for r in m.rcpt_tos)
    assert all(m.rcpt_tos[0].startswith("forged") for m in replies)
    stopped = [outcome(bot_, f"f{n}") for n in range(60)]
    assert sum(1 for r in stopped if r.status == SKIPPED and "rate_limit_per_domain_per_hour" in (r.reason or "")) == 52


def test_encoded_crlf_in_reply_to_refuses_the_mail(dovecot, bot, smtp, build) -> None:  # type: ignore[no-untyped-def]
    dovecot.deliver(mail(1, bot, extra="Reply-To: =?utf-8?q?x=0D=0A?=_victim3@evil.example?=\r\n"), rcpt=bot)
    dovecot.deliver(mail(2, bot, extra="Reply-To: =?utf-8?q?Desk=0D=0ABcc=3A_x=40evil.example?= "
                                       "<desk@clinic.example>\r\n"), rcpt=bot)
    raw3 = mail(3, bot).replace(b"From: Coder <coder@clinic.example>",
                                b"From: =?utf-8?q?coder?=@clinic.example")       # an encoded From
    dovecot.deliver(raw3, rcpt=bot)
    raw4 = mail(4, bot).replace(b"From: Coder <coder@clinic.example>",    # was misread as coder@clinic.example
                                b"From: coder@clinic.example =?utf-8?q?=0D=0A?= <evil@evil.example>")
    dovecot.deliver(raw4, rcpt=bot)
    bot_ = build()
    report = bot_.process_pass()
    assert report.skipped == 4 and report.answered == 0
    time.sleep(0.5)
    assert smtp.messages == []                           # refused: no reply at all, no backscatter
    assert "encoded CR/LF" in (outcome(bot_, 1).reason or "")
    assert "encoded CR/LF" in (outcome(bot_, 2).reason or "")
    assert "encoded word inside an address in From" in (outcome(bot_, 3).reason or "")
    assert "control character in From" in (outcome(bot_, 4).reason or "")


def test_forged_authentication_results_with_our_id(dovecot, bot, smtp, build) -> None:  # type: ignore[no-untyped-def]
    forged = f"Authentication-Results: {OUR_ID}; dmarc=pass header.from=clinic.example\r\n"
    # 1: the receiving server added none; the sender wrote ours among its own headers
    dovecot.deliver(mail(1, bot, extra=forged), rcpt=bot)
    # 2: the server's own result (fail) on top, the sender's forged pass below it
    dovecot.deliver(received("dmarc=fail header.from=clinic.example", mail(2, bot, extra=forged)), rcpt=bot)
    # 3: the sender put the forged one ABOVE its From line too; the server's result is on top
    dovecot.deliver(received("dmarc=none header.from=clinic.example", forged.encode() + mail(3, bot)), rcpt=bot)
    # 4: control: the server's own pass
    dovecot.deliver(received("dmarc=pass header.from=clinic.example", mail(4, bot)), rcpt=bot)
    bot_ = build(consult=AUTH)
    report = bot_.process_pass()
    assert (report.answered, report.skipped) == (1, 3), report
    (got,) = smtp.wait_for(1)
    assert got.message["In-Reply-To"] == "<refl-4@clinic.example>"
    for n in (1, 2, 3):
        row = outcome(bot_, n)
        assert row.status == SKIPPED and "not authenticated" in (row.reason or ""), (n, row.reason)
    assert outcome(bot_, 4).status == ANSWERED


def test_parent_domain_and_public_suffix_dkim_do_not_align(dovecot, bot, smtp, build) -> None:  # type: ignore[no-untyped-def]
    dovecot.deliver(received("dkim=pass header.d=example", mail(1, bot)), rcpt=bot)
    dovecot.deliver(received("dkim=pass header.d=co.uk; spf=pass smtp.mailfrom=x@co.uk",
                             mail(2, bot, sender="coder@clinic.co.uk")), rcpt=bot)
    dovecot.deliver(received("dkim=pass header.d=clinic.co.uk", mail(3, bot, sender="coder@mail.clinic.co.uk")),
                    rcpt=bot)
    bot_ = build(consult={**AUTH, "allowed_senders": ["clinic.example", "clinic.co.uk", "mail.clinic.co.uk"]})
    report = bot_.process_pass()
    assert (report.answered, report.skipped) == (1, 2), report
    (got,) = smtp.wait_for(1)
    assert got.rcpt_tos == ["coder@mail.clinic.co.uk"]          # same organisational domain: aligned
    for n in (1, 2):
        assert "no aligned pass" in (outcome(bot_, n).reason or ""), n
