"""The linkage attack (tests/fairness/linkage.py) recovers people from the figures as they
were published before, and nothing from the figures published now: in `tandem fairness`
(the example cohort and a cohort with a planted small group, table and JSON), in the
report's fairness and outcomes tables, and in `insights` (its JSON on the example program).
The exports (JSON lines, CSV, workbook) carry no group figure at all, and no protected
datum outside the kept profiles that `--snapshots` asks for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.evaluation.inputs import load_inputs
from engine.fairness.pairing import (
    fairness_of_outcomes,
    fairness_of_pairing,
    outcome_trials,
    pairing_trials,
    subjects,
)
from tests.fairness.linkage import attack, criteria_attack, role_totals, unprotected

REPO = Path(__file__).resolve().parents[2]
COHORT = REPO / "examples" / "cohort.json"


def _pairing(path):
    from engine.pairing.pipeline import pair_cohort

    loaded, rules, _ = load_inputs(path)
    result = pair_cohort(loaded, rules)
    profiles = {p.id: p.as_record() for p in loaded.participants}
    return result, profiles, loaded.as_of


def _figures(report):
    return [f.as_dict() for f in report.figures]


@pytest.fixture(scope="module")
def example():
    return _pairing(COHORT)


@pytest.fixture(scope="module")
def planted_path(tmp_path_factory):
    """The example cohort with a planted small group: two mentors and one mentee who give
    a gender no one else gives, and one mentee who gives no birth year."""
    doc = json.loads(COHORT.read_text("utf-8"))
    people = doc["participants"] if isinstance(doc, dict) else doc
    mentors = [p for p in people if p["role"] == "mentor"]
    mentees = [p for p in people if p["role"] == "mentee"]
    for person in (mentors[0], mentors[1], mentees[0]):
        person.setdefault("protected", {})["gender"] = "self-described"
    mentees[1].setdefault("protected", {}).pop("birth_year", None)
    path = tmp_path_factory.mktemp("planted") / "cohort.json"
    path.write_text(json.dumps(doc), "utf-8")
    return path


@pytest.fixture(scope="module")
def planted(planted_path):
    return _pairing(planted_path)


@pytest.fixture(scope="module")
def program_db(tmp_path_factory):
    """The example program (examples/program/load.py: three cohorts, their outcomes and
    the protected data) in a fresh SQLite log."""
    import sys

    url = f"sqlite:///{tmp_path_factory.mktemp('program') / 'program.db'}"
    sys.path.insert(0, str(REPO / "examples" / "program"))
    try:
        import load  # type: ignore[import-not-found]

        load.load(url)
    finally:
        sys.path.pop(0)
    return url


@pytest.mark.parametrize("cohort", ["example", "planted"])
def test_the_attack_works_on_the_figures_as_they_were_published(cohort, request):
    """Unprotected, the figures give people away: a group of one or two, a mean score of
    one pair, the unpaired mentees' age band."""
    result, profiles, as_of = request.getfixturevalue(cohort)
    counted, _, _ = subjects(pairing_trials(result["pairs"], result["unpaired"]), profiles,
                             as_of)
    found = attack(unprotected(counted), role_totals((), counted))
    assert any("mentor gender=" in f and "people shown" in f for f in found)
    assert any("the mean score of 1 pairs shown" in f for f in found)
    if cohort == "example":
        assert "mentee age_band: the 2 people counted as misses are all 50-59" in found


@pytest.mark.parametrize("cohort", ["example", "planted"])
def test_the_fairness_figures_give_the_attack_nothing(cohort, request):
    """The same cohorts, as `tandem fairness` publishes them now: nothing recovered."""
    result, profiles, as_of = request.getfixturevalue(cohort)
    counted, _, _ = subjects(pairing_trials(result["pairs"], result["unpaired"]), profiles,
                             as_of)
    report = fairness_of_pairing(result["pairs"], result["unpaired"], profiles, as_of)
    assert attack(_figures(report), role_totals((), counted)) == []
    assert report.protected_attributes  # the protected data was there to protect


@pytest.mark.parametrize("k", [5, 8, 12])
def test_a_higher_threshold_is_as_safe(planted, k):
    """With --min-group raised, the attack at that threshold recovers nothing either."""
    result, profiles, as_of = planted
    counted, _, _ = subjects(pairing_trials(result["pairs"], result["unpaired"]), profiles,
                             as_of)
    report = fairness_of_pairing(result["pairs"], result["unpaired"], profiles, as_of, k)
    assert attack(_figures(report), role_totals((), counted), k) == []


@pytest.mark.parametrize("cohort", ["example", "planted"])
def test_the_fairness_json_gives_the_attack_nothing(run, cohort, request, tmp_path):
    """`tandem fairness COHORT --format json`: the groups printed are the protected ones."""
    result, profiles, as_of = request.getfixturevalue(cohort)
    path = COHORT if cohort == "example" else request.getfixturevalue("planted_path")
    done = run("fairness", path, "--format", "json",
               "--db", f"sqlite:///{tmp_path / 'none.db'}")
    assert done.exit_code == 0, done.output
    out = done.stdout
    counted, _, _ = subjects(pairing_trials(result["pairs"], result["unpaired"]), profiles,
                             as_of)
    groups = json.loads(out)["groups"]
    assert attack(groups, role_totals((), counted)) == []
    assert any(g["too_small"] for g in groups)


def test_outcomes_by_group_give_the_attack_nothing(example):
    """The report's outcomes by group, with one failure among successes: unprotected, the
    only female mentor with a result is exposed with her failure; protected, nothing."""
    result, profiles, as_of = example
    outcomes = [{"mentor": p["mentor"], "mentee": p["mentee"],
                 "result": "failure" if i == 0 else "success"}
                for i, p in enumerate(result["pairs"])]
    counted, _, _ = subjects(outcome_trials(outcomes), profiles, as_of)
    assert attack(unprotected(counted), role_totals((), counted))
    report = fairness_of_outcomes(outcomes, profiles, as_of)
    assert attack(_figures(report), role_totals((), counted)) == []


