"""Each distinct value is checked once: the errors are exactly the whole schema's."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from engine.base.resources import rules_dir
from engine.profiles import validate
from engine.rules.vocabulary import Vocabulary, load_vocabulary

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cohort.json"

# Values that break each field in a different way, to mix into valid profiles.
BREAKERS: dict[str, list[Any]] = {
    "id": ["", "has space", 7, "x" * 65, "M1\n", "é"],
    "role": ["mentr", None, 3],
    "name": ["", 12, ["a"], "   ", "x" * 201],
    "learning_style": ["theorst", "", 1],
    "job_family": ["finanse", None],
    "hire_date": ["2021-02-30", "yesterday", 2021],
    "intentions": [[], ["career-progression", "career-progression"], ["support-a-junior"],
                   ["teach-digital-tools"], "one", [1]],
    "topics": [["ai", "ai"], ["blockchain"], "ai"],
    "capacity": [0, "two", 1, 2, 51, True, 1.0],
    "manager_id": ["bad id", 5],
    "email": ["not-an-email", 3, "a@" + "b" * 320],
    "my_job_day": [{"host": "yes"}, {"discover": ["finanse"]}, {"visit": True}, []],
    "protected": [{"gender": ["x"]}, "female"],
    "lerning_style": ["activist"],
}


def _whole_schema_errors(record: Any, vocabulary: Vocabulary) -> list[tuple[str, ...]]:
    schema = validate._validator(vocabulary).schema
    plain = Draft202012Validator(schema, format_checker=FormatChecker())
    return sorted(_describe(e) for e in validate._leaves(plain.iter_errors(record)))


def _describe(error: Any) -> tuple[str, ...]:
    return (json.dumps(list(error.absolute_path)), str(error.validator), error.message)


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return load_vocabulary(rules_dir())


@pytest.mark.parametrize("seed", range(6))
def test_split_validation_finds_exactly_the_whole_schemas_errors(seed: int,
                                                                 vocabulary: Vocabulary) -> None:
    """Random breakages of real profiles: same errors, paths and messages as one schema."""
    rng = random.Random(seed)
    people = json.loads(EXAMPLE.read_text())["participants"]
    validate._validator.cache_clear()
    split = validate._validator(vocabulary)
    for _ in range(150):
        record = dict(rng.choice(people))
        for field in rng.sample(sorted(BREAKERS), rng.randint(0, 3)):
            record[field] = rng.choice(BREAKERS[field])
        if rng.random() < 0.1:
            record.pop(rng.choice(sorted(record)))
        got = sorted(_describe(e) for e in validate._leaves(split.iter_errors(record)))
        assert got == _whole_schema_errors(record, vocabulary), record


def test_repeated_values_are_checked_once(vocabulary: Vocabulary) -> None:
    """A value seen before is not checked again, and its errors come back at its place."""
    validate._validator.cache_clear()
    split = validate._validator(vocabulary)
    person = json.loads(EXAMPLE.read_text())["participants"][0] | {"learning_style": "theorst"}
    first = [list(e.absolute_path) for e in split.iter_errors(person)]
    checked = len(split.seen)
    again = [list(e.absolute_path) for e in split.iter_errors(dict(person, id="M99"))]
    assert first == again == [["learning_style"]]
    # A new valid id passes the plain-string test: no schema run, nothing kept.
    assert len(split.seen) == checked
    broken = [list(e.absolute_path) for e in split.iter_errors(dict(person, id="M 99"))]
    assert broken == [["id"], ["learning_style"]]
    assert len(split.seen) == checked + 1  # only the new, broken id went through the schema


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.text(max_size=70), st.text(alphabet="aZ09._- \n\t@", max_size=70),
                       st.dates().map(str), st.text(alphabet="0123456789-", max_size=12),
                       st.integers(), st.none(), st.booleans(), st.lists(st.text(), max_size=2)),
       field=st.sampled_from(["id", "manager_id", "name", "department", "subsidiary",
                              "hire_date", "email"]))
def test_the_plain_string_test_agrees_with_the_schema(field: str, value: Any) -> None:
    """The shortcut for ids, names, dates and e-mails passes a value exactly when the
    field's subschema, run by jsonschema, finds no error."""
    schema = validate._validator(load_vocabulary(rules_dir())).schema["properties"][field]
    checker = FormatChecker()
    test = validate._plain_string_test(schema, checker)
    assert test is not None
    expected = not list(Draft202012Validator(schema, format_checker=checker).iter_errors(value))
    assert test(value) == expected


def test_only_plain_string_subschemas_take_the_shortcut() -> None:
    checker = FormatChecker()
    assert validate._plain_string_test({"enum": ["a"]}, checker) is None
    assert validate._plain_string_test({"type": "string", "enum": ["a"]}, checker) is None
    assert validate._plain_string_test({"type": ["string", "null"]}, checker) is None
    assert validate._plain_string_test({"type": "array"}, checker) is None


def test_only_a_text_with_an_escape_is_searched_for_lone_surrogates(tmp_path: Path) -> None:
    """A strict UTF-8 decode lets no lone surrogate through: only a \\u escape makes one."""
    from engine.profiles.read import read_cohort_file

    person = json.loads(EXAMPLE.read_text())["participants"][0]
    plain, escaped = tmp_path / "plain.json", tmp_path / "escaped.json"
    plain.write_text(json.dumps([person], ensure_ascii=False), "utf-8")
    escaped.write_text(json.dumps([person | {"name": "Ana \ud800"}]), "utf-8")
    assert read_cohort_file(plain, {}).escapes is False
    raw = read_cohort_file(escaped, {})
    assert raw.escapes is True
    _, problems = validate.check_cohort(raw, load_vocabulary(rules_dir()))
    assert any("surrogate" in p.message and "name" in p.path for p in problems)


def test_value_keys_tell_json_values_apart() -> None:
    key = validate._value_key
    assert key(["a", "b"]) == key(["a", "b"]) and key([]) == key([])
    assert key(["1"]) != key([1]) and key([1]) != key([True]) and key(["a"]) != key("a")
    assert key({"x": [1]}) == key({"x": [1]}) != key({"x": ["1"]})
