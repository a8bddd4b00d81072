"""A check-in or an outcome reads only the entries of the pair it checks, and sees that
pair exactly as the whole log does."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from audit import followup
from audit.log import db as database
from audit.log import store

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "program"


def _load(url: str) -> None:
    spec = importlib.util.spec_from_file_location("example_load", EXAMPLE / "load.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.load(url)


def test_every_pair_reads_the_same_from_its_entries_as_from_the_whole_log(tmp_path) -> None:
    """On the example program (3 cohorts, check-ins, outcomes, a separation), each pair's
    record from the indexed read equals its record from the whole fold."""
    url = f"sqlite:///{tmp_path / 'program.db'}"
    _load(url)
    db = database.open_for_read(url)
    try:
        with db.reading() as conn:
            whole = followup.current_book(list(followup._docs(conn)))
            assert len(whole.pairs) > 100
            for key, record in whole.pairs.items():
                assert followup._book(conn, [key])[0].get(*key) == record
    finally:
        db.dispose()


def test_a_write_about_a_known_pair_does_not_fold_the_whole_log(tmp_path, monkeypatch) -> None:
    """Recording an outcome reads the pair's entries through the indexed query only."""
    url = f"sqlite:///{tmp_path / 'program.db'}"
    _load(url)
    db = database.open_for_read(url)
    try:
        with db.reading() as conn:
            whole = followup.current_book(list(followup._docs(conn)))
    finally:
        db.dispose()
    mentor, mentee = next(k for k, r in whole.pairs.items() if r.outcome is None and r.active)
    monkeypatch.setattr(followup, "_docs", lambda conn: pytest.fail("the whole log was read"))
    calls: list[int] = []
    real = store.docs_about
    monkeypatch.setattr(store, "docs_about",
                        lambda conn, people, kinds: calls.append(len(people))
                        or real(conn, people, kinds))
    receipt = followup.record_outcome(url, "hr.jane",
                                      followup.Outcome(mentor, mentee, "success"))
    assert receipt.recorded == 1 and calls == [2]
