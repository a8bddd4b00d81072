"""The report as one self-contained HTML page: Report in, text out (Jinja2, autoescaped).

The page is made as a stream of pieces (``render_pieces``, Jinja2's ``Template.generate``),
so that the command writes it to the file as it is made and never holds the whole page.

The page has inline CSS and inline SVG charts, no script and no external URL; a
Content-Security-Policy forbids any request, so it opens the same from a USB stick with no
network. Every value from the log is escaped as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from engine.base.resources import templates_dir
from engine.base.spreadsheet import html_text
from engine.fairness import FOUR_FIFTHS
from engine.fairness.figures import ALPHA, CONFIDENCE
from engine.report.model import TIMELINE_CHECKINS, Report

TEMPLATE = "report.html.j2"
PIECE = 1 << 16  # characters gathered before a piece of the page is handed on


def _percent(value: Any) -> str:
    return "" if value is None else f"{100 * float(value):.0f}%"


def _number(value: Any, digits: int = 2) -> str:
    return "" if value is None else f"{float(value):.{digits}f}"


def _p(value: Any) -> str:
    if value is None:
        return ""
    return "< 0.001" if float(value) < 0.001 else f"{float(value):.3f}"


@lru_cache(maxsize=1 << 14)
def _inert_text(value: str) -> Markup:
    # A large log repeats its texts (rule titles, reasons' because, evidence keys, actors):
    # each is neutralised once. Bounded, so memory is too.
    return Markup(html_text(value))


def _inert(value: Any) -> Any:
    """Every value the page prints goes through the one neutraliser: markup escaped,
    controls shown as escapes, bidi text isolated in a <bdi>. Markup made by the template
    itself (the charts) stays as it is."""
    if isinstance(value, Markup) or value is None or isinstance(value, int | float):
        return value
    if type(value) is str:
        return _inert_text(value)
    return Markup(html_text(value))


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(templates_dir()), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      finalize=_inert)
    env.filters.update(percent=_percent, number=_number, p=_p)
    return env


def render_pieces(report: Report) -> Iterator[str]:
    """The page in order, in pieces of about ``PIECE`` characters, each made when it is
    asked for: the caller writes one before the next is made."""
    template = environment().get_template(TEMPLATE)
    gathered: list[str] = []
    size = 0
    for part in template.generate(report=report, four_fifths=FOUR_FIFTHS,
                                  too_small=report.min_group, alpha=ALPHA,
                                  confidence=CONFIDENCE, timeline_checkins=TIMELINE_CHECKINS):
        gathered.append(part)
        size += len(part)
        if size >= PIECE:
            yield "".join(gathered)
            gathered.clear()
            size = 0
    if gathered:
        yield "".join(gathered)


def render_html(report: Report) -> str:
    """The whole page, as one text (for tests and small pages; the command streams)."""
    return "".join(render_pieces(report))
