"""A program folder on the command line: `tandem init`, the file read by every command,
options over it, the program's name in the log, and the calendar's refusal."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

ROOT = Path(__file__).resolve().parents[2]
COHORT = str(ROOT / "examples" / "cohort.json")
Run = Callable[..., Result]


@pytest.fixture
def folder(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A program folder made by `tandem init`, as the working directory."""
    made = run("init", tmp_path / "prog", "--name", "Reverse mentoring 2027",
               "--start", "2026-08-01", "--end", "2027-06-30")
    assert made.exit_code == 0, made.output
    monkeypatch.chdir(tmp_path / "prog")
    return tmp_path / "prog"


def _entries(db: Path) -> list[dict[str, object]]:
    with sqlite3.connect(db) as conn:
        return [json.loads(r[0]) for r in conn.execute("SELECT entry FROM audit_log")]


def test_init_makes_the_file_the_rules_and_the_gitignore(folder: Path) -> None:
    """tandem.toml, a copy of every bundled rule file, a .gitignore for database and keys."""
    from engine.base.resources import rules_dir

    assert 'name = "Reverse mentoring 2027"' in (folder / "tandem.toml").read_text()
    assert sorted(p.name for p in (folder / "rules").iterdir()) == \
        sorted(p.name for p in rules_dir().iterdir() if p.suffix in (".yaml", ".j2"))
    ignored = (folder / ".gitignore").read_text().splitlines()
    assert "/tandem.db" in ignored and "*.key" in ignored


def test_init_never_overwrites(run: Run, folder: Path) -> None:
    """A second init in the same folder is refused, and the file is unchanged."""
    before = (folder / "tandem.toml").read_text()
    again = run("init", folder, "--name", "Another")
    assert again.exit_code == 1 and "exists already" in again.stderr
    assert (folder / "tandem.toml").read_text() == before


def test_an_edit_in_the_folders_rules_changes_the_next_pair(run: Run, folder: Path) -> None:
    """pair reads the folder's rules/ and says so; --rules still overrides it."""
    settings = folder / "rules" / "settings.yaml"
    settings.write_text(settings.read_text().replace("min_score: 10", "min_score: 99"))
    paired = run("pair", COHORT)
    assert paired.exit_code == 0, paired.output
    assert "min_score 99" in paired.stdout and "0 pairs" in paired.stdout
    assert f"Rules: {folder / 'rules'} (from {folder / 'tandem.toml'})." in paired.stderr
    bundled = run("pair", COHORT, "--rules", ROOT / "rules")
    assert "min_score 10" in bundled.stdout


