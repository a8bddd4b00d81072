"""Fixtures every command-line test shares: the `tandem` group, and a runner that invokes it
as a user would, with the environment that would change its output cleared."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

# Colour off, a wide terminal, and no database, witness or key taken from the environment.
PLAIN_ENV: dict[str, str | None] = {"NO_COLOR": "1", "FORCE_COLOR": None, "TANDEM_DB": None,
                                    "TANDEM_WITNESS": None, "TANDEM_SIGNING_KEY": None,
                                    "TANDEM_PUBLIC_KEY": None, "TANDEM_PROGRAM": None,
                                    "TANDEM_RULES": None, "COLUMNS": "200"}


@pytest.fixture(scope="session")
def tandem() -> click.Group:
    from cli import main

    main._register()
    return main.cli


@pytest.fixture
def run(tandem: click.Group) -> Callable[..., Result]:
    """``run(*args, env=None)``: the command's result, its arguments turned into text."""
    def invoke(*args: Any, env: Mapping[str, str | None] | None = None) -> Result:
        return CliRunner().invoke(tandem, [str(a) for a in args], prog_name="tandem",
                                  env={**PLAIN_ENV, **(env or {})})
    return invoke
