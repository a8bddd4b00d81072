"""Validate raw cohort records against the JSON Schema and the cohort's own rules.

Every problem is reported at once, located, with a 'did you mean' where a close value
exists. The validator is built once per vocabulary and reused for every record.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from engine.cohort import Cohort, Participant
from engine.errors import InvalidInput, Problem, errors_only
from engine.read import RawCohort, read_cohort_file
from engine.resources import schemas_dir
from engine.suggest import closest
from engine.vocabulary import Vocabulary

_FIELD_NAMES = ("learning_style", "job_family", "topic", "mentor_intention", "mentee_intention")


def participant_schema(vocabulary: Vocabulary) -> dict[str, Any]:
    """The participant schema with its value lists filled from the vocabulary."""
    schema = json.loads((schemas_dir() / "participant.schema.json").read_text("utf-8"))
    defs = schema["$defs"]
    defs["learning_style"]["enum"] = list(vocabulary.learning_styles)
    defs["job_family"]["enum"] = list(vocabulary.job_families)
    defs["topic"]["enum"] = list(vocabulary.topics)
    defs["mentor_intention"]["enum"] = list(vocabulary.intention_codes("mentor"))
    defs["mentee_intention"]["enum"] = list(vocabulary.intention_codes("mentee"))
    return dict(schema)


@lru_cache(maxsize=4)
def _validator(vocabulary: Vocabulary) -> Draft202012Validator:
    schema = participant_schema(vocabulary)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def column_kinds() -> dict[str, str]:
    """CSV column -> array/integer/boolean, read from the schema (nested fields dotted)."""
    schema = json.loads((schemas_dir() / "participant.schema.json").read_text("utf-8"))
    kinds: dict[str, str] = {}

    def walk(props: Mapping[str, Any], prefix: str) -> None:
        for name, spec in props.items():
            if spec.get("type") == "object" and "properties" in spec:
                walk(spec["properties"], f"{prefix}{name}.")
            elif isinstance(spec.get("type"), str):
                kinds[prefix + name] = spec["type"]
    walk(schema["properties"], "")
    return kinds


def _message(error: ValidationError) -> tuple[tuple[str | int, ...], str, str | None]:
    """Turn a jsonschema error into (path, message, suggestion) a person can act on."""
    path = tuple(error.absolute_path)
    value = error.instance
    kind = error.validator
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = list(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed))
        name = extra[0] if extra else "?"
        return ((*path, name), f"unknown field {name!r}; remove it or rename it",
                closest(name, allowed))
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else "?"
        return ((*path, missing), f"missing required field {missing!r}", None)
    if kind == "enum":
        options = error.validator_value
        shown = ", ".join(repr(o) for o in options)
        return (path, f"{value!r} is not one of [{shown}]", closest(value, options))
    if kind == "format":
        fmt = error.validator_value
        hint = {"date": " (use YYYY-MM-DD, e.g. 2021-03-15)",
                "email": " (e.g. name@example.com)"}.get(fmt, "")
        return (path, f"{value!r} is not a valid {fmt}{hint}", None)
    if kind == "pattern":
        return (path, f"{value!r} is not a valid id: use 1 to 64 letters, digits, '.', '_' "
                      "or '-'", None)
    if kind == "type":
        wanted = error.validator_value
        words = {"integer": "a whole number", "array": "a list", "string": "text",
                 "boolean": "true or false", "object": "an object"}
        want = words.get(wanted, str(wanted)) if isinstance(wanted, str) else str(wanted)
        return (path, f"expected {want}, got {json.dumps(value)}", None)
    if kind == "minItems":
        return (path, "must list at least one value", None)
    if kind == "uniqueItems":
        return (path, "lists the same value twice; keep one", None)
    if kind == "minLength":
        return (path, "must not be empty", None)
    if kind in ("minimum", "maximum"):
        return (path, f"{value!r} is out of range ({kind} {error.validator_value})", None)
    if kind == "not" and error.validator_value == {}:  # a field the role may not have
        name = str(path[-1]) if path else "?"
        if name == "capacity":
            return (path, "a mentee has no capacity; remove it (only mentors take a capacity)",
                    None)
        return (path, f"field {name!r} is not allowed here; remove it", None)
    return (path, error.message, None)


def _schema_problems(raw: RawCohort, vocabulary: Vocabulary) -> list[Problem]:
    validator = _validator(vocabulary)
    problems: list[Problem] = []
    for record in raw.records:
        if not isinstance(record.data, dict):
            problems.append(Problem(raw.file, record.where(()),
                                    "each participant must be an object of field: value"))
            continue
        found = [_message(error) for error in _leaves(validator.iter_errors(record.data))]
        for path, message, suggestion in sorted(found, key=lambda f: [str(p) for p in f[0]]):
            problems.append(Problem(raw.file, record.where(path), message, suggestion))
    return problems


def _leaves(errors: Iterable[ValidationError]) -> Iterable[ValidationError]:
    """Errors from if/then and allOf wrap the real one: report the innermost."""
    for error in errors:
        if error.context:
            yield from _leaves(error.context)
        else:
            yield error


def _cohort_problems(raw: RawCohort) -> list[Problem]:
    """What a schema cannot see: ids across the cohort, references, who is there."""
    problems: list[Problem] = []
    records = [r for r in raw.records if isinstance(r.data, dict)]
    if not raw.records:
        return [Problem(raw.file, "", "the cohort has no participants; add at least one mentor "
                                      "and one mentee")]
    first: dict[str, str] = {}
    for record in records:
        pid = record.data.get("id")
        if not isinstance(pid, str):
            continue
        if pid in first:
            problems.append(Problem(raw.file, record.where(("id",)),
                                    f"duplicate id {pid!r} (first at {first[pid]}); "
                                    "give each participant a unique id"))
        else:
            first[pid] = record.where(("id",))
    for record in records:
        ref = record.data.get("manager_id")
        if isinstance(ref, str) and ref not in first:
            problems.append(Problem(raw.file, record.where(("manager_id",)),
                                    f"manager_id {ref!r} is not in this cohort, so reporting-line "
                                    "rules cannot see this link", closest(ref, first),
                                    severity="warning"))
        elif isinstance(ref, str) and ref == record.data.get("id"):
            problems.append(Problem(raw.file, record.where(("manager_id",)),
                                    "a participant cannot be their own manager"))
    roles = {r.data.get("role") for r in records}
    for role in ("mentor", "mentee"):
        if role not in roles:
            problems.append(Problem(raw.file, "", f"the cohort has no {role}; pairing needs at "
                                                  "least one mentor and one mentee"))
    return problems


def _participant(data: Mapping[str, Any]) -> Participant:
    return Participant(
        id=data["id"], role=data["role"], name=data["name"],
        learning_style=data["learning_style"], job_family=data["job_family"],
        department=data["department"], subsidiary=data["subsidiary"],
        hire_date=date.fromisoformat(data["hire_date"]),
        intentions=tuple(data["intentions"]), topics=tuple(data.get("topics", ())),
        capacity=data.get("capacity"), manager_id=data.get("manager_id"),
        email=data.get("email"), my_job_day=data.get("my_job_day"),
        protected=data.get("protected"),
    )


def _as_of(raw: RawCohort, override: date | None) -> date:
    if override is not None:
        return override
    value = raw.program.get("as_of")
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return date.today()


def check_cohort(raw: RawCohort, vocabulary: Vocabulary,
                 as_of: date | None = None) -> tuple[Cohort | None, list[Problem]]:
    """Validate a read cohort. Returns the cohort (None when there are errors) and problems."""
    problems = list(raw.envelope_problems)
    if raw.program.get("as_of") is not None:
        try:
            date.fromisoformat(str(raw.program["as_of"]))
        except ValueError:
            problems.append(Problem(raw.file, "$.program.as_of",
                                    f"{raw.program['as_of']!r} is not a valid date "
                                    "(use YYYY-MM-DD)"))
    problems += _schema_problems(raw, vocabulary)
    problems += _cohort_problems(raw)
    if errors_only(problems):
        return None, problems
    when = _as_of(raw, as_of)
    participants = sorted((_participant(r.data) for r in raw.records), key=lambda p: p.id)
    for p in participants:
        if p.hire_date > when:
            problems.append(Problem(raw.file, f"participant {p.id}",
                                    f"hire_date {p.hire_date} is after the as-of date {when}; "
                                    "tenure counts as 0", severity="warning"))
    return Cohort(participants, when, raw.file, dict(raw.program)), problems


def load_cohort(path: Path, vocabulary: Vocabulary,
                as_of: date | None = None) -> tuple[Cohort, list[Problem]]:
    """Read and validate a cohort file. Raises InvalidInput listing every error."""
    try:
        raw = read_cohort_file(path, column_kinds())
    except InvalidInput:
        raise
    cohort, problems = check_cohort(raw, vocabulary, as_of)
    if cohort is None:
        raise InvalidInput(problems, "cohort")
    return cohort, problems
