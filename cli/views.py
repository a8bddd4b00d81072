"""How pairing results look: rich tables for people, CSV for spreadsheets."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table

from cli.render import cell, console, lines_cell, safe, safe_lines
from engine.base.spreadsheet import csv_writer, spreadsheet_cell


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (the rule `audit export` uses too)."""
    return spreadsheet_cell(value)


def pairs_csv(result: Mapping[str, Any], people: Mapping[str, Any] | None = None
              ) -> str:
    """One row per pair (status ``paired``), then one per person left out (status
    ``unpaired``, in the mentor or mentee column by role, with the reason and why); each
    row ends with the names and emails of its people, for a mail merge (``people``: id ->
    participant)."""
    known = people or {}

    def contact(pid: str) -> tuple[str, str]:
        person = known.get(pid)
        return (str(getattr(person, "name", "") or ""),
                str(getattr(person, "email", "") or "")) if pid else ("", "")

    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["status", "mentor", "mentee", "score", "rules", "sentence", "reason",
                     "why", "mentor_name", "mentor_email", "mentee_name", "mentee_email"])
    for pair in result["pairs"]:
        rules = ";".join(f"{r['rule']}({r['points']:+d})" for r in pair["reasons"])
        writer.writerow([spreadsheet_safe(v) for v in
                         ("paired", pair["mentor"], pair["mentee"], pair["score"], rules,
                          pair["sentence"], "", "", *contact(pair["mentor"]),
                          *contact(pair["mentee"]))])
    for person in result["unpaired"]:
        mentor, mentee = ((person["id"], "") if person["role"] == "mentor"
                          else ("", person["id"]))
        writer.writerow([spreadsheet_safe(v) for v in
                         ("unpaired", mentor, mentee, "", "", "", person["reason"],
                          person["why"], *contact(mentor), *contact(mentee))])
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
    out.print(f"{_count(s['mentors'], 'mentor')}, {_count(s['mentees'], 'mentee')}: "
              f"{_count(s['pairs'], 'pair')}, total score "
              f"{s['total_score']}, {s['unpaired']} unpaired (objective: "
              f"{result['settings']['objective']}, min_score {result['settings']['min_score']}).",
              markup=False)
    solver = result.get("solver", {})
    if solver.get("method") == "milp":
        within = ("its distance to the optimum is unknown" if solver["gap"] is None else
                  f"it is within {solver['gap']:.2%} of the optimum")
        proved = ("proved optimal" if solver["optimal"] else
                  f"NOT proved optimal: stopped at the time limit of {solver['time_limit']} s, "
                  f"{within}")
        out.print(f"Solver: mixed-integer program under the constraints ({solver['model']} "
                  f"model, {solver['variables']} variables), {proved}.", markup=False)
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
    excluded = bool(report.get("excluded_by"))
    if excluded:
        # The exclusion comes first; other rules' points are what the pair would score.
        out.print(f"{safe(report['mentor'])} -> {safe(report['mentee'])}: excluded by "
                  f"{safe(', '.join(report['excluded_by']))}; not eligible", markup=False)
        out.print(f"Verdict: {safe(report['verdict'])}", markup=False)
        out.print(f"Without the exclusion it would score {report['would_score']}.",
                  markup=False)
    else:
        out.print(f"{safe(report['mentor'])} -> {safe(report['mentee'])}: score "
                  f"{report['score']}, {'eligible' if report['eligible'] else 'not eligible'}",
                  markup=False)
        out.print(f"Verdict: {safe(report['verdict'])}", markup=False)
    table = Table(title="Rules that fired", title_justify="left")
    for column in ("Rule", "Effect", "Because", "Evidence"):
        table.add_column(column)
    for r in report["reasons"]:
        effect = "exclude" if r["effect"] == "exclude" else f"{r['points']:+d}"
        if excluded and r["effect"] == "score":
            effect = f"would score {effect}"
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


TABLE_ROOM = 80  # columns the table needs beside the longest rule id


def show_rules(rows: Sequence[Mapping[str, Any]], settings: Mapping[str, Any],
               constraints: Sequence[Mapping[str, Any]] = ()) -> None:
    # Rule ids are what people copy into other commands and look up in the audit log:
    # they are never cut or folded. When the table would have to squeeze them (80
    # columns, a pipe), each rule is printed as a short block of lines instead.
    out = console()
    longest = max((len(safe(row["id"])) for row in rows), default=4)
    if out.width < longest + TABLE_ROOM:
        out.print("Pairing rules", markup=False)
        for row in rows:
            out.print(f"\n{safe(row['id'])}  {safe(row['effect'])}  "
                      f"{safe(row['file'])}:{row['line']}", markup=False)
            out.print(f"  {safe(row['title'])}\n  when: {safe(row['when'])}", markup=False)
    else:
        table = Table(title="Pairing rules", title_justify="left")
        table.add_column("Rule", no_wrap=True, min_width=longest)
        table.add_column("Effect", no_wrap=True)
        for column in ("When", "Title", "File"):
            table.add_column(column)
        for row in rows:
            table.add_row(cell(row["id"]), cell(row["effect"]), cell(row["when"]),
                          cell(row["title"]), cell(f"{row['file']}:{row['line']}"))
        out.print(table)
    if constraints:
        out.print("Constraints", markup=False)
    for limit in constraints:
        scope = f" (counting pairs where {limit['where']})" if "where" in limit else ""
        out.print(f"  {safe(limit['id'])}  at most {limit['at_most']} pairs per "
                  f"{safe(', '.join(limit['per']))}{safe(scope)}  "
                  f"{safe(limit['file'])}:{limit['line']}\n"
                  f"    {safe(limit['title'])}", markup=False)
    out.print(f"Settings: objective {settings['objective']}, min_score {settings['min_score']}, "
              f"default_capacity {settings['default_capacity']}.", markup=False)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
