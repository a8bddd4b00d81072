"""Committed my-job-day plans: their own kinds in the same chain, apart from the pairing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from audit.commit import commit_pairing
from audit.explain import summary
from audit.log.errors import InvalidResultError
from audit.log.verify import verify
from audit.myjobdays import commit_plan, latest_plan, plan_documents
from audit.review import LogFilter, log, show, status
from cli.main import cli
from engine.evaluation.inputs import load_inputs
from engine.myjobdays.plan import plan_my_job_days, plan_profiles
from tests.audit.builders import cohort_input, ids
from tests.audit.conftest import raw_sql

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cohort.json"
COHORT, RULES, _ = load_inputs(EXAMPLE)
PLAN = plan_my_job_days(COHORT, RULES)
FILES = RULES.files_of("my_job_days")
PROFILES = plan_profiles(COHORT)


def _commit(url: str):
    return commit_plan(url, "hr.jane", PLAN, FILES, PROFILES)


def test_a_plan_is_one_group_of_its_own_kinds(db_url):
    """A my_job_day_run entry, then one my_job_day per visit, one my_job_day_unmet each."""
    receipt = _commit(db_url)
    entries = sorted(log(db_url, LogFilter()), key=lambda e: e.seq)
    kinds = [e.doc["kind"] for e in entries]
    n_visits, n_unmet = len(PLAN["visits"]), len(PLAN["unmet"])
    assert kinds == (["my_job_day_run"] + ["my_job_day"] * n_visits
                     + ["my_job_day_unmet"] * n_unmet)
    assert (receipt.first_seq, receipt.last_seq) == (1, 1 + n_visits + n_unmet)
    run = entries[0].doc
    assert run["entries"] == n_visits + n_unmet
    assert run["rules_digest"] == PLAN["rules_digest"] == RULES.digest_of("my_job_days")
    assert run["rules_files"] == ["my_job_days.yaml", "vocabulary.yaml"]
    assert run["settings"] == PLAN["settings"]
    assert all(e.doc["run"] == receipt.run_id for e in entries)


def test_visit_and_unmet_entries_follow_the_shared_contract(db_url):
    """Visits keep visitor, host, day, score, reasons; unmet keep person, wanted, got, why."""
    _commit(db_url)
    entries = sorted(log(db_url, LogFilter()), key=lambda e: e.seq)
    visit = entries[1].doc
    first = PLAN["visits"][0]
    assert {k: visit[k] for k in ("visitor", "host", "day", "score", "reasons")} == {
        k: first[k] for k in ("visitor", "host", "day", "score", "reasons")}
    assert visit["sentence"].startswith(f"{first['visitor']} visits {first['host']} in ")
    unmet = entries[-1].doc
    last = PLAN["unmet"][-1]
    assert (unmet["person"], unmet["wanted"], unmet["got"], unmet["why"]) == (
        last["id"], last["wanted"], last["got"], last["why"])
    assert "protected" not in json.dumps([e.doc for e in entries])


def test_a_plan_leaves_the_pairing_state_alone(db_url):
    """Pairs, free people and their reasons are the same before and after a plan."""
    commit_pairing(db_url, "hr", lambda busy: cohort_input(ids("M", 3), ids("E", 4), busy))
    before = status(db_url)
    _commit(db_url)
    assert status(db_url) == before
    commit_pairing(db_url, "hr", lambda busy: cohort_input(ids("M", 5), ids("E", 6), busy))
    assert verify(db_url).ok
    assert verify(db_url).runs == 3


def test_verify_finds_a_visit_removed_from_a_plan(db_url):
    """A plan that lost an entry behind Tandem's back is named at its run entry."""
    commit_pairing(db_url, "hr", lambda busy: cohort_input(ids("M", 2), ids("E", 2), busy))
    receipt = _commit(db_url)
    last = receipt.last_seq
    raw_sql(db_url, f"DELETE FROM audit_log WHERE seq = {last}", drop_triggers=True)
    report = verify(db_url)
    assert report.finding is not None
    assert (report.finding.seq, report.finding.problem) == (receipt.first_seq, "run")


def test_show_explains_a_visit_with_its_run_and_names(db_url):
    """audit show: the visit in words, every rule with because and evidence, the run."""
    receipt = _commit(db_url)
    view = show(db_url, receipt.first_seq + 1)
    assert view.run is not None and view.run["kind"] == "my_job_day_run"
    visit = PLAN["visits"][0]
    assert set(view.names) == {visit["visitor"], visit["host"]}
    code = CliRunner().invoke(cli, ["audit", "show", str(receipt.first_seq + 1), "--db",
                                    db_url], env={"COLUMNS": "200"})
    assert code.exit_code == 0
    text = code.stdout
    assert text.startswith(f"Entry {receipt.first_seq + 1} of the audit log: a my-job-day "
                           "visit was planned.\n")
    assert "Because: My job days break silos" in text
    assert "Evidence: host.subsidiary = " in text
    assert f"Run {receipt.run_id}, committed by hr.jane" in text


