"""`tandem import`: an HR export through a mapping becomes a cohort that validates and pairs."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest

DATA = Path(__file__).parents[2] / "examples" / "hr"
EXPORT = DATA / "hris-export.csv"
MAPPING = DATA / "mapping.yaml"
EXAMPLE = Path(__file__).parents[2] / "examples" / "cohort.json"

@pytest.fixture
def run(tandem):
    """`tandem ARGS...` as the other command-line tests run it, paths turned into text."""
    from click.testing import CliRunner

    from tests.conftest import PLAIN_ENV

    def invoke(*args, env=None):
        return CliRunner().invoke(tandem, [str(a) for a in args], prog_name="tandem",
                                  env={**PLAIN_ENV, "TANDEM_RULES": None, **(env or {})})
    return invoke



def _import(run, tmp_path: Path, source: Path = EXPORT, mapping: Path = MAPPING, *extra: str):
    out = tmp_path / "cohort.json"
    result = run("import", source, "--map", mapping, "--out", out, *extra)
    return result, out


# -- the fixture is the realistic export the import must cope with ---------------------------

def test_fixture_is_a_realistic_hris_export() -> None:
    """The export has a BOM, blank lines, 20+ columns, accents and two date formats."""
    raw = EXPORT.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert "" in lines[1:-1]
    header = next(csv.reader([lines[0]]))
    assert len(header) >= 20
    assert "é" in text and "ï" in text
    dates = [row[8] for row in csv.reader(line for line in lines[1:] if line)]
    assert any("/" in d for d in dates) and any("-" in d for d in dates)


# -- a good export ---------------------------------------------------------------------------

def test_export_imports_validates_and_pairs(run, tmp_path: Path) -> None:
    """The imported cohort validates and pairs exactly as the hand-written example does."""
    result, out = _import(run, tmp_path)
    assert result.exit_code == 0, result.output
    assert "Imported 42 participants" in result.stderr
    assert run("validate", out).exit_code == 0
    paired = run("pair", out, "--format", "json")
    example = run("pair", EXAMPLE, "--format", "json")
    assert paired.exit_code == 0, paired.output
    mine, theirs = json.loads(paired.stdout), json.loads(example.stdout)
    assert mine["input_digest"] == theirs["input_digest"]
    assert [(p["mentor"], p["mentee"]) for p in mine["pairs"]] == [
        (p["mentor"], p["mentee"]) for p in theirs["pairs"]]


def test_every_change_is_reported_with_row_column_before_after(run, tmp_path: Path) -> None:
    """Dates, case, spacing, value maps and lists: each change is one line naming its cell."""
    result, _ = _import(run, tmp_path, EXPORT, MAPPING)
    lines = result.stderr.splitlines()
    assert "row 2, column 'Hire Date': '05/09/2022' -> '2022-09-05'" in lines
    assert "row 3, column 'Learning Style': ' PRAGMATIST ' -> 'pragmatist'" in lines
    assert "row 2, column 'Gender': 'F' -> 'female'" in lines
    assert "row 4, column 'Programme Role': 'reverse mentor' -> 'mentor'" in lines
    assert ("row 2, column 'Digital Topics': 'AI, No-Code, Collaboration tools' -> "
            "'ai,no-code,collaboration-tools'") in lines
    assert not any("'Cost Centre'" in line for line in lines)  # ignored columns: untouched


def test_json_report_lists_changes(run, tmp_path: Path) -> None:
    """--format json reports the changes as data, on standard error."""
    result, out = _import(run, tmp_path, EXPORT, MAPPING, "--format", "json")
    report = json.loads(result.stderr)
    assert report["written"] is True and report["participants"] == 42
    assert {"row": 2, "column": "Hire Date", "before": "05/09/2022",
            "after": "2022-09-05"} in report["changes"]
    assert out.exists()


def test_cohort_carries_source_and_mapping_digests_and_rows(run, tmp_path: Path) -> None:
    """program.import names the source and mapping with their digests and each id's row."""
    import hashlib

    _, out = _import(run, tmp_path)
    program = json.loads(out.read_text("utf-8"))["program"]
    found = program["import"]
    assert found["source_digest"] == "sha256:" + hashlib.sha256(EXPORT.read_bytes()).hexdigest()
    assert found["mapping_digest"] == "sha256:" + hashlib.sha256(MAPPING.read_bytes()).hexdigest()
    assert found["rows"]["M01"] == 2
    assert found["rows"]["M07"] == 9  # after the blank line at row 8
    assert program["as_of"] == "2026-09-01"


