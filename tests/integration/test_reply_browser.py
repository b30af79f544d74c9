"""How replies look in a real browser engine: the HTML part of real replies (the whole pipeline
on the full knowledge base) is opened in headless Chromium at 600 px (a mail client's reading
pane) and 360 px (a phone), screenshotted, and checked: the code tables are shown whole, and
nothing overflows sideways. The HTML is also checked to be mail-safe (inline CSS only, no
scripts, nothing fetched from outside).

Needs Debian's `chromium` and `chromium-driver` (`.ci/setup` installs them) and the PyPI
package `selenium`. Without them the test skips on a developer machine and FAILS in CI.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import struct
import tempfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from reply_cases import NAMES, SampleReply

from consultant.analysis.findings import Findings

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WIDTHS = (600, 360)
# Every element, and every run of text, must end inside the window; a cell whose content is
# wider than the cell (clipped or spilling into its neighbour) counts as an overflow too, and
# so does a short word (a code, a label) that the browser had to split to make it fit.
OVERFLOW_JS = r"""
const W = arguments[0];
const where = (e) => e.tagName.toLowerCase() + ' "' + (e.textContent || '').trim().slice(0, 50) + '"';
const out = {inner: window.innerWidth, scroll: document.documentElement.scrollWidth,
             body: document.body.scrollWidth, wide: [], clipped: [], broken: []};
