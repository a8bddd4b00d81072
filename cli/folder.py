"""The program folder on the command line: `tandem.toml` found, read, and applied as the
default of every option it sets; and `tandem init`, which makes a folder.

Options given on the command line and environment variables (TANDEM_DB, TANDEM_RULES, ...)
win over the file: the file fills click's ``default_map``, which click reads after both.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from cli.errors import reports_errors
from engine.settings.program_file import (
    DEFAULT_DATABASE,
    DEFAULT_RULES,
    FILE_NAME,
    Calendar,
    ProgramSettings,
    find_program_file,
    new_program_file,
    read_program_file,
)

SETTINGS_KEY = "tandem.program"
PROGRAM_ENV = "TANDEM_PROGRAM"
NO_PROGRAM = "TANDEM_NO_PROGRAM"


def current_settings(ctx: click.Context | None = None) -> ProgramSettings | None:
    """The program file the command runs under, if any."""
    ctx = ctx or click.get_current_context(silent=True)
    while ctx is not None:
        found = ctx.meta.get(SETTINGS_KEY)
        if found is not None:
            return found  # type: ignore[no-any-return]
        ctx = ctx.parent
    return None


def _option_defaults(settings: ProgramSettings) -> dict[str, Any]:
    values: dict[str, Any] = {"db_url": settings.database}
    if settings.rules.exists() or settings.rules != settings.folder / DEFAULT_RULES:
        values["rules_dir"] = settings.rules  # a file without rules/ keeps the bundled rules
    for name in ("witness", "signing_key", "public_key", "actor"):
        value = getattr(settings, name)
        if value is not None:
            values[name] = value
    return values


def _defaults_for(command: click.Command, values: Mapping[str, Any]) -> dict[str, Any]:
    """The default map of a command (and of its subcommands, for a group)."""
    found: dict[str, Any] = {}
    for param in command.params:
        if param.name not in values:
            continue
        value = values[param.name]
        if isinstance(param.type, click.Path) and param.type.exists and not Path(
                value).exists():
            continue  # e.g. `audit verify --witness`, before the first commit wrote it
        found[param.name] = str(value) if isinstance(value, Path) else value
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            nested = _defaults_for(sub, values)
            if nested:
                found[name] = nested
    return found


def load_program(ctx: click.Context) -> ProgramSettings | None:
    """Find and read `tandem.toml` (TANDEM_PROGRAM names it; else the working directory or
    a parent), and make its settings the defaults of every command. Exit 1, with every
    problem located, when the file is wrong."""
    if os.environ.get(NO_PROGRAM):
        return None
    named = os.environ.get(PROGRAM_ENV)
    file = Path(named) if named else find_program_file(Path.cwd())
    if file is None:
        return None
    from engine.base.errors import InvalidInput

    try:
        settings = read_program_file(file)
    except InvalidInput as exc:
        from cli.render import console, print_problems

        print_problems(exc.problems)
        console(stderr=True).print(exc.summary(), style="red", markup=False)
        sys.exit(1)
    ctx.meta[SETTINGS_KEY] = settings
    assert isinstance(ctx.command, click.Group)
    ctx.default_map = {**_defaults_for(ctx.command, _option_defaults(settings)),
                       **(ctx.default_map or {})}
    return settings


def rules_used(rules_dir: Path | None) -> str:
    """Which rules a command read, in words: the program's, the given ones or the bundled."""
    from engine.base.resources import rules_dir as bundled

    settings = current_settings()
    if rules_dir is None:
        return (f"Rules: the bundled rules ({bundled()}); `tandem init` makes a folder with "
                "a copy to edit.")
    if settings is not None and Path(rules_dir) == settings.rules:
        return f"Rules: {rules_dir} (from {settings.file})."
    return f"Rules: {rules_dir}."


@click.command()
@click.argument("directory", required=False, default=".",
                type=click.Path(path_type=Path, file_okay=False))
@click.option("--name", required=True, help="The program's name, recorded in every entry.")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The program's first day, YYYY-MM-DD.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The program's last day, YYYY-MM-DD.")
@click.option("--checkin-every", "cadence", type=click.IntRange(min=1), default=30,
              show_default=True, help="The check-in cadence, in days.")