def test_xlsx_export_imports_like_the_csv(run, tmp_path: Path) -> None:
    """The same export as a workbook, dates as date cells, gives the same participants."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    rows = list(csv.reader(EXPORT.read_text("utf-8-sig").splitlines()))
    for index, row in enumerate(rows):
        if index and row and "/" in row[8]:
            row = [*row[:8], datetime.strptime(row[8], "%d/%m/%Y"), *row[9:]]
        sheet.append(row)
    workbook = tmp_path / "hris.xlsx"
    book.save(workbook)
    result, out = _import(run, tmp_path, workbook)
    assert result.exit_code == 0, result.output
    from_csv = tmp_path / "from-csv.json"
    run("import", EXPORT, "--map", MAPPING, "--out", from_csv)
    assert (json.loads(out.read_text("utf-8"))["participants"]
            == json.loads(from_csv.read_text("utf-8"))["participants"])


# -- unmappable values -------------------------------------------------------------------------

def _broken(tmp_path: Path) -> Path:
    lines = EXPORT.read_bytes().decode("utf-8-sig").split("\r\n")
    lines[1] = lines[1].replace(",Activist,IT,", ",Activst,IT,")  # row 2
    lines[2] = lines[2].replace(",2021-03-15,", ",2021.03.15,")  # row 3
    lines[2] = lines[2].replace(",MENTOR,", ",Coach,")  # row 3
    broken = tmp_path / "broken.csv"
    broken.write_bytes("\r\n".join(lines).encode("utf-8-sig"))
    return broken


def test_unmappable_values_are_all_reported_and_nothing_written(run, tmp_path: Path) -> None:
    """Each unmappable value is one error with row and column; exit 1 and no file."""
    result, out = _import(run, tmp_path, _broken(tmp_path))
    assert result.exit_code == 1
    assert not out.exists()
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert any("row 2, column 'Learning Style': error: 'Activst' is not a value" in line
               and line.endswith("did you mean 'activist'?") for line in errors)
    assert any("row 3, column 'Hire Date': error: '2021.03.15' is not a date" in line
               for line in errors)
    assert any("row 3, column 'Programme Role': error: 'Coach'" in line for line in errors)
    assert len(errors) == 3
    assert "nothing was written" in result.stderr


def test_skip_invalid_writes_the_other_rows(run, tmp_path: Path) -> None:
    """--skip-invalid leaves out the rows with an unmappable value and names them."""
    result, out = _import(run, tmp_path, _broken(tmp_path), MAPPING, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "2 rows left out (2, 3)" in result.stderr
    ids = [p["id"] for p in json.loads(out.read_text("utf-8"))["participants"]]
    assert "M01" not in ids and "M02" not in ids and len(ids) == 40
    assert run("validate", out).exit_code == 0


# -- the mapping's own errors --------------------------------------------------------------------

def _mapping(tmp_path: Path, old: str, new: str) -> Path:
    text = MAPPING.read_text("utf-8")
    assert old in text
    path = tmp_path / "mapping.yaml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "expected"), [
    # a field that does not exist: its line and the closest field
    ("Job Family: job_family", "Job Family: job_famly",
     "mapping.yaml: line 8: error: 'job_famly' is not a profile field"),
    # a value the vocabulary does not hold
    ("R&D: research", "R&D: reserch",
     "mapping.yaml: line 33: error: 'reserch' is not a value of 'job_family'"),
    # a misspelt section
    ("dates:", "date:", "mapping.yaml: line 38: error: unknown section 'date'"),
])
def test_mapping_errors_name_the_line_and_suggest(run, tmp_path: Path, old: str, new: str,
                                                  expected: str) -> None:
    """A mistake in the mapping is located by line, with a did-you-mean, and nothing runs."""
    result, out = _import(run, tmp_path, EXPORT, _mapping(tmp_path, old, new))
    assert result.exit_code == 1
    assert any(line.endswith("?") and expected in line for line in result.stderr.splitlines()
               ), result.stderr
    assert not out.exists()


def test_columns_unaccounted_for_are_reported(run, tmp_path: Path) -> None:
    """A mapped column missing from the file, and a file column neither mapped nor ignored."""
    mapping = _mapping(tmp_path, "  - Grade\n", "")
    mapping.write_text(mapping.read_text("utf-8").replace("Legal Entity:", "Legal Entty:"),
                       "utf-8")
    result, out = _import(run, tmp_path, EXPORT, mapping)
    assert result.exit_code == 1
    assert ("line 10: error: column 'Legal Entty' is not in " in result.stderr
            and "did you mean 'Legal Entity'?" in result.stderr)
    assert "column 'Grade' is neither mapped nor ignored" in result.stderr
    assert not out.exists()


def test_suggest_writes_a_mapping_that_accounts_for_every_column(run, tmp_path: Path) -> None:
    """--suggest maps or ignores every column, finds both date formats and each separator,
    and leaves a TODO where it cannot guess; filled in, the mapping imports."""
    suggested = tmp_path / "suggested.yaml"
    assert run("import", EXPORT, "--suggest", "--out", suggested).exit_code == 0
    text = suggested.read_text("utf-8")
    header = next(csv.reader([EXPORT.read_text("utf-8-sig").splitlines()[0]]))
    assert all(f'"{column}"' in text for column in header)
    assert '"Hire Date": "hire_date"' in text and '"Gender": "protected.gender"' in text
    assert '- "%d/%m/%Y"' in text and '- "%Y-%m-%d"' in text
    assert '"topics": ","' in text
    assert '"R&D": ""  # TODO' in text
    refused = run("import", EXPORT, "--map", suggested)
    assert refused.exit_code == 1 and "is not a value of 'job_family'" in refused.stderr
    suggested.write_text(text.replace('"R&D": ""', '"R&D": "research"'), "utf-8")
    result, out = _import(run, tmp_path, EXPORT, suggested)
    assert result.exit_code == 0, result.stderr
    assert run("validate", out).exit_code == 0


def test_columns_feed_declared_fields(tmp_path: Path) -> None:
    """A column mapped to a field the vocabulary declares is read by that field's type."""
    from engine.profiles.importing import import_table
    from engine.profiles.mapping import load_mapping
    from engine.profiles.table import read_table
    from engine.rules.vocabulary import load_vocabulary

    vocabulary = load_vocabulary(EXAMPLE.parent / "rules-second-edition")
    lines = EXPORT.read_bytes().decode("utf-8-sig").split("\r\n")
    header = lines[0] + ",Site,Spoken languages,Remote OK,Grade level"
    extra = [",paris,English|French,yes,3", ",REMOTE,English,no,2.5"]
    body = [line + extra[i % 2] if line else line for i, line in enumerate(lines[1:])]
    source = tmp_path / "hris.csv"
    source.write_bytes("\r\n".join([header, *body]).encode("utf-8-sig"))
    text = MAPPING.read_text("utf-8").replace("  - Grade\n", "")
    text = text.replace("columns:\n", "columns:\n  Site: location\n  Spoken languages: "
                                      "languages\n  Remote OK: remote_ok\n  Grade level: grade\n"
                                      "  Grade: protected.grade\n")
    text = text.replace("lists:\n", "lists:\n  languages: \"|\"\n")
    mapping_path = tmp_path / "mapping.yaml"
    mapping_path.write_text(text, "utf-8")
    done = import_table(read_table(source), load_mapping(mapping_path, vocabulary), vocabulary)
    assert done.problems == []
    first, second = done.document["participants"][:2]
    assert (first["location"], first["languages"], first["remote_ok"], first["grade"]) == (
        "Paris", ["English", "French"], True, 3)
    assert (second["location"], second["remote_ok"], second["grade"]) == ("Remote", False, 2.5)
    assert first["protected"]["grade"] == "A"
