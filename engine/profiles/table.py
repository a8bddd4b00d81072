"""Read an HR export (CSV or xlsx) into a header and rows of text, each with its row number.

In: a path. Out: a `Table`: the header cells, and every non-blank row as a mapping from
header cell to cell text, numbered as a spreadsheet numbers it (the header is row 1).
Nothing is interpreted here: the mapping (`engine.profiles.importing`) does that. CSV may
start with a byte-order mark, separate its cells with ',', ';' or tabs, and hold blank
lines; xlsx cells holding dates or numbers are written as text the mapping reads
(YYYY-MM-DD, whole numbers without '.0').
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from engine.base.canonical import sha256_hex
from engine.base.errors import InvalidInput, Problem
from engine.base.files import FileRefused, TextRefused, read_capped, utf8_text

MAX_BYTES = 50 * 1024 * 1024
TABLE_FORMATS = (".csv", ".xlsx")


@dataclass(frozen=True)
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    cells: Mapping[str, str]  # header cell -> text as read; empty cells left out


@dataclass(frozen=True)
class Table:
    file: str
    digest: str  # sha256: and the hex of the file's bytes
    header: tuple[str, ...]
    rows: tuple[Row, ...]


def _fail(file: str, message: str, where: str = "") -> InvalidInput:
    return InvalidInput([Problem(file, where, message)], "import")


def _decode(raw: bytes, file: str) -> str:
    try:
        return utf8_text(raw)
    except TextRefused as exc:
        raise _fail(file, str(exc), exc.where) from None


def _delimiter(first_line: str, given: str | None) -> str:
    """The given separator, else the one of ',', ';' and tab the header uses most."""
    if given:
        return given
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: (counts[sep], sep == ","))


def _header(cells: list[str], file: str) -> tuple[str, ...]:
    header = tuple(cell.strip() for cell in cells)
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, name in enumerate(header, 1):
        if not name:
            problems.append(Problem(file, f"row 1, column {index}",
                                    "a header cell is empty; name the column or delete it"))
        elif name.casefold() in seen:
            problems.append(Problem(file, f"row 1, column {name!r}",
                                    f"column {name!r} appears twice; keep one"))
        seen.add(name.casefold())
    if problems:
        raise InvalidInput(problems, "import")
    return header


def _rows(header: tuple[str, ...], body: list[tuple[int, list[str]]], file: str
          ) -> tuple[Row, ...]:
    rows: list[Row] = []
    problems: list[Problem] = []
    for number, cells in body:
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        while len(cells) > len(header) and not cells[-1].strip():
            cells = cells[:-1]  # trailing empty cells, as spreadsheets add
        if len(cells) > len(header):
            problems.append(Problem(file, f"row {number}",
                                    f"has {len(cells)} cells but the header has {len(header)}; "
                                    "check for an extra separator or an unclosed quote"))
            continue
        rows.append(Row(number, {name: cell for name, cell in zip(header, cells, strict=False)
                                 if cell.strip()}))
    if problems:
        raise InvalidInput(problems, "import")
    return tuple(rows)


def _read_csv(raw: bytes, file: str, delimiter: str | None) -> tuple[tuple[str, ...], tuple[
        Row, ...]]:
    text = _decode(raw, file)
    first = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first, delimiter),
                        strict=True)
    lines: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(reader, 1):
            lines.append((number, cells))
    except csv.Error as exc:
        raise _fail(file, f"not valid CSV: {exc}; a '\"' inside a quoted cell must be doubled",
                    f"row {len(lines) + 1}") from None
    while lines and not any(cell.strip() for cell in lines[0][1]):
        lines.pop(0)  # blank lines before the header
    if not lines:
        raise _fail(file, "the file is empty; export the HR data with its header row")
    return _header(lines[0][1], file), _rows(_header(lines[0][1], file), lines[1:], file)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(raw: bytes, file: str, sheet: str | None) -> tuple[tuple[str, ...], tuple[
        Row, ...]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _fail(file, f"not a readable xlsx workbook ({exc}); save it again as .xlsx, or "
                          "export it as 'CSV UTF-8'") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            from engine.base.suggest import closest

            raise InvalidInput([Problem(file, "", f"no sheet {sheet!r}; the workbook has "
                                                  f"{', '.join(map(repr, book.sheetnames))}",
                                        closest(sheet, book.sheetnames))], "import")
        worksheet = book[sheet] if sheet else book.worksheets[0]
        lines = [(number, [_cell_text(v) for v in values])
                 for number, values in enumerate(worksheet.iter_rows(values_only=True), 1)]
    finally:
        book.close()
    while lines and not any(cell.strip() for cell in lines[0][1]):
        lines.pop(0)
    if not lines:
        raise _fail(file, "the sheet is empty; export the HR data with its header row")
    header_cells = lines[0][1]
    while header_cells and not header_cells[-1].strip():
        header_cells = header_cells[:-1]
    header = _header(header_cells, file)
    return header, _rows(header, lines[1:], file)


def read_table(path: Path, *, sheet: str | None = None, delimiter: str | None = None) -> Table:
    """Read a CSV or xlsx export. Raises InvalidInput (what "import") naming the place."""
    file = str(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise _fail(file, f"unsupported file type {path.suffix or '(none)'!r}; give a .csv "
                          "(UTF-8) or .xlsx export")
    try:
        raw = read_capped(path, MAX_BYTES, "HR export", "export fewer rows per file")
    except FileRefused as exc:
        raise _fail(file, str(exc)) from None
    if not raw.strip():
        raise _fail(file, "the file is empty; export the HR data with its header row")
    if suffix == ".xlsx":
        header, rows = _read_xlsx(raw, file, sheet)
    else:
        header, rows = _read_csv(raw, file, delimiter)
    return Table(file, "sha256:" + sha256_hex(raw), header, rows)
