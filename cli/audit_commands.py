"""`tandem audit ...`, `tandem db ...` and `tandem status`: read and check the audit log."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.errors import reports_errors
from cli.options import COUNT, ID, SEQ, db_option, format_option

LIST_LIMIT = 25  # rows of each `tandem status` table without --all

if TYPE_CHECKING:
    from audit.log.chain import Finding, Head, VerifyReport
    from audit.review import LoggedEntry
    from audit.state import ProgramState


def _pair(_ctx: click.Context, _param: click.Parameter, value: str | None
          ) -> tuple[str, str] | None:
    if value is None:
        return None
    mentor, sep, mentee = value.partition(":")
    if not (sep and mentor.strip() and mentee.strip()):
        raise click.BadParameter(f"{value!r} is not MENTOR:MENTEE, e.g. M01:E07")
    return mentor, mentee


def _head(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Head | None:
    from audit.log.chain import parse_head

    try:
        return parse_head(value) if value else None
    except ValueError as exc:
        raise click.BadParameter(f"{exc}; give the head `tandem audit verify` printed") from None


@click.group()
def audit() -> None:
    """Read and check the audit log: every committed decision, why, and by whom.

    \b
    Examples:
      tandem audit log --person M01
      tandem audit show 2
      tandem audit verify --expect-head 41:3f5a...
      tandem audit export --format csv --out audit.csv
    """


@audit.command("log")
@click.option("--person", type=ID, default=None, help="Only entries about this person (an id).")
@click.option("--pair", default=None, callback=_pair, metavar="MENTOR:MENTEE",
              help="Only entries about this pair.")
@click.option("--run", type=ID, default=None,
              help="Only entries of this run (its id, or the start).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Only entries recorded on or after this date (UTC), YYYY-MM-DD.")
@click.option("--limit", type=COUNT, default=None, help="At most N entries.")
@db_option
@format_option("table", "json")
@reports_errors
def log_command(person: str | None, pair: tuple[str, str] | None, run: str | None,
                since: datetime | None, limit: int | None, db_url: str | None, fmt: str) -> None:
    """List audit entries, newest first.

    \b
    Examples:
      tandem audit log
      tandem audit log --person E07 --format json
      tandem audit log --pair M01:E07
      tandem audit log --run 20260901T101530Z --since 2026-09-01
    """
    from contextlib import closing

    from audit.review import LogFilter, log_chunks

    with closing(log_chunks(db_url, LogFilter(person, pair, run, since, limit))) as chunks:
        first = next(chunks)
        second = next(chunks, None)
        if second is None:  # it fits in one chunk: one table, one JSON array
            _warn(first.finding)
            _print_entries(first.value, first.finding, fmt)
            raise SystemExit(0 if first.ok else 1)
        finding = _stream_log([first, second], chunks, fmt)
    raise SystemExit(0 if finding is None else 1)


def _verified(entries: list[LoggedEntry], finding: Finding | None) -> list[dict[str, Any]]:
    trusted = finding.trusted_upto if finding else None
    return [{**e.as_dict(), "verified": trusted is None or e.seq <= trusted} for e in entries]


def _print_entries(entries: list[LoggedEntry], finding: Finding | None, fmt: str) -> None:
    if fmt == "json":
        from cli.render import print_json

        print_json(_verified(entries, finding))
    else:
        _print_log(entries)


def _stream_log(head: list[Any], rest: Any, fmt: str) -> Finding | None:
    """Print chunk after chunk as they are read: the warning before the first chunk that
    finds a break; JSON as one array written item by item; a table per chunk."""
    import itertools
    import sys

    from audit.explain import subject, summary, when
    from cli.render import cell, console, json_item

    warned: Finding | None = None
    out = console()
    if fmt == "json":
        sys.stdout.write("[")
    first = True
    for checked in itertools.chain(head, rest):
        if checked.finding is not None and warned is None:
            warned = checked.finding
            _warn(warned)
        if fmt == "json":
            for item in _verified(checked.value, checked.finding):
                sys.stdout.write(("\n" if first else ",\n") + json_item(item))
                first = False
            continue
        table = _table("audit entries, newest first" if first else "", "seq", "when (UTC)",
                       "kind", "run", "who", "what")
        table.show_header = first
        first = False
        for e in checked.value:
            table.add_row(cell(e.seq), cell(when(e.doc.get("at"))[:19]),
                          cell(e.doc.get("kind")), cell(e.doc.get("run")),
                          cell(subject(e.doc)), cell(summary(e.doc)))
        out.print(table)
    if fmt == "json":
        sys.stdout.write("\n]\n")
    return warned


@audit.command("show")
@click.argument("seq", type=SEQ)
@click.option("--rules-text", is_flag=True, help="Also print the rule files in force.")
@db_option
@format_option("text", "json", default="text")
@reports_errors
def show_command(seq: int, rules_text: bool, db_url: str | None, fmt: str) -> None:
    """Explain one audit entry in full, for a compliance reviewer.

    The decision in a sentence, every rule that fired with its reason and evidence, who
    committed it and when, the rules and input digests, and the entry's place in the chain.

    \b
    Examples:
      tandem audit show 2
      tandem audit show 2 --rules-text
      tandem audit show 2 --format json
    """
    from audit.explain import explain
    from audit.review import show

    view = show(db_url, seq, rules_text=rules_text)
    _warn(view.finding)
    if fmt == "json":
        from cli.render import print_json

        print_json(view.as_dict())
    else:
        from cli.render import safe_lines

        click.echo(safe_lines("\n".join(explain(view))))
    raise SystemExit(0 if view.finding is None else 1)


@audit.command("verify")
@click.option("--expect-head", callback=_head, default=None, metavar="SEQ:HASH",
              help="A head printed earlier and kept outside the database: also detect a "
                   "removed or rewritten tail.")
@click.option("--witness", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default=None, envvar="TANDEM_WITNESS", show_envvar=True,
              help="Check every head this witness file lists, and that it lists the last.")
@click.option("--public-key", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default=None, envvar="TANDEM_PUBLIC_KEY", show_envvar=True,
              help="Require every witness line to be signed by this key.")
@db_option
@format_option("text", "json", default="text")
@reports_errors
def verify_command(expect_head: Head | None, witness: Path | None, public_key: Path | None,
                   db_url: str | None, fmt: str) -> None:
    """Recompute the whole hash chain. Exit 0 when intact, 1 naming the first bad entry.

    With --witness, every head the witness lists must still be in the chain, unchanged,
    and the chain must end at a head it lists: a rewrite, a truncation or an appended
    forgery is caught. With --public-key, every witness line must be signed by that key.
    The program's state kept for fast reads is compared with a fold of the log from entry
    1; one that disagrees is reported and rebuilt.

    \b
    Examples:
      tandem audit verify
      tandem audit verify --expect-head 41:3f5a...
      tandem audit verify --witness witness.jsonl --public-key audit.key.pub
      tandem audit verify --db postgresql+psycopg://hr@db/tandem --format json
    """
    from audit.log.verify import verify
    from audit.state import KeptStateCheck

    if public_key and not witness:
        raise click.UsageError("--public-key checks the witness's signatures: give "
                               "--witness FILE too")
    report = verify(db_url, expect_head, witness=witness, public_key=public_key,
                    state_check=KeptStateCheck)
    if fmt == "json":
        from cli.render import print_json

        print_json(report.as_dict())
    else:
        from cli.erase_commands import erasure_lines
        from cli.render import safe_lines

        click.echo(safe_lines(_verify_text(report)))
        if report.ok:
            click.echo(safe_lines(erasure_lines(db_url)), nl=False)
    raise SystemExit(0 if report.ok else 1)


@audit.command("export")
@format_option("jsonl", "csv", "xlsx", default="jsonl")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write to this file instead of standard output.")
@click.option("--snapshots", is_flag=True,
              help="JSON lines only: also export the kept profiles (personal data).")
@db_option
@reports_errors
def export_command(fmt: str, out: Path | None, snapshots: bool, db_url: str | None) -> None:
    """Export every entry for archiving: JSON lines (with the rules texts), CSV, or a
    workbook (xlsx: runs, pairs with one column per rule, unpaired, lifecycle events).

    The CSV and the workbook are safe to open in a spreadsheet: a cell that starts with
    = + - @, a tab or a carriage return is written with a leading ' so it is never run as
    a formula. A workbook needs --out.

    With --out, the file is written beside its target and renamed into place only when the
    export is complete; a file of the audit database, or any SQLite database, is refused.

    \b
    Examples:
      tandem audit export > audit.jsonl
      tandem audit export --format csv --out audit.csv
      tandem audit export --snapshots --out archive.jsonl
      tandem audit export --format xlsx --out audit.xlsx
    """
    from audit.export import export
    from audit.log.db import database_files, resolve_url
    from cli.outfile import output

    if fmt == "xlsx":
        _export_workbook(out, db_url)
        return
    with output(out, protected=database_files(resolve_url(db_url))) as stream:
        count = export(db_url, fmt, stream, snapshots=snapshots)
    if out is not None:
        click.echo(f"Exported {count} entries to {out}", err=True)


def _export_workbook(out: Path | None, db_url: str | None) -> None:
    from audit.log.db import database_files, resolve_url
    from audit.workbook import export_workbook
    from cli.outfile import check_target, write_bytes

    if out is None:
        raise click.UsageError("--format xlsx writes a workbook: give --out FILE.xlsx")
    protected = database_files(resolve_url(db_url))
    check_target(out, protected)
    data, count = export_workbook(db_url)
    write_bytes(out, data, protected)
    click.echo(f"Exported {count} entries to {out}", err=True)


@audit.command("keygen")
@click.argument("name", type=ID)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Private key file to create; the public key goes to FILE.pub.")
@reports_errors
def keygen_command(name: str, out: Path) -> None:
    """Make an Ed25519 key pair that signs the heads written to the witness.

    NAME names the key and the log in each signed checkpoint (C2SP signed note), for
    example hr.example.com/tandem-audit. Keep the private key with the account that
    commits; give the public key to the reviewers who verify.

    \b
    Examples:
      tandem audit keygen hr.example.com/tandem-audit --out audit.key
      tandem pair cohort.json --commit --witness w.jsonl --signing-key audit.key
      tandem audit verify --witness w.jsonl --public-key audit.key.pub
    """
    from audit.log.witness import write_key_pair

    public_path, key = write_key_pair(name, out)
    click.echo(f"Private key: {out} (keep it secret; it signs the witness's heads)\n"
               f"Public key:  {public_path}\n{key.text()}")


@click.group()
def db() -> None:
    """Manage the audit database's schema.

    \b
    Examples:
      tandem db current
      tandem db upgrade --db postgresql+psycopg://hr@db/tandem
    """


@db.command("upgrade")
@click.option("--allow-other-tables", is_flag=True,
              help="Create the audit tables even in a database that holds other tables.")
@db_option
@reports_errors
def upgrade_command(allow_other_tables: bool, db_url: str | None) -> None:
    """Create the audit schema, or migrate it to this Tandem's revision. Safe to repeat.

    \b
    Examples:
      tandem db upgrade
      TANDEM_DB=postgresql+psycopg://hr@db/tandem tandem db upgrade
    """
    from audit.log.migrate import upgrade

    click.echo(upgrade(db_url, allow_other_tables=allow_other_tables).describe())


@db.command("current")
@db_option
@reports_errors
def current_command(db_url: str | None) -> None:
    """Show the audit schema's revision, and whether `tandem db upgrade` is needed.

    \b
    Examples:
      tandem db current
      tandem db current --db sqlite:///archive/tandem.db
    """
    from audit.log.migrate import current

    click.echo(current(db_url).describe_current())


@db.command("grant")
@click.argument("role", type=ID)
@click.option("--dry-run", is_flag=True, help="Print the SQL without running it.")
@db_option
@reports_errors
def grant_command(role: str, dry_run: bool, db_url: str | None) -> None:
    """Let a PostgreSQL role read and append to the audit log, and nothing more.

    Run it as the owner of the tables. Then run Tandem as ROLE: it cannot update, delete,
    truncate or switch the triggers off. ROLE must exist and be neither a superuser nor
    the owner.

    \b
    Examples:
      tandem db grant tandem_app --db postgresql+psycopg://owner@db/tandem
      tandem db grant tandem_app --dry-run
    """
    from audit.log.grant import grant

    report = grant(db_url, role, dry_run=dry_run)
    if dry_run:
        click.echo("\n".join(f"{s};" for s in report.statements))
    else:
        click.echo(report.describe())


@click.command()
@db_option
@click.option("--all", "show_all", is_flag=True,
              help=f"List every row of every table; by default a table shows its first "
                   f"{LIST_LIMIT} rows and says how many more there are.")
@format_option("table", "json")
@reports_errors
def status(db_url: str | None, show_all: bool, fmt: str) -> None:
    """Show the active pairs (and how long each has run), the free people, the mentors
    with places left, the people who withdrew, the proposals waiting for approval and the
    separations of the last 90 days, derived from the log.

    Each table gives its count and its first rows; --all lists them all. The JSON output
    is always complete. The last committed my-job-day plan, kept apart from the pairing,
    is named after them; in a program folder with a calendar, what `tandem due` lists
    comes last.

    \b
    Examples:
      tandem status
      tandem status --all
      tandem status --format json
    """
    from datetime import UTC

    from audit.myjobdays import latest_plan
    from audit.review import chain_dict, status_view

    checked = status_view(db_url)
    _warn(checked.finding)
    view = checked.value
    state: ProgramState = view.state
    plan = latest_plan(db_url)
    now = datetime.now(UTC)
    if fmt == "json":
        from cli.render import print_json

        report = state.as_dict()
        recent = {s.seq for s in state.recent_separations(now)}
        report["separations"] = [s for s in report["separations"] if s["seq"] in recent]
        report["chain"] = chain_dict(checked.finding)
        print_json({**report, "places_left": dict(view.places), "my_job_days": plan})
    else:
        _print_status(state, now, view.places, None if show_all else LIST_LIMIT)
        _print_plan(plan)
        from cli.calendar_commands import print_due_section

        print_due_section(db_url)
    raise SystemExit(0 if checked.ok else 1)


# -- rendering ------------------------------------------------------------------------------

def _warn(finding: Finding | None) -> None:
    """Lead with the warning, on stderr, when the chain is broken up to what is printed."""
    if finding is not None:
        from audit.review import warning
        from cli.render import safe_lines

        click.echo(safe_lines(warning(finding)), err=True)


def _table(title: str, *columns: str) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _print_log(entries: list[LoggedEntry]) -> None:
    from audit.explain import subject, summary, when
    from cli.render import cell, console

    table = _table(f"{len(entries)} audit entries, newest first", "seq", "when (UTC)",
                   "kind", "run", "who", "what")
    for e in entries:
        table.add_row(cell(e.seq), cell(when(e.doc.get("at"))[:19]), cell(e.doc.get("kind")),
                      cell(e.doc.get("run")), cell(subject(e.doc)), cell(summary(e.doc)))
    console().print(table)


def _print_status(state: ProgramState, now: datetime, places: Mapping[str, int],
                  limit: int | None) -> None:
    """The tables of `tandem status`, each cut after ``limit`` rows (None: every row): only
    the rows shown are rendered."""
    from audit.explain import days_since, when
    from cli.render import cell, console

    out = console()

    def shown(title: str, items: Sequence[Any], row: Callable[[Any], Sequence[Any]],
              *columns: str) -> None:
        table = _table(title, *columns)
        for item in items[:limit] if limit is not None else items:
            table.add_row(*(cell(value) for value in row(item)))
        out.print(table)
        if limit is not None and len(items) > limit:
            out.print(f"... and {len(items) - limit} more (`tandem status --all` lists them "
                      "all).", markup=False)

    shown(f"{len(state.active)} active pairs", state.active,
          lambda p: (p.mentor, p.mentee, f"{p.score:g}", when(p.since),
                     days_since(p.since, now), p.run, p.seq),
          "mentor", "mentee", "score", "since", "days", "run", "entry")
    shown(f"{len(state.free)} free {'person' if len(state.free) == 1 else 'people'}",
          state.free, lambda f: (f.id, f.role, f.reason, f.seq if f.seq else ""),
          "id", "role", "last reason", "entry")
    partners: dict[str, list[str]] = {}
    for p in state.active:
        partners.setdefault(p.mentor, []).append(p.mentee)
    shown(f"{len(places)} mentor{'' if len(places) == 1 else 's'} with places left",
          list(places.items()),
          lambda item: (item[0], ", ".join(sorted(partners.get(item[0], []))) or "nobody",
                        item[1]),
          "mentor", "paired with", "places left")
    if state.withdrawn:
        shown(f"{len(state.withdrawn)} withdrawn",
              sorted(state.withdrawn.values(), key=lambda w: w.person),
              lambda w: (w.person, state.roles.get(w.person, ""), w.reason, w.actor, w.seq),
              "id", "role", "reason", "by", "entry")
    if state.pending:
        shown(f"{len(state.pending)} proposals waiting for approval", state.pending,
              lambda prop: (prop.run, prop.actor, when(prop.at), len(prop.pairs), prop.seq),
              "run", "proposed by", "when", "pairs", "entry")
    recent = state.recent_separations(now)
    shown(f"{len(recent)} separation{'' if len(recent) == 1 else 's'} in the last 90 days",
          recent, lambda s: (s.mentor, s.mentee, when(s.at), s.category, s.reason, s.actor,
                             s.seq),
          "mentor", "mentee", "when", "category", "reason", "by", "entry")


def _print_plan(plan: dict[str, Any] | None) -> None:
    from audit.explain import when
    from cli.render import console, safe

    if plan is None:
        console().print("My job days: no plan committed.", markup=False)
        return
    console().print(f"My job days: {plan['plans']} plan{'' if plan['plans'] == 1 else 's'} "
                    f"committed; the last, run {safe(plan['run'])} (entry {plan['seq']}) by "
                    f"{safe(plan['actor'])} on {when(plan['at'])}: {plan['visits']} visits on "
                    f"{', '.join(plan['days'])}, {plan['unmet']} with fewer visits than "
                    "wanted.", markup=False)


def _verify_text(report: VerifyReport) -> str:
    if report.finding:
        from audit.review import trust_advice

        f = report.finding
        return f"Audit log BROKEN at entry {f.seq} ({f.problem}): {f.message}.\n" + \
            trust_advice(f)
    runs = f"{report.runs} run{'' if report.runs == 1 else 's'}"
    lines = [f"Audit log intact: {report.entries} entries in {runs}; every order, link and "
             "hash checks out.",
             f"Head: seq {report.head.seq}, entry_hash {report.head.entry_hash}"]
    if report.notes_kept or report.notes_erased:
        lines.append(f"Notes: {report.notes_kept} kept, each matching the salted digest its "
                     f"entry holds; {report.notes_erased} erased.")
    if report.expected_head:
        lines.append(f"The recorded head {report.expected_head.seq} is still in the chain, "
                     "unchanged.")
    if report.witness_heads:
        signed = f", each signed by {report.signed_by}" if report.signed_by else ""
        lines.append(f"Every head the witness lists ({report.witness_heads}) is in the "
                     f"chain, unchanged, and it lists the last{signed}.")
    if not report.witness_heads:
        lines.append("Keep the head outside the database; later, `tandem audit verify "
                     f"--expect-head {report.head}` also detects a removed or rewritten tail "
                     "(or commit with --witness FILE to keep every head).")
    return "\n".join(lines)


COMMANDS: list[click.Command] = [audit, db, status]
