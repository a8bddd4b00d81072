"""The layering of docs/architecture.md holds, and the contracts that keep it catch a breach."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "audit", "cli")


def _lint(folder: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the packages in ``folder``, with the contracts of its pyproject.toml."""
    code = ("import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(no_cache=True))")
    return subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True,
                          text=True, env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"},
                          timeout=300)


@pytest.fixture(scope="module")
def scratch_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the three packages and the contracts, to break on purpose."""
    folder = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, folder / package,
                        ignore=shutil.ignore_patterns("__pycache__", "_bundled"))
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    return folder


def test_the_contracts_hold_on_the_tree():
    """Every import-linter contract in pyproject.toml is kept by the code as it is."""
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_engine_holds_no_module_beside_its_stages():
    """engine/ is rooms only: subpackages, and nothing but __init__.py beside them."""
    modules = sorted(p.name for p in (ROOT / "engine").glob("*.py"))
    assert modules == ["__init__.py"]


@pytest.mark.parametrize("package", sorted(
    str(p.parent.relative_to(ROOT)) for p in (ROOT / "engine").glob("*/__init__.py")))
def test_each_stage_says_what_flows_in_and_out(package: str):
    """Each engine room's docstring says what comes in and what goes out."""
    text = (ROOT / package / "__init__.py").read_text(encoding="utf-8")
    assert text.startswith('"""'), f"{package} has no docstring"
    doc = text.split('"""')[1]
    assert "In:" in doc, f"{package}: its docstring does not say what flows in ('In:')"
    assert "Out:" in doc, f"{package}: its docstring does not say what flows out ('Out:')"


# Each breach: the scratch module's path, its source, and the contract that must catch it.
BREACHES = [
    # the core imports storage
    ("engine/base/scratch.py", "import audit.log.db\n", "cli above audit above engine"),
    # a lower stage imports a higher one
    ("engine/rules/scratch.py", "import engine.pairing.pipeline\n",
     "the engine's stages import downwards only"),
    # my job days import the pairing
    ("engine/myjobdays/scratch.py", "import engine.pairing.assignment\n",
     "my job days and the pairing never import each other"),
    # the log imports a store above it
    ("audit/log/scratch.py", "import audit.program\n", "audit: the log at the bottom"),
    # the rule engine imported outside its adapter
    ("engine/evaluation/scratch.py", "import durable.lang\n",
     "only the durable-rules adapter imports durable"),
    # the database imported outside audit
    ("cli/scratch.py", "import sqlalchemy\n", "only audit imports SQLAlchemy and alembic"),
    # click imported outside cli
    ("audit/scratch.py", "import click\n", "only cli imports click"),
]


@pytest.mark.parametrize(("path", "source", "contract"), BREACHES,
                         ids=[b[0] + ":" + b[1].split()[1] for b in BREACHES])
def test_a_forbidden_import_breaks_its_contract(scratch_tree: Path, path: str, source: str,
                                                contract: str):
    """A scratch module with a forbidden import makes lint-imports fail, naming the contract."""
    module = scratch_tree / path
    module.write_text(source, encoding="utf-8")
    try:
        result = _lint(scratch_tree)
    finally:
        module.unlink()
    assert result.returncode == 1, result.stdout + result.stderr
    broken = result.stdout.split("Broken contracts")[-1]
    assert contract in broken, result.stdout


def test_an_import_circle_breaks_the_acyclic_contract(scratch_tree: Path):
    """Two modules of one room importing each other make lint-imports fail."""
    first = scratch_tree / "audit" / "log" / "scratch_a.py"
    second = scratch_tree / "audit" / "log" / "scratch_b.py"
    first.write_text("import audit.log.scratch_b\n", encoding="utf-8")
    second.write_text("import audit.log.scratch_a\n", encoding="utf-8")
    try:
        result = _lint(scratch_tree)
    finally:
        first.unlink()
        second.unlink()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no import circle anywhere" in result.stdout.split("Broken contracts")[-1]
