"""Text of the files attached to a case: PDF, DOCX, plain text, HTML, Outlook winmail.dat
(TNEF) and the supported files inside a ZIP archive.

Every reader is bounded by `ParseLimits` (bytes, PDF pages, characters, decompression
ratio) so a hostile file costs little, and none of them raises: a part that is not read, or
read only in part, comes back with `Attachment.note`, one short line the reply can show
("not read: image/png", "scanned PDF without text: not read"). Notes never hold file text.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import re
import warnings
import zipfile
from dataclasses import dataclass

from consultant.mail.case import Attachment, ParseLimits

log = logging.getLogger(__name__)

DEFAULT_LIMITS = ParseLimits()
TNEF_MAGIC = b"\x78\x9f\x3e\x22"
_MAX_DEPTH = 2                       # winmail.dat inside a zip, a file inside winmail.dat
_PYPDF_CAP = 75_000_000              # pypdf's own default ceiling for decompressed streams

_GENERIC = {"", "application/octet-stream", "application/x-download", "binary/octet-stream",
            "application/octetstream", "application/unknown", "application/force-download"}
_PDF_TYPES = {"application/pdf", "application/x-pdf", "application/acrobat"}
_DOCX_TYPES = {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
_TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}
_ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip"}
_TEXT_TYPES = {"text/plain", "text/csv", "text/markdown", "text/x-markdown", "text/tab-separated-values"}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_EXTENSIONS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain",
    "text": "text/plain",
    "csv": "text/csv",
    "md": "text/markdown",
    "htm": "text/html",
    "html": "text/html",
    "zip": "application/zip",
    "dat": "",                       # winmail.dat: decided by its magic number
    "doc": "application/msword",
    "rtf": "application/rtf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "tif": "image/tiff",
    "tiff": "image/tiff",
}


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def sniff_type(data: bytes, filename: str, declared: str) -> str:
    """The content type to read a part as: magic bytes first, then a generic declared type
    corrected by the file extension (mail clients often send application/octet-stream)."""
    if data.startswith(b"%PDF") or (b"%PDF-" in data[:1024] and declared in _PDF_TYPES | {"application/octet-stream"}):
        return "application/pdf"
    if data.startswith(TNEF_MAGIC):
        return "application/ms-tnef"
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    if data.startswith(b"PK\x03\x04") and declared not in _DOCX_TYPES:
        if ext == "docx":
            return _EXTENSIONS["docx"]
        if ext in ("zip", "") or declared in _ZIP_TYPES:
            return "application/zip"
        return declared
    if declared in _GENERIC:
        if _EXTENSIONS.get(ext):
            return _EXTENSIONS[ext]
        guessed = mimetypes.guess_type("x." + ext, strict=False)[0] if ext else None
        if guessed and guessed not in _GENERIC:
            return guessed
        if _looks_like_text(data):
            return "text/plain"
        return "application/octet-stream"
    return declared


def _looks_like_text(data: bytes) -> bool:
    """Unlabelled files (README, notes.dat) that are plainly text: no NUL, mostly printable."""
    head = data[:4096]
    if not head or b"\x00" in head:
        return False
    try:
        sample = head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:
            sample = head.decode("cp1252", errors="replace")
        else:
            sample = head[: e.start].decode("utf-8", errors="replace")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in sample)
    return printable >= 0.95 * len(sample)


def decode_text(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Bytes to text with the declared charset; an unknown or wrong charset never raises.

    Returns (text, note): note says what fallback was used, None when the charset fit.

    >>> decode_text(b"caf\\xe9", "x-unknown")
    ('café', "unknown charset 'x-unknown': read as windows-1252")
    """
    name = (charset or "").strip().strip('"').lower()
    codec = None
    if name:
        codec = _codec(name)
    if codec is not None:
        try:
            return data.decode(codec), None
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        text = data.decode("utf-8")
        fallback = "utf-8"
    except UnicodeDecodeError:
        if codec is not None and codec not in ("ascii", "us-ascii"):
            return data.decode(codec, errors="replace"), f"charset {name!r}: some characters could not be decoded"
        text = data.decode("cp1252", errors="strict") if _cp1252_ok(data) else data.decode("latin-1")
        fallback = "windows-1252" if _cp1252_ok(data) else "latin-1"
    if not name or codec in ("ascii",) or (fallback == "utf-8" and codec is not None):
        # no charset, or 8-bit bytes under a us-ascii label: the usual sloppiness, no note
        return text, None
    return text, f"unknown charset {name!r}: read as {fallback}"


