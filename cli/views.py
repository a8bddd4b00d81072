"""How pairing results look: rich tables for people, CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table

from cli.render import cell, console, lines_cell, safe, safe_lines
from engine.spreadsheet import neutralise


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (the rule `audit export` uses too)."""
    return neutralise("" if value is None else str(value))


def pairs_csv(result: Mapping[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["mentor", "mentee", "score", "rules", "sentence"])
    for pair in result["pairs"]:
        rules = ";".join(f"{r['rule']}({r['points']:+d})" for r in pair["reasons"])
        writer.writerow([spreadsheet_safe(v) for v in
                         (pair["mentor"], pair["mentee"], pair["score"], rules, pair["sentence"])])
    return out.getvalue()


def show_pairing(result: Mapping[str, Any], committed: str | None = None) -> None:
    out = console()
    pairs = Table(title="Pairs", title_justify="left", show_lines=False)
    for column in ("Mentor", "Mentee", "Score", "Top reasons"):
        pairs.add_column(column, justify="right" if column == "Score" else "left")
    for pair in result["pairs"]:
        top = [f"{r['title']} ({r['points']:+d})" for r in pair["reasons"][:3]]
        pairs.add_row(cell(pair["mentor"]), cell(pair["mentee"]), cell(pair["score"]),
                      cell("; ".join(top)))
    out.print(pairs)
    if result["unpaired"]:
        unpaired = Table(title="Unpaired", title_justify="left")
        for column in ("Person", "Role", "Why"):
            unpaired.add_column(column)
        for person in result["unpaired"]:
            unpaired.add_row(cell(person["id"]), cell(person["role"]), cell(person["why"]))
        out.print(unpaired)
    s = result["summary"]
    out.print(f"{s['mentors']} mentors, {s['mentees']} mentees: {s['pairs']} pairs, total score "
              f"{s['total_score']}, {s['unpaired']} unpaired (objective: "
              f"{result['settings']['objective']}, min_score {result['settings']['min_score']}).",
              markup=False)
    out.print(f"rules {result['rules_digest']}\ninput {result['input_digest']}", markup=False)
    if committed:
        out.print(safe_lines(committed), markup=False)
    else:
        out.print("Dry run: nothing was written. Add --commit to record these decisions.",
                  markup=False)


def _plain(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "(none)"
    return "(none)" if value is None else str(value)


def show_explanation(report: Mapping[str, Any]) -> None:
    out = console()
    out.print(f"{safe(report['mentor'])} -> {safe(report['mentee'])}: score {report['score']}, "
              f"{'eligible' if report['eligible'] else 'not eligible'}", markup=False)
    out.print(f"Verdict: {safe(report['verdict'])}", markup=False)
    table = Table(title="Rules that fired", title_justify="left")
    for column in ("Rule", "Effect", "Because", "Evidence"):
        table.add_column(column)
    for r in report["reasons"]:
        effect = "exclude" if r["effect"] == "exclude" else f"{r['points']:+d}"
        evidence = lines_cell(f"{k} = {_plain(v)}" for k, v in r["evidence"].items())
        table.add_row(lines_cell([r["rule"], r["title"]]), cell(effect), cell(r["because"]),
                      evidence)
    if report["reasons"]:
        out.print(table)
    else:
        out.print("No rule fired for this pair.")
    cohort = report["cohort"]
    out.print(f"Best pairing of the cohort: {cohort['pairs']} pairs, total score "
              f"{cohort['total_score']}.", markup=False)


def show_rules(rows: Sequence[Mapping[str, Any]], settings: Mapping[str, Any]) -> None:
    table = Table(title="Pairing rules", title_justify="left")
    for column in ("Rule", "Effect", "When", "Title", "File"):
        table.add_column(column)
    for row in rows:
        table.add_row(cell(row["id"]), cell(row["effect"]), cell(row["when"]),
                      cell(row["title"]), cell(f"{row['file']}:{row['line']}"))
    out = console()
    out.print(table)
    out.print(f"Settings: objective {settings['objective']}, min_score {settings['min_score']}, "
              f"default_capacity {settings['default_capacity']}.", markup=False)
