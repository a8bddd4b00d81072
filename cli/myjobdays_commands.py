"""`tandem myjobdays`: plan the my job days, apart from the pairing."""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from cli.errors import reports_errors
from cli.folder import check_calendar, outside_calendar_option
from cli.options import as_of_option, db_option, format_option, rules_option, witness_options


@click.command()
@click.argument("cohort", type=click.Path(path_type=Path, dir_okay=False))
@rules_option
@format_option("table", "json", "csv")
@as_of_option
@click.option("--commit", is_flag=True,
              help="Record the plan in the audit log. Without it this is a dry run.")
@click.option("--actor", default=None,
              help="Who decides, recorded with --commit. Default: the OS user.")
@db_option
@witness_options
@outside_calendar_option
@reports_errors
def myjobdays(cohort: Path, rules_dir: Path | None, fmt: str, as_of: datetime | None,
              commit: bool, actor: str | None, db_url: str | None,
              outside_calendar: bool) -> None:
    """Plan the my job days: who visits which host, on which day, and why.

    Hosts have `my_job_day.host: true` (and optionally `slots`); visitors list the job
    families they want to discover in `my_job_day.discover`. The plan makes the most
    visits, then the highest total score, under the `ruleset: my_job_days` rules and
    settings. It never reads nor changes the pairs; people who withdrew from the program
    (`tandem withdraw`) are left out. A dry run by default; --commit records the plan in
    the audit log as my-job-day entries. In a program folder, days outside the program's
    calendar, days already past and days that are not the calendar's my-job-day dates are
    warnings, and --commit refuses them unless --outside-calendar. Outside a program
    folder, days already past are a warning only.

    \b
    Examples:
      tandem myjobdays examples/cohort.json
      tandem myjobdays examples/cohort.csv --format json > plan.json
      tandem myjobdays examples/cohort.json --format csv
      tandem myjobdays examples/cohort.json --commit --actor "hr.jane"
    """
    from audit.myjobdays import in_program
    from cli.render import print_problems
    from engine.evaluation.inputs import load_inputs
    from engine.myjobdays.plan import plan_my_job_days, plan_profiles

    loaded, rules, warnings = load_inputs(cohort, rules_dir, as_of.date() if as_of else None)
    print_problems(warnings)
    loaded, left_out = in_program(loaded, db_url)
    result = plan_my_job_days(loaded, rules)
    if left_out:
        result["left_out"] = left_out
    check_calendar([date.fromisoformat(d) for d in result["settings"]["days"]], "plan",
                   commit=commit, outside_ok=outside_calendar, today=date.today())
    receipt_text = None
    if commit:
        from audit.myjobdays import commit_plan

        receipt = commit_plan(db_url, actor, result, rules.files_of("my_job_days"),
                              plan_profiles(loaded))
        receipt_text = receipt.describe()
    if fmt == "json":
        from cli.render import print_json

        print_json(result, compact=len(result["visits"]) > 200)
    elif fmt == "csv":
        sys.stdout.write(visits_csv(result))
    else:
        show_plan(result, receipt_text)


def visits_csv(result: Mapping[str, Any]) -> str:
    from cli.views import spreadsheet_safe
    from engine.base.spreadsheet import csv_writer

    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["day", "visitor", "host", "family", "score", "rules", "sentence"])
    for visit in result["visits"]:
        rules = ";".join(f"{r['rule']}({r['points']:+d})" for r in visit["reasons"])
        writer.writerow([spreadsheet_safe(v) for v in (
            visit["day"], visit["visitor"], visit["host"], visit["family"], visit["score"],
            rules, visit["sentence"])])
    return out.getvalue()


def show_plan(result: Mapping[str, Any], committed: str | None = None) -> None:
    from rich.table import Table

    from cli.render import cell, console, safe, safe_lines

    out = console()
    if result["visits"]:
        visits = Table(title="Visits", title_justify="left")
        for column in ("Day", "Host", "Visitor", "Family", "Score", "Top reasons"):
            visits.add_column(column, justify="right" if column == "Score" else "left")
        for v in result["visits"]:
            top = [f"{r['title']} ({r['points']:+d})" for r in v["reasons"][:3]]
            visits.add_row(cell(v["day"]), cell(v["host"]), cell(v["visitor"]),
                           cell(v["family"]), cell(v["score"]), cell("; ".join(top)))
        out.print(visits)
    if result["unmet"]:
        unmet = Table(title="Fewer visits than wanted", title_justify="left")
        for column in ("Person", "Got", "Why"):
            unmet.add_column(column)
        for u in result["unmet"]:
            unmet.add_row(cell(u["id"]), cell(f"{u['got']} of {u['wanted']}"), cell(u["why"]))
        out.print(unmet)
    if result.get("note"):
        out.print(f"Nothing planned: {safe(result['note'])}.", markup=False)
    s, settings = result["summary"], result["settings"]
    out.print(f"{s['visitors']} visitors, {s['hosts']} hosts, {s['days']} days "
              f"({', '.join(settings['days'])}): {s['visits']} visits of {s['wanted']} wanted, "
              f"total score {s['total_score']}, {s['unmet']} with fewer visits than wanted "
              f"(visits_per_person {settings['visits_per_person']}, "
              f"{s['places']} host places in all).", markup=False)
    solver = result.get("solver") or {}
    if solver and not solver.get("optimal"):
        gap = solver.get("gap")
        out.print(f"NOT proved optimal: stopped at the time limit of {solver['time_limit']} s "
                  f"while maximising the {solver.get('stopped_at')}, gap "
                  + ("unknown" if gap is None else f"{gap:.2%}") + "; raise "
                  "settings.time_limit to prove it.", markup=False)
    out.print(f"rules {result['rules_digest']}\ninput {result['input_digest']}", markup=False)
    out.print(safe_lines(committed) if committed else
              "Dry run: nothing was written. Add --commit to record this plan.", markup=False)


COMMANDS: list[click.Command] = [myjobdays]