def test_status_names_the_last_plan(db_url):
    """status: the pairs as before, then the last committed plan in one line."""
    assert latest_plan(db_url) is None
    _commit(db_url)
    receipt = _commit(db_url)
    found = latest_plan(db_url)
    assert found is not None
    assert (found["plans"], found["run"], found["seq"]) == (2, receipt.run_id,
                                                            receipt.first_seq)
    out = CliRunner().invoke(cli, ["status", "--db", db_url, "--format", "json"]).stdout
    shown = json.loads(out)
    assert shown["active_pairs"] == []
    assert shown["my_job_days"]["visits"] == len(PLAN["visits"])


def test_log_summarises_the_new_kinds():
    """One line per kind, for `audit log` and the CSV export."""
    docs = plan_documents(PLAN, FILES, PROFILES, run_id="r", at="2026-09-01T10:00:00Z",
                          actor="hr")
    visit = PLAN["visits"][0]
    assert summary(docs[0]) == (f"my-job-day plan by hr: {len(PLAN['visits'])} visits, "
                                f"{len(PLAN['unmet'])} unmet")
    assert summary(docs[1]) == (f"{visit['visitor']} visits {visit['host']} on "
                                f"{visit['day']}, score {visit['score']}")
    unmet = PLAN["unmet"][0]
    assert summary(docs[-len(PLAN["unmet"])]) == (
        f"{unmet['id']} got {unmet['got']} of {unmet['wanted']} my-job-day visits")


@pytest.mark.parametrize(("change", "problem"), [
    (lambda p: p.pop("visits"), "the plan has no 'visits'"),
    (lambda p: p["visits"][0].update(host=p["visits"][0]["visitor"]),
     "visits[0] is a visit to oneself"),
    (lambda p: p["unmet"][0].update(got="one"), "unmet[0].got is not a whole number"),
])
def test_a_plan_breaking_its_contract_is_refused(sqlite_url, change, problem):
    """The store refuses a malformed plan and writes nothing."""
    broken = json.loads(json.dumps(PLAN))
    change(broken)
    with pytest.raises(InvalidResultError) as caught:
        commit_plan(sqlite_url, "hr", broken, FILES, PROFILES)
    assert caught.value.problem == problem
    assert latest_plan(sqlite_url) is None


def test_the_command_commits_and_prints_the_receipt(db_url):
    """`tandem myjobdays --commit`: the plan as in a dry run, then where it was recorded."""
    runner = CliRunner()
    result = runner.invoke(cli, ["myjobdays", str(EXAMPLE), "--commit", "--db", db_url,
                                 "--actor", "hr.jane"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    entries = 1 + len(PLAN["visits"]) + len(PLAN["unmet"])
    receipt = [line for line in result.stdout.splitlines() if line.startswith("Recorded")]
    assert len(receipt) == 1
    assert receipt[0].startswith("Recorded my-job-day plan ")
    assert receipt[0].endswith(f": entries 1 to {entries} ({len(PLAN['visits'])} visits, "
                               f"{len(PLAN['unmet'])} unmet).")
    assert f"New head: {entries}:" in result.stdout
    assert "Dry run" not in result.stdout
    assert verify(db_url).ok
    assert [e.doc["actor"] for e in log(db_url, LogFilter(limit=1))] == ["hr.jane"]


def test_log_by_person_finds_their_visits_and_unmet_wishes(db_url):
    """`audit log --person` lists the visits a person makes or hosts, and their unmet wish."""
    _commit(db_url)
    found: dict[str, set[tuple]] = {}
    for pid in ("E05", "M17", "E1"):
        found[pid] = {(e.doc["kind"], e.doc.get("visitor"), e.doc.get("host"),
                       e.doc.get("person")) for e in log(db_url, LogFilter(person=pid))}
        expected = {("my_job_day", v["visitor"], v["host"], None) for v in PLAN["visits"]
                    if pid in (v["visitor"], v["host"])}
        expected |= {("my_job_day_unmet", None, None, u["id"]) for u in PLAN["unmet"]
                     if u["id"] == pid}
        assert found[pid] == expected
    assert ("my_job_day_unmet", None, None, "E05") in found["E05"]
    assert len(found["E05"]) > 2  # E05 visits, hosts, and wanted more
    assert found["E1"] == set()  # E1 is no prefix of E14's id in the search
