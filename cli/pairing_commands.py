"""`tandem pair`, `tandem explain` and `tandem rules ...`."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.errors import batch_work, reports_errors
from cli.folder import check_calendar, outside_calendar_option, rules_used
from cli.options import (
    ID,
    accept_warnings_option,
    as_of_option,
    db_option,
    format_option,
    rules_option,
    writer_options,
)

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
@accept_warnings_option
@click.option("--experiment", "experiment", default=None, metavar="NEW_RULES",
              type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Run a rule change as an experiment: each mentee at random in arm A (the "
                   "rules in force) or arm B (these rules), one pairing for all.")
@click.option("--share", type=click.FloatRange(0.05, 0.95), default=0.5, show_default=True,
              help="With --experiment: the share of mentees in arm B.")
@click.option("--seed", type=click.IntRange(0), default=None,
              help="With --experiment: the random seed (recorded). Default: a fresh one.")
@db_option
@writer_options
@outside_calendar_option
@batch_work
@reports_errors
def pair(cohort: Path, rules_dir: Path | None, fmt: str, as_of: datetime | None, commit: bool,
         actor: str | None, accept_warnings: bool, experiment: Path | None, share: float,
         seed: int | None, db_url: str | None, witness: Path | None,
         signing_key: Path | None, allow_other_tables: bool, outside_calendar: bool) -> None:
    """Pair a cohort under the rules and explain every decision.

    A dry run by default: it prints the pairs, the unpaired with why, and writes nothing.
    With --commit the run is recorded in the audit log, and people already in an active
    pair are left out. While a warning about the rules stands (a constant no participant
    has, a rule that scores no pair that can be formed), --commit refuses and records
    nothing, unless --accept-warnings is given: the warnings are then kept in the run's
    entry. In a program folder, a cohort whose date (its as_of) falls outside the
    program's calendar is a warning, and --commit refuses it unless --outside-calendar.

    \b
    Examples:
      tandem pair examples/cohort.json
      tandem pair examples/cohort.csv --format json > pairs.json
      tandem pair examples/cohort.json --rules my-rules/ --format csv
      tandem pair examples/cohort.json --commit --actor "hr.jane"
      tandem pair examples/cohort.json --commit --witness /mnt/audit/witness.jsonl
      tandem pair examples/cohort.json --experiment my-rules/ --seed 7 --commit
    """
    from cli.render import print_problems
    from cli.views import pairs_csv, show_pairing
    from engine.base.errors import Problem
    from engine.evaluation.inputs import load_inputs, profiles_for_monitoring
    from engine.pairing.pipeline import pair_cohort
    from engine.profiles.questionnaire import with_style_evidence

    if experiment is None and (seed is not None or share != 0.5):
        raise click.UsageError("--share and --seed go with --experiment NEW_RULES")
    loaded, rules, warnings = load_inputs(cohort, rules_dir, _date(as_of))
    print_problems(warnings)
    check_calendar([loaded.as_of], "pairing", commit=commit, outside_ok=outside_calendar)
    receipt_text = None
    run_pairing = _experiment(loaded, rules, experiment, share, seed) if experiment else (
        lambda standing: pair_cohort(loaded, rules, standing=standing))
    if commit:
        from audit.commit import CommitInput, commit_run
        from audit.log.witness import WitnessConfig
        from engine.evaluation.rule_warnings import refuse_unaccepted
        from engine.pairing.pipeline import commit_warnings

        accepted = refuse_unaccepted(commit_warnings(loaded, rules), accept_warnings)

        def compute(state: ProgramState) -> CommitInput:
            result = with_style_evidence(run_pairing(state.standing()), loaded.program)
            if accepted:
                result = {**result, "accepted_warnings": accepted}
            other = {}
            if experiment is not None:
                from audit.log.entries import rules_text_digest
                from engine.rules.ruleset import load_rules

                files = load_rules(experiment).files_of("pairing")
                result["experiment"]["rules_text_digest_b"] = rules_text_digest(files)
                other = {str(result["experiment"]["rules_digest_b"]): files}
            return CommitInput(result, rules.files_of("pairing"),
                               profiles_for_monitoring(loaded), other,
                               source=loaded.program.get("import"))

        receipt = commit_run(db_url, actor or getpass.getuser(), compute,
                             witness=WitnessConfig.resolve(witness, signing_key),
                             allow_other_tables=allow_other_tables)
        result = receipt.result
        receipt_text = receipt.describe()
    else:
        from audit.commit import current_standing

        people = [p.id for p in (*loaded.mentors, *loaded.mentees)]
        result = with_style_evidence(run_pairing(current_standing(db_url, people)),
                                     loaded.program)
    print_problems(Problem(**w) for w in result["warnings"])
    if fmt == "json":
        from cli.render import print_json

        print_json(result, compact=len(result["pairs"]) > 200)
    elif fmt == "csv":
        sys.stdout.write(pairs_csv(result, loaded.by_id()))
    else:
        show_pairing(result, receipt_text)
        if "experiment" in result:
            design = result["experiment"]
            click.echo(f"Experiment: seed {design['seed']}; "
                       f"{sum(a == 'B' for a in design['arms'].values())} of "
                       f"{len(design['arms'])} mentees in arm B (the new rules); each pair's "
                       "arm is in --format json and, with --commit, in the audit log.")
    click.echo(rules_used(rules_dir), err=True)  # last: the output is complete before it


def _experiment(loaded: Any, rules: Any, new_dir: Path, share: float, seed: int | None
                ) -> Any:
    """The pairing of an experiment, as a function of the program's standing."""
    import secrets

    from engine.pairing.experiment import pair_experiment
    from engine.rules.ruleset import load_rules

    new = load_rules(new_dir)
    chosen = seed if seed is not None else secrets.randbelow(2**31)
    return lambda standing: pair_experiment(loaded, rules, new, share=share, seed=chosen,
                                            standing=standing)


