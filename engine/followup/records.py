"""Reading check-ins: a survey export (CSV, JSON or JSONL) or the command line's options.

Every row is checked against ``schemas/checkin.schema.json`` and every problem is reported
at once, located (``row 3, column rating``, ``$[2].by``, ``line 4, $.on``), with a "did you
mean" where a close value exists, exactly as for profiles. Reading reuses the cohort
reader's decoding and parsing (``engine.profiles.read``) and the profile validator's messages
(``engine.profiles.validate``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache, partial
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from engine.base.errors import InvalidInput, Problem
from engine.base.files import FileRefused, read_capped
from engine.base.resources import schemas_dir
from engine.base.suggest import closest
from engine.followup.facts import RATING_RANGE, Checkin
from engine.profiles.read import (
    FORMATS,
    MAX_BYTES,
    Record,
    _decode,
    _json_location,
    _parse_json,
    _read_csv,
    _read_jsonl,
)
from engine.profiles.validate import _NO_VOCABULARY, _leaves, _message

WHAT = "check-ins"
ENVELOPE_KEY = "checkins"
# How each command-line value is named in a message: `tandem checkin: --rating: ...`.
OPTION_NAMES = {"mentor": "MENTOR", "mentee": "MENTEE", "rating": "--rating", "on": "--on",
                "by": "--by", "note": "--note"}


@dataclass(frozen=True)
class CheckinFile:
    """The valid check-ins of a file, and a problem for each invalid one."""

    file: str
    checkins: tuple[Checkin, ...]
    problems: tuple[Problem, ...]
    rows: int

    @property
    def invalid_rows(self) -> int:
        return self.rows - len(self.checkins)


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((schemas_dir() / "checkin.schema.json")
                                        .read_text("utf-8"))
    return loaded


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=FormatChecker())


def _fail(file: str, message: str, path: str = "") -> InvalidInput:
    return InvalidInput([Problem(file, path, message)], WHAT)


def _field_message(error: ValidationError, csv: bool) -> list[tuple[tuple[str | int, ...], str,
                                                                   str | None]]:
    path = tuple(error.absolute_path)
    low, high = RATING_RANGE
    if path == ("rating",) and error.validator in ("minimum", "maximum", "type"):
        return [(path, f"the rating must be a whole number from {low} to {high}, got "
                       f"{json.dumps(error.instance)}", None)]
    if error.validator == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else "?"
        if csv:
            return [((*path, missing), f"the cell is empty, but every check-in needs a "
                                       f"{missing}; fill it in", None)]
        return [((*path, missing), f"missing required field {missing!r}; add it", None)]
    return _message(error, _NO_VOCABULARY, None, csv=csv)


def record_problems(data: Any, csv: bool = False
                    ) -> list[tuple[tuple[str | int, ...], str, str | None]]:
    """(path in the record, message, suggestion) for every way ``data`` breaks the schema."""
    if not isinstance(data, dict):
        return [((), "each check-in must be an object of field: value", None)]
    found = [f for error in _leaves(_validator().iter_errors(data))
             for f in _field_message(error, csv)]
    return sorted(found, key=lambda f: [str(p) for p in f[0]])


def _checkin(data: Mapping[str, Any], where: str) -> Checkin:
    on = data.get("on")
    return Checkin(mentor=data["mentor"], mentee=data["mentee"], rating=int(data["rating"]),
                   on=date.fromisoformat(on) if isinstance(on, str) else None,
                   by=data.get("by"), note=data.get("note"), where=where)


def _open(path: Path) -> tuple[str, str]:
    file = str(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise _fail(file, f"unsupported file type {path.suffix or '(none)'!r}; give a .csv, "
                          ".json or .jsonl file (export spreadsheets as 'CSV UTF-8')")
    try:  # regular files only, never more than the cap (engine.base.files)
        raw = read_capped(path, MAX_BYTES, "check-in file")
    except FileRefused as exc:
        raise _fail(file, str(exc)) from None
    if not raw.strip():
        raise _fail(file, "the file is empty; add one check-in per row (CSV with the columns "
                          "mentor, mentee, on, by, rating, note), per line (JSONL) or a list "
                          "(JSON)")
    try:
        return file, _decode(path, file, fmt)
    except InvalidInput as exc:
        raise InvalidInput(exc.problems, WHAT) from None


def _json_records(text: str, file: str) -> list[Record]:
    doc = _parse_json(text, file)
    prefix = "$"
    if isinstance(doc, dict):
        extra = [k for k in doc if k != ENVELOPE_KEY]
        if ENVELOPE_KEY not in doc or extra:
            name = extra[0] if extra else "?"
            raise _fail(file, f"expected a list of check-ins, or an object with one key "
                              f"{ENVELOPE_KEY!r} holding that list; found {name!r}",
                        f"$.{name}" if extra else "$")
        doc, prefix = doc[ENVELOPE_KEY], f"$.{ENVELOPE_KEY}"
    if not isinstance(doc, list):
        raise _fail(file, "expected a list of check-ins, [{\"mentor\": ..., \"mentee\": ..., "
                          "\"rating\": ...}, ...]", prefix)
    return [Record(item, partial(_json_location, f"{prefix}[{i}]")) for i, item in
            enumerate(doc)]


def _header_problems(file: str, columns: Iterable[str]) -> tuple[list[Problem], set[str]]:
    allowed = list(schema()["properties"])
    problems, flagged = [], set()
    names = list(columns)
    for name in names:
        if name and name not in allowed:
            flagged.add(name)
            problems.append(Problem(file, f"row 1, column {name}",
                                    f"unknown column {name!r}; rename it or delete it",
                                    closest(name, allowed)))
    for name in schema()["required"]:
        if name not in names:
            flagged.add(name)
            problems.append(Problem(file, "row 1", f"no column {name!r}, which every check-in "
                                                   "needs; add it"))
    return problems, flagged


def read_checkins(path: Path) -> CheckinFile:
    """Read and check a check-in file. Raises InvalidInput when the file cannot be read at
    all; otherwise returns the valid rows and one located problem per invalid row."""
    file, text = _open(path)
    fmt = FORMATS[path.suffix.lower()]
    problems: list[Problem] = []
    flagged: set[str] = set()
    try:
        if fmt == "csv":
            raw = _read_csv(text, file, {"rating": "integer"})
            records = raw.records
            problems, flagged = _header_problems(file, raw.columns)
        elif fmt == "jsonl":
            records = _read_jsonl(text, file).records
        else:
            records = _json_records(text, file)
    except InvalidInput as exc:
        raise InvalidInput(exc.problems, WHAT) from None
    if not records:
        raise _fail(file, "the file holds no check-in; add one per row, line or list item")
    valid = []
    for record in records:
        found = [f for f in record_problems(record.data, csv=fmt == "csv")
                 if not (flagged and ".".join(str(p) for p in f[0][:1]) in flagged)]
        if found:
            problems += [Problem(file, record.where(where), message, hint)
                         for where, message, hint in found]
        elif not flagged:
            valid.append(_checkin(record.data, record.where(())))
    return CheckinFile(file, tuple(valid), tuple(problems), len(records))


def checkin_from_options(mentor: str, mentee: str, rating: int, on: date | None,
                         by: str | None, note: str | None) -> Checkin:
    """One check-in from the command line, checked by the same schema as a file's rows."""
    data: dict[str, Any] = {"mentor": mentor, "mentee": mentee, "rating": rating}
    optional = {"on": on.isoformat() if on else None, "by": by, "note": note}
    data.update({k: v for k, v in optional.items() if v is not None})
    found = record_problems(data)
    if found:
        raise InvalidInput([Problem("tandem checkin", OPTION_NAMES.get(str(where[0]), "")
                                    if where else "", message, hint)
                            for where, message, hint in found], "command")
    return _checkin(data, "")
