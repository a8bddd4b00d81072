"""`tandem letters RUN`: an introduction letter to each person of each pair of a run."""

from __future__ import annotations

from pathlib import Path

import click

from cli.errors import reports_errors
from cli.options import db_option, format_option, rules_option, witness_options


@click.command()
@click.argument("run")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=None, help="Write one .eml file per letter into this folder.")
@click.option("--template", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="A Jinja2 template instead of the one letters.yaml names.")
@click.option("--send", is_flag=True,
              help="Send the letters through the SMTP server of letters.yaml, and record "
                   "each one in the log; a letter sent before is not sent again.")
@click.option("--actor", default=None, help="Who sends, recorded with --send. Default: the "
                                            "OS user.")
@rules_option
@db_option
@format_option("table", "json")
@witness_options
@reports_errors
def letters(run: str, out_dir: Path | None, template: Path | None, send: bool,
            actor: str | None, rules_dir: Path | None, db_url: str | None, fmt: str) -> None:
    """Write an introduction letter to each person of each active pair of a committed run.

    Each letter names the partner and says what the two share in the rules' own words
    (never a score, never protected data), with the first steps. Without --out or --send
    it only says what it would write. People without an email are listed.

    \b
    Examples:
      tandem letters 20260901T101530Z-1a2b3c
      tandem letters 20260901T101530Z-1a2b3c --out letters/
      tandem letters 20260901T101530Z-1a2b3c --send --actor hr.jane
      tandem letters 20260901T101530Z-1a2b3c --template my-letter.html.j2 --out letters/
    """
    from audit.letters import run_pairs
    from cli.letters_views import show_letters, write_eml
    from engine.base.resources import rules_dir as bundled
    from engine.program.letters import compose_letters, load_letter_settings

    settings = load_letter_settings(rules_dir or bundled(), template)
    found = run_pairs(db_url, run)
    batch = compose_letters(found.pairs, found.profiles, settings, run=run)
    written = write_eml(batch, settings, out_dir, run) if out_dir else []
    receipt = None
    if send:
        from audit.letters import SendReceipt, send_letters
        from cli.mail import Mailer

        todo = [letter for letter in batch.letters
                if (letter.recipient, letter.mentor, letter.mentee) not in found.sent]
        if todo:
            with Mailer(settings) as mailer:
                receipt = send_letters(db_url, run, todo, batch.template_digest,
                                       mailer.deliver, actor)
        else:  # everything was sent before: no connection to the server at all
            receipt = SendReceipt(db_url or "")
        receipt.already += [letter.recipient for letter in batch.letters
                            if (letter.recipient, letter.mentor, letter.mentee) in found.sent]
    show_letters(found, batch, written, receipt, fmt)


COMMANDS: list[click.Command] = [letters]
