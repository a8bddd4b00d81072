"""Validate raw cohort records against the JSON Schema and the cohort's own rules.

Every problem is reported at once, located, with a 'did you mean' where a close value
exists. The validator is built once per vocabulary and reused for every record.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from engine.base.errors import InvalidInput, Problem, errors_only
from engine.base.resources import schemas_dir
from engine.base.suggest import closest
from engine.profiles.cohort import Cohort, Participant
from engine.profiles.read import RawCohort, read_cohort_file
from engine.rules.vocabulary import ROLES, DeclaredField, Vocabulary

Found = tuple[tuple[str | int, ...], str, str | None]  # path in the record, message, suggestion


def participant_schema(vocabulary: Vocabulary) -> dict[str, Any]:
    """The participant schema with its value lists filled from the vocabulary."""
    schema = json.loads((schemas_dir() / "participant.schema.json").read_text("utf-8"))
    defs = schema["$defs"]
    defs["learning_style"]["enum"] = list(vocabulary.learning_styles)
    defs["job_family"]["enum"] = list(vocabulary.job_families)
    defs["topic"]["enum"] = list(vocabulary.topics)
    defs["mentor_intention"]["enum"] = list(vocabulary.intention_codes("mentor"))
    defs["mentee_intention"]["enum"] = list(vocabulary.intention_codes("mentee"))
    for name, values in vocabulary.known.items():
        if values:  # a closed set of subsidiaries or departments
            schema["properties"][name] = {**schema["properties"][name], "enum": list(values)}
    for declared in vocabulary.fields.values():
        schema["properties"][declared.name] = declared_schema(declared)
    return dict(schema)


def declared_schema(declared: DeclaredField) -> dict[str, Any]:
    """The JSON Schema of a field declared in vocabulary.yaml."""
    text: dict[str, Any] = {"type": "string", "minLength": 1}
    if declared.values is not None:
        text["enum"] = list(declared.values)
    if declared.type == "text":
        return text
    if declared.type == "list":
        return {"type": "array", "items": text, "uniqueItems": True}
    if declared.type == "flag":
        return {"type": "boolean"}
    return {"type": "number"}


def _inline_refs(node: Any, defs: Mapping[str, Any], within: tuple[str, ...] = ()) -> Any:
    """``node`` with each local ``{"$ref": "#/$defs/x"}`` replaced by a copy of ``x``.

    A recursive definition keeps its $ref, so the schema stays finite, and so does a $ref
    beside a keyword its definition also has: both must hold, which a merge would lose.
    """
    if isinstance(node, dict):
        ref = node.get("$ref")
        name = ref.removeprefix("#/$defs/") if isinstance(ref, str) else ""
        rest = {key: value for key, value in node.items() if key != "$ref"}
        if (ref != name and name in defs and name not in within
                and not set(rest) & set(defs[name]) - {"description", "title", "$comment"}):
            return {**_inline_refs(defs[name], defs, (*within, name)),
                    **_inline_refs(rest, defs, within)}
        return {key: _inline_refs(value, defs, within) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(item, defs, within) for item in node]
    return node


class _ParticipantValidator:
    """The participant schema, checked by jsonschema, with each distinct value checked once.

    In JSON Schema, `properties` checks each property's value on its own against its
    subschema. So this validator runs the schema in two parts whose errors together are
    exactly the whole schema's: the frame (required, additionalProperties, the role rules
    of allOf) once per record, with every property subschema replaced by `true`; and each
    property's subschema once per distinct value, its errors reused for every record that
    holds the same value. Most values of a large cohort repeat (styles, families,
    departments, dates, intention lists), which makes validation several times faster.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        checker = FormatChecker()
        frame = dict(schema)
        frame["properties"] = dict.fromkeys(schema["properties"], True)
        self.frame = Draft202012Validator(frame, format_checker=checker)
        # The frame reads the record's keys, plus the values of the fields its other
        # keywords name (role, capacity and intentions in allOf): its answer is the same
        # for every record with the same keys and the same values of those fields.
        self.frame_reads = frozenset(_fields_named({k: v for k, v in frame.items()
                                                    if k != "properties"}))
        self.frame_order = tuple(sorted(self.frame_reads))
        self.fields = {name: Draft202012Validator(sub, format_checker=checker)
                       for name, sub in schema["properties"].items()}
        self.quick = {name: test for name, sub in schema["properties"].items()
                      if (test := _plain_string_test(sub, checker)) is not None}
        self.seen: dict[tuple[str, Hashable], list[ValidationError]] = {}
        self.frames: dict[Hashable, list[ValidationError]] = {}

    def iter_errors(self, record: Any) -> Iterable[ValidationError]:
        if not isinstance(record, dict):
            yield from self.frame.iter_errors(record)
            return
        # The keys, in order, and the values the frame reads: equal keys, equal answers.
        shape_key = (tuple(record), tuple(_value_key(record[k]) for k in self.frame_order
                                          if k in record))
        found = self.frames.get(shape_key)
        if found is None:
            shape = {k: (v if k in self.frame_reads else None) for k, v in record.items()}
            found = self.frames[shape_key] = list(self.frame.iter_errors(shape))
        yield from found
        for name, value in record.items():
            validator = self.fields.get(name)
            if validator is None:
                continue  # an unknown field: the frame reports it
            quick = self.quick.get(name)
            if quick is not None and quick(value):
                continue  # a valid plain string (ids, names, e-mails): no error to look up
            key = (name, _value_key(value))
            errors = self.seen.get(key)
            if errors is None:
                errors = self.seen[key] = list(validator.iter_errors(value))
            for error in errors:
                placed = copy.deepcopy(error)
                placed.path.appendleft(name)
                yield placed


