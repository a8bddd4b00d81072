"""`tandem audit verify`: recompute the whole chain, and compare with a head kept elsewhere."""

from __future__ import annotations

from contextlib import closing

from audit import db as database
from audit import store
from audit.chain import Head, Verifier, VerifyReport


def verify(db_url: str | None, expected_head: Head | None = None) -> VerifyReport:
    """Read every entry in seq order and report the first one whose order, link or content
    is wrong; with ``expected_head``, also a truncated or rewritten tail."""
    db = database.open_for_read(database.resolve_url(db_url))
    try:
        with db.reading() as conn:
            verifier = Verifier(store.rules_text_ok(conn), expected_head)
            with closing(store.iter_rows(conn)) as rows:
                for row in rows:
                    if verifier.feed(row):
                        break
    finally:
        db.dispose()
    return verifier.finish()
