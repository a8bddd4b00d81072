"""`tandem report` (the compliance report, one HTML page) and `tandem fairness`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.errors import reports_errors
from cli.learn_commands import MIN_GROUP_OPTION
from cli.options import (
    ID,
    as_of_option,
    db_option,
    format_option,
    rules_option,
    witness_check_options,
)

if TYPE_CHECKING:
    from engine.fairness import FairnessReport, GroupFigure


@click.command()
@db_option
@click.option("--run", "runs", type=ID, multiple=True, metavar="RUN",
              help="Only this run (its id, or the start of it). Repeat for several.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Only runs and events recorded on or after this date (UTC), YYYY-MM-DD.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("tandem-report.html"), show_default=True,
              help="The HTML file to write.")
@witness_check_options
@MIN_GROUP_OPTION
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day the due summary looks from, YYYY-MM-DD. Default: today.")
@reports_errors
def report(db_url: str | None, runs: tuple[str, ...], since: datetime | None,
           out: Path, witness: Path | None, public_key: Path | None, min_group: int,
           today: datetime | None) -> None:
    """Write the compliance report: one self-contained HTML page for a reviewer.

    The program at a glance and the state of the hash chain, every run with its rules,
    pairs, evidence and unpaired people, the lifecycle timeline, and fairness figures by
    group (the four-fifths rule, exact tests). No script, no external address: it opens
    from a USB stick with no network, and prints to PDF section by section. In a program
    folder it names the program and checks the chain against the folder's witness, and
    when its file sets a calendar the glance ends with what `tandem due` lists (pairs gone
    quiet, outcomes missing past the end, the coming week's visits). The file is
    written beside its target and renamed into place when complete; a file of the audit
    database is refused. The chain is checked as `tandem audit verify` checks it, against
    the witness (--witness, TANDEM_WITNESS) and its signatures (--public-key,
    TANDEM_PUBLIC_KEY) when given, so a cut or rewritten tail is caught. When the hash
    chain is broken, the page is still written, with the warning first, and the command
    exits 1.

    \b
    Examples:
      tandem report
      tandem report --out audit-2026.html --since 2026-09-01
      tandem report --run 20260901T101530Z --db postgresql+psycopg://hr@db/tandem
      tandem report --witness /mnt/worm/tandem.witness --public-key tandem.key.pub
    """
    if public_key is not None and witness is None:
        raise click.UsageError("--public-key checks the witness's signatures: give "
                               "--witness FILE too")
    from audit.log.db import database_files, resolve_url
    from audit.report import gather_report
    from cli.folder import program_calendar
    from cli.outfile import check_target, output
    from engine.report.html import render_pieces

    protected = database_files(resolve_url(db_url))
    check_target(out, protected)
    made = gather_report(db_url, runs, since.date() if since else None, witness=witness,
                         public_key=public_key, min_group=max(min_group, _smallest_group()),
                         calendar=program_calendar(), today=today.date() if today else None)
    with output(out, protected) as stream:
        for piece in render_pieces(made):
            stream.write(piece)
    chain = ("chain intact" if made.chain.ok else
             f"CHAIN BROKEN at entry {made.chain.finding_seq}")
    found = sum(len(r.fairness.disadvantages) for r in made.runs if r.fairness)
    chance = sum(len(r.fairness.chance_flags) for r in made.runs if r.fairness)
    events = len(made.timeline) + (made.checkins.count if made.checkins else 0)
    click.echo(f"Wrote {out}: {len(made.runs)} run{'' if len(made.runs) == 1 else 's'}, "
               f"{events} lifecycle events, {found} significant disadvantage"
               f"{'' if found == 1 else 's'} and {chance} flag{'' if chance == 1 else 's'} "
               f"that could be chance; {chain}.", err=True)
    if not made.chain.ok:
        raise SystemExit(1)  # the page is written, and says so first; scripts must notice


@click.command()
@click.argument("cohort", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--run", type=ID, default=None, metavar="RUN",
              help="A committed pairing run (its id, or the start of it) instead of a cohort.")
@rules_option
@as_of_option
@db_option
@MIN_GROUP_OPTION
@format_option("table", "json")
@reports_errors
def fairness(cohort: Path | None, run: str | None, rules_dir: Path | None,
             as_of: datetime | None, db_url: str | None, min_group: int, fmt: str) -> None:
    """Fairness figures of a pairing: the pairing rate by group against the largest group,
    the four-fifths rule, and Fisher exact p-values corrected per role and attribute.

    Groups of fewer than --min-group people (5) show no count, rate or score, and other
    groups are hidden as needed so that none can be recovered by subtraction.

    With COHORT it pairs the cohort as a dry run, as `tandem pair COHORT` would against the
    log's active pairs (nothing is written), so that a rule change can be checked for
    disparate impact before it is committed. With --run it reads a committed run and the
    profiles kept for it.

    \b
    Examples:
      tandem fairness examples/cohort.json
      tandem fairness examples/cohort.json --rules my-rules/ --format json
      tandem fairness --run 20260901T101530Z
    """
    if (cohort is None) == (run is None):
        raise click.UsageError("give a COHORT file or --run RUN (one of the two)")
    source: dict[str, Any]
    if cohort is not None:
        from cli.render import print_problems
        from engine.evaluation.inputs import load_inputs
        from engine.fairness import fairness_of_pairing
        from engine.pairing.pipeline import pair_cohort

        loaded, rules, warnings = load_inputs(cohort, rules_dir,
                                              as_of.date() if as_of else None)
        print_problems(warnings)
        from audit.commit import current_state

        result = pair_cohort(loaded, rules, standing=current_state(db_url).standing())
        figures = fairness_of_pairing(result["pairs"], result["unpaired"],
                                      {p.id: p.as_record() for p in loaded.participants},
                                      loaded.as_of, max(min_group, _smallest_group()))
        source = {"cohort": str(cohort), "rules_digest": result["rules_digest"],
                  "input_digest": result["input_digest"], "as_of": result["as_of"]}
    else:
        from audit.report import run_fairness

        head, figures = run_fairness(db_url, str(run), max(min_group, _smallest_group()))
        source = {"run": head.get("run"), "rules_digest": head.get("rules_digest"),
                  "input_digest": head.get("input_digest"), "as_of": head.get("as_of")}
    if fmt == "json":
        from cli.render import print_json

        print_json({**source, "people": figures.people, "erased": list(figures.erased),
                    "protected_attributes": list(figures.protected_attributes),
                    "min_group": figures.min_group,
                    "disadvantages": len(figures.disadvantages),
                    "chance_flags": len(figures.chance_flags),
                    "groups": [f.as_dict() for f in figures.figures]})
    else:
        _print_fairness(source, figures)


def _verdict(f: GroupFigure) -> str:
    if f.too_small:
        return "too small to show"
    if f.suppressed:
        return "hidden (protects a small group)"
    if f.reference:
        return "reference (largest group)"
    if f.disadvantage:
        return "DISADVANTAGE: under four fifths, significant"
    if f.flagged:
        return "under four fifths, could be chance"
    if f.significant:
        return f"{f.direction}, significant"
    return ""


def _hidden(value: object, text: str) -> str:
    return "-" if value is None else text
def _smallest_group() -> int:
    """The program file's smallest group shown in statistics, else the default."""
    from cli.folder import current_settings
    from engine.fairness import TOO_SMALL

    settings = current_settings()
    return settings.smallest_group if settings else TOO_SMALL


def _print_fairness(source: dict[str, Any], figures: FairnessReport) -> None:
    from rich.table import Table

    from cli.render import cell, console, safe

    out = console()
    for role, attribute, rows in figures.sections():
        table = Table(title=safe(f"{role}s by {attribute.replace('_', ' ')}"),
                      title_justify="left")
        for column in ("group", "people", "paired", "rate (95% interval)", "mean score",
                       "ratio to reference", "p (adjusted)", "verdict"):
            table.add_column(column, justify="left" if column in ("group", "verdict")
                             else "right")
        for f in rows:
            table.add_row(cell(f.group), _hidden(f.people, str(f.people)),
                          _hidden(f.paired, str(f.paired)),
                          "-" if f.rate is None or f.rate_low is None or f.rate_high is None
                          else f"{f.rate:.0%} ({f.rate_low:.0%}-{f.rate_high:.0%})",
                          "-" if f.mean_score is None else f"{f.mean_score:.1f}",
                          "-" if f.ratio is None else f"{f.ratio:.2f}",
                          ("-" if f.p_value is None else f"{f.p_value:.3f}")
                          + ("" if f.p_adjusted is None else f" ({f.p_adjusted:.3f})"),
                          _verdict(f))
        out.print(table)
    where = safe(source.get("cohort") or f"run {source.get('run')}")
    found, chance = figures.disadvantages, figures.chance_flags

    def against(f: GroupFigure) -> str:
        ref = figures.reference(f.role, f.attribute)
        return (f"{f.role} {f.attribute}={f.group} ({f.rate:.0%} against {ref.rate:.0%} for "
                f"{ref.group}, the reference)" if ref and ref.rate is not None
                and f.rate is not None else f"{f.role} {f.attribute}={f.group}")

    out.print(f"{where}: {figures.people} candidates; {len(found)} significant "
              f"disadvantage{'' if len(found) == 1 else 's'}"
              + (f": {safe('; '.join(against(f) for f in found))}" if found else "")
              + f"; {len(chance)} group{'' if len(chance) == 1 else 's'} under four fifths "
              "that could be chance"
              + (f" ({safe(', '.join(f'{f.role} {f.attribute}={f.group}' for f in chance))})"
                 if chance else "") + ".", markup=False)
    hidden = sum(1 for f in figures.figures if f.suppressed)
    if hidden:
        out.print(f"{hidden} group{'' if hidden == 1 else 's'} hidden: fewer than "
                  f"{figures.min_group} people, or needed to stop a small group being "
                  "recovered by subtraction.", markup=False)
    if figures.erased:
        out.print(f"{len(figures.erased)} profiles were erased and are not counted: "
                  f"{safe(', '.join(figures.erased))}.", markup=False)
    if not figures.protected_attributes:
        out.print("No protected data in these profiles: only subsidiary and job family.",
                  markup=False)


COMMANDS: list[click.Command] = [report, fairness]