@click.command()
@_COHORT
@click.argument("mentor_id", type=ID)
@click.argument("mentee_id", type=ID)
@rules_option
@format_option("table", "json")
@as_of_option
@db_option
@batch_work
@reports_errors
def explain(cohort: Path, mentor_id: str, mentee_id: str, rules_dir: Path | None, fmt: str,
            as_of: datetime | None, db_url: str | None) -> None:
    """Explain one pair, formed or not: the rules that fired, its score, its cost.

    For an eligible pair the best pairing did not choose, it says what forcing the pair
    would cost the cohort, in pairs and in total score. The rules read the couple's past
    from the audit log of --db when there is one, and the verdict then leads with the
    pair's status in the program: active since entry N, proposed, ended by entry N,
    forbidden by entry N, or never formed, and why (whom each person is paired with,
    the places left).

    \b
    Examples:
      tandem explain examples/cohort.json M01 E01
      tandem explain examples/cohort.json M03 E12 --format json
    """
    from audit.commit import current_standing
    from audit.explain import program_view, with_program
    from cli.views import show_explanation
    from engine.evaluation.inputs import load_inputs
    from engine.pairing.pipeline import explain_pair
    from engine.profiles.questionnaire import with_style_evidence

    loaded, rules, _ = load_inputs(cohort, rules_dir, _date(as_of))
    report = with_style_evidence(explain_pair(loaded, rules, mentor_id, mentee_id,
                                              standing=current_standing(
                                                  db_url, [p.id for p in (*loaded.mentors,
                                                                          *loaded.mentees)])),
                                 loaded.program)
    default = rules.pairing.settings.default_capacity
    program = program_view(db_url, mentor_id, mentee_id,
                           {p.id: p.capacity or default for p in loaded.mentors})
    if program is not None:
        report = with_program(report, program)
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
@click.option("--cohort", "cohort_path", default=None,
              type=click.Path(path_type=Path, dir_okay=False),
              help="Also refuse a rule's text constant that no participant of this cohort "
                   "has, for the fields whose values vocabulary.yaml does not declare.")
@format_option("table", "json")
@reports_errors
def rules_check(rules_dir: Path | None, cohort_path: Path | None, fmt: str) -> None:
    """Check the rule files against the schema and for meaning.

    Every problem is reported with its file and line. Exit 0 when clean, 1 on errors.
    A constant of a field whose known values vocabulary.yaml declares must be one of them;
    with --cohort, a constant of any other text field must be a value of the cohort.

    \b
    Examples:
      tandem rules check
      tandem rules check --rules my-rules/ --format json
      tandem rules check --rules my-rules/ --cohort examples/cohort.json
    """
    from cli.render import console, print_json, print_problems, safe
    from engine.base.errors import InvalidInput
    from engine.base.resources import rules_dir as bundled
    from engine.evaluation.compile import compile_rules
    from engine.profiles.questionnaire import check_questionnaire, questionnaire_problems
    from engine.rules.ruleset import load_rules

    directory = rules_dir or bundled()
    companions = questionnaire_problems(directory)
    try:
        loaded = load_rules(directory)
    except InvalidInput as exc:
        raise InvalidInput([*exc.problems, *companions], "rules") from None
    if companions:
        raise InvalidInput(companions, "rules")
    compile_rules(loaded)  # the rulesets a pairing run builds, built the same way
    if loaded.warnings:
        print_problems(loaded.warnings)
    if cohort_path is not None:
        from engine.base.errors import InvalidInput
        from engine.evaluation.rule_warnings import constant_warnings
        from engine.profiles.validate import load_cohort

        cohort, _ = load_cohort(cohort_path, loaded.vocabulary)
        unknown = constant_warnings(loaded.pairing.rules, cohort.participants,
                                    loaded.vocabulary, severity="error")
        if unknown:
            raise InvalidInput(unknown, "rules")
    questionnaire = check_questionnaire(directory, loaded.vocabulary)
    counts = {name: len(rs.rules) for name, rs in loaded.rulesets.items()}
    if fmt == "json":
        print_json({"valid": True, "rules": counts, "rules_digest": loaded.digest,
                    "my_job_days_digest": loaded.digest_of("my_job_days"),
                    "questionnaire_digest": questionnaire.digest if questionnaire else None,
                    "errors": []})
        return
    pairing, my_job_days = counts["pairing"], counts["my_job_days"]
    console().print(f"{safe(loaded.directory)}: clean: {pairing} pairing "
                    f"rule{'' if pairing == 1 else 's'}, {my_job_days} my-job-day "
                    f"rule{'' if my_job_days == 1 else 's'} (pairing {loaded.digest}; my job "
                    f"days {loaded.digest_of('my_job_days')})", markup=False)
    if questionnaire is not None:
        console().print(f"{safe(questionnaire.file)}: clean: {len(questionnaire.items)} "
                        f"statements over {len(questionnaire.styles)} styles "
                        f"({questionnaire.digest})", markup=False)


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
