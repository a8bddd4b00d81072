"""The import mapping: how the columns and values of an HR export become profile fields.

In: mapping.yaml, the file an admin edits, and the program's vocabulary. Out: a checked
`Mapping`, or InvalidInput listing every problem with its line and a "did you mean".

The file holds:

- ``columns``: source column -> profile field (``protected.NAME`` keeps a column for
  fairness monitoring only; a field declared in vocabulary.yaml is a field too);
- ``ignore``: source columns left out on purpose;
- ``values``: per field, source value -> profile value, matched without regard to case
  or spacing;
- ``dates``: the date format, or a list of formats tried in order (``%d/%m/%Y``);
- ``lists``: the separator of list cells, one for all or one per field;
- ``sheet`` (xlsx) and ``delimiter`` (CSV): which sheet, which cell separator;
- ``program``: the cohort's program header (name, cohort, as_of, description).

Matching a column or a value never depends on case or spacing: `normal()` is the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from engine.base.canonical import sha256_hex
from engine.base.errors import InvalidInput, Problem
from engine.base.suggest import closest
from engine.rules.vocabulary import Vocabulary
from engine.rules.yamlio import Key, Located, LocatedChecker, load

# The built-in fields a column may feed, with the kind of value each takes.
BUILT_IN: MappingABC[str, str] = {
    "id": "text", "role": "text", "name": "text", "learning_style": "text",
    "job_family": "text", "department": "text", "subsidiary": "text", "hire_date": "date",
    "intentions": "list", "topics": "list", "capacity": "integer", "manager_id": "text",
    "email": "text", "my_job_day.discover": "list", "my_job_day.host": "flag",
    "my_job_day.slots": "integer",
}
PROTECTED_PREFIX = "protected."
SECTIONS = ("columns", "ignore", "values", "dates", "lists", "sheet", "delimiter", "program")
PROGRAM_KEYS = ("name", "cohort", "as_of", "description")
DEFAULT_DATES = ("%Y-%m-%d",)
DEFAULT_SEPARATOR = ";"
_SPACES = re.compile(r"\s+")
_PROTECTED_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def normal(text: str) -> str:
    """The key two spellings of one name share: case folded, spaces collapsed, trimmed."""
    return _SPACES.sub(" ", text.replace("\ufeff", "")).strip().casefold()


@dataclass(frozen=True)
class Mapping:
    file: str
    digest: str  # sha256: and the hex of the file's exact bytes
    columns: MappingABC[str, str]  # source column -> field
    ignore: tuple[str, ...] = ()
    values: MappingABC[str, MappingABC[str, Any]] = field(default_factory=dict)  # field ->
    dates: tuple[str, ...] = DEFAULT_DATES  # normal(source value) -> profile value
    lists: MappingABC[str, str] = field(default_factory=dict)  # field -> separator
    list_separator: str = DEFAULT_SEPARATOR
    sheet: str | None = None
    delimiter: str | None = None
    program: MappingABC[str, Any] = field(default_factory=dict)
    lines: MappingABC[str, int] = field(default_factory=dict)  # source column -> line

    def separator(self, target: str) -> str:
        return self.lists.get(target, self.list_separator)


def field_kind(target: str, vocabulary: Vocabulary) -> str | None:
    """text, date, list, integer, flag, number or protected; None for no such field."""
    if target in BUILT_IN:
        return BUILT_IN[target]
    if target.startswith(PROTECTED_PREFIX):
        return "protected" if _PROTECTED_NAME.match(target[len(PROTECTED_PREFIX):]) else None
    declared = vocabulary.fields.get(target)
    return declared.type if declared is not None else None


def allowed_values(target: str, vocabulary: Vocabulary, role: str | None = None
                   ) -> tuple[str, ...] | None:
    """The closed set of values a field takes, or None when it takes free text."""
    if target == "my_job_day.discover":
        return vocabulary.job_families
    if target.startswith(PROTECTED_PREFIX):
        return None
    return vocabulary.values_of(target, role)


def fields_known(vocabulary: Vocabulary) -> tuple[str, ...]:
    return (*BUILT_IN, *vocabulary.fields)


class _Checker(LocatedChecker):
    def __init__(self, file: str, doc: Located, vocabulary: Vocabulary) -> None:
        super().__init__(file, doc)
        self.vocabulary = vocabulary

    def columns(self, raw: Any) -> tuple[dict[str, str], dict[str, int]]:
        if not isinstance(raw, dict) or not raw:
            self.problem(("columns",), "'columns' must map each source column to a profile "
                                       "field, e.g. 'Employee ID: id'")
            return {}, {}
        out: dict[str, str] = {}
        lines: dict[str, int] = {}
        fed: dict[str, str] = {}
        seen: dict[str, str] = {}
        for column, target in raw.items():
            path: Key = ("columns", column)
            lines[column] = self.doc.line(path)
            if normal(column) in seen:
                self.problem(path, f"column {column!r} is mapped twice (as {seen[normal(column)]!r}"
                                   "); case and spacing do not count, so keep one")
                continue
            seen[normal(column)] = column
            if not isinstance(target, str) or field_kind(target, self.vocabulary) is None:
                self.problem(path, f"{target!r} is not a profile field; give one of "
                                   f"{', '.join(fields_known(self.vocabulary))}, or "
                                   "protected.NAME for data kept for fairness monitoring only",
                             closest(target, fields_known(self.vocabulary)))
                continue
            if target in fed:
                self.problem(path, f"field {target!r} is fed by two columns ({fed[target]!r} "
                                   f"and {column!r}); map one and ignore the other")
                continue
            fed[target] = column
            out[column] = target
        return out, lines

    def ignore(self, raw: Any, columns: MappingABC[str, str]) -> tuple[str, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
            self.problem(("ignore",), "'ignore' must be a list of source column names")
            return ()
        mapped = {normal(c) for c in columns}
        for index, column in enumerate(raw):
            if normal(column) in mapped:
                self.problem(("ignore", index), f"column {column!r} is both mapped and "
                                                "ignored; remove it from one of the two")
        return tuple(raw)

    def values(self, raw: Any, columns: MappingABC[str, str]) -> dict[str, dict[str, Any]]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problem(("values",), "'values' must map each field to its value map, e.g. "
                                      "'role: {Mentor: mentor}'")
            return {}
        targets = set(columns.values())
        out: dict[str, dict[str, Any]] = {}
        for target, table in raw.items():
            if target not in targets:
                self.problem(("values", target), f"values are given for {target!r}, which no "
                                                 "column feeds; map a column to it or remove "
                                                 "these values", closest(target, targets))
                continue
            if not isinstance(table, dict):
                self.problem(("values", target), f"the values of {target!r} must map each "
                                                 "source value to a profile value")
                continue
            allowed = self._allowed(target)
            kept: dict[str, Any] = {}
            for source, value in table.items():
                path: Key = ("values", target, source)
                if normal(str(source)) in kept:
                    self.problem(path, f"source value {source!r} is given twice (case and "
                                       "spacing do not count); keep one")
                    continue
                if allowed is not None and value not in allowed:
                    self.problem(path, f"{value!r} is not a value of {target!r}; the vocabulary "
                                       f"allows {', '.join(allowed)}", closest(value, allowed))
                    continue
                if not isinstance(value, str | int | float | bool):
                    self.problem(path, f"the value for {source!r} must be plain text or a "
                                       "number")
                    continue
                kept[normal(str(source))] = value
            out[target] = kept
        return out

    def _allowed(self, target: str) -> tuple[str, ...] | None:
        if target == "intentions":
            return self.vocabulary.intention_codes()
        return allowed_values(target, self.vocabulary)

    def dates(self, raw: Any) -> tuple[str, ...]:
        if raw is None:
            return DEFAULT_DATES
        formats = [raw] if isinstance(raw, str) else raw
        if not isinstance(formats, list) or not formats:
            self.problem(("dates",), "'dates' must be a date format such as '%d/%m/%Y', or a "
                                     "list of them")
            return DEFAULT_DATES
        for index, fmt in enumerate(formats):
            path: Key = ("dates",) if isinstance(raw, str) else ("dates", index)
            sample = date(2021, 3, 15)
            try:
                ok = isinstance(fmt, str) and datetime.strptime(
                    sample.strftime(fmt), fmt).date() == sample
            except ValueError:
                ok = False
            if not ok:
                self.problem(path, f"{fmt!r} is not a date format that gives back the day; use "
                                   "%d (day), %m (month), %Y (year), e.g. '%d/%m/%Y'")
        return tuple(str(f) for f in formats)

    def lists(self, raw: Any, columns: MappingABC[str, str]) -> tuple[str, dict[str, str]]:
        if raw is None:
            return DEFAULT_SEPARATOR, {}
        if isinstance(raw, str) and raw:
            return raw, {}
        if not isinstance(raw, dict):
            self.problem(("lists",), "'lists' must be a separator such as ';', or a map of "
                                     "list field -> separator")
            return DEFAULT_SEPARATOR, {}
        list_fields = [t for t in columns.values()
                       if field_kind(t, self.vocabulary) == "list"]
        out: dict[str, str] = {}
        for target, separator in raw.items():
            if target not in list_fields:
                self.problem(("lists", target), f"{target!r} is not a list field fed by a "
                                                "column", closest(target, list_fields))
            elif not isinstance(separator, str) or not separator:
                self.problem(("lists", target), "a separator must be one or more characters")
            else:
                out[target] = separator
        return DEFAULT_SEPARATOR, out

    def program(self, raw: Any) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problem(("program",), "'program' must map name, cohort, as_of, description")
            return {}
        for key in raw:
            if key not in PROGRAM_KEYS:
                self.problem(("program", key), f"unknown program key {key!r}; expected "
                                               f"{', '.join(PROGRAM_KEYS)}",
                             closest(key, PROGRAM_KEYS))
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in raw.items()
                if k in PROGRAM_KEYS}

    def text(self, key: str, raw: Any) -> str | None:
        if raw is None:
            return None
        if not isinstance(raw, str) or not raw:
            self.problem((key,), f"'{key}' must be text")
            return None
        return raw


def load_mapping(path: Path, vocabulary: Vocabulary) -> Mapping:
    """Read and check a mapping file. Raises InvalidInput listing every problem."""
    file = str(path)
    doc = load(path, file)
    if not isinstance(doc.data, dict):
        raise InvalidInput([Problem(file, "line 1", "expected a mapping with 'columns:'; "
                                                    "`tandem import --suggest FILE` writes a "
                                                    "first one")], "mapping")
    check = _Checker(file, doc, vocabulary)
    for key in doc.data:
        if key not in SECTIONS:
            check.problem((key,), f"unknown section {key!r}; expected {', '.join(SECTIONS)}",
                          closest(key, SECTIONS))
    columns, lines = check.columns(doc.data.get("columns"))
    ignore = check.ignore(doc.data.get("ignore"), columns)
    values = check.values(doc.data.get("values"), columns)
    dates = check.dates(doc.data.get("dates"))
    separator, lists = check.lists(doc.data.get("lists"), columns)
    sheet = check.text("sheet", doc.data.get("sheet"))
    delimiter = check.text("delimiter", doc.data.get("delimiter"))
    program = check.program(doc.data.get("program"))
    if check.problems:
        raise InvalidInput(check.problems, "mapping")
    return Mapping(file, "sha256:" + sha256_hex(doc.text), columns, ignore, values, dates,
                   lists, separator, sheet, delimiter, program, lines)
