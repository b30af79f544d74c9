"""parse_message: headers, bodies, charsets, broken MIME, forwards, quote stripping."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest

from consultant.mail.case import ParseLimits
from consultant.mail.parse import parse_message, synthetic_message_id
from consultant.mail.quotes import find_forward, split_reply

FIXTURES = Path(__file__).parent / "fixtures" / "mail"

OP_NOTE = """PREOPERATIVE DIAGNOSIS: Acute appendicitis.
POSTOPERATIVE DIAGNOSIS: Same.
PROCEDURE: Laparoscopic appendectomy (44970).
INDICATIONS: 23-year-old with right lower quadrant pain.
From the history: no prior abdominal surgery.
Date: 03/04/2024
To: OR 3
FINDINGS:
- inflamed appendix
- no perforation
Dx: K35.80
Thanks, let me know about modifier 59 too.
Warning: this mail may contain patient data.
Best,
Ann"""


def raw(headers: str, body: str | bytes = "Body.\r\n") -> bytes:
    head = headers.strip().replace("\n", "\r\n").encode("utf-8")
    data = body if isinstance(body, bytes) else body.replace("\n", "\r\n").encode("utf-8")
    return head + b"\r\n\r\n" + data


def test_plain_message_headers_are_decoded() -> None:
    data = raw(
        """From: "Coder, Ann" <Ann.Coder@Clinic.Example>
To: Consult <consult@clinic.example>, second@clinic.example
Cc: =?utf-8?q?J=C3=B6rg?= <JOERG@clinic.example>
Reply-To: desk@clinic.example
Subject: =?utf-8?b?Q2FuIEkgYmlsbCA0NDMyMCB3aXRoIDQ0MTQwPw==?=
Date: Tue, 4 Jun 2024 09:12:00 -0400
Message-ID: <abc@clinic.example>
In-Reply-To: <prev@clinic.example>
References: <first@clinic.example>
 <prev@clinic.example>
