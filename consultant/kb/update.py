"""`consultant kb update`: download the configured releases, check them, build, swap in.

Each configured URL ([kb.update_urls], kind -> URL) is downloaded into a temp directory next
to the knowledge base, checked (a sound zip holding the members the importer expects, its
SHA-256 recorded) and then imported by `build_kb` into a new file that replaces the old one
atomically. Any failure — network, a corrupt or unexpected archive, a file not in the
published layout — stops the update before the swap: the knowledge base in use keeps
answering. A key may carry a suffix to name several files of one kind
(`ncci_ptp_f1`, `ncci_ptp_f2`, ...); the kind is the longest known prefix.

Without [kb.update_urls], the newest release of each data set is found on the publishers'
listing pages named in `data/sources.toml` (landing page, listing page, file-name pattern).
`kb update --from DIR` takes the files from a directory instead, for servers without internet
access (an operator copies the archives, with a SHA256SUMS file if the publisher gives one).
DEFAULT_UPDATE_URLS below are example links of the kind [kb.update_urls] takes.
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
from consultant.kb.build import KINDS, BuildReport, add_defaults, build_kb
from consultant.kb.importers.base import sha256_of
from consultant.kb.sources import SOURCES_FILE, Source, discover, fiscal_year, load_sources, match_files

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
    "addon": re.compile(r"AOC.*\.(txt|csv|xlsx)$", re.I),
    "pfs": re.compile(r"^PPRRVU.*\.(csv|txt|xlsx)$", re.I),
    "icd10cm_addenda": re.compile(r"order.*addenda.*\.txt$", re.I),
    "cpt_licensed": re.compile(r"(LONG|MED|SHORT|CONSUMER).*\.txt$", re.I),
    "icd10cm_tabular": re.compile(r"tabular.*\.xml$", re.I),
    "icd10cm_index": re.compile(r"^icd10cm[_-]index.*\.xml$", re.I),
    "icd10cm_order": re.compile(r"^(?!.*addenda).*order.*\.txt$", re.I),
}
ICD_KINDS = ("icd10cm_tabular", "icd10cm_index", "icd10cm_order", "icd10cm_addenda")
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
    missing: tuple[str, ...] = ()      # sources whose listing showed no release file


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


def check(item: Download, unpack_dir: Path | None = None) -> list[tuple[str, Path]]:
    """The (kind, path) sources a download yields; KnowledgeBaseError when it is not sound.
    ICD-10-CM members are unpacked into `unpack_dir` (default: beside the archive)."""
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
            # addenda inside a tabular archive would need the release before it: not taken from there
            kinds = (tuple(k for k in ICD_KINDS if k != "icd10cm_addenda" or item.kind == k)
                     if item.kind in ICD_KINDS else (item.kind,))
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
                    out = (unpack_dir / item.key if unpack_dir else path.parent) / member.rsplit("/", 1)[-1]
                    out.parent.mkdir(parents=True, exist_ok=True)
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


def _local(key: str, path: Path) -> Download:
    """A file an operator copied (kb update --from DIR), hashed like a download."""
    digest = sha256_of(path)
    return Download(key, kind_of(key), path.as_uri(), path, digest, path.stat().st_size)


def _expected_sums(directory: Path) -> dict[str, str]:
    """File name -> SHA-256 from a SHA256SUMS file (or *.sha256 files) beside the releases."""
    sums: dict[str, str] = {}
    for listing in [directory / "SHA256SUMS", *sorted(directory.glob("*.sha256"))]:
        if listing.is_file():
            for line in listing.read_text(encoding="utf-8", errors="replace").splitlines():
                parts = line.split()
                if len(parts) >= 2 and re.fullmatch(r"[0-9a-fA-F]{64}", parts[0]):
                    sums[parts[-1].lstrip("*").rsplit("/", 1)[-1]] = parts[0].lower()
                elif len(parts) == 1 and re.fullmatch(r"[0-9a-fA-F]{64}", parts[0]):
                    sums[listing.name[: -len(".sha256")]] = parts[0].lower()
    return sums


def from_directory(directory: Path, sources: tuple[Source, ...]) -> list[Download]:
    """The newest release of each source found in `directory`, checked against SHA256SUMS."""
    if not directory.is_dir():
        raise UsageError(f"--from {directory}: not a directory")
    found = match_files(sources, directory)
    # files unpacked from the archives (MCR_MUE_...csv, PPRRVU...csv, AOC_...xlsx) by their own names
    taken = {p for paths in found.values() for p in paths}
    kinds_found = {s.kind for s in sources if s.key in found}
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and p not in taken):
        kind = next((k for k, rx in MEMBERS.items() if rx.search(path.name)), None)
        if kind is not None and kind in KINDS and kind not in kinds_found:
            found.setdefault(kind, []).append(path)
    if not found:
        raise KnowledgeBaseError(
            f"{directory} holds no release file named as the publishers name them (see data/sources.toml), "
            "e.g. medicare-ncci-2026q4-practitioner-services-mue-table.zip: copy the archives unrenamed"
        )
    sums = _expected_sums(directory)
    items = []
    for key, paths in sorted(found.items()):
        for i, path in enumerate(paths, 1):
            item = _local(key if len(paths) == 1 else f"{key}_{i}", path)
            expected = sums.get(path.name)
            if expected is not None and expected != item.sha256:
                raise KnowledgeBaseError(
                    f"{path} does not match its SHA-256 in {directory} ({item.sha256[:16]}... is not "
                    f"{expected[:16]}...): copy it again; the knowledge base in use was left untouched"
                )
            items.append(item)
    return items


def discover_urls(sources: tuple[Source, ...], fetch: Fetch) -> tuple[dict[str, str], list[str]]:
    """([kb.update_urls]-style key -> URL of the newest release, sources with nothing found)."""
    urls: dict[str, str] = {}
    missing: list[str] = []
    for source in sources:
        try:
            found = discover(source, fetch)
        except KnowledgeBaseError as e:
            log.warning("%s", e)
            found = []
        if not found:
            missing.append(f"{source.key}: no file matching the release pattern on {source.listing} "
                           f"(open {source.landing} and set [kb.update_urls] {source.kind}, or use --from DIR)")
            continue
        for i, url in enumerate(found, 1):
            urls[source.key if len(found) == 1 else f"{source.key}_{i}"] = url
    return urls, missing


def _without_stale_addenda(downloads: list[Download], sources: tuple[Source, ...]) -> list[Download]:
    """Order-file addenda apply only on top of the release before them: drop them when a
    tabular release of the same fiscal year (or later) was found too."""
    by_key = {s.key: s for s in sources}
    tab = [fiscal_year(by_key["icd10cm_tabular"], d.path.name) for d in downloads
           if d.kind == "icd10cm_tabular" and "icd10cm_tabular" in by_key]
    if not tab or "icd10cm_addenda" not in by_key:
        return downloads
    return [d for d in downloads if not (d.kind == "icd10cm_addenda"
                                         and fiscal_year(by_key["icd10cm_addenda"], d.path.name) <= max(tab))]


def update_kb(kb_path: Path, urls: Mapping[str, str] | None = None, *, fetch: Fetch = _urlopen,
              data_dir: Path | None = None, progress: bool = False, from_dir: Path | None = None,
              sources_file: Path | None = None) -> UpdateReport:
    """Download (or take from `from_dir`), check, import into a new file and swap it onto `kb_path`.

    `urls` ([kb.update_urls]) names the files; without it the newest release of each data set
    is found on the publishers' listing pages named in data/sources.toml. The packaged and shipped
    releases (data/official/) are kept beside them (see `build.add_defaults`). The daemon keeps answering from
    the old file until the new one is swapped in atomically.
    """
    kb_path = Path(kb_path)
    kb_path.parent.mkdir(parents=True, exist_ok=True)
    sources = load_sources(sources_file or SOURCES_FILE)
    missing: list[str] = []
    with tempfile.TemporaryDirectory(prefix=f".{kb_path.name}.download.", dir=kb_path.parent) as tmp:
        if from_dir is not None:
            downloads = from_directory(Path(from_dir), sources)
        else:
            if not urls:
                urls, missing = discover_urls(sources, fetch)
                if not urls:
                    raise KnowledgeBaseError("no release file was found on any publisher page:\n  "
                                             + "\n  ".join(missing))
            downloads = [download(key, url, Path(tmp), fetch) for key, url in sorted(urls.items())]
        downloads = _without_stale_addenda(downloads, sources)
        found: list[tuple[str, Path]] = []
        for item in downloads:
            found.extend(check(item, Path(tmp)))
        meta = {f"download:{d.key}": f"{d.url} sha256={d.sha256} bytes={d.size}" for d in downloads}
        report = build_kb(kb_path, add_defaults(found), progress=progress, data_dir=data_dir, meta=meta)
    return UpdateReport(downloads=tuple(downloads), build=report, missing=tuple(missing))


def file_identity(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime ns, size): a daemon re-opens its CodeBook when this changes after an update."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)
