"""`kb update` finds the newest release on the publishers' listing pages (saved pages served
from 127.0.0.1) and `kb update --from DIR` takes files an operator copied."""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import threading
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from consultant.errors import KnowledgeBaseError
from consultant.kb.sources import Source, discover, load_sources, newest
from consultant.kb.store import CodeBook
from consultant.kb.update import _urlopen, from_directory, update_kb

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cms"
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not (SHARED / "ncci").is_dir(), reason="shared CMS data not present")]
MUE_PAGE = """<html><body><h1>Medicare NCCI Medically Unlikely Edits</h1>
<ul><li><a href="/files/zip/medicare-ncci-2026-q2-practitioner-services-mue-table.zip">Practitioner 2026 Q2</a></li>
<li><a href="/files/zip/medicare-ncci-2026-q3-practitioner-services-mue-table.zip">Practitioner 2026 Q3</a></li>
<li><a href="/files/zip/medicare-ncci-2026-q3-dme-supplier-services-mue-table.zip">DME 2026 Q3</a></li>
<li><a href="/files/zip/medicare-ncci-2025-q4-practitioner-services-mue-table.zip">Practitioner 2025 Q4</a></li>
</ul></body></html>"""
PFS_PAGE = """<html><body><a href="pfs-relative-value-files/rvu25a">RVU25A</a>
<a href="/pfs-relative-value-files/rvu26c">RVU26C</a>
<a href="https://elsewhere.example/other.zip">other</a></body></html>"""
RVU_SUB = '<html><body><a href="/files/zip/rvu{x}.zip">RVU{X} (ZIP)</a></body></html>'


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    (root / "files" / "zip").mkdir(parents=True)
    (root / "pfs-relative-value-files").mkdir()
    (root / "mue.html").write_text(MUE_PAGE)
    (root / "pfs.html").write_text(PFS_PAGE)
    for x in ("25a", "26c"):
        (root / "pfs-relative-value-files" / f"rvu{x}").mkdir()
        (root / "pfs-relative-value-files" / f"rvu{x}" / "index.html").write_text(RVU_SUB.format(x=x, X=x.upper()))
    zdir = root / "files" / "zip"
    with zipfile.ZipFile(zdir / "medicare-ncci-2026-q3-practitioner-services-mue-table.zip", "w") as zf:
        zf.write(SHARED / "ncci" / "MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv",
                 "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv")
    (zdir / "medicare-ncci-2026-q2-practitioner-services-mue-table.zip").write_bytes(b"never downloaded")
    shutil.copy(SHARED / "pfs" / "RVU25A.zip", zdir / "rvu25a.zip")
    with zipfile.ZipFile(zdir / "rvu26c.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(SHARED / "pfs" / "PPRRVU2026_Jul_nonQPP.csv", "PPRRVU2026_Jul_nonQPP.csv")
    handler = functools.partial(_Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def _sources(base: str, tmp_path: Path) -> Path:
    real = {s.key: s for s in load_sources()}
    path = tmp_path / "sources.toml"
    path.write_text(
        f"""[[source]]
key = "mue"
kind = "mue"
landing = "{base}/mue.html"
listing = "{base}/mue.html"
pattern = '''{real["mue"].pattern}'''

[[source]]
key = "pfs"
kind = "pfs"
landing = "{base}/pfs.html"
listing = "{base}/pfs.html"
follow = '''{real["pfs"].follow}'''
pattern = '''{real["pfs"].pattern}'''
""")
    return path


def test_the_real_sources_list_names_every_data_set() -> None:
    keys = {s.key for s in load_sources()}
    assert {"icd10cm_tabular", "icd10cm_addenda", "hcpcs", "ncci_ptp", "mue", "addon", "pfs"} <= keys
    ptp = next(s for s in load_sources() if s.key == "ncci_ptp")
    names = [f"medicare-ncci-2026q{q}-practitioner-ptp-edits-ccipra-v32{q}r0-f{f}.zip" for q in (3, 4) for f in (1, 2, 3, 4)]
    assert newest(ptp, names) == [n for n in names if "q4" in n]
    hcpcs = next(s for s in load_sources() if s.key == "hcpcs")
    assert newest(hcpcs, ["april-2026-alpha-numeric-hcpcs-file.zip", "october-2026-alpha-numeric-hcpcs-file.zip",
                          "january-2027-alpha-numeric-hcpcs-file.zip", "july-2026-alpha-numeric-hcpcs-file.zip"]) == [
        "january-2027-alpha-numeric-hcpcs-file.zip"]


def test_newest_release_is_found_on_saved_pages(site: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = site
    sources = {s.key: s for s in load_sources(_sources(base, tmp_path))}
    assert discover(sources["mue"], _urlopen) == [
        f"{base}/files/zip/medicare-ncci-2026-q3-practitioner-services-mue-table.zip"]
    assert discover(sources["pfs"], _urlopen) == [f"{base}/files/zip/rvu26c.zip"]
    empty = Source("x", "mue", f"{base}/pfs.html", f"{base}/pfs.html", r"nothing-(?P<year>\d{4})\.zip$")
    assert discover(empty, _urlopen) == []


def test_update_from_listing_pages_builds_and_swaps(site: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = site
    kb = tmp_path / "var" / "kb.sqlite"
    report = update_kb(kb, sources_file=_sources(base, tmp_path))
    assert {d.key for d in report.downloads} == {"mue", "pfs"}
    assert all(len(d.sha256) == 64 for d in report.downloads)
    book = CodeBook.open(kb)
    try:
        ends = {r.dataset: r.valid_to for r in book.releases()}
        # the downloaded quarter follows the shipped one, which now ends the day before it
        assert ends["ncci-mue-2026-07-01"] is None and ends["ncci-mue-2026-04-01"] == date(2026, 6, 30)
        assert book.mue("0001U", date(2026, 11, 18)).dataset == "ncci-mue-2026-07-01"  # type: ignore[union-attr]
        assert "icd10cm-2027" in ends and "hcpcs-2026" in ends and "ncci-aoc-2026q2" in ends   # shipped kept
        # the downloaded July 2026 file (with descriptors) replaced the shipped extract of the same release
        pfs = [r for r in book.releases() if r.kind == "pfs"]
        assert [(r.dataset, r.source) for r in pfs] == [("pfs-2026-07", "rvu26c.zip!PPRRVU2026_Jul_nonQPP.csv")]
        assert book.connection.execute("SELECT COUNT(*) FROM pfs WHERE code = '44320'").fetchone()[0] == 1
        assert book.payment("44320", date(2026, 11, 18)) is not None
    finally:
        book.close()
    assert sorted(p.name for p in kb.parent.iterdir()) == ["kb.sqlite"]


def test_update_from_a_directory_with_checksums(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(SHARED / "ncci" / "AOC_V2026Q2-MCR.xlsx", drop)
    (drop / "notes.txt").write_text("copied from the CMS site on 2026-12-01\n")
    digest = hashlib.sha256((drop / "AOC_V2026Q2-MCR.xlsx").read_bytes()).hexdigest()
    (drop / "SHA256SUMS").write_text(f"{'0' * 64}  AOC_V2026Q2-MCR.xlsx\n")
    with pytest.raises(KnowledgeBaseError, match="does not match its SHA-256"):
        from_directory(drop, load_sources())
    (drop / "SHA256SUMS").write_text(f"{digest}  AOC_V2026Q2-MCR.xlsx\n")
    (items) = from_directory(drop, load_sources())
    assert [(i.key, i.kind, i.sha256) for i in items] == [("addon", "addon", digest)]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(KnowledgeBaseError, match="holds no release file"):
        from_directory(empty, load_sources())
