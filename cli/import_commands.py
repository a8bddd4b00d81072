"""`tandem import`: an HR export through a mapping, or questionnaire answers, to a cohort."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.errors import reports_errors
from cli.options import format_option, rules_option

_PATH = click.Path(path_type=Path, dir_okay=False)


@click.command("import")
@click.argument("source", type=_PATH)
@click.option("--map", "mapping_path", type=_PATH, default=None,
              help="The mapping (YAML): columns to fields, value maps, date formats.")
@click.option("--out", "out", type=_PATH, default=None,
              help="Write the cohort (JSON) here. Default: standard output.")
@click.option("--skip-invalid", is_flag=True,
              help="Leave out the rows holding a value that cannot be mapped, and write the "
                   "rest. Default: write nothing when any value cannot be mapped.")
@click.option("--suggest", is_flag=True,
              help="Write a first mapping from the file's header and values, to edit.")
@click.option("--questionnaire", is_flag=True,
              help="SOURCE holds questionnaire answers: derive each person's learning style.")
@click.option("--into", "into", type=_PATH, default=None,
              help="With --questionnaire: the cohort whose learning styles the answers set.")
@rules_option
@format_option("table", "json")
@reports_errors
def import_(source: Path, mapping_path: Path | None, out: Path | None, skip_invalid: bool,
            suggest: bool, questionnaire: bool, into: Path | None, rules_dir: Path | None,
            fmt: str) -> None:
    """Turn an HR export (CSV or xlsx) into a cohort, through a mapping you edit.

    Every change made to a value is reported (row, column, before, after) and every value
    that cannot be mapped is reported, all at once; then nothing is written, unless
    --skip-invalid leaves those rows out. The cohort records the digests of the source and
    of the mapping, and each profile's source row, so that a run can be traced back to
    the HR export. Reports go to standard error; exit 1 when a value cannot be mapped.

    \b
    Examples:
      tandem import hris.csv --suggest > mapping.yaml
      tandem import hris.csv --map mapping.yaml --out cohort.json
      tandem import hris.xlsx --map mapping.yaml --out cohort.json --skip-invalid
      tandem import answers.csv --questionnaire --into cohort.json --out cohort.json
    """
    from cli.import_views import show_import
    from cli.outfile import output
    from engine.base.resources import rules_dir as bundled
    from engine.rules.vocabulary import load_vocabulary

    directory = rules_dir or bundled()
    vocabulary = load_vocabulary(directory)
    if questionnaire:
        from cli.import_views import show_styles
        from engine.profiles.questionnaire import derive_styles

        styles = derive_styles(source, directory, vocabulary, into)
        show_styles(styles, fmt)
        if into is not None and styles.document is not None:
            with output(out) as stream:
                stream.write(json.dumps(styles.document, ensure_ascii=False, indent=2) + "\n")
        return
    from engine.profiles.table import read_table

    if suggest:
        from engine.profiles.suggest_mapping import suggest_mapping

        text = suggest_mapping(read_table(source), vocabulary)
        with output(out) as stream:
            stream.write(text)
        return
    if mapping_path is None:
        raise click.UsageError("give the mapping with --map FILE (or write a first one with "
                               "--suggest)")
    from engine.profiles.importing import import_table
    from engine.profiles.mapping import load_mapping

    mapping = load_mapping(mapping_path, vocabulary)
    done = import_table(read_table(source, sheet=mapping.sheet, delimiter=mapping.delimiter),
                        mapping, vocabulary, skip_invalid=skip_invalid)
    written = show_import(done, fmt, out, skip_invalid)
    if written:
        with output(out) as stream:
            stream.write(json.dumps(done.document, ensure_ascii=False, indent=2) + "\n")
    raise SystemExit(0 if written else 1)


COMMANDS: list[click.Command] = [import_]
