"""Options shared by several commands, defined once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def rules_option(func: F) -> F:
    return click.option(
        "--rules", "rules_dir", type=click.Path(path_type=Path, file_okay=False),
        default=None, envvar="TANDEM_RULES", show_envvar=True,
        help="Rules directory (rule files and vocabulary.yaml). Default: the bundled rules/.",
    )(func)


def format_option(*choices: str, default: str = "table") -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return click.option("--format", "fmt", type=click.Choice(choices), default=default,
                            show_default=True, help="Output for people or for tools.")(func)
    return decorate


def db_option(func: F) -> F:
    return click.option(
        "--db", "db_url", default=None, envvar="TANDEM_DB", show_envvar=True,
        help="Database URL for the audit log. Default: sqlite:///tandem.db in the working "
             "directory; PostgreSQL: postgresql+psycopg://user@host/dbname.",
    )(func)


def as_of_option(func: F) -> F:
    return click.option(
        "--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
        help="Date tenure is measured at (YYYY-MM-DD). Default: the cohort's program.as_of, "
             "else today.",
    )(func)
