"""`tandem checkin`, `tandem outcome`, `tandem insights` and `tandem rules compare`:
recording how pairs go, learning which criteria matter, testing a rule change."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from cli.errors import reports_errors
from cli.options import ID, RATING, as_of_option, db_option, format_option, witness_options

if TYPE_CHECKING:
    from audit.followup import FollowupReceipt

_DATE = click.DateTime(formats=["%Y-%m-%d"])
_ACTOR = click.option("--actor", default=None,
                      help="Who records it. Default: the OS user.")


@click.command()
@click.argument("mentor", required=False, type=ID)
@click.argument("mentee", required=False, type=ID)
@click.option("--rating", type=RATING, default=None, help="How the pair is going: 1 to 5.")
@click.option("--by", "by", type=click.Choice(["mentor", "mentee"]), default=None,
              help="Who answered.")
@click.option("--on", "on", type=_DATE, default=None,
              help="The day of the check-in (YYYY-MM-DD). Default: today.")
@click.option("--note", default=None,
              help="Free text; kept outside the hash chain, so that it can be erased.")
@click.option("--from", "from_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Import a survey export: CSV, JSON or JSONL with the columns "
                                 "mentor, mentee, on, by, rating, note.")
@click.option("--skip-invalid", is_flag=True,
              help="With --from: record the valid rows and list the others, instead of "
                   "writing nothing.")
@click.option("--allow-duplicates", is_flag=True,
              help="Record a check-in even when the log (or the file) already holds one of "
                   "the same pair, day, side and rating.")
@_ACTOR
@db_option
@witness_options
@format_option("table", "json")
@reports_errors
def checkin(mentor: str | None, mentee: str | None, rating: int | None, by: str | None,
            on: datetime | None, note: str | None, from_file: Path | None, skip_invalid: bool,
            allow_duplicates: bool, actor: str | None, db_url: str | None, fmt: str) -> None:
    """Record a check-in of an active pair: a rating from 1 to 5.

    A check-in is a fact reported by a person, not a decision: it is recorded at once, in
    the audit log. With --from, every row is checked first, and nothing is written unless
    all rows are valid (or --skip-invalid is given: the skipped rows are listed).

    \b
    Examples:
      tandem checkin M01 E07 --rating 4 --by mentee
      tandem checkin M01 E07 --rating 2 --on 2026-10-15 --note "hard to find time"
      tandem checkin --from survey.csv
      tandem checkin --from survey.jsonl --skip-invalid
    """
    from audit.followup import import_checkins, record_checkins
    from engine.followup.records import checkin_from_options

    if from_file is not None:
        if mentor or mentee or rating is not None or by or on or note:
            raise click.UsageError("give either MENTOR MENTEE --rating N, or --from FILE; "
                                   "a file's rows carry their own values")
        receipt = import_checkins(db_url, actor, from_file, skip_invalid=skip_invalid,
                                  allow_duplicates=allow_duplicates)
    else:
        if not (mentor and mentee) or rating is None:
            raise click.UsageError("give MENTOR MENTEE --rating N (1 to 5), or --from FILE")
        if skip_invalid:
            raise click.UsageError("--skip-invalid goes with --from FILE")
        fact = checkin_from_options(mentor, mentee, rating, on.date() if on else None, by,
                                    note)
        receipt = record_checkins(db_url, actor, [fact], allow_duplicates=allow_duplicates)
    _show_receipt(receipt, fmt)


def _show_receipt(receipt: FollowupReceipt, fmt: str) -> None:
    from cli.render import console, print_json, print_problems, safe_lines

    if receipt.skipped:
        print_problems(receipt.skipped)
    if fmt == "json":
        print_json(receipt.as_dict())
    else:
        console().print(safe_lines(receipt.describe()), markup=False)


@click.command()
@click.argument("mentor", type=ID)
@click.argument("mentee", type=ID)
@click.option("--result", "result", required=True,
              type=click.Choice(["success", "partial", "failure"]),
              help="How the pair ended.")
@click.option("--note", default=None,
              help="Free text; kept outside the hash chain, so that it can be erased.")
@click.option("--correct", is_flag=True,
              help="Correct the pair's recorded outcome: a `correction` entry supersedes it "
                   "(the earlier entry is kept as it was). Needs --reason.")
@click.option("--reason", default=None, help="Why the outcome is corrected (with --correct).")
@_ACTOR
@db_option
@witness_options
@format_option("table", "json")
@reports_errors
def outcome(mentor: str, mentee: str, result: str, note: str | None, correct: bool,
            reason: str | None, actor: str | None, db_url: str | None, fmt: str) -> None:
    """Record how a pair ended: success, partial or failure. The outcome ends the pair.

    An outcome is a fact reported by a person, not a decision: it is recorded at once.
    It ends the pair when it is active: both people are free, and no check-in follows.
    A wrong outcome is corrected with --correct --reason: the correction supersedes it,
    and `tandem insights` reads the latest. A pair separated for mismatch counts as a
    failure in `tandem insights` unless an outcome says otherwise; "partial" is its own
    result.

    \b
    Examples:
      tandem outcome M01 E07 --result success
      tandem outcome M03 E12 --result failure --note "never found a common slot"
      tandem outcome M01 E07 --result partial --correct --reason "Typed in the wrong row"
    """
    from audit.followup import record_correction, record_outcome
    from engine.followup.facts import Outcome, Result

    fact = Outcome(mentor, mentee, cast(Result, result), note)
    if correct:
        if reason is None:
            raise click.UsageError("--correct needs --reason TEXT: why the outcome changes")
        receipt = record_correction(db_url, actor, fact, reason)
    elif reason is not None:
        raise click.UsageError("--reason goes with --correct only")
    else:
        receipt = record_outcome(db_url, actor, fact)
    _show_receipt(receipt, fmt)


def _min_group(ctx: click.Context, param: click.Parameter, value: int) -> int:
    if value < 5:
        raise click.BadParameter("the smallest group shown can be raised from 5, never "
                                 "lowered")
    return value


MIN_GROUP_OPTION = click.option(
    "--min-group", type=int, default=5, show_default=True, callback=_min_group,
    help="Groups of fewer people or pairs show no count, rate or score (5 or more).")


@click.command()
@db_option
@click.option("--since", type=_DATE, default=None,
              help="Only pairs formed on or after this day (YYYY-MM-DD).")
@click.option("--question", default=None, metavar="CRITERION",
              help="One pre-specified test of this criterion, with its power.")
@click.option("--experiment", "run", default=None, metavar="RUN",
              help="Compare the arms of an experiment run (`tandem pair --experiment`).")
@click.option("--power", "plan", is_flag=True,
              help="How many ended pairs a test needs to see --difference at 80% power.")
@click.option("--difference", type=click.FloatRange(0.01, 0.9), default=0.15,
              show_default=True, help="With --question or --power: the difference in "
                                      "success rate to detect (0.15 is 15 points).")
@click.option("--share", type=click.FloatRange(0.05, 0.95), default=0.5, show_default=True,
              help="With --power: the share of pairs with the criterion.")
@click.option("--partial-as-failure", is_flag=True,
              help="Count a partial result as a failure (by default it is its own result).")
@MIN_GROUP_OPTION
@format_option("table", "json")
@reports_errors
def insights(db_url: str | None, since: datetime | None, question: str | None, run: str | None,
             plan: bool, difference: float, share: float, partial_as_failure: bool,
             min_group: int, fmt: str) -> None:
    """Which criteria go with pairs that succeed, adjusted for the score and the cohort.

    Covers the ended cohorts: a cohort with pairs still running is left out, with a count,
    because its failures arrive before its successes. Each criterion gets its success rates
    with 95% intervals, the difference unadjusted, and its odds ratio adjusted for the score
    and the cohort, with a p-value corrected within its family (the rules in force, or the
    other traits); below the documented minimums it says "not enough data". Each rule gets
    a plain recommendation, never applied automatically. See docs/test-and-learn.md.

    \b
    Examples:
      tandem insights
      tandem insights --since 2026-01-01 --format json
      tandem insights --question culture/same-job-family
      tandem insights --power --difference 0.15
      tandem insights --experiment 20270901T101530Z
    """
    from audit.insights import gather
    from audit.insights import report as insights_report
    from cli.learn_views import show_experiment, show_insights, show_plan, show_question
    from cli.render import print_json
    from engine.insights.report import plan as power_plan
    from engine.insights.report import question as one_question

    if sum(map(bool, (question, plan, run))) > 1:
        raise click.UsageError("give one of --question CRITERION, --power and --experiment "
                               "RUN")
    day = since.date() if since else None
    found: dict[str, object]
    if run:
        from audit.insights import experiment

        found = experiment(db_url, run, partial_as_failure=partial_as_failure,
                           difference=difference)
    elif question:
        found = one_question(gather(db_url, day, partial_as_failure=partial_as_failure),
                             question, difference=difference, min_group=min_group)
    elif plan:
        found = power_plan(gather(db_url, day, partial_as_failure=partial_as_failure),
                           difference=difference, share=share)
    else:
        found = insights_report(db_url, day, min_group=min_group,
                                partial_as_failure=partial_as_failure)
    if fmt == "json":
        print_json(found)
    elif run:
        show_experiment(found)
    elif question:
        show_question(found)
    elif plan:
        show_plan(found)
    else:
        show_insights(found)


@click.command("compare")
@click.argument("old_dir", type=click.Path(path_type=Path, file_okay=False))
@click.argument("new_dir", type=click.Path(path_type=Path, file_okay=False))
@click.argument("cohort", type=click.Path(path_type=Path, dir_okay=False))
@db_option
@click.option("--history/--no-history", default=None,
              help="Check the past pairs with an outcome in the audit log (default: when "
                   "--db or TANDEM_DB is given).")
@as_of_option
@format_option("table", "json")
@reports_errors
def rules_compare(old_dir: Path, new_dir: Path, cohort: Path, db_url: str | None,
                  history: bool | None, as_of: datetime | None, fmt: str) -> None:
    """What a rule change does, before it is made: rules, pairs and past outcomes.

    Lists the rules added, removed and changed, field by field; pairs COHORT under both
    rule sets (a dry run: nothing is written) and shows the pairs kept, gained and lost,
    the people newly paired or unpaired, and each changed pair's score under both, with
    the rules that made the difference. With --db, it also re-pairs the past cohorts and
    counts how many of the pairs that succeeded (and that failed) each rule set would form.

    \b
    Examples:
      tandem rules compare rules/ my-rules/ examples/cohort.json
      tandem rules compare rules/ my-rules/ next-cohort.csv --db sqlite:///program.db
      tandem rules compare rules/ my-rules/ next-cohort.csv --format json
    """
    from cli.learn_views import show_compare
    from cli.render import print_json, print_problems
    from engine.pairing.compare import compare
    from engine.profiles.validate import load_cohort
    from engine.rules.ruleset import load_rules

    old, new = load_rules(old_dir), load_rules(new_dir)
    loaded, warnings = load_cohort(cohort, new.vocabulary, as_of.date() if as_of else None)
    print_problems(warnings)
    past = None
    if history if history is not None else bool(db_url):
        from audit.insights import past_cohorts

        past = past_cohorts(db_url)
    found = compare(old, new, loaded, past)
    if fmt == "json":
        print_json(found)
    else:
        show_compare(found)


COMMANDS: list[click.Command] = [checkin, outcome, insights]
