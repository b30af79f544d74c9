"""`kb update` against a real HTTP server on 127.0.0.1 serving release archives."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from consultant.errors import KnowledgeBaseError
from consultant.kb.store import CodeBook
from consultant.kb.update import update_kb

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cms"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not (SHARED / "ncci").is_dir(), reason="shared CMS data not present"),
]
STARTER = {
    "cpt_starter.csv": "code,section,plain,flags,source\n44320,surgery,Making a colostomy (our words),,team\n",
    "hcpcs_starter.csv": "code,plain,flags,source\nJ1885,Ketorolac shot (our words),drug,team\n",
    "modifiers.csv": "code,level,title,plain,applies_to,source\n59,I,Distinct service,Separate site,ptp,team\n",
    "abbreviations.csv": "short,expansion,source\nHTN,hypertension,team\n",
}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    # the real HCPCS archive, served from its own bytes (copied only into tmp, never the repo)
    shutil.copy(SHARED / "hcpcs" / "2019-Alpha-Numeric-HCPCS-File.zip", root)
    with zipfile.ZipFile(root / "ptp.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(SHARED / "ncci" / "ccipra-v322r0-f1.excerpt.txt", "ccipra-v322r0-f1.txt")
    with zipfile.ZipFile(root / "mue.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(SHARED / "ncci" / "MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv",
                 "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv")
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


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    for name, text in STARTER.items():
        (d / name).write_text(text)
    return d


@pytest.fixture(scope="module")
def icd_stub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-chapter tabular XML so the test does not import all of ICD-10-CM."""
    path = tmp_path_factory.mktemp("icd") / "icd10cm_tabular_2026.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<ICD10CM.tabular><version>2026</version>'
        "<chapter><name>1</name><desc>Certain infectious and parasitic diseases (A00-B99)</desc>"
        '<section id="A00-A09"><desc>Intestinal infectious diseases (A00-A09)</desc>'
        "<diag><name>A00</name><desc>Cholera</desc>"
        "<diag><name>A00.0</name><desc>Cholera due to Vibrio cholerae 01, biovar cholerae</desc></diag>"
        "</diag></section></chapter></ICD10CM.tabular>\n"
    )
    with zipfile.ZipFile(path.with_suffix(".zip"), "w") as zf:
        zf.write(path, path.name)
    return path.with_suffix(".zip")


def test_update_downloads_checks_builds_and_swaps(server: tuple[str, Path], tmp_path: Path, data_dir: Path,
                                                   icd_stub: Path) -> None:
    base, root = server
    shutil.copy(icd_stub, root / "icd.zip")
    kb = tmp_path / "var" / "kb.sqlite"
    urls = {"hcpcs": f"{base}/2019-Alpha-Numeric-HCPCS-File.zip", "ncci_ptp_f1": f"{base}/ptp.zip",
            "mue": f"{base}/mue.zip", "icd10cm_tabular": f"{base}/icd.zip"}
    report = update_kb(kb, urls, data_dir=data_dir)
    assert {d.key for d in report.downloads} == set(urls)
    assert all(len(d.sha256) == 64 and d.size > 0 for d in report.downloads)
    book = CodeBook.open(kb)
    try:
        assert book.entry("HCPCS", "A4563", date(2019, 3, 1)) is not None
        assert book.mue("0001U", date(2026, 7, 2)) is not None
        assert book.ptp_edits(["13121", "13120"], date(2026, 7, 2))
        assert book.entry("ICD10CM", "A00.0", date(2026, 5, 1)) is not None
        meta = dict(book.connection.execute("SELECT key, value FROM meta").fetchall())
        assert meta["download:mue"].startswith(f"{base}/mue.zip sha256=")
    finally:
        book.close()
    assert sorted(p.name for p in kb.parent.iterdir()) == ["kb.sqlite"]   # no temp files left


def test_corrupt_archive_leaves_old_kb_answering(server: tuple[str, Path], tmp_path: Path, data_dir: Path,
                                                 icd_stub: Path) -> None:
    base, root = server
    shutil.copy(icd_stub, root / "icd.zip")
    kb = tmp_path / "kb.sqlite"
    update_kb(kb, {"mue": f"{base}/mue.zip", "icd10cm_tabular": f"{base}/icd.zip"}, data_dir=data_dir)
    before = kb.read_bytes()
    reader = CodeBook.open(kb)
    good = (root / "ptp.zip").read_bytes()
    (root / "ptp.zip").write_bytes(good[: len(good) // 2])       # a download cut short
    with pytest.raises(KnowledgeBaseError, match="zip"):
        update_kb(kb, {"ncci_ptp": f"{base}/ptp.zip", "icd10cm_tabular": f"{base}/icd.zip"}, data_dir=data_dir)
    (root / "wrong.zip").write_bytes(_zip_of(tmp_path, "notes.txt", "hello"))
    with pytest.raises(KnowledgeBaseError, match="holds no file"):
        update_kb(kb, {"mue": f"{base}/wrong.zip", "icd10cm_tabular": f"{base}/icd.zip"}, data_dir=data_dir)
    with pytest.raises(KnowledgeBaseError, match="failed"):
        update_kb(kb, {"mue": f"{base}/absent.zip"}, data_dir=data_dir)
    assert kb.read_bytes() == before
    assert reader.mue("0001U", date(2026, 7, 2)) is not None
    reader.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def _zip_of(tmp_path: Path, name: str, text: str) -> bytes:
    path = tmp_path / "z.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(name, text)
    return path.read_bytes()
