"""`tandem erase`: a person's personal data deleted, and the erasure recorded."""

from __future__ import annotations

from datetime import datetime

import click

from cli.errors import reports_errors
from cli.options import db_option, format_option, witness_options


@click.command()
@click.argument("people", nargs=-1)
@click.option("--reason", required=True, help="Why the data is erased (recorded).")
@click.option("--ended-before", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The retention policy: erase everyone whose last pair ended (separation "
                   "or outcome) before this date, YYYY-MM-DD, and who is in no active pair.")
@click.option("--commit", is_flag=True,
              help="Delete and record. Without it this is a dry run that lists the rows.")
@click.option("--actor", default=None, help="Who erases, recorded. Default: the OS user.")
@db_option
@witness_options
@format_option("text", "json", default="text")
@reports_errors
def erase(people: tuple[str, ...], reason: str, ended_before: datetime | None, commit: bool,
          actor: str | None, db_url: str | None, fmt: str) -> None:
    """Erase people's personal data: their kept profiles, protected data and notes.

    The rows outside the chain are deleted, and an `erasure` entry per person records who
    erased, when, why and which rows (by digest, with no personal data). The chain still
    verifies: `tandem audit verify` reports those profiles as erased by that entry, and
    `audit show`, `history` and the report say "erased". A dry run by default.

    \b
    Examples:
      tandem erase E07 --reason "Asked for erasure (GDPR art. 17), ticket 4411"
      tandem erase E07 --reason "Asked for erasure" --commit --actor hr.jane
      tandem erase --ended-before 2025-01-01 --reason "Retention: 2 years" --commit
    """
    from audit.erase import describe
    from audit.erase import erase as erase_rows

    if bool(people) == (ended_before is not None):
        raise click.UsageError("give the PEOPLE to erase, or --ended-before DATE (one of the "
                               "two)")
    done = erase_rows(db_url, list(people), reason, actor, commit=commit,
                      ended_before=ended_before.date() if ended_before else None)
    if fmt == "json":
        from cli.render import print_json

        print_json(done.as_dict())
        return
    from cli.render import safe_lines

    seqs = range(done.first_seq, done.first_seq + len(done.erasures)) if done.committed else (
        [None] * len(done.erasures))
    for seq, e in zip(seqs, done.erasures, strict=True):
        click.echo(safe_lines(describe(e, seq)))
    if not done.erasures:
        click.echo("Nothing to erase" + (": the retention policy names no one with data kept."
                                         if ended_before else "."))
    if done.committed:
        click.echo(f"Erased and recorded in {done.db}; new head {done.head}. "
                   "`tandem audit verify` still passes and names these erasures.")
    elif done.erasures:
        click.echo("Dry run: nothing was erased. Add --commit to delete these rows and "
                   "record the erasure.")


def erasure_lines(db_url: str | None) -> str:
    """What `tandem audit verify` adds: the kept rows erased, each by its entry, and any kept
    profile gone with no erasure entry."""
    from audit.erase import accounting, describe

    found = accounting(db_url)
    lines = [describe(e, seq) + "." for seq, e in found.erasures]
    if found.erasures:
        lines.append(f"{len(found.erased)} kept profile(s) erased by these entries: erased, "
                     "not lost nor altered; the chain does not depend on them.")
    if found.unexplained:
        gone = ", ".join(f"{p} (run entry {s})" for s, p in found.unexplained[:20])
        more = len(found.unexplained) - 20
        lines.append(f"{len(found.unexplained)} kept profile(s) are gone with no erasure "
                     f"entry (deleted outside `tandem erase`): {gone}"
                     + (f" and {more} more" if more > 0 else "") + ".")
    return "".join(line + "\n" for line in lines)


COMMANDS: list[click.Command] = [erase]
