"""`tandem audit verify`: recompute the whole chain, and compare with heads kept elsewhere:
a head given with --expect-head, and every head a witness file lists."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from audit.log import db as database
from audit.log import store
from audit.log.chain import Anchor, Head, Verifier, VerifyReport
from audit.log.errors import NoAuditLogError
from audit.log.witness import load_public_key, read_heads, signature_problem


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


def verify(db_url: str | None, expected_head: Head | None = None, *,
           witness: Path | None = None, public_key: Path | None = None) -> VerifyReport:
    """Read every entry in seq order and report the first one whose order, link or content
    is wrong; with ``expected_head`` or ``witness``, also a truncated, rewritten or forged
    tail. With ``public_key``, every witness line must be signed by it."""
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
            with closing(store.iter_rows(conn)) as rows:
                for row in rows:
                    if verifier.feed(row):
                        break
    finally:
        db.dispose()
    return _report(verifier.finish(), heads, key_name)


def _report(report: VerifyReport, heads: list[Anchor], key_name: str | None) -> VerifyReport:
    return VerifyReport(report.entries, report.runs, report.head, report.finding,
                        report.expected_head, len(heads), key_name, report.notes_kept,
                        report.notes_erased)
