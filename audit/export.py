"""`tandem audit export`: everything, for archiving, as JSON lines or a spreadsheet-safe CSV."""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import closing
from typing import Any, TextIO

from audit.explain import summary
from audit.log import db as database
from audit.log import store
from engine.base.canonical import canonical_json
from engine.base.spreadsheet import csv_writer, neutralise

CSV_COLUMNS = ("seq", "at", "kind", "run", "actor", "mentor", "mentee", "person", "score",
               "reason", "summary", "entry", "prev_hash", "entry_hash")
# Cells go through engine.base.spreadsheet.neutralise, the one rule for every CSV Tandem writes.


def _csv_row(seq: int, prev_hash: str, entry_hash: str, doc: Mapping[str, Any]) -> list[str]:
    values = {"seq": seq, "at": doc.get("at"), "kind": doc.get("kind"), "run": doc.get("run"),
              "actor": doc.get("actor"), "mentor": doc.get("mentor"),
              "mentee": doc.get("mentee"), "person": doc.get("person"),
              "score": doc.get("score"), "reason": doc.get("reason"), "summary": summary(doc),
              "entry": canonical_json(doc),
              "prev_hash": prev_hash, "entry_hash": entry_hash}
    return [neutralise("" if values[c] is None else str(values[c])) for c in CSV_COLUMNS]


def export(db_url: str | None, fmt: str, out: TextIO, *, snapshots: bool = False) -> int:
    """Write every entry (and, as JSON lines, the rules texts and optionally the profile
    snapshots) to ``out``; the number of entries written."""
    db = database.open_for_read(database.resolve_url(db_url))
    count = 0
    writer = csv_writer(out) if fmt == "csv" else None
    if writer:
        writer.writerow(CSV_COLUMNS)
    try:
        with db.reading() as conn, closing(store.iter_rows(conn)) as rows:
            for row in rows:
                doc = json.loads(row.entry)
                if writer:
                    writer.writerow(_csv_row(row.seq, row.prev_hash, row.entry_hash, doc))
                else:
                    _line(out, {"type": "entry", "seq": row.seq, "prev_hash": row.prev_hash,
                                "entry_hash": row.entry_hash, "entry": doc})
                count += 1
            if not writer:
                for rules in store.iter_rules(conn):
                    _line(out, {"type": "rules", **rules})
                if snapshots:
                    for profile in store.iter_snapshots(conn):
                        _line(out, {"type": "snapshot", **profile})
    finally:
        db.dispose()
    return count


def _line(out: TextIO, value: Mapping[str, Any]) -> None:
    out.write(json.dumps(value, sort_keys=True, ensure_ascii=False) + "\n")
