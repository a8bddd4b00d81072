"""Reading and validating cohorts in the core, without the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.base.errors import InvalidInput, Problem
from engine.base.resources import rules_dir
from engine.profiles import validate
from engine.profiles.read import MAX_BYTES, read_cohort_file
from engine.profiles.validate import check_cohort, column_kinds, load_cohort
from engine.rules.vocabulary import Vocabulary, load_vocabulary

MENTOR: dict[str, Any] = {
    "id": "M01", "role": "mentor", "name": "Ana Lima", "learning_style": "activist",
    "job_family": "it", "department": "Digital Factory", "subsidiary": "Tandem Tech Services",
    "hire_date": "2022-09-05", "intentions": ["teach-digital-tools"]}
MENTEE: dict[str, Any] = {
    "id": "E01", "role": "mentee", "name": "Paul Renard", "learning_style": "theorist",
    "job_family": "finance", "department": "Group Finance", "subsidiary": "Tandem Bank France",
    "hire_date": "1998-09-01", "intentions": ["master-digital-tools"]}


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return load_vocabulary(rules_dir())


def _problems(path: Path, vocabulary: Vocabulary) -> list[Problem]:
    """Every problem reading and checking ``path`` finds, errors and warnings."""
    try:
        raw = read_cohort_file(path, column_kinds())
    except InvalidInput as exc:
        return exc.problems
    return check_cohort(raw, vocabulary)[1]


def _write(tmp_path: Path, name: str, doc: Any) -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), "utf-8")
    return path


# Files the command line never passes on

def test_a_directory_is_refused_whatever_its_name(tmp_path: Path,
                                                  vocabulary: Vocabulary) -> None:
    """A directory is named as one, even without a cohort extension."""
    (tmp_path / "cohorts").mkdir()
    [problem] = _problems(tmp_path / "cohorts", vocabulary)
    assert problem.message == "this is a directory; give a cohort file inside it"


def test_a_file_of_exactly_50_mb_is_not_refused_for_its_size(tmp_path: Path,
                                                             vocabulary: Vocabulary) -> None:
    """The size limit is strict: 50 MB passes the size check and is then read."""
    path = tmp_path / "limit.json"
    with path.open("wb") as handle:
        handle.truncate(MAX_BYTES)
    [problem] = _problems(path, vocabulary)
    assert problem.message.startswith("this is a binary file")


# Locations

@pytest.mark.parametrize(("doc", "where"), [
    # a key twice in a nested object, and in the envelope
    ('[{"my_job_day": {"host": true, "host": false}}]', "$[0].my_job_day.host"),
    ('{"participants": [], "participants": []}', "$.participants"),
])
def test_duplicate_json_key_is_located_by_its_path(doc: str, where: str, tmp_path: Path,
                                                   vocabulary: Vocabulary) -> None:
    """A key held twice is reported at its JSON path, wherever the object is."""
    [problem] = _problems(_write(tmp_path, "cohort.json", doc), vocabulary)
    assert (problem.path, problem.message) == (
        where, f"the key {where.rsplit('.', 1)[1]!r} appears twice in one object; JSON keeps "
               "only the last, so remove one")


def test_csv_rows_count_records_not_lines(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """A quoted cell spanning two lines is one row: later rows keep their spreadsheet number."""
    text = ("id,role,name,learning_style,job_family,department,subsidiary,hire_date,intentions\n"
            'M01,mentor,Ana Lima,activist,it,"Digital\nFactory",Tandem Tech Services,2022-09-05,'
            "teach-digital-tools\n"
            "E01,mentee,Paul Renard,theorst,finance,Group Finance,Tandem Bank France,1998-09-01,"
            "master-digital-tools\n")
    [problem] = _problems(_write(tmp_path, "cohort.csv", text), vocabulary)
    assert problem.path == "row 3, column learning_style"
    assert problem.suggestion == "theorist"


def test_hire_date_after_as_of_is_a_located_warning(tmp_path: Path,
                                                    vocabulary: Vocabulary) -> None:
    """A future hire date is a warning at the participant's hire_date, not an error."""
    path = _write(tmp_path, "cohort.json", [MENTOR, dict(MENTEE, hire_date="2027-01-04")])
    cohort, [problem] = load_cohort(path, vocabulary, as_of=date(2026, 9, 1))
    assert (problem.severity, problem.path) == ("warning", "$[1].hire_date")
    assert cohort.by_id()["E01"].tenure_years(cohort.as_of) == 0


