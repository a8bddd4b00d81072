"""`tandem report` and `tandem fairness`, run as a user runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from tests.audit.conftest import pg_server, pg_url, raw_sql, sqlite_url  # noqa: F401
from tests.report.conftest import EXAMPLE, commit_program, invoke
from tests.report.planted import planted_cohort


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite"
                                       else "pg_url"))


def _flagged(page: str) -> list[str]:
    return re.findall(r'data-group="([^"]*)" data-flagged="true"', page)


def test_the_report_of_the_example_program(tandem, db_url, tmp_path):
    """Every section is filled in, the separation and the reassignment included; the
    mentees' rates by group are hidden (only two mentees were left unpaired, and any rate
    would say where they are), so nothing is flagged; stderr says what was written."""
    commit_program(tandem, db_url)
    out = tmp_path / "r.html"
    result = invoke(tandem, "report", "--db", db_url, "--out", str(out))
    assert result.stderr == (f"Wrote {out}: 2 runs, 5 lifecycle events, 0 significant "
                             "disadvantages and 0 flags that could be chance; chain intact.\n")
    page = out.read_text(encoding="utf-8")
    assert _flagged(page) == []
    assert '<span class="n" data-count="fairness-flags">0</span>' in page
    assert "hidden, so that a small group cannot be recovered by subtraction" in page
    assert page.count('<tr data-pair="') == 23 and page.count('<tr data-unpaired="') == 4
    for text in ("Separation of M01 → E07", "availability", "Reassignment: ",
                 "Forbidden pair: M06 → E05", "Conflict of interest", "rating 5/5",
                 "Outcomes", "<details class=\"rules\">", "culture.yaml", "history.yaml",
                 "intact: 33 entries", "Aïcha Benali", "<dd>reassign</dd>"):
        assert text in page, text


def test_a_planted_disparity_is_flagged_by_the_report_and_by_fairness(tandem, db_url,
                                                                      tmp_path):
    """Mentees of the south region, paired at 0% against 100% in the north, are flagged
    (and significant) by `tandem fairness` on the dry run, by `tandem fairness --run` on
    the committed run, with the same figures, and in the report."""
    cohort = planted_cohort(tmp_path)
    dry = json.loads(invoke(tandem, "fairness", str(cohort), "--format", "json").stdout)
    south = [g for g in dry["groups"] if (g["role"], g["attribute"], g["group"]) ==
             ("mentee", "region", "south")]
    assert len(south) == 1
    assert {k: south[0][k] for k in ("people", "paired", "rate", "ratio", "flagged",
                                     "significant")} == {
        "people": 8, "paired": 0, "rate": 0.0, "ratio": 0.0, "flagged": True,
        "significant": True}
    assert south[0]["p_value"] < 0.001
    # Every mentor is an activist: culture/same-department fires only on excluded pairs.
    invoke(tandem, "pair", str(cohort), "--commit", "--accept-warnings", "--db", db_url)
    run = raw_sql(db_url, "SELECT run_id FROM audit_log WHERE kind = 'run'")[0][0][0]
    committed = json.loads(invoke(tandem, "fairness", "--run", run[:20], "--db", db_url,
                                  "--format", "json").stdout)
    assert committed["groups"] == dry["groups"]
    assert committed["run"] == run
    out = tmp_path / "r.html"
    invoke(tandem, "report", "--db", db_url, "--out", str(out))
    assert "south" in _flagged(out.read_text(encoding="utf-8"))


def test_fairness_json_is_one_record_per_role_attribute_and_group(tandem):
    """The documented keys, in every record."""
    data = json.loads(invoke(tandem, "fairness", str(EXAMPLE), "--format", "json").stdout)
    assert set(data) == {"cohort", "rules_digest", "input_digest", "as_of", "people",
                         "erased", "protected_attributes", "min_group", "disadvantages",
                         "chance_flags", "groups"}
    assert data["people"] == 42 and data["protected_attributes"] == ["age_band", "gender"]
    assert data["min_group"] == 5
    keys = {"role", "attribute", "group", "people", "paired", "rate", "ratio", "flagged",
            "p_value", "rate_low", "rate_high", "mean_score", "too_small", "suppressed",
            "reference", "p_adjusted", "significant", "direction", "protected"}
    assert all(set(g) == keys for g in data["groups"])
    triples = [(g["role"], g["attribute"], g["group"]) for g in data["groups"]]
    assert len(triples) == len(set(triples))


def test_fairness_table_names_the_disadvantaged_groups(tandem, tmp_path):
    """The table ends with a one-line verdict: the significant disadvantages, with their
    direction against the reference, apart from the flags that could be chance."""
    out = invoke(tandem, "fairness", str(EXAMPLE)).stdout
    assert (f"{EXAMPLE}: 42 candidates; 0 significant disadvantages; 0 groups under four "
            "fifths that could be chance.") in out
    cohort = planted_cohort(tmp_path)
    out = invoke(tandem, "fairness", str(cohort)).stdout
    assert ("1 significant disadvantage: mentee region=south (0% against 100% for north, "
            "the reference)") in out


# -- what is refused, and how
@pytest.mark.parametrize(("args", "message"), [
    ((), "Error: give a COHORT file or --run RUN (one of the two)"),
    ((str(EXAMPLE), "--run", "2026"), "Error: give a COHORT file or --run RUN (one of the two)"),
])
def test_fairness_needs_a_cohort_or_a_run(tandem, args, message):
    """Neither, or both, is a usage error (exit 2)."""
    result = invoke(tandem, "fairness", *args, code=2)
    assert result.stderr.splitlines()[-1] == message


def test_unknown_runs_are_refused(tandem, sqlite_url, tmp_path):  # noqa: F811
    """A run that does not exist is named, for fairness and for the report; nothing is
    written."""
    commit_program(tandem, sqlite_url)
    result = invoke(tandem, "fairness", "--run", "1999", "--db", sqlite_url, code=1)
    assert result.stderr == (f"Error: no run of the audit log {sqlite_url} starts with '1999'; "
                             "`tandem audit log` lists the runs\n")
    out = tmp_path / "r.html"
    result = invoke(tandem, "report", "--run", "1999", "--db", sqlite_url, "--out", str(out),
                    code=1)
    assert result.stderr.startswith(f"Error: no run of the audit log {sqlite_url} starts "
                                    "with '1999'; the latest runs are: ")
    assert not out.exists()


def test_the_report_never_overwrites_the_database(tandem, sqlite_url):  # noqa: F811
    """--out naming the audit database is refused before anything is read or written."""
    commit_program(tandem, sqlite_url)
    db_file = sqlite_url.removeprefix("sqlite:///")
    result = invoke(tandem, "report", "--db", sqlite_url, "--out", db_file, code=1)
    assert result.stderr.startswith(f"Error: refusing to write to {db_file}: it is a file of "
                                    "the audit database")
    assert raw_sql(sqlite_url, "SELECT count(*) FROM audit_log")[0][0][0] == 33


def test_without_a_log_the_report_says_how_to_make_one(tandem, tmp_path):
    """No database: the usual message, and no file."""
    url = f"sqlite:///{tmp_path / 'none.db'}"
    out = tmp_path / "r.html"
    result = invoke(tandem, "report", "--db", url, "--out", str(out), code=1)
    assert result.stderr.startswith(f"Error: there is no audit log at {url} yet.")
    assert not out.exists()


def test_a_tampered_log_is_reported_first_on_the_page(tandem, db_url, tmp_path):
    """An entry changed behind Tandem's back: the warning box names it at the top; exit 1."""
    commit_program(tandem, db_url)
    raw_sql(db_url, "UPDATE audit_log SET entry = replace(entry, '\"score\":55', "
            "'\"score\":99') WHERE seq = 2", drop_triggers=True)
    out = tmp_path / "r.html"
    result = invoke(tandem, "report", "--db", db_url, "--out", str(out), code=1)
    assert result.stderr.endswith("CHAIN BROKEN at entry 2.\n")
    body = out.read_text(encoding="utf-8").split("<body>", 1)[1]
    assert body.lstrip().startswith('<div class="warning" id="chain-warning"')
    assert "The audit log is broken at entry 2 (content)." in body


