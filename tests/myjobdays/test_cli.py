"""`tandem myjobdays` from the command line: the plan, its contract, and bad input."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.main import cli
from engine.base.resources import rules_dir

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cohort.json"
ENV: dict[str, str | None] = {"NO_COLOR": "1", "COLUMNS": "200", "TANDEM_DB": None}


def run(*args: Any) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], env=ENV)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    code, out, err = run("myjobdays", EXAMPLE, "--format", "json")
    assert code == 0, err
    return dict(json.loads(out))


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cohort_with(here: Path, **my_job_days: dict[str, Any] | None) -> Path:
    """The example cohort with these people's my_job_day objects replaced (None: removed)."""
    data = json.loads(EXAMPLE.read_text("utf-8"))
    for person in data["participants"]:
        if person["id"] in my_job_days:
            person.pop("my_job_day", None)
            if my_job_days[person["id"]] is not None:
                person["my_job_day"] = my_job_days[person["id"]]
    path = here / "cohort.json"
    path.write_text(json.dumps(data, indent=2), "utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1)
                if text in line)


# -- the plan and its contract --------------------------------------------------------------
def test_json_output_follows_the_documented_contract(plan: dict[str, Any]) -> None:
    """Top-level, visit, reason and unmet keys are those the README documents."""
    assert set(plan) == {"tandem_version", "rules_digest", "input_digest", "as_of",
                         "settings", "visits", "unmet", "note", "summary", "solver"}
    assert plan["settings"] == {"days": ["2026-10-06", "2026-10-13", "2026-10-20"],
                                "visits_per_person": 2, "slots_per_host_per_day": 1}
    assert {k for v in plan["visits"] for k in v} == {"visitor", "host", "day", "family",
                                                      "score", "sentence", "reasons"}
    assert {k for v in plan["visits"] for r in v["reasons"] for k in r} == {
        "rule", "title", "because", "effect", "points", "evidence"}
    assert {k for u in plan["unmet"] for k in u} == {"id", "wanted", "got", "reason", "why",
                                                     "detail"}


def test_visits_are_sorted_by_day_host_and_visitor(plan: dict[str, Any]) -> None:
    """The order of visits is fixed: day, then host, then visitor."""
    keys = [(v["day"], v["host"], v["visitor"]) for v in plan["visits"]]
    assert keys == sorted(keys)
    assert plan["summary"]["visits"] == len(keys) == 27


def test_example_plan_explains_every_visit(plan: dict[str, Any]) -> None:
    """Each visit's score is the sum of its rules' points, with evidence for each."""
    for visit in plan["visits"]:
        assert visit["score"] == sum(r["points"] for r in visit["reasons"])
        assert all(r["evidence"] for r in visit["reasons"])
    assert plan["visits"][0]["sentence"] == (
        "Priya Raman (M17) visits Isabelle Fontaine (E05) in legal on 2026-10-06, score 35: a "
        "host in another subsidiary; a host in another department; a host with years in the "
        "job.")


def test_example_plan_says_why_wishes_are_unmet(plan: dict[str, Any]) -> None:
    """No host, a host excluded by the reporting line, and busy days are each explained."""
    why = {u["id"]: (u["reason"], u["why"]) for u in plan["unmet"]}
    assert why["M11"] == ("no-eligible-host",
                          "got 0 of the 1 visit wanted: no host from healthcare")
    assert why["M07"] == ("no-eligible-host",
                          "got 0 of the 1 visit wanted: every host from communication is "
                          "excluded: my-job-days/manager-and-report (1)")
    assert why["E14"][0] == "outscored"
    assert "every day is taken (0 visiting, hosting on 2026-10-06, 2026-10-13, 2026-10-20)" \
        in why["E14"][1]


