"""Recording the program's lifecycle: one function per command, one transaction each.

Each function reads the program's state (`audit.state`), inside the writers' lock when it
commits, asks the pure lifecycle logic (`engine.program`) for the entries, and appends them
to the chain; a refusal raised on the way leaves the log untouched. Without ``commit`` the
same entries are built on the state read without a lock (the empty state when there is no
log yet), and nothing is written: a dry run shows exactly what --commit would write.

Importing this module is cheap: the database code loads inside the functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from audit.commit import (
    CommitInput,
    CommitReceipt,
    commit_run,
    current_state,
    default_actor,
    new_run_id,
    utc_now,
)
from engine.program.events import COMMAND_REASSIGN, Choice

if TYPE_CHECKING:
    from audit.state import ProgramState
    from engine.profiles.cohort import Cohort
    from engine.rules.ruleset import Rules

Build = Callable[["ProgramState", str, str, str], Sequence[Mapping[str, Any]]]


@dataclass(frozen=True)
class Recorded:
    """What a lifecycle command wrote, or would write in a dry run (``committed`` False)."""

    db: str
    committed: bool
    run_id: str
    entries: list[dict[str, Any]]  # as chained (with seq) when committed
    head_hash: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def first_seq(self) -> int:
        return int(self.entries[0]["seq"]) if self.committed else 0

    @property
    def head(self) -> str:
        return f"{self.entries[-1]['seq']}:{self.head_hash}" if self.committed else ""

    def as_dict(self) -> dict[str, Any]:
        return {"db": self.db, "committed": self.committed, "run_id": self.run_id,
                "entries": self.entries, "head": self.head or None, **self.extra}


def record(db_url: str | None, actor: str | None, build: Build, *, commit: bool,
           create: bool = False, lock_timeout: float | None = None) -> Recorded:
    """Build the entries on the current state and, with ``commit``, append them at once.

    Only ``create`` lets a commit start a new log; otherwise a missing log is refused
    before anything is created.
    """
    from audit.log import db as database
    from audit.log.errors import NoAuditLogError
    from audit.log.migrate import open_for_write

    who = actor or default_actor()
    if not commit:
        at = utc_now()
        docs = [dict(d) for d in build(current_state(db_url), new_run_id(at), at, who)]
        return Recorded(database.shown(database.resolve_url(db_url)), False,
                        docs[0]["run"] if docs else "", docs)
    from audit.log import entries, store
    from audit.state import program_state as state_of

    url = database.resolve_url(db_url)
    if not create:
        present = database.open_if_present(url)
        if present is None:
            raise NoAuditLogError(database.shown(url))
        present.dispose()
    db = open_for_write(url, lock_timeout)
    try:
        with db.writing() as conn:
            at = utc_now()
            run_id = new_run_id(at)
            head_seq, head_hash = store.head(conn)
            built = build(state_of(conn), run_id, at, who)
            chain = entries.link(built, head_seq, head_hash)
            store.append(conn, chain)
    finally:
        db.dispose()
    return Recorded(db.shown, True, run_id, [dict(e.doc) for e in chain],
                    chain[-1].entry_hash if chain else "")


# -- separation ------------------------------------------------------------------------------

def separate(db_url: str | None, actor: str | None, *, mentor: str, mentee: str, reason: str,
             category: str, categories: Sequence[str], commit: bool) -> Recorded:
    """`tandem separate`: end the active pair (mentor, mentee)."""
    from engine.program.separation import separate as plan

    def build(state: ProgramState, run: str, at: str, who: str) -> list[dict[str, Any]]:
        active = [(p.mentor, p.mentee, p.seq) for p in state.active]
        proposed = {(x.mentor, x.mentee): p.run for p in state.pending for x in p.pairs}
        return [plan(active, state.known(), state.history, proposed, mentor=mentor,
                     mentee=mentee, reason=reason, category=category, categories=categories,
                     run=run, at=at, actor=who).as_doc()]

    return record(db_url, actor, build, commit=commit)


# -- reassignment ----------------------------------------------------------------------------

def reassign(db_url: str | None, actor: str | None, cohort: Cohort, rules: Rules,
             people: Sequence[str], *, commit: bool) -> CommitReceipt | dict[str, Any]:
    """`tandem reassign`: the receipt of the recorded run, or the dry run's result."""
    from engine.evaluation.inputs import profiles_for_snapshot
    from engine.program.reassignment import reassign as plan

    if not commit:
        return plan(cohort, rules, current_state(db_url).standing(), people)

    def compute(state: ProgramState) -> CommitInput:
        return CommitInput(plan(cohort, rules, state.standing(), people),
                           rules.files_of("pairing"), profiles_for_snapshot(cohort))

    return commit_run(db_url, actor, compute, command=COMMAND_REASSIGN)


# -- decisions -------------------------------------------------------------------------------

def decide(db_url: str | None, actor: str | None, cohort: Cohort, rules: Rules, *,
           choice: Choice, mentor: str, mentee: str, reason: str, override_exclusion: bool,
           commit: bool) -> Recorded:
    """`tandem decide force|forbid`: the human's decision, with what the rules said."""
    from dataclasses import replace

    from engine.pairing.pipeline import input_digest
    from engine.program.decision import decide as plan

    def build(state: ProgramState, run: str, at: str, who: str) -> list[dict[str, Any]]:
        decision = plan(cohort, rules, state.standing(),
                        [(p.mentor, p.mentee) for p in state.active], choice=choice,
                        mentor=mentor, mentee=mentee, reason=reason,
                        override_exclusion=override_exclusion, run=run, at=at, actor=who)
        return [replace(decision, rules_digest=rules.digest,
                        input_digest=input_digest(cohort)).as_doc()]

    return record(db_url, actor, build, commit=commit, create=True)


# -- approval --------------------------------------------------------------------------------

def _proposals(state: ProgramState) -> tuple[dict[str, str], dict[str, list[int]]]:
    return ({p.run: p.actor for p in state.pending},
            {p.run: [x.seq for x in p.pairs] for p in state.pending})


def approve(db_url: str | None, actor: str | None, run_asked: str) -> Recorded:
    """`tandem approve RUN`: the proposal's pairs become active."""
    from engine.program.approval import approve as plan

    def build(state: ProgramState, run: str, at: str, who: str) -> list[dict[str, Any]]:
        pending, pairs = _proposals(state)
        return [plan(pending, pairs, state.closed, list(state.runs), asked=run_asked,
                     run=run, at=at, actor=who).as_doc()]

    return record(db_url, actor, build, commit=True)


def reject(db_url: str | None, actor: str | None, run_asked: str, reason: str) -> Recorded:
    """`tandem reject RUN --reason`: the proposal is closed, its people free again."""
    from engine.program.approval import reject as plan

    def build(state: ProgramState, run: str, at: str, who: str) -> list[dict[str, Any]]:
        pending, _ = _proposals(state)
        return [plan(pending, state.closed, list(state.runs), asked=run_asked,
                     reason=reason, run=run, at=at, actor=who).as_doc()]

    return record(db_url, actor, build, commit=True)