def test_erased_profiles_are_said_so(tandem, db_url, tmp_path):
    """With the snapshot erased, the fairness section names the people it cannot count."""
    commit_program(tandem, db_url)
    raw_sql(db_url, "DELETE FROM audit_snapshot WHERE person_id IN ('E05', 'M01')")
    out = tmp_path / "r.html"
    invoke(tandem, "report", "--db", db_url, "--out", str(out))
    page = out.read_text(encoding="utf-8")
    assert ("The profiles of 2 people in this run were erased from the snapshot; they are "
            "left out of these figures: E05, M01.") in page


def test_a_proposed_run_then_its_approval(tandem, sqlite_url, tmp_path):  # noqa: F811
    """Under `approval: required` the report shows the run as a proposal, then, once
    approved with `tandem approve`, who approved it and at which entry."""
    import shutil

    from engine.base.resources import rules_dir

    rules = tmp_path / "rules"
    shutil.copytree(rules_dir(), rules)
    settings = rules / "settings.yaml"
    settings.write_text(settings.read_text("utf-8") + "  approval: required\n", "utf-8")
    invoke(tandem, "pair", str(EXAMPLE), "--rules", str(rules), "--commit", "--db", sqlite_url)
    run = raw_sql(sqlite_url, "SELECT run_id FROM audit_log WHERE kind = 'run'")[0][0][0]
    out = tmp_path / "r.html"
    invoke(tandem, "report", "--db", sqlite_url, "--out", str(out))
    assert ("<dt>Approval</dt><dd>required, not yet given: these pairs are a proposal</dd>"
            in out.read_text(encoding="utf-8"))
    CliRunner(env={"LOGNAME": "reviewer", "USER": "reviewer"}).invoke(  # another OS user
        tandem, ["approve", run, "--actor", "hr.paul", "--db", sqlite_url])
    invoke(tandem, "report", "--db", sqlite_url, "--out", str(out))
    page = out.read_text(encoding="utf-8")
    assert "<dt>Approval</dt><dd>approved by hr.paul (entry 26)</dd>" in page
    assert f"Approval of run {run}" in page


