"""The `tandem` command. Imports of the heavy core happen inside commands, to start fast."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from cli import logs
from engine import __version__

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(func: F) -> F:
    """Turn Tandem's errors into located messages and exit 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from engine.errors import InvalidInput, TandemError

        try:
            return func(*args, **kwargs)
        except InvalidInput as exc:
            from cli.render import console, print_json, print_problems

            if kwargs.get("fmt") == "json":
                print_json({"errors": [p.as_dict() for p in exc.problems]})
            else:
                print_problems(exc.problems)
                console(stderr=True).print(exc.summary(), style="red", markup=False)
            sys.exit(1)
        except TandemError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tandem")
@click.option("-v", "--verbose", count=True, help="More operational detail on stderr (-vv: debug).")
@click.option("--log-format", type=click.Choice(["console", "json"]), default="console",
              show_default=True, help="Operational logs as readable lines or as JSON.")
def cli(verbose: int, log_format: str) -> None:
    """Tandem forms reverse-mentoring pairs from explicit rules and records why.

    \b
    Examples:
      tandem validate examples/cohort.json
      tandem pair examples/cohort.json
      tandem rules check
    """
    logs.configure(verbose, log_format)


def _register() -> None:
    from cli import commands

    for command in commands.COMMANDS:
        cli.add_command(command)


def main() -> None:
    _register()
    cli(prog_name="tandem")


_ = Path  # re-exported for commands that type paths
