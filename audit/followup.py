"""Recording check-ins and outcomes, and reading back the pairs they follow.

Check-ins and outcomes are facts reported by people, not decisions: they are recorded at
once, each as one entry appended to the same hash chain as the pairing runs, under the same
writers' lock (``audit.log.db.Database.writing``). The free-text note of a fact is personal
data: the entry keeps only ``note_digest``, a salted SHA-256 of the text, and the text and
its salt go to the erasable ``audit_note`` table. Erasing a note (deleting its row) never
breaks the chain, and the digest alone does not reveal the text.

Entry kinds written here (besides seq, kind, run, at, actor):

- ``checkin``: mentor, mentee, on (YYYY-MM-DD), by ("mentor", "mentee" or null), rating
  (1..5), note_digest (or null), pair_seq (the entry that formed the pair);
- ``outcome``: mentor, mentee, result ("success", "partial", "failure"), note_digest (or
  null), pair_seq. An outcome ends the pair when it is active: no check-in follows it;
- ``correction`` (`engine.program.events.Correction`): a new result for a pair that has an
  outcome, with its reason and ``corrects``, the outcome or correction it supersedes. The
  earlier entry is never edited; readers take the latest.

Every entry also records ``vouched``, the identity the database vouches for
(`audit.commit.vouched_identity`).

All the facts of one command share one ``run`` id, like the entries of a pairing run.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from audit.commit import default_actor, new_run_id, utc_now, vouched_identity
from audit.log.errors import AuditError
from audit.log.kinds import KIND_CHECKIN, KIND_CORRECTION, KIND_OUTCOME
from engine.base.errors import InvalidInput, Problem
from engine.followup.checks import check_checkin, check_outcome
from engine.followup.facts import (
    RESULTS,
    Checkin,
    Outcome,
    PairBook,
    PairRecord,
)
from engine.insights.facts import PairFact
from engine.insights.results import PairResult, pair_result

FORMING = ("pair", "reassignment")


@dataclass(frozen=True, slots=True)
class CheckinEntry:
    """A check-in as chained: which pair (and the entry that formed it), when, who answered,
    the rating, and the digest of its note (the text is outside the chain)."""

    run: str
    at: str
    actor: str
    mentor: str
    mentee: str
    on: str
    by: str | None
    rating: int
    note_digest: str | None
    pair_seq: int

    def as_doc(self) -> dict[str, Any]:
        return {"kind": KIND_CHECKIN, "run": self.run, "at": self.at, "actor": self.actor,
                "mentor": self.mentor, "mentee": self.mentee, "on": self.on, "by": self.by,
                "rating": self.rating, "note_digest": self.note_digest,
                "pair_seq": self.pair_seq}

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> CheckinEntry:
        return cls(str(doc["run"]), str(doc["at"]), str(doc["actor"]), str(doc["mentor"]),
                   str(doc["mentee"]), str(doc["on"]), doc.get("by"), int(doc["rating"]),
                   doc.get("note_digest"), int(doc["pair_seq"]))


@dataclass(frozen=True, slots=True)
class OutcomeEntry:
    """An outcome as chained: which pair, how it ended, and the digest of its note."""

    run: str
    at: str
    actor: str
    mentor: str
    mentee: str
    result: str
    note_digest: str | None
    pair_seq: int

    def as_doc(self) -> dict[str, Any]:
        return {"kind": KIND_OUTCOME, "run": self.run, "at": self.at, "actor": self.actor,
                "mentor": self.mentor, "mentee": self.mentee, "result": self.result,
                "note_digest": self.note_digest, "pair_seq": self.pair_seq}

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> OutcomeEntry:
        return cls(str(doc["run"]), str(doc["at"]), str(doc["actor"]), str(doc["mentor"]),
                   str(doc["mentee"]), str(doc["result"]), doc.get("note_digest"),
                   int(doc["pair_seq"]))


class RefusedError(AuditError):
    """A check-in or an outcome the log forbids; nothing was written."""

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        self.reason, self.suggestion = message, suggestion
        hint = f" Did you mean {suggestion}?" if suggestion else ""
        super().__init__(f"{message}; nothing was written.{hint}")


@dataclass(frozen=True)
class FollowupReceipt:
    """What was written, and the rows left out (with --skip-invalid)."""

    db: str
    run_id: str
    first_seq: int
    last_seq: int
    head_hash: str
    recorded: int
    kind: str
    skipped: tuple[Problem, ...] = ()
    witness: str | None = None

    @property
    def head(self) -> str:
        return f"{self.last_seq}:{self.head_hash}"

    def describe(self) -> str:
        noun = {KIND_CHECKIN: "check-in", KIND_CORRECTION: "correction"}.get(self.kind,
                                                                           "outcome")
        plural = "" if self.recorded == 1 else "s"
        where = (f"entry {self.first_seq}" if self.first_seq == self.last_seq
                 else f"entries {self.first_seq} to {self.last_seq}")
        skipped = (f"; {len(self.skipped)} invalid row{'' if len(self.skipped) == 1 else 's'} "
                   "skipped (listed above)" if self.skipped else "")
        return (f"Recorded {self.recorded} {noun}{plural} in {self.db}: {where}{skipped}.\n"
                f"New head: {self.head}"
                + (f"\nAppended to the witness {self.witness}." if self.witness else ""))

    def as_dict(self) -> dict[str, Any]:
        return {"db": self.db, "run_id": self.run_id, "first_seq": self.first_seq,
                "last_seq": self.last_seq, "head": self.head, "recorded": self.recorded,
                "skipped": [p.as_dict() for p in self.skipped], "witness": self.witness}


# -- the pairs the log formed (a fold over the entries, oldest first) -------------------------

def _day(at: str) -> date:
    return date.fromisoformat(str(at)[:10])


def pair_book(docs: Iterable[Mapping[str, Any]],
              active: Collection[tuple[str, str]] | None = None) -> PairBook:
    """Every pair the log formed, with its check-in/outcome state. Pure.

    A ``pair`` or ``reassignment`` entry, or a ``decision`` that forces a pair, forms one;
    the pairs of a run (or the pair a decision forces) that needs approval are formed only
    once an ``approval`` names the run, and never when a ``rejection`` does. A
    ``separation`` ends the pair; an ``outcome`` records its result. ``active``, when
    given, is the program's own answer (``audit.state.derive_state``) to which pairs are
    active: a pair is active only when both agree.
    """
    pairs: dict[tuple[str, str], PairRecord] = {}
    pending: dict[str, list[PairRecord]] = {}
    awaiting: set[str] = set()
    for doc in docs:
        kind = doc.get("kind")
        if kind == "run":
            if doc.get("approval") == "required":
                awaiting.add(str(doc.get("run")))
            continue
        if kind in FORMING or (kind == "decision" and doc.get("decision") == "force"):
            if kind == "decision" and doc.get("approval") == "required":
                awaiting.add(str(doc.get("run")))  # a forced pair waiting for approval
            record = PairRecord(str(doc["mentor"]), str(doc["mentee"]), int(doc["seq"]),
                                str(doc.get("run")), _day(str(doc["at"])),
                                doc.get("score") or 0, tuple(doc.get("reasons") or ()), True)
            if record.run in awaiting:
                pending.setdefault(record.run, []).append(record)
            else:
                pairs[(record.mentor, record.mentee)] = record
        elif kind == "approval":
            for record in pending.pop(str(doc.get("approves")), []):
                pairs[(record.mentor, record.mentee)] = replace(record, began=_day(doc["at"]))
        elif kind == "rejection":
            pending.pop(str(doc.get("rejects")), None)
        elif kind == "separation":
            key = (str(doc.get("mentor")), str(doc.get("mentee")))
            if key in pairs and pairs[key].active:
                pairs[key] = replace(pairs[key], active=False, ended=_day(str(doc["at"])),
                                     separation=str(doc.get("category") or "other"))
        elif kind in (KIND_OUTCOME, KIND_CORRECTION):
            key = (str(doc["mentor"]), str(doc["mentee"]))
            if key in pairs:
                record = pairs[key]
                ended = (record.ended or _day(str(doc["at"]))) if kind == KIND_OUTCOME else (
                    record.ended)
                pairs[key] = replace(record, outcome=doc["result"],
                                     outcome_seq=int(doc["seq"]), active=False, ended=ended)
    if active is not None:
        pairs = {key: replace(record, active=False) if record.active and key not in active
                 else record for key, record in pairs.items()}
    proposed = {(r.mentor, r.mentee): run for run, records in pending.items()
                for r in records if (r.mentor, r.mentee) not in pairs}
    return PairBook(pairs, proposed)


def current_book(docs: Sequence[Mapping[str, Any]]) -> PairBook:
    """The pairs, active as the program's state (the fold in ``audit.state``) says."""
    from audit.state import derive_state

    state = derive_state(docs)
    return pair_book(docs, {(p.mentor, p.mentee) for p in state.active})