# Intentions of the other role

@pytest.mark.parametrize(("role", "code", "suggestion"), [
    # the code of the own role that serves the same theme
    ("mentee", "teach-digital-tools", "master-digital-tools"),
    ("mentee", "build-a-network", "open-my-network"),
    ("mentor", "share-business-knowledge", "understand-company-jobs"),
    # two themes, each served by one mentor code: the first in the vocabulary wins
    ("mentor", "find-digital-profiles-for-projects", "contribute-to-a-project"),
])
def test_other_role_intention_suggests_the_code_with_the_same_theme(
        role: str, code: str, suggestion: str, tmp_path: Path, vocabulary: Vocabulary) -> None:
    """A code of the other role is named as such, with the own code sharing most themes."""
    person = MENTOR if role == "mentor" else MENTEE
    path = _write(tmp_path, "cohort.json", [MENTOR, MENTEE, dict(person, id="X1",
                                                                 intentions=[code])])
    [problem] = _problems(path, vocabulary)
    other = "mentee" if role == "mentor" else "mentor"
    assert problem.message.startswith(f"{code!r} is a {other} intention, and this participant "
                                      f"is a {role}; use a {role} intention: one of [")
    assert problem.suggestion == suggestion


# Everything at once

def test_load_cohort_raises_with_every_error(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """load_cohort reports all errors of all participants in one exception."""
    path = _write(tmp_path, "cohort.json", [dict(MENTOR, capacity=0),
                                            dict(MENTEE, hire_date="2021-02-30", topics=["AI"])])
    with pytest.raises(InvalidInput) as caught:
        load_cohort(path, vocabulary)
    assert [p.path for p in caught.value.errors] == [
        "$[0].capacity", "$[1].hire_date", "$[1].topics[0]"]
    assert str(caught.value).endswith("3 errors in the cohort; nothing was done")


def test_participants_come_sorted_by_id(tmp_path: Path, vocabulary: Vocabulary) -> None:
    """The cohort does not depend on the order of the file."""
    path = _write(tmp_path, "cohort.json", [MENTEE, dict(MENTOR, id="M02"), MENTOR])
    cohort, _ = load_cohort(path, vocabulary)
    assert [p.id for p in cohort.participants] == ["E01", "M01", "M02"]


# The validator

def test_validator_is_built_once_per_vocabulary(vocabulary: Vocabulary) -> None:
    """Validating many files reuses one compiled validator."""
    assert validate._validator(vocabulary) is validate._validator(vocabulary)


def test_validator_schema_has_its_local_refs_inlined(vocabulary: Vocabulary) -> None:
    """The compiled schema holds the vocabulary's values in place of local $refs."""
    schema = validate._validator(vocabulary).schema
    assert "$ref" not in json.dumps(schema["properties"])
    assert schema["properties"]["learning_style"]["enum"] == list(vocabulary.learning_styles)


def test_inlining_keeps_refs_it_cannot_merge() -> None:
    """A recursive $def, a ref to another file and a ref beside a clashing keyword stay refs."""
    defs = {"tree": {"type": "array", "items": {"$ref": "#/$defs/tree"}},
            "id": {"type": "string", "pattern": "^M", "description": "An id."}}
    node = {"a": {"$ref": "#/$defs/tree"}, "b": {"$ref": "other.json"},
            "c": {"$ref": "#/$defs/id", "pattern": "1$"},
            "d": {"$ref": "#/$defs/id", "description": "The mentor."}}
    assert validate._inline_refs(node, defs) == {
        "a": {"type": "array", "items": {"$ref": "#/$defs/tree"}},
        "b": {"$ref": "other.json"},
        "c": {"$ref": "#/$defs/id", "pattern": "1$"},
        "d": {"type": "string", "pattern": "^M", "description": "The mentor."}}
