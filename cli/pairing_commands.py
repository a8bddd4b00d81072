"""`tandem pair`, `tandem explain` and `tandem rules ...`."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.errors import reports_errors
from cli.folder import check_calendar, outside_calendar_option, rules_used
from cli.options import as_of_option, db_option, format_option, rules_option, writer_options

if TYPE_CHECKING:
    from audit.state import ProgramState

_COHORT = click.argument("cohort", type=click.Path(path_type=Path, dir_okay=False))


def _date(value: datetime | None) -> Any:
    return value.date() if value else None


@click.command()
@_COHORT
@rules_option
@format_option("table", "json", "csv")
@as_of_option
@click.option("--commit", is_flag=True,
              help="Record the decisions in the audit log. Without it this is a dry run.")
@click.option("--actor", default=None,
              help="Who decides, recorded with --commit. Default: the OS user.")
@db_option
@writer_options
@outside_calendar_option
@reports_errors
def pair(cohort: Path, rules_dir: Path | None, fmt: str, as_of: datetime | None, commit: bool,
         actor: str | None, db_url: str | None, witness: Path | None,
         signing_key: Path | None, allow_other_tables: bool, outside_calendar: bool) -> None:
    """Pair a cohort under the rules and explain every decision.

    A dry run by default: it prints the pairs, the unpaired with why, and writes nothing.
    With --commit the run is recorded in the audit log, and people already in an active
    pair are left out. In a program folder, a cohort whose date (its as_of) falls outside
    the program's calendar is a warning, and --commit refuses it unless --outside-calendar.

    \b
    Examples:
      tandem pair examples/cohort.json
      tandem pair examples/cohort.csv --format json > pairs.json
      tandem pair examples/cohort.json --rules my-rules/ --format csv
      tandem pair examples/cohort.json --commit --actor "hr.jane"
      tandem pair examples/cohort.json --commit --witness /mnt/audit/witness.jsonl
    """
    from cli.render import print_problems
    from cli.views import pairs_csv, show_pairing
    from engine.base.errors import Problem
    from engine.evaluation.inputs import load_inputs, profiles_for_monitoring
    from engine.pairing.pipeline import pair_cohort

    loaded, rules, warnings = load_inputs(cohort, rules_dir, _date(as_of))
    print_problems(warnings)
    check_calendar([loaded.as_of], "pairing", commit=commit, outside_ok=outside_calendar)
    receipt_text = None
    if commit:
        from audit.commit import CommitInput, commit_run
        from audit.log.witness import WitnessConfig

        def compute(state: ProgramState) -> CommitInput:
            return CommitInput(pair_cohort(loaded, rules, standing=state.standing()),
                               rules.files_of("pairing"), profiles_for_monitoring(loaded))

        receipt = commit_run(db_url, actor or getpass.getuser(), compute,
                             witness=WitnessConfig.resolve(witness, signing_key),
                             allow_other_tables=allow_other_tables)
        result = receipt.result
        receipt_text = receipt.describe()
    else:
        from audit.commit import current_state

        result = pair_cohort(loaded, rules, standing=current_state(db_url).standing())
    print_problems(Problem(**w) for w in result["warnings"])
    if fmt == "json":
        from cli.render import print_json

        print_json(result, compact=len(result["pairs"]) > 200)
    elif fmt == "csv":
        sys.stdout.write(pairs_csv(result))
    else:
        show_pairing(result, receipt_text)
    click.echo(rules_used(rules_dir), err=True)  # last: the output is complete before it


@click.command()
@_COHORT
@click.argument("mentor_id")
@click.argument("mentee_id")
@rules_option
@format_option("table", "json")
@as_of_option
@db_option
@reports_errors
def explain(cohort: Path, mentor_id: str, mentee_id: str, rules_dir: Path | None, fmt: str,
            as_of: datetime | None, db_url: str | None) -> None:
    """Explain one pair, formed or not: the rules that fired, its score, its cost.

    For an eligible pair the best pairing did not choose, it says what forcing the pair
    would cost the cohort, in pairs and in total score. The rules read the couple's past
    from the audit log of --db when there is one.

    \b
    Examples:
      tandem explain examples/cohort.json M01 E01
      tandem explain examples/cohort.json M03 E12 --format json
    """
    from audit.commit import current_state
    from cli.views import show_explanation
    from engine.evaluation.inputs import load_inputs
    from engine.pairing.pipeline import explain_pair

    loaded, rules, _ = load_inputs(cohort, rules_dir, _date(as_of))
    report = explain_pair(loaded, rules, mentor_id, mentee_id,
                          standing=current_state(db_url).standing())
    if fmt == "json":
        from cli.render import print_json

        print_json(report)
    else:
        show_explanation(report)


@click.group()
def rules() -> None:
    """Check and show the rule files.

    \b
    Examples:
      tandem rules check
      tandem rules show --rules my-rules/
    """


@rules.command("check")
@rules_option
@format_option("table", "json")
@reports_errors
def rules_check(rules_dir: Path | None, fmt: str) -> None:
    """Check the rule files against the schema and for meaning.

    Every problem is reported with its file and line. Exit 0 when clean, 1 on errors.

    \b
    Examples:
      tandem rules check
      tandem rules check --rules my-rules/ --format json
    """
    from cli.render import console, print_json, safe
    from engine.base.resources import rules_dir as bundled
    from engine.evaluation.compile import compile_rules
    from engine.rules.ruleset import load_rules

    loaded = load_rules(rules_dir or bundled())
    compile_rules(loaded)  # the rulesets a pairing run builds, built the same way
    counts = {name: len(rs.rules) for name, rs in loaded.rulesets.items()}
    if fmt == "json":
        print_json({"valid": True, "rules": counts, "rules_digest": loaded.digest,
                    "my_job_days_digest": loaded.digest_of("my_job_days"), "errors": []})
        return
    pairing, my_job_days = counts["pairing"], counts["my_job_days"]
    console().print(f"{safe(loaded.directory)}: clean: {pairing} pairing "
                    f"rule{'' if pairing == 1 else 's'}, {my_job_days} my-job-day "
                    f"rule{'' if my_job_days == 1 else 's'} (pairing {loaded.digest}; my job "
                    f"days {loaded.digest_of('my_job_days')})", markup=False)


@rules.command("show")
@rules_option
@format_option("table", "json")
@reports_errors
def rules_show(rules_dir: Path | None, fmt: str) -> None:
    """Print the pairing rules as a readable table.

    \b
    Examples:
      tandem rules show
      tandem rules show --format json
    """
    from cli.views import show_rules
    from engine.base.resources import rules_dir as bundled
    from engine.rules.ruleset import constraint_table, load_rules, rule_table

    loaded = load_rules(rules_dir or bundled())
    rows = rule_table(loaded.pairing.rules)
    limits = constraint_table(loaded.pairing.constraints)
    if fmt == "json":
        from cli.render import print_json

        print_json({"settings": loaded.pairing.settings.as_dict(), "rules": rows,
                    "constraints": limits})
    else:
        show_rules(rows, loaded.pairing.settings.as_dict(), limits)


@rules.command("path")
def rules_path() -> None:
    """Print where the bundled rules live, to copy them and edit the copy.

    \b
    Examples:
      tandem rules path
      cp -r "$(tandem rules path)" my-rules/
    """
    from engine.base.resources import rules_dir as bundled

    click.echo(str(bundled()))


COMMANDS: list[click.Command] = [pair, explain, rules]