Content-Type: text/plain; charset=utf-8""",
        "Patient had a colectomy.\n",
    )
    case = parse_message(data)
    assert case.sender == "ann.coder@clinic.example"
    assert case.sender_name == "Coder, Ann"
    assert case.subject == "Can I bill 44320 with 44140?"
    assert case.to == ("consult@clinic.example", "second@clinic.example")
    assert case.cc == ("joerg@clinic.example",)
    assert case.reply_to == ("desk@clinic.example",)
    assert case.date == datetime(2024, 6, 4, 9, 12, tzinfo=timezone(timedelta(hours=-4)))
    assert case.message_id == "<abc@clinic.example>"
    assert case.in_reply_to == "<prev@clinic.example>"
    assert case.references == ("<first@clinic.example>", "<prev@clinic.example>")
    assert case.body == "Patient had a colectomy."
    assert case.content_type == "text/plain"
    assert case.size == len(data)
    assert case.header("CC") == "Jörg <JOERG@clinic.example>"
    assert all(name == name.lower() for name, _ in case.headers)
    assert case.notes == ()


def test_missing_message_id_is_synthesised_from_the_bytes() -> None:
    data = raw("From: a@clinic.example\nSubject: x")
    case = parse_message(data)
    assert case.message_id == synthetic_message_id(data)
    assert case.message_id.endswith("@caseconsultant.invalid>")
    assert parse_message(data).message_id == case.message_id
    assert parse_message(data + b"more").message_id != case.message_id


def test_unparseable_from_gives_empty_sender_and_a_note() -> None:
    case = parse_message(raw("From: not an address at all\nSubject: x"))
    assert case.sender == ""
    assert any("sender" in n for n in case.notes)


def test_invalid_references_are_tolerated() -> None:
    case = parse_message(raw("From: a@b.example\nReferences: <foo@bar.net>\nReferences: <baz@bar.net>, <invalid.  \nIn-Reply-To: garbage words"))
    assert case.references == ("<foo@bar.net>", "<baz@bar.net>")
    assert case.in_reply_to is None


def test_bad_date_gives_none() -> None:
    assert parse_message(raw("From: a@b.example\nDate: the day after tomorrow")).date is None


def test_encoded_crlf_never_survives_in_header_fields() -> None:
    data = raw(
        "From: =?utf-8?q?Evil=0D=0ABcc=3A_x=40y?= <evil@x.example>\n"
        "Subject: =?utf-8?q?hello=0D=0ABcc:_victim@x.example?=\n"
        "X-Thing: =?utf-8?q?a=0Ab?="
    )
    case = parse_message(data)
    assert case.subject == "hello Bcc: victim@x.example"
    for value in (case.subject, case.sender_name, case.sender, *(v for _, v in case.headers)):
        assert "\r" not in value and "\n" not in value


def test_plain_text_is_preferred_over_html() -> None:
    msg = EmailMessage()
    msg["From"] = "a@clinic.example"
    msg.set_content("plain version 44970")
    msg.add_alternative("<p>html version</p>", subtype="html")
    case = parse_message(msg.as_bytes())
    assert case.body == "plain version 44970"
    assert case.content_type == "multipart/alternative"


def test_html_only_is_turned_into_text() -> None:
    html = "<html><head><style>p {color: red}</style></head><body><p>PROCEDURE: appy</p><table><tr><td>CPT</td><td>44970</td></tr></table></body></html>"
    msg = EmailMessage()
    msg["From"] = "a@clinic.example"
    msg.set_content(html, subtype="html")
    case = parse_message(msg.as_bytes())
    assert "PROCEDURE: appy" in case.body
    assert "44970" in case.body
    assert "<" not in case.body and "color" not in case.body


def test_unknown_charset_falls_back_with_a_note() -> None:
    case = parse_message(raw("From: a@b.example\nContent-Type: text/plain; charset=x-klingon", b"caf\xe9 44970\r\n"))
    assert case.body == "café 44970"
    assert any("x-klingon" in n for n in case.notes)


def test_eight_bit_text_labelled_ascii_is_read_as_utf8_without_a_note() -> None:
    case = parse_message(raw("From: a@b.example\nContent-Type: text/plain; charset=us-ascii", "Sjögren syndrome\n"))
    assert case.body == "Sjögren syndrome"
    assert case.notes == ()


def test_raw_utf8_and_latin1_headers() -> None:
    data = b"From: J\xc3\xb6rg <j@b.example>\r\nSubject: caf\xe9\r\n\r\nx\r\n"
    case = parse_message(data)
    assert case.sender_name == "Jörg"
    assert case.subject == "café"


def test_broken_base64_does_not_raise() -> None:
    case = parse_message(raw("From: a@b.example\nContent-Type: text/plain\nContent-Transfer-Encoding: base64",
                             "UFJPQ0VEVVJFOiBhcHB5!!!***\n"))
    assert case.body.startswith("PROCEDURE")


def test_unknown_transfer_encoding_keeps_the_text() -> None:
    case = parse_message(raw("From: a@b.example\nContent-Transfer-Encoding: 7-bit", "Dx: K35.80\n"))
    assert case.body == "Dx: K35.80"


def test_very_long_line_is_cut_with_a_note() -> None:
    limits = ParseLimits(max_text_chars=10_000)
    case = parse_message(raw("From: a@b.example", "x" * 500_000 + "\n"), limits)
    assert len(case.body) == 10_000
    assert any("cut" in n for n in case.notes)


def test_malformed_mime_gives_defects_note_and_no_body() -> None:
    data = raw('From: a@b.example\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="BOUNDARY"',
               "no boundary ever appears here\n")
    case = parse_message(data)
    assert case.body == ""
    assert any("defect" in n for n in case.notes)


def test_outlook_unquoted_boundary_with_equals_sign_is_read() -> None:
    data = raw("From: a@b.example\nMIME-Version: 1.0\nContent-Type: multipart/alternative;\n  boundary=----=_Part_1_2.3",
               "------=_Part_1_2.3\nContent-Type: text/plain\n\nPROCEDURE: appy\n------=_Part_1_2.3--\n")
    assert parse_message(data).body == "PROCEDURE: appy"


def test_signed_mail_reads_the_signed_content() -> None:
    data = raw(
        'From: a@b.example\nMIME-Version: 1.0\nContent-Type: multipart/signed; protocol="application/pgp-signature"; micalg=pgp-sha1; boundary="S"',
        "--S\nContent-Type: text/plain\n\nPROCEDURE: appy 44970\n--S\nContent-Type: application/pgp-signature\n\n"
        "-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n--S--\n",
    )
    case = parse_message(data)
    assert case.body == "PROCEDURE: appy 44970"
    assert case.attachments == ()


def test_encrypted_mail_gets_a_note() -> None:
    data = raw('From: a@b.example\nContent-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="E"',
               "--E\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--E\nContent-Type: application/octet-stream\n\nxx\n--E--\n")
    case = parse_message(data)
    assert case.body == ""
    assert "encrypted message: not read" in case.notes


def test_attachment_names_rfc2231_and_encoded_words() -> None:
    outer = MIMEMultipart()
    outer["From"] = "a@b.example"
    outer.attach(MIMEText("see files"))
    one = MIMEApplication(b"PROCEDURE: one", "octet-stream")
    one.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "Befund ä.txt"))
    outer.attach(one)
    two = MIMEApplication(b"PROCEDURE: two", "octet-stream")
    two["Content-Disposition"] = 'attachment; filename="=?UTF-8?B?' + base64.b64encode("Notiz ü.txt".encode()).decode() + '?="'
    outer.attach(two)
    case = parse_message(outer.as_bytes())
    assert [a.filename for a in case.attachments] == ["Befund ä.txt", "Notiz ü.txt"]
    assert [a.text for a in case.attachments] == ["PROCEDURE: one", "PROCEDURE: two"]
    assert "PROCEDURE: two" in case.text


def test_attachment_limit_counts_the_rest() -> None:
    outer = MIMEMultipart()
    outer["From"] = "a@b.example"
    for i in range(5):
        part = MIMEText(f"file {i}")
        part.add_header("Content-Disposition", "attachment", filename=f"f{i}.txt")
        outer.attach(part)
    case = parse_message(outer.as_bytes(), ParseLimits(max_attachments=2))
    assert len(case.attachments) == 2
    assert any("3 more attachment" in n for n in case.notes)


def test_deep_mime_nesting_does_not_raise() -> None:
    depth = 60
    head = "From: a@b.example\nContent-Type: multipart/mixed; boundary=b0"
    body = ""
    for i in range(1, depth):
        body += f"--b{i - 1}\nContent-Type: multipart/mixed; boundary=b{i}\n\n"
    body += f"--b{depth - 1}\nContent-Type: text/plain\n\ndeep\n"
    case = parse_message(raw(head, body))
    # the text below the depth limit is still read (without recursion), with a note that says so
    assert case.body == "deep"
    assert any("nested more than 25 levels deep: only their text was read" in n for n in case.notes)


def _nested(depth: int, inner: str) -> bytes:
    head = "From: a@b.example\nContent-Type: multipart/mixed; boundary=b0"
    body = ""
    for i in range(1, depth):
        body += f"--b{i - 1}\nContent-Type: multipart/mixed; boundary=b{i}\n\n"
    return raw(head, body + f"--b{depth - 1}\n{inner}")


def test_mime_too_deep_to_read_becomes_an_unreadable_part_not_silence() -> None:
    # deeper than the parts the bounded walk looks at: nothing is read, and the case says so
    case = parse_message(_nested(400, "Content-Type: text/plain\n\n44970 appendectomy\n"))
    assert case.body == ""
    (part,) = case.attachments
    assert part.note is not None and "could not be read" in part.note and "25 levels" in part.note
    # an attachment (not text) below the limit is not read either, and also leaves a stand-in
    case = parse_message(_nested(40, "Content-Type: application/pdf\nContent-Disposition: attachment; "
                                     "filename=op.pdf\n\nxx\n"))
    assert [a.filename for a in case.attachments] == ["unreadable part"]


def test_encrypted_only_message_leaves_an_unreadable_part() -> None:
    head = "From: a@b.example\nContent-Type: multipart/encrypted; boundary=zz"
    body = "--zz\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--zz\nContent-Type: application/octet-stream\n\nx\n--zz--\n"
    case = parse_message(raw(head, body))
    (part,) = case.attachments
    assert part.note == "the message is encrypted and could not be read"
    # with readable text beside it no stand-in is added
    plain = parse_message(raw("From: a@b.example", "44970 please"))
    assert plain.attachments == ()


@pytest.mark.parametrize("junk", [b"", b"\x00" * 50, b"\xff\xfe" * 1000, b"From:\r\n\r\n", b"\r\n\r\n\r\n", b"Content-Type: multipart/mixed\r\n\r\n--"])
def test_junk_never_raises(junk: bytes) -> None:
    case = parse_message(junk)
    assert case.size == len(junk)
    assert case.message_id.startswith("<") and case.message_id.endswith(">")


def test_str_input_is_accepted() -> None:
    assert parse_message("From: a@b.example\n\nhello").body == "hello"  # type: ignore[arg-type]


# --- forwards ---------------------------------------------------------------------------


def _forward_as_attachment(own: str) -> bytes:
    inner = EmailMessage()
    inner["From"] = "surgeon@hospital.example"
    inner["Subject"] = "op note"
    inner.set_content("PROCEDURE: Laparoscopic cholecystectomy (47562).\n")
    outer = EmailMessage()
    outer["From"] = "ann@clinic.example"
    outer["Subject"] = "Fwd: op note"
    outer.set_content(own)
    outer.add_attachment(inner)
    return outer.as_bytes()


def test_attached_forward_under_empty_note_is_the_case() -> None:
    case = parse_message(_forward_as_attachment("Please code.\n"))
    assert case.body == "Please code.\n\nPROCEDURE: Laparoscopic cholecystectomy (47562)."
    assert case.attachments == ()


def test_attached_forward_under_long_note_is_an_attachment() -> None:
    own = "PROCEDURE: colectomy 44140 with colostomy.\n" * 12
    case = parse_message(_forward_as_attachment(own))
    assert case.body == own.strip()
    assert [a.content_type for a in case.attachments] == ["message/rfc822"]
    assert "47562" in case.attachments[0].text
    assert "47562" in case.text


def test_inline_gmail_forward_is_the_case_not_quoted() -> None:
    case = parse_message((FIXTURES / "gmail_forward.eml").read_bytes())
    assert case.body == "Please code.\n\nPROCEDURE: Laparoscopic cholecystectomy (47562).\nDx: K80.20"
    assert "Can you send the op note?" in case.quoted
    assert "47562" not in case.quoted


def test_apple_forward_marker() -> None:
    body = "Begin forwarded message:\n\nFrom: Dr X <x@h.example>\nSubject: note\nDate: 3 June 2024\nTo: me@h.example\n\nDx: K35.80\n"
    case = parse_message(raw("From: a@b.example\nSubject: Fwd: note", body))
    assert case.body == "Dx: K35.80"


def test_outlook_original_message_in_a_reply_is_quoted_history() -> None:
    body = "Thanks!\n\n-----Original Message-----\nFrom: Bot\nSent: Monday\nTo: me\nSubject: Re: x\n\n44970 is valid.\n"
    case = parse_message(raw("From: a@b.example\nSubject: RE: x\nIn-Reply-To: <r@caseconsultant.invalid>", body))
    assert case.body == "Thanks!"
    assert "44970 is valid." in case.quoted


def test_outlook_original_message_in_a_forward_is_the_case() -> None:
    body = "-----Original Message-----\nFrom: Dr X\nSent: Monday\nTo: me\nSubject: note\n\nPROCEDURE: 44970\n"
    case = parse_message(raw("From: a@b.example\nSubject: FW: note", body))
    assert case.body == "PROCEDURE: 44970"


# --- threads: quote and signature stripping ---------------------------------------------


def test_outlook_follow_up_keeps_the_whole_operative_note() -> None:
    case = parse_message((FIXTURES / "outlook_followup.eml").read_bytes())
    for heading in ("PREOPERATIVE DIAGNOSIS:", "PROCEDURE:", "INDICATIONS:", "From the history:", "FINDINGS:",
                    "- no ischemia", "Dx: K56.50"):
        assert heading in case.body
    assert "44970 laparoscopic appendectomy" in case.quoted
    assert "Sent: Monday" in case.quoted
    assert "________" not in case.body
    assert case.sender == "ann.coder@clinic.example"


def test_split_reply_never_cuts_an_operative_note() -> None:
    split = split_reply(OP_NOTE)
    assert split.body == OP_NOTE
    assert split.quoted == ""


@pytest.mark.parametrize(
    "line",
    ["PROCEDURE:", "INDICATIONS:", "FINDINGS:", "PREOPERATIVE DIAGNOSIS:", "Dx:", "From the history:",
     "From: the referring clinic", "On exam the patient wrote:", "Sent: to pathology", "- left knee",
     "Thanks, see below", "Best,", "CAUTION: sharp", "________________________________"],
)
def test_split_reply_keeps_text_at_note_like_lines(line: str) -> None:
    text = f"Please code.\n\n{line}\nbiopsy of the left knee 27330\nDate: 3/4/2024\nTo: path lab"
    assert split_reply(text).body == text


def test_on_wrote_header_and_quotes_are_stripped() -> None:
    text = "Is 44970 right?\n\nOn Mon, 3 Jun 2024 at 16:01, CaseConsultant <consult@clinic.example> wrote:\n> 44970 valid\n> bye"
    split = split_reply(text)
    assert split.body == "Is 44970 right?"
    assert "44970 valid" in split.quoted


def test_interleaved_answers_are_kept_and_quotes_removed() -> None:
    text = "On 3 Jun 2024, bot@x.example wrote:\n> first question?\nfirst answer 99213\n> second?\nsecond answer 25"
    split = split_reply(text)
    assert split.body == "first answer 99213\nsecond answer 25"
    assert "> second?" in split.quoted


def test_signature_is_stripped() -> None:
    split = split_reply("Dx: K35.80\n\n-- \nAnn Coder\nClinic billing\n555-0100")
    assert split.body == "Dx: K35.80"
    assert "Ann Coder" in split.quoted


def test_long_text_after_bare_dashes_is_kept() -> None:
    text = "Part one\n--\n" + "\n".join(f"line {i}" for i in range(20))
    assert split_reply(text).body == text


def test_mobile_footer_is_stripped() -> None:
    assert split_reply("Code 44970?\n\nSent from my iPhone").body == "Code 44970?"


def test_other_language_wrote_lines() -> None:
    assert split_reply("Hallo\n\nAm 03.04.2012 um 16:19 schrieb Bob <b@x.de>:\n> Hi").body == "Hallo"
    assert split_reply("Bonjour\n\nLe 3 avr. 2012 à 16:19, Bob <b@x.fr> a écrit :\n> Salut").body == "Bonjour"


def test_find_forward_strips_the_forwarded_headers() -> None:
    fwd = find_forward("FYI\n\n---------- Forwarded message ---------\nFrom: a@b.example\nDate: x\nSubject: y\nTo: c@d.example\n\nPROCEDURE: x")
    assert fwd is not None
    assert (fwd.own, fwd.forwarded) == ("FYI", "PROCEDURE: x")
    assert find_forward(OP_NOTE) is None


def test_addresses_are_read_strictly_and_unsafe_ones_refuse_the_mail() -> None:
    # issue 9: an encoded CR/LF in Reply-To added '_victim3@evil.example?=' as a recipient
    case = parse_message(raw("From: coder@clinic.example\nReply-To: =?utf-8?q?x=0D=0A?=_victim3@evil.example?="))
    assert case.reply_to == () and case.address_problems == ("encoded CR/LF or control character in Reply-To",)
    case = parse_message(raw("From: coder@clinic.example\nReply-To: =?utf-8?q?a=0D=0Ab?= <victim@evil.example>"))
    assert case.reply_to == () and case.address_problems
    # an encoded word is never read as (part of) the address
    case = parse_message(raw("From: =?utf-8?q?coder@clinic.example?= <evil@evil.example>"))
    assert case.sender == "evil@evil.example" and not case.address_problems
    case = parse_message(raw("From: =?utf-8?q?coder=40clinic.example?="))
    assert case.sender == "" and "could not be read" in " ".join(case.notes)
    case = parse_message(raw("From: =?utf-8?q?coder?=@clinic.example"))
    assert case.sender == "" and case.address_problems == ("encoded word inside an address in From",)
    # two From headers, or two addresses in From: which one did authentication check?
    case = parse_message(raw("From: a@clinic.example\nFrom: b@evil.example"))
    assert case.address_problems == ("more than one From header",)
    case = parse_message(raw("From: a@clinic.example, b@evil.example"))
    assert case.sender == "" and case.address_problems == ("more than one address in From",)
    case = parse_message(raw("From: a@clinic.example\nReply-To: team@clinic.example, not-an-address"))
    assert case.address_problems == ("an entry of Reply-To is not an address",)
    # ordinary forms still read
    case = parse_message(raw("From: J. Smith <J.Smith@Clinic.example>\nReply-To: \"Desk, Coding\" <desk@clinic.example>"))
    assert (case.sender, case.sender_name, case.reply_to) == ("j.smith@clinic.example", "J. Smith",
                                                              ("desk@clinic.example",))
    assert case.address_problems == ()


def test_unsafe_address_is_refused_by_the_robot_rules() -> None:
    from consultant.mail.robots import SenderPolicy, skip_reason
    case = parse_message(raw("From: coder@clinic.example\nReply-To: =?utf-8?q?x=0D=0A?=_v@evil.example?=",
                             "CPT 44970 with 44950?"))
    reason = skip_reason(case, SenderPolicy("bot@clinic.example", ("clinic.example",)))
    assert reason == "refused: encoded CR/LF or control character in Reply-To"


@pytest.mark.parametrize("value", [
    "coder@clinic.example =?utf-8?q?=0D=0A?= <evil@evil.example>",      # was read as coder@clinic.example
    "=?utf-8?q?coder@clinic.example=0D=0A?= <evil@evil.example>",        # was read as the encoded word itself
    "=?utf-8?q?=0D=0A?=coder@clinic.example",
    "=?utf-8?q?evil=0A?= <evil@evil.example>, coder@clinic.example",
])
def test_encoded_from_is_never_misread_as_an_allowed_sender(value: str) -> None:
    case = parse_message(raw(f"From: {value}"))
    assert case.sender == "" and case.address_problems
