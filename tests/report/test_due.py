"""The report shows what `tandem due` lists, by the same definition: pairs gone quiet
(oldest first, with the days since the last check-in), pairs past the program's end with
no outcome, and the my-job-day visits of the coming week."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import Result

from tests.audit.conftest import pg_server, pg_url, sqlite_url  # noqa: F401
from tests.report.conftest import EXAMPLE

Run = Callable[..., Result]
TODAY = date.today()
LATER = TODAY + timedelta(days=45)  # after the cadence and after the program's end
PLAN_DAY = date(2026, 10, 6)  # the first day of the example plan (rules/my_job_days.yaml)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite"
                                       else "pg_url"))


@pytest.fixture
def program(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> str:
    """A program folder (cadence 30 days, ending 40 days from now) as the working
    directory, its log at ``db_url``: the example cohort paired (22 pairs), two pairs checked
    in today, one outcome, and the example my-job-day plan. The database URL."""
    made = run("init", tmp_path / "prog", "--name", "Due", "--start", "2026-08-01",
               "--end", (TODAY + timedelta(days=40)).isoformat(), "--checkin-every", "30")
    assert made.exit_code == 0, made.output
    monkeypatch.chdir(tmp_path / "prog")
    db = ["--db", db_url]
    steps = [("pair", EXAMPLE, "--commit"),
             ("checkin", "M06", "E04", "--rating", "4", "--by", "mentee"),
             ("checkin", "M01", "E07", "--rating", "3", "--by", "mentor"),
             ("outcome", "M17", "E11", "--result", "success"),
             ("myjobdays", EXAMPLE, "--commit", "--outside-calendar")]
    for step in steps:
        done = run(*step, *db)
        assert done.exit_code == 0, (step, done.output)
    return db_url


def _due(run: Run, url: str, today: date) -> dict[str, object]:
    found = run("due", "--db", url, "--today", today.isoformat(), "--format", "json")
    assert found.exit_code == 0, found.output
    return dict(json.loads(found.stdout))


def _rows(page: str, table: str) -> list[list[str]]:
    if f'<table class="{table}">' not in page:
        return []
    body = page.split(f'<table class="{table}">', 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row)
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)]


@pytest.mark.parametrize("today", [LATER, PLAN_DAY - timedelta(days=1)],
                         ids=["quiet-and-past-the-end", "the-plans-week"])
def test_the_reports_model_holds_what_tandem_due_lists(run: Run, program: str,
                                                       today: date) -> None:
    """gather_report's due summary is, field for field, the JSON of `tandem due` on the
    same database and day."""
    from audit.report import gather_report
    from engine.settings.program_file import read_program_file

    listed = _due(run, program, today)
    calendar = read_program_file(Path("tandem.toml")).calendar
    made = gather_report(program, calendar=calendar, today=today)
    assert made.due is not None
    assert made.due.as_dict() == listed
    if today == LATER:
        assert len(listed["no_recent_checkin"]) == 21  # type: ignore[arg-type]
        assert len(listed["past_end_without_outcome"]) == 21  # type: ignore[arg-type]
    else:
        assert listed["visits_this_week"]


def test_the_report_page_shows_the_due_lists_in_their_order(run: Run, program: str,
                                                            tmp_path: Path) -> None:
    """In a program folder with a calendar, the page's glance ends with the same summary
    sentence and the same rows, in the same order, as `tandem due`."""
    listed = _due(run, program, LATER)
    out = tmp_path / "report.html"
    made = run("report", "--db", program, "--today", LATER.isoformat(), "--out", out)
    assert made.exit_code == 0, made.output
    page = out.read_text(encoding="utf-8")
    glance = page[page.index('<section id="glance"'):page.index('<section id="runs"')]
    quiet = listed["no_recent_checkin"]
    assert isinstance(quiet, list)
    assert [[r[0], r[1], r[2][:5], r[3]] for r in _rows(glance, "due-quiet")] == \
        [[q["mentor"], q["mentee"], q["last"][:5] if q["checked_in"] else "never",
          str(q["days"])] for q in quiet]
    overdue = listed["past_end_without_outcome"]
    assert isinstance(overdue, list)
    assert [r[:2] for r in _rows(glance, "due-outcomes")] == \
        [[p["mentor"], p["mentee"]] for p in overdue]
    summary = re.search(r"<p data-due-summary>(.*?)</p>", glance)
    assert summary is not None and summary.group(1) == (
        f"Due on {LATER}: 21 pairs without a recent check-in, 21 without an outcome past "
        "the end, 0 visits in the coming week.")


def test_without_a_calendar_the_report_has_no_due_section(run: Run, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Outside a program folder there is no calendar, and so no due summary."""
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    assert run("pair", EXAMPLE, "--commit", "--db", url).exit_code == 0
    made = run("report", "--db", url, "--out", tmp_path / "r.html")
    assert made.exit_code == 0, made.output
    assert 'id="due"' not in (tmp_path / "r.html").read_text(encoding="utf-8")
