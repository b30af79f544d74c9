"""Every real-world message of the shared corpus, random bytes and mutated corpus messages
go through parse_message and skip_reason without an exception; header fields never keep a
CR or LF. The corpus is judged with an unseen share from the same sources, so nothing here
is tuned to single files: the assertions hold for any message."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consultant.mail.case import Case, ParseLimits
from consultant.mail.parse import parse_message
from consultant.mail.robots import SenderPolicy, skip_reason

CORPUS = (Path(__file__).parents[2] / ".." / "shared" / "data" / "email-corpus").resolve()
POLICY = SenderPolicy(bot_address="consult@clinic.example.test")
SMALL_LIMITS = ParseLimits(max_pdf_pages=3, max_text_chars=20_000)


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{CORPUS} is missing: CI must run with shared/ beside the checkout")
        return []
    return sorted(CORPUS.glob("*.eml"))


FILES = corpus_files()
SMALL = [p.read_bytes() for p in FILES if p.stat().st_size < 20_000]


def assert_clean(case: Case) -> None:
    """What must hold for any parsed message."""
    one_line = [case.message_id, case.sender, case.sender_name, case.subject, *case.to, *case.cc,
                *case.reply_to, *case.references, case.in_reply_to or "", case.content_type,
                *(n for n, _ in case.headers), *(v for _, v in case.headers),
                *(a.filename for a in case.attachments), *case.notes,
                *(a.note or "" for a in case.attachments)]
    for value in one_line:
        assert "\r" not in value and "\n" not in value, value
    assert case.message_id.startswith("<") and case.message_id.endswith(">")
    assert case.sender == case.sender.lower()
    assert case.sender == "" or re.fullmatch(r"[^@\s]+@[^@\s]+", case.sender)
    assert "\r" not in case.body


@pytest.fixture(scope="module")
def corpus_dir() -> Path:
    if not FILES:
        if os.environ.get("CI"):
            pytest.fail(f"{CORPUS} is missing: CI must run with shared/ beside the checkout")
        pytest.skip(f"{CORPUS} not present")
    return CORPUS


def test_corpus_is_there(corpus_dir: Path) -> None:
    assert len(FILES) >= 100


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_corpus_message_is_parsed_and_decided(path: Path) -> None:
    raw = path.read_bytes()
    case = parse_message(raw)
    assert_clean(case)
    assert case.size == len(raw)
    reason = skip_reason(case, POLICY)
    if reason is None:
        assert case.text.strip() or any(a.note for a in case.attachments), "answered without any case material"
    else:
        assert reason.strip() and "\n" not in reason and len(reason) < 120


def test_corpus_robots_are_skipped(corpus_dir: Path) -> None:
    """Bounces and delivery reports of the corpus (tagged by its README) are never answered."""
    tags = {}
    for line in (corpus_dir / "categories.tsv").read_text().splitlines()[1:]:
        name, _, tag = line.split("\t")
        tags[name] = tag.split()
    reports = [n for n, t in tags.items() if "bounce" in t or "multipart-report" in t]
    assert reports
    for name in reports:
        case = parse_message((corpus_dir / name).read_bytes())
        assert skip_reason(case, POLICY) is not None, name


def test_corpus_replies_lose_their_quotes(corpus_dir: Path) -> None:
    """Client replies (talon fixtures) keep their new text and move the history to `quoted`."""
    replies = sorted(corpus_dir.glob("talon__standard_replies__*.eml"))
    assert replies
    for path in replies:
        case = parse_message(path.read_bytes())
        assert case.body, path.name
        assert case.quoted, path.name
        assert len(case.body) < len(case.quoted) + 200, path.name


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise(data: bytes) -> None:
    case = parse_message(data, SMALL_LIMITS)
    assert_clean(case)
    skip_reason(case, POLICY)


_header_line = st.tuples(
    st.sampled_from(["From", "To", "Cc", "Subject", "Reply-To", "Message-ID", "References", "In-Reply-To",
                     "Date", "Content-Type", "Content-Disposition", "X-Thing"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_header_line, max_size=8), st.text(max_size=200))
def test_header_values_with_crlf_never_survive(headers: list[tuple[str, str]], body: str) -> None:
    lines = []
    for name, value in headers:
        # raw CR/LF, and the same smuggled inside an RFC 2047 encoded word
        lines.append(f"{name}: {value}\r\n")
        lines.append(f"{name}: =?utf-8?q?{value.encode('utf-8').hex()[:20]}=0D=0Ax?=\r\n")
    data = "".join(lines).encode("utf-8", "surrogatepass") + b"\r\n" + body.encode("utf-8", "surrogatepass")
    case = parse_message(data, SMALL_LIMITS)
    assert_clean(case)


@pytest.mark.skipif(not SMALL, reason="corpus not present")
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_corpus_messages_never_raise(data: st.DataObject) -> None:
    raw = bytearray(data.draw(st.sampled_from(SMALL)))
    for _ in range(data.draw(st.integers(1, 8))):
        op = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate", "dup"]))
        pos = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[pos] = data.draw(st.integers(0, 255))
        elif op == "delete":
            del raw[pos:pos + data.draw(st.integers(1, 64))]
        elif op == "insert":
            raw[pos:pos] = data.draw(st.sampled_from([b"\r\n", b"\n--", b"=?utf-8?b?", b"\x00", b"--=_", b";",
                                                      b"Content-Type: multipart/mixed; boundary=x\r\n", b">"]))
        elif op == "truncate":
            del raw[pos:]
        elif op == "dup":
            raw[pos:pos] = raw[max(0, pos - 200):pos]
    case = parse_message(bytes(raw), SMALL_LIMITS)
    assert_clean(case)
    skip_reason(case, POLICY)
