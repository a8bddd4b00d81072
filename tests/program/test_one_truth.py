"""One program, one truth: every command reads the state folded from the log, and no person
or step slips past it."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from audit.review import status
from cli.main import cli
from engine.base.resources import rules_dir
from tests.program.conftest import EXAMPLE, entries


@pytest.fixture
def approval_rules(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(rules_dir(), rules)
    (rules / "settings.yaml").write_text(
        (rules / "settings.yaml").read_text("utf-8") + "  approval: required\n", "utf-8")
    return rules


def _ok(tandem, *args):
    code, out, err = tandem(*args)
    assert code == 0, err
    return out


# -- explain agrees with the log --------------------------------------------------------------

def test_explain_with_a_log_says_a_pair_was_never_formed_and_why(tandem):
    """After `pair --commit`, M12 (capacity 1) is paired with E23: explain M12 E05 is not
    "formed", and says whom M12 is paired with and that no place is left."""
    _ok(tandem, "pair", EXAMPLE, "--commit")
    report = json.loads(_ok(tandem, "explain", EXAMPLE, "M12", "E05", "--format", "json"))
    assert report["formed"] is False
    assert report["program"]["status"] == "never"
    assert report["verdict"].startswith(
        "not formed in the program (never formed): M12 is paired with E23 (0 places left); "
        "E05 is in no pair.")
    real = json.loads(_ok(tandem, "explain", EXAMPLE, "M12", "E23", "--format", "json"))
    seq = next(e["seq"] for e in entries_of(tandem) if e.get("mentee") == "E23")
    assert (real["formed"], real["program"]["status"], real["program"]["seq"]) == (
        True, "active", seq)
    assert real["verdict"].startswith(f"active in the program (active since entry {seq})")


def entries_of(tandem):
    """The entries of the log the `tandem` fixture writes to."""
    out = _ok(tandem, "audit", "log", "--format", "json")
    return [e["entry"] | {"seq": e["seq"]} for e in json.loads(out)]


def test_explain_names_the_entry_that_ended_a_pair(tandem, cohort):
    """A separated pair is "ended by entry N" in explain."""
    path = cohort("c", ["M01", "E07"])
    _ok(tandem, "pair", path, "--commit")
    _ok(tandem, "separate", "M01", "E07", "--reason", "Stalled", "--category", "mismatch",
        "--commit")
    report = json.loads(_ok(tandem, "explain", path, "M01", "E07", "--format", "json"))
    assert (report["formed"], report["program"]["status"], report["program"]["seq"]) == (
        False, "ended", 3)


# -- people leave, and stay out ---------------------------------------------------------------

def test_who_left_the_company_is_never_paired_again(tandem, db_url):
    """`separate --category left-company --leaving E14` withdraws E14: reassign pairs
    someone else, names E14 as withdrawn, and the my-job-day plan leaves E14 out."""
    _ok(tandem, "pair", EXAMPLE, "--commit")
    mentor = next(p.mentor for p in status(db_url).active if p.mentee == "E14")
    code, _, err = tandem("separate", mentor, "E14", "--category", "left-company",
                          "--reason", "Left on 30 November", "--commit")
    assert code == 1 and "add --leaving" in err
    _ok(tandem, "separate", mentor, "E14", "--category", "left-company", "--leaving", "E14",
        "--reason", "Left on 30 November", "--commit")
    assert [e["kind"] for e in entries(db_url)[-2:]] == ["separation", "withdrawal"]
    result = json.loads(_ok(tandem, "reassign", EXAMPLE, "--commit", "--format", "json"))
    assert "E14" not in {p["mentee"] for p in result["pairs"]}
    assert {"id": "E14", "reason": "withdrawn"}.items() <= next(
        u for u in result["unpaired"] if u["id"] == "E14").items()
    state = status(db_url)
    assert "E14" in state.withdrawn and "E14" not in state.busy()
    plan = json.loads(_ok(tandem, "myjobdays", EXAMPLE, "--format", "json"))
    assert "E14" not in {v["host"] for v in plan["visits"]} | {
        v["visitor"] for v in plan["visits"]}
    assert plan["left_out"] == [{"id": "E14", "role": "mentee", "reason": "withdrawn"}]


def test_withdraw_ends_every_pair_and_rejoin_brings_the_person_back(tandem, cohort, db_url):
    """withdraw M01 (two mentees): two separations then the withdrawal; a dry run first;
    rejoin lets a later run pair M01 again."""
    path = cohort("c", ["M01", "E07", "E10"], M01={"capacity": 2})
    _ok(tandem, "pair", path, "--commit")
    before = entries(db_url)
    dry = _ok(tandem, "withdraw", "M01", "--reason", "Moved to another site")
    assert dry.startswith("Dry run: nothing was written.") and entries(db_url) == before
    _ok(tandem, "withdraw", "M01", "--reason", "Moved to another site", "--commit")
    log = entries(db_url)
    assert [(e["kind"], e.get("mentee")) for e in log[-3:]] == [
        ("separation", "E07"), ("separation", "E10"), ("withdrawal", None)]
    assert log[-1]["pairs"] == [e["seq"] for e in log if e["kind"] == "pair"]
    state = status(db_url)
    assert state.active == () and state.withdrawn["M01"].seq == log[-1]["seq"]
    code, _, err = tandem("withdraw", "M01", "--reason", "again", "--commit")
    assert (code, "M01 already withdrew" in err) == (1, True)
    result = json.loads(_ok(tandem, "pair", path, "--format", "json"))
    assert result["pairs"] == []
    code, _, err = tandem("reassign", path, "M01")
    assert code == 1 and "M01 withdrew from the program; `tandem rejoin M01" in err
    _ok(tandem, "rejoin", "M01", "--reason", "Back on site", "--commit")
    assert "M01" not in status(db_url).withdrawn
    assert entries(db_url)[-1] | {"at": "", "run": "", "actor": "", "vouched": ""} == {
        "kind": "rejoin", "person": "M01", "reason": "Back on site",
        "withdrawal": log[-1]["seq"], "seq": log[-1]["seq"] + 1, "at": "", "run": "",
        "actor": "", "vouched": ""}


def test_pair_names_everyone_the_state_leaves_out(tandem, cohort):
    """A second `pair` names the people already paired and the withdrawn, with reasons."""
    path = cohort("c", ["M01", "E07", "M02", "E22"])
    _ok(tandem, "pair", path, "--commit")
    _ok(tandem, "withdraw", "E22", "--reason", "Left", "--commit")
    result = json.loads(_ok(tandem, "pair", path, "--format", "json"))
    assert sorted((u["id"], u["reason"]) for u in result["unpaired"]) == [
        ("E07", "already-paired"), ("E22", "withdrawn"), ("M01", "no-eligible-partner"),
        ("M02", "no-eligible-partner")]  # M01 holds one of their two places


# -- one door for writes: approval, identity, forbids ----------------------------------------

def test_a_forced_pair_is_a_proposal_under_approval_and_the_same_identity_cannot_approve(
        tandem, cohort, db_url, approval_rules):
    """With approval required, `decide force --commit` proposes the pair; an approval by
    the same vouched identity with another --actor is refused; another person's makes it
    active."""
    path = cohort("c", ["M02", "E05"])
    code, _, err = tandem("decide", "force", "M02", "E05", "--cohort", path, "--rules",
                          approval_rules, "--reason", "asked", "--override-exclusion",
                          "--actor", "hr.jane", "--commit")
    assert code == 0, err
    state = status(db_url)
    assert state.active == () and [p.pairs[0].mentee for p in state.pending] == ["E05"]
    run = state.pending[0].run
    same = CliRunner().invoke(cli, ["approve", run, "--actor", "hr.paul", "--db", db_url])
    assert same.exit_code == 1 and "a different --actor is not enough" in same.stderr
    assert status(db_url).active == ()
    _ok(tandem, "approve", run, "--actor", "hr.paul")
    assert [(p.mentor, p.mentee) for p in status(db_url).active] == [("M02", "E05")]
    approval = entries(db_url)[-1]
    assert approval["vouched"] != entries(db_url)[0]["vouched"]


def test_decide_is_a_dry_run_until_commit_and_needs_no_cohort(tandem, cohort, db_url):
    """Without --commit nothing is written; without --cohort the kept profiles judge."""
    path = cohort("c", ["M01", "E07", "M02", "E22"])
    _ok(tandem, "pair", path, "--commit")
    before = entries(db_url)
    out = _ok(tandem, "decide", "forbid", "M02", "E07", "--reason", "Conflict")
    assert out.startswith("Dry run: nothing was written.") and entries(db_url) == before
    _ok(tandem, "decide", "forbid", "M02", "E07", "--reason", "Conflict", "--commit")
    assert entries(db_url)[-1]["decision"] == "forbid"


def test_a_cohort_file_that_disagrees_with_the_record_is_refused_with_both_values(
        tandem, cohort, refused):
    """A decision judges on the kept profiles: a file giving M01 another capacity is
    refused, naming both values."""
    _ok(tandem, "pair", cohort("c", ["M01", "E07", "M02", "E22"]), "--commit")
    changed = cohort("d", ["M01", "E07", "M02", "E22"], M01={"capacity": 3})
    refused(f"{changed} disagrees with the program's record about M01 (capacity: 3 in "
            f"{changed}, 2 in the record); the decision is judged on the record: leave out "
            "--cohort, or commit the new profiles with a run first; nothing was written",
            "decide", "forbid", "M01", "E22", "--cohort", changed, "--reason", "x",
            "--commit")


def test_forbidding_an_active_pair_needs_separate(tandem, cohort, db_url, refused):
    """A forbid of an active pair is refused; with --separate it ends the pair first."""
    _ok(tandem, "pair", cohort("c", ["M01", "E07"]), "--commit")
    refused("M01 and E07 are an active pair: a forbid would leave it active; add --separate "
            "to record its separation with the forbid, or separate it first with `tandem "
            "separate`; nothing was written",
            "decide", "forbid", "M01", "E07", "--reason", "Complaint", "--commit")
    _ok(tandem, "decide", "forbid", "M01", "E07", "--reason", "Complaint", "--separate",
        "--commit")
    log = entries(db_url)
    assert [(e["kind"], e.get("decision")) for e in log[-2:]] == [
        ("separation", None), ("decision", "forbid")]
    state = status(db_url)
    assert state.active == () and state.status_of("M01", "E07").state == "forbidden"
    assert "M01" not in _ok(tandem, "status").split("active pairs")[1].split("free")[0]


# -- outcomes end pairs, and are corrected, never edited --------------------------------------

def test_an_outcome_ends_the_pair_and_a_correction_supersedes_it(tandem, cohort, db_url):
    """After an outcome, a check-in is refused; `--correct --reason` records a correction;
    the state and history read the latest result with its pair."""
    _ok(tandem, "pair", cohort("c", ["M01", "E07"]), "--commit")
    _ok(tandem, "outcome", "M01", "E07", "--result", "success")
    code, _, err = tandem("checkin", "M01", "E07", "--rating", "4")
    assert code == 1 and "ended by its outcome (success, entry 3)" in err
    assert status(db_url).active == ()
    code, _, err = tandem("outcome", "M01", "E07", "--result", "failure", "--correct")
    assert code == 2 and "--correct needs --reason" in err
    _ok(tandem, "outcome", "M01", "E07", "--result", "failure", "--correct", "--reason",
        "Typed in the wrong row")
    log = entries(db_url)
    assert log[2]["result"] == "success"  # never edited
    assert {k: log[3][k] for k in ("kind", "result", "corrects", "pair_seq", "reason")} == {
        "kind": "correction", "result": "failure", "corrects": 3, "pair_seq": 2,
        "reason": "Typed in the wrong row"}
    outcome = status(db_url).outcomes[("M01", "E07")]
    assert (outcome.result, outcome.seq, outcome.superseded) == ("failure", 4, (3,))
    from audit.insights import gather

    assert [(f.mentor, f.result) for f in gather(db_url)] == [("M01", "failure")]
    history = json.loads(_ok(tandem, "history", "E07", "--format", "json"))
    assert [e["entry"]["kind"] for e in history] == ["pair", "outcome", "correction"]
    from audit.explain import summary

    assert summary(history[1]["entry"]) == "outcome of M01 with E07 (pair entry 2): success"


def test_history_shows_the_approval_of_a_persons_pair(tandem, cohort, approval_rules):
    """A person's history includes the approval of the run that proposed their pair."""
    _ok(tandem, "pair", cohort("c", ["M01", "E07"]), "--rules", approval_rules, "--commit")
    run = next(e["run"] for e in entries_of(tandem) if e["kind"] == "run")
    _ok(tandem, "approve", run, "--actor", "hr.paul")
    history = json.loads(_ok(tandem, "history", "E07", "--format", "json"))
    assert [e["entry"]["kind"] for e in history] == ["pair", "approval"]


