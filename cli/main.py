"""The `tandem` command. Imports of the heavy core happen inside commands, to start fast."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

import click

from engine import __version__


class TandemGroup(click.Group):
    """The command group, with the last line of defence: an exception that no part of
    Tandem expected ends in a short message, a crash file and exit code 3 (cli.crash)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from cli.options import refuse_non_utf8

        ctx.meta["tandem.argv"] = list(args)  # named in the crash report
        refuse_non_utf8(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # click's own ways out: a message, a usage error, Ctrl-C
        except BrokenPipeError:
            # The reader of the output went away (`tandem audit log | head`): not a bug.
            # Later writes (and Python's own flush at exit) go nowhere.
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:
            from cli.crash import report_crash

            command = " ".join(["tandem", *ctx.meta.get("tandem.argv", [])])
            report_crash(exc, command, ctx.params.get("verbose") or 0)
            raise  # not reached: report_crash exits


@click.group(cls=TandemGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tandem")
@click.option("-v", "--verbose", count=True, help="More operational detail on stderr (-vv: debug).")
@click.option("--log-format", type=click.Choice(["console", "json"]), default="console",
              show_default=True, help="Operational logs as readable lines or as JSON.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, log_format: str) -> None:
    """Tandem forms reverse-mentoring pairs from explicit rules and records why.

    In a program folder (`tandem init`), every command reads tandem.toml, found in the
    working directory or a parent; options and environment variables override it.

    \b
    Examples:
      tandem init mentoring-2027 --name "Reverse mentoring 2027"
      tandem validate examples/cohort.json
      tandem pair examples/cohort.json
      tandem rules check
    """
    from cli import logs

    logs.configure(verbose, log_format)
    if ctx.invoked_subcommand != "init":
        from audit.log.identity import recording
        from cli.folder import load_program

        settings = load_program(ctx)
        ctx.with_resource(recording(settings.name if settings else None))


def _register() -> None:
    """Add every command to the group (idempotent)."""
    from cli import commands

    for command in commands.COMMANDS:
        if command.name not in cli.commands:
            cli.add_command(command)


def main() -> None:
    cli(prog_name="tandem")


_register()
