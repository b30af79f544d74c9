"""skip_reason: robots, bounces, loops, our own thread, allowed senders, empty cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from consultant.mail.case import Attachment, Case
from consultant.mail.parse import parse_message
from consultant.mail.robots import SenderPolicy, sender_allowed, skip_reason

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
BOT = "consult@clinic.example"
POLICY = SenderPolicy(bot_address=BOT)


def case(headers: tuple[tuple[str, str], ...] = (), **kw: object) -> Case:
    base: dict[str, object] = {
        "message_id": "<q1@clinic.example>", "sender": "ann@clinic.example", "sender_name": "Ann",
        "subject": "lap appy", "to": (BOT,), "body": "PROCEDURE: laparoscopic appendectomy 44970",
        "headers": headers,
    }
    base.update(kw)
    return Case(**base)  # type: ignore[arg-type]


def test_an_ordinary_case_is_answered() -> None:
    assert skip_reason(case(), POLICY) is None


@pytest.mark.parametrize(("headers", "expected"), [
    ((("auto-submitted", "auto-replied"),), "Auto-Submitted: auto-replied"),
    ((("auto-submitted", "auto-generated; type=dsn"),), "Auto-Submitted: auto-generated"),
    ((("precedence", "bulk"),), "Precedence: bulk"),
    ((("precedence", "Junk"),), "Precedence: junk"),
    ((("precedence", "list"),), "Precedence: list"),
    ((("x-autoreply", "yes"),), "auto-reply header x-autoreply"),
    ((("x-autorespond", "1"),), "auto-reply header x-autorespond"),
    ((("list-id", "<coders.clinic.example>"),), "mailing list (list-id)"),
    ((("list-unsubscribe", "<mailto:u@x>"),), "mailing list (list-unsubscribe)"),
    ((("return-path", "<>"),), "empty Return-Path <> (bounce)"),
])
def test_robot_headers(headers: tuple[tuple[str, str], ...], expected: str) -> None:
    assert skip_reason(case(headers), POLICY) == expected


def test_auto_submitted_no_is_a_person() -> None:
    assert skip_reason(case((("auto-submitted", "no"),)), POLICY) is None


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.clinic.example", "postmaster@clinic.example",
                                    "noreply@ehr.example", "no-reply@ehr.example", "do-not-reply@ehr.example",
                                    "bounces+123@lists.example"])
def test_robot_senders(sender: str) -> None:
    reason = skip_reason(case(sender=sender.lower()), POLICY)
    assert reason is not None and reason.startswith("robot sender")


def test_people_with_similar_names_are_answered() -> None:
    assert skip_reason(case(sender="noreen@clinic.example"), POLICY) is None
    assert skip_reason(case(sender="postmasters-assistant@clinic.example"), POLICY) is None


def test_delivery_report() -> None:
    assert skip_reason(case(content_type="multipart/report"), POLICY) == "delivery report (multipart/report)"


@pytest.mark.parametrize("subject", ["Automatic reply: lap appy", "Out of Office: lap appy", "Autoreply: x",
                                     "Auto-Reply: x", "Out of Office AutoReply: x"])
def test_out_of_office_subjects(subject: str) -> None:
    assert skip_reason(case(subject=subject), POLICY) == "auto-reply subject"


def test_exchange_out_of_office_fixture() -> None:
    parsed = parse_message((FIXTURES / "exchange_ooo.eml").read_bytes())
    assert skip_reason(parsed, POLICY) == "auto-reply subject"


def test_a_person_asking_about_office_hours_is_answered() -> None:
    assert skip_reason(case(subject="question about out of office visit 99213"), POLICY) is None


def test_mail_from_the_bot_itself() -> None:
    assert skip_reason(case(sender=BOT), POLICY) == "mail from the bot's own address"
    assert skip_reason(case(sender="Consult@Clinic.Example"), POLICY) == "mail from the bot's own address"


def test_bot_in_cc_is_a_reply_all_loop() -> None:
    assert skip_reason(case(cc=("boss@clinic.example", BOT)), POLICY) == "bot address in Cc (reply-all loop)"


def test_bot_only_in_to_is_normal() -> None:
    assert skip_reason(case(to=(BOT, "boss@clinic.example")), POLICY) is None


# --- the bot's own Message-ID domain in References -----------------------------------------


OURS = ("<q1@clinic.example>", "<r-77@caseconsultant.invalid>")


def test_human_follow_up_in_our_thread_is_answered() -> None:
    follow = case(references=OURS, in_reply_to=OURS[1], body="And with modifier 59? 44970-59",
                  quoted="> 44970 is valid")
    assert skip_reason(follow, POLICY) is None


def test_human_follow_up_parsed_from_outlook_is_answered() -> None:
    parsed = parse_message((FIXTURES / "outlook_followup.eml").read_bytes())
    assert "<reply-1@caseconsultant.invalid>" in parsed.references
    assert skip_reason(parsed, POLICY) is None


def test_follow_up_without_new_text_is_skipped() -> None:
    empty = case(references=OURS, body="", quoted="> 44970 is valid")
    assert skip_reason(empty, POLICY) == "follow-up to our reply without new text"


def test_follow_up_with_only_an_attachment_is_answered() -> None:
    att = Attachment("op.pdf", "application/pdf", 100, text="PROCEDURE: 44970")
    assert skip_reason(case(references=OURS, body="", attachments=(att,)), POLICY) is None


def test_auto_trait_in_our_thread_is_skipped() -> None:
    auto = case((("x-auto-response-suppress", "All"),), references=OURS, body="I am away until Monday.")
    assert skip_reason(auto, POLICY) == "automatic answer to our own reply (X-Auto-Response-Suppress)"
    away = case(references=OURS, subject="RE: lap appy [autoreply]", body="Away.")
    assert skip_reason(away, POLICY) == "automatic answer to our own reply (auto-reply subject)"


def test_auto_response_suppress_alone_outside_our_thread_is_answered() -> None:
    assert skip_reason(case((("x-auto-response-suppress", "All"),)), POLICY) is None


def test_custom_message_id_domain() -> None:
    policy = SenderPolicy(BOT, message_id_domain="consult.clinic.example")
    empty = case(references=("<x@consult.clinic.example>",), body="")
    assert skip_reason(empty, policy) == "follow-up to our reply without new text"
    assert skip_reason(case(references=("<x@caseconsultant.invalid>",), body=""), policy) == "no case text"


# --- allowed senders and empty cases -----------------------------------------------------------


@pytest.mark.parametrize(("allowed", "sender", "ok"), [
    ((), "anyone@anywhere.example", True),
    (("clinic.example",), "ann@clinic.example", True),
    (("@clinic.example",), "ann@clinic.example", True),
    (("CLINIC.example",), "ann@clinic.example", True),
    (("clinic.example",), "ann@evilclinic.example", False),
    (("clinic.example",), "ann@sub.clinic.example", False),
    (("ann@clinic.example",), "ann@clinic.example", True),
    (("ann@clinic.example",), "bob@clinic.example", False),
    (("ann@clinic.example", "hospital.example"), "dr@hospital.example", True),
])
def test_allowed_senders(allowed: tuple[str, ...], sender: str, ok: bool) -> None:
    assert sender_allowed(sender, allowed) is ok
    reason = skip_reason(case(sender=sender), SenderPolicy(BOT, allowed_senders=allowed))
    assert reason == (None if ok else "sender not allowed")


def test_unreadable_sender_is_skipped() -> None:
    assert skip_reason(case(sender=""), POLICY) == "no readable sender address"


def test_no_case_text() -> None:
    assert skip_reason(case(body=""), POLICY) == "no case text"
    logo = Attachment("logo.png", "image/png", 10, note="not read: image/png")
    assert skip_reason(case(body="  \n", attachments=(logo,)), POLICY) == "no case text"


def test_unreadable_document_is_answered_so_the_sender_learns_why() -> None:
    scan = Attachment("scan.pdf", "application/pdf", 10, note="scanned PDF without text: not read")
    assert skip_reason(case(body="", attachments=(scan,)), POLICY) is None


def test_reasons_never_hold_body_text() -> None:
    secret = "PATIENT JANE DOE DOB 1970-01-01"
    for c in (case(body=secret, content_type="multipart/report"), case(body=secret, sender=""),
              case(body=secret, headers=(("precedence", "bulk"),))):
        reason = skip_reason(c, POLICY)
        assert reason is not None and "JANE" not in reason
