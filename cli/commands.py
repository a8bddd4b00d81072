"""The commands. Each parses its arguments, calls one core function, renders the result."""

from __future__ import annotations

from pathlib import Path

import click

from cli.errors import reports_errors
from cli.options import format_option, rules_option


@click.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(path_type=Path, dir_okay=False))
@rules_option
@format_option("table", "json")
@reports_errors
def validate(files: tuple[Path, ...], rules_dir: Path | None, fmt: str) -> None:
    """Check cohort files (JSON, JSONL or CSV) against the participant schema.

    Reports every problem at once, each with its file and place. Writes nothing.
    Exit 0 when valid, 1 when a file has errors, 2 on wrong usage.

    \b
    Examples:
      tandem validate examples/cohort.json
      tandem validate examples/cohort.csv --format json
      tandem validate cohort.csv --rules my-rules/
    """
    from cli.render import console, print_json, print_problems, safe
    from engine.profiles.validate_files import validate_files

    report = validate_files(files, rules_dir)
    if fmt == "json":
        print_json({"valid": report.valid, "files": report.summaries,
                    "errors": [p.as_dict() for p in report.problems]})
    else:
        print_problems(report.problems)
        out = console()
        for summary in report.summaries:
            if summary["valid"]:
                out.print(f"{safe(summary['file'])}: valid: "
                          f"{_count(summary['participants'], 'participant')} "
                          f"({_count(summary['mentors'], 'mentor')}, "
                          f"{_count(summary['mentees'], 'mentee')})", markup=False)
        if not report.valid:
            n = len([p for p in report.problems if p.severity == "error"])
            console(stderr=True).print(f"{n} error{'s' if n != 1 else ''} found; "
                                       "nothing was written", style="red", markup=False)
    raise SystemExit(0 if report.valid else 1)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


COMMANDS: list[click.Command] = [validate]


def _collect() -> None:
    from cli import (
        audit_commands,
        calendar_commands,
        erase_commands,
        folder,
        import_commands,
        learn_commands,
        letters_commands,
        myjobdays_commands,
        pairing_commands,
        program_commands,
        report_commands,
    )

    COMMANDS.extend(folder.COMMANDS)
    COMMANDS.extend(calendar_commands.COMMANDS)
    COMMANDS.extend(erase_commands.COMMANDS)
    COMMANDS.extend(pairing_commands.COMMANDS)
    COMMANDS.extend(audit_commands.COMMANDS)
    COMMANDS.extend(program_commands.COMMANDS)
    COMMANDS.extend(report_commands.COMMANDS)
    COMMANDS.extend(myjobdays_commands.COMMANDS)
    COMMANDS.extend(learn_commands.COMMANDS)
    COMMANDS.extend(import_commands.COMMANDS)
    COMMANDS.extend(letters_commands.COMMANDS)
    pairing_commands.rules.add_command(learn_commands.rules_compare)


_collect()