def test_the_reporting_line_is_never_visited(plan: dict[str, Any]) -> None:
    """No visit goes to one's own manager or report (M07-E03, E12-E02, M15-E22 in the data)."""
    visits = {(v["visitor"], v["host"]) for v in plan["visits"]}
    for visitor, host in [("M07", "E03"), ("E12", "E02"), ("M15", "E22")]:
        assert (visitor, host) not in visits


def test_table_shows_visits_unmet_summary_and_dry_run() -> None:
    """The table names the visits, the unmet wishes, the totals, the digests, the dry run."""
    code, out, _ = run("myjobdays", EXAMPLE)
    assert code == 0
    assert out.startswith("Visits\n")
    assert "Fewer visits than wanted" in out
    assert ("22 visitors, 13 hosts, 3 days (2026-10-06, 2026-10-13, 2026-10-20): 27 visits "
            "of 33 wanted") in out
    assert "\nrules sha256:" in out and "\ninput sha256:" in out
    assert out.endswith("Dry run: nothing was written. Add --commit to record this plan.\n")


def test_csv_has_one_row_per_visit(plan: dict[str, Any]) -> None:
    """CSV: a header, then day, visitor, host, family, score, rules, sentence per visit."""
    code, out, _ = run("myjobdays", EXAMPLE, "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0
    assert rows[0] == ["day", "visitor", "host", "family", "score", "rules", "sentence"]
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [
        (v["day"], v["visitor"], v["host"]) for v in plan["visits"]]


def test_csv_and_json_cohorts_give_the_same_plan(here: Path) -> None:
    """The example as CSV plans the same visits as the example as JSON."""
    as_json = json.loads(run("myjobdays", EXAMPLE, "--format", "json")[1])
    as_csv = json.loads(run("myjobdays", ROOT / "examples" / "cohort.csv", "--as-of",
                            "2026-09-01", "--format", "json")[1])
    assert as_csv["visits"] == as_json["visits"]
    assert as_csv["input_digest"] == as_json["input_digest"]


def test_a_cohort_with_no_host_plans_nothing_and_says_why(here: Path) -> None:
    """Without a host: no visit, every wish unmet with why, and a note; exit 0."""
    data = json.loads(EXAMPLE.read_text("utf-8"))
    no_host = {p["id"]: {"discover": ["it"]} for p in data["participants"]
               if "my_job_day" in p}
    path = cohort_with(here, **no_host)
    code, out, _ = run("myjobdays", path, "--format", "json")
    result = json.loads(out)
    assert code == 0
    assert result["visits"] == []
    assert result["note"] == ("there is no host in this cohort (nobody has my_job_day.host: "
                              "true): nothing was planned")
    assert {u["why"] for u in result["unmet"]} == {
        "got 0 of the 1 visit wanted: there is no host in this cohort"}
    table = run("myjobdays", path)[1]
    assert ("Nothing planned: there is no host in this cohort (nobody has my_job_day.host: "
            "true): nothing was planned.") in table


# -- bad input: a clear message, exit 1, nothing written --------------------------------------
@pytest.mark.parametrize(("slots", "shown"), [(0, "0"), (-2, "-2")])
def test_a_host_with_no_places_is_refused(here: Path, slots: int, shown: str) -> None:
    """slots 0 or negative: the file, the place, the fix; no audit log is created."""
    path = cohort_with(here, M03={"host": True, "slots": slots})
    code, out, err = run("myjobdays", path, "--commit")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{path}: $.participants[2].my_job_day.slots: error: a host takes at least 1 visitor "
        f"a day, not {shown}; give slots 1 or more, or remove slots (the rules' "
        "slots_per_host_per_day applies), or set host to false",
        "1 error in the cohort; nothing was done"]
    assert not (here / "tandem.db").exists()


