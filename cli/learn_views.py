"""How insights and rule comparisons look for people: rich tables and plain sentences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table

from cli.render import cell, console, safe


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f}%"


def _span(interval: Sequence[float] | None) -> str:
    if not interval:
        return ""
    return f"[{interval[0] * 100:.0f}-{interval[1] * 100:.0f}%]"


def _p(value: float | None) -> str:
    if value is None:
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _group(group: Mapping[str, Any]) -> str:
    return f"{_pct(group['rate'])} of {group['pairs']}\n{_span(group['interval'])}"


def show_insights(report: Mapping[str, Any], limit: int = 20) -> None:
    out = console()
    n = report["pairs"]
    if n == 0:
        out.print("No pair has a result yet: record outcomes with `tandem outcome` (a "
                  "separation for mismatch or conflict counts as a failure).", markup=False)
        return
    out.print(f"{n} pair{'' if n == 1 else 's'} with a result: {report['successes']} success, "
              f"{report['partials']} partial, {report['failures']} failure "
              f"({report['from_separations']} of them from a separation for mismatch or "
              f"conflict); success rate {_pct(report['success_rate'])} "
              f"{_span(report['success_interval'])}.", markup=False)
    if report["status"] != "tested":
        out.print(f"Not enough data: the criteria are tested from "
                  f"{report['minimums']['outcomes']} pairs with a result. Keep recording "
                  "outcomes with `tandem outcome`.", markup=False)
        return
    table = Table(title="Criteria, strongest evidence first", title_justify="left")
    table.add_column("Criterion", overflow="fold", min_width=24)
    for column in ("Success with", "Success without", "Difference", "p adj."):
        table.add_column(column, justify="right")
    table.add_column("Evidence")
    rows = report["criteria"]
    tested = [r for r in rows if r["status"] == "tested"]
    for row in tested[:limit]:
        diff = row["difference"]
        evidence = (("higher" if row["direction"] == "higher" else "lower")
                    if row["significant"] else "could be chance")
        table.add_row(cell(row["criterion"]), _group(row["with"]), _group(row["without"]),
                      f"{diff['value'] * 100:+.0f} pts\n[{diff['interval'][0] * 100:+.0f}, "
                      f"{diff['interval'][1] * 100:+.0f}]",
                      _p(row["p_adjusted"]), evidence)
    out.print(table)
    hidden = len(tested) - min(len(tested), limit)
    short = len(rows) - len(tested)
    out.print(f"{report['tested']} criteria tested, {report['flagged']} with strong evidence "
              f"(adjusted p < {report['alpha']:g}, Benjamini-Hochberg)"
              + (f"; {hidden} more in --format json" if hidden else "")
              + (f"; {short} with not enough data (under {report['minimums']['group']} pairs "
                 "with or without)" if short else "") + ".", markup=False)
    trend = report["score_trend"]
    if trend["status"] == "tested":
        out.print(f"Score: each 10 points multiply the odds of success by "
                  f"{trend['odds_ratio_per_10_points']:.2f} [{trend['interval'][0]:.2f}-"
                  f"{trend['interval'][1]:.2f}], p {_p(trend['p_value'])}.", markup=False)
    model = report["model"]
    if model["status"] == "fitted":
        fitted = Table(title=f"Taken together (logistic regression, {model['n']} pairs)",
                       title_justify="left")
        for column in ("Criterion", "Odds ratio [95%]", "p", "Still matters"):
            fitted.add_column(column)
        for term in model["terms"]:
            fitted.add_row(cell(term["criterion"]), f"{term['odds_ratio']:.2f} "
                           f"[{term['interval'][0]:.2f}-{term['interval'][1]:.2f}]",
                           _p(term["p_value"]), "yes" if term["still_matters"] else "no")
        out.print(fitted)
        out.print(f"Model: {model['selection']}.", markup=False)
    else:
        out.print(f"Taken together: {model['status']} ({model.get('reason') or ''}).",
                  markup=False)
    if report["recommendations"]:
        out.print("\nRecommendations (never applied automatically):", markup=False)
        for rec in report["recommendations"]:
            out.print(safe(f"- {rec['text']}"), markup=False)


def show_compare(found: Mapping[str, Any]) -> None:
    out = console()
    rules = found["rules"]
    out.print(f"Rules: {len(rules['added'])} added, {len(rules['removed'])} removed, "
              f"{len(rules['changed'])} changed, {rules['unchanged']} unchanged.",
              markup=False)
    for rule in rules["added"]:
        now = "exclude" if rule["effect"] == "exclude" else f"{rule['points']:+d}"
        out.print(safe(f"  + {rule['id']} ({now}): {rule['when']}"), markup=False)
    for rule in rules["removed"]:
        out.print(safe(f"  - {rule['id']}"), markup=False)
    for rule in rules["changed"]:
        for change in rule["changes"]:
            out.print(safe(f"  ~ {rule['id']}: {change['field']}: {change['old']!r} -> "
                           f"{change['new']!r}"), markup=False)
    for change in rules["settings"]:
        out.print(f"  ~ settings: {change['field']}: {change['old']!r} -> {change['new']!r}",
                  markup=False)
    cohort = found["cohort"]
    old, new = cohort["old"], cohort["new"]
    out.print(f"\nOn {safe(found['cohort_file'])}: {old['pairs']} pairs (total "
              f"{old['total_score']}) -> {new['pairs']} pairs (total {new['total_score']}): "
              f"{cohort['kept']} kept, "
              f"{cohort['gained']} gained, {cohort['lost']} lost.", markup=False)
    for key, label in (("newly_unpaired", "Newly unpaired"), ("newly_paired", "Newly paired")):
        if cohort[key]:
            out.print(safe(f"{label}: {', '.join(cohort[key])}"), markup=False)
    if cohort["changed_pairs"]:
        table = Table(title="Changed pairs", title_justify="left")
        for column in ("Mentor", "Mentee", "Pair", "Old score", "New score", "Because"):
            table.add_column(column)
        for pair in cohort["changed_pairs"]:
            table.add_row(cell(pair["mentor"]), cell(pair["mentee"]), pair["status"],
                          _score(pair["old"]), _score(pair["new"]),
                          cell("; ".join(pair["because"])))
        out.print(table)
    history = found["history"]
    if history is not None:
        out.print(f"\nPast pairs with a result ({history['runs']} runs):", markup=False)
        for result in ("success", "partial", "failure"):
            h = history[result]
            out.print(f"  {result}: {h['pairs']} pairs; the old rules would form "
                      f"{h['old_rules_form']}, the new rules {h['new_rules_form']}",
                      markup=False)
        if history["not_checked"]:
            out.print(f"  {history['not_checked']} not checked: their profiles are no longer "
                      "kept", markup=False)
    out.print("Nothing was written: this is a comparison.", markup=False)


def _score(side: Mapping[str, Any]) -> str:
    return f"{side['score']}" + ("" if side["eligible"] else " (not eligible)")
