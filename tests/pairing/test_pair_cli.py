"""`tandem pair` and `tandem explain` from the command line: the dry run and its contract."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from cli.views import spreadsheet_safe
from engine.base.resources import rules_dir

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cohort.json"
EXAMPLE_CSV = ROOT / "examples" / "cohort.csv"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def example_result() -> dict:
    code, out, _ = run("pair", str(EXAMPLE), "--format", "json")
    assert code == 0
    return json.loads(out)


# -- the JSON contract ----------------------------------------------------------------------
def test_json_output_follows_the_documented_contract(example_result: dict) -> None:
    """Top-level keys, pair keys and reason keys are those the README documents."""
    assert set(example_result) == {"tandem_version", "rules_digest", "input_digest", "as_of",
                                   "settings", "pairs", "unpaired", "warnings", "solver",
                                   "summary"}
    assert example_result["warnings"] == []
    assert example_result["solver"] == {"method": "assignment", "optimal": True, "path": "dense"}
    assert example_result["rules_digest"].startswith("sha256:")
    pair = example_result["pairs"][0]
    assert set(pair) == {"mentor", "mentee", "score", "sentence", "reasons"}
    assert set(pair["reasons"][0]) == {"rule", "title", "because", "effect", "points",
                                       "evidence"}
    assert {"mentors", "mentees", "pairs", "total_score"} <= set(example_result["summary"])


def test_pairs_are_sorted_and_scores_add_up(example_result: dict) -> None:
    """Pairs are sorted by mentor then mentee; each score is the sum of its reasons' points."""
    keys = [(p["mentor"], p["mentee"]) for p in example_result["pairs"]]
    assert keys == sorted(keys)
    for pair in example_result["pairs"]:
        assert pair["score"] == sum(r["points"] for r in pair["reasons"])
        assert all(r["effect"] == "score" for r in pair["reasons"])
    assert example_result["summary"]["total_score"] == sum(
        p["score"] for p in example_result["pairs"])


def test_no_pair_crosses_a_reporting_line(example_result: dict) -> None:
    """The example's manager/report links never end up as a pair."""
    people = {p["id"]: p for p in json.loads(EXAMPLE.read_text())["participants"]}
    for pair in example_result["pairs"]:
        assert people[pair["mentee"]].get("manager_id") != pair["mentor"]
        assert people[pair["mentor"]].get("manager_id") != pair["mentee"]


def test_json_and_csv_cohorts_give_the_same_pairing(example_result: dict) -> None:
    """The same cohort as CSV pairs identically (as-of date given, as CSV has no envelope)."""
    code, out, _ = run("pair", str(EXAMPLE_CSV), "--format", "json",
                       "--as-of", example_result["as_of"])
    assert code == 0
    assert json.loads(out) == example_result


