"""Start-up: each command loads only the libraries it uses (module lists, not times)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("sqlalchemy", "alembic", "scipy", "statsmodels", "openpyxl", "jinja2", "cryptography")
PROBE = """
import atexit, json, sys
heavy = {heavy!r}
atexit.register(lambda: sys.__stderr__.write("MODULES " + json.dumps(
    sorted(h for h in heavy if h in sys.modules)) + "\\n"))
sys.argv = ["tandem", *{args!r}]
from cli.main import main
main()
"""


def loaded(args: list[str], cwd: Path) -> list[str]:
    """The heavy libraries imported by `tandem ARGS`, run in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY, args=args)],
                          cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    line = [x for x in done.stderr.splitlines() if x.startswith("MODULES ")]
    assert line, done.stderr
    result: list[str] = json.loads(line[-1].removeprefix("MODULES "))
    return result


@pytest.mark.parametrize("args", [["--help"], ["pair", "--help"], ["audit", "log", "--help"],
                                  ["report", "--help"], ["insights", "--help"]])
def test_help_loads_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    """`tandem --help` and each command's help import none of the heavy libraries."""
    assert loaded(args, tmp_path) == []


def test_a_dry_run_without_a_database_loads_no_database_library(tmp_path: Path) -> None:
    """`tandem pair COHORT` with no tandem.db imports neither SQLAlchemy nor the report,
    statistics, spreadsheet or signing libraries."""
    assert loaded(["pair", str(ROOT / "examples" / "cohort.json")], tmp_path) == []
    assert not (tmp_path / "tandem.db").exists()


def test_validate_loads_no_heavy_library(tmp_path: Path) -> None:
    """`tandem validate` reads profiles only: no database, solver or report library."""
    assert loaded(["validate", str(ROOT / "examples" / "cohort.json")], tmp_path) == []


def test_a_command_that_logs_nothing_at_its_level_loads_no_structlog(tmp_path: Path) -> None:
    """structlog (with the asyncio it loads) is imported at the first message
    shown: a dry run at the default level shows none, so it never loads."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=("structlog", "asyncio"),
                                            args=["pair", str(ROOT / "examples" / "cohort.json")])],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "MODULES []" in done.stderr


def test_verbose_json_logs_still_reach_stderr(tmp_path: Path) -> None:
    """With -v the pairing's summary line is shown, rendered by structlog as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", "-v", "--log-format",
         "json", "pair", str(ROOT / "examples" / "cohort.json")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in done.stderr.splitlines() if x.startswith("{")]
    paired = [x for x in lines if x["event"] == "paired"]
    assert paired and paired[0]["level"] == "info" and paired[0]["pairs"] > 0


JIT_PROBE = """
import sys
{before}
from engine.evaluation.compiled import add_block_codes
import numpy as np
out = np.zeros((1, 2), np.int64)
add_block_codes(out, [np.ones((1, 1), np.int64)], [np.zeros(1, np.int64)],
                [np.zeros(2, np.int64)])
assert out.tolist() == [[1, 1]], out
print("LINALG", "scipy.linalg" in sys.modules)
import scipy.linalg
print("NORM", scipy.linalg.norm([3.0, 4.0]))
"""


@pytest.mark.parametrize("before", ["", "import scipy.linalg"])
def test_compiled_loops_load_without_scipy_linalg_and_leave_it_importable(before: str
                                                                         ) -> None:
    """numba's check for a BLAS (an import of scipy.linalg) is held back while it loads;
    scipy.linalg stays importable afterwards, and one imported before is left alone."""
    done = subprocess.run([sys.executable, "-c", JIT_PROBE.format(before=before)],
                          capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert f"LINALG {bool(before)}" in done.stdout
    assert "NORM 5.0" in done.stdout
