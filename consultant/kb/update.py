"""`consultant kb update`: download the configured releases, check them, build, swap in.

Each configured URL ([kb.update_urls], kind -> URL) is downloaded into a temp directory next
to the knowledge base, checked (a sound zip holding the members the importer expects, its
SHA-256 recorded) and then imported by `build_kb` into a new file that replaces the old one
atomically. Any failure — network, a corrupt or unexpected archive, a file not in the
published layout — stops the update before the swap: the knowledge base in use keeps
answering. A key may carry a suffix to name several files of one kind
(`ncci_ptp_f1`, `ncci_ptp_f2`, ...); the kind is the longest known prefix.

The defaults below are the publishers' own download locations for the releases this version
was built against; the file names change with every release, so check the page named beside
each and set [kb.update_urls] to the current links.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from consultant.errors import KnowledgeBaseError, UsageError
from consultant.kb.build import KINDS, BuildReport, build_kb, default_icd10cm_xml

log = logging.getLogger(__name__)

DEFAULT_UPDATE_URLS: dict[str, str] = {
    # CMS, https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update
    "hcpcs": "https://www.cms.gov/files/zip/july-2026-alpha-numeric-hcpcs-file.zip",
    # CMS, https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits/medicare-ncci-procedure-procedure-ptp-edits
    "ncci_ptp_f1": "https://www.cms.gov/files/zip/medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f1.zip",
    "ncci_ptp_f2": "https://www.cms.gov/files/zip/medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f2.zip",
    "ncci_ptp_f3": "https://www.cms.gov/files/zip/medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f3.zip",
    "ncci_ptp_f4": "https://www.cms.gov/files/zip/medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f4.zip",
    # CMS, https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits/medicare-ncci-medically-unlikely-edits
    "mue": "https://www.cms.gov/files/zip/medicare-ncci-2026-q3-practitioner-services-mue-table.zip",
    # CMS, https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits/medicare-ncci-add-code-edits
    "addon": "https://www.cms.gov/files/zip/medicare-ncci-2026q3-add-code-edits.zip",
    # CDC NCHS, https://www.cdc.gov/nchs/icd/icd-10-cm/files.html (tabular, index and order files)
    "icd10cm_tabular": "https://ftp.cdc.gov/pub/Health_Statistics/NCHS/Publications/ICD10CM/2026-Update/"
                       "icd10cm-table-index-April-2026.zip",
}

# What an archive of each kind must hold (member base names); ICD archives are unpacked and
# each member handed to its importer, the others are read straight from the archive.
MEMBERS: dict[str, re.Pattern[str]] = {
    "hcpcs": re.compile(r"HCPC\d{4}.*ANWEB.*\.txt$", re.I),
    "ncci_ptp": re.compile(r"cci\w*-v\d{3}r\d+.*\.txt$", re.I),
    "mue": re.compile(r"MUE.*Practitioner.*\.csv$", re.I),
    "addon": re.compile(r"AOC.*\.(txt|csv)$", re.I),
    "cpt_licensed": re.compile(r"(LONG|MED|SHORT|CONSUMER).*\.txt$", re.I),
    "icd10cm_tabular": re.compile(r"tabular.*\.xml$", re.I),
    "icd10cm_index": re.compile(r"^icd10cm[_-]index.*\.xml$", re.I),
    "icd10cm_order": re.compile(r"order.*\.txt$", re.I),
}
ICD_KINDS = ("icd10cm_tabular", "icd10cm_index", "icd10cm_order")
MAX_BYTES = 2 << 30
TIMEOUT = 120

Fetch = Callable[[str], BinaryIO]


@dataclass(frozen=True)
class Download:
    key: str
    kind: str
    url: str
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class UpdateReport:
    downloads: tuple[Download, ...]
    build: BuildReport


def kind_of(key: str) -> str:
    """'ncci_ptp_f2' -> 'ncci_ptp'; UsageError for keys that name no importer."""
    matches = [k for k in KINDS if key == k or key.startswith((k + "_", k + "."))]
    if not matches:
        raise UsageError(f"[kb.update_urls] key {key!r} names no data set kind: use one of {', '.join(KINDS)}")
    return max(matches, key=len)


def _urlopen(url: str) -> BinaryIO:
    request = urllib.request.Request(url, headers={"User-Agent": "CaseConsultant kb update"})
    return urllib.request.urlopen(request, timeout=TIMEOUT)


def download(key: str, url: str, directory: Path, fetch: Fetch = _urlopen) -> Download:
    """Stream `url` into `directory`, hashing as it goes; KnowledgeBaseError on failure."""
    kind = kind_of(key)
    name = Path(urllib.request.url2pathname(url.rsplit("/", 1)[-1].split("?")[0])).name or f"{key}.download"
    target = directory / key / name
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    try:
        with fetch(url) as response, open(target, "wb") as out:
            while block := response.read(1 << 20):
                size += len(block)
                if size > MAX_BYTES:
                    raise KnowledgeBaseError(f"{url} is larger than {MAX_BYTES} bytes: is that the right link?")
                digest.update(block)
                out.write(block)
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise KnowledgeBaseError(
            f"downloading {key} from {url} failed ({e}); the knowledge base in use was left untouched. "
            "Check the link in [kb.update_urls] and the network."
        ) from e
    log.info("downloaded %s: %s (%d bytes, sha256 %s)", key, url, size, digest.hexdigest())
    return Download(key, kind, url, target, digest.hexdigest(), size)


def check(item: Download) -> list[tuple[str, Path]]:
    """The (kind, path) sources a download yields; KnowledgeBaseError when it is not sound."""
    path = item.path
    looks_zip = path.suffix.lower() == ".zip" or zipfile.is_zipfile(path)
    if not looks_zip:
        with open(path, "rb") as f:
            head = f.read(512).lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")):
            raise KnowledgeBaseError(
                f"{item.url} returned a web page, not a release file: set [kb.update_urls] {item.key} "
                "to the archive link on that page"
            )
        return [(item.kind, path)]
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise KnowledgeBaseError(f"{item.url}: member {bad} fails its CRC check (corrupt download)")
            names = [n for n in zf.namelist() if not n.endswith("/")]
            kinds = ICD_KINDS if item.kind in ICD_KINDS else (item.kind,)
            sources: list[tuple[str, Path]] = []
            for kind in kinds:
                wanted = [n for n in names if MEMBERS[kind].search(n.rsplit("/", 1)[-1])]
                if not wanted:
                    if kind == item.kind:
                        raise KnowledgeBaseError(
                            f"{item.url} holds no file a {kind} release should hold "
                            f"(looked for {MEMBERS[kind].pattern}; found {', '.join(names[:6]) or 'nothing'})"
                        )
                    continue
                if item.kind in ICD_KINDS:
                    member = sorted(wanted)[0]
                    out = path.parent / member.rsplit("/", 1)[-1]
                    with zf.open(member) as src, open(out, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    sources.append((kind, out))
                else:
                    sources.append((kind, path))
            return sources
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise KnowledgeBaseError(
            f"{item.url} is not a readable zip archive ({e}); the knowledge base in use was left untouched"
        ) from e


def update_kb(kb_path: Path, urls: Mapping[str, str] | None = None, *, fetch: Fetch = _urlopen,
              data_dir: Path | None = None, progress: bool = False) -> UpdateReport:
    """Download, check, import into a new file and swap it onto `kb_path`.

    When no ICD-10-CM tabular file is configured, the one shipped with simple-icd-10-cm is used.
    """
    urls = dict(urls or DEFAULT_UPDATE_URLS)
    kb_path = Path(kb_path)
    kb_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{kb_path.name}.download.", dir=kb_path.parent) as tmp:
        downloads = tuple(download(key, url, Path(tmp), fetch) for key, url in sorted(urls.items()))
        sources: list[tuple[str, Path]] = []
        for item in downloads:
            sources.extend(check(item))
        if not any(kind == "icd10cm_tabular" for kind, _ in sources):
            sources.append(("icd10cm_tabular", default_icd10cm_xml()))
        meta = {f"download:{d.key}": f"{d.url} sha256={d.sha256} bytes={d.size}" for d in downloads}
        report = build_kb(kb_path, sources, progress=progress, data_dir=data_dir, meta=meta)
    return UpdateReport(downloads=downloads, build=report)


def file_identity(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime ns, size): a daemon re-opens its CodeBook when this changes after an update."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)