def result_of(record: PairRecord, *, partial_as_failure: bool = False) -> PairResult:
    """The pair's result, by the one definition (``engine.insights.results``) that
    insights, the report and the workbook use."""
    return pair_result(record.outcome, record.separation, record.active,
                       partial_as_failure=partial_as_failure)


def results(docs: Sequence[Mapping[str, Any]], *, partial_as_failure: bool = False
            ) -> dict[int, PairResult]:
    """The result of every pair the log formed, by the seq of the entry that formed it."""
    return {record.seq: result_of(record, partial_as_failure=partial_as_failure)
            for record in current_book(docs).pairs.values()}


def ended_results(docs: Sequence[Mapping[str, Any]]) -> list[PairFact]:
    """The pairs with a known result in ended cohorts, from the entries (without profiles):
    what `tandem insights` analyses, for the report's outcomes by group."""
    from engine.insights.report import scope

    facts = [PairFact(r.mentor, r.mentee, r.seq, r.began, r.score, (), {},
                      result_of(r).kind, result_of(r).source, cohort=r.run)
             for r in sorted(current_book(docs).pairs.values(), key=lambda r: r.seq)]
    return list(scope(facts).analysed)


# -- the notes: text outside the chain ---------------------------------------------------------

@dataclass(frozen=True)
class _Note:
    digest: str
    salt: str
    text: str


