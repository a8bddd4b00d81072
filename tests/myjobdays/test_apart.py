"""My job days and the pairing are provably apart: neither changes with the other.

- `tandem pair --format json` is byte-identical whatever the my_job_day data (changed,
  added, removed at random) and whatever the my-job-day rule files say: the same pairs, the
  same scores, the same digests.
- The my-job-day plan is byte-identical whatever the pairing rules say and whatever
  pairing runs the audit log holds, and the planner's code never loads the pairing's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import cli
from engine.base.resources import rules_dir

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cohort.json"
EXAMPLES = 300 if os.environ.get("TANDEM_FUZZ") == "long" else 20
FAMILIES = ["finance", "marketing", "sales", "research", "manufacturing", "healthcare",
            "human-resources", "it", "legal", "communication"]


def invoke(*args: Any) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], env={"TANDEM_DB": None})
    assert result.exit_code == 0, result.output
    return result.stdout


def _baseline_pairing() -> str:
    return invoke("pair", EXAMPLE, "--format", "json")


BASELINE = _baseline_pairing()
COHORT = json.loads(EXAMPLE.read_text("utf-8"))

my_job_day = st.one_of(
    st.none(),  # removed
    st.fixed_dictionaries({}, optional={
        "discover": st.lists(st.sampled_from(FAMILIES), unique=True, max_size=4),
        "host": st.booleans(),
        "slots": st.integers(1, 50)}),
)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(my_job_day, min_size=len(COHORT["participants"]),
                max_size=len(COHORT["participants"])))
def test_pairing_is_byte_identical_whatever_the_my_job_day_data(tmp_path_factory: Any,
                                                                changes: list[Any]) -> None:
    """Random my_job_day objects on every profile leave `pair --format json` byte-identical."""
    cohort = json.loads(json.dumps(COHORT))
    for person, change in zip(cohort["participants"], changes, strict=True):
        if change is None:
            person.pop("my_job_day", None)
        else:
            person["my_job_day"] = change
    path = tmp_path_factory.mktemp("cohort") / "cohort.json"
    path.write_text(json.dumps(cohort), "utf-8")
    assert invoke("pair", path, "--format", "json") == BASELINE


def test_pairing_is_byte_identical_whatever_the_my_job_day_rules(tmp_path: Path) -> None:
    """Editing or deleting the my-job-day rule file changes nothing of the pairing."""
    rules = shutil.copytree(rules_dir(), tmp_path / "rules")
    text = (rules / "my_job_days.yaml").read_text("utf-8")
    (rules / "my_job_days.yaml").write_text(
        text.replace("visits_per_person: 2", "visits_per_person: 3")
            .replace("{score: 20}", "{score: -7}"), "utf-8")
    assert invoke("pair", EXAMPLE, "--rules", rules, "--format", "json") == BASELINE
    (rules / "my_job_days.yaml").unlink()
    assert invoke("pair", EXAMPLE, "--rules", rules, "--format", "json") == BASELINE


def test_plan_is_byte_identical_whatever_the_pairing_rules(tmp_path: Path) -> None:
    """Other pairing rules give other pairs, and the very same my-job-day plan."""
    baseline = invoke("myjobdays", EXAMPLE, "--format", "json")
    rules = shutil.copytree(rules_dir(), tmp_path / "rules")
    (rules / "learning-styles.yaml").unlink()
    settings_file = rules / "settings.yaml"
    settings_file.write_text(settings_file.read_text("utf-8").replace(
        "objective: participation", "objective: score"), "utf-8")
    assert invoke("pair", EXAMPLE, "--rules", rules, "--format", "json") != BASELINE
    assert invoke("myjobdays", EXAMPLE, "--rules", rules, "--format", "json") == baseline


def test_plan_is_the_same_whatever_pairing_the_audit_log_holds(tmp_path: Path) -> None:
    """A log with active pairs changes nothing of the plan it records."""
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    paired = f"sqlite:///{tmp_path / 'paired.db'}"
    invoke("pair", EXAMPLE, "--commit", "--db", paired, "--actor", "hr.jane")
    first = invoke("myjobdays", EXAMPLE, "--commit", "--db", empty, "--format", "json")
    second = invoke("myjobdays", EXAMPLE, "--commit", "--db", paired, "--format", "json")
    assert first == second == invoke("myjobdays", EXAMPLE, "--format", "json")
    status = json.loads(invoke("status", "--db", paired, "--format", "json"))
    assert len(status["active_pairs"]) == json.loads(BASELINE)["summary"]["pairs"]


def test_the_planner_never_loads_the_pairing() -> None:
    """Planning the example imports neither the pairing pipeline nor its assignment."""
    code = ("import sys\nfrom pathlib import Path\n"
            "from engine.evaluation.inputs import load_inputs\n"
            "from engine.myjobdays.plan import plan_my_job_days\n"
            f"cohort, rules, _ = load_inputs(Path({str(EXAMPLE)!r}))\n"
            "plan_my_job_days(cohort, rules)\n"
            "print(sorted(m for m in sys.modules if m in ('engine.pairing.pipeline', "
            "'engine.pairing.assignment', 'audit', 'audit.state')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[]"
