"""The neutraliser of every cell that leaves the program: one module, one rule.

In: the text of one cell (of a CSV, a workbook, an HTML page or a terminal table). Out: the
same text made inert:

1. control characters (C0 with CR, LF and TAB, DEL, C1) are written as visible escapes
   (``\\x0d``), so no line of a CSV can be split by a bare CR, and no terminal runs ESC,
   OSC 8 or CSI sequences;
2. bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) are escaped too in
   plain text; in HTML they are kept but isolated in a ``<bdi>`` whose embeddings are closed,
   so a U+202E in a name reverses nothing outside it;
3. after escaping, a cell a spreadsheet would read as a formula (= + - @ first) gets a
   leading ', unless it is a plain number.

CSV is written with every field quoted (`csv_writer`). Used by `pair`, `myjobdays` and
`audit export` as CSV, the workbook, the HTML report and every terminal table.
"""

from __future__ import annotations

import csv
import re
from typing import Any, TextIO

# A cell starting with one of these is a formula (or becomes one) in a spreadsheet; a line
# break or a tab first hides what follows from the eye, and some programs skip them.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# A plain number, negative or in exponent form, is data: it stays a number.
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")

CONTROLS = "\x00-\x1f\x7f-\x9f"
BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{CONTROLS}]")
_CONTROL_KEEP_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIDI = re.compile(f"[{BIDI}]")
_ANY = re.compile(f"[{CONTROLS}{BIDI}]")
_OPENS_EMBEDDING = "\u202a\u202b\u202d\u202e"  # closed by U+202C (PDF)
_OPENS_ISOLATE = "\u2066\u2067\u2068"  # closed by U+2069 (PDI)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str, *, keep_lines: bool = False) -> str:
    """Every control and bidi character as a visible escape (``\\x1b``, ``\\u202e``); with
    ``keep_lines``, LF and TAB stay as they are (multi-line text in a terminal)."""
    text = (_CONTROL_KEEP_LINES if keep_lines else _CONTROL).sub(_escaped, text)
    return _BIDI.sub(_escaped, text)


def neutralise(cell: str) -> str:
    """A cell a spreadsheet shows as inert text: controls escaped, then a leading ' before a
    formula character. Plain numbers, negative ones included, stay as they are."""
    cell = escape_controls(cell)
    if cell.startswith(FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def spreadsheet_cell(value: Any) -> str:
    """Any value as a neutralised CSV cell; None is the empty cell."""
    return neutralise("" if value is None else str(value))


def csv_writer(out: TextIO) -> Any:
    """A CSV writer that quotes every field, so no cell's content can end its row."""
    return csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)


_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;", '"': "&#34;"})


def html_escape(text: str) -> str:
    """Markup characters as entities, as Jinja2's autoescape writes them."""
    return text.translate(_HTML)


def _closed(text: str) -> str:
    """Close every embedding and isolate the text opens and leaves open."""
    embeddings = isolates = 0
    for char in text:
        if char in _OPENS_EMBEDDING:
            embeddings += 1
        elif char == "\u202c":
            embeddings = max(embeddings - 1, 0)
        elif char in _OPENS_ISOLATE:
            isolates += 1
        elif char == "\u2069":
            isolates = max(isolates - 1, 0)
    return text + "\u202c" * embeddings + "\u2069" * isolates


def html_text(value: Any) -> str:
    """A value as HTML text: markup escaped, controls (but LF and TAB) shown as escapes,
    bidi controls kept inside a ``<bdi>`` with every embedding closed."""
    text = _CONTROL_KEEP_LINES.sub(_escaped, str(value))
    if _BIDI.search(text):
        return f"<bdi>{html_escape(_closed(text))}</bdi>"
    return html_escape(text)


def has_controls(text: str) -> bool:
    """Whether the text holds a control or bidi character."""
    return _ANY.search(text) is not None
