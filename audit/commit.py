"""Recording a pairing run: the one function `tandem pair --commit` calls.

Importing this module is cheap (no SQLAlchemy): the database code loads inside the
functions. The engine computes the pairs inside our locked transaction, so that two
commits running at once can never pair the same person twice.
"""

from __future__ import annotations

import getpass
import secrets
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from engine.base import oplog

if TYPE_CHECKING:
    from audit.log.witness import WitnessConfig
    from audit.state import ProgramState
    from engine.rules.history import Standing


@dataclass(frozen=True)
class CommitInput:
    """What the engine hands over to be recorded.

    ``result``: the JSON contract of `tandem pair --format json`. ``rules_files``: file name
    -> exact text of the rule files in force. ``profiles``: the whole profile records, for
    the erasable snapshot table; their ``protected`` objects are kept there apart, for
    fairness monitoring only (nothing in the chain holds or hashes protected data).
    """

    result: dict[str, Any]
    rules_files: Mapping[str, str]
    profiles: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    other_rules: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """An experiment's new rules: rules digest -> file name -> text, kept like the others."""
    # Where the profiles came from (the cohort's program.import, written by `tandem import`):
    # source file and mapping digests and each profile's source row, for the run entry.
    source: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class CommitReceipt:
    """What was written: the run, its range of entries, and the new head of the chain."""

    db: str
    run_id: str
    first_seq: int
    last_seq: int
    head_hash: str
    entries: int
    pairs: int
    unpaired: int
    already_paired: tuple[str, ...]
    result: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    proposal: bool = False  # the pairs wait for `tandem approve RUN`
    witness: str | None = None

    @property
    def head(self) -> str:
        """``SEQ:HASH``, for `tandem audit verify --expect-head`."""
        return f"{self.last_seq}:{self.head_hash}"

    def describe(self) -> str:
        busy = (f"; {len(self.already_paired)} already in an active pair were not paired "
                f"again ({', '.join(self.already_paired[:10])}"
                f"{', ...' if len(self.already_paired) > 10 else ''})"
                if self.already_paired else "")
        return (f"Recorded run {self.run_id} in {self.db}: entries {self.first_seq} to "
                f"{self.last_seq} ({self.pairs} pairs, {self.unpaired} unpaired{busy}).\n"
                + (f"These pairs are a proposal: they become active with `tandem approve "
                   f"{self.run_id} --actor NAME`, given by someone other than the proposer; "
                   f"`tandem reject {self.run_id} --reason TEXT` closes it.\n"
                   if self.proposal else "")
                + f"New head: {self.head}\n"
                + (f"Appended to the witness {self.witness}; check later with "
                   f"`tandem audit verify --witness {self.witness}`."
                   if self.witness else
                   "Keep it outside the database; check later with "
                   f"`tandem audit verify --expect-head {self.head}`."))

    def as_dict(self) -> dict[str, Any]:
        return {"db": self.db, "run_id": self.run_id, "first_seq": self.first_seq,
                "last_seq": self.last_seq, "head_hash": self.head_hash, "head": self.head,
                "entries": self.entries, "pairs": self.pairs, "unpaired": self.unpaired,
                "already_paired": list(self.already_paired), "proposal": self.proposal,
                "witness": self.witness}


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def vouched_identity(conn: Any) -> str:
    """Who the database vouches is writing: the role of the session on PostgreSQL
    (``session_user``, which the server authenticated), the operating-system user on SQLite
    (which the file cannot prove: anyone who can write the file can write any name).
    Recorded as ``vouched`` beside the free-text ``actor``."""
    if conn is not None and conn.dialect.name == "postgresql":
        from sqlalchemy import text

        return "postgresql:" + str(conn.execute(text("SELECT session_user")).scalar_one())
    return "os:" + os_user()


def os_user() -> str:
    """The operating-system user running Tandem."""
    return default_actor()


def new_run_id(at: str) -> str:
    stamp = at[:19].replace("-", "").replace(":", "")
    return f"{stamp}Z-{secrets.token_hex(3)}"


def commit_pairing(db_url: str | None, actor: str | None,
                   compute: Callable[[frozenset[str]], CommitInput], *,
                   lock_timeout: float | None = None, witness: WitnessConfig | None = None,
                   allow_other_tables: bool = False) -> CommitReceipt:
    """Compute and record one run, in one transaction: all of it, or nothing.

    ``compute`` is called with the ids of the people already in active pairs, while the
    chain is locked, and must not pair any of them. `commit_run` gives it the whole state.
    """
    return commit_run(db_url, actor, lambda state: compute(state.busy()),
                      lock_timeout=lock_timeout, witness=witness,
                      allow_other_tables=allow_other_tables)