def _note(text: str | None) -> _Note | None:
    if not text:
        return None
    from audit.log.entries import note_digest

    salt = secrets.token_hex(16)
    return _Note(note_digest(salt, text), salt, text)


def note_matches(digest: str, salt: str, text: str) -> bool:
    """Whether a kept note still matches the digest its entry holds."""
    from audit.log.entries import note_state

    return note_state(digest, (salt, text)) == "kept"


# -- writing --------------------------------------------------------------------------------

@dataclass
class _Batch:
    docs: list[dict[str, Any]] = field(default_factory=list)
    notes: list[_Note] = field(default_factory=list)


def _docs(conn: Any) -> list[dict[str, Any]]:
    from audit.log import store

    # Not streamed: the writer appends on this connection right after reading. Malformed
    # entries are left out, with a warning.
    return store.all_docs(conn)


# A write about this many people or fewer reads their entries only (an indexed query).
FOCUS_LIMIT = 400
# Entries that change a pair without naming its people in an indexed column: an approval
# or a rejection of a run (the run entries of the pairs' own runs are read too).
_UNNAMED = ("approval", "rejection")


def _book(conn: Any, pairs: Sequence[tuple[str, str]]
          ) -> tuple[PairBook, list[dict[str, Any]]]:
    """The pairs the facts name, as the whole log says, and the entries it was read from
    (every entry about their people: their check-ins and outcomes included). Only the
    entries about their people (and the runs, approvals and rejections) are read when every
    pair is found there, which is the usual case; otherwise, or for a large batch, the whole
    log, so that a refusal says exactly what the whole log says (the closest pair it
    formed, as a hint)."""
    from audit.log import store

    people = sorted({person for pair in pairs for person in pair})
    if people and len(people) <= FOCUS_LIMIT:
        docs = list(store.docs_about(conn, people, _UNNAMED))
        book = current_book(docs)
        if all(book.get(mentor, mentee) is not None for mentor, mentee in pairs):
            return book, docs
    docs = list(_docs(conn))
    return current_book(docs), docs


def _write(db_url: str | None, kind: str, build: Any,
           pairs: Sequence[tuple[str, str]] = ()) -> FollowupReceipt:
    """Under the writers' lock: read the pairs, let ``build`` make the entries, append them."""
    from sqlalchemy import insert

    from audit.log import db as database
    from audit.log import entries, schema, store
    from audit.log.migrate import open_for_write

    url = database.resolve_url(db_url)
    present = database.open_for_read(url)  # a fact needs a log with pairs: never create one
    present.dispose()
    db = open_for_write(url)  # the writers' lock; and the witness, when configured
    try:
        with db.writing() as conn:
            head_seq, head_hash = store.head(conn)
            at = utc_now()
            book, docs = _book(conn, pairs)
            batch, skipped = build(book, at, new_run_id(at), docs)
            if not batch.docs:
                return FollowupReceipt(db.shown, "", head_seq, head_seq, head_hash, 0, kind,
                                       tuple(skipped))
            who = vouched_identity(conn)
            chain = entries.link([{**d, "vouched": who} for d in batch.docs], head_seq,
                                 head_hash)
            store.append(conn, chain)
            if batch.notes:
                conn.execute(insert(schema.note), [
                    {"note_digest": n.digest, "salt": n.salt, "text": n.text, "at": at}
                    for n in batch.notes])
    finally:
        db.dispose()
    witness = str(db.witness.path) if db.witness and db.witness.path else None
    return FollowupReceipt(db.shown, chain[0].doc["run"], chain[0].seq, chain[-1].seq,
                           chain[-1].entry_hash, len(chain), kind, tuple(skipped), witness)


