"""Hostile check-in files: whatever the bytes, reading them ends in located problems or valid
check-ins, never a crash (hypothesis; bounded by default, TANDEM_FUZZ=long runs more)."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from engine.base.errors import InvalidInput
from engine.followup.records import read_checkins

ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
CELLS = st.one_of(st.sampled_from(["M01", "E07", "mentor", "mentee", "3", "6", "0", "x",
                                   "2026-02-30", "2026-10-01", "", "\"", ";", "\x1b[31m"]),
                  st.text(max_size=12))
ROWS = st.lists(st.lists(CELLS, min_size=1, max_size=7), max_size=6)
HEADERS = st.lists(st.sampled_from(["mentor", "mentee", "on", "by", "rating", "note",
                                    "ratng", ""]), min_size=1, max_size=7)


def _check(name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            found = read_checkins(path)
        except InvalidInput as exc:
            assert exc.problems
            return
    for checkin in found.checkins:
        assert ID.match(checkin.mentor) and ID.match(checkin.mentee)
        assert 1 <= checkin.rating <= 5
        assert checkin.by in (None, "mentor", "mentee")
    assert len(found.checkins) <= found.rows


@given(HEADERS, ROWS)
def test_any_csv_gives_problems_or_valid_checkins(header, rows):
    """A CSV of any header and cells is read or refused with located problems."""
    text = "\n".join(",".join(row) for row in [header, *rows])
    _check("survey.csv", text.encode("utf-8"))


@given(st.lists(st.dictionaries(st.sampled_from(["mentor", "mentee", "on", "by", "rating",
                                                 "note", "bye"]),
                                st.one_of(st.integers(-3, 9), st.text(max_size=8),
                                          st.none(), st.booleans())), max_size=5))
def test_any_json_list_gives_problems_or_valid_checkins(items):
    """JSON and JSONL of any objects are read or refused with located problems."""
    _check("survey.json", json.dumps(items).encode("utf-8"))
    _check("survey.jsonl", "\n".join(json.dumps(i) for i in items).encode("utf-8"))


@given(st.binary(max_size=200))
def test_any_bytes_give_problems_or_valid_checkins(data):
    """Arbitrary bytes never crash the reader."""
    _check("survey.csv", data)
    _check("survey.jsonl", data)