for (const e of document.body.querySelectorAll('*')) {
  const r = e.getBoundingClientRect();
  if (r.right > W || r.left < 0) out.wide.push(where(e) + ' right=' + r.right);
  if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth) {
    out.clipped.push(where(e) + ' ' + e.scrollWidth + '>' + e.clientWidth);
  }
}
const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const range = document.createRange();
for (let n = walk.nextNode(); n; n = walk.nextNode()) {
  if (!n.textContent.trim()) continue;
  range.selectNodeContents(n);
  const r = range.getBoundingClientRect();
  if (r.right > W) out.wide.push('text "' + n.textContent.trim().slice(0, 50) + '" right=' + r.right);
  // an ordinary word (a code, a label) must never be split across lines to make it fit;
  // a long address may break anywhere, and any word may break after a hyphen or a slash
  for (const token of n.textContent.matchAll(/\S{1,24}(?!\S)/g)) {
    if (token.index > 0 && /\S/.test(n.textContent[token.index - 1])) continue;
    for (const part of token[0].matchAll(/[^\-\/]+/g)) {
      range.setStart(n, token.index + part.index);
      range.setEnd(n, token.index + part.index + part[0].length);
      const tops = new Set(Array.from(range.getClientRects(), (q) => Math.round(q.top)));
      if (tops.size > 1) out.broken.push(part[0]);
    }
  }
}
return out;
"""


def need(reason: str) -> None:
    """Skip on a developer machine; fail in CI, where a missing browser must not pass silently."""
    if os.environ.get("CI"):
        pytest.fail(
            f"{reason} (CI must run the browser check: .ci/setup installs chromium "
            "chromium-driver, and the test extras install selenium)"
        )
    pytest.skip(reason)


@pytest.fixture(scope="module")
def replies(sample_replies: dict[str, SampleReply]) -> dict[str, tuple[Findings, str]]:
    """name -> (findings, HTML part of the composed reply)."""
    return {name: (r.findings, r.html) for name, r in sample_replies.items()}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module, driven through chromedriver (no downloads: the
    Debian binaries are named, so Selenium Manager is never asked)."""
    if not Path(CHROMIUM).exists():
        need(f"{CHROMIUM} is missing: apt-get install chromium chromium-driver")
    if not Path(CHROMEDRIVER).exists():
        need(f"{CHROMEDRIVER} is missing: apt-get install chromium-driver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        need("the selenium package is missing: pip install selenium")
    profile = tempfile.mkdtemp(prefix="consultant-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=600,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def screens(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reply-screens")


def show(driver: Any, html: str, width: int, folder: Path, name: str) -> None:
    """Open the HTML as a page exactly `width` CSS pixels wide."""
    page = folder / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.get(page.as_uri())


def screenshot(driver: Any, path: Path) -> tuple[int, int]:
    """A full-page PNG; returns its pixel size, read from the PNG header."""
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    data = base64.b64decode(shot["data"])
    path.write_bytes(data)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def check_table(driver: Any, table_id: str, codes: list[str], width: int) -> None:
    """The table is displayed, inside the window, with one row per code, in order."""
    from selenium.webdriver.common.by import By

    tables = driver.find_elements(By.ID, table_id)
    if not codes:
        assert not tables, f"#{table_id} shown with nothing to list"
        return
    assert len(tables) == 1, f"#{table_id} missing"
    table = tables[0]
    assert table.is_displayed()
    rect = table.rect
    assert rect["x"] >= 0 and rect["x"] + rect["width"] <= width and rect["height"] > 0
    rows = table.find_elements(By.XPATH, "./tbody/tr")
    assert len(rows) == len(codes)
    shown = []
    for row in rows:
        cell = row.find_element(By.XPATH, "./td[1]/strong")
        assert cell.is_displayed() and cell.rect["width"] > 0
        assert cell.rect["x"] + cell.rect["width"] <= width
        shown.append(cell.text.strip())
    assert shown == codes


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", NAMES)
def test_reply_renders_whole_in_a_narrow_window(  # type: ignore[no-untyped-def]
    browser, replies, screens: Path, name: str, width: int
) -> None:
    findings, html = replies[name]
    show(browser, html, width, screens, f"{name}-{width}")
    path = screens / f"{name}-{width}.png"
    png_width, png_height = screenshot(browser, path)
    print(f"screenshot: {path}")
    assert png_width == width and png_height > 300

    check_table(browser, "codes", [v.code for v in findings.codes], width)
    check_table(browser, "suggestions", [s.code for s in findings.suggestions], width)

    seen = browser.execute_script(OVERFLOW_JS, width)
    assert seen["inner"] == width, "the window is not the width asked for"
    assert seen["scroll"] <= width and seen["body"] <= width, (
        f"{name} scrolls sideways: {seen['scroll']} px"
    )
    assert not seen["wide"], (
        f"{name} at {width} px: past the right edge: {seen['wide'][:5]}"
    )
    assert not seen["clipped"], (
        f"{name} at {width} px: wider than its box: {seen['clipped'][:5]}"
    )
    assert not seen["broken"], (
        f"{name} at {width} px: words split across lines: {seen['broken'][:5]}"
    )


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((tag, k, v or "") for k, v in attrs)


@pytest.mark.parametrize("name", NAMES)
def test_reply_html_is_mail_safe(replies, name: str) -> None:  # type: ignore[no-untyped-def]
    findings, html = replies[name]
    markup = _Markup()
    markup.feed(html)
    banned = {
        "script",
        "style",
        "link",
        "iframe",
        "object",
        "embed",
        "form",
        "input",
        "img",
        "video",
        "audio",
        "base",
        "svg",
    }
    assert not banned & set(markup.tags), f"{name}: {banned & set(markup.tags)}"
    for tag, attr, value in markup.attrs:
        assert not attr.startswith("on"), f"{name}: event handler {attr} on <{tag}>"
        assert attr != "class", (
            f"{name}: class on <{tag}>: mail clients strip <style>, use inline CSS"
        )
        assert attr not in ("src", "href", "background", "srcset"), (
            f"{name}: {attr}={value!r} on <{tag}>"
        )
        assert not re.search(
            r"url\s*\(|@import|expression\s*\(|javascript:", value, re.IGNORECASE
        ), f"{name}: {attr}={value!r} on <{tag}>"
    assert "<style" not in html.lower() and "<script" not in html.lower()
    # the layout is tables with inline styles, at most 600 px wide
    assert markup.tags.count("table") >= 2
    assert all(
        re.search(r"max-width:\s*600px", v)
        for t, a, v in markup.attrs
        if t == "table" and a == "style"
    )
    if findings.codes:
        assert 'id="codes"' in html