def test_an_unknown_job_family_to_discover_gets_a_did_you_mean(here: Path) -> None:
    """discover names a family missing from the vocabulary: refused, with the closest."""
    path = cohort_with(here, M04={"discover": ["markting"]})
    code, _, err = run("myjobdays", path, "--commit")
    assert code == 1
    assert err.splitlines() == [
        f"{path}: $.participants[3].my_job_day.discover[0]: error: 'markting' is not one of "
        "['finance', 'marketing', 'sales', 'research', 'manufacturing', 'healthcare', "
        "'human-resources', 'it', 'legal', 'communication']; did you mean 'marketing'?",
        "1 error in the cohort; nothing was done"]
    assert not (here / "tandem.db").exists()


def test_rules_without_days_are_refused(here: Path) -> None:
    """No days in the settings: the planner says where to add them, and writes nothing."""
    rules = shutil.copytree(rules_dir(), here / "r")
    text = (rules / "my_job_days.yaml").read_text("utf-8")
    (rules / "my_job_days.yaml").write_text(
        text.replace("  days: [2026-10-06, 2026-10-13, 2026-10-20]\n", ""), "utf-8")
    code, _, err = run("myjobdays", EXAMPLE, "--rules", "r", "--commit")
    assert code == 1
    assert err.splitlines() == [
        "r/my_job_days.yaml: error: the my-job-day settings give no days, so there is nothing "
        "to plan; add the dates under a file with 'ruleset: my_job_days', e.g. settings: "
        "{days: [2026-10-06, 2026-10-13]}",
        "1 error in the rules; nothing was done"]
    assert not (here / "tandem.db").exists()


def test_a_day_that_is_not_a_date_is_refused(here: Path) -> None:
    """A day that is not a date: its file and line; nothing written."""
    rules = shutil.copytree(rules_dir(), here / "r")
    text = (rules / "my_job_days.yaml").read_text("utf-8")
    (rules / "my_job_days.yaml").write_text(text.replace("2026-10-13", "2026-10-32"), "utf-8")
    code, _, err = run("myjobdays", EXAMPLE, "--rules", "r", "--commit")
    line = line_of(rules / "my_job_days.yaml", "2026-10-32")
    assert code == 1
    assert err.splitlines() == [
        f"r/my_job_days.yaml: line {line}: error: \"2026-10-32\" is not a date; write each "
        "day as YYYY-MM-DD, e.g. 2026-10-06",
        "1 error in the rules; nothing was done"]
    assert not (here / "tandem.db").exists()


def test_rule_titles_print_as_text_never_as_markup(here: Path) -> None:
    """A title with rich markup or an escape character is printed as written, escaped."""
    rules = shutil.copytree(rules_dir(), here / "r")
    text = (rules / "my_job_days.yaml").read_text("utf-8")
    (rules / "my_job_days.yaml").write_text(text.replace(
        "title: A host in another subsidiary", 'title: "Host [red]elsewhere[/red] \\e[2J"'),
        "utf-8")
    code, out, _ = run("myjobdays", EXAMPLE, "--rules", "r")
    assert code == 0
    assert "Host [red]elsewhere[/red] \\x1b[2J (+20)" in out
    assert "\x1b" not in out


def test_outside_a_program_folder_a_plan_for_past_days_warns_and_still_records(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no tandem.toml there is no calendar to enforce: days already past are named in a
    warning, the future ones are not, and --commit records the plan."""
    monkeypatch.chdir(tmp_path)
    rules = tmp_path / "rules"
    shutil.copytree(rules_dir(), rules)
    text = (rules / "my_job_days.yaml").read_text(encoding="utf-8")
    days = text[text.index("days: ["):].split("]", 1)[0] + "]"
    (rules / "my_job_days.yaml").write_text(
        text.replace(days, "days: [2020-01-06, 2099-01-06]"), encoding="utf-8")
    code, out, err = run("myjobdays", EXAMPLE, "--rules", rules, "--commit",
                         "--db", f"sqlite:///{tmp_path / 't.db'}")
    assert code == 0, err
    assert "Warning: the plan's dates: 2020-01-06 is already past" in err
    assert "2099-01-06" not in err
    assert "Recorded my-job-day plan" in out + err
