"""Reading check-in files: located errors and "did you mean", as for profiles."""

from __future__ import annotations

from datetime import date

import pytest

from engine.base.errors import InvalidInput
from engine.followup.facts import Checkin
from engine.followup.records import checkin_from_options, read_checkins

HEADER = "mentor,mentee,on,by,rating,note\n"

# (description, file name, content, expected problems as rendered, without the file name)
CASES = [
    # CSV
    ("a misspelt reporter gets a did-you-mean", "s.csv", HEADER + "M1,E1,,mentr,3,\n",
     ["row 2, column by: error: 'mentr' is not one of ['mentor', 'mentee']; did you mean "
      "'mentor'?"]),
    ("a rating out of range says the range", "s.csv", HEADER + "M1,E1,,,6,\n",
     ["row 2, column rating: error: the rating must be a whole number from 1 to 5, got 6"]),
    ("a rating that is not a number says so", "s.csv", HEADER + "M1,E1,,,good,\n",
     ["row 2, column rating: error: the rating must be a whole number from 1 to 5, got "
      "\"good\""]),
    ("a date that does not exist", "s.csv", HEADER + "M1,E1,2026-02-30,,3,\n",
     ["row 2, column on: error: '2026-02-30' is not a valid date (use YYYY-MM-DD, e.g. "
      "2021-03-15)"]),
    ("an empty required cell", "s.csv", HEADER + ",E1,,,3,\n",
     ["row 2, column mentor: error: the cell is empty, but every check-in needs a mentor; "
      "fill it in"]),
    ("an unknown column is reported once, on the header", "s.csv",
     "mentor,mentee,ratng\nM1,E1,3\nM2,E2,4\n",
     ["row 1, column ratng: error: unknown column 'ratng'; rename it or delete it; did you "
      "mean 'rating'?",
      "row 1: error: no column 'rating', which every check-in needs; add it"]),
    # JSON and JSONL
    ("a misspelt field in JSON", "s.json", '[{"mentor": "M1", "mentee": "E1", "rating": 3, '
     '"bye": "mentor"}]',
     ["$[0].bye: error: unknown field 'bye'; remove it or rename it; did you mean 'by'?"]),
    ("a missing field in JSONL, located by line", "s.jsonl",
     '{"mentor": "M1", "mentee": "E1", "rating": 3}\n{"mentor": "M2", "rating": 3}\n',
     ["line 2, $.mentee: error: missing required field 'mentee'; add it"]),
    ("a bad id", "s.jsonl", '{"mentor": "M 1", "mentee": "E1", "rating": 3}\n',
     ["line 1, $.mentor: error: 'M 1' is not a valid id: use 1 to 64 letters, digits, '.', "
      "'_' or '-'"]),
]


@pytest.mark.parametrize(("name", "content", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_rows_are_located(tmp_path, name, content, expected):
    """Each invalid row gets its place, its problem and a did-you-mean when one is close."""
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    found = read_checkins(path)
    assert [p.render() for p in found.problems] == [f"{path}: {line}" for line in expected]


def test_valid_rows_become_checkins_in_every_format(tmp_path):
    """CSV, JSON (a list or {"checkins": [...]}) and JSONL give the same check-ins."""
    files = {
        "a.csv": HEADER + "M1,E1,2026-10-01,mentee,4,ok\nM2,E2,,,5,\n",
        "a.json": '{"checkins": [{"mentor": "M1", "mentee": "E1", "on": "2026-10-01", '
                  '"by": "mentee", "rating": 4, "note": "ok"}, '
                  '{"mentor": "M2", "mentee": "E2", "rating": 5}]}',
        "a.jsonl": '{"mentor": "M1", "mentee": "E1", "on": "2026-10-01", "by": "mentee", '
                   '"rating": 4, "note": "ok"}\n{"mentor": "M2", "mentee": "E2", "rating": 5}\n',
    }
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        found = read_checkins(path)
        assert found.problems == ()
        assert [(c.mentor, c.mentee, c.on, c.by, c.rating, c.note) for c in found.checkins] == [
            ("M1", "E1", date(2026, 10, 1), "mentee", 4, "ok"),
            ("M2", "E2", None, None, 5, None)], name


@pytest.mark.parametrize(("name", "content", "message"), [
    ("s.csv", "", "the file is empty; add one check-in per row (CSV with the columns mentor, "
                  "mentee, on, by, rating, note), per line (JSONL) or a list (JSON)"),
    ("s.txt", "x", "unsupported file type '.txt'; give a .csv, .json or .jsonl file (export "
                   "spreadsheets as 'CSV UTF-8')"),
    ("s.json", '{"rows": []}', "expected a list of check-ins, or an object with one key "
                               "'checkins' holding that list; found 'rows'"),
    ("s.csv", HEADER, "the file holds no check-in; add one per row, line or list item"),
])
def test_unreadable_files_are_refused_with_what_to_do(tmp_path, name, content, message):
    """A file that cannot be read as check-ins says what to do."""
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        read_checkins(path)
    assert [p.message for p in caught.value.problems] == [message]
    assert caught.value.summary() == "1 error in the check-ins; nothing was done"


def test_command_line_values_are_checked_by_the_same_schema():
    """`tandem checkin` options go through the schema; problems name the option."""
    with pytest.raises(InvalidInput) as caught:
        checkin_from_options("M1", "E1", 0, None, None, None)
    assert [p.render() for p in caught.value.problems] == [
        "tandem checkin: --rating: error: the rating must be a whole number from 1 to 5, got 0"]
    assert checkin_from_options("M1", "E1", 5, date(2026, 1, 2), "mentor", "x") == Checkin(
        "M1", "E1", 5, date(2026, 1, 2), "mentor", "x")