def _position(problem: Problem) -> int:
    """The row, line or item a problem is at, to list problems in file order."""
    digits = re.search(r"\d+", problem.path)
    return int(digits.group()) if digits else 0


def _today() -> date:
    return datetime.now(UTC).date()


CheckinKey = tuple[str, str, str, str | None, int]


def _key(mentor: str, mentee: str, day: str, by: str | None, rating: int) -> CheckinKey:
    """What makes two check-ins the same: the pair, the day, the side and the rating."""
    return (mentor, mentee, day, by, rating)


def _logged_checkins(docs: Iterable[Mapping[str, Any]]) -> set[CheckinKey]:
    return {_key(str(d["mentor"]), str(d["mentee"]), str(d["on"]), d.get("by"),
                 int(d["rating"])) for d in docs if d.get("kind") == KIND_CHECKIN}


def _not_text(fact: Checkin) -> Problem | None:
    """A check-in whose text cannot be stored as UTF-8 (a lone surrogate, from a JSON
    escape such as \\ud800), refused like any other invalid row."""
    for name, value in (("mentor", fact.mentor), ("mentee", fact.mentee),
                        ("note", fact.note)):
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return Problem("", fact.where, f"the {name} holds a lone surrogate "
                               "(an escape such as \\ud800 that is no character), which is "
                               "not text; correct it in the file")
    return None


def record_checkins(db_url: str | None, actor: str | None, checkins: Sequence[Checkin], *,
                    file: str | None = None, skip_invalid: bool = False,
                    skipped: Sequence[Problem] = (), today: date | None = None,
                    allow_duplicates: bool = False) -> FollowupReceipt:
    """Record check-ins of active pairs, all or nothing (or the valid ones, ``skip_invalid``).

    A check-in identical to one already logged, or to an earlier one of the same file (the
    same pair, day, side and rating), is refused as a duplicate, unless
    ``allow_duplicates``.

    ``file`` names where the check-ins were read. Raises InvalidInput listing every refused
    row, and writes nothing, unless ``skip_invalid``; without ``file`` (the command line),
    RefusedError for the first refusal.
    """
    day = today or _today()
    who = actor or default_actor()

    def build(book: PairBook, at: str, run: str, docs: Sequence[Mapping[str, Any]]
              ) -> tuple[_Batch, list[Problem]]:
        batch, refused = _Batch(), list(skipped)
        seen = set() if allow_duplicates else _logged_checkins(docs)
        for fact in checkins:
            garbled = _not_text(fact)
            if garbled is not None:
                if file is None:
                    raise RefusedError(garbled.message)
                refused.append(Problem(file, fact.where, garbled.message))
                continue
            refusal = check_checkin(fact, book, day)
            key = _key(fact.mentor, fact.mentee, (fact.on or day).isoformat(), fact.by,
                       fact.rating)
            if refusal is None and key in seen:
                refusal = (f"{fact.mentor} and {fact.mentee} already have this check-in: "
                           f"rating {fact.rating} by {fact.by or 'either side'} on {key[2]} "
                           "(in the log, or earlier in this file); give --allow-duplicates "
                           "if it really happened twice", None)
            if refusal is not None:
                if file is None:
                    raise RefusedError(*refusal)
                refused.append(Problem(file, fact.where, *refusal))
                continue
            if not allow_duplicates:
                seen.add(key)
            note = _note(fact.note)
            record = book.pairs[(fact.mentor, fact.mentee)]
            batch.docs.append(CheckinEntry(
                run, at, who, fact.mentor, fact.mentee, (fact.on or day).isoformat(), fact.by,
                fact.rating, note.digest if note else None, record.seq).as_doc())
            if note:
                batch.notes.append(note)
        refused.sort(key=_position)
        if refused and not skip_invalid:
            raise InvalidInput(refused, "check-ins")
        return batch, refused

    return _write(db_url, KIND_CHECKIN, build, [(c.mentor, c.mentee) for c in checkins])


