"""`tandem audit verify`: recompute the whole chain, and compare with heads kept elsewhere:
a head given with --expect-head, and every head a witness file lists."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from audit.log import db as database
from audit.log import kept, store
from audit.log.chain import (
    Anchor,
    Finding,
    Head,
    StoredRow,
    Verifier,
    VerifyReport,
    check_row,
)
from audit.log.entries import GENESIS
from audit.log.errors import NoAuditLogError
from audit.log.witness import load_public_key, read_heads, signature_problem

if TYPE_CHECKING:
    from sqlalchemy import Connection


def anchors(witness: Path | None, public_key: Path | None) -> tuple[list[Anchor], str | None]:
    """The witness's heads as anchors, each with its signature problem when a key is given;
    and the key's name."""
    if witness is None:
        return [], None
    key = load_public_key(public_key) if public_key else None
    heads = read_heads(witness)
    return [Anchor(h.seq, h.entry_hash, h.where(), "witness",
                   signature_problem(h, key) if key else None) for h in heads], (
        key.name if key else None)


class StateCheck(Protocol):
    """What verify also feeds every entry that checks out (`audit.state.KeptStateCheck`):
    ``finding`` when the kept state disagrees with the log; ``repair`` replaces it."""

    finding: Finding | None

    def feed(self, row: StoredRow) -> None: ...

    def repair(self, conn: Connection) -> None: ...


def verify(db_url: str | None, expected_head: Head | None = None, *,
           witness: Path | None = None, public_key: Path | None = None,
           state_check: Callable[[dict[str, Any] | None], StateCheck] | None = None
           ) -> VerifyReport:
    """Read every entry in seq order and report the first one whose order, link or content
    is wrong; with ``expected_head`` or ``witness``, also a truncated, rewritten or forged
    tail. With ``public_key``, every witness line must be signed by it. ``state_check``,
    given the kept state's row (`audit.log.kept.stored`), folds the entries as they go by
    and compares the fold with the kept state; one that disagrees is reported (after any
    break of the chain) and replaced."""
    heads, key_name = anchors(witness, public_key)
    verifier = Verifier({}, expected_head, anchors=heads, witnessed=witness is not None)
    try:
        db = database.open_for_read(database.resolve_url(db_url))
    except NoAuditLogError:
        if not heads and expected_head is None:
            raise
        return _report(verifier.finish(), heads, key_name)  # every recorded head is gone
    try:
        with db.reading() as conn:
            verifier = Verifier(store.rules_text_ok(conn), expected_head, anchors=heads,
                                witnessed=witness is not None,
                                snapshots=lambda digest: store.snapshot_digests(conn, digest),
                                notes=store.notes(conn))
            check = state_check(kept.stored(conn)) if state_check else None
            with closing(store.iter_rows(conn)) as rows:
                for row in rows:
                    if verifier.feed(row):
                        break
                    if check is not None:
                        check.feed(row)
            report = verifier.finish()
            if report.finding is None and check is not None and check.finding is not None:
                report = replace(report, finding=check.finding)
                check.repair(conn)
    finally:
        db.dispose()
    return _report(report, heads, key_name)


def _report(report: VerifyReport, heads: list[Anchor], key_name: str | None) -> VerifyReport:
    return VerifyReport(report.entries, report.runs, report.head, report.finding,
                        report.expected_head, len(heads), key_name, report.notes_kept,
                        report.notes_erased)


def check_shown(conn: Any, shown: Iterable[int], heads: Sequence[Anchor] = (), *,
                witnessed: bool = False) -> Finding | None:
    """The bounded check of a reading command (`audit show`, `audit log`): a cost in
    proportion to what it shows, plus a constant, never a pass over the whole log.

    Checked: each entry shown, the head of the log and, with a witness, the witness's last
    head: each one's place, canonical text, hash and index columns, and its link to the
    entry before it (its prev_hash is that entry's hash, and that entry's text and hash
    check out); then the witness's last head
    against the log (the same hash at the same seq, not beyond the end, no entry after it
    unless written without the witness). Not checked: the entries in between, the run
    groups, the kept rules texts and profiles: `audit verify` does that, streaming."""
    last = store.head(conn)[0]
    witness_last = max(heads, key=lambda a: a.seq) if heads else None
    targets = {s for s in shown if 0 < s <= last}
    if last:
        targets.add(last)
    if witness_last is not None and 0 < witness_last.seq <= last:
        targets.add(witness_last.seq)
    rows = store.rows_at(conn, [s for t in targets for s in (t - 1, t) if s > 0])
    for seq in sorted(targets):
        before = rows.get(seq - 1)
        if seq > 1 and before is None:
            return Finding(seq - 1, "order", f"entry {seq - 1} is missing")
        prev = Head(seq - 1, before.entry_hash) if before else Head(0, GENESIS)
        if before is not None:  # the hash linked to must be the entry's own
            finding, _ = check_row(before, Head(seq - 2, before.prev_hash))
            if finding is not None:
                return finding
        row = rows.get(seq)
        if row is None:
            return Finding(seq, "order", f"entry {seq} is missing")
        finding, _ = check_row(row, prev)
        if finding is not None:
            return finding
    if witness_last is None:
        return _unwitnessed(0, last) if witnessed and last else None
    if witness_last.unsigned:
        return Finding(witness_last.seq, "signature", f"{witness_last.unsigned}: the head it "
                       f"names (entry {witness_last.seq}) may be forged")
    if witness_last.seq > last:
        removed = (f"entries {last + 1} to {witness_last.seq}"
                   if witness_last.seq > last + 1 else f"entry {witness_last.seq}")
        return Finding(witness_last.seq, "witness",
                       f"the log ends at entry {last}, but {witness_last.source} recorded "
                       f"entry {witness_last.seq} as the head: {removed} were removed")
    kept = rows[witness_last.seq]
    if kept.entry_hash != witness_last.entry_hash:
        return Finding(witness_last.seq, "witness",
                       f"entry {witness_last.seq} has entry_hash {kept.entry_hash}, but "
                       f"{witness_last.source} recorded {witness_last.entry_hash}: the log was "
                       f"rewritten at or before entry {witness_last.seq}")
    if witnessed and last > witness_last.seq:
        return _unwitnessed(witness_last.seq, last)
    return None


def _unwitnessed(witness_end: int, end: int) -> Finding:
    """Entries after the witness's last head (as `audit.log.chain.Verifier` words it)."""
    last = (f"its last head is entry {witness_end}" if witness_end else "it lists no head")
    first = witness_end + 1
    which = f"entries {first} to {end} are" if end > first else f"entry {end} is"
    return Finding(first, "witness",
                   f"{which} not in the witness ({last}): added without it, or forged (or the "
                   "writer was killed between its commit and the witness)", witness_end)
