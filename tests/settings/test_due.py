"""What is due: quiet pairs oldest first, missing outcomes past the end, the coming visits."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import Result

from engine.settings.calendar import PairDates, Visit, due
from engine.settings.program_file import Calendar

ROOT = Path(__file__).resolve().parents[2]
CAL = Calendar(date(2027, 1, 4), date(2027, 6, 30), 30)


def test_quiet_pairs_are_listed_oldest_first_with_their_days() -> None:
    """A pair past the cadence is listed, with days since its last check-in, oldest first;
    a pair checked in recently is not."""
    today = date(2027, 4, 1)
    pairs = [PairDates("M1", "E1", 2, date(2027, 1, 10), last_checkin=date(2027, 2, 20)),
             PairDates("M2", "E2", 3, date(2027, 1, 10)),
             PairDates("M3", "E3", 4, date(2027, 1, 10), last_checkin=date(2027, 3, 20))]
    report = due(CAL, today, pairs, [])
    assert [(q.mentor, q.days, q.ever) for q in report.quiet] == [("M2", 81, False),
                                                                  ("M1", 40, True)]
    assert report.overdue_outcomes == ()


def test_exactly_the_cadence_is_not_yet_due() -> None:
    """A check-in exactly `checkin_every_days` ago is still on time."""
    pair = PairDates("M1", "E1", 2, date(2027, 1, 10), last_checkin=date(2027, 3, 2))
    assert due(CAL, date(2027, 4, 1), [pair], []).quiet == ()


def test_pairs_past_the_end_without_an_outcome() -> None:
    """After the program's end, an active pair without an outcome is listed; with one, not."""
    pairs = [PairDates("M1", "E1", 2, date(2027, 1, 10), has_outcome=True),
             PairDates("M2", "E2", 3, date(2027, 1, 10))]
    report = due(CAL, date(2027, 7, 2), pairs, [])
    assert [p.mentor for p in report.overdue_outcomes] == ["M2"]
    assert due(CAL, date(2027, 6, 30), pairs, []).overdue_outcomes == ()


def test_the_visits_of_the_coming_week_only() -> None:
    """Visits from today to six days ahead, by day; none before, none a week later."""
    today = date(2027, 3, 1)
    visits = [Visit(today + timedelta(days=d), "V", f"H{d}", "legal") for d in (-1, 0, 6, 7)]
    assert [v.host for v in due(CAL, today, [], visits).visits] == ["H0", "H6"]


def test_without_a_cadence_no_pair_is_quiet() -> None:
    """No checkin_every_days: nothing is listed as quiet."""
    pair = PairDates("M1", "E1", 2, date(2020, 1, 1))
    assert due(Calendar(), date(2027, 4, 1), [pair], []).quiet == ()


def test_due_from_a_program_folder(run: Callable[..., Result], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`tandem due` reads the cadence from tandem.toml and the pairs and check-ins from the
    log; status ends with the same summary."""
    assert run("init", tmp_path, "--name", "P", "--checkin-every", "30").exit_code == 0
    monkeypatch.chdir(tmp_path)
    assert run("pair", ROOT / "examples" / "cohort.json", "--commit").exit_code == 0
    checked = run("checkin", "M01", "E07", "--rating", "4", "--by", "mentee")
    assert checked.exit_code == 0, checked.output
    later = (date.today() + timedelta(days=45)).isoformat()
    found = run("due", "--today", later, "--format", "json")
    assert found.exit_code == 0, found.output
    report = json.loads(found.stdout)
    quiet = report["no_recent_checkin"]
    assert len(quiet) == 22 and all(q["days"] == 45 for q in quiet)
    m01 = next(q for q in quiet if (q["mentor"], q["mentee"]) == ("M01", "E07"))
    assert m01["checked_in"] is True and m01["last"] == date.today().isoformat()
    assert run("due", "--today", date.today().isoformat(),
               "--format", "json").stdout.count('"mentor"') == 0
    status = run("status")
    assert "Due on " in status.stdout and "0 pairs without a recent check-in" in status.stdout