def import_checkins(db_url: str | None, actor: str | None, path: Path, *,
                    skip_invalid: bool = False, today: date | None = None,
                    allow_duplicates: bool = False) -> FollowupReceipt:
    """`tandem checkin --from FILE`: check every row, then record all of them, or the valid
    ones with ``skip_invalid`` (the others come back in ``skipped``)."""
    from engine.followup.records import read_checkins

    read = read_checkins(path)
    receipt = record_checkins(db_url, actor, read.checkins, file=read.file,
                              skip_invalid=skip_invalid, skipped=read.problems, today=today,
                              allow_duplicates=allow_duplicates)
    if receipt.recorded == 0:
        raise InvalidInput(receipt.skipped or [Problem(read.file, "", "no valid row")],
                           "check-ins")
    return receipt


def record_outcome(db_url: str | None, actor: str | None, fact: Outcome) -> FollowupReceipt:
    """Record how a pair ended, once per pair. Raises RefusedError, writing nothing, when the
    log never formed the pair or it already has an outcome."""
    return record_outcomes(db_url, actor, [fact])


def record_outcomes(db_url: str | None, actor: str | None, facts: Sequence[Outcome]
                    ) -> FollowupReceipt:
    """Record several outcomes in one transaction: all of them, or none (RefusedError)."""
    who = actor or default_actor()

    def build(book: PairBook, at: str, run: str, _docs: Sequence[Mapping[str, Any]]
              ) -> tuple[_Batch, list[Problem]]:
        batch = _Batch()
        for fact in facts:
            refusal = check_outcome(fact, book)
            if refusal is not None:
                raise RefusedError(*refusal)
            note = _note(fact.note)
            record = book.pairs[(fact.mentor, fact.mentee)]
            batch.docs.append(OutcomeEntry(
                run, at, who, fact.mentor, fact.mentee, fact.result,
                note.digest if note else None, record.seq).as_doc())
            batch.notes += [note] if note else []
            book = PairBook({**book.pairs, (fact.mentor, fact.mentee): replace(
                record, outcome=fact.result, outcome_seq=0)})
        return batch, []

    return _write(db_url, KIND_OUTCOME, build, [(f.mentor, f.mentee) for f in facts])


def record_correction(db_url: str | None, actor: str | None, fact: Outcome, reason: str
                      ) -> FollowupReceipt:
    """Correct the outcome of a pair: a ``correction`` entry that supersedes the latest
    outcome (or correction) of the pair, and never edits it. Refused, writing nothing,
    when the pair has no outcome yet, the result is unchanged, or the reason is empty."""
    from engine.program.events import Correction

    who = actor or default_actor()
    why = reason.strip()
    if not why:
        raise RefusedError("the reason is empty; say why the outcome is corrected with "
                           "--reason TEXT: it is recorded in the audit log")
    if fact.result not in RESULTS:
        raise RefusedError(f"{fact.result!r} is not a result; use one of "
                           f"{', '.join(RESULTS)}")

    def build(book: PairBook, at: str, run: str, _docs: Sequence[Mapping[str, Any]]
              ) -> tuple[_Batch, list[Problem]]:
        found = book.get(fact.mentor, fact.mentee)
        if found is None or found.outcome is None or found.outcome_seq is None:
            refusal = check_outcome(fact, book)
            raise RefusedError(*(refusal or (
                f"{fact.mentor} and {fact.mentee} have no outcome to correct; record it with "
                f"`tandem outcome {fact.mentor} {fact.mentee} --result RESULT`", None)))
        if found.outcome == fact.result:
            raise RefusedError(f"the outcome of {fact.mentor} and {fact.mentee} is already "
                               f"{fact.result} (entry {found.outcome_seq}); nothing to correct")
        note = _note(fact.note)
        doc = Correction(run, at, who, fact.mentor, fact.mentee, fact.result, why,
                         found.outcome_seq, found.seq, note.digest if note else None).as_doc()
        return _Batch([doc], [note] if note else []), []

    return _write(db_url, KIND_CORRECTION, build, [(fact.mentor, fact.mentee)])


# -- reading for the statistics --------------------------------------------------------------

def read_notes(db_url: str | None) -> dict[str, str]:
    """note_digest -> text, for the notes still kept."""
    from sqlalchemy import select

    from audit.log import db as database
    from audit.log import schema

    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            return {str(d): str(t) for d, t in conn.execute(
                select(schema.note.c.note_digest, schema.note.c.text))}
    finally:
        db.dispose()
