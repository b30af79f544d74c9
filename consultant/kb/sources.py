"""Where each publisher puts its release files, and which file on a listing is the newest.

`data/sources.toml` names, per data set, the landing page, the listing page whose links are
scanned, an optional `follow` pattern for sub-pages (one level), and the file-name pattern of
a release with named groups that order releases (year / yy, quarter / month / letter, version,
revision). `newest` picks the newest release among file names; `discover` reads the listing
pages (through a `fetch` callable, so tests serve saved pages from 127.0.0.1) and returns the
URLs to download; `match_files` does the same over a directory an operator filled by hand
(`kb update --from DIR`).

    >>> s = Source("mue", "mue", "https://x/", "https://x/", r"mue-(?P<year>\\d{4})q(?P<quarter>[1-4])\\.zip$")
    >>> newest(s, ["a/mue-2026q2.zip", "a/mue-2026q4.zip", "a/mue-2025q4.zip"])
    ['a/mue-2026q4.zip']
"""

from __future__ import annotations

import re
import tomllib
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO

from consultant.errors import KnowledgeBaseError

SOURCES_FILE = Path(__file__).resolve().parents[2] / "data" / "sources.toml"
MONTHS = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july",
                                       "august", "september", "october", "november", "december"), 1)}
MAX_PAGE = 5 << 20

Fetch = Callable[[str], BinaryIO]


@dataclass(frozen=True)
class Source:
    key: str              # [kb.update_urls] key and download folder
    kind: str             # importer kind
    landing: str          # the page people read
    listing: str          # the page whose links are scanned
    pattern: str          # file-name pattern of a release (case ignored)
    follow: str = ""      # links to sub-pages to scan too (one level)
    all_parts: bool = False
    publisher: str = ""
    what: str = ""

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.IGNORECASE)


def load_sources(path: Path = SOURCES_FILE) -> tuple[Source, ...]:
    """The sources list; KnowledgeBaseError naming the file when it cannot be read."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        sources = tuple(
            Source(key=s["key"], kind=s["kind"], landing=s["landing"], listing=s["listing"], pattern=s["pattern"],
                   follow=s.get("follow", ""), all_parts=bool(s.get("all_parts", False)),
                   publisher=s.get("publisher", ""), what=s.get("what", ""))
            for s in data.get("source", [])
        )
        for s in sources:
            s.regex  # noqa: B018 - compiles: a bad pattern fails here, naming the source
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, re.error) as e:
        raise KnowledgeBaseError(f"the sources list {path} cannot be read ({e}): restore it from the repository") from e
    return sources


def file_name(url: str) -> str:
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])


def rank(source: Source, name: str) -> tuple[int, ...] | None:
    """The order key of a release file name (newer is larger); None when it does not match."""
    m = source.regex.search(name)
    if m is None:
        return None
    g = {k: v for k, v in m.groupdict().items() if v}
    year = int(g.get("year") or g.get("year2") or 0) or (2000 + int(g["yy"]) if "yy" in g else 0)
    if "quarter" in g or "quarter2" in g:
        sub = int(g.get("quarter") or g.get("quarter2") or 0) * 3
    elif "month" in g:
        sub = MONTHS.get(g["month"].lower(), 0)
    elif "letter" in g:
        sub = "abcd".index(g["letter"].lower()) * 3 + 1
    else:
        sub = 0
    return (year, sub, int(g.get("version", 0)), int(g.get("revision", 0)))


def newest(source: Source, names: Iterable[str]) -> list[str]:
    """The newest release among `names` (URLs or paths): one item, or every part of it with
    `all_parts`; empty when none matches."""
    ranked = [(r, n) for n in dict.fromkeys(names) if (r := rank(source, file_name(n))) is not None]
    if not ranked:
        return []
    top = max(r for r, _ in ranked)
    chosen = sorted(n for r, n in ranked if r == top)
    return chosen if source.all_parts else chosen[-1:]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href.strip())


def links(page_url: str, fetch: Fetch) -> list[str]:
    """Absolute URLs of the links on a page; KnowledgeBaseError when it cannot be read."""
    try:
        with fetch(page_url) as response:
            body = response.read(MAX_PAGE)
    except (OSError, ValueError) as e:
        raise KnowledgeBaseError(f"reading the listing page {page_url} failed ({e}); the knowledge base in use "
                                 "was left untouched. Check the network, or use `kb update --from DIR`.") from e
    parser = _Links()
    parser.feed(body.decode("utf-8", errors="replace"))
    return [urllib.parse.urljoin(page_url, href) for href in parser.links]


def discover(source: Source, fetch: Fetch) -> list[str]:
    """URLs of the newest release on the source's listing page (and the sub-pages it follows)."""
    found = links(source.listing, fetch)
    if source.follow:
        follow = re.compile(source.follow, re.IGNORECASE)
        for sub in dict.fromkeys(u for u in found if follow.search(u) and not source.regex.search(file_name(u))):
            found += links(sub, fetch)
    return newest(source, found)


def match_files(sources: Iterable[Source], directory: Path) -> dict[str, list[Path]]:
    """Per source key, the newest release files in `directory` (what `kb update --from` imports)."""
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    out: dict[str, list[Path]] = {}
    for source in sources:
        chosen = newest(source, [str(p) for p in files])
        if chosen:
            out[source.key] = [Path(c) for c in chosen]
    return out


def fiscal_year(source: Source, name: str) -> int:
    """The year a matching file name states (0 when none): tells the tabular release of a
    fiscal year from the addenda of the same year."""
    r = rank(source, file_name(name))
    return r[0] if r else 0