def test_fairness_of_a_run_picks_the_one_pairing_run(tandem, sqlite_url):  # noqa: F811
    """A prefix shared by the pairing run and the reassign run picks the pairing run; a
    reassign run alone is refused; two pairing runs are ambiguous."""
    commit_program(tandem, sqlite_url)
    runs = [r[0] for r in raw_sql(sqlite_url, "SELECT run_id, entry FROM audit_log WHERE "
                                              "kind = 'run' ORDER BY seq")[0]]
    data = json.loads(invoke(tandem, "fairness", "--run", "2", "--db", sqlite_url,
                             "--format", "json").stdout)
    assert data["run"] == runs[0] and data["people"] == 42
    result = invoke(tandem, "fairness", "--run", runs[1], "--db", sqlite_url, code=1)
    assert result.stderr == (f"Error: run {runs[1]} is a reassign run, not a pairing run; give "
                             "the id of a run `tandem pair --commit` recorded\n")
    invoke(tandem, "pair", str(EXAMPLE), "--commit", "--db", sqlite_url)
    runs = [r[0] for r in raw_sql(sqlite_url, "SELECT run_id FROM audit_log WHERE "
                                              "kind = 'run' ORDER BY seq")[0]]
    result = invoke(tandem, "fairness", "--run", "2", "--db", sqlite_url, code=1)
    assert result.stderr == (f"Error: 2 pairing runs start with '2' ({runs[0]}, {runs[2]}); "
                             "give more of the id\n")


def test_a_corrected_protected_value_is_not_taken_for_tampering(tandem, db_url, tmp_path):
    """The same cohort committed again with one gender corrected (same input digest): the
    chain still verifies, and the first kept value is the one the figures use."""
    commit_program(tandem, db_url)
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["participants"][0]["protected"]["gender"] = "non-binary"
    again = tmp_path / "again.json"
    again.write_text(json.dumps(data), encoding="utf-8")
    invoke(tandem, "pair", str(again), "--commit", "--db", db_url)
    invoke(tandem, "audit", "verify", "--db", db_url)
    runs = [r[0] for r in raw_sql(db_url, "SELECT run_id FROM audit_log WHERE kind = 'run' "
                                          "ORDER BY seq")[0]]
    first = json.loads(invoke(tandem, "fairness", "--run", runs[0], "--db", db_url,
                              "--format", "json").stdout)
    genders = {g["group"]: g["people"] for g in first["groups"]
               if (g["role"], g["attribute"]) == ("mentor", "gender")}
    assert genders == {"(not given)": None, "female": 9, "male": None, "non-binary": None}


def test_the_snapshot_keeps_protected_data_apart_and_no_my_job_day(tandem, sqlite_url):  # noqa: F811
    """A commit of the example keeps 42 profiles without protected or my-job-day data, and
    the protected object of the 38 people who have one, alone, under its own key."""
    invoke(tandem, "pair", str(EXAMPLE), "--commit", "--db", sqlite_url)
    rows = raw_sql(sqlite_url, "SELECT input_digest, profile FROM audit_snapshot")[0]
    profiles = [json.loads(p) for key, p in rows if key.startswith("sha256:")]
    protected = [json.loads(p) for key, p in rows if key.startswith("protected:")]
    assert len(profiles) == 42 and len(protected) == 38
    assert not any("protected" in p or "my_job_day" in p for p in profiles)
    assert all(list(p) == ["protected"] for p in protected)