@reports_errors
def init(directory: Path, name: str, start: datetime | None, end: datetime | None,
         cadence: int) -> None:
    """Make a program folder: tandem.toml, rules/ to edit, and a .gitignore.

    Every tandem command run in the folder, or below it, then reads tandem.toml: the
    program's name, its database, rules, witness and calendar. Options and environment
    variables still win over it. An existing tandem.toml or rules/ is never overwritten.

    \b
    Examples:
      tandem init mentoring-2027 --name "Reverse mentoring 2027"
      tandem init --name "Reverse mentoring 2027" --start 2027-01-04 --end 2027-06-30
    """
    from engine.base.errors import TandemError
    from engine.base.resources import rules_dir as bundled
    from engine.settings.program_file import parse_program_file

    if not name.strip():
        raise click.BadParameter("give the program a name", param_hint="--name")
    if start and end and end < start:
        raise click.BadParameter(f"the program ends ({end:%Y-%m-%d}) before it starts "
                                 f"({start:%Y-%m-%d})", param_hint="--end")
    target = directory.resolve()
    file, rules, ignore = target / FILE_NAME, target / "rules", target / ".gitignore"
    if file.exists():
        raise TandemError(f"{file} exists already; nothing was written. Edit it, or give "
                          "another folder: `tandem init DIR --name ...`")
    if rules.exists():
        raise TandemError(f"{rules} exists already; nothing was written. Move it away, or "
                          "give another folder.")
    text = new_program_file(name, start=start.date() if start else None,
                            end=end.date() if end else None, cadence=cadence)
    parse_program_file(file, text.encode())  # what is written always reads back
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(bundled(), rules, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    file.write_text(text, encoding="utf-8")
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.exists() else []
    wanted = [f"/{DEFAULT_DATABASE}", f"/{DEFAULT_DATABASE}-*", "*.key", "tandem-report.html"]
    added = [w for w in wanted if w not in lines]
    if added:
        header = ["# tandem: the audit database and private keys stay out of version control"]
        ignore.write_text("\n".join([*lines, *header, *added]) + "\n", encoding="utf-8")
    click.echo(f"Made the program folder {target}:\n"
               f"  {FILE_NAME}   the program {name!r}: database, rules, witness, calendar\n"
               f"  rules/       a copy of the bundled rules, to edit (`tandem rules check`)\n"
               f"  .gitignore   keeps the database and private keys out of version control\n"
               f"Next: cd {directory} && tandem pair COHORT")


COMMANDS: list[click.Command] = [init]


def program_calendar() -> Calendar | None:
    """The calendar of the program file, or None outside a program folder or when the file
    sets no calendar: then `status` and the report show no due summary."""
    settings = current_settings()
    if settings is None or settings.calendar == Calendar():
        return None
    return settings.calendar


def check_calendar(days: list[Any], what: str, *, commit: bool, outside_ok: bool,
                   today: Any = None) -> None:
    """Warn on stderr when ``days`` fall outside the program's calendar (or, for a plan,
    in the past); with --commit, refuse unless --outside-calendar was given. Outside a
    program folder there is no calendar: days already past are only a warning."""
    from engine.base.errors import TandemError
    from engine.settings.calendar import outside_days

    settings = current_settings()
    calendar = settings.calendar if settings else None
    outside = outside_days(calendar, days) if calendar else []
    past = sorted({d for d in days if today is not None and d < today})
    odd = sorted({d for d in days if calendar and calendar.my_job_days and what == "plan"
                  and d not in calendar.my_job_days})
    found = []
    if outside and calendar:
        found.append(f"{', '.join(map(str, outside))} "
                     f"{'is' if len(outside) == 1 else 'are'} outside the program "
                     f"({calendar.describe()}, {settings.file if settings else ''})")
    if past:
        found.append(f"{', '.join(map(str, past))} {'is' if len(past) == 1 else 'are'} "
                     f"already past (today is {today})")
    if odd and calendar:
        found.append(f"{', '.join(map(str, odd))} {'is' if len(odd) == 1 else 'are'} not "
                     f"among the calendar's my-job-day dates "
                     f"({', '.join(map(str, calendar.my_job_days))})")
    if not found:
        return
    message = f"the {what}'s dates: " + "; ".join(found)
    if settings is None:  # no calendar to enforce: days already past are a warning only
        click.echo(f"Warning: {message}. Set the days in the rules' my_job_days.yaml; in a "
                   "program folder (`tandem init`) the calendar in tandem.toml makes --commit "
                   "refuse them.", err=True)
        return
    if commit and not outside_ok:
        raise TandemError(f"{message}; nothing was written. Fix the dates (the cohort's "
                          "as_of, the rules' days, or [calendar] in tandem.toml), or add "
                          "--outside-calendar to record anyway.")
    click.echo(f"Warning: {message}." + ("" if commit else
               " --commit will refuse unless --outside-calendar is given."), err=True)


def outside_calendar_option(func: Any) -> Any:
    return click.option("--outside-calendar", is_flag=True,
                        help="Record with --commit even when the dates fall outside the "
                             "program's calendar (tandem.toml).")(func)
