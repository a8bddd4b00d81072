"""After the README's own install (`pip install .`, not editable), a program folder's rules/
is what `tandem pair` reads, not the copy inside site-packages."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN_TANDEM = "import sys; from cli.main import main; sys.argv[0] = 'tandem'; main()"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tandem built as a wheel and installed (once per session) into a folder of its own,
    which comes first on the path: the installed copy, with the test environment's
    libraries."""
    work = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                            str(work / "dist"), str(ROOT)], capture_output=True, text=True,
                           timeout=600)
    if built.returncode != 0:
        pytest.fail(f"cannot build the wheel: {built.stderr[-2000:]}")
    wheel = next((work / "dist").glob("tandem-*.whl"))
    target = work / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                           "--target", str(target), str(wheel)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    yield target


def _tandem(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "NO_COLOR": "1", "COLUMNS": "200"}
    for name in ("TANDEM_DB", "TANDEM_RULES", "TANDEM_WITNESS", "TANDEM_PROGRAM"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-c", RUN_TANDEM, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_an_edit_in_rules_changes_pair_after_a_plain_install(installed: Path,
                                                             tmp_path: Path) -> None:
    """The installed copy runs, and `pair` in a program folder reads the folder's rules."""
    where = subprocess.run([sys.executable, "-c", "import engine; print(engine.__file__)"],
                           env={**os.environ, "PYTHONPATH": str(installed)},
                           capture_output=True, text=True, cwd=tmp_path, check=True)
    assert where.stdout.startswith(str(installed))  # not the checkout
    made = _tandem(installed, tmp_path, "init", "prog", "--name", "Installed")
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "prog"
    settings = folder / "rules" / "settings.yaml"
    settings.write_text(settings.read_text().replace("min_score: 10", "min_score: 99"))
    paired = _tandem(installed, folder, "pair", str(ROOT / "examples" / "cohort.json"))
    assert paired.returncode == 0, paired.stderr
    assert "min_score 99" in paired.stdout and "0 pairs" in paired.stdout
    assert f"Rules: {folder.resolve() / 'rules'}" in paired.stderr
    bundled = _tandem(installed, tmp_path, "pair", str(ROOT / "examples" / "cohort.json"))
    assert "min_score 10" in bundled.stdout
    assert f"the bundled rules ({installed}" in bundled.stderr
