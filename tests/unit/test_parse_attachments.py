"""Attachment readers: PDF, DOCX, text, HTML, RTF, ZIP, TNEF, and the limits that stop bombs."""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from email.message import EmailMessage
from pathlib import Path

import pytest

from consultant.mail.attachments import decode_text, read_attachment, sniff_type
from consultant.mail.case import ParseLimits
from consultant.mail.parse import parse_message

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "email-corpus"


def make_pdf(pages: list[str], *, padding: int = 0) -> bytes:
    """A minimal PDF with one Helvetica text line per page line ('' = a page with only a
    filled rectangle, like a scan). `padding` appends that many spaces to the first page's
    content stream and Flate-compresses it: a decompression bomb when large."""
    objs: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        ("<< /Type /Pages /Kids [{}] /Count {} >>".format(" ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages))), len(pages))).encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, text in enumerate(pages):
        objs.append((f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                     f"/Contents {5 + 2 * i} 0 R >>").encode())
        if text:
            ops = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) Tj T*" for line in text.split("\n")) + " ET"
        else:
            ops = "0 0 1 rg 72 72 200 200 re f"
        data = ops.encode("latin-1")
        if padding and i == 0:
            data = zlib.compress(data + b" " * padding, 9)
            objs.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream")
        else:
            objs.append(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    if table:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def zipped(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def one(data: bytes, name: str, ctype: str, limits: ParseLimits | None = None, **kw: object):  # type: ignore[no-untyped-def]
    got = read_attachment(data, name, ctype, limits or ParseLimits(), **kw)  # type: ignore[arg-type]
    assert len(got) == 1
    return got[0]


# --- PDF ---------------------------------------------------------------------------------


def test_pdf_text_is_read() -> None:
    att = one(make_pdf(["PROCEDURE: lap appy 44970", "Dx: K35.80"]), "note.pdf", "application/pdf")
    assert "PROCEDURE: lap appy 44970" in att.text
    assert "K35.80" in att.text
    assert att.note is None


def test_pdf_sent_as_octet_stream_is_still_read() -> None:
    att = one(make_pdf(["Dx: K35.80"]), "note.pdf", "application/octet-stream")
    assert att.content_type == "application/pdf"
    assert "K35.80" in att.text


def test_scanned_pdf_without_text_gets_a_note() -> None:
    att = one(make_pdf(["", ""]), "scan.pdf", "application/pdf")
    assert att.text == ""
    assert att.note == "scanned PDF without text: not read"


def test_pdf_page_limit() -> None:
    att = one(make_pdf([f"page {i}" for i in range(6)]), "long.pdf", "application/pdf", ParseLimits(max_pdf_pages=2))
    assert "page 0" in att.text and "page 1" in att.text and "page 2" not in att.text
    assert att.note == "only the first 2 of 6 PDF pages read"


def test_pdf_decompression_bomb_is_stopped() -> None:
    bomb = make_pdf(["bomb"], padding=20_000_000)
    assert len(bomb) < 100_000
    att = one(bomb, "bomb.pdf", "application/pdf")
    assert att.text == ""
    assert att.note is not None and "limit" in att.note


def test_damaged_pdf_gets_a_note() -> None:
    att = one(b"%PDF-1.4\n1 0 obj << /Type /Catalog", "broken.pdf", "application/pdf")
    assert att.text == ""
    assert att.note is not None and "could not be read" in att.note


# --- DOCX, text, HTML, RTF ---------------------------------------------------------------


def test_docx_paragraphs_and_tables() -> None:
    data = make_docx(["PROCEDURE: colectomy 44140"], [["CPT", "44320"], ["Dx", "K57.20"]])
    att = one(data, "note.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert "PROCEDURE: colectomy 44140" in att.text
    assert "CPT | 44320" in att.text
    assert att.note is None


def test_docx_bomb_is_refused() -> None:
    data = zipped({"[Content_Types].xml": b"<x/>", "word/document.xml": b" " * 5_000_000})
    att = one(data, "bomb.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert att.text == ""
    assert att.note is not None and "expands" in att.note


def test_text_attachment_with_unknown_charset() -> None:
    att = one(b"Sj\xf6gren", "n.txt", "text/plain", charset="x-bogus")
    assert att.text == "Sjögren"
    assert att.note is not None and "x-bogus" in att.note


def test_html_attachment() -> None:
    att = one(b"<html><body><h1>Op note</h1><p>Dx: K35.80</p><script>evil()</script></body></html>", "n.html", "text/html")
    assert "Dx: K35.80" in att.text and "evil" not in att.text


def test_rtf_attachment() -> None:
    pytest.importorskip("striprtf")        # optional dependency, see consultant/mail/attachments.py
    att = one(rb"{\rtf1\ansi{\fonttbl\f0\fswiss Helvetica;}\f0\pard PROCEDURE: appy 44970\par}", "n.rtf", "application/rtf")
    assert "PROCEDURE: appy 44970" in att.text


def test_unlabelled_text_file_is_read() -> None:
    att = one(b"Dx: K35.80\nplain words\n", "README", "application/octet-stream")
    assert att.text.startswith("Dx: K35.80")


@pytest.mark.parametrize(("name", "ctype", "expected"), [
    ("scan.png", "image/png", "not read: image/png"),
    ("photo.jpg", "application/octet-stream", "not read: image/jpeg"),
    ("old.doc", "application/msword", "not read: application/msword"),
    ("blob.bin", "application/octet-stream", "not read: application/octet-stream"),
])
def test_other_types_get_not_read_notes(name: str, ctype: str, expected: str) -> None:
    data = b"\x89PNG\r\n\x1a\n\x00\x00" if "png" in name else b"\xff\xd8\xff\x00\x01\x02" if "jpg" in name else b"\x00\x01\x02\x03"
    att = one(data, name, ctype)
    assert att.text == ""
    assert att.note == expected


def test_oversized_attachment_is_not_read() -> None:
    att = one(b"x" * 2048, "big.txt", "text/plain", ParseLimits(max_attachment_bytes=1024))
    assert att.text == ""
    assert att.note == "not read: larger than 1 KB"


def test_text_attachment_cut_at_limit() -> None:
    att = one(b"a" * 5000, "long.txt", "text/plain", ParseLimits(max_text_chars=100))
    assert len(att.text) == 100
    assert att.note is not None and "cut" in att.note


# --- ZIP -----------------------------------------------------------------------------------


def test_zip_members_are_read() -> None:
    data = zipped({"notes/op.txt": b"PROCEDURE: 44970", "scan.pdf": make_pdf(["Dx: K35.80"]), "pic.png": b"\x89PNG\r\n\x1a\n"})
    got = read_attachment(data, "case.zip", "application/zip")
    assert [a.filename for a in got] == ["case.zip", "op.txt", "scan.pdf", "pic.png"]
    assert got[1].text == "PROCEDURE: 44970"
    assert "K35.80" in got[2].text
    assert got[3].note == "not read: image/png"


def test_zip_bomb_is_refused() -> None:
    data = zipped({"a.txt": b"0" * 20_000_000})
    assert len(data) < 100_000
    got = read_attachment(data, "bomb.zip", "application/zip")
    assert len(got) == 1
    assert got[0].note is not None and "expands" in got[0].note


def test_nested_zip_is_not_unpacked_forever() -> None:
    data = zipped({"a.zip": zipped({"b.zip": zipped({"c.txt": b"deep"})})})
    got = read_attachment(data, "outer.zip", "application/zip")
    assert any(a.note and "nested" in a.note for a in got)
    assert not any(a.text == "deep" for a in got)


def test_damaged_zip_gets_a_note() -> None:
    got = read_attachment(b"PK\x03\x04garbage", "x.zip", "application/zip")
    assert got[0].note is not None and "could not be read" in got[0].note


# --- TNEF ------------------------------------------------------------------------------------


def test_garbage_winmail_dat_gets_a_note() -> None:
    got = read_attachment(b"\x78\x9f\x3e\x22\x00\x00garbage", "winmail.dat", "application/ms-tnef")
    assert got[0].filename == "winmail.dat"
    assert got[0].note is not None


def test_not_tnef_at_all_gets_a_note() -> None:
    got = read_attachment(b"hello", "winmail.dat", "application/ms-tnef")
    assert got[0].note is not None and "winmail.dat" in got[0].note


def _corpus(name: str) -> bytes:
    path = CORPUS / name
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must run with shared/ beside the checkout")
        pytest.skip(f"{path} not present")
    return path.read_bytes()


def test_tnef_body_is_read() -> None:
    case = parse_message(_corpus("tnef__body.tnef.eml"))
    tnef = [a for a in case.attachments if a.filename == "winmail.dat"]
    assert tnef and "BILL OF RIGHTS" in tnef[0].text.upper()
    assert "BILL OF RIGHTS" in case.text.upper()


def test_tnef_attached_files_are_listed_and_read() -> None:
    case = parse_message(_corpus("tnef__two-files.tnef.eml"))
    names = [a.filename for a in case.attachments]
    assert names[:1] == ["winmail.dat"]
    assert {"AUTHORS", "README"} <= set(names)
    assert all(a.text for a in case.attachments if a.filename in ("AUTHORS", "README"))


def test_tnef_rtf_body_is_read() -> None:
    pytest.importorskip("striprtf")
    pytest.importorskip("compressed_rtf")
    case = parse_message(_corpus("tnef__rtf.tnef.eml"))
    assert "Greg" in case.attachments[0].text


# --- helpers ---------------------------------------------------------------------------------


def test_decode_text_fallbacks() -> None:
    assert decode_text(b"caf\xc3\xa9", None) == ("café", None)
    assert decode_text(b"caf\xe9", None) == ("café", None)
    text, note = decode_text(b"abc", "rot13")       # a codec, but not a charset
    assert text == "abc" and note is not None


def test_sniff_type() -> None:
    assert sniff_type(b"%PDF-1.7", "x.bin", "application/octet-stream") == "application/pdf"
    assert sniff_type(b"\x78\x9f\x3e\x22", "winmail.dat", "application/octet-stream") == "application/ms-tnef"
    assert sniff_type(b"PK\x03\x04", "n.docx", "application/octet-stream").endswith("wordprocessingml.document")


def test_pdf_attached_to_a_mail_is_part_of_the_case_text() -> None:
    msg = EmailMessage()
    msg["From"] = "a@clinic.example"
    msg.set_content("see attached")
    msg.add_attachment(make_pdf(["PROCEDURE: lap appy 44970"]), maintype="application", subtype="pdf", filename="op.pdf")
    case = parse_message(msg.as_bytes())
    assert case.body == "see attached"
    assert "44970" in case.text


def _mapi_object(props: bytes) -> bytes:
    """One TNEF object (level 1, attMAPIProps) holding a raw MAPI property list."""
    return b"\x01" + (0x9003).to_bytes(2, "little") + (6).to_bytes(2, "little") + len(props).to_bytes(4, "little") + props + b"\x00\x00"


def test_tnef_with_forged_multi_value_count_is_refused_quickly() -> None:
    # one property: multi-valued short (0x1002) claiming 2**32-1 values; tnefparse 1.4
    # would build billions of attribute objects from it
    props = (1).to_bytes(4, "little") + (0x1002).to_bytes(2, "little") + (0x3001).to_bytes(2, "little") + b"\xff\xff\xff\xff" + b"\x00" * 16
    data = b"\x78\x9f\x3e\x22" + b"\x00\x00" + _mapi_object(props) + b"\x00" * 16
    got = read_attachment(data, "winmail.dat", "application/ms-tnef")
    assert got[0].note == "damaged Outlook winmail.dat: not read"


def test_tnef_with_forged_property_count_is_refused() -> None:
    props = b"\xff\xff\xff\xff" + b"\x00" * 16
    data = b"\x78\x9f\x3e\x22" + b"\x00\x00" + _mapi_object(props) + b"\x00" * 16
    assert read_attachment(data, "winmail.dat", "application/ms-tnef")[0].note == "damaged Outlook winmail.dat: not read"
