"""Recording a my-job-day plan: the one function `tandem myjobdays --commit` calls.

A committed plan is a group of entries of its own kinds, appended to the same hash chain
under the same lock as a pairing run: a ``my_job_day_run`` entry first, then one
``my_job_day`` entry per visit (visitor, host, day, score, reasons) and one
``my_job_day_unmet`` entry per person who got fewer visits than they wanted (person,
wanted, got, why). Nothing here changes the pairing's state: the plan is computed before
the lock is taken, from the profiles and the my-job-day rules alone, and the fold in
``audit.state`` ignores these kinds. The one thing a plan reads of the state is who has
withdrawn from the program (`in_program`): they neither visit nor host.

Importing this module is cheap (no SQLAlchemy): the database code loads inside functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from audit.log.entries import names_of, profile_digests, redact_names, rules_text_digest
from audit.log.errors import InvalidResultError
from audit.log.kinds import (
    KIND_MY_JOB_DAY,
    KIND_MY_JOB_DAY_RUN,
    KIND_MY_JOB_DAY_UNMET,
    MY_JOB_DAY_KINDS,
)
from engine.base import oplog
from engine.base.protected import strip_protected

if TYPE_CHECKING:
    from engine.profiles.cohort import Cohort

KINDS = MY_JOB_DAY_KINDS


@dataclass(frozen=True)
class PlanReceipt:
    """What was written: the plan's run, its range of entries, the new head of the chain."""

    db: str
    run_id: str
    first_seq: int
    last_seq: int
    head_hash: str
    visits: int
    unmet: int
    result: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def head(self) -> str:
        return f"{self.last_seq}:{self.head_hash}"

    def describe(self) -> str:
        return (f"Recorded my-job-day plan {self.run_id} in {self.db}: entries "
                f"{self.first_seq} to {self.last_seq} ({self.visits} visits, {self.unmet} "
                f"unmet).\nNew head: {self.head}\nKeep it outside the database; check later "
                f"with `tandem audit verify --expect-head {self.head}`.")


def in_program(cohort: Cohort, db_url: str | None) -> tuple[Cohort, list[dict[str, str]]]:
    """The cohort without the people the program's state says have withdrawn, and those
    left out (id, role, reason "withdrawn"). Without a log, the cohort as it is."""
    from dataclasses import replace

    from audit.commit import current_state

    gone = current_state(db_url).withdrawn
    left_out = [{"id": p.id, "role": p.role, "reason": "withdrawn"}
                for p in cohort.participants if p.id in gone]
    if not left_out:
        return cohort, []
    return replace(cohort, participants=[p for p in cohort.participants
                                         if p.id not in gone]), left_out


def _require(ok: bool, problem: str) -> None:
    if not ok:
        raise InvalidResultError(problem)


def check_plan(result: Mapping[str, Any]) -> None:
    """Refuse a plan that breaks the planner's JSON contract."""
    for key in ("tandem_version", "rules_digest", "input_digest", "settings", "visits",
                "unmet", "summary"):
        _require(key in result, f"the plan has no {key!r}")
    _require(isinstance(result["visits"], list), "'visits' is not a list")
    _require(isinstance(result["unmet"], list), "'unmet' is not a list")
    for i, visit in enumerate(result["visits"]):
        where = f"visits[{i}]"
        _require(isinstance(visit, Mapping), f"{where} is not an object")
        for key in ("visitor", "host", "day"):
            _require(isinstance(visit.get(key), str), f"{where}.{key} is not text")
        _require(visit["visitor"] != visit["host"], f"{where} is a visit to oneself")
        _require(isinstance(visit.get("score"), int), f"{where}.score is not a whole number")
        _require(isinstance(visit.get("reasons"), list), f"{where}.reasons is not a list")
    for i, person in enumerate(result["unmet"]):
        where = f"unmet[{i}]"
        _require(isinstance(person, Mapping), f"{where} is not an object")
        _require(isinstance(person.get("id"), str), f"{where}.id is not text")
        for key in ("wanted", "got"):
            _require(isinstance(person.get(key), int), f"{where}.{key} is not a whole number")


