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


def witness_check_options(func: F) -> F:
    """--witness and --public-key for a command that reads the log and checks its chain
    against the heads kept outside the database, as `tandem audit verify` does."""
    func = click.option(
        "--public-key", type=click.Path(path_type=Path, dir_okay=False, exists=True),
        default=None, envvar="TANDEM_PUBLIC_KEY", show_envvar=True,
        help="Require every witness line to be signed by this key.")(func)
    return click.option(
        "--witness", type=click.Path(path_type=Path, dir_okay=False), default=None,
        envvar="TANDEM_WITNESS", show_envvar=True,
        help="Check the chain against every head this witness file lists, and that it "
             "lists the last: a cut or rewritten tail is caught.")(func)


# -- argument types, defined once ---------------------------------------------------------

DB_INTEGER_MAX = 2**63 - 1  # the largest integer the audit tables store (BIGINT, SQLite)


class IdType(click.ParamType[str, Any]):
    """An id (of a person, a run, a role, a key): never empty, never only spaces; the
    empty id would otherwise match everything."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        text = str(value)
        if not text.strip():
            self.fail("an id cannot be empty or blank; give the id as the log shows it "
                      "(`tandem status`, `tandem audit log`)", param, ctx)
        return text


class RatingType(click.ParamType[int, Any]):
    """A rating written with the ASCII digits 1 to 5, as in a check-in file."""

    name = "rating"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 4:
            self.fail(f"{str(value).encode('unicode_escape').decode('ascii')!r} is not a "
                      "rating; give a whole number from 1 to 5 in the digits 0-9", param, ctx)
        return int(text)


ID = IdType()
RATING = RatingType()
SEQ = click.IntRange(min=1, max=DB_INTEGER_MAX)
COUNT = click.IntRange(min=1, max=DB_INTEGER_MAX)


def not_utf8(args: list[str]) -> str | None:
    """The first argument that is not valid UTF-8 (a byte Python kept as a lone surrogate),
    shown with escapes; None when every one is."""
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return arg.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
    return None


def refuse_non_utf8(args: list[str]) -> None:
    """Exit 2 when an argument, or a TANDEM_* variable, is not valid UTF-8: Tandem stores and
    prints text as UTF-8 only."""
    import os

    bad = not_utf8(args)
    if bad is not None:
        raise click.UsageError(f"the argument {bad} is not valid UTF-8 text; nothing was "
                               "done. Give every argument as UTF-8 (check the terminal's "
                               "encoding and the file names).")
    for name, value in sorted(os.environ.items()):
        if name.startswith("TANDEM_") and not_utf8([value]) is not None:
            raise click.UsageError(f"the environment variable {name} is not valid UTF-8 "
                                   "text; nothing was done. Set it again as UTF-8.")


accept_warnings_option = click.option(
    "--accept-warnings", is_flag=True,
    help="With --commit: record the run although warnings about the rules stand (a constant "
         "no participant has, a rule that can score no pair); they are kept in its entry.")
