"""The example program: loaded by one command into a fresh database, on SQLite and
PostgreSQL, it gives `insights` and `rules compare` a real history; its generator is
reproducible."""

from __future__ import annotations

import csv
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from audit.insights import past_cohorts, report
from audit.log.verify import verify
from engine.base.errors import TandemError
from engine.evaluation.inputs import load_inputs
from engine.pairing.compare import compare
from tests.followup.helpers import paired_log

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "program"
HR_CSV = REPO.parent / "shared" / "data" / "hr-employees.csv"


def _loader():
    spec = importlib.util.spec_from_file_location("example_load", EXAMPLE / "load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(name):
    with (EXAMPLE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_example_loads_and_insights_and_compare_work_end_to_end(db_url):
    """3 cohorts, every outcome and the separation become results; the chain verifies."""
    message = _loader().load(db_url)
    assert message.endswith("3 cohorts, 192 pairs, 320 check-ins, 128 outcomes, "
                            "1 separation.")
    assert verify(db_url).ok
    found = report(db_url)
    outcomes = _rows("outcomes.csv")
    assert found["pairs"] == len(outcomes)  # the 2026 cohort still runs: left out
    assert found["left_out"] == 1 and found["running_cohorts"][0]["running"] == 63
    assert found["successes"] == sum(r["result"] == "success" for r in outcomes)
    assert found["status"] == "tested"
    cohort, rules, _ = load_inputs(EXAMPLE / "cohort-2026.json")
    history = compare(rules, rules, cohort, past_cohorts(db_url))["history"]
    for result in ("success", "partial", "failure"):
        assert history[result]["old_rules_form"] == history[result]["pairs"]
        assert history[result]["new_rules_form"] == history[result]["pairs"]
    assert history["success"]["pairs"] == found["successes"]


def test_the_example_refuses_a_database_that_holds_a_log(sqlite_url):
    """Loading twice is refused: the example goes into a fresh database."""
    paired_log(sqlite_url)
    with pytest.raises(TandemError, match="already holds an audit log"):
        _loader().load(sqlite_url)


@pytest.mark.skipif(not HR_CSV.is_file(), reason="the HR data set is only needed to generate")
def test_the_generator_reproduces_the_committed_files(tmp_path):
    """The same seed gives byte-identical files."""
    out = tmp_path / "program"
    out.mkdir()
    subprocess.run([sys.executable, str(EXAMPLE / "generate.py"), "--hr-csv", str(HR_CSV),
                    "--out", str(out)], check=True, capture_output=True, cwd=REPO)
    for made in sorted(out.iterdir()):
        assert made.read_bytes() == (EXAMPLE / made.name).read_bytes(), made.name


def test_insights_and_compare_print_for_people_on_the_example(sqlite_url, tmp_path):
    """The tables render: criteria, the model, the recommendations; compare with history."""
    from click.testing import CliRunner

    from cli import main
    from engine.base.resources import rules_dir

    _loader().load(sqlite_url)
    main._register()
    env = {"NO_COLOR": "1", "TANDEM_DB": None, "COLUMNS": "160"}
    shown = CliRunner().invoke(main.cli, ["insights", "--db", sqlite_url], env=env)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("1 cohort still running left out (1 pair with a result")
    assert lines[1].startswith("128 pairs with a result in ended cohorts: ")
    assert "The rules in force (confirmatory)" in lines
    assert "Other traits (exploratory: ideas to test, not findings)" in lines
    assert "Recommendations (never applied automatically):" in lines
    # a nested criterion is named under its row, on a line of its own
    assert any("refined by culture/same-job-family" in line for line in lines)
    assert "\\x0a" not in shown.stdout
    new = tmp_path / "new"
    shutil.copytree(rules_dir(), new)
    culture = new / "culture.yaml"
    culture.write_text(culture.read_text("utf-8").replace("{score: 30}", "{score: 5}"), "utf-8")
    compared = CliRunner().invoke(main.cli, [
        "rules", "compare", str(rules_dir()), str(new), str(EXAMPLE / "cohort-2026.json"),
        "--db", sqlite_url], env=env)
    assert compared.exit_code == 0, compared.output
    assert "Past pairs with a result (3 runs):" in compared.stdout
    assert "  success: 79 pairs; the old rules would form 79, the new rules " in compared.stdout
