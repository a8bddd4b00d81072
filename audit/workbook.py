"""`tandem audit export --format xlsx`: the log as a workbook of five sheets (openpyxl).

- runs: one row per run entry;
- pairs: one row per pair formed (by a run, a reassignment or a forced decision), its
  result (the one definition of ``engine.insights.results``: success, partial, failure,
  ineligible, attrition, no result or running), one column per rule with the points it
  gave (or "exclude"), and the reasons as text;
- unpaired: one row per person left unpaired, with why;
- lifecycle: one row per separation, reassignment, decision, approval, rejection,
  check-in and outcome, in plain words;
- my job days: one row per committed plan, per visit it planned and per wish it left unmet.

Every text cell is formula-safe with ``engine.base.spreadsheet.neutralise``, as in the CSV: a
cell that a spreadsheet would run as a formula gets a leading '. Characters a workbook
cannot hold (control characters) become U+FFFD; the JSON lines export keeps everything.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from typing import Any

from audit.log import db as database
from audit.log import store
from engine.base.canonical import canonical_json
from engine.base.spreadsheet import neutralise
from engine.report.model import LIFECYCLE, timeline_item

RUN_COLUMNS = ("seq", "run", "at", "actor", "command", "approval", "tandem_version",
               "rules_digest", "rules_text_digest", "input_digest", "as_of", "settings",
               "pairs", "unpaired", "entries", "program")
PAIR_COLUMNS = ("seq", "run", "kind", "at", "actor", "mentor", "mentee", "score", "result")
UNPAIRED_COLUMNS = ("seq", "run", "at", "person", "role", "reason", "why", "detail")
LIFECYCLE_COLUMNS = ("seq", "at", "kind", "run", "actor", "mentor", "mentee", "what",
                     "details")
MY_JOB_DAY_COLUMNS = ("seq", "run", "at", "actor", "kind", "visitor", "host", "day", "family",
                      "score", "person", "wanted", "got", "why")
MAX_CELL = 32767  # the most characters a spreadsheet cell holds
Sheet = tuple[list[str], Iterable[list[Any]]]  # rows made as the sheet is written


def _cell(value: Any) -> Any:
    """A number stays a number; anything else becomes formula-safe text."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = neutralise(value if isinstance(value, str) else canonical_json(value))
    # controls are escaped by now: none is left that openpyxl refuses
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"


def _reasons_text(reasons: Iterable[Mapping[str, Any]]) -> str:
    parts = []
    for r in reasons:
        effect = r.get("effect", "score")
        weight = f"{r.get('points', 0):+g}" if effect == "score" else str(effect)
        parts.append(f"{r.get('rule')}: {r.get('title', '')} ({weight})")
    return "; ".join(parts)


_PLAN_KINDS = {"my_job_day_run": "plan", "my_job_day": "visit", "my_job_day_unmet": "unmet"}


def _plan_note(doc: Mapping[str, Any]) -> str | None:
    """A plan's row: its date and how many visits and unmet wishes it recorded."""
    if doc.get("kind") != "my_job_day_run":
        return None
    summary = doc.get("summary") or {}
    return (f"as of {doc.get('as_of')}; {summary.get('visits', '?')} visits planned, "
            f"{summary.get('unmet', '?')} wishes unmet")


def _reasons(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in doc.get("reasons") or [] if isinstance(r, Mapping)]


