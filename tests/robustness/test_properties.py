"""Property tests: generated and mutated inputs always end in exit 0, 1 or 2, never a
traceback or a crash file; nothing is written on failure; rules that check clean pair.

Bounded by default (tests/robustness/conftest.py); TANDEM_FUZZ=long runs many more cases.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from cli.main import cli
from engine.base.resources import rules_dir
from tests.robustness.strategies import as_file, mutated_cohort, rule_file

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "cohort.json"


@contextmanager
def _workspace() -> Iterator[Path]:
    """A fresh folder, which is also where crash files would go."""
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def _run(where: Path, *args: object) -> Result:
    env = {"TANDEM_DB": None, "TANDEM_RULES": None, "TANDEM_CRASH_DIR": str(where),
           "NO_COLOR": "1", "COLUMNS": "120"}
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def _clean_end(result: Result, where: Path, allowed: tuple[int, ...] = (0, 1, 2)) -> None:
    """Exit 0, 1 or 2, no exception but the exit itself, no traceback, no crash file."""
    assert result.exit_code in allowed, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception)
    assert "Traceback" not in result.output
    assert not list(where.glob("tandem-crash-*")), result.output


@given(people=mutated_cohort(), fmt=st.sampled_from(["json", "jsonl", "csv"]))
def test_every_cohort_validates_or_is_refused_and_what_validates_pairs(people: list[object],
                                                                       fmt: str) -> None:
    """validate ends in 0, 1 or 2; a valid cohort pairs; a refused one writes nothing."""
    with _workspace() as where:
        path = where / f"cohort.{fmt}"
        path.write_text(as_file(people, fmt), "utf-8", errors="surrogatepass")
        checked = _run(where, "validate", path)
        _clean_end(checked, where)
        if checked.exit_code == 0:
            paired = _run(where, "pair", path, "--format", "json")
            _clean_end(paired, where, (0,))
        else:
            db = where / "tandem.db"
            paired = _run(where, "pair", path, "--commit", "--db", f"sqlite:///{db}")
            _clean_end(paired, where, (1, 2))
            assert not db.exists()


@given(text=rule_file())
def test_a_rule_folder_that_checks_clean_always_pairs(text: str) -> None:
    """rules check ends in 0 or 1; when it accepts the folder, pair runs on the example;
    when it refuses it, pair --commit refuses it too and writes nothing."""
    with _workspace() as where:
        folder = where / "rules"
        shutil.copytree(rules_dir(), folder)
        (folder / "extra.yaml").write_text(text, "utf-8")
        checked = _run(where, "rules", "check", "--rules", folder)
        _clean_end(checked, where, (0, 1))
        if checked.exit_code == 0:
            paired = _run(where, "pair", EXAMPLE, "--rules", folder, "--format", "json")
            _clean_end(paired, where, (0,))
        else:
            db = where / "tandem.db"
            paired = _run(where, "pair", EXAMPLE, "--rules", folder, "--commit", "--db",
                          f"sqlite:///{db}")
            _clean_end(paired, where, (1,))
            assert not db.exists()


def test_the_default_profile_is_bounded() -> None:
    """CI runs a bounded number of cases unless TANDEM_FUZZ=long asks for more."""
    from hypothesis import settings

    expected = 400 if os.environ.get("TANDEM_FUZZ") == "long" else 20
    assert settings.default.max_examples == expected
