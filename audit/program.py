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
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from audit.commit import (
    CommitInput,
    CommitReceipt,
    commit_run,
    current_state,
    default_actor,
    new_run_id,
    utc_now,
    vouched_identity,
)
from engine.program.events import COMMAND_REASSIGN, Choice

if TYPE_CHECKING:
    from audit.state import ProgramState
    from engine.profiles.cohort import Cohort
    from engine.rules.ruleset import Rules

Build = Callable[["ProgramState", str, str, str], Sequence[Mapping[str, Any]]]
VouchedBuild = Callable[["ProgramState", str, str, str, str], Sequence[Mapping[str, Any]]]


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
    before anything is created. Every entry records ``vouched``, the identity the database
    vouches for (`audit.commit.vouched_identity`).
    """
    return record_vouched(db_url, actor, lambda state, run, at, who, _: build(state, run, at,
                                                                               who),
                          commit=commit, create=create, lock_timeout=lock_timeout)


def record_vouched(db_url: str | None, actor: str | None, build: VouchedBuild, *,
                   commit: bool, create: bool = False,
                   lock_timeout: float | None = None) -> Recorded:
    """`record`, with the vouched identity handed to ``build`` (an approval needs it)."""
    from audit.log import db as database
    from audit.log.errors import NoAuditLogError
    from audit.log.migrate import open_for_write

    who = actor or default_actor()
    if not commit:
        at = utc_now()
        docs = [dict(d) for d in build(current_state(db_url), new_run_id(at), at, who, "")]
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
            vouched = vouched_identity(conn)
            built = build(state_of(conn), run_id, at, who, vouched)
            chain = entries.link([{**d, "vouched": vouched} for d in built], head_seq,
                                 head_hash)
            store.append(conn, chain)
    finally:
        db.dispose()
    return Recorded(db.shown, True, run_id, [dict(e.doc) for e in chain],
                    chain[-1].entry_hash if chain else "")


# -- separation ------------------------------------------------------------------------------

def _active(state: ProgramState) -> list[tuple[str, str, int]]:
    return [(p.mentor, p.mentee, p.seq) for p in state.active]


def _held(state: ProgramState) -> dict[str, str]:
    """Person -> the run of the proposal that holds them."""
    return {who: p.run for p in state.pending for x in p.pairs for who in (x.mentor, x.mentee)}


def separate(db_url: str | None, actor: str | None, *, mentor: str, mentee: str, reason: str,
             category: str, categories: Sequence[str], commit: bool,
             leaving: str | None = None) -> Recorded:
    """`tandem separate`: end the active pair (mentor, mentee).

    A ``left-company`` separation names the person ``leaving``: they are withdrawn in the
    same run, with a separation for each of their other active pairs.
    """
    from engine.program.events import LEFT_COMPANY
    from engine.program.refusals import RefusedError
    from engine.program.separation import separate as plan
    from engine.program.withdrawal import withdraw

    if category == LEFT_COMPANY and leaving not in (mentor, mentee):
        raise RefusedError(f"a {LEFT_COMPANY} separation says who left: add --leaving "
                           f"{mentor} or --leaving {mentee}; that person is withdrawn from the "
                           "program" + (f" ({leaving} is neither)" if leaving else ""))
    if leaving is not None and category != LEFT_COMPANY:
        raise RefusedError(f"--leaving goes with --category {LEFT_COMPANY} only")

    def build(state: ProgramState, run: str, at: str, who: str) -> list[dict[str, Any]]:
        proposed = {(x.mentor, x.mentee): p.run for p in state.pending for x in p.pairs}
        ended = plan(_active(state), state.known(), state.history, proposed, mentor=mentor,
                     mentee=mentee, reason=reason, category=category, categories=categories,
                     run=run, at=at, actor=who)
        out = [ended.as_doc()]
        if leaving is not None:
            out += [e.as_doc() for e in withdraw(
                _active(state), state.roles, {p: w.seq for p, w in state.withdrawn.items()},
                _held(state), person=leaving, reason=reason, run=run, at=at, actor=who,
                category=LEFT_COMPANY, skip={(mentor, mentee)})]
        return out

    return record(db_url, actor, build, commit=commit)


# -- withdrawal and rejoin -------------------------------------------------------------------

def withdraw(db_url: str | None, actor: str | None, *, person: str, reason: str,
             commit: bool) -> Recorded:
    """`tandem withdraw PERSON`: end their active pairs, then take them out of the program."""
    from engine.program.withdrawal import withdraw as plan

    def build(state: ProgramState, run: str, at: str, who: str) -> list[dict[str, Any]]:
        return [e.as_doc() for e in plan(
            _active(state), state.roles, {p: w.seq for p, w in state.withdrawn.items()},
            _held(state), person=person, reason=reason, run=run, at=at, actor=who)]

    return record(db_url, actor, build, commit=commit)


def rejoin(db_url: str | None, actor: str | None, *, person: str, reason: str,
           commit: bool) -> Recorded:
    """`tandem rejoin PERSON`: a withdrawn person is back in the program."""
    from engine.program.withdrawal import rejoin as plan

    def build(state: ProgramState, run: str, at: str, who: str) -> list[dict[str, Any]]:
        return [plan(state.roles, {p: w.seq for p, w in state.withdrawn.items()},
                     person=person, reason=reason, run=run, at=at, actor=who).as_doc()]

    return record(db_url, actor, build, commit=commit)


# -- reassignment ----------------------------------------------------------------------------

def reassign(db_url: str | None, actor: str | None, cohort: Cohort, rules: Rules,
             people: Sequence[str], *, commit: bool, accept_warnings: bool = False
             ) -> CommitReceipt | dict[str, Any]:
    """`tandem reassign`: the receipt of the recorded run, or the dry run's result.

    A commit is refused while warnings about the rules stand, unless ``accept_warnings``
    (engine.pairing.pipeline.commit_warnings)."""
    from engine.evaluation.inputs import profiles_for_snapshot
    from engine.evaluation.rule_warnings import refuse_unaccepted
    from engine.pairing.pipeline import commit_warnings
    from engine.program.reassignment import reassign as plan

    if not commit:
        return plan(cohort, rules, current_state(db_url).standing(), people)
    accepted = refuse_unaccepted(commit_warnings(cohort, rules), accept_warnings)
    shown: list[dict[str, Any]] = []

    def compute(state: ProgramState) -> CommitInput:
        result = plan(cohort, rules, state.standing(), people)
        if accepted:
            result = {**result, "accepted_warnings": accepted}
        shown.append(result)
        # The log records the free people's run: who is already paired says so in the
        # state itself. The receipt's result still names them, as the dry run does.
        free = [u for u in result["unpaired"] if u["reason"] != "already-paired"]
        recorded = {**result, "unpaired": free,
                    "summary": {**result["summary"], "unpaired": len(free)}}
        return CommitInput(recorded, rules.files_of("pairing"), profiles_for_snapshot(cohort))

    receipt = commit_run(db_url, actor, compute, command=COMMAND_REASSIGN)
    result = shown[-1]
    return replace(receipt, result=result, already_paired=tuple(sorted(
        str(u["id"]) for u in result["unpaired"] if u["reason"] == "already-paired")))


# -- decisions -------------------------------------------------------------------------------

def decide(db_url: str | None, actor: str | None, cohort: Cohort | None, rules: Rules, *,
           choice: Choice, mentor: str, mentee: str, reason: str, override_exclusion: bool,
           commit: bool, separate: bool = False, category: str = "other",
           categories: Sequence[str] = ("other",)) -> Recorded:
    """`tandem decide force|forbid`: the human's decision, with what the rules said.

    The profiles come from the program's record (`judged_cohort`); a cohort
    file given too must agree with it about both people, or the decision is refused with
    both values. ``separate``: a forbid of an active pair records its separation first.
    """
    from engine.pairing.pipeline import input_digest
    from engine.program.decision import decide as plan
    from engine.program.separation import separate as end

    judged = judged_cohort(db_url, cohort, rules, (mentor, mentee))

    def build(state: ProgramState, run: str, at: str, who: str) -> list[dict[str, Any]]:
        decision = plan(judged, rules, state.standing(),
                        [(p.mentor, p.mentee) for p in state.active], choice=choice,
                        mentor=mentor, mentee=mentee, reason=reason,
                        override_exclusion=override_exclusion, run=run, at=at, actor=who,
                        separate=separate)
        out = []
        if choice == "forbid" and separate and state.active_pair(mentor, mentee):
            proposed = {(x.mentor, x.mentee): p.run for p in state.pending for x in p.pairs}
            out.append(end(_active(state), state.known(), state.history, proposed,
                           mentor=mentor, mentee=mentee, reason=reason, category=category,
                           categories=categories, run=run, at=at, actor=who).as_doc())
        return [*out, replace(decision, rules_digest=rules.digest,
                              input_digest=input_digest(judged)).as_doc()]

    return record(db_url, actor, build, commit=commit, create=cohort is not None)


# -- the kept snapshot as a cohort -----------------------------------------------------------

def judged_cohort(db_url: str | None, given: Cohort | None, rules: Rules,
                  people: Sequence[str]) -> Cohort:
    """The cohort a decision judges on: the program's kept profiles.

    Without a file, the kept snapshot (refused when it does not hold both people). With a
    file, each of ``people`` must have the same profile in both; a difference is refused,
    naming the field and both values. A log with no kept profile lets the file stand.
    """
    import json
    import tempfile
    from pathlib import Path

    from audit.log import db as database
    from audit.state import kept_profiles
    from engine.evaluation.inputs import profiles_for_snapshot
    from engine.profiles.validate import load_cohort
    from engine.program.refusals import RefusedError

    present = database.open_if_present(database.resolve_url(db_url))
    kept: dict[str, dict[str, Any]] = {}
    as_of = None
    if present is not None:
        try:
            with present.reading() as conn:
                state = current_state_of(conn)
                kept = kept_profiles(conn, state)
                runs = [d for d in state.runs.values() if d.get("as_of")]
                as_of = str(runs[-1]["as_of"]) if runs else None
        finally:
            present.dispose()
    if given is not None:
        if kept:
            mine = {str(r["id"]): r for r in profiles_for_snapshot(given)}
            for pid in people:
                _agree(pid, mine.get(pid), kept.get(pid), str(given.source))
        return given
    missing = [pid for pid in people if pid not in kept]
    if missing:
        raise RefusedError(f"the audit log keeps no profile of {', '.join(missing)} (never in a "
                           "committed run, or erased); give the cohort file with --cohort FILE")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kept-snapshot.json"
        path.write_text(json.dumps({"program": {"as_of": as_of} if as_of else {},
                                    "participants": list(kept.values())}), "utf-8")
        cohort, _ = load_cohort(path, rules.vocabulary)
    return replace(cohort, source="the kept snapshot of the audit log")


def current_state_of(conn: Any) -> ProgramState:
    from audit.state import program_state

    return program_state(conn)


def _agree(pid: str, mine: Mapping[str, Any] | None, kept: Mapping[str, Any] | None,
           source: str) -> None:
    """Refuse a file whose profile of ``pid`` differs from the kept one, with both values."""
    from engine.program.refusals import RefusedError

    if mine is None or kept is None:
        return
    fields = sorted(k for k in set(mine) | set(kept) if k not in ("name", "email")
                    and mine.get(k) != kept.get(k))
    if fields:
        diffs = "; ".join(f"{k}: {mine.get(k)!r} in {source}, {kept.get(k)!r} in the record"
                          for k in fields)
        raise RefusedError(f"{source} disagrees with the program's record about {pid} "
                           f"({diffs}); the decision is judged on the record: leave out "
                           "--cohort, or commit the new profiles with a run first")


# -- approval --------------------------------------------------------------------------------

def _proposals(state: ProgramState) -> tuple[dict[str, str], dict[str, list[int]]]:
    return ({p.run: p.actor for p in state.pending},
            {p.run: [x.seq for x in p.pairs] for p in state.pending})


def approve(db_url: str | None, actor: str | None, run_asked: str) -> Recorded:
    """`tandem approve RUN`: the proposal's pairs become active."""
    from engine.program.approval import approve as plan

    def build(state: ProgramState, run: str, at: str, who: str,
              vouched: str) -> list[dict[str, Any]]:
        pending, pairs = _proposals(state)
        return [plan(pending, pairs, state.closed, list(state.runs), asked=run_asked,
                     run=run, at=at, actor=who, vouched=vouched,
                     proposers={p.run: p.vouched for p in state.pending}).as_doc()]

    return record_vouched(db_url, actor, build, commit=True)


def reject(db_url: str | None, actor: str | None, run_asked: str, reason: str) -> Recorded:
    """`tandem reject RUN --reason`: the proposal is closed, its people free again."""
    from engine.program.approval import reject as plan

    def build(state: ProgramState, run: str, at: str, who: str) -> list[dict[str, Any]]:
        pending, _ = _proposals(state)
        return [plan(pending, state.closed, list(state.runs), asked=run_asked,
                     reason=reason, run=run, at=at, actor=who).as_doc()]

    return record(db_url, actor, build, commit=True)
