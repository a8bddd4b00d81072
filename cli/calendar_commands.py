"""`tandem due`: the pairs that have gone quiet, the outcomes missing, the coming visits."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import click

from cli.errors import reports_errors
from cli.folder import current_settings, program_calendar
from cli.options import db_option, format_option

if TYPE_CHECKING:
    from engine.settings.calendar import DueReport


@click.command()
@db_option
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day to look from, YYYY-MM-DD. Default: today.")
@format_option("table", "json")
@reports_errors
def due(db_url: str | None, today: datetime | None, fmt: str) -> None:
    """List what needs attention, by the program's calendar (tandem.toml).

    The active pairs without a check-in within the cadence (checkin_every_days), oldest
    first, with the days since the last check-in (or since the pair began); the pairs
    still active after the program's end with no outcome; and the my-job-day visits of the
    coming week, from the last committed plan. Exit 0 even when something is due.

    \b
    Examples:
      tandem due
      tandem due --today 2027-03-01 --format json
    """
    from audit.due import due_report
    from engine.settings.program_file import Calendar

    settings = current_settings()
    calendar = settings.calendar if settings else Calendar()
    report = due_report(db_url, calendar, today.date() if today else date.today())
    if fmt == "json":
        from cli.render import print_json

        print_json(report.as_dict())
        return
    if settings is None or calendar.checkin_every_days is None:
        click.echo("No check-in cadence: set checkin_every_days under [calendar] in "
                   "tandem.toml (`tandem init` makes one).", err=True)
    print_due(report)


def print_due(report: DueReport, title: str | None = None) -> None:
    """The due report as short tables; one line when nothing is due."""
    from rich.table import Table

    from cli.render import cell, console

    out = console()
    if title:
        out.print(title, markup=False)
    if report.quiet:
        table = Table(title=f"No check-in for more than {report.cadence} days",
                      title_justify="left")
        for column in ("Mentor", "Mentee", "Last check-in", "Days"):
            table.add_column(column, justify="right" if column == "Days" else "left")
        for q in report.quiet:
            table.add_row(cell(q.mentor), cell(q.mentee),
                          cell(str(q.last) if q.ever else f"never (paired {q.last})"),
                          str(q.days))
        out.print(table)
    if report.overdue_outcomes:
        table = Table(title=f"Past the program's end ({report.calendar.end}), no outcome",
                      title_justify="left")
        for column in ("Mentor", "Mentee", "Pair entry"):
            table.add_column(column)
        for p in report.overdue_outcomes:
            table.add_row(cell(p.mentor), cell(p.mentee), str(p.seq))
        out.print(table)
    if report.visits:
        table = Table(title="My job days this week", title_justify="left")
        for column in ("Day", "Host", "Visitor", "Family"):
            table.add_column(column)
        for v in report.visits:
            table.add_row(cell(str(v.day)), cell(v.host), cell(v.visitor), cell(v.family))
        out.print(table)
    out.print(report.summary(), markup=False)


def print_due_section(db_url: str | None) -> None:
    """The short `due` section at the end of `tandem status`, in a program folder with a
    calendar."""
    calendar = program_calendar()
    if calendar is None:
        return
    from audit.due import due_report

    print_due(due_report(db_url, calendar, date.today()), "\nDue (tandem due)")


COMMANDS: list[click.Command] = [due]