def commit_run(db_url: str | None, actor: str | None,
               compute: Callable[[ProgramState], CommitInput], *, command: str | None = None,
               lock_timeout: float | None = None, witness: WitnessConfig | None = None,
               allow_other_tables: bool = False) -> CommitReceipt:
    """Compute and record one run, in one transaction: all of it, or nothing.

    ``compute`` is called with the program's state derived from the log, while the chain
    is locked: it must give no mentee already paired a partner, and no mentor more mentees
    than their remaining places (`ProgramState.standing`). ``command="reassign"`` records
    the pairs as reassignments. Operational logs during the call carry the run's id
    (engine.base.oplog.bound). ``witness``: where the new head goes (default: TANDEM_WITNESS,
    signed with TANDEM_SIGNING_KEY).
    """
    from audit.log import db as database
    from audit.log import entries, store
    from audit.log.migrate import open_for_write
    from audit.state import program_state as state_of

    log = oplog.get_logger("tandem.audit")
    db = open_for_write(database.resolve_url(db_url), lock_timeout, witness=witness,
                                 allow_other_tables=allow_other_tables)
    asked = time.perf_counter()
    try:
        with db.writing() as conn:
            run_id = new_run_id(utc_now())
            locked = time.perf_counter()
            with oplog.bound(run_id=run_id):
                log.debug("audit lock taken", db=db.shown, waited=round(locked - asked, 3))
                state = state_of(conn)
                given = compute(state)
                at = utc_now()
                docs = entries.run_documents(given.result, given.rules_files, given.profiles,
                                             run_id=run_id, at=at,
                                             actor=actor or default_actor(),
                                             busy=state.busy(), load=state.load(),
                                             command=command, freed_by=state.freed_by,
                                             source=given.source)
                store.keep_rules(conn, str(given.result["rules_digest"]), given.rules_files,
                                 at)
                for other, files in given.other_rules.items():
                    store.keep_rules(conn, other, files, at)
                store.keep_snapshot(conn, str(given.result["input_digest"]),
                                    entries.snapshot_rows(given.profiles))
                store.keep_snapshot(conn,
                                    entries.monitoring_key(str(given.result["input_digest"])),
                                    entries.protected_rows(given.profiles))
                docs[0]["vouched"] = vouched_identity(conn)
                chain = store.append_group(conn, docs)
    finally:
        db.dispose()
    log.info("audit run recorded", run_id=run_id, db=db.shown, first_seq=chain[0].seq,
             last_seq=chain[-1].seq, held=round(time.perf_counter() - locked, 3))
    already = tuple(sorted(str(u["id"]) for u in given.result["unpaired"]
                           if u.get("reason") == "already-paired"))
    return CommitReceipt(db=db.shown, run_id=run_id, first_seq=chain[0].seq,
                         last_seq=chain[-1].seq, head_hash=chain[-1].entry_hash,
                         entries=len(chain), pairs=len(given.result["pairs"]),
                         unpaired=len(given.result["unpaired"]), already_paired=already,
                         result=given.result, proposal=chain[0].doc.get("approval") == "required",
                         witness=str(db.witness.path) if db.witness and db.witness.path
                         else None)


def active_people(db_url: str | None) -> frozenset[str]:
    """Ids of the people in an active pair, read-only; empty when there is no log yet."""
    return current_state(db_url).busy()


def current_state(db_url: str | None) -> ProgramState:
    """The program's state, read-only; the empty state when there is no log yet (a dry run
    without a database sees no pairs and no history)."""
    from audit.log import location
    from audit.state import derive_state

    url = location.resolve_url(db_url)
    if location.absent(url):  # no log: no need to load the database library
        return derive_state(())
    from audit.log import db as database
    from audit.state import program_state as state_of

    db = database.open_if_present(url)
    if db is None:
        return derive_state(())
    try:
        with db.reading() as conn:
            return state_of(conn)
    finally:
        db.dispose()


# A dry run about this many people or fewer reads their entries only (indexed queries).
FOCUS_LIMIT = 400


def current_standing(db_url: str | None, people: Collection[str]) -> Standing:
    """What the pairing engine needs of the program's state, for these people: the places
    each holds, the past of every couple one of them is in, and who of them withdrew.

    For FOCUS_LIMIT people or fewer, it folds only the entries that name them in an indexed
    column, with the approvals and rejections and the run entries that wait for approval
    (`audit.log.store.docs_about`): exact for them, since every entry that changes a
    person's pairs names them, or names a run they are proposed in, and each command's
    entries have a run id of their own (a forced pair's proposal is never a pairing run's).
    For more, it reads the whole state (`current_state`)."""
    from audit.log import location
    from audit.state import standing_for

    wanted = frozenset(people)
    url = location.resolve_url(db_url)
    if location.absent(url) or len(wanted) > FOCUS_LIMIT:
        return standing_for(current_state(db_url), wanted)
    from audit.log import db as database
    from audit.log import store
    from audit.state import derive_state

    db = database.open_if_present(url)
    if db is None:
        return standing_for(derive_state(()), wanted)
    try:
        with db.reading() as conn:
            docs = store.docs_about(conn, sorted(wanted), ("approval", "rejection"))
    finally:
        db.dispose()
    return standing_for(derive_state(docs), wanted)
