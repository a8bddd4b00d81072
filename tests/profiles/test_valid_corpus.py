"""Edge-valid cohort files: what spreadsheets and hand-written files really look like."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from click.testing import Result

from engine.base.resources import rules_dir
from engine.profiles.cohort import Participant
from engine.profiles.validate import load_cohort
from engine.rules.vocabulary import Vocabulary, load_vocabulary
from tests.profiles.conftest import DATA, REPO

VALID = DATA / "valid"
AS_OF = date(2026, 9, 1)


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return load_vocabulary(rules_dir())


def _load(name: str, vocabulary: Vocabulary) -> dict[str, Participant]:
    cohort, problems = load_cohort(VALID / name, vocabulary, AS_OF)
    assert problems == []
    return cohort.by_id()


# Every file passes the command

@pytest.mark.parametrize(("name", "people", "mentors", "mentees"), [
    ("spreadsheet-export.csv", "3 participants", "1 mentor", "2 mentees"),
    ("blank-lines.jsonl", "3 participants", "1 mentor", "2 mentees"),
    ("bare-array.json", "3 participants", "1 mentor", "2 mentees"),
    ("envelope-without-program.json", "2 participants", "1 mentor", "1 mentee"),
])
def test_edge_valid_file_passes(name: str, people: str, mentors: str, mentees: str,
                                run: Callable[..., Result],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """An edge-valid file exits 0 with one summary line and nothing on stderr."""
    monkeypatch.chdir(REPO)
    result = run("validate", f"tests/data/valid/{name}")
    assert result.stderr == ""
    assert result.stdout == (f"tests/data/valid/{name}: valid: {people} "
                             f"({mentors}, {mentees})\n")
    assert result.exit_code == 0


def test_corpus_files_are_all_checked() -> None:
    """Every file in tests/data/valid/ is one of the cases above."""
    assert sorted(p.name for p in VALID.iterdir()) == sorted(
        ["spreadsheet-export.csv", "blank-lines.jsonl", "bare-array.json",
         "envelope-without-program.json"])


# What a spreadsheet export holds

def test_spreadsheet_export_is_crlf_with_a_byte_order_mark() -> None:
    """The CSV fixture really is what Excel writes: BOM, CRLF and trailing blank rows."""
    raw = (VALID / "spreadsheet-export.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert raw.endswith(b",,\r\n\r\n\r\n")


def test_spreadsheet_export_reads_quoted_cells_whole(vocabulary: Vocabulary) -> None:
    """Quoted cells keep their commas and doubled quotes; the BOM does not stick to a column."""
    people = _load("spreadsheet-export.csv", vocabulary)
    assert people["M01"].name == "Aïcha Benali"
    assert people["M01"].department == "Digital Factory, Lyon"
    assert people["E01"].name == "Margaret \"Peggy\" O'Brien"
    assert people["E01"].department == "Risk, Compliance & Legal"


def test_spreadsheet_export_reads_typed_cells(vocabulary: Vocabulary) -> None:
    """Lists split on ';' (spaces trimmed), TRUE/FALSE are booleans, numbers are numbers."""
    people = _load("spreadsheet-export.csv", vocabulary)
    mentor = people["M01"]
    assert mentor.intentions == ("teach-digital-tools", "build-a-network")
    assert mentor.capacity == 2
    assert mentor.my_job_day == {"discover": ["finance", "legal"], "host": True}
    assert mentor.protected == {"gender": "female", "birth_year": 1999}
    assert people["E01"].my_job_day == {"host": False}
    assert people["E01"].protected is None
    assert people["E02"].topics == ()
    assert people["E02"].manager_id == "E01"


# JSON Lines

def test_jsonl_keeps_a_unicode_line_separator_inside_a_value(vocabulary: Vocabulary) -> None:
    """U+2028 is allowed unescaped in JSON: it does not split a JSONL line."""
    people = _load("blank-lines.jsonl", vocabulary)
    assert people["mentor.ana_01"].department == "Data Science\u2028Lab"


def test_jsonl_and_bare_array_hold_the_same_participants(vocabulary: Vocabulary) -> None:
    """Blank lines, CRLF and whitespace-only lines in JSONL change nothing."""
    assert _load("blank-lines.jsonl", vocabulary) == _load("bare-array.json", vocabulary)
