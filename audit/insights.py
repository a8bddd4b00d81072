"""Reading what the statistics need: every pair the log formed, with its result, its rules
and its profiles.

Out: ``engine.insights.facts.PairFact``s, oldest pair first. A pair's result is the one
definition of ``engine.insights.results.pair_result`` (``audit.followup.results`` gives it
for every pair, for the report and the export too). Profiles come from the erasable snapshot of
the run that formed the pair (or, for a pair formed outside a pairing run, the latest
snapshot of that person); an erased profile is None, and the criteria that need it count
the pair as unknown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from audit.followup import current_book, result_of
from engine.insights.facts import PairFact
from engine.insights.results import OUTCOMES
from engine.pairing.compare import PastCohort


def _parsed(text: Any) -> Any:
    """An entry's text parsed; None (skipped with a warning) when it is not JSON."""
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return None


def _as_of(run: Mapping[str, Any] | None, began: date) -> date:
    try:
        return date.fromisoformat(str((run or {}).get("as_of")))
    except ValueError:
        return began


def gather(db_url: str | None, since: date | None = None, *,
           partial_as_failure: bool = False) -> list[PairFact]:
    """Every pair the log formed (on or after ``since`` when given), with its result."""
    from sqlalchemy import select

    from audit.log import db as database
    from audit.log import schema
    from audit.log.kinds import KIND_CHECKIN
    from audit.log.validate import well_formed

    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            # Every well-formed entry but the check-ins: a check-in forms, ends and decides
            # no pair (audit.state, audit.followup.pair_book), and a running program's log
            # is mostly check-ins.
            docs = list(well_formed(_parsed(entry) for (entry,) in conn.execute(
                select(schema.log.c.entry)
                .where(schema.log.c.kind.is_distinct_from(KIND_CHECKIN))
                .order_by(schema.log.c.seq))))
            snapshots: dict[tuple[str, str], dict[str, Any]] = {}
            for digest, person, profile in conn.execute(
                    select(schema.snapshot.c.input_digest, schema.snapshot.c.person_id,
                           schema.snapshot.c.profile)):
                snapshots[(str(digest), str(person))] = json.loads(profile)
    finally:
        db.dispose()
    runs = {str(d["run"]): d for d in docs if d.get("kind") == "run"}
    by_digest: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for (digest, person), profile in snapshots.items():
        by_digest.setdefault(digest, []).append((person, profile))
    latest: dict[str, dict[str, Any]] = {}  # person -> profile in the latest run's snapshot
    for opened in runs.values():
        latest.update(by_digest.get(str(opened.get("input_digest")), []))
    facts = []
    for record in sorted(current_book(docs).pairs.values(), key=lambda r: r.seq):
        result = result_of(record, partial_as_failure=partial_as_failure)
        if since and record.began < since:
            continue
        forming = runs.get(record.run)
        digest = str((forming or {}).get("input_digest"))

        def profile(person: str, digest: str = digest) -> dict[str, Any] | None:
            return snapshots.get((digest, person)) or latest.get(person)

        fired = tuple(str(r["rule"]) for r in record.reasons if "rule" in r)
        points = {str(r["rule"]): int(r.get("points") or 0) for r in record.reasons
                  if "rule" in r}
        facts.append(PairFact(record.mentor, record.mentee, record.seq, record.began,
                              record.score, fired, points, result.kind, result.source,
                              _as_of(forming, record.began), profile(record.mentor),
                              profile(record.mentee), cohort=record.run))
    return facts


def report(db_url: str | None, since: date | None = None, *, min_group: int = 5,
           partial_as_failure: bool = False) -> dict[str, Any]:
    """`tandem insights`: the report over the ended cohorts' pairs with a result."""
    from engine.insights.report import insights

    return {"since": since.isoformat() if since else None,
            "partial_counts_as": "failure" if partial_as_failure else "partial",
            **insights(gather(db_url, since, partial_as_failure=partial_as_failure),
                       min_group=min_group)}


def past_cohorts(db_url: str | None) -> list[PastCohort]:
    """Each pairing run with a pair that has a result: its kept profiles and the results."""
    from sqlalchemy import select

    from audit.log import db as database
    from audit.log import schema

    facts = [f for f in gather(db_url) if f.result in OUTCOMES]
    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            runs = {}
            for (entry,) in conn.execute(select(schema.log.c.entry)
                                         .where(schema.log.c.kind == "run")
                                         .order_by(schema.log.c.seq)):
                doc = json.loads(entry)
                runs[str(doc["run"])] = doc
            pair_runs = {int(seq): str(run) for seq, run in conn.execute(
                select(schema.log.c.seq, schema.log.c.run_id)
                .where(schema.log.c.seq.in_([f.seq for f in facts])))}
            wanted = {str(runs[r].get("input_digest")) for r in set(pair_runs.values())
                      if r in runs}
            profiles: dict[str, list[dict[str, Any]]] = {}
            for digest, profile in conn.execute(
                    select(schema.snapshot.c.input_digest, schema.snapshot.c.profile)
                    .where(schema.snapshot.c.input_digest.in_(sorted(wanted)))
                    .order_by(schema.snapshot.c.person_id)):
                profiles.setdefault(str(digest), []).append(json.loads(profile))
    finally:
        db.dispose()
    grouped: dict[str, dict[tuple[str, str], str]] = {}
    for fact in facts:
        grouped.setdefault(pair_runs.get(fact.seq, ""), {})[(fact.mentor, fact.mentee)] = \
            fact.result
    out = []
    for run_id, results in grouped.items():
        run = runs.get(run_id)
        if run is None or not run.get("input_digest"):
            out.append(PastCohort(run_id, date.min, (), {}, len(results)))
            continue
        out.append(PastCohort(run_id, _as_of(run, date.min),
                              profiles.get(str(run["input_digest"]), []), results))
    return out


def experiment(db_url: str | None, run: str, *, partial_as_failure: bool = False,
               difference: float = 0.15) -> dict[str, Any]:
    """`tandem insights --experiment RUN`: the experiment run whose id starts with ``run``
    (exactly one), its arms compared by intention to treat."""
    from sqlalchemy import select

    from audit.log import db as database
    from audit.log import schema
    from engine.base.errors import TandemError
    from engine.insights.experiment import experiment_report

    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            heads = [json.loads(entry) for (entry,) in conn.execute(
                select(schema.log.c.entry).where(schema.log.c.kind == "run")
                .order_by(schema.log.c.seq))]
    finally:
        db.dispose()
    found = [h for h in heads if str(h.get("run", "")).startswith(run) and "experiment" in h]
    if len(found) != 1:
        known = ", ".join(str(h.get("run")) for h in heads if "experiment" in h) or "none"
        what = ("no experiment run of the audit log {} starts" if not found else
                f"{len(found)} experiment runs of the audit log {{}} start")
        raise TandemError(f"{what.format(db.shown)} with {run!r}; give more of the id "
                          f"(the experiments are: {known})")
    head = found[0]
    facts = [f for f in gather(db_url, partial_as_failure=partial_as_failure)
             if f.cohort == head["run"]]
    design = head["experiment"]
    return {"run": head["run"], "seed": design.get("seed"), "share": design.get("share"),
            "rules_digest_a": head.get("rules_digest"),
            "rules_digest_b": design.get("rules_digest_b"),
            **experiment_report(facts, design.get("arms") or {}, difference=difference)}
