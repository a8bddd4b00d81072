"""A log with pairs to follow: M0001-E0001, M0002-E0002, M0003-E0003 (entries 2-4)."""

from __future__ import annotations

from typing import Any

from audit.commit import commit_pairing, utc_now
from audit.log import entries, store
from audit.log.migrate import open_for_write
from tests.audit.builders import cohort_input, ids


def paired_log(url: str) -> None:
    commit_pairing(url, "hr.jane", lambda busy: cohort_input(ids("M", 3), ids("E", 4), busy))


def append_entry(url: str, **doc: Any) -> int:
    """Append an entry of the shared contract (a separation, say) as its writer would."""
    db = open_for_write(url)
    try:
        with db.writing() as conn:
            seq, head = store.head(conn)
            chain = entries.link([{"run": "20261130T000000Z-000000", "at": utc_now(),
                                   "actor": "hr.jane", **doc}], seq, head)
            store.append(conn, chain)
    finally:
        db.dispose()
    return chain[0].seq
