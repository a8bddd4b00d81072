"""Read a cohort file (JSON, JSONL or CSV) into raw records, each with its location.

Nothing is validated here beyond what it takes to read the file; `engine.profiles.validate`
checks the records. Every failure is a located Problem, never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from engine.base.errors import InvalidInput, Problem
from engine.base.files import FileRefused, TextRefused, read_capped, utf8_text
from engine.base.suggest import closest

MAX_BYTES = 50 * 1024 * 1024
# A participant nests 3 levels (a list of them, a participant, its my_job_day) below the
# envelope; anything much deeper is not a cohort. Python's own reader gives up near 1,000.
MAX_DEPTH = 32
# No field takes a longer whole number (Python refuses to read over 4,300 digits anyway).
MAX_DIGITS = 18
LIST_SEPARATOR = ";"
FORMATS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


@dataclass(frozen=True)
class Record:
    """One participant as read, before validation."""

    data: dict[str, Any]
    where: Callable[[tuple[str | int, ...]], str]  # path inside the record -> location text


@dataclass(frozen=True)
class RawCohort:
    file: str
    format: str
    records: list[Record]
    program: dict[str, Any] = field(default_factory=dict)
    envelope_problems: list[Problem] = field(default_factory=list)
    columns: tuple[str, ...] = ()  # a CSV file's header, so columns are checked once
    # Whether the text holds a \u escape: a strict UTF-8 decode lets no lone surrogate
    # through, so only a JSON escape can put one in a string (True when unknown).
    escapes: bool = True


def _subpath(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _json_location(base: str, path: tuple[str | int, ...]) -> str:
    return base + _subpath(path)


def _jsonl_location(line: int, path: tuple[str | int, ...]) -> str:
    return f"line {line}, ${_subpath(path)}"


def _fail(file: str, message: str, path: str = "") -> InvalidInput:
    return InvalidInput([Problem(file, path, message)], "cohort")


_EMPTY_HINTS = {
    "json": "add a list of participants, e.g. [{\"id\": \"M01\", ...}]",
    "jsonl": "add one participant object per line",
    "csv": "add a header row and one row per participant",
}


def _decode(path: Path, file: str, fmt: str) -> str:
    try:
        raw = read_capped(path, MAX_BYTES, "cohort file", "split the cohort into several files")
    except FileRefused as exc:
        raise _fail(file, str(exc)) from None
    if not raw.strip():
        raise _fail(file, f"the file is empty; {_EMPTY_HINTS[fmt]}")
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(file, "this is a binary file, not a text cohort; export it as CSV (UTF-8), "
                          "JSON or JSONL (a spreadsheet needs 'Save as CSV UTF-8')")
    try:
        return utf8_text(raw)
    except TextRefused as exc:
        raise _fail(file, str(exc), exc.where) from None


class _Keys(dict[str, Any]):
    """A JSON object that remembers the keys it held more than once."""

    duplicates: list[str]


def _flag_duplicates(found: list[bool]) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """Fast hook for every object: builds the dict and flags a lost key, nothing more."""
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            found.append(True)
        return out
    return hook


def _keep_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = _Keys(pairs)
    seen: set[str] = set()
    out.duplicates = []
    for key, _ in pairs:
        if key in seen:
            out.duplicates.append(key)
        seen.add(key)
    return out


def _duplicate_paths(value: Any, path: str) -> list[tuple[str, str]]:
    """(JSON path, key) of every key held twice, in document order."""
    found: list[tuple[str, str]] = []
    if isinstance(value, _Keys):
        found += [(f"{path}.{key}", key) for key in value.duplicates]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _duplicate_paths(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _duplicate_paths(item, f"{path}[{index}]")
    return found


class _NotFiniteError(ValueError):
    """NaN or an infinity: Python's json reads them, JSON has no such numbers."""


def _refuse_constant(name: str) -> Any:
    raise _NotFiniteError(name)


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _NotFiniteError(text)
    return value


class _TooManyDigitsError(ValueError):
    """A whole number longer than any a participant holds."""


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _TooManyDigitsError(text)
    return int(text)


