"""Lifecycle entries written as the shared audit-log contract says, for the report tests.

Every entry has seq (given when appended), kind, run, at, actor; then its own keys:
separation (mentor, mentee, category, reason, pair_seq), reassignment (a pair's keys and
``after``), decision (decision, mentor, mentee, reason, score, reasons, excluded_by,
override_exclusion), approval (approves), rejection (rejects, reason), checkin (mentor,
mentee, on, by, rating, note_digest), outcome (mentor, mentee, result, note_digest).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from audit.log import entries, store
from audit.log.migrate import open_for_write

AT = "2026-10-01T09:00:00.000000Z"
DIGEST = "sha256:" + "c" * 64


def common(kind: str, run: str = "20261001T090000Z-aaaaaa", actor: str = "hr.jane",
           at: str = AT) -> dict[str, Any]:
    return {"kind": kind, "run": run, "at": at, "actor": actor}


def separation(mentor: str, mentee: str, pair_seq: int, category: str = "mismatch",
               reason: str = "They could not find a common rhythm.", **kw: Any) -> dict[str, Any]:
    return {**common("separation", **kw), "mentor": mentor, "mentee": mentee,
            "category": category, "reason": reason, "pair_seq": pair_seq}


def reassignment(mentor: str, mentee: str, after: Sequence[int], score: int = 45,
                 **kw: Any) -> dict[str, Any]:
    return {**common("reassignment", **kw), "mentor": mentor, "mentee": mentee,
            "score": score, "sentence": f"{mentor} mentors {mentee}, score {score}.",
            "reasons": [{"rule": "intentions/overlap", "title": "Intentions overlap",
                         "because": "Shared intentions.", "effect": "score", "points": score,
                         "evidence": {"mentor.intentions": ["a"]}}],
            "after": list(after)}


def decision(kind: str, mentor: str, mentee: str, reason: str = "Asked by both.",
             **kw: Any) -> dict[str, Any]:
    return {**common("decision", **kw), "decision": kind, "mentor": mentor, "mentee": mentee,
            "reason": reason, "score": 20, "reasons": [],
            "excluded_by": ["learning-style/experimenter-with-theorist"] if kind == "force"
            else [], "override_exclusion": kind == "force"}


def approval(run: str, **kw: Any) -> dict[str, Any]:
    return {**common("approval", **kw), "approves": run}


def rejection(run: str, reason: str = "Too many pairs across one team.",
              **kw: Any) -> dict[str, Any]:
    return {**common("rejection", **kw), "rejects": run, "reason": reason}


def checkin(mentor: str, mentee: str, rating: int = 4, by: str = "mentee",
            **kw: Any) -> dict[str, Any]:
    return {**common("checkin", **kw), "mentor": mentor, "mentee": mentee, "on": "2026-10-01",
            "by": by, "rating": rating, "note_digest": DIGEST}


def outcome(mentor: str, mentee: str, result: str = "success", **kw: Any) -> dict[str, Any]:
    return {**common("outcome", **kw), "mentor": mentor, "mentee": mentee, "result": result,
            "note_digest": DIGEST}


def append(url: str, docs: Sequence[dict[str, Any]]) -> int:
    """Append entries to the chain as Tandem does, under the writers' lock; the last seq."""
    db = open_for_write(url)
    try:
        with db.writing() as conn:
            head_seq, head_hash = store.head(conn)
            chain = entries.link(docs, head_seq, head_hash)
            store.append(conn, chain)
    finally:
        db.dispose()
    return chain[-1].seq