def test_dry_run_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dry run leaves the working directory untouched: no database, no file."""
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("pair", str(EXAMPLE))
    assert code == 0
    assert "Dry run: nothing was written." in out
    assert list(tmp_path.iterdir()) == []


def test_table_output_shows_pairs_unpaired_and_summary() -> None:
    """The table names the pairs, the summary line and the digests."""
    code, out, _ = run("pair", str(EXAMPLE))
    assert code == 0
    assert "Pairs" in out
    assert "18 mentors, 24 mentees:" in out
    assert "rules sha256:" in out


# -- CSV for spreadsheets -------------------------------------------------------------------
@pytest.mark.parametrize(("cell", "safe"), [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
    ("+1", "'+1"),
    ("-1+2", "'-1+2"),
    ("@SUM(A1)", "'@SUM(A1)"),
    # a control character is written as a visible escape first, so nothing hides behind it
    ("\tx", "\\x09x"),
    ("\n=1+1", "\\x0a=1+1"),
    ("\r=1+1", "\\x0d=1+1"),
    ("M01", "M01"),
    # a negative score is a number, not a formula
    ("-1", "-1"),
    ("-2.5", "-2.5"),
    ("-1\n", "'-1\\x0a"),
])
def test_csv_cells_cannot_run_as_formulas(cell: str, safe: str) -> None:
    """Cells that begin with = + - @ are quoted, controls are escapes; plain numbers stay
    numbers."""
    assert spreadsheet_safe(cell) == safe


def test_pair_csv_and_audit_export_neutralise_the_same_way() -> None:
    """`pair --format csv` and `audit export --format csv` use one function."""
    from audit import export
    from engine.base.spreadsheet import neutralise

    assert export.neutralise is neutralise
    for cell in ("-1", "\n=cmd", "=1", "+1", "@x", "M01", "-1e5"):
        assert spreadsheet_safe(cell) == neutralise(cell)


def test_csv_output_has_one_row_per_pair_then_one_per_unpaired_person(
        example_result: dict) -> None:
    """--format csv: a header, one row per pair with the rule ids and points (status
    paired), then one row per person left out with the reason and why (status unpaired)."""
    code, out, _ = run("pair", str(EXAMPLE), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert out.splitlines()[0] == ('"status","mentor","mentee","score","rules","sentence",'
                                   '"reason","why","mentor_name","mentor_email","mentee_name",'
                                   '"mentee_email"')
    pairs, left = example_result["pairs"], example_result["unpaired"]
    assert [r["status"] for r in rows] == ["paired"] * len(pairs) + ["unpaired"] * len(left)
    assert rows[0]["mentor"] == pairs[0]["mentor"]
    assert "culture/" in out or "learning-style/" in out
    person = left[0]
    assert {k: rows[len(pairs)][k] for k in ("mentor", "mentee", "score", "reason", "why")} \
        == {"mentor": "", "mentee": person["id"], "score": "", "reason": person["reason"],
            "why": person["why"]}


# -- bad input stops the run ----------------------------------------------------------------
def test_invalid_cohort_stops_the_run_with_located_errors(tmp_path: Path) -> None:
    """A broken profile: the same located message as validate, exit 1, no pairing printed."""
    data = json.loads(EXAMPLE.read_text())
    data["participants"][3]["learning_style"] = "theorst"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    code, out, err = run("pair", str(broken))
    assert code == 1
    assert out == ""
    assert err.splitlines()[0] == (
        f"{broken}: $.participants[3].learning_style: error: 'theorst' is not one of "
        "['activist', 'reflector', 'theorist', 'pragmatist']; did you mean 'theorist'?")


def test_broken_rules_stop_the_run(tmp_path: Path) -> None:
    """A rule file with a typo stops `pair` before any pairing, naming file and line."""
    shutil.copytree(rules_dir(), tmp_path / "r")
    culture = tmp_path / "r" / "culture.yaml"
    culture.write_text(culture.read_text().replace("{same: job_family}", "{same: job_familly}"))
    code, out, err = run("pair", str(EXAMPLE), "--rules", str(tmp_path / "r"))
    assert code == 1
    assert out == ""
    assert err.splitlines()[0] == (
        f"{culture}: line 9: error: unknown field mentor.job_familly; did you mean "
        "'job_family'?")


def test_missing_cohort_file_is_a_clear_error() -> None:
    """A cohort path that does not exist: one line, exit 1."""
    code, _, err = run("pair", "no-such-file.json")
    assert code == 1
    assert err.splitlines() == [
        "no-such-file.json: error: no such file; check the name and the current directory",
        "1 error in the cohort; nothing was done"]


# -- explain --------------------------------------------------------------------------------
def test_explain_a_formed_pair(example_result: dict) -> None:
    """explain on a formed pair says so and lists its rules."""
    pair = example_result["pairs"][0]
    code, out, _ = run("explain", str(EXAMPLE), pair["mentor"], pair["mentee"],
                       "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert report["formed"] is True
    assert report["score"] == pair["score"]
    assert report["verdict"] == "formed: this pair is part of the best pairing of the cohort"


def test_explain_an_unknown_id_suggests_the_closest() -> None:
    """A mistyped id: exit 1 and a did-you-mean."""
    code, _, err = run("explain", str(EXAMPLE), "M1", "E01")
    assert code == 1
    assert "'M1' is not a mentor of" in err
    assert "did you mean" in err


def test_explain_an_eligible_pair_not_chosen_gives_its_cost() -> None:
    """An eligible pair left out: the verdict gives what forcing it costs the cohort."""
    data = json.loads(EXAMPLE.read_text())
    result = json.loads(run("pair", str(EXAMPLE), "--format", "json")[1])
    formed = {(p["mentor"], p["mentee"]) for p in result["pairs"]}
    mentors = [p["id"] for p in data["participants"] if p["role"] == "mentor"]
    mentees = [p["id"] for p in data["participants"] if p["role"] == "mentee"]
    for m in mentors:
        for e in mentees:
            if (m, e) in formed:
                continue
            report = json.loads(run("explain", str(EXAMPLE), m, e, "--format", "json")[1])
            if report["eligible"]:
                assert report["formed"] is False
                forced = report["if_forced"]
                assert forced["score_lost"] >= 0
                assert forced["pairs_lost"] >= 0
                assert report["verdict"].startswith("eligible but not chosen")
                return
    pytest.fail("the example has no eligible pair that was left out")


def test_explain_an_excluded_pair_leads_with_the_exclusion(tmp_path: Path) -> None:
    """An excluded pair: the first line names the exclusion, other rules 'would score',
    and the pair is never given a score."""
    directory = tmp_path / "r"
    shutil.copytree(rules_dir(), directory)
    (directory / "zz.yaml").write_text(
        "ruleset: pairing\nrules:\n  - id: zz/no-m01\n    title: No M01\n    because: B\n"
        "    when: {mentor.id: M01}\n    then: exclude\n")
    code, out, _ = run("explain", str(EXAMPLE), "M01", "E07", "--rules", str(directory))
    assert code == 0
    lines = out.splitlines()
    assert lines[:3] == ["M01 -> E07: excluded by zz/no-m01; not eligible",
                         "Verdict: cannot be formed: excluded by zz/no-m01",
                         "Without the exclusion it would score 55."]
    assert "would score +25" in out
    assert ": score" not in out
    report = json.loads(run("explain", str(EXAMPLE), "M01", "E07", "--rules", str(directory),
                            "--format", "json")[1])
    assert (report["score"], report["would_score"]) == (None, 55)


def test_the_summary_says_one_pair_in_the_singular(tmp_path: Path) -> None:
    """A run that forms one pair says "1 mentor, 1 mentee: 1 pair", never "1 pairs"."""
    people = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    records = people["participants"] if isinstance(people, dict) else people
    mentor = next(p for p in records if p["id"] == "M01")
    mentee = next(p for p in records if p["id"] == "E10")
    for person in (mentor, mentee):
        person.pop("manager_id", None)
    cohort = tmp_path / "two.json"
    cohort.write_text(json.dumps([mentor, mentee]), encoding="utf-8")
    code, out, err = run("pair", str(cohort))
    assert code == 0, err
    assert "1 mentor, 1 mentee: 1 pair, total score" in out



def test_the_class_path_keeps_standard_output_for_the_result(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """On the class path (large cohorts), the solver's messages go to the log, never into
    the JSON on standard output, even before anything configured the log."""
    import structlog

    from engine.pairing import assignment

    configured = structlog.get_config()
    structlog.reset_defaults()  # as in a fresh process: messages would go to stdout
    monkeypatch.setattr(assignment, "choose_path", lambda *_: "classes")
    try:
        code, out, err = run("pair", str(EXAMPLE), "--format", "json")
    finally:
        structlog.configure(**configured)
    assert code == 0, err
    result = json.loads(out)  # nothing but the result
    assert result["solver"]["path"] == "classes"
