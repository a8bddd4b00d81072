"""The README shows what the commands really print on the bundled example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text("utf-8")
BLOCKS = re.findall(r"```text\n(.*?)```", README, re.S)


@pytest.mark.parametrize(("command", "starts"), [("pair", "Pairs\n"),
                                                 ("myjobdays", "Visits\n")])
def test_readme_output_is_the_real_output(command: str, starts: str) -> None:
    """Every line the README shows (but the elided `...` rows) is printed, as shown."""
    block = next(b for b in BLOCKS if b.startswith(starts))
    result = CliRunner().invoke(cli, [command, str(ROOT / "examples" / "cohort.json")],
                                env={"COLUMNS": "100", "NO_COLOR": "1", "TANDEM_DB": None})
    printed = result.stdout.splitlines()
    shown = [line for line in block.splitlines() if "..." not in line]
    assert [line for line in shown if line not in printed] == []
    assert printed[-3:] == shown[-3:]  # the digests and the dry-run line, to the letter
