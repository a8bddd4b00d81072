"""Introduction letters: the pairs of a committed run as the log holds them, and a record of
every letter sent.

Entry kind written here (besides seq, kind, run, at, actor):

- ``letter``: person (the recipient's id), partner, mentor and mentee (the pair),
  for_run (the pairing run the pair belongs to), template_digest, letter_digest. Never the
  letter's text, nor the address it went to.

A letter is sent, then recorded, one at a time under the writers' lock: a second `tandem
letters RUN --send` finds the entry and sends that letter no more. When the server took a
letter but the record could not be written, the next send may repeat that one letter;
nothing is ever recorded as sent that was not handed to the server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from audit.commit import default_actor, new_run_id, utc_now
from audit.log.errors import AuditError
from audit.log.kinds import KIND_LETTER, KIND_RUN
from engine.base.suggest import closest

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from engine.program.letters import Letter

FORMING = ("pair", "reassignment")


class LettersRefusedError(AuditError):
    """The run cannot be written to: unknown, or its pairs are not active yet."""

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        hint = f" Did you mean {suggestion}?" if suggestion else ""
        super().__init__(f"{message}; nothing was written or sent.{hint}")


@dataclass(frozen=True)
class RunPairs:
    """What a run's letters are written from: its active pairs and the kept profiles."""

    run: str
    pairs: list[dict[str, Any]]  # mentor, mentee, reasons (as the log kept them)
    profiles: dict[str, dict[str, Any]]  # id -> kept profile (erased ones are missing)
    ended: list[tuple[str, str]] = field(default_factory=list)  # pairs no longer active
    sent: frozenset[tuple[str, str, str]] = frozenset()  # (person, mentor, mentee)


@dataclass
class SendReceipt:
    db: str
    sent: list[str] = field(default_factory=list)  # recipient ids
    already: list[str] = field(default_factory=list)  # sent by an earlier --send
    first_seq: int | None = None
    last_seq: int | None = None
    head: str = ""


def letter_doc(letter: Letter, *, run: str, at: str, actor: str, for_run: str,
               template_digest: str) -> dict[str, Any]:
    """The entry recording one letter sent: ids and digests, no text, no address."""
    return {"kind": KIND_LETTER, "run": run, "at": at, "actor": actor,
            "person": letter.recipient, "partner": letter.partner, "mentor": letter.mentor,
            "mentee": letter.mentee, "for_run": for_run, "template_digest": template_digest,
            "letter_digest": letter.digest}


def _sent(conn: Connection, run: str, person: str | None = None
          ) -> frozenset[tuple[str, str, str]]:
    from sqlalchemy import select

    from audit.log import schema

    log = schema.log
    query = select(log.c.entry).where(log.c.kind == KIND_LETTER)
    if person is not None:
        query = query.where(log.c.person_id == person)
    found = set()
    for (text,) in conn.execute(query):
        doc = json.loads(text)
        if doc.get("for_run") == run:
            found.add((str(doc["person"]), str(doc["mentor"]), str(doc["mentee"])))
    return frozenset(found)


def run_pairs(db_url: str | None, run: str) -> RunPairs:
    """The active pairs a committed run formed, the kept profiles of their people, and the
    letters already sent. Refuses an unknown run and a proposal not yet approved."""
    from audit.log import db as database
    from audit.log import store
    from audit.state import program_state

    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            row = store.run_row(conn, run)
            if row is None:
                known = [str(d["run"]) for d in store.state_docs(conn)
                         if d.get("kind") == KIND_RUN]
                raise LettersRefusedError(f"no pairing run {run!r} in {db.shown}",
                                          closest(run, known))
            head = json.loads(row.entry)
            state = program_state(conn)
            if any(p.run == run for p in state.pending):
                raise LettersRefusedError(f"the pairs of run {run} are a proposal; they get "
                                          f"letters once approved (`tandem approve {run}`)")
            active = {(p.mentor, p.mentee) for p in state.active if p.run == run}
            formed = [d for d in store.state_docs(conn)
                      if d.get("run") == run and d.get("kind") in FORMING]
            pairs = [{"mentor": d["mentor"], "mentee": d["mentee"],
                      "reasons": d.get("reasons") or []} for d in formed
                     if (d["mentor"], d["mentee"]) in active]
            ended = [(str(d["mentor"]), str(d["mentee"])) for d in formed
                     if (d["mentor"], d["mentee"]) not in active]
            people = sorted({p[k] for p in pairs for k in ("mentor", "mentee")})
            kept = store.snapshot_profiles(conn, str(head["input_digest"]), people)
            profiles = {pid: json.loads(text) for pid, text in kept.items()}
            return RunPairs(run, pairs, profiles, ended, _sent(conn, run))
    finally:
        db.dispose()


def send_letters(db_url: str | None, run: str, letters: Sequence[Letter],
                 template_digest: str, deliver: Callable[[Letter], None],
                 actor: str | None = None) -> SendReceipt:
    """Send each letter not sent before, then record it, one letter at a time under the
    writers' lock. ``deliver`` hands one letter to the mail server (and raises if it
    cannot); a letter it refuses is not recorded, and the letters after it are not sent."""
    from audit.log import db as database
    from audit.log import entries, store
    from audit.log.migrate import open_for_write

    url = database.resolve_url(db_url)
    database.open_for_read(url).dispose()  # letters need a log with the run: never create one
    db = open_for_write(url)
    receipt = SendReceipt(db.shown)
    batch = new_run_id(utc_now())
    who = actor or default_actor()
    try:
        for letter in letters:
            with db.writing() as conn:
                if (letter.recipient, letter.mentor, letter.mentee) in _sent(
                        conn, run, letter.recipient):
                    receipt.already.append(letter.recipient)
                    continue
                deliver(letter)
                doc = letter_doc(letter, run=batch, at=utc_now(), actor=who, for_run=run,
                                 template_digest=template_digest)
                chain = entries.link([doc], *store.head(conn))
                store.append(conn, chain)
            receipt.sent.append(letter.recipient)
            receipt.first_seq = receipt.first_seq or chain[0].seq
            receipt.last_seq = chain[0].seq
            receipt.head = f"{chain[0].seq}:{chain[0].entry_hash}"
    finally:
        db.dispose()
    return receipt


def letters_sent(db_url: str | None, run: str) -> list[Mapping[str, Any]]:
    """The letter entries recorded for a run, oldest first."""
    from sqlalchemy import select

    from audit.log import db as database
    from audit.log import schema

    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            log = schema.log
            rows = conn.execute(select(log.c.entry).where(log.c.kind == KIND_LETTER)
                                .order_by(log.c.seq))
            return [doc for (text,) in rows if (doc := json.loads(text)).get("for_run") == run]
    finally:
        db.dispose()
