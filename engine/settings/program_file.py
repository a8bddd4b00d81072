"""`tandem.toml`: found as git finds `.git`, read with `tomllib`, validated with located
problems.

In: a folder (the working directory) or a file. Out: a `ProgramSettings` whose paths are
absolute (relative ones are read from the file's folder), or an `InvalidInput` that lists
every problem with the file, its line and the fix. No I/O beyond reading the one file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from engine.base.errors import InvalidInput, Problem
from engine.base.files import FileRefused, read_capped
from engine.base.suggest import closest

FILE_NAME = "tandem.toml"
MAX_BYTES = 1024 * 1024
DEFAULT_DATABASE = "tandem.db"
DEFAULT_RULES = "rules"
DEFAULT_SMALLEST_GROUP = 5

# Every table and key the file may hold, and what each key takes (for the messages).
KEYS: Mapping[str, Mapping[str, str]] = {
    "program": {
        "name": "the program's name, text",
        "database": "a database URL, or the path of an SQLite file",
        "rules": "the rules folder, a path",
        "witness": "the witness file, a path",
        "signing_key": "the private key that signs the witness's heads, a path",
        "public_key": "the public key that checks the witness's signatures, a path",
        "actor": "who records, by default, text",
        "smallest_group": "the smallest group shown in statistics, a whole number from 1",
    },
    "calendar": {
        "start": "the program's first day, a date such as 2027-01-04",
        "end": "the program's last day, a date such as 2027-06-30",
        "checkin_every_days": "the check-in cadence in days, a whole number from 1",
        "my_job_days": "the my-job-day dates, a list of dates such as [2027-03-02]",
    },
}


@dataclass(frozen=True, slots=True)
class Calendar:
    """The program's dates. Every field may be unset."""

    start: date | None = None
    end: date | None = None
    checkin_every_days: int | None = None
    my_job_days: tuple[date, ...] = ()

    def outside(self, day: date) -> bool:
        """Is ``day`` before the start or after the end of the program?"""
        return bool((self.start and day < self.start) or (self.end and day > self.end))

    def describe(self) -> str:
        return f"{self.start or '…'} to {self.end or '…'}"


@dataclass(frozen=True, slots=True)
class ProgramSettings:
    """What `tandem.toml` says, with paths made absolute against its folder."""

    file: Path
    name: str
    database: str
    rules: Path
    witness: Path | None = None
    signing_key: Path | None = None
    public_key: Path | None = None
    actor: str | None = None
    smallest_group: int = DEFAULT_SMALLEST_GROUP
    calendar: Calendar = field(default_factory=Calendar)

    @property
    def folder(self) -> Path:
        return self.file.parent