_PLAIN_STRING_KEYWORDS = frozenset({"type", "pattern", "minLength", "maxLength", "format",
                                    "description", "title", "$comment"})


def _plain_string_test(schema: Any, checker: FormatChecker
                       ) -> Callable[[Any], bool] | None:
    """For a subschema that only says "a string" with a length, a pattern and a format:
    a test that is true exactly when a value passes it, with the very checks jsonschema
    makes (the length in code points, `re.search`, the format checker). None for any
    other subschema."""
    if (not isinstance(schema, dict) or schema.get("type") != "string"
            or not set(schema) <= _PLAIN_STRING_KEYWORDS):
        return None
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    pattern = re.compile(schema["pattern"]) if "pattern" in schema else None
    form = schema.get("format")

    def test(value: Any) -> bool:
        return (type(value) is str and len(value) >= low
                and (high is None or len(value) <= high)
                and (pattern is None or pattern.search(value) is not None)
                and (form is None or checker.conforms(value, form)))
    return test


def _value_key(value: Any) -> Hashable:
    """A key equal for two JSON values exactly when they are the same JSON value.

    Types are part of the key: in Python `True == 1`, but not in JSON Schema.
    """
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return (kind.__name__, value)  # the common case, first
    if kind is list and all(type(item) is str for item in value):
        return ("strings", tuple(value))  # a list of text (intentions, topics)
    if isinstance(value, dict):
        return ("object", tuple(sorted((k, _value_key(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return ("array", tuple(_value_key(v) for v in value))
    return (type(value).__name__, value)


def _fields_named(node: Any) -> set[str]:
    """Properties whose values a schema's keywords read, at any depth.

    `required` and `dependentRequired` read only whether a key is there, which the keys
    of a record already say.
    """
    names: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("properties", "dependentSchemas") and isinstance(value, dict):
                names.update(value)
            names |= _fields_named(value)
    elif isinstance(node, list):
        for item in node:
            names |= _fields_named(item)
    return names


@lru_cache(maxsize=4)
def _validator(vocabulary: Vocabulary) -> _ParticipantValidator:
    schema = participant_schema(vocabulary)
    Draft202012Validator.check_schema(schema)
    # Resolving a $ref costs a lookup on every use, for every record: a quarter of the time
    # on a large cohort. The $defs are plain values, so inline them once, here.
    return _ParticipantValidator(_inline_refs(schema, schema["$defs"]))


@lru_cache(maxsize=1)
def _program_validator() -> Draft202012Validator:
    """Checks the cohort file's optional ``program`` object (name, cohort, as_of)."""
    schema = json.loads((schemas_dir() / "cohort.schema.json").read_text("utf-8"))
    envelope = next(b for b in schema["oneOf"] if b.get("type") == "object")
    return Draft202012Validator(envelope["properties"]["program"], format_checker=FormatChecker())


@lru_cache(maxsize=4)
def _csv_columns(vocabulary: Vocabulary | None = None
                 ) -> tuple[frozenset[str], tuple[str, ...], dict[str, list[str]]]:
    """CSV columns a header may name, the required ones, and the parts of nested fields."""
    schema = json.loads((schemas_dir() / "participant.schema.json").read_text("utf-8"))
    if vocabulary is not None:
        schema = participant_schema(vocabulary)
    allowed: set[str] = set()
    parts: dict[str, list[str]] = {}
    for name, spec in schema["properties"].items():
        if spec.get("type") == "object":
            parts[name] = [f"{name}.{child}" for child in spec.get("properties", {})]
            allowed.update(parts[name])
        else:
            allowed.add(name)
    return frozenset(allowed), tuple(schema["required"]), parts


def column_kinds(vocabulary: Vocabulary | None = None) -> dict[str, str]:
    """CSV column -> array/integer/number/boolean, read from the schema (nested fields
    dotted), with the fields the vocabulary declares."""
    schema = json.loads((schemas_dir() / "participant.schema.json").read_text("utf-8"))
    if vocabulary is not None:
        schema = participant_schema(vocabulary)
    kinds: dict[str, str] = {}

    def walk(props: Mapping[str, Any], prefix: str) -> None:
        for name, spec in props.items():
            if spec.get("type") == "object" and "properties" in spec:
                walk(spec["properties"], f"{prefix}{name}.")
            elif isinstance(spec.get("type"), str):
                kinds[prefix + name] = spec["type"]
    walk(schema["properties"], "")
    return kinds


_TYPE_WORDS = {"integer": "a whole number", "number": "a number", "array": "a list",
               "string": "text", "boolean": "true or false", "object": "an object",
               "null": "null"}


def _wrong_role_intention(value: object, role: object, vocabulary: Vocabulary) -> Found | None:
    """A mentee using a mentor's intention code, or the reverse: name the code to use."""
    other = "mentee" if role == "mentor" else "mentor"
    if role not in ROLES or not isinstance(value, str) or value not in vocabulary.intentions[other]:
        return None
    themes = set(vocabulary.intentions[other][value])
    own = vocabulary.intentions[str(role)]
    shared = {code: len(themes & set(code_themes)) for code, code_themes in own.items()}
    best = max(shared, key=lambda code: shared[code], default=None)  # first of equals
    shown = ", ".join(repr(code) for code in own)
    return ((), f"{value!r} is a {other} intention, and this participant is a {role}; "
                f"use a {role} intention: one of [{shown}]",
            best if best is not None and shared[best] else None)


def _message(error: ValidationError, vocabulary: Vocabulary, role: object,
             csv: bool = False) -> list[Found]:
    """Turn a jsonschema error into (path, message, suggestion)s a person can act on."""
    path = tuple(error.absolute_path)
    value = error.instance
    kind = error.validator
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = list(error.schema.get("properties", {}))
        return [((*path, name), f"unknown field {name!r}; remove it or rename it",
                 closest(name, allowed))
                for name in value if name not in allowed]
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else "?"
        if csv:  # the header has the column (else it is reported once), so the cell is empty
            return [((*path, missing), f"the cell is empty, but every participant needs a "
                                       f"{missing}; fill it in", None)]
        return [((*path, missing), f"missing required field {missing!r}; add it", None)]
    if kind == "enum":
        if path[:1] == ("intentions",):
            wrong = _wrong_role_intention(value, role, vocabulary)
            if wrong is not None:
                return [(path, wrong[1], wrong[2])]
        options = error.validator_value
        shown = ", ".join(repr(o) for o in options)
        return [(path, f"{value!r} is not one of [{shown}]", closest(value, options))]
    if kind == "format":
        fmt = error.validator_value
        hint = {"date": " (use YYYY-MM-DD, e.g. 2021-03-15)",
                "email": " (e.g. name@example.com)"}.get(fmt, "")
        return [(path, f"{value!r} is not a valid {fmt}{hint}", None)]
    if kind == "pattern" and error.validator_value == "\\S":
        return [(path, "holds only spaces; fill it in", None)]
    if kind == "pattern":
        shown = repr(value) if str(value).isascii() else ascii(value)  # show what is not ASCII
        return [(path, f"{shown} is not a valid id: use 1 to 64 letters, digits, '.', '_' "
                       "or '-'", None)]
    if kind == "type":
        wanted = error.validator_value
        names = [wanted] if isinstance(wanted, str) else list(wanted)
        if "number" in names and "integer" in names:  # a whole number is a number
            names.remove("integer")
        words = [_TYPE_WORDS.get(name, str(name)) for name in names]
        if len(words) > 1:
            words = ["true/false" if word == "true or false" else word for word in words]
        want = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
        return [(path, f"expected {want}, got {_short(json.dumps(value))}", None)]
    if kind == "minItems":
        return [(path, "must list at least one value", None)]
    if kind == "uniqueItems":
        return [(path, "lists the same value twice; keep one", None)]
    if kind == "minLength":
        return [(path, "must not be empty", None)]
    if kind == "minimum" and path == ("my_job_day", "slots"):
        return [(path, f"a host takes at least 1 visitor a day, not {value!r}; give slots 1 or "
                       "more, or remove slots (the rules' slots_per_host_per_day applies), or "
                       "set host to false", None)]
    if kind in ("maxLength", "minimum", "maximum"):
        shown = f"{len(value)} characters" if kind == "maxLength" else repr(value)
        return [(path, f"{shown} is out of range ({kind} {error.validator_value})", None)]
    if kind == "not" and error.validator_value == {}:  # a field the role may not have
        name = str(path[-1]) if path else "?"
        if name == "capacity":
            return [(path, "a mentee has no capacity; remove it (only mentors take a capacity)",
                     None)]
        return [(path, f"field {name!r} is not allowed here; remove it", None)]
    return [(path, error.message, None)]


def _short(text: str, limit: int = 60) -> str:
    """A value quoted in a message, cut short: a cell can hold thousands of characters."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _may_hold_surrogates(value: Any) -> bool:
    """Whether some string of ``value`` may hold a lone surrogate: one encoding of the
    whole value, instead of a walk through it (which `_surrogates` then makes)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, TypeError, ValueError):
        return True
    return False


def _surrogates(value: Any, path: tuple[str | int, ...] = ()) -> Iterable[Found]:
    """Strings holding a lone surrogate (JSON "\\ud800"): not a character, so no output
    can encode them. Keys are checked too."""
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                code = ord(value[exc.start])
                yield (path, f"holds \\u{code:04x}, half of a surrogate pair and not a "
                             "character; fix the escape or the text", None)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _surrogates(key, path)
            yield from _surrogates(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _surrogates(item, (*path, index))


def _column(path: tuple[str | int, ...]) -> str:
    """The CSV column a path inside a record comes from (nested fields are dotted)."""
    return ".".join(p for p in path if isinstance(p, str))


def _header_problems(raw: RawCohort, vocabulary: Vocabulary
                     ) -> tuple[list[Problem], set[str]]:
    """A CSV header's unknown and missing columns, reported once rather than on every row."""
    allowed, required, parts = _csv_columns(vocabulary if vocabulary.fields else None)
    problems: list[Problem] = []
    flagged: set[str] = set()
    for name in raw.columns:
        if not name or name in allowed or name.startswith("protected."):
            continue
        flagged.add(name)
        if name in parts:
            shown = [repr(part) for part in parts[name]]
            named = (", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1
                     else shown[0] if shown else f"named '{name}.<name>', one per value")
            message = f"column {name!r} holds several values; use the columns {named}"
            problems.append(Problem(raw.file, f"row 1, column {name}", message))
        else:
            problems.append(Problem(raw.file, f"row 1, column {name}",
                                    f"unknown column {name!r}; rename it or delete it",
                                    closest(name, sorted(allowed))))
    for name in required:
        if name not in raw.columns:
            flagged.add(name)
            problems.append(Problem(raw.file, "row 1",
                                    f"no column {name!r}, which every participant needs; add it"))
    return problems, flagged


def _record_findings(data: dict[str, Any], vocabulary: Vocabulary, csv: bool,
                     escapes: bool = True) -> list[Found]:
    """``escapes``: whether the file's text holds a \\u escape (see RawCohort)."""
    validator = _validator(vocabulary)
    role = data.get("role")
    return [*(f for error in _leaves(validator.iter_errors(data))
              for f in _message(error, vocabulary, role, csv=csv)),
            *(_surrogates(data) if escapes and _may_hold_surrogates(data) else ())]


def _schema_problems(raw: RawCohort, vocabulary: Vocabulary) -> list[Problem]:
    problems, flagged = _header_problems(raw, vocabulary) if raw.columns else ([], set())
    csv = bool(raw.columns)
    unknown = _repeated_unknown_fields(raw, vocabulary)
    told: set[str] = set()
    for record in raw.records:
        if not isinstance(record.data, dict):
            problems.append(Problem(raw.file, record.where(()),
                                    "each participant must be an object of field: value"))
            continue
        found = _record_findings(record.data, vocabulary, csv, raw.escapes)
        for path, message, suggestion in sorted(found, key=lambda f: [str(p) for p in f[0]]):
            if flagged and _column(path) in flagged:
                continue  # already reported once, on the header
            name = str(path[0]) if len(path) == 1 else ""
            if name in unknown and message.startswith("unknown field"):
                if name not in told:  # once for the cohort, at its first record
                    told.add(name)
                    problems.append(Problem(raw.file, record.where(path),
                                            _undeclared(name, unknown[name]), suggestion))
                continue
            problems.append(Problem(raw.file, record.where(path), message, suggestion))
    return problems


def _repeated_unknown_fields(raw: RawCohort, vocabulary: Vocabulary) -> dict[str, int]:
    """Top-level fields that are neither built in nor declared, held by several records:
    the cohort carries fields some program declares, read without its rules."""
    known = set(participant_schema(vocabulary)["properties"]) if raw.records else set()
    counts: dict[str, int] = {}
    for record in raw.records:
        if isinstance(record.data, dict):
            for name in record.data:
                if isinstance(name, str) and name not in known:
                    counts[name] = counts.get(name, 0) + 1
    return {name: n for name, n in counts.items() if n > 1}


def _undeclared(name: str, records: int) -> str:
    return (f"unknown field {name!r}, held by {records} participants: it is no built-in "
            "field, and the vocabulary.yaml of the rules in use does not declare it; if the "
            "program declares it, give the program's rules with --rules DIR (or TANDEM_RULES), "
            f"else declare it under 'fields:' in vocabulary.yaml, or remove it")


def _program_problems(raw: RawCohort) -> list[Problem]:
    if not raw.program:
        return []
    found = [f for error in _program_validator().iter_errors(raw.program)
             for f in _message(error, _NO_VOCABULARY, None)]
    found += _surrogates(raw.program)
    return [Problem(raw.file, "$.program" + "".join(f".{p}" for p in path), message, suggestion)
            for path, message, suggestion in found]


def _leaves(errors: Iterable[ValidationError]) -> Iterable[ValidationError]:
    """Errors from if/then and allOf wrap the real one: report the innermost."""
    for error in errors:
        if error.context:
            yield from _leaves(error.context)
        else:
            yield error


_NO_VOCABULARY = Vocabulary((), (), (), {role: {} for role in ROLES})


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
    problems += _look_alike_ids(raw, records, first)
    roles = [r.data.get("role") for r in records]
    roles = [r if isinstance(r, str) else None for r in roles]  # [] or {} is not a role
    if len(records) < len(raw.records) or not set(roles) <= set(ROLES):
        return problems  # a participant's role is unknown: whether a role is missing is too
    for role in ROLES:
        if role not in roles:
            problems.append(Problem(raw.file, "", f"the cohort has no {role}; pairing needs at "
                                                  "least one mentor and one mentee"))
    return problems


def _look_alike_ids(raw: RawCohort, records: list[Any], first: Mapping[str, str]
                    ) -> list[Problem]:
    """Ids that differ only in Unicode normalisation or in letter case: surely one person
    typed twice. A warning, since they are distinct ids."""
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    for record in records:
        pid = record.data.get("id")
        if not isinstance(pid, str) or first.get(pid) != record.where(("id",)):
            continue  # not an id, or a duplicate already reported
        folded = unicodedata.normalize("NFKC", pid).casefold()
        if folded in seen:
            problems.append(Problem(raw.file, record.where(("id",)),
                                    f"id {pid!a} differs from {seen[folded]!a} only "
                                    "in letter case or Unicode form; if they are one person, "
                                    "keep one id",
                                    severity="warning"))
        else:
            seen[folded] = pid
    return problems


def _participant(data: Mapping[str, Any], vocabulary: Vocabulary) -> Participant:
    extra = {name: tuple(data[name]) if isinstance(data[name], list) else data[name]
             for name in vocabulary.fields if data.get(name) is not None}
    return Participant(extra=extra,
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


def check_cohort(raw: RawCohort, vocabulary: Vocabulary, as_of: date | None = None
                 ) -> tuple[Cohort | None, list[Problem]]:
    """Validate a read cohort. Returns the cohort (None when there are errors) and problems."""
    problems = list(raw.envelope_problems)
    problems += _program_problems(raw)
    problems += _schema_problems(raw, vocabulary)
    problems += _cohort_problems(raw)
    if errors_only(problems):
        return None, problems
    when = _as_of(raw, as_of)
    participants = []
    for record in raw.records:
        participant = _participant(record.data, vocabulary)
        participants.append(participant)
        if participant.hire_date > when:
            problems.append(Problem(raw.file, record.where(("hire_date",)),
                                    f"hire_date {participant.hire_date} is after the as-of date "
                                    f"{when}; tenure counts as 0", severity="warning"))
    participants.sort(key=lambda p: p.id)
    return Cohort(participants, when, raw.file, dict(raw.program)), problems


def load_cohort(path: Path, vocabulary: Vocabulary, as_of: date | None = None
                ) -> tuple[Cohort, list[Problem]]:
    """Read and validate a cohort file. Raises InvalidInput listing every error."""
    raw = read_cohort_file(path, column_kinds(vocabulary))
    cohort, problems = check_cohort(raw, vocabulary, as_of)
    if cohort is None:
        raise InvalidInput(problems, "cohort")
    return cohort, problems