def _too_deep(value: Any) -> bool:
    """Whether ``value`` nests lists and objects deeper than MAX_DEPTH (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(
            item, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


def _parse_json(text: str, file: str, line: int | None = None) -> Any:
    """Parse one JSON document (a whole file, or one JSONL line numbered ``line``)."""
    lost: list[bool] = []
    deep = _fail(file, f"lists and objects are nested more than {MAX_DEPTH} levels deep; a "
                       "cohort needs at most 5 (participants, a participant, my_job_day, a "
                       "list), so check the brackets", f"line {line}" if line else "$")
    try:
        value = json.loads(text, object_pairs_hook=_flag_duplicates(lost),
                           parse_constant=_refuse_constant, parse_float=_finite,
                           parse_int=_bounded_int)
    except RecursionError:
        raise deep from None
    except _TooManyDigitsError as exc:
        token = str(exc)
        offset = max(text.find(token), 0)
        loc = (f"line {line or text.count(chr(10), 0, offset) + 1}, "
               f"column {offset - text.rfind(chr(10), 0, offset)}")
        raise _fail(file, f"a number of {len(token.lstrip('-'))} digits; no field takes a "
                          f"number longer than {MAX_DIGITS} digits, so check this value",
                    loc) from None
    except _NotFiniteError as exc:
        token = str(exc)
        offset = max(text.find(token), 0)
        loc = (f"line {line or text.count(chr(10), 0, offset) + 1}, "
               f"column {offset - text.rfind(chr(10), 0, offset)}")
        raise _fail(file, f"{token} is not a number JSON allows; write a finite number or null",
                    loc) from None
    except json.JSONDecodeError as exc:
        loc = f"line {line or exc.lineno}, column {exc.colno}"
        raise _fail(file, f"not valid JSON: {exc.msg}; check the commas, quotes and brackets "
                          "just before this place", loc) from None
    if _too_deep(value):  # before anything below walks the value recursively
        raise deep
    if lost:  # rare: parse again, slowly, to say where
        prefix = f"line {line}, $" if line else "$"
        located = _duplicate_paths(json.loads(text, object_pairs_hook=_keep_duplicates), prefix)
        raise InvalidInput([Problem(file, where, f"the key {key!r} appears twice in one object; "
                                                 "JSON keeps only the last, so remove one")
                            for where, key in located], "cohort")
    return value


_ENVELOPE = ("participants", "program")


def _read_json(text: str, file: str) -> RawCohort:
    doc = _parse_json(text, file)
    envelope: list[Problem] = []
    program: dict[str, Any] = {}
    if isinstance(doc, list):
        items, prefix = doc, "$"
    elif isinstance(doc, dict):
        if "participants" not in doc:
            hint = ("; this looks like one participant: put it in a list, [{...}]"
                    if "id" in doc or "role" in doc else "")
            raise _fail(file, "expected a list of participants, or an object with a "
                              f"'participants' list{hint}", "$")
        items, prefix = doc["participants"], "$.participants"
        for key in doc:
            if key not in _ENVELOPE:
                envelope.append(Problem(file, f"$.{key}", f"unknown top-level field {key!r}; "
                                                          "expected 'participants' and 'program'",
                                        closest(key, _ENVELOPE)))
        raw_program = doc.get("program", {})
        if isinstance(raw_program, dict):
            program = raw_program
        else:
            envelope.append(Problem(file, "$.program", "'program' must be an object"))
        if not isinstance(items, list):
            raise _fail(file, "'participants' must be a list", prefix)
    else:
        raise _fail(file, "expected a list of participants, or an object with a "
                          "'participants' list", "$")
    records = []
    for index, item in enumerate(items):
        base = f"{prefix}[{index}]"
        records.append(Record(item, partial(_json_location, base)))
    return RawCohort(file, "json", records, program, envelope, escapes="\\u" in text)


def _is_one_document(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _read_jsonl(text: str, file: str) -> RawCohort:
    records = []
    # Split on newlines only: str.splitlines() would also split inside a JSON string that
    # holds U+2028 or another Unicode line separator, which JSON allows unescaped.
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            item = _parse_json(line, file, number)
        except InvalidInput:
            if _is_one_document(text):
                raise _fail(file, "this is one JSON document over several lines, not JSON "
                                  "Lines (one participant per line); rename the file to .json"
                            ) from None
            raise
        records.append(Record(item, partial(_jsonl_location, number)))
    return RawCohort(file, "jsonl", records, escapes="\\u" in text)


# ASCII digits only (\d also matches Arabic-Indic or fullwidth digits), to the very end.
_INTEGER = re.compile(rf"[+-]?[0-9]{{1,{MAX_DIGITS}}}")
_DECIMAL = re.compile(  # a declared number field's decimal, ASCII digits only
    rf"[+-]?([0-9]{{1,{MAX_DIGITS}}}\.[0-9]{{0,{MAX_DIGITS}}}|\.[0-9]{{1,{MAX_DIGITS}}})")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def _coerce(column: str, cell: str, kinds: Mapping[str, str]) -> Any:
    kind = kinds.get(column)
    if kind == "array":
        return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]
    if kind == "integer":
        return int(cell) if _INTEGER.fullmatch(cell) else cell
    if kind == "number":  # a declared number field: whole numbers stay whole
        if _INTEGER.fullmatch(cell):
            return int(cell)
        return float(cell) if _DECIMAL.fullmatch(cell) else cell
    if kind == "boolean":
        lowered = cell.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else cell
    if column.startswith("protected.") and _INTEGER.fullmatch(cell):
        return int(cell)
    return cell


def _csv_location(row: int, path: tuple[str | int, ...]) -> str:
    names = [p for p in path if isinstance(p, str)]
    if not names:
        return f"row {row}"
    column = ".".join(names[:2])
    items = [p for p in path if isinstance(p, int)]
    item = f" (item {items[0] + 1})" if items else ""
    return f"row {row}, column {column}{item}"


def _read_csv(text: str, file: str, kinds: Mapping[str, str]) -> RawCohort:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    start = 1  # the line the row being read starts on: an open quote runs to the end
    try:
        for row in reader:
            rows.append(row)
            start = reader.line_num + 1
    except csv.Error as exc:
        hint = ("a quoted cell is never closed; add the closing '\"'"
                if "end of data" in str(exc) else
                f"a cell is longer than {csv.field_size_limit():,} characters; no field is "
                "that long, so check for a quote that is never closed"
                if "field limit" in str(exc) else
                f"{exc}; a '\"' inside a quoted cell must be doubled ('\"\"')")
        raise _fail(file, f"not valid CSV: {hint}", f"row {len(rows) + 1}, line {start}") from None
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise _fail(file, f"the file is empty; {_EMPTY_HINTS['csv']}")
    header = [h.strip() for h in rows[0]]
    for separator, name in ((";", "';'"), ("\t", "tabs")):
        if len(header) == 1 and separator in header[0]:
            raise _fail(file, f"the header is one cell: this file separates its cells with "
                              f"{name}; export it with ',' between cells (';' only separates "
                              "the values of a list inside a cell)", "row 1")
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, name in enumerate(header, 1):
        if not name:
            problems.append(Problem(file, f"row 1, column {index}",
                                    "a header cell is empty; name the column or delete it"))
        elif name in seen:
            problems.append(Problem(file, f"row 1, column {name}",
                                    f"column {name!r} appears twice; keep one"))
        seen.add(name)
    records = []
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(Problem(file, f"row {number}",
                                    f"has {len(row)} cells but the header has {len(header)}; "
                                    "check for a missing or extra separator or an unclosed quote"))
            continue
        data: dict[str, Any] = {}
        for name, cell in zip(header, row, strict=True):
            cell = cell.strip()
            if not name or not cell:
                continue
            value = _coerce(name, cell, kinds)
            if "." in name:
                parent, child = name.split(".", 1)
                container = data.setdefault(parent, {})
                if isinstance(container, dict):
                    container[child] = value
            else:
                data[name] = value
        records.append(Record(data, partial(_csv_location, number)))
    if problems:
        raise InvalidInput(problems, "cohort")
    return RawCohort(file, "csv", records, columns=tuple(header), escapes="\\u" in text)


def read_cohort_file(path: Path, column_kinds: Mapping[str, str]) -> RawCohort:
    """Read one cohort file. ``column_kinds`` maps CSV columns to array/integer/boolean."""
    file = str(path)
    try:
        path.stat()
    except FileNotFoundError:
        raise _fail(file, "no such file; check the name and the current directory") from None
    except OSError as exc:
        raise _fail(file, f"cannot read the file: {exc.strerror}") from None
    if path.is_dir():
        raise _fail(file, "this is a directory; give a cohort file inside it")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise _fail(file, f"unsupported file type {path.suffix or '(none)'!r}; give a .json, "
                          ".jsonl or .csv file (export spreadsheets as 'CSV UTF-8')")
    text = _decode(path, file, fmt)
    if fmt == "json":
        return _read_json(text, file)
    if fmt == "jsonl":
        return _read_jsonl(text, file)
    return _read_csv(text, file, column_kinds)
