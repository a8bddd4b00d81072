"""From an HR export and its mapping to a cohort that `tandem validate` accepts.

In: a `Table` (engine.profiles.table), a checked `Mapping` (engine.profiles.mapping) and the
vocabulary. Out: an `Import`: the cohort document, every change made to a value (row,
column, before, after), and every value that could not be mapped, each with its row, its
column and a "did you mean". Pure: the command writes the document, or nothing.

A value is changed only in ways that are reported: spacing trimmed, a value map applied, a
value matched to the vocabulary without regard to case or spacing (``Human Resources`` ->
``human-resources``), a date written as YYYY-MM-DD, a list split at its separator. The
cohort carries where it came from (``program.import``): the source file and the mapping
with their digests, and the source row of each profile, so that a reviewer can trace a
profile back to its row in the HR export.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from engine.base.errors import Problem
from engine.base.suggest import closest
from engine.profiles.mapping import (
    PROTECTED_PREFIX,
    Mapping,
    allowed_values,
    field_kind,
    normal,
)
from engine.profiles.read import RawCohort, Record
from engine.profiles.table import Row, Table
from engine.rules.vocabulary import Vocabulary

_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_DECIMAL = re.compile(r"[+-]?[0-9]{1,18}([.,][0-9]{1,18})?")
_TRUE = {"true", "yes", "y", "1", "x", "oui", "vrai"}
_FALSE = {"false", "no", "n", "0", "non", "faux"}


@dataclass(frozen=True)
class Change:
    row: int
    column: str
    before: str
    after: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "before": self.before,
                "after": self.after}


@dataclass
class Import:
    """The cohort document, what was changed to build it, and what could not be mapped."""

    document: dict[str, Any]
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # unmappable values, invalid rows
    warnings: list[Problem] = field(default_factory=list)  # e.g. a manager outside the cohort
    skipped_rows: list[int] = field(default_factory=list)

    @property
    def participants(self) -> int:
        return len(self.document["participants"])


class _UnmappableError(ValueError):
    def __init__(self, message: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.suggestion = suggestion


def _slug(text: str) -> str:
    """``Human  Resources`` and ``human_resources`` both read as ``human-resources``."""
    return re.sub(r"[\s_]+", "-", normal(text))


def _closed(cell: str, allowed: Sequence[str], target: str) -> str:
    by_slug = {_slug(value): value for value in allowed}
    found = by_slug.get(_slug(cell))
    if found is None:
        raise _UnmappableError(f"{cell!r} is not a value of {target!r} ({', '.join(allowed)}); add "
                          f"it to the mapping's values: {target}:", closest(cell, allowed))
    return found


def _date(cell: str, formats: Sequence[str]) -> str:
    for fmt in formats:
        try:
            return datetime.strptime(cell, fmt).date().isoformat()
        except ValueError:
            continue
    try:  # an xlsx date cell arrives as YYYY-MM-DD whatever the formats say
        return date.fromisoformat(cell).isoformat()
    except ValueError:
        pass
    shown = " or ".join(repr(f) for f in formats)
    raise _UnmappableError(f"{cell!r} is not a date in the format {shown}; fix the cell, or "
                           "add its format to the mapping's dates:")


def _integer(cell: str) -> int:
    text = cell[:-2] if cell.endswith(".0") else cell
    if not _INTEGER.fullmatch(text):
        raise _UnmappableError(f"{cell!r} is not a whole number")
    return int(text)


def _number(cell: str) -> int | float:
    if not _DECIMAL.fullmatch(cell):
        raise _UnmappableError(f"{cell!r} is not a number")
    text = cell.replace(",", ".")
    return int(text) if _INTEGER.fullmatch(text) else float(text)


def _flag(cell: str) -> bool:
    word = normal(cell)
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise _UnmappableError(f"{cell!r} is neither yes nor no; write yes/no, or map it in the "
                      "mapping's values:")


class _Converter:
    def __init__(self, mapping: Mapping, vocabulary: Vocabulary) -> None:
        self.mapping, self.vocabulary = mapping, vocabulary

    def one(self, target: str, kind: str, cell: str, role: str | None) -> Any:
        """One value of a field: the value map first, then the field's own reading."""
        mapped = self.mapping.values.get(target, {}).get(normal(cell))
        if mapped is not None:
            return mapped
        allowed = allowed_values(target, self.vocabulary, role)
        if kind in ("text", "list") and allowed is not None:
            if target == "intentions" and role not in ("mentor", "mentee"):
                allowed = self.vocabulary.intention_codes()
            return _closed(cell, allowed, target)
        if kind == "date":
            return _date(cell, self.mapping.dates)
        if kind == "integer":
            return _integer(cell)
        if kind == "number":
            return _number(cell)
        if kind == "flag":
            return _flag(cell)
        if kind == "protected" and _INTEGER.fullmatch(cell):
            return int(cell)
        return re.sub(r"\s+", " ", cell).strip()

    def value(self, target: str, cell: str, role: str | None) -> Any:
        kind = field_kind(target, self.vocabulary) or "text"
        if kind != "list":
            return self.one(target, kind, cell, role)
        separator = self.mapping.separator(target)
        items: list[Any] = []
        failures: list[_UnmappableError] = []
        for part in cell.split(separator):
            if not part.strip():
                continue
            try:
                value = self.one(target, kind, part.strip(), role)
            except _UnmappableError as exc:
                failures.append(exc)
                continue
            if value not in items:
                items.append(value)
        if failures:
            first = failures[0]
            raise _UnmappableError("; ".join(str(f) for f in failures), first.suggestion)
        return items


