"""The `tandem` command. Imports of the heavy core happen inside commands, to start fast."""

from __future__ import annotations

import click

from engine import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tandem")
@click.option("-v", "--verbose", count=True, help="More operational detail on stderr (-vv: debug).")
@click.option("--log-format", type=click.Choice(["console", "json"]), default="console",
              show_default=True, help="Operational logs as readable lines or as JSON.")
def cli(verbose: int, log_format: str) -> None:
    """Tandem forms reverse-mentoring pairs from explicit rules and records why.

    \b
    Examples:
      tandem validate examples/cohort.json
      tandem pair examples/cohort.json
      tandem rules check
    """
    from cli import logs

    logs.configure(verbose, log_format)


def _register() -> None:
    """Add every command to the group (idempotent)."""
    from cli import commands

    for command in commands.COMMANDS:
        if command.name not in cli.commands:
            cli.add_command(command)


def main() -> None:
    cli(prog_name="tandem")


_register()
