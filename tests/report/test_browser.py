"""The report in a real browser: headless Chromium (Debian's package) opens, shows, reads
and prints it. These tests run whenever Chromium is installed, and always under CI."""

from __future__ import annotations

import json
import os
import shutil
import struct
from html.parser import HTMLParser
from pathlib import Path

from pypdf import PdfReader

from tests.audit.conftest import raw_sql
from tests.report import chromium

SECTIONS = ("1. The program at a glance", "2. Runs", "3. The lifecycle timeline",
            "4. Fairness", "5. Outcomes by group", "6. My job days", "7. Method")
DOCS = Path(__file__).resolve().parents[2] / "docs"


class _Dom(HTMLParser):
    """The rows the report marks, and the elements of the parsed DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[str] = []
        self.unpaired: list[str] = []
        self.kinds: list[str] = []
        self.ids: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "data-pair" in a:
            self.pairs.append(a["data-pair"])
        if "data-unpaired" in a:
            self.unpaired.append(a["data-unpaired"])
        if tag == "tr" and "data-kind" in a:
            self.kinds.append(a["data-kind"])
        if "id" in a:
            self.ids.append(a["id"])


def _dom(page: Path) -> tuple[str, _Dom]:
    html = chromium.dump_dom(page)
    dom = _Dom()
    dom.feed(html)
    return html, dom


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_a_screenshot_of_the_example_report(example_report, tmp_path):
    """Chromium renders the example report to a 1200 x 1600 picture with content on it (a
    blank page compresses to a few kilobytes)."""
    page, _, _ = example_report
    shot = chromium.screenshot(page, tmp_path / "report.png", 1200, 1600)
    assert _png_size(shot) == (1200, 1600)
    assert shot.stat().st_size > 60_000
    if os.environ.get("TANDEM_WRITE_DOCS"):
        shutil.copyfile(shot, DOCS / "report.png")


def test_the_dom_holds_every_pair_every_unpaired_person_and_every_section(example_report):
    """After Chromium parsed it, the page has one row per pair (reassignments included) and
    per unpaired person of the log, the lifecycle events, and the six sections linked from
    the contents."""
    page, _, url = example_report
    _, dom = _dom(page)
    log = [json.loads(row[0]) for row in
           raw_sql(url, "SELECT entry FROM audit_log ORDER BY seq")[0]]
    assert sorted(dom.pairs) == sorted(f"{e['mentor']}:{e['mentee']}" for e in log
                                       if e["kind"] in ("pair", "reassignment"))
    assert sorted(dom.unpaired) == sorted(e["person"] for e in log if e["kind"] == "unpaired")
    assert len(dom.pairs) == 23 and len(dom.unpaired) == 4
    assert dom.kinds == ["separation", "reassignment", "decision", "checkin", "outcome"]
    for anchor in ("glance", "runs", "run-1", "timeline", "fairness", "outcomes", "method"):
        assert anchor in dom.ids


def test_a_name_that_is_a_script_is_shown_as_text_and_never_runs(hostile_report):
    """A mentor named <script>alert(1)</script> is text in the DOM; no script element
    exists and no dialog ever opens."""
    html, dom = _dom(hostile_report)
    assert "script" not in dom.tags and "img" not in dom.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '"&gt;&lt;img src=x onerror=alert(2)&gt;' in html
    load = chromium.load(hostile_report)
    assert load.loaded and load.dialogs == []


def test_the_harness_sees_a_script_run_and_a_request_leave(tmp_path):
    """The check is real: a page with a script and an outside image is caught on both."""
    page = tmp_path / "leaky.html"
    page.write_text('<html><body><script>alert(1)</script>'
                    '<img src="http://127.0.0.1:9/pixel.png"></body></html>', encoding="utf-8")
    load = chromium.load(page)
    assert load.dialogs == ["1"]
    assert "http://127.0.0.1:9/pixel.png" in load.requests


def test_no_request_leaves_the_report(example_report):
    """Loading the report requests the file itself and nothing else, and nothing is
    blocked or logged (no policy violation, no console message)."""
    page, _, _ = example_report
    load = chromium.load(page)
    assert load.loaded
    assert load.requests == [page.resolve().as_uri()]
    assert load.console == []


def test_printed_to_pdf_each_section_starts_a_page(example_report, tmp_path):
    """Chromium prints the report to a PDF of 7 to 40 pages (the contents, then each
    section from a new page): each section's title opens a page; the pairs' evidence is
    printed unfolded, the rule files' text stays folded."""
    page, _, _ = example_report
    pdf = PdfReader(chromium.print_pdf(page, tmp_path / "report.pdf"))
    pages = [p.extract_text() or "" for p in pdf.pages]
    print(f"{len(pages)} pages")
    assert 7 <= len(pages) <= 40
    starts = [text.lstrip()[:60] for text in pages]
    for title in SECTIONS:
        assert any(s.startswith(title) for s in starts), (title, starts)
    assert "Tandem compliance report" in pages[0]
    text = "\n".join(pages)
    assert text.count("Because:") >= 22, "each pair's evidence prints unfolded"
    assert "then: exclude" not in text, "the rule files' text stays folded"
