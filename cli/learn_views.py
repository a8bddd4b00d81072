"""How insights and rule comparisons look for people: rich tables and plain sentences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table

from cli.render import cell, console, lines_cell, safe


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
    if group["pairs"] is None:
        return "too small"
    return f"{_pct(group['rate'])} of {group['pairs']}\n{_span(group['interval'])}"


def _odds(adjusted: Mapping[str, Any] | None) -> str:
    if adjusted is None:
        return "-"
    low, high = adjusted["interval"]
    mark = "" if adjusted["interval_adjusted"] else "*"
    firth = " F" if adjusted.get("method") == "firth" else ""
    return f"{adjusted['odds_ratio']:.2f}{firth}\n[{low:.2f}-{high:.2f}]{mark}"


def _unadjusted(row: Mapping[str, Any]) -> str:
    found = row["unadjusted"]
    if found is None:
        return "-"
    diff = found["difference"]
    return (f"{diff['value'] * 100:+.0f} pts\n[{diff['interval'][0] * 100:+.0f}, "
            f"{diff['interval'][1] * 100:+.0f}]")


def _evidence(row: Mapping[str, Any]) -> str:
    if row["adjusted"] is None:
        return str(row["status"])
    return str(row["direction"]) if row["significant"] else "could be chance"


def _criteria_table(title: str, rows: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("Criterion", overflow="fold", min_width=24)
    for column in ("Success with", "Success without", "Unadjusted", "Adjusted odds ratio",
                   "p adj.", "Evidence"):
        table.add_column(column, justify="left" if column == "Evidence" else "right")
    for row in rows:
        name = [" = ".join([row["criterion"], *row["aliases"]])]
        if row.get("refinements"):
            name.append("refined by " + ", ".join(r["criterion"] for r in row["refinements"]))
        table.add_row(lines_cell(name), _group(row["with"]), _group(row["without"]),
                      _unadjusted(row), _odds(row["adjusted"]),
                      _p(row["adjusted"]["p_adjusted"] if row["adjusted"] else None),
                      _evidence(row))
    return table


def show_insights(report: Mapping[str, Any], limit: int = 20) -> None:
    out = console()
    n = report["pairs"]
    left = report["left_out"]
    running = report["running_cohorts"]
    if running:
        out.print(f"{len(running)} cohort{'' if len(running) == 1 else 's'} still running "
                  f"left out ({left} pair{'' if left == 1 else 's'} with a result already, "
                  f"{sum(c['running'] for c in running)} still running): a running cohort's "
                  "failures arrive before its successes.", markup=False)
    if n == 0:
        out.print("No ended cohort has a pair with a result yet: record outcomes with "
                  "`tandem outcome` (a separation for mismatch counts as a failure).",
                  markup=False)
        return
    out.print(f"{n} pair{'' if n == 1 else 's'} with a result in ended cohorts: "
              f"{report['successes']} success, {report['partials']} partial, "
              f"{report['failures']} failure ({report['from_separations']} of them from a "
              f"separation for mismatch); success rate {_pct(report['success_rate'])} "
              f"{_span(report['success_interval'])}. Attrition (availability, left the "
              f"company): {report['attrition']}; separated for conflict (an eligibility "
              f"error, not a result): {report['results'].get('ineligible', 0)}.",
              markup=False)
    if report["status"] != "tested":
        out.print(f"Not enough data: the criteria are tested from "
                  f"{report['minimums']['outcomes']} pairs with a result. Keep recording "
                  "outcomes with `tandem outcome`.", markup=False)
        return
    rows = report["criteria"]
    titles = {"confirmatory": "The rules in force (confirmatory)",
              "exploratory": "Other traits (exploratory: ideas to test, not findings)"}
    for family, title in titles.items():
        own = [r for r in rows if r["family"] == family and r["adjusted"] is not None]
        counts = report["families"][family]
        if own:
            out.print(_criteria_table(title, own[:limit]))
        hidden = len(own) - min(len(own), limit)
        out.print(f"{title}: {counts['tested']} tested, {counts['flagged']} with strong "
                  f"evidence once adjusted for {report['adjusted_for']} (adjusted p < "
                  f"{report['alpha']:g}, Benjamini-Hochberg within the family)"
                  + (f"; {hidden} more in --format json" if hidden else "") + ".",
                  markup=False)
    short = sum(1 for r in rows if r["adjusted"] is None)
    if short:
        out.print(f"{short} criteria with not enough data (under "
                  f"{report['minimums']['group']} pairs with or without), too small to show "
                  f"(under {report['min_group']}), or not estimable.", markup=False)
    out.print(f"* an interval marked * is the plain 95% interval, not adjusted for testing "
              f"many criteria; a flagged criterion's interval is adjusted like its p-value. "
              f"{report['why_adjusted']}", markup=False)
    if any(r["adjusted"] and r["adjusted"].get("method") == "firth" for r in rows):
        out.print("F: the criterion separates successes from failures (say, every pair with "
                  "it succeeded), so its odds ratio is Firth's penalised estimate, with a "
                  "Wald interval.", markup=False)
    trend = report["score_trend"]
    if trend["status"] == "tested":
        out.print(f"Score: each 10 points multiply the odds of success by "
                  f"{trend['odds_ratio_per_10_points']:.2f} [{trend['interval'][0]:.2f}-"
                  f"{trend['interval'][1]:.2f}], p {_p(trend['p_value'])}.", markup=False)
    if report["recommendations"]:
        out.print("\nRecommendations (never applied automatically):", markup=False)
        for rec in report["recommendations"]:
            out.print(safe(f"- {rec['text']}"), markup=False)


def show_question(found: Mapping[str, Any]) -> None:
    out = console()
    row = found["criterion"]
    out.print(_criteria_table(f"One pre-specified question ({found['pairs']} ended pairs "
                              "with a result)", [row]))
    a = row["adjusted"]
    if a is None:
        out.print(safe(f"{row['criterion']}: {row['status']}."), markup=False)
    else:
        verdict = (f"the evidence says {row['direction']}" if row["significant"]
                   else "the difference could be chance")
        out.print(safe(f"{row['criterion']}: adjusted odds ratio {a['odds_ratio']:.2f}, p "
                       f"{_p(a['p_value'])} (one test, no correction): {verdict}. "
                       f"{row['why']}"), markup=False)
    out.print(f"Power: this test flags a true difference of {found['difference'] * 100:.0f} "
              f"points {found['power'] * 100:.0f}% of the time at these numbers; 80% needs "
              f"about {found['pairs_for_80_percent']} ended pairs with a result.",
              markup=False)


def show_experiment(found: Mapping[str, Any]) -> None:
    out = console()
    out.print(safe(f"Experiment {found['run']} (seed {found['seed']}, {found['share']:.0%} of "
                   f"mentees in arm B), by intention to treat: {found['status']}."),
              markup=False)
    table = Table(title="Arms", title_justify="left")
    for column in ("Arm", "Mentees", "Pairs", "Running", "Results", "Success rate"):
        table.add_column(column, justify="left" if column == "Arm" else "right")
    for arm, label in (("A", "A (rules in force)"), ("B", "B (new rules)")):
        a = found["arms"][arm]
        table.add_row(label, str(a["mentees"]), str(a["pairs"]), str(a["running"]),
                      str(a["results"]), f"{_pct(a['rate'])} {_span(a['interval'])}")
    out.print(table)
    diff = found["difference"]
    if diff is None:
        out.print(f"Not enough data: each arm needs {found['min_arm']} pairs with a result.",
                  markup=False)
    else:
        verdict = ("B differs from A" if found["significant"] else
                   "the difference could be chance: not evidence that the new rules do "
                   "nothing, only that this split cannot tell")
        out.print(f"B minus A: {diff['value'] * 100:+.0f} points [{diff['interval'][0] * 100:+.0f}"
                  f", {diff['interval'][1] * 100:+.0f}], p {_p(found['p_value'])}: {verdict}.",
                  markup=False)
    out.print(f"Power to see {found['difference_sized'] * 100:.0f} points: "
              f"{found['power_now'] * 100:.0f}% with the results so far, "
              f"{found['power_when_ended'] * 100:.0f}% once every pair has a result.",
              markup=False)


def show_plan(found: Mapping[str, Any]) -> None:
    console().print(
        f"To see a difference of {found['difference'] * 100:.0f} points (from a success rate "
        f"of {found['base'] * 100:.0f}%, with {found['share'] * 100:.0f}% of pairs having the "
        f"criterion) at 80% power and alpha {found['alpha']:g}: about "
        f"{found['pairs_needed']} ended pairs with a result; the program has "
        f"{found['pairs_now']} now. Note: {found['note']}.", markup=False)


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
