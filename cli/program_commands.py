"""The program's lifecycle: `tandem separate`, `reassign`, `decide`, `approve`, `reject`,
`withdraw`, `rejoin`, `history`. Each parses, calls one function of `audit.program` (or
`audit.review`), renders."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cli.errors import reports_errors
from cli.folder import check_calendar, outside_calendar_option
from cli.options import (
    ID,
    accept_warnings_option,
    as_of_option,
    db_option,
    format_option,
    rules_option,
    witness_options,
)

if TYPE_CHECKING:
    from audit.program import Recorded


F = TypeVar("F", bound=Callable[..., Any])


def _actor_option(func: F) -> F:
    return click.option("--actor", default=None,
                        help="Who decides, recorded in the entry. Default: the OS user.")(func)


def _reason_option(what: str) -> Callable[[F], F]:
    return click.option("--reason", required=True, help=f"Why {what}; recorded in the log.")


def _show_recorded(recorded: Recorded, fmt: str, done: str, next_step: str = "") -> None:
    from cli.render import print_json, safe, safe_lines
    from engine.base.canonical import canonical_json

    if fmt == "json":
        print_json(recorded.as_dict())
        return
    if not recorded.committed:
        click.echo("Dry run: nothing was written. With --commit, this entry would be recorded:")
        for doc in recorded.entries:
            click.echo("  " + safe(canonical_json(doc)))
        return
    seqs = [str(e["seq"]) for e in recorded.entries]
    click.echo(f"{done} in {safe(recorded.db)}: entr{'y' if len(seqs) == 1 else 'ies'} "
               f"{', '.join(seqs)}.")
    if next_step:
        click.echo(safe_lines(next_step))
    click.echo(f"New head: {recorded.head}\nKeep it outside the database; check later with "
               f"`tandem audit verify --expect-head {recorded.head}`.")


@click.command()
@click.argument("mentor", type=ID)
@click.argument("mentee", type=ID)
@_reason_option("the couple is separated")
@click.option("--category", default="other", show_default=True,
              help="Why, in one word of separation_categories (vocabulary.yaml): mismatch, "
                   "availability, left-company, conflict, completed, other.")
@click.option("--leaving", default=None, metavar="PERSON",
              help="With --category left-company: which of the two left. They are withdrawn "
                   "from the program in the same run.")
@_actor_option
@click.option("--commit", is_flag=True,
              help="Record the separation. Without it this is a dry run.")
@rules_option
@db_option
@witness_options
@format_option("text", "json", default="text")
@reports_errors
def separate(mentor: str, mentee: str, reason: str, category: str, leaving: str | None,
             actor: str | None, commit: bool, rules_dir: Path | None, db_url: str | None,
             fmt: str) -> None:
    """End an active pair: both people become free; nothing is deleted.

    A dry run by default: it shows the `separation` entry it would write. With --commit
    the entry is recorded, with the category, the reason, who and when. Refused, with
    nothing written, when the pair is not active or the reason is empty. A left-company
    separation names who left with --leaving: that person is withdrawn (`tandem
    withdraw`) in the same run, and no later run pairs them.

    \b
    Examples:
      tandem separate M01 E07 --reason "Sessions kept being cancelled" --category mismatch
      tandem separate M01 E07 --reason "E07 left" --category left-company --leaving E07 \\
        --commit
    """
    from audit.program import separate as record_separation
    from engine.base.resources import rules_dir as bundled
    from engine.rules.vocabulary import load_vocabulary

    categories = load_vocabulary(rules_dir or bundled()).separation_categories
    recorded = record_separation(db_url, actor, mentor=mentor, mentee=mentee, reason=reason,
                                 category=category, categories=categories, commit=commit,
                                 leaving=leaving)
    stay = mentee if leaving == mentor else mentor if leaving == mentee else None
    _show_recorded(recorded, fmt, f"Recorded the separation of {mentor} and {mentee}",
                   f"{leaving} is withdrawn from the program; {stay} is free: `tandem reassign "
                   "COHORT` finds them a new partner." if stay else
                   "Both are free: `tandem reassign COHORT` finds them new partners.")


def _person_command(verb: str, what: str) -> Callable[[Callable[..., None]], click.Command]:
    def wrap(func: Any) -> Any:
        for option in reversed([
            click.command(verb), click.argument("person"), _reason_option(what),
            _actor_option,
            click.option("--commit", is_flag=True,
                         help="Record it. Without it this is a dry run."),
            db_option, witness_options, format_option("text", "json", default="text"),
            reports_errors,
        ]):
            func = option(func)
        return func
    return wrap


@_person_command("withdraw", "the person leaves the program")
def withdraw(person: str, reason: str, actor: str | None, commit: bool, db_url: str | None,
             fmt: str) -> None:
    """Take a person out of the program: their active pairs end, and no later run,
    reassignment or my-job-day plan includes them.

    A dry run by default. With --commit a `separation` is recorded for each active pair
    (category other), then the `withdrawal`. `tandem rejoin` undoes it, as a new
    entry.

    \b
    Examples:
      tandem withdraw E14 --reason "Left the company on 30 November"
      tandem withdraw E14 --reason "Left the company on 30 November" --commit --actor hr.jane
    """
    from audit.program import withdraw as record_withdrawal

    recorded = record_withdrawal(db_url, actor, person=person, reason=reason, commit=commit)
    ended = len(recorded.entries) - 1
    _show_recorded(recorded, fmt, f"Recorded the withdrawal of {person}",
                   f"{ended} active pair{'' if ended == 1 else 's'} ended; no later run pairs "
                   f"{person} until `tandem rejoin {person}`.")


@_person_command("rejoin", "the person comes back")
def rejoin(person: str, reason: str, actor: str | None, commit: bool, db_url: str | None,
           fmt: str) -> None:
    """Bring a withdrawn person back into the program: later runs may pair them again.

    \b
    Examples:
      tandem rejoin E14 --reason "Back from leave" --commit
    """
    from audit.program import rejoin as record_rejoin

    recorded = record_rejoin(db_url, actor, person=person, reason=reason, commit=commit)
    _show_recorded(recorded, fmt, f"Recorded that {person} rejoins the program",
                   f"`tandem reassign COHORT {person}` finds them a partner.")


@click.command()
@click.argument("cohort", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("people", nargs=-1, type=ID)
@rules_option
@as_of_option
@_actor_option
@click.option("--commit", is_flag=True,
              help="Record the reassignments. Without it this is a dry run.")
@accept_warnings_option
@db_option
@witness_options
@format_option("table", "json")
@outside_calendar_option
@reports_errors
def reassign(cohort: Path, people: tuple[str, ...], rules_dir: Path | None,
             as_of: datetime | None, actor: str | None, commit: bool, accept_warnings: bool,
             db_url: str | None, fmt: str, outside_calendar: bool) -> None:
    """Find new partners for free people, with the rules, engine and explanations of `pair`.

    By default everyone of COHORT who is free is paired: mentees in no pair, mentors with
    places left. Given ids, only those people are paired; a role with no id given draws on
    everyone of that role who is free. Everyone else of COHORT is named with the reason the
    program leaves them out (already paired, their places full, withdrawn), in the dry run
    and with --commit; the log records the withdrawn and the free people left unpaired, as
    the state already says who is paired. The rules read each couple's past from the log: the
    bundled rule history/separated-couple never forms a separated couple again. With
    --commit the pairs are recorded as `reassignment` entries, each naming the separations
    that freed its people. Like `pair --commit`, it refuses while a warning about the
    rules stands, unless --accept-warnings is given, and in a program folder a cohort
    date (its as_of) outside the program's calendar is a warning, which --commit refuses
    unless --outside-calendar.

    \b
    Examples:
      tandem reassign examples/cohort.json
      tandem reassign examples/cohort.json E07 --commit --actor hr.jane
      tandem reassign examples/cohort.json M01 E07 E10 --format json
    """
    from audit.program import reassign as record_reassignment
    from cli.render import print_problems
    from cli.views import show_pairing
    from engine.evaluation.inputs import load_inputs

    loaded, rules, warnings = load_inputs(cohort, rules_dir, as_of.date() if as_of else None)
    print_problems(warnings)
    check_calendar([loaded.as_of], "reassignment", commit=commit,
                   outside_ok=outside_calendar)
    outcome = record_reassignment(db_url, actor, loaded, rules, people, commit=commit,
                                  accept_warnings=accept_warnings)
    result = outcome if isinstance(outcome, dict) else outcome.result
    if fmt == "json":
        from cli.render import print_json

        print_json(result)
    else:
        show_pairing(result, None if isinstance(outcome, dict) else outcome.describe())


@click.group()
def decide() -> None:
    """Record a human decision on one pair: force it, or forbid it in every later run.

    The `decision` entry keeps the actor, the reason, and what the rules said of the pair
    at that moment: its score, the rules that fired, and any exclusion.

    \b
    Examples:
      tandem decide force M03 E12 --reason "Asked by both" --commit
      tandem decide forbid M01 E05 --reason "Conflict of interest" --commit
    """


def _decide_options(func: Any) -> Any:
    for option in reversed([
        click.argument("mentor", type=ID), click.argument("mentee", type=ID),
        click.option("--cohort", "cohort_path", default=None,
                     type=click.Path(path_type=Path, dir_okay=False),
                     help="A cohort file with both people's profiles. Default: the profiles "
                          "the audit log keeps; a file that disagrees with them is refused."),
        _reason_option("you decide so"), rules_option, as_of_option, _actor_option,
        click.option("--commit", is_flag=True,
                     help="Record the decision. Without it this is a dry run."),
        db_option, witness_options, format_option("text", "json", default="text"),
        reports_errors,
    ]):
        func = option(func)
    return func


def _decide(choice: Any, mentor: str, mentee: str, cohort_path: Path | None, reason: str,
            rules_dir: Path | None, as_of: datetime | None, actor: str | None,
            db_url: str | None, fmt: str, override: bool, commit: bool,
            separate: bool = False) -> None:
    from audit.program import decide as record_decision
    from engine.base.resources import rules_dir as bundled
    from engine.evaluation.compile import compile_rules
    from engine.evaluation.inputs import load_inputs
    from engine.rules.ruleset import load_rules

    if cohort_path is not None:
        loaded, rules, _ = load_inputs(cohort_path, rules_dir, as_of.date() if as_of else None)
    else:
        loaded, rules = None, load_rules(rules_dir or bundled())
        compile_rules(rules)
    recorded = record_decision(db_url, actor, loaded, rules, choice=choice, mentor=mentor,
                               mentee=mentee, reason=reason, override_exclusion=override,
                               commit=commit, separate=separate,
                               categories=rules.vocabulary.separation_categories)
    entry = recorded.entries[-1]
    excluded = entry.get("excluded_by") or []
    judged = (f"The rules gave this pair a score of {entry['score']}"
              + (f" and excluded it ({', '.join(excluded)})" if excluded else "") + ".")
    after = ("The pair is a proposal: it becomes active with `tandem approve "
             f"{entry['run']}` by another person." if entry.get("approval") else
             "The pair is active." if choice == "force" else
             "Later runs never form this pair (rule history/forbidden-by-decision)."
             + (" The active pair was separated first." if len(recorded.entries) > 1 else ""))
    _show_recorded(recorded, fmt, f"Recorded the decision to {choice} {mentor} with {mentee}",
                   f"{judged} {after}")


@decide.command("force")
@_decide_options
@click.option("--override-exclusion", is_flag=True,
              help="Force the pair although a rule excludes it; the entry names the "
                   "exclusion overridden.")
def force(mentor: str, mentee: str, cohort_path: Path | None, reason: str,
          rules_dir: Path | None, as_of: datetime | None, actor: str | None, commit: bool,
          db_url: str | None, fmt: str, override_exclusion: bool) -> None:
    """Form a pair the optimiser did not choose. A dry run until --commit.

    The pair is active once recorded; with `approval: required` in the settings it is a
    proposal until another person approves it (`tandem approve RUN`). Refused when the
    mentee is paired, the mentor has no place left, either has withdrawn, or a rule
    excludes the pair and --override-exclusion is not given.

    \b
    Examples:
      tandem decide force M03 E12 --reason "Asked by both" --commit
      tandem decide force M01 E07 --reason "Retry after talks" --override-exclusion \\
        --actor hr.jane --commit
    """
    _decide("force", mentor, mentee, cohort_path, reason, rules_dir, as_of, actor, db_url,
            fmt, override_exclusion, commit)


@decide.command("forbid")
@_decide_options
@click.option("--separate", is_flag=True,
              help="The pair is active: record its separation with the forbid.")
def forbid(mentor: str, mentee: str, cohort_path: Path | None, reason: str,
           rules_dir: Path | None, as_of: datetime | None, actor: str | None, commit: bool,
           db_url: str | None, fmt: str, separate: bool) -> None:
    """Forbid a pair in every later run; its explanation names this decision. A dry run
    until --commit; it applies at once, even under `approval: required`, as it only
    removes options.

    Forbidding an active pair is refused unless --separate: then its separation is
    recorded first, in the same run.

    \b
    Examples:
      tandem decide forbid M01 E05 --reason "Conflict of interest" --commit
      tandem decide forbid M01 E07 --reason "Complaint upheld" --separate --commit
    """
    _decide("forbid", mentor, mentee, cohort_path, reason, rules_dir, as_of, actor, db_url,
            fmt, False, commit, separate)


@click.command()
@click.argument("run", type=ID)
@_actor_option
@db_option
@witness_options
@format_option("text", "json", default="text")
@reports_errors
def approve(run: str, actor: str | None, db_url: str | None, fmt: str) -> None:
    """Approve a proposed run: its pairs become active. The approver must not be the
    proposer.

    With `settings: {approval: required}` in the pairing settings, `pair --commit` and
    `reassign --commit` record proposals. RUN is the run id (or its unique start).

    \b
    Examples:
      tandem approve 20261215T090000Z-5e5e5e --actor hr.paul
      tandem status   # lists the pending proposals
    """
    from audit.program import approve as record_approval

    recorded = record_approval(db_url, actor, run)
    entry = recorded.entries[0]
    _show_recorded(recorded, fmt, f"Recorded the approval of run {entry['approves']}",
                   f"Its {len(entry['pairs'])} pairs are active.")


@click.command()
@click.argument("run", type=ID)
@_reason_option("the proposal is rejected")
@_actor_option
@db_option
@witness_options
@format_option("text", "json", default="text")
@reports_errors
def reject(run: str, reason: str, actor: str | None, db_url: str | None, fmt: str) -> None:
    """Reject a proposed run: none of its pairs is formed; its people are free again.

    \b
    Examples:
      tandem reject 20261215T090000Z-5e5e5e --reason "Wrong cohort file" --actor hr.paul
    """
    from audit.program import reject as record_rejection

    recorded = record_rejection(db_url, actor, run, reason)
    _show_recorded(recorded, fmt, f"Recorded the rejection of run {recorded.entries[0]['rejects']}",
                   "Its people are free again.")


@click.command()
@click.argument("person", type=ID)
@db_option
@format_option("table", "json")
@reports_errors
def history(person: str, db_url: str | None, fmt: str) -> None:
    """One person's timeline: pairs, separations, reassignments and decisions, oldest
    first, each with its reason and its entry number. The entries shown, their links, the
    head and the witness's last head are checked; a break leads with a warning and exits 1.

    \b
    Examples:
      tandem history E07
      tandem history M01 --format json
    """
    from audit.explain import summary, when
    from audit.review import history_checked, warning
    from cli.render import cell, console, safe, safe_lines

    checked = history_checked(db_url, person)
    if checked.finding is not None:
        click.echo(safe_lines(warning(checked.finding)), err=True)
    entries = checked.value
    if fmt == "json":
        from cli.render import print_json

        print_json([e.as_dict() for e in entries])
        raise SystemExit(0 if checked.ok else 1)
    from rich.table import Table

    table = Table(title=f"{safe(person)}: {len(entries)} entries, oldest first",
                  title_justify="left")
    for column in ("entry", "when (UTC)", "kind", "what", "by"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(cell(e.seq), cell(when(e.doc.get("at"))[:19]), cell(e.doc.get("kind")),
                      cell(summary(e.doc)), cell(e.doc.get("actor")))
    console().print(table)
    sys.stdout.flush()
    raise SystemExit(0 if checked.ok else 1)


COMMANDS: list[click.Command] = [separate, reassign, decide, approve, reject, withdraw, rejoin,
                                 history]