def sheets(docs: Sequence[Mapping[str, Any]]) -> dict[str, Sheet]:
    """The five sheets' headers and rows from the entries, oldest first; each sheet's rows
    are made one at a time as they are read. Pure."""
    runs = [d for d in docs if d.get("kind") == "run"]
    pairs = [d for d in docs if d.get("kind") in ("pair", "reassignment")
             or (d.get("kind") == "decision" and d.get("decision") == "force")]
    rules = sorted({str(r.get("rule")) for d in pairs for r in _reasons(d)})
    from audit.followup import results

    found = results(docs)
    answered: dict[str, str] = {}
    for d in docs:
        if d.get("kind") == "approval":
            answered[str(d.get("approves"))] = f"approved by {d.get('actor')} (entry {d['seq']})"
        elif d.get("kind") == "rejection":
            answered[str(d.get("rejects"))] = f"rejected by {d.get('actor')} (entry {d['seq']})"

    def approval(run: Mapping[str, Any]) -> str:
        if run.get("approval") != "required":
            return ""
        return answered.get(str(run.get("run")), "required, not yet given")

    def points(doc: Mapping[str, Any]) -> list[Any]:
        given = {str(r.get("rule")): (r.get("points") if r.get("effect", "score") == "score"
                                      else r.get("effect")) for r in _reasons(doc)}
        return [given.get(rule) for rule in rules]

    return {
        "runs": (list(RUN_COLUMNS), (
            [d.get("seq"), d.get("run"), d.get("at"), d.get("actor"),
             d.get("command") or "pair", approval(d), d.get("tandem_version"),
             d.get("rules_digest"), d.get("rules_text_digest"), d.get("input_digest"),
             d.get("as_of"), d.get("settings"), (d.get("summary") or {}).get("pairs"),
             (d.get("summary") or {}).get("unpaired"), d.get("entries"),
             d.get("program")] for d in runs)),
        "pairs": ([*PAIR_COLUMNS, *rules, "reasons", "sentence"], (
            [d.get("seq"), d.get("run"),
             "forced" if d.get("kind") == "decision" else d.get("kind"), d.get("at"),
             d.get("actor"), d.get("mentor"), d.get("mentee"), d.get("score"),
             found[d["seq"]].kind if d.get("seq") in found else None, *points(d),
             _reasons_text(_reasons(d)), d.get("sentence") or d.get("reason")]
            for d in pairs)),
        "unpaired": (list(UNPAIRED_COLUMNS), (
            [d.get("seq"), d.get("run"), d.get("at"), d.get("person"), d.get("role"),
             d.get("reason"), d.get("why"), d.get("detail") or None]
            for d in docs if d.get("kind") == "unpaired")),
        "lifecycle": (list(LIFECYCLE_COLUMNS), (
            [d.get("seq"), d.get("at"), d.get("kind"), d.get("run"), d.get("actor"),
             d.get("mentor"), d.get("mentee"), item.title,
             "; ".join(f"{k}: {v}" for k, v in item.details)]
            for d in docs if d.get("kind") in LIFECYCLE
            for item in (timeline_item(d),))),
        "my job days": (list(MY_JOB_DAY_COLUMNS), (
            [d.get("seq"), d.get("run"), d.get("at"), d.get("actor"),
             _PLAN_KINDS[str(d.get("kind"))], d.get("visitor"), d.get("host"), d.get("day"),
             d.get("family"), d.get("score"), d.get("person"), d.get("wanted"), d.get("got"),
             d.get("why") or d.get("sentence") or _plan_note(d)]
            for d in docs if d.get("kind") in _PLAN_KINDS)),
    }


def workbook_bytes(docs: Sequence[Mapping[str, Any]]) -> bytes:
    """The .xlsx file of the five sheets. The workbook is write-only (openpyxl streams each
    row to its sheet's file as it is appended), so no sheet is held whole in memory."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, (header, rows) in sheets(docs).items():
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        sheet.append([_cell(h) for h in header])
        for row in rows:
            sheet.append([_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_workbook(db_url: str | None) -> tuple[bytes, int]:
    """The workbook of the whole log, and the number of entries in it."""
    db = database.open_for_read(database.resolve_url(db_url))
    docs: list[dict[str, Any]] = []
    try:
        with db.reading() as conn, closing(store.iter_rows(conn)) as rows:
            for row in rows:
                try:
                    doc = json.loads(row.entry)
                except ValueError:
                    continue
                if isinstance(doc, dict):
                    doc["seq"] = row.seq
                    docs.append(doc)
    finally:
        db.dispose()
    return workbook_bytes(docs), len(docs)
