"""`consultant answer`: the reply it would send, the JSON analysis, skips and usage errors."""

from __future__ import annotations

import argparse
import email
import io
import json
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from consultant.cli import main as cli_main
from consultant.commands.answer import main, parse_today, read_message
from consultant.errors import UsageError

ACCEPTANCE = (
    "Hi, can I bill 44320 and 44140 together? Dx C18.7 and K56.69, also 99213-25 for the visit.\n"
    "DOS 11/18/2026, MRN 00483921, call me at (312) 555-0187.\n\nThanks,\nDana\n"
)


def eml(
    path: Path, body: str, subject: str = "Coding question", **headers: str
) -> Path:
    msg = EmailMessage()
    msg["From"] = "Dana Coder <dana@clinic.example>"
    msg["To"] = "consult@clinic.example"
    msg["Subject"] = subject
    msg["Message-ID"] = "<case-1@clinic.example>"
    msg["Date"] = "Tue, 24 Nov 2026 09:00:00 +0000"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    path.write_bytes(msg.as_bytes())
    return path


@pytest.fixture(scope="module")
def config(full_kb_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("answer") / "config.toml"
    path.write_text(
        f'[consult]\nallowed_senders = ["clinic.example"]\nmessage_id_domain = "consult.clinic.example"\n'
        f'[kb]\npath = "{full_kb_path}"\n'
    )
    return path


def args(
    file: str,
    config: Path | None = None,
    *,
    json_out: bool = False,
    today: str | None = "2026-11-24",
):  # type: ignore[no-untyped-def]
    return argparse.Namespace(
        file=file, json=json_out, today=today, config=str(config) if config else None
    )


def test_malformed_today_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="2026-13-45"):
        parse_today("2026-13-45")
    assert str(parse_today("2026-11-18")) == "2026-11-18"


def test_missing_file_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.eml"
    with pytest.raises(UsageError, match="nope.eml"):
        read_message(str(missing))
    rc = cli_main(["answer", str(missing)])
    assert rc == 2


def test_bad_today_through_the_cli_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = eml(tmp_path / "case.eml", ACCEPTANCE)
    assert cli_main(["answer", str(path), "--today", "yesterday"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "sys.stdin", io.TextIOWrapper(io.BytesIO(b"Subject: x\n\nbody\n"))
    )
    assert read_message("-") == b"Subject: x\n\nbody\n"


def test_acceptance_reply(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = eml(tmp_path / "case.eml", ACCEPTANCE)
    assert main(args(str(path), config)) == 0
    out = capsys.readouterr().out
    head, _, _ = out.partition("\n\n")
    assert (
        "In-Reply-To: <case-1@clinic.example>" in head
        and "To: " in head
        and "Subject: Re:" in head
    )
    reply = email.message_from_string(out, policy=policy.default)
    text = reply.get_body(("plain",)).get_content()
    for code in ("44320", "44140", "C18.7", "K56.69", "99213"):
        assert code in text
    assert "Modifier 25" in text
    assert (
        "00483921" not in text and "555-0187" not in text
    )  # no record number, no phone
    assert "Date of service used: 2026-11-18" in " ".join(text.split())
    assert ACCEPTANCE.splitlines()[0] not in text  # the case is not quoted back
    assert "Thanks" not in text and "Dana" not in text


def test_acceptance_json(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = eml(tmp_path / "case.eml", ACCEPTANCE)
    assert main(args(str(path), config, json_out=True)) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {
        "date_of_service",
        "date_source",
        "mentions",
        "codes",
        "suggestions",
        "issues",
        "gaps",
        "releases",
        "escalate",
        "escalation_reasons",
    }
    assert data["date_of_service"] == "2026-11-18"
    assert sorted(c["code"] for c in data["codes"]) == sorted(
        ["44320", "44140", "C18.7", "K56.69", "99213"]
    )
    assert sorted(m["code"] for m in data["mentions"]) == sorted(
        ["44320", "44140", "C18.7", "K56.69", "99213"]
    )
    visit = next(m for m in data["mentions"] if m["code"] == "99213")
    assert visit["modifiers"] == ["25"] and len(visit["span"]) == 2
    assert [
        m["code"]
        for m in next(c for c in data["codes"] if c["code"] == "99213")["modifiers"]
    ] == ["25"]
    assert all(not c["modifiers"] for c in data["codes"] if c["code"] != "99213")
    assert data["releases"] and data["escalate"] is False


def test_out_of_office_is_not_answered(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = eml(
        tmp_path / "ooo.eml",
        "I am out of the office until Monday.\n",
        subject="Out of Office: Coding question",
        Auto_Submitted="auto-replied",
    )
    assert main(args(str(path), config)) == 0
    out = capsys.readouterr().out
    assert out.startswith("not answered: ")
    assert main(args(str(path), config, json_out=True)) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["skipped"] is True and data["reason"]


def test_hostile_body_renders_inert_end_to_end(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "Code 99213 <script>alert(1)</script> {{ 7*7 }} {% raw %} and C18.7 please\n"
    path = eml(tmp_path / "hostile.eml", body)
    assert main(args(str(path), config)) == 0
    reply = email.message_from_string(capsys.readouterr().out, policy=policy.default)
    html = reply.get_body(("html",)).get_content()
    text = reply.get_body(("plain",)).get_content()
    assert "<script" not in html.lower()
    assert "99213" in html and "C18.7" in html
    assert "49" not in text.replace("2026", "")
    assert all(len(line) <= 72 or " " not in line.strip() for line in text.splitlines())