def find_program_file(start: Path) -> Path | None:
    """The nearest `tandem.toml` in ``start`` or one of its parents, or None."""
    here = start.resolve()
    for folder in (here, *here.parents):
        candidate = folder / FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """(table, key) -> line of every ``key = value`` line, and (table, "") -> line of each
    ``[table]`` header. A plain scan: enough to point at a line of a file tomllib accepted."""
    lines: dict[tuple[str, str], int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\s*([^\[\]]+?)\s*\]\s*(#.*)?", stripped)
        if header:
            table = header.group(1).strip().strip('"')
            lines.setdefault((table, ""), number)
            continue
        found = re.match(r"""\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""", line)
        if found:
            lines.setdefault((table, found.group(1).strip("\"'")), number)
    return lines


class _Checker:
    """Collects the problems of one file, each with its line."""

    def __init__(self, file: Path, text: str) -> None:
        self.file = str(file)
        self.lines = _key_lines(text)
        self.problems: list[Problem] = []

    def where(self, table: str, key: str = "") -> str:
        line = self.lines.get((table, key)) or self.lines.get((table, ""))
        place = f"[{table}]" + (f".{key}" if key else "")
        return f"line {line}: {place}" if line else place

    def add(self, table: str, key: str, message: str, suggestion: str | None = None) -> None:
        self.problems.append(Problem(self.file, self.where(table, key), message, suggestion))

    def text(self, table: str, key: str, value: Any, *, blank_ok: bool = False) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or (not blank_ok and not value.strip()):
            self.add(table, key, f"must be {KEYS[table][key]}, not {_shown(value)}; "
                     f'write it in quotes, e.g. {key} = "..."')
            return None
        return value

    def whole(self, table: str, key: str, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.add(table, key, f"must be {KEYS[table][key]}, not {_shown(value)}; "
                     f"e.g. {key} = 30")
            return None
        return value

    def day(self, table: str, key: str, value: Any, item: str = "") -> date | None:
        if value is None:
            return None
        if isinstance(value, datetime) or not isinstance(value, date):
            hint = (" (without quotes: TOML reads 2027-01-04 as a date)"
                    if isinstance(value, str) else "")
            self.add(table, key, f"{item}must be a date such as 2027-01-04, not "
                     f"{_shown(value)}{hint}")
            return None
        return value


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, datetime):
        return f"the date and time {value.isoformat()}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"{type(value).__name__} {value!r}"


def parse_program_file(file: Path, data: bytes) -> ProgramSettings:
    """The settings of the file ``file`` whose bytes are ``data``; InvalidInput with every
    problem otherwise."""
    where = str(file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput([Problem(where, f"byte {exc.start}", "the file is not UTF-8 text; "
                                    "save it as UTF-8")], "program file") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        place = f"line {found.group(1)}, column {found.group(2)}" if found else ""
        raise InvalidInput([Problem(where, place, f"not valid TOML: {message}; see "
                                    "https://toml.io for the syntax")],
                           "program file") from None
    check = _Checker(file, text)
    for table, value in raw.items():
        if table not in KEYS:
            check.add(table, "", f"unknown table [{table}]; a program file has "
                      "[program] and [calendar]", closest(table, KEYS))
        elif not isinstance(value, dict):
            check.add(table, "", f"{table} must be a table: write [{table}] on a line of its "
                      "own, and its keys below it")
        else:
            for key in value:
                if key not in KEYS[table]:
                    check.add(table, key, f"unknown key {key!r} in [{table}]; it takes "
                              + ", ".join(KEYS[table]), closest(key, KEYS[table]))
    found_program, found_calendar = raw.get("program"), raw.get("calendar")
    program: dict[str, Any] = found_program if isinstance(found_program, dict) else {}
    calendar: dict[str, Any] = found_calendar if isinstance(found_calendar, dict) else {}
    if "program" not in raw:
        check.add("program", "", "the file has no [program] table; add [program] with "
                  'name = "..." (`tandem init` writes a complete file)')
    name = check.text("program", "name", program.get("name"))
    if isinstance(found_program, dict) and "name" not in program:
        check.add("program", "", 'the program has no name; add name = "..." under [program]')
    database = check.text("program", "database", program.get("database"))
    rules = check.text("program", "rules", program.get("rules"))
    paths = {key: check.text("program", key, program.get(key))
             for key in ("witness", "signing_key", "public_key")}
    actor = check.text("program", "actor", program.get("actor"))
    smallest = check.whole("program", "smallest_group", program.get("smallest_group"))
    start = check.day("calendar", "start", calendar.get("start"))
    end = check.day("calendar", "end", calendar.get("end"))
    if start and end and end < start:
        check.add("calendar", "end", f"the program ends ({end}) before it starts ({start}); "
                  "swap the two dates")
    cadence = check.whole("calendar", "checkin_every_days", calendar.get("checkin_every_days"))
    days: list[date] = []
    listed = calendar.get("my_job_days")
    if listed is not None and not isinstance(listed, list):
        check.add("calendar", "my_job_days", f"must be {KEYS['calendar']['my_job_days']}, "
                  f"not {_shown(listed)}")
    for i, value in enumerate(listed if isinstance(listed, list) else []):
        day = check.day("calendar", "my_job_days", value, f"item {i + 1} ")
        if day is None:
            continue
        if (start and day < start) or (end and day > end):
            check.add("calendar", "my_job_days", f"{day} is outside the program "
                      f"({start or '…'} to {end or '…'}); move the day or the program's dates")
        days.append(day)
    if len(set(days)) != len(days):
        check.add("calendar", "my_job_days", "a day is listed twice; list each day once")
    if check.problems:
        raise InvalidInput(check.problems, "program file")
    folder = file.parent
    return ProgramSettings(
        file=file, name=str(name).strip(),
        database=database_url(database or DEFAULT_DATABASE, folder),
        rules=_path(rules or DEFAULT_RULES, folder),
        witness=_optional(paths["witness"], folder),
        signing_key=_optional(paths["signing_key"], folder),
        public_key=_optional(paths["public_key"], folder), actor=actor,
        smallest_group=smallest or DEFAULT_SMALLEST_GROUP,
        calendar=Calendar(start, end, cadence, tuple(sorted(days))))


def read_program_file(file: Path) -> ProgramSettings:
    """The settings of ``file``, read within a size cap."""
    try:
        data = read_capped(file, MAX_BYTES, "program file", "keep it under 1 MB")
    except FileRefused as exc:
        raise InvalidInput([Problem(str(file), "", str(exc))], "program file") from None
    return parse_program_file(file.resolve(), data)


def database_url(value: str, folder: Path) -> str:
    """A URL as given; a plain path, or a relative SQLite URL, is an SQLite file read from
    ``folder``."""
    if "://" not in value:
        return f"sqlite:///{_path(value, folder)}"
    if value.startswith("sqlite:///") and not value.startswith("sqlite:////"):
        rest = value.removeprefix("sqlite:///")
        path, _, query = rest.partition("?")
        if path and path != ":memory:":
            return f"sqlite:///{_path(path, folder)}" + (f"?{query}" if query else "")
    return value


def _path(value: str, folder: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else folder / path


def _optional(value: str | None, folder: Path) -> Path | None:
    return _path(value, folder) if value else None


def new_program_file(name: str, *, start: date | None = None, end: date | None = None,
                     cadence: int = 30) -> str:
    """The text `tandem init` writes: every key, commented, ready to edit."""
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    def day(value: date | None, key: str, example: str) -> str:
        return f"{key} = {value}" if value else f"# {key} = {example}"
    return f"""# The program file: every tandem command run in this folder (or below it) reads it.
# Options (--db, --rules, ...) and environment variables (TANDEM_DB, ...) override it.
# Relative paths are read from this folder.

[program]
name = "{quoted}"
database = "{DEFAULT_DATABASE}"          # an SQLite file here, or a URL: postgresql+psycopg://...
rules = "{DEFAULT_RULES}"                  # the rule files; edit them, `tandem rules check`
witness = "witness.jsonl"        # every new head of the chain, kept outside the database
# signing_key = "audit.key"      # signs the witness's heads (`tandem audit keygen`)
# public_key = "audit.key.pub"   # checks them (`tandem audit verify`)
smallest_group = {DEFAULT_SMALLEST_GROUP}               # smaller groups: "too small to judge"

[calendar]
{day(start, "start", "2027-01-04")}
{day(end, "end", "2027-06-30")}
checkin_every_days = {cadence}
# my_job_days = [2027-03-02, 2027-03-09]
"""
