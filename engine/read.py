"""Read a cohort file (JSON, JSONL or CSV) into raw records, each with its location.

Nothing is validated here beyond what it takes to read the file; `engine.validate`
checks the records. Every failure is a located Problem, never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import InvalidInput, Problem

MAX_BYTES = 50 * 1024 * 1024
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


def _subpath(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _fail(file: str, message: str, path: str = "") -> InvalidInput:
    return InvalidInput([Problem(file, path, message)], "cohort")


def _decode(path: Path, file: str) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _fail(file, f"cannot read the file: {exc.strerror}") from None
    if path.is_dir():
        raise _fail(file, "is a directory; give a cohort file")
    if size > MAX_BYTES:
        raise _fail(file, f"the file is {size / 1024 / 1024:.0f} MB, over the 50 MB limit; "
                          "split the cohort into several files")
    raw = path.read_bytes()
    if not raw.strip():
        raise _fail(file, "the file is empty; add a header row and one row per participant (CSV) "
                          "or a list of participants (JSON)")
    if b"\x00" in raw[:8192]:
        raise _fail(file, "this is a binary file, not a text cohort; export it as CSV (UTF-8), "
                          "JSON or JSONL (a spreadsheet needs 'Save as CSV UTF-8')")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _fail(file, f"byte {exc.start} is not valid UTF-8; re-save the file as UTF-8 "
                          "(in a spreadsheet: 'CSV UTF-8')", f"line {line}") from None


def _no_duplicate_keys(file: str, problems: list[Problem]) -> Callable[[list[tuple[str, Any]]],
                                                                      dict[str, Any]]:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                problems.append(Problem(file, "", f"duplicate key {key!r} in one object; "
                                                  "JSON keeps only the last, so remove one"))
            out[key] = value
        return out
    return hook


def _parse_json(text: str, file: str, where: str = "") -> Any:
    problems: list[Problem] = []
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicate_keys(file, problems))
    except json.JSONDecodeError as exc:
        loc = where or f"line {exc.lineno}, column {exc.colno}"
        raise _fail(file, f"not valid JSON: {exc.msg}", loc) from None
    if problems:
        raise InvalidInput([Problem(p.file, where or p.path, p.message) for p in problems],
                           "cohort")
    return value


def _read_json(text: str, file: str) -> RawCohort:
    doc = _parse_json(text, file)
    envelope: list[Problem] = []
    program: dict[str, Any] = {}
    if isinstance(doc, list):
        items, prefix = doc, "$"
    elif isinstance(doc, dict):
        if "participants" not in doc:
            raise _fail(file, "expected a list of participants, or an object with a "
                              "'participants' list", "$")
        items, prefix = doc["participants"], "$.participants"
        for key in doc:
            if key not in ("participants", "program"):
                envelope.append(Problem(file, f"$.{key}", f"unknown top-level field {key!r}; "
                                                          "expected 'participants' and 'program'"))
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
        records.append(Record(item, lambda p, base=base: base + _subpath(p)))
    return RawCohort(file, "json", records, program, envelope)


def _read_jsonl(text: str, file: str) -> RawCohort:
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        item = _parse_json(line, file, f"line {number}")
        records.append(Record(item, lambda p, n=number: f"line {n}, ${_subpath(p)}"))
    return RawCohort(file, "jsonl", records)


_INTEGER = re.compile(r"^[+-]?\d+$")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def _coerce(column: str, cell: str, kinds: Mapping[str, str]) -> Any:
    kind = kinds.get(column)
    if kind == "array":
        return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]
    if kind == "integer":
        return int(cell) if _INTEGER.match(cell) else cell
    if kind == "boolean":
        lowered = cell.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else cell
    if column.startswith("protected.") and _INTEGER.match(cell):
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
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise _fail(file, f"not valid CSV: {exc}; check the quotes on this line",
                    f"line {reader.line_num}") from None
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise _fail(file, "the file is empty")
    header = [h.strip() for h in rows[0]]
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
        records.append(Record(data, lambda p, n=number: _csv_location(n, p)))
    if problems:
        raise InvalidInput(problems, "cohort")
    return RawCohort(file, "csv", records)


def read_cohort_file(path: Path, column_kinds: Mapping[str, str]) -> RawCohort:
    """Read one cohort file. ``column_kinds`` maps CSV columns to array/integer/boolean."""
    file = str(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise _fail(file, f"unsupported file type {path.suffix or '(none)'!r}; give a .json, "
                          ".jsonl or .csv file (export spreadsheets as 'CSV UTF-8')")
    text = _decode(path, file)
    if fmt == "json":
        return _read_json(text, file)
    if fmt == "jsonl":
        return _read_jsonl(text, file)
    return _read_csv(text, file, column_kinds)
