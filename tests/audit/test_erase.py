"""`tandem erase`: kept profiles and notes deleted, an `erasure` entry with no personal data,
verify still passing and naming the erasure; the retention policy."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from click.testing import Result

from tests.audit.conftest import raw_sql

ROOT = Path(__file__).resolve().parents[2]
COHORT = ROOT / "examples" / "cohort.json"
Run = Callable[..., Result]


def _program(run: Run, db: str) -> None:
    assert run("pair", COHORT, "--commit", "--db", db).exit_code == 0
    done = run("checkin", "M01", "E07", "--rating", "2", "--by", "mentee", "--db", db,
               "--note", "E07 spoke of a health problem")
    assert done.exit_code == 0, done.output


def _rows(db: str, person: str) -> tuple[int, int]:
    snap = raw_sql(db, f"SELECT count(*) FROM audit_snapshot WHERE person_id = '{person}'")
    notes = raw_sql(db, "SELECT count(*) FROM audit_note")
    return int(snap[0][0][0]), int(notes[0][0][0])


def test_a_dry_run_lists_the_rows_and_erases_nothing(run: Run, db_url: str) -> None:
    """Without --commit, the rows are listed and nothing is deleted or recorded."""
    _program(run, db_url)
    before = _rows(db_url, "E07")
    done = run("erase", "E07", "--reason", "Asked", "--db", db_url, "--format", "json")
    assert done.exit_code == 0, done.output
    shown = json.loads(done.stdout)
    assert shown["committed"] is False and len(shown["erasures"]) == 1
    assert _rows(db_url, "E07") == before == (2, 1)


def test_erasure_deletes_the_rows_records_an_entry_and_verify_passes(run: Run,
                                                                      db_url: str) -> None:
    """The profile, protected data and note are gone; the entry holds digests, not data;
    verify passes and names the erasure; show and history say erased."""
    _program(run, db_url)
    done = run("erase", "E07", "--reason", "Asked under art. 17", "--commit",
               "--actor", "hr.jane", "--db", db_url)
    assert done.exit_code == 0, done.output
    assert _rows(db_url, "E07") == (0, 0)
    assert _rows(db_url, "M01")[0] == 2  # nobody else's rows
    entry = raw_sql(db_url, "SELECT seq, entry FROM audit_log WHERE kind = 'erasure'")[0]
    assert len(entry) == 1
    seq, doc = entry[0][0], json.loads(entry[0][1])
    assert doc["person"] == "E07" and doc["actor"] == "hr.jane"
    assert doc["reason"] == "Asked under art. 17" and doc["policy"] is None
    assert [len(doc["rows"][k]) for k in ("profiles", "protected", "notes")] == [1, 1, 1]
    text = entry[0][1]
    assert "health" not in text and "Margaret" not in text and "gender" not in text
    verified = run("audit", "verify", "--db", db_url)
    assert verified.exit_code == 0, verified.output
    assert f"Entry {seq}: hr.jane erased what was kept of E07" in verified.stdout
    assert "1 kept profile(s) erased by these entries: erased, not lost nor altered" \
        in verified.stdout
    shown = run("audit", "show", "2", "--db", db_url)
    assert "The profile of E07 was erased" in shown.stdout
    assert "erased: the kept data of E07" in run("history", "E07", "--db", db_url).stdout
    again = run("erase", "E07", "--reason", "again", "--commit", "--db", db_url)
    assert again.exit_code == 1
    assert f"nothing is kept of E07 (erased by entry {seq}); nothing was erased" \
        in again.stderr


def test_a_profile_deleted_by_hand_is_named_as_gone_without_an_erasure(run: Run,
                                                                        db_url: str) -> None:
    """A DELETE outside `tandem erase` still verifies, but is not passed off as an erasure."""
    _program(run, db_url)
    raw_sql(db_url, "DELETE FROM audit_snapshot WHERE person_id = 'E10'")
    verified = run("audit", "verify", "--db", db_url)
    assert verified.exit_code == 0
    assert "1 kept profile(s) are gone with no erasure entry (deleted outside `tandem " \
           "erase`): E10 (run entry 1)." in verified.stdout


def test_an_unknown_person_is_refused_with_the_closest_id(run: Run, db_url: str) -> None:
    """A misspelt id erases nothing and suggests the id the log knows."""
    _program(run, db_url)
    done = run("erase", "E007", "--reason", "x", "--commit", "--db", db_url)
    assert done.exit_code == 1 and "did you mean 'E07'?" in done.stderr
    assert _rows(db_url, "E07")[0] == 2


def test_an_id_with_no_close_match_is_refused_in_a_full_sentence(run: Run,
                                                                 db_url: str) -> None:
    _program(run, db_url)
    done = run("erase", "ZZZZZZZZ", "--reason", "x", "--commit", "--db", db_url)
    assert done.exit_code == 1
    assert "names no one with the id 'ZZZZZZZZ'. Give an id as the cohort file spells it." \
        " Nothing was erased." in " ".join(done.stderr.split())


def test_retention_erases_everyone_whose_last_pair_ended_before_the_date(
        run: Run, db_url: str) -> None:
    """Separated and finished pairs before the date are erased; anyone still in an active
    pair is kept."""
    _program(run, db_url)
    assert run("separate", "M01", "E07", "--reason", "Moved", "--category", "left-company",
               "--leaving", "E07",
               "--commit", "--db", db_url).exit_code == 0
    assert run("outcome", "M02", "E22", "--result", "success", "--db", db_url).exit_code == 0
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    today = date.today().isoformat()
    none = run("erase", "--ended-before", today, "--reason", "Retention", "--commit",
               "--db", db_url)
    assert none.exit_code == 0 and "Nothing to erase" in none.stdout
    done = run("erase", "--ended-before", tomorrow, "--reason", "Retention: 1 day",
               "--commit", "--db", db_url, "--format", "json")
    assert done.exit_code == 0, done.output
    erased = sorted(e["person"] for e in json.loads(done.stdout)["erasures"])
    assert erased == ["E07", "E22", "M02"]  # M01 still mentors E10
    assert all(e["policy"] == {"ended_before": tomorrow}
               for e in json.loads(done.stdout)["erasures"])
    assert _rows(db_url, "E07")[0] == 0 and _rows(db_url, "M03")[0] == 2
    assert run("audit", "verify", "--db", db_url).exit_code == 0


def test_erase_needs_people_or_a_policy(run: Run, sqlite_url: str) -> None:
    """Neither or both is wrong usage, exit 2."""
    assert run("erase", "--reason", "x", "--db", sqlite_url).exit_code == 2
    assert run("erase", "E07", "--ended-before", "2026-01-01", "--reason", "x",
               "--db", sqlite_url).exit_code == 2