def plan_documents(result: Mapping[str, Any], rules_files: Mapping[str, str],
                   profiles: Sequence[Mapping[str, Any]], *, run_id: str, at: str,
                   actor: str) -> list[dict[str, Any]]:
    """The entries of one committed plan, without seq: the run, its visits, its unmet."""
    check_plan(result)
    names = names_of(profiles)
    common = {"run": run_id, "at": at, "actor": actor}
    visits = [{**common, "kind": KIND_MY_JOB_DAY, "visitor": v["visitor"], "host": v["host"],
               "day": v["day"], "family": v.get("family"), "score": v["score"],
               "sentence": redact_names(str(v.get("sentence", "")), names,
                                        (v["visitor"], v["host"])),
               "reasons": strip_protected(v["reasons"])}
              for v in result["visits"]]
    unmet = [{**common, "kind": KIND_MY_JOB_DAY_UNMET, "person": u["id"],
              "wanted": u["wanted"], "got": u["got"], "reason": u.get("reason"),
              "why": redact_names(str(u.get("why", "")), names, (u["id"],)),
              "detail": strip_protected(u.get("detail") or {})}
             for u in result["unmet"]]
    run = {**common, "kind": KIND_MY_JOB_DAY_RUN,
           "tandem_version": result["tandem_version"],
           "rules_digest": result["rules_digest"],
           "rules_text_digest": rules_text_digest(rules_files),
           "rules_files": sorted(rules_files),
           "input_digest": result["input_digest"],
           "profile_digests": profile_digests(profiles),
           "as_of": result.get("as_of"),
           "settings": strip_protected(result["settings"]),
           "summary": strip_protected(result["summary"]),
           "entries": len(visits) + len(unmet)}
    if "solver" in result:  # how the plan was proved, or the gap the time limit left
        run["solver"] = strip_protected(result["solver"])
    return [run, *visits, *unmet]


def commit_plan(db_url: str | None, actor: str | None, result: Mapping[str, Any],
                rules_files: Mapping[str, str], profiles: Sequence[Mapping[str, Any]], *,
                lock_timeout: float | None = None) -> PlanReceipt:
    """Record one my-job-day plan, in one transaction, after the entries before it.

    It goes through the same lock, store path and witness (TANDEM_WITNESS, or a command's
    --witness) as every other writer."""

    from audit.commit import default_actor, new_run_id, utc_now
    from audit.log import db as database
    from audit.log import entries, store
    from audit.log.migrate import open_for_write

    log = oplog.get_logger("tandem.audit")
    check_plan(result)  # before the database is opened: a bad plan creates nothing
    db = open_for_write(database.resolve_url(db_url), lock_timeout)
    try:
        with db.writing() as conn:
            at = utc_now()
            run_id = new_run_id(at)
            docs = plan_documents(result, rules_files, profiles, run_id=run_id, at=at,
                                  actor=actor or default_actor())
            store.keep_rules(conn, str(result["rules_digest"]), rules_files, at)
            store.keep_snapshot(conn, str(result["input_digest"]),
                                entries.snapshot_rows(profiles))
            chain = store.append_group(conn, docs)
    finally:
        db.dispose()
    log.info("audit my-job-day plan recorded", run_id=run_id, db=db.shown,
             first_seq=chain[0].seq, last_seq=chain[-1].seq)
    return PlanReceipt(db=db.shown, run_id=run_id, first_seq=chain[0].seq,
                       last_seq=chain[-1].seq, head_hash=chain[-1].entry_hash,
                       visits=len(result["visits"]), unmet=len(result["unmet"]),
                       result=dict(result))


def latest_plan(db_url: str | None) -> dict[str, Any] | None:
    """How many my-job-day plans the log holds, and what the last one says; None when there
    is no log or no plan yet. Read-only, and apart from the pairing's state."""
    from audit.log import db as database
    from audit.log import store

    db = database.open_if_present(database.resolve_url(db_url))
    if db is None:
        return None
    try:
        with db.reading() as conn:
            found = store.runs_of_kind(conn, KIND_MY_JOB_DAY_RUN)
    finally:
        db.dispose()
    if not found:
        return None
    count, last = found
    summary = last.get("summary") or {}
    return {"plans": count, "run": last.get("run"), "seq": last.get("seq"),
            "at": last.get("at"), "actor": last.get("actor"),
            "days": (last.get("settings") or {}).get("days", []),
            "visits": summary.get("visits"), "unmet": summary.get("unmet")}
