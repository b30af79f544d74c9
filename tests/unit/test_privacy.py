"""Patient privacy at the edges, without servers: queued mails are blanked once their case is
filed and leave no bytes behind in the SQLite files (unless keep_bodies); error texts that go
to the log carry no protocol data and no exception message from the analysis."""

from __future__ import annotations

import imaplib
from pathlib import Path

import pytest

from consultant.mail.inbox import _text
from consultant.service import _redacted_traceback, _where
from consultant.state import ANSWERED, Ledger, Outgoing

SECRET = b"Patient Quillfeather-Marsh, MRN 90817263, DOB 02/29/1944"


def files(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")))


def answered_and_filed(ledger: Ledger, mid: str = "<case-1@clinic.example>") -> None:
    ledger.claim(mid, "INBOX", 7, 1)
    reply = b"Subject: Re: " + SECRET + b"\r\n\r\n" + SECRET * 50
    ledger.record_outcome(mid, status=ANSWERED, codes=["44320"], raw=b"x\r\n\r\n" + SECRET, sender="c@clinic.example",
                          outgoing=[Outgoing("<r-1@bot.example>", "reply", "bot@example.test", ("c@clinic.example",),
                                             reply)])
    (row,) = ledger.due_outbox()
    assert ledger.lease_outbox(row.id) == "new"
    ledger.mark_sent(row.id)
    assert SECRET in ledger.outbox_for(mid)[0].raw       # still needed for the copy to Sent
    ledger.mark_copied(row.id)
    ledger.mark_filed(mid)
    ledger.scrub()


def test_filed_case_leaves_no_patient_bytes(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite"
    with Ledger(db) as ledger:
        answered_and_filed(ledger)
        assert ledger.outbox_for("<case-1@clinic.example>")[0].raw == b""
        assert ledger.message("<case-1@clinic.example>").codes == ("44320",)
        assert b"Quillfeather" not in files(db) and b"90817263" not in files(db)   # WAL included
    assert b"Quillfeather" not in files(db)


def test_keep_bodies_keeps_them(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite"
    with Ledger(db, keep_bodies=True) as ledger:
        answered_and_filed(ledger)
        assert SECRET in ledger.outbox_for("<case-1@clinic.example>")[0].raw
    assert b"Quillfeather" in files(db)


def test_purge_removes_what_keep_bodies_kept(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite"
    now = [1_000_000.0]
    with Ledger(db, keep_bodies=True, clock=lambda: now[0]) as ledger:
        answered_and_filed(ledger)
        now[0] += 10 * 86400
        deleted = ledger.purge(1)
        assert deleted["outbox"] == 1 and deleted["message"] == 1
    assert b"Quillfeather" not in files(db)


def test_imap_error_text_never_carries_protocol_data() -> None:
    e = imaplib.IMAP4.abort("socket error: unterminated line: b'* 1 FETCH (BODY[] {812}\\r\\nPatient: J. Doe'")
    text = _text(e)
    assert "Doe" not in text and "FETCH" not in text and "unterminated line" in text
    assert _text(imaplib.IMAP4.error("move failed: [NOPERM] Permission denied")) == \
        "move failed: [NOPERM] Permission denied"


def test_internal_error_is_logged_by_place_not_by_message() -> None:
    def analyse(text: str) -> None:
        raise ValueError(f"cannot read {text!r}")

    with pytest.raises(ValueError) as info:
        analyse(SECRET.decode())
    where = _where(info.value)
    assert where.startswith("ValueError at ") and "in analyse" in where and "Quillfeather" not in where
    trace = _redacted_traceback(info.value)
    assert "Quillfeather" not in trace and "analyse" in trace and "message withheld" in trace


def test_smtp_refusals_are_logged_without_what_the_server_quoted() -> None:
    from consultant.mail.outbox import _code_text

    line = _code_text(550, b'5.7.1 Rejected: contains "Jane Roe DOB 01/02/1960" from <jane@x.test>')
    assert line.startswith("550 5.7.1 Rejected")
    assert "Jane" not in line and "1960" not in line and "jane@" not in line
