"""Options shared by several commands, defined once."""

from __future__ import annotations

import functools
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


def witness_options(func: F) -> F:
    """--witness and --signing-key for a command that records: every write the command makes
    appends its head to that witness."""

    @functools.wraps(func)
    def wrapper(*args: Any, witness: Path | None = None, signing_key: Path | None = None,
                **kwargs: Any) -> Any:
        from audit.log.witness import WitnessConfig, using

        with using(WitnessConfig.resolve(witness, signing_key)):
            return func(*args, **kwargs)

    return _witness_flags(other_program_option(wrapper))  # type: ignore[return-value]


def writer_options(func: F) -> F:
    """--witness, --signing-key and --allow-other-tables, for `tandem pair`, which passes
    them on itself."""
    func = click.option(
        "--allow-other-tables", is_flag=True,
        help="Create the audit tables even in a database that holds other tables.")(func)
    return _witness_flags(other_program_option(func))


def other_program_option(func: F) -> F:
    """--allow-other-program: record in a log whose entries name another program."""

    @functools.wraps(func)
    def wrapper(*args: Any, allow_other_program: bool = False, **kwargs: Any) -> Any:
        from audit.log.identity import allowing_other

        with allowing_other(allow_other_program):
            return func(*args, **kwargs)

    return click.option(
        "--allow-other-program", is_flag=True, envvar="TANDEM_ALLOW_OTHER_PROGRAM",
        help="Record even in an audit database whose entries name another program "
             "(tandem.toml's name).")(wrapper)  # type: ignore[return-value]


def _witness_flags(func: F) -> F:
    func = click.option(
        "--signing-key", type=click.Path(path_type=Path, dir_okay=False), default=None,
        envvar="TANDEM_SIGNING_KEY", show_envvar=True,
        help="Sign each head written to the witness with this private key "
             "(`tandem audit keygen`).")(func)
    return click.option(
        "--witness", type=click.Path(path_type=Path, dir_okay=False), default=None,
        envvar="TANDEM_WITNESS", show_envvar=True,
        help="Append each new head of the chain to this file, kept outside the database; "
             "`tandem audit verify --witness FILE` checks it.")(func)