def test_status_lists_mentors_with_places_left(tandem, cohort):
    """M01 (capacity 2) paired once has one place left, and status says so."""
    _ok(tandem, "pair", cohort("c", ["M01", "E07"], M01={"capacity": 2}), "--commit")
    report = json.loads(_ok(tandem, "status", "--format", "json"))
    assert report["places_left"] == {"M01": 1}
    assert "1 mentor with places left" in _ok(tandem, "status")


def test_history_shows_a_persons_my_job_day_visits(tandem):
    """A committed my-job-day plan shows in the visitor's history."""
    plan = json.loads(_ok(tandem, "myjobdays", EXAMPLE, "--commit", "--format", "json"))
    visit = plan["visits"][0]
    history = json.loads(_ok(tandem, "history", visit["visitor"], "--format", "json"))
    visits = [(e["entry"]["visitor"], e["entry"]["host"]) for e in history
              if e["entry"]["kind"] == "my_job_day"]
    assert (visit["visitor"], visit["host"]) in visits


LEFT_OUT = {"E07": ("already-paired", "already in an active pair"),
            "E10": ("already-paired", "already in an active pair"),
            "E22": ("already-paired", "already in an active pair"),
            "M01": ("already-paired", "which fill their capacity"),
            "M02": ("already-paired", "already in an active pair"),
            "E24": ("withdrawn", "withdrew from the program")}


