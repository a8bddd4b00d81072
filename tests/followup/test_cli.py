"""`tandem checkin`, `tandem outcome` and `tandem insights` from the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from tests.followup.helpers import paired_log

PLAIN_ENV: dict[str, str | None] = {"NO_COLOR": "1", "FORCE_COLOR": None, "TANDEM_DB": None,
                                    "COLUMNS": "200"}
TODAY = datetime.now(UTC).date()


@pytest.fixture(scope="module")
def tandem():
    from cli import main

    main._register()
    return main.cli


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    paired_log(url)
    return url


@pytest.fixture
def run(tandem):
    def invoke(*args):
        return CliRunner().invoke(tandem, [str(a) for a in args], prog_name="tandem",
                                  env=PLAIN_ENV)
    return invoke


def test_checkin_records_at_once_and_prints_the_new_head(run, url):
    """A check-in is a fact: no dry run; the receipt names the entry and the head."""
    done = run("checkin", "M0001", "E0001", "--rating", "4", "--by", "mentee", "--db", url)
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith(f"Recorded 1 check-in in {url}: entry 6.\nNew head: 6:")


@pytest.mark.parametrize(("args", "stderr"), [
    (["M0001", "E0001", "--rating", "6"],
     "tandem checkin: --rating: error: the rating must be a whole number from 1 to 5, got 6\n"
     "1 error in the command; nothing was done\n"),
    (["M0001", "E0002", "--rating", "3"],
     "Error: M0001 and E0002 were never paired; check the ids (`tandem status` lists the "
     "active pairs); nothing was written. Did you mean M0001 E0001?\n"),
    (["M0001", "E0001", "--rating", "3", "--on", "2020-01-01"],
     f"Error: the date 2020-01-01 is before the pair began ({TODAY}, entry 2); give the day "
     "the check-in took place; nothing was written.\n"),
])
def test_a_refused_checkin_exits_1_with_the_reason(run, url, args, stderr):
    """Out-of-range rating, unknown pair, date before the pair: exit 1, nothing written."""
    done = run("checkin", *args, "--db", url)
    assert (done.exit_code, done.stderr) == (1, stderr)


@pytest.mark.parametrize("args", [[], ["M0001", "E0001"], ["--from", "x.csv", "M0001"],
                                  ["M0001", "E0001", "--rating", "3", "--skip-invalid"]])
def test_checkin_needs_a_pair_and_a_rating_or_a_file(run, url, args):
    """Wrong combinations of arguments are usage errors (exit 2)."""
    assert run("checkin", *args, "--db", url).exit_code == 2


def test_checkin_from_a_file_lists_skipped_rows(run, url, tmp_path):
    """--skip-invalid records the valid rows and lists the skipped ones on stderr."""
    survey = tmp_path / "survey.csv"
    survey.write_text("mentor,mentee,rating\nM0001,E0001,5\nM0002,E0002,9\n", encoding="utf-8")
    refused = run("checkin", "--from", survey, "--db", url)
    assert (refused.exit_code, refused.stderr) == (1, (
        f"{survey}: row 3, column rating: error: the rating must be a whole number from 1 to "
        "5, got 9\n1 error in the check-ins; nothing was done\n"))
    done = run("checkin", "--from", survey, "--skip-invalid", "--db", url)
    assert done.exit_code == 0, done.output
    assert done.stderr == (f"{survey}: row 3, column rating: error: the rating must be a "
                           "whole number from 1 to 5, got 9\n")
    assert done.stdout.startswith(f"Recorded 1 check-in in {url}: entry 6; 1 invalid row "
                                  "skipped (listed above).")


def test_outcome_once_per_pair(run, url):
    """The first outcome is recorded; a second one is refused with the first's entry."""
    first = run("outcome", "M0002", "E0002", "--result", "success", "--note", "great", "--db",
                url, "--format", "json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["recorded"] == 1
    again = run("outcome", "M0002", "E0002", "--result", "failure", "--db", url)
    assert (again.exit_code, again.stderr) == (1, (
        "Error: M0002 and E0002 already have an outcome (success, entry 6); an outcome is "
        "recorded once: to correct it, `tandem outcome M0002 E0002 --result RESULT --correct "
        "--reason TEXT` records a correction that supersedes it; nothing was written.\n"))


def test_insights_without_results_says_how_to_get_some(run, url):
    """With no outcome yet, the report says how results are recorded."""
    done = run("insights", "--db", url)
    assert (done.exit_code, done.stdout) == (0, (
        "No pair has a result yet: record outcomes with `tandem outcome` (a separation for "
        "mismatch or conflict counts as a failure).\n"))


def test_insights_says_not_enough_data_on_a_small_log(run, url):
    """With one outcome, the report gives the rate and says the criteria need 30."""
    run("outcome", "M0001", "E0001", "--result", "success", "--db", url)
    done = run("insights", "--db", url)
    assert done.exit_code == 0, done.output
    assert done.stdout == (
        "1 pair with a result: 1 success, 0 partial, 0 failure (0 of them from a separation "
        "for mismatch or conflict); success rate 100% [21-100%].\n"
        "Not enough data: the criteria are tested from 30 pairs with a result. Keep recording "
        "outcomes with `tandem outcome`.\n")
    as_json = json.loads(run("insights", "--db", url, "--format", "json").stdout)
    assert (as_json["pairs"], as_json["status"]) == (1, "not enough data")


def test_audit_show_explains_a_checkin(run, url):
    """A reviewer reads who reported what about which pair, and where the note is."""
    run("checkin", "M0001", "E0001", "--rating", "2", "--note", "busy", "--db", url,
        "--actor", "hr.jane")
    lines = run("audit", "show", "6", "--db", url).stdout.splitlines()
    assert lines[:2] == [
        "Entry 6 of the audit log: a check-in of a pair was reported.",
        f"  M0001 and E0001, check-in on {TODAY}: rating 2 of 5 (the pair was formed by "
        "entry 2)."]
    assert lines[2].startswith(f"  Reported by hr.jane on {TODAY} ")
    assert lines[2].endswith(" UTC: a fact, not a decision.")
    assert lines[3].startswith("  Note: its text is kept outside the chain, where it can be "
                               "erased; the entry holds its salted digest sha256:")


def test_history_shows_checkins_and_outcomes_in_a_persons_timeline(run, url):
    """`tandem history` lists the check-ins and the outcome after the pair."""
    run("checkin", "M0001", "E0001", "--rating", "4", "--by", "mentor", "--db", url)
    run("outcome", "M0001", "E0001", "--result", "success", "--db", url)
    entries = json.loads(run("history", "E0001", "--db", url, "--format", "json").stdout)
    assert [e["entry"]["kind"] for e in entries] == ["pair", "checkin", "outcome"]


def test_a_checkin_and_an_outcome_append_their_heads_to_the_witness(run, url, tmp_path):
    """With --witness, each recorded fact's head goes to the witness, which verify checks."""
    witness = tmp_path / "witness.jsonl"
    done = run("checkin", "M0001", "E0001", "--rating", "4", "--db", url, "--witness", witness)
    assert done.exit_code == 0, done.output
    assert done.stdout.rstrip().endswith(f"Appended to the witness {witness}.")
    assert run("outcome", "M0001", "E0001", "--result", "success", "--db", url, "--witness",
               witness).exit_code == 0
    heads = [json.loads(line)["seq"] for line in witness.read_text("utf-8").splitlines()]
    assert heads == [6, 7]
    assert run("audit", "verify", "--db", url, "--witness", witness).exit_code == 0