def _shown(value: Any, separator: str) -> str:
    if isinstance(value, list):
        return separator.join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _header_problems(table: Table, mapping: Mapping) -> tuple[dict[str, str], list[Problem]]:
    """Source column -> field for the columns the file has; every column accounted for."""
    by_normal = {normal(name): name for name in table.header}
    problems: list[Problem] = []
    found: dict[str, str] = {}
    for column, target in mapping.columns.items():
        actual = by_normal.get(normal(column))
        if actual is None:
            problems.append(Problem(mapping.file, f"line {mapping.lines.get(column, 1)}",
                                    f"column {column!r} is not in {table.file}; fix its name "
                                    "or remove it from columns:",
                                    closest(column, table.header)))
        else:
            found[actual] = target
    known = {normal(c) for c in (*mapping.columns, *mapping.ignore)}
    for name in table.header:
        if normal(name) not in known:
            problems.append(Problem(table.file, f"row 1, column {name!r}",
                                    f"column {name!r} is neither mapped nor ignored; add it "
                                    f"to the mapping's columns: (as a profile field) or to "
                                    "ignore:", closest(name, [*mapping.columns,
                                                              *mapping.ignore])))
    return found, problems


def _location(row: int, by_field: dict[str, str], path: tuple[str | int, ...]) -> str:
    names = [p for p in path if isinstance(p, str)]
    if not names:
        return f"row {row}"
    target = ".".join(names[:2]) if names[0] in ("my_job_day", "protected") else names[0]
    column = by_field.get(target)
    return f"row {row}, column {column!r}" if column else f"row {row}, field {target}"


def _put(data: dict[str, Any], target: str, value: Any) -> None:
    if "." in target:
        parent, child = target.split(".", 1)
        data.setdefault(parent, {})[child] = value
    else:
        data[target] = value


def _convert_row(row: Row, columns: dict[str, str], convert: _Converter, table: Table,
                 changes: list[Change], problems: list[Problem]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    role_column = next((c for c, t in columns.items() if t == "role"), None)
    role: str | None = None
    if role_column and role_column in row.cells:
        try:
            role = str(convert.value("role", row.cells[role_column].strip(), None))
        except _UnmappableError:
            role = None
    for column, target in columns.items():
        cell = row.cells.get(column)
        if cell is None:
            continue
        try:
            value = convert.value(target, cell.strip(), role)
        except _UnmappableError as exc:
            problems.append(Problem(table.file, f"row {row.number}, column {column!r}",
                                    str(exc), exc.suggestion))
            continue
        if value == [] or value == "":
            continue
        shown = _shown(value, convert.mapping.separator(target))
        if shown != cell:
            changes.append(Change(row.number, column, cell, shown))
        _put(data, target, value)
    return data


def import_table(table: Table, mapping: Mapping, vocabulary: Vocabulary, *,
                 skip_invalid: bool = False) -> Import:
    """Map every row. Problems are located by row and column; with ``skip_invalid`` the
    rows that have one are left out of the document (and listed), else the document is
    still built but must not be written."""
    from engine.profiles.validate import check_cohort

    columns, problems = _header_problems(table, mapping)
    if problems:
        return Import(_document([], table, mapping, {}), [], problems)
    convert = _Converter(mapping, vocabulary)
    changes: list[Change] = []
    records: list[Record] = []
    rows_of: dict[int, Row] = {}
    by_field = {target: column for column, target in columns.items()}
    for row in table.rows:
        found: list[Problem] = []
        data = _convert_row(row, columns, convert, table, changes, found)
        problems += found
        if found and skip_invalid:
            continue
        records.append(Record(data, partial(_location, row.number, by_field)))
        rows_of[id(records[-1])] = row
    raw = RawCohort(table.file, "csv", records, dict(mapping.program))
    _, checked = check_cohort(raw, vocabulary)
    unmappable = {p.path for p in problems}  # a field left out as unmappable: said once
    problems += [p for p in checked if p.severity == "error" and p.path not in unmappable]
    warnings = [p for p in checked if p.severity == "warning"]
    bad_rows = {_row_of(p) for p in problems}
    kept = [r for r in records if not (skip_invalid and rows_of[id(r)].number in bad_rows)]
    skipped = sorted({n for n in bad_rows if n} if skip_invalid else set())
    if skip_invalid and len(kept) != len(records):  # rows left out: check the rest again
        _, again = check_cohort(RawCohort(table.file, "csv", kept, dict(mapping.program)),
                                vocabulary)
        problems += [p for p in again if p.severity == "error" and p not in problems
                     and p.path not in unmappable]
    problems.sort(key=lambda p: (p.file != table.file, _row_of(p), p.path))
    rows = {str(r.data.get("id")): rows_of[id(r)].number for r in kept}
    document = _document([r.data for r in kept], table, mapping, rows)
    return Import(document, [c for c in changes if not skip_invalid or c.row not in bad_rows],
                  problems, warnings=warnings, skipped_rows=skipped)


def _row_of(problem: Problem) -> int:
    found = re.match(r"row (\d+)", problem.path)
    return int(found.group(1)) if found else 0


def _document(participants: list[dict[str, Any]], table: Table, mapping: Mapping,
              rows: dict[str, int]) -> dict[str, Any]:
    program = dict(mapping.program)
    program["import"] = {"source": Path(table.file).name, "source_digest": table.digest,
                         "mapping": Path(mapping.file).name, "mapping_digest": mapping.digest,
                         "rows": rows}
    return {"program": program, "participants": participants}


def protected_columns(mapping: Mapping) -> list[str]:
    return [c for c, t in mapping.columns.items() if t.startswith(PROTECTED_PREFIX)]