@pytest.mark.parametrize("commit", [False, True], ids=["dry-run", "commit"])
@pytest.mark.parametrize("command", ["pair", "reassign"])
def test_pair_and_reassign_name_everyone_left_out_in_table_and_json(cohort, db_url, command,
                                                                    commit):
    """With every place taken and E24 withdrawn, `pair` and `reassign`, dry or committed,
    name each person of the cohort file the state leaves out, with the reason: already
    paired (a mentor's places full), withdrawn; in the table and in --format json."""
    path = cohort("c", ["M01", "E07", "M02", "E22", "E10", "E24"], M01={"capacity": 2})

    def run(*args: object) -> str:
        result = CliRunner().invoke(cli, [*map(str, args), "--db", db_url],
                                    env={"COLUMNS": "220", "NO_COLOR": "1"})
        assert result.exit_code == 0, result.stderr
        return result.stdout

    run("pair", path, "--commit", "--accept-warnings")
    assert sorted((p.mentor, p.mentee) for p in status(db_url).active) == [
        ("M01", "E07"), ("M01", "E10"), ("M02", "E22")]
    run("withdraw", "E24", "--reason", "Left the company", "--commit")
    extra = ["--commit", "--accept-warnings"] if commit else []
    result = json.loads(run(command, path, "--format", "json", *extra))
    assert {u["id"]: u["reason"] for u in result["unpaired"]} == {
        pid: reason for pid, (reason, _) in LEFT_OUT.items()}
    table = run(command, path, *extra)
    rows = {line.split("│")[1].strip(): line for line in table.splitlines()
            if line.startswith("│") and line.split("│")[1].strip() in LEFT_OUT}
    assert {pid: why in rows.get(pid, "") for pid, (_, why) in LEFT_OUT.items()} == \
        dict.fromkeys(LEFT_OUT, True)
    if commit:
        assert "already in an active pair were not paired again (E07, E10, E22, M01, M02)" \
            in table