_ALIASES = {
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "x-unknown": "",
    "unknown-8bit": "",
    "iso-8859-8-i": "iso-8859-8",
    "ks_c_5601-1987": "cp949",
    "x-sjis": "shift_jis",
    "windows-874": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-mac-roman": "mac_roman",
}


def _codec(name: str) -> str | None:
    import codecs

    name = _ALIASES.get(name, name)
    if not name:
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    if info.name in ("ascii",):
        return "ascii"
    # text codecs only: 'rot13', 'base64' and friends are not charsets
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _cp1252_ok(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def html_to_text(html: str) -> str:
    """HTML to readable text with inscriptis (keeps table layout); never raises."""
    if not html.strip():
        return ""
    try:
        from inscriptis import get_text  # type: ignore[import-untyped]

        return get_text(html)
    except Exception as e:  # noqa: BLE001 - lxml rejects some documents (empty, odd bytes)
        log.debug("inscriptis failed (%s); falling back to tag stripping", type(e).__name__)
        import html as htmllib

        text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", html)
        text = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>|</tr\s*>", "\n", text)
        return htmllib.unescape(re.sub(r"<[^>]*>", " ", text))


def _cap(text: str, limits: ParseLimits) -> tuple[str, str | None]:
    text = text.replace("\x00", "")
    if len(text) > limits.max_text_chars:
        return text[: limits.max_text_chars], f"text cut after {limits.max_text_chars} characters"
    return text, None


@dataclass(frozen=True)
class _Read:
    text: str = ""
    note: str | None = None


def _read_pdf(data: bytes, limits: ParseLimits) -> _Read:
    import pypdf
    from pypdf.errors import PdfReadError

    cap = min(_PYPDF_CAP, max(1024 * 1024, len(data) * limits.max_archive_ratio))
    bounds = {
        "zlib_maximum_output_length": cap,
        "lzw_maximum_output_length": cap,
        "run_length_maximum_output_length": cap,
        "brotli_maximum_output_length": cap,
        "array_based_stream_maximum_output_length": cap,
        "maximum_declared_stream_length": cap,
        "stream_decoding_work_maximum_length": cap * 4,
    }
    try:
        with pypdf.apply_configuration(None, **bounds), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                try:
                    if not reader.decrypt(""):
                        return _Read(note="password-protected PDF: not read")
                except Exception:  # noqa: BLE001 - unsupported encryption algorithms
                    return _Read(note="password-protected PDF: not read")
            total = len(reader.pages)
            pages = min(total, limits.max_pdf_pages)
            chunks: list[str] = []
            size = 0
            for i in range(pages):
                chunk = reader.pages[i].extract_text() or ""
                chunks.append(chunk)
                size += len(chunk)
                if size > limits.max_text_chars:
                    break
    except Exception as e:  # noqa: BLE001 - pypdf raises many types on hostile files
        if "limit" in type(e).__name__.lower() or "limit" in str(e).lower():
            return _Read(note="PDF stopped by the decompression limit: not read")
        kind = "damaged PDF" if isinstance(e, PdfReadError | ValueError | KeyError) else "PDF"
        log.info("PDF not read: %s", type(e).__name__)
        return _Read(note=f"{kind} could not be read ({type(e).__name__})")
    text = "\n\n".join(c.strip() for c in chunks if c.strip())
    if not text.strip():
        return _Read(note="scanned PDF without text: not read")
    text, cut = _cap(text, limits)
    if cut:
        return _Read(text, f"PDF {cut}")
    if total > pages:
        return _Read(text, f"only the first {pages} of {total} PDF pages read")
    return _Read(text)


def rtf_to_text(data: bytes, limits: ParseLimits) -> _Read:
    """RTF to text with `striprtf` (optional; HTML wrapped in RTF then goes through inscriptis)."""
    try:
        from striprtf.striprtf import rtf_to_text as strip
    except ImportError:
        return _Read(note="rich-text (RTF) document: not read")
    try:
        text = strip(data[: limits.max_attachment_bytes].decode("latin-1"), errors="ignore")
    except Exception as e:  # noqa: BLE001 - malformed RTF
        return _Read(note=f"rich-text (RTF) document could not be read ({type(e).__name__})")
    if "\\fromhtml" in data[:2000].decode("latin-1") or re.search(r"(?i)<(html|body|p|div|br)\b", text[:5000]):
        text = html_to_text(text)
    text, cut = _cap(text.strip(), limits)
    return _Read(text, f"RTF {cut}" if cut else None)


def _zip_guard(zf: zipfile.ZipFile, size: int, limits: ParseLimits) -> str | None:
    """Refuse archives that expand too much (declared sizes bound what zipfile will read)."""
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    if total > limits.max_attachment_bytes * 4:
        return f"not read: archive expands to {_mb(total)}"
    if total > max(size, 1) * limits.max_archive_ratio:
        return f"not read: archive expands {total // max(size, 1)} times (over the limit of {limits.max_archive_ratio})"
    return None


def _read_docx(data: bytes, limits: ParseLimits) -> _Read:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            refused = _zip_guard(zf, len(data), limits)
            if refused:
                return _Read(note=refused)
        import docx

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            document = docx.Document(io.BytesIO(data))
        parts = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                cells: list[str] = []
                for cell in row.cells:
                    if not cells or cells[-1] != cell.text:     # merged cells repeat
                        cells.append(cell.text)
                parts.append(" | ".join(cells))
    except Exception as e:  # noqa: BLE001 - python-docx / zipfile on damaged files
        log.info("DOCX not read: %s", type(e).__name__)
        return _Read(note=f"Word document could not be read ({type(e).__name__})")
    text = "\n".join(p for p in parts if p.strip())
    if not text.strip():
        return _Read(note="Word document without text")
    text, cut = _cap(text, limits)
    return _Read(text, f"Word document {cut}" if cut else None)


def _read_plain(data: bytes, charset: str | None, limits: ParseLimits, html: bool) -> _Read:
    text, note = decode_text(data, charset)
    if html:
        text = html_to_text(text[: limits.max_text_chars * 10])
    text, cut = _cap(text, limits)
    notes = "; ".join(n for n in (note, cut) if n)
    return _Read(text, notes or None)


def read_attachment(
    data: bytes,
    filename: str,
    content_type: str,
    limits: ParseLimits = DEFAULT_LIMITS,
    *,
    charset: str | None = None,
    depth: int = 0,
) -> tuple[Attachment, ...]:
    """Read one attached file; a TNEF or ZIP file gives itself and then its members.

    >>> read_attachment(b"\\x89PNG...", "scan.png", "image/png")[0].note
    'not read: image/png'
    """
    declared = (content_type or "application/octet-stream").lower()
    kind = sniff_type(data, filename, declared)
    size = len(data)

    def one(read: _Read, ctype: str = kind) -> tuple[Attachment, ...]:
        return (Attachment(filename=filename, content_type=ctype, size=size, text=read.text, note=read.note),)

    if size > limits.max_attachment_bytes:
        return one(_Read(note=f"not read: larger than {_mb(limits.max_attachment_bytes)}"))
    if kind in _TNEF_TYPES or (filename.lower() == "winmail.dat" and data.startswith(TNEF_MAGIC)):
        return read_tnef(data, filename, limits, depth=depth)
    if kind in _PDF_TYPES:
        return one(_read_pdf(data, limits))
    if kind in _DOCX_TYPES:
        return one(_read_docx(data, limits))
    if kind in _TEXT_TYPES or (kind.startswith("text/") and kind not in _HTML_TYPES | {"text/rtf"}):
        return one(_read_plain(data, charset, limits, html=False))
    if kind in _HTML_TYPES:
        return one(_read_plain(data, charset, limits, html=True))
    if kind in _ZIP_TYPES:
        return read_zip(data, filename, limits, depth=depth)
    if kind in ("application/rtf", "text/rtf"):
        return one(rtf_to_text(data, limits), kind)
    return one(_Read(note=f"not read: {kind}"))


def read_zip(data: bytes, filename: str, limits: ParseLimits, *, depth: int = 0) -> tuple[Attachment, ...]:
    """The supported files inside a ZIP archive (one level deep), each bounded by the limits."""
    def head(note: str | None) -> Attachment:
        return Attachment(filename=filename, content_type="application/zip", size=len(data), note=note)

    if depth >= _MAX_DEPTH:
        return (head("not read: archive nested too deep"),)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            refused = _zip_guard(zf, len(data), limits)
            if refused:
                return (head(refused),)
            out: list[Attachment] = []
            members = [i for i in zf.infolist() if not i.is_dir()]
            for info in members[: limits.max_attachments]:
                with zf.open(info) as f:
                    member = f.read(limits.max_attachment_bytes + 1)
                name = info.filename.rpartition("/")[2] or info.filename
                out.extend(read_attachment(member, name, "application/octet-stream", limits, depth=depth + 1))
            skipped = len(members) - limits.max_attachments
    except Exception as e:  # noqa: BLE001 - damaged, encrypted or unsupported archives
        log.info("ZIP not read: %s", type(e).__name__)
        return (head(f"archive could not be read ({type(e).__name__})"),)
    note = f"only the first {limits.max_attachments} files of the archive read" if skipped > 0 else None
    return (head(note), *out)


class _Insane(Exception):
    """A TNEF count that would make tnefparse loop or allocate without bound."""


class _Stop(Exception):
    """Where tnefparse itself would stop reading a property list (short data)."""


_MAX_TNEF_VALUES = 50_000
_FIXED = {0x0002: 2, 0x000B: 2, 0x0003: 4, 0x0004: 4, 0x000A: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8,
          0x0014: 8, 0x0040: 8, 0x0048: 16}
_VARIABLE = {0x001E, 0x001F, 0x000D, 0x0102, 0x0000}
_IMESSAGE_SIG = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"


def _u(data: bytes, offset: int, size: int) -> int:
    if offset + size > len(data) or offset < 0:
        raise _Stop
    return int.from_bytes(data[offset:offset + size], "little")


def _mapi_walk(data: bytes, offset: int, depth: int, budget: list[int]) -> int:
    """Mirror of tnefparse 1.4 `decode_mapi`, checking every count against the bytes left
    (tnefparse trusts them: a forged multi-value count of 2**32 eats all memory)."""
    n = len(data)
    count = _u(data, offset, 4)
    offset += 4
    if count > (n - offset) // 4 + 1:
        raise _Insane
    try:
        for _ in range(count):
            if offset >= n:
                break
            attr_type, attr_name = _u(data, offset, 2), _u(data, offset + 2, 2)
            offset += 4
            if attr_name >= 0x8000:
                offset += 16
                kind = _u(data, offset, 4)
                offset += 4
                if kind == 0:
                    offset += 4
                else:
                    length = _u(data, offset, 4)
                    offset += 4 + length + (-length % 4)
            values = None
            if attr_type & 0x1000:
                attr_type ^= 0x1000
                values = _u(data, offset, 4)
                offset += 4
            repeat = values or 1
            if attr_type in _FIXED:
                if repeat * _FIXED[attr_type] > n - offset + _FIXED[attr_type]:
                    raise _Insane
                offset += repeat * _FIXED[attr_type]
            elif attr_type in _VARIABLE:
                if repeat * 4 > n - offset + 4:
                    raise _Insane
                for _ in range(repeat):
                    items = 1 if values else _u(data, offset, 4)
                    if not values:
                        offset += 4
                    if items * 4 > n - offset + 4:
                        raise _Insane
                    for _ in range(items):
                        length = _u(data, offset, 4)
                        offset += 4
                        item = data[offset:offset + length + (-length % 4)]
                        if attr_name == 0x3701 and item.startswith(_IMESSAGE_SIG):
                            _tnef_walk(item[len(_IMESSAGE_SIG):], depth + 1, budget)
                        offset += length + (-length % 4)
                        budget[0] -= 1
            else:
                break                                   # tnefparse stops at unknown types
            budget[0] -= repeat
            if budget[0] < 0:
                raise _Insane
            if repeat % 2 and attr_type in (0x0002, 0x000B):
                offset += 2
    except _Stop:
        pass
    return offset


def _tnef_walk(data: bytes, depth: int, budget: list[int]) -> None:
    if depth > 3:
        raise _Insane
    offset = 6
    while offset + 12 < len(data):
        rest = data[offset:offset + 9]
        name = int.from_bytes(rest[1:3], "little")
        length = min(len(data) - offset, int.from_bytes(rest[5:9], "little") + 11)
        body = data[offset + 9:offset + length - 2]
        try:
            if name in (0x9003, 0x9005):
                _mapi_walk(body, 0, depth, budget)
            elif name == 0x9004:
                rows = _u(body, 0, 4)
                if rows > len(body) // 4:
                    raise _Insane
                at = 4
                for _ in range(rows):
                    at = _mapi_walk(body, at, depth, budget)
        except _Stop:
            pass
        offset += length


def tnef_is_sane(data: bytes) -> bool:
    """False when a winmail.dat carries counts that would make tnefparse run away."""
    try:
        _tnef_walk(data, 0, [_MAX_TNEF_VALUES])
    except _Insane:
        return False
    return True


def read_tnef(data: bytes, filename: str, limits: ParseLimits, *, depth: int = 0) -> tuple[Attachment, ...]:
    """Outlook's winmail.dat: its message body (plain, else HTML) and its attached files."""
    import tnefparse  # type: ignore[import-untyped]

    ctype = "application/ms-tnef"
    if not tnef_is_sane(data):
        return (Attachment(filename, ctype, len(data), note="damaged Outlook winmail.dat: not read"),)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tnef = tnefparse.TNEF(data, do_checksum=False)
    except Exception as e:  # noqa: BLE001 - tnefparse raises ValueError, struct.error, ...
        log.info("TNEF not read: %s", type(e).__name__)
        return (Attachment(filename, ctype, len(data), note=f"Outlook winmail.dat could not be read ({type(e).__name__})"),)
    text, note = "", None
    body, htmlbody = tnef.body, tnef.htmlbody
    if body:
        text, note = decode_text(body, "cp1252") if isinstance(body, bytes) else (str(body), None)
    elif htmlbody:
        html = decode_text(htmlbody, "utf-8")[0] if isinstance(htmlbody, bytes) else str(htmlbody)
        text = html_to_text(html)
    elif getattr(tnef, "_rtfbody", None):
        try:
            rtf = tnef.rtfbody
        except Exception:  # noqa: BLE001 - damaged compressed RTF
            rtf = None
        if isinstance(rtf, bytes) and rtf.lstrip().startswith(b"{\\rtf"):
            read = rtf_to_text(rtf, limits)
            text, note = read.text, read.note
        else:
            note = "Outlook rich-text (RTF) body: not read"
    text = text.replace("\x00", "").strip()
    text, cut = _cap(text, limits)
    inner = list(tnef.attachments)
    if not text and not note and not inner:
        note = "Outlook winmail.dat without readable text"
    out = [Attachment(filename, ctype, len(data), text=text, note="; ".join(n for n in (note, cut) if n) or None)]
    for att in inner[: limits.max_attachments]:
        try:
            name = att.long_filename() or att.name or "attachment"
            if isinstance(name, bytes):
                name = name.decode("utf-8", errors="replace")
            payload = att.data if isinstance(att.data, bytes) else b""
        except Exception as e:  # noqa: BLE001 - odd MAPI properties
            out.append(Attachment("attachment", "application/octet-stream", 0, note=f"not read ({type(e).__name__})"))
            continue
        name = clean_filename(str(name))
        if depth >= _MAX_DEPTH:
            out.append(Attachment(name, "application/octet-stream", len(payload), note="not read: nested too deep"))
            continue
        out.extend(read_attachment(payload, name, "application/octet-stream", limits, depth=depth + 1))
    if len(inner) > limits.max_attachments:
        out.append(Attachment(filename, ctype, 0, note=f"{len(inner) - limits.max_attachments} more files in winmail.dat not read"))
    return tuple(out)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def clean_filename(name: str) -> str:
    """A file name fit for a log-free reply line: no control characters, no path."""
    name = _CONTROL.sub(" ", name).strip().strip("\x00")
    name = name.replace("\\", "/").rpartition("/")[2].strip()
    return name[:255]
