"""Fixtures for the cohort-validation tests: the `tandem` command and a way to run it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"

# Rich colours its output when these ask it to; the expected lines are plain text.
PLAIN_ENV: dict[str, str | None] = {"NO_COLOR": "1", "FORCE_COLOR": None,
                                    "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None,
                                    "TANDEM_RULES": None}


@pytest.fixture(scope="session")
def tandem() -> click.Group:
    """The `tandem` group with every command registered, as `tandem` itself runs it."""
    from cli import main

    main._register()
    return main.cli


@pytest.fixture
def run(tandem: click.Group) -> Callable[..., Result]:
    """Run `tandem ARGS...` in the current directory; stdout and stderr stay apart."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(tandem, list(args), prog_name="tandem", env=PLAIN_ENV)

    return invoke