def test_the_report_gives_the_attack_nothing(db_url, example):
    """A committed run of the example with every pair's outcome recorded (the first a
    failure): the report's fairness and outcomes tables recover nothing, on SQLite and
    PostgreSQL, and its outcomes count the pairs as insights does."""
    from audit.commit import CommitInput, commit_pairing
    from audit.followup import record_outcomes
    from audit.insights import report as insights_report
    from audit.report import gather_report
    from engine.evaluation.inputs import profiles_for_monitoring
    from engine.followup.facts import Outcome
    from engine.pairing.pipeline import pair_cohort
    from engine.report.html import render_html

    loaded, rules, _ = load_inputs(COHORT)
    commit_pairing(db_url, "hr", lambda busy: CommitInput(
        pair_cohort(loaded, rules, busy), dict(rules.files), profiles_for_monitoring(loaded)))
    result, profiles, as_of = example
    outcomes = [Outcome(p["mentor"], p["mentee"], "failure" if i == 0 else "success")
                for i, p in enumerate(result["pairs"])]
    record_outcomes(db_url, "hr", outcomes)
    made = gather_report(db_url)
    run = made.runs[0].fairness
    assert run is not None and made.outcomes is not None
    pairing, _, _ = subjects(pairing_trials(result["pairs"], result["unpaired"]), profiles,
                             as_of)
    assert attack(_figures(run), role_totals((), pairing)) == []
    done = [{"mentor": o.mentor, "mentee": o.mentee, "result": o.result} for o in outcomes]
    counted, _, _ = subjects(outcome_trials(done), profiles, as_of)
    assert attack(_figures(made.outcomes), role_totals((), counted)) == []
    assert made.outcome_count == insights_report(db_url)["pairs"] == len(outcomes)
    assert "too small to show" in render_html(made)


@pytest.mark.parametrize("k", [5, 8])
def test_the_insights_json_gives_the_attack_nothing(run, program_db, k):
    """`tandem insights --format json` on the example program, whose traits have groups of
    one or two pairs (a mentor job family, a learning-style combination): every such group
    is hidden, with enough others that none is recovered by subtraction; at a raised
    threshold too."""
    done = run("insights", "--db", program_db, "--format", "json", "--min-group", k)
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert criteria_attack(report, k) == []
    rows = [*report["criteria"], *(r for row in report["criteria"]
                                   for r in row["refinements"])]
    assert any(r["status"] == "too small" for r in rows)  # there was something to hide
    question = run("insights", "--db", program_db, "--format", "json", "--min-group", k,
                   "--question", "mentor job_family communication")
    assert question.exit_code == 0, question.output
    assert json.loads(question.stdout)["criterion"]["with"]["pairs"] is None


GROUP_FIGURE_KEYS = {"mean_score", "too_small", "suppressed", "groups", "rate", "people",
                     "reference", "disadvantage"}


def _keys(value):
    """Every key of a JSON value, at any depth."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_the_exports_carry_no_group_figure(run, program_db, tmp_path):
    """`tandem audit export` in JSON lines, CSV and xlsx holds entries, rules texts and
    (with --snapshots only) the kept profiles: one person or one event a line, never a
    figure of a group (no count, rate or mean score per group), and protected data only
    in the profiles that --snapshots asks for. So no small group can leak through them."""
    from openpyxl import load_workbook

    from audit.workbook import (
        LIFECYCLE_COLUMNS,
        MY_JOB_DAY_COLUMNS,
        PAIR_COLUMNS,
        RUN_COLUMNS,
        UNPAIRED_COLUMNS,
    )

    lines = run("audit", "export", "--snapshots", "--db", program_db)
    assert lines.exit_code == 0, lines.output
    docs = [json.loads(line) for line in lines.stdout.splitlines()]
    assert {d["type"] for d in docs} == {"entry", "rules", "snapshot"}
    snapshots = [d for d in docs if d["type"] == "snapshot"]
    assert any("protected" in _keys(d) for d in snapshots)  # the example keeps them
    others = [d for d in docs if d["type"] != "snapshot"]
    assert not _keys(others) & (GROUP_FIGURE_KEYS | {"protected"})
    table = run("audit", "export", "--format", "csv", "--db", program_db)
    assert table.exit_code == 0, table.output
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert len(rows) == sum(d["type"] == "entry" for d in docs)
    assert not _keys([json.loads(r["entry"]) for r in rows]) & (GROUP_FIGURE_KEYS
                                                                 | {"protected"})
    out = tmp_path / "audit.xlsx"
    book = run("audit", "export", "--format", "xlsx", "--out", out, "--db", program_db)
    assert book.exit_code == 0, book.output
    sheets = load_workbook(out, read_only=True)
    fixed = {"runs": RUN_COLUMNS, "unpaired": UNPAIRED_COLUMNS,
             "lifecycle": LIFECYCLE_COLUMNS, "my job days": MY_JOB_DAY_COLUMNS}
    for sheet in sheets.worksheets:
        header, *cells = list(sheet.iter_rows(values_only=True))
        if sheet.title == "pairs":  # the fixed columns, one per rule, the reasons
            assert tuple(header[:len(PAIR_COLUMNS)]) == PAIR_COLUMNS
            assert header[-2:] == ("reasons", "sentence")
            assert all("/" in str(h) for h in header[len(PAIR_COLUMNS):-2])
        else:
            assert tuple(header) == fixed[sheet.title]
        assert not any("protected" in str(v) for row in cells for v in row if v)