def test_without_a_program_file_pair_says_it_used_the_bundled_rules(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No tandem.toml: today's defaults, and the bundled rules named on stderr."""
    monkeypatch.chdir(tmp_path)
    paired = run("pair", COHORT)
    assert paired.exit_code == 0 and "min_score 10" in paired.stdout
    assert "Rules: the bundled rules" in paired.stderr


def test_the_database_and_witness_come_from_the_file_and_each_entry_names_the_program(
        run: Run, folder: Path) -> None:
    """A commit with no --db or --witness writes the folder's database and witness."""
    done = run("pair", COHORT, "--commit", "--actor", "hr.jane")
    assert done.exit_code == 0, done.output
    entries = _entries(folder / "tandem.db")
    assert entries and {e["program"] for e in entries} == {"Reverse mentoring 2027"}
    assert (folder / "witness.jsonl").read_text().count("\n") == 1
    verified = run("audit", "verify")
    assert verified.exit_code == 0 and "Every head the witness lists (1)" in verified.stdout


def test_an_option_and_a_variable_override_the_file(run: Run, folder: Path,
                                                    tmp_path: Path) -> None:
    """--db wins over tandem.toml, and so does TANDEM_DB."""
    other, env_db = tmp_path / "other.db", tmp_path / "env.db"
    assert run("pair", COHORT, "--commit", "--db", f"sqlite:///{other}").exit_code == 0
    assert run("pair", COHORT, "--commit",
               env={"TANDEM_DB": f"sqlite:///{env_db}"}).exit_code == 0
    assert other.exists() and env_db.exists() and not (folder / "tandem.db").exists()


def test_a_database_of_another_program_is_refused(run: Run, folder: Path,
                                                  tmp_path: Path) -> None:
    """A second program may not record in the first one's log, unless told to."""
    assert run("pair", COHORT, "--commit").exit_code == 0
    second = tmp_path / "second"
    assert run("init", second, "--name", "Another program").exit_code == 0
    url = f"sqlite:///{folder / 'tandem.db'}"
    count = len(_entries(folder / "tandem.db"))
    refused = run("separate", "M01", "E07", "--reason", "x", "--commit", "--db", url,
                  env={"TANDEM_PROGRAM": str(second / "tandem.toml")})
    assert refused.exit_code == 1
    assert ("belongs to the program 'Reverse mentoring 2027' (entry "
            f"{count}), not to 'Another program'; nothing was written") in refused.stderr
    assert len(_entries(folder / "tandem.db")) == count
    allowed = run("separate", "M01", "E07", "--reason", "x", "--commit", "--db", url,
                  "--allow-other-program", env={"TANDEM_PROGRAM": str(second / "tandem.toml")})
    assert allowed.exit_code == 0, allowed.output
    assert _entries(folder / "tandem.db")[-1]["program"] == "Another program"


def test_a_malformed_program_file_stops_every_command(run: Run, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong tandem.toml is reported with its line and a did-you-mean, exit 1."""
    (tmp_path / "tandem.toml").write_text('[program]\nname = "X"\nwitnes = "w.jsonl"\n')
    monkeypatch.chdir(tmp_path)
    done = run("status")
    assert done.exit_code == 1
    assert (f"{(tmp_path / 'tandem.toml').resolve()}: line 3: [program].witnes: error: "
            "unknown key 'witnes'") in done.stderr
    assert "did you mean 'witness'?" in done.stderr
    assert not (tmp_path / "tandem.db").exists()


def test_pairing_outside_the_calendar_warns_and_commit_refuses(run: Run, folder: Path) -> None:
    """A cohort dated after the program's end: a warning, a refused commit, then
    --outside-calendar records."""
    late = ["--as-of", "2027-09-01"]
    dry = run("pair", COHORT, *late)
    assert dry.exit_code == 0
    assert "2027-09-01 is outside the program (2026-08-01 to 2027-06-30" in dry.stderr
    refused = run("pair", COHORT, *late, "--commit")
    assert refused.exit_code == 1 and "--outside-calendar" in refused.stderr
    assert not (folder / "tandem.db").exists()
    done = run("pair", COHORT, *late, "--commit", "--outside-calendar")
    assert done.exit_code == 0, done.output


def test_reassigning_outside_the_calendar_warns_and_commit_refuses(run: Run,
                                                                   folder: Path) -> None:
    """`reassign` is held to the calendar as `pair` is: a warning on the dry run, a refused
    commit that writes nothing, then --outside-calendar records."""
    assert run("pair", COHORT, "--as-of", "2027-01-15", "--commit").exit_code == 0
    separated = run("separate", "M06", "E04", "--category", "mismatch",
                    "--reason", "Asked to part", "--commit")
    assert separated.exit_code == 0, separated.output
    before = _entries(folder / "tandem.db")
    late = ["--as-of", "2027-09-01"]
    dry = run("reassign", COHORT, *late)
    assert dry.exit_code == 0, dry.output
    assert "2027-09-01 is outside the program (2026-08-01 to 2027-06-30" in dry.stderr
    assert "--commit will refuse unless --outside-calendar" in dry.stderr
    refused = run("reassign", COHORT, *late, "--commit")
    assert refused.exit_code == 1
    assert "nothing was written" in refused.stderr and "--outside-calendar" in refused.stderr
    assert _entries(folder / "tandem.db") == before
    done = run("reassign", COHORT, *late, "--commit", "--outside-calendar")
    assert done.exit_code == 0, done.output
    added = _entries(folder / "tandem.db")[len(before):]
    assert [e.get("command") for e in added if e["kind"] == "run"] == ["reassign"]


def test_a_plan_on_days_already_past_is_refused(run: Run, folder: Path) -> None:
    """The example plan's days (2026-10) are past today: --commit refuses them."""
    refused = run("myjobdays", COHORT, "--commit")
    assert refused.exit_code == 1
    assert "already past" in refused.stderr and "nothing was written" in refused.stderr
    assert run("myjobdays", COHORT, "--commit", "--outside-calendar").exit_code == 0


def test_the_smallest_group_of_the_file_governs_the_fairness_figures(
        run: Run, folder: Path) -> None:
    """smallest_group = 50: every group of the 42-person example is too small to judge;
    with the default (5), some are judged."""
    default = json.loads(run("fairness", COHORT, "--format", "json").stdout)
    assert not all(g["too_small"] for g in default["groups"])
    file = folder / "tandem.toml"
    file.write_text(file.read_text().replace("smallest_group = 5", "smallest_group = 50"))
    strict = json.loads(run("fairness", COHORT, "--format", "json").stdout)
    assert strict["groups"] and all(g["too_small"] and not g["flagged"]
                                    for g in strict["groups"])
