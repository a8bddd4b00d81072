"""A malformed entry, correctly hashed and linked, and a changed note: `verify` reports them,
readers skip a malformed entry with a warning and keep working, and PostgreSQL refuses the
append."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, insert
from sqlalchemy.exc import DBAPIError

from audit.commit import commit_pairing
from audit.followup import record_checkins
from audit.log import entries, schema, store
from audit.log.validate import problems
from audit.log.verify import verify
from audit.review import show
from engine.followup.facts import Checkin
from tests.audit.builders import cohort_input, ids
from tests.audit.conftest import raw_sql
from tests.robustness.hardening import MENTEE, MENTOR, committed_log, copy_of, run

COMMON = {"run": "20261001T090000Z-ffffff", "at": "2026-10-01T09:00:00.000000Z",
          "actor": "mallory"}
# Each variant is correctly hashed and linked: only its content is wrong for its kind.
MALFORMED: list[dict[str, Any]] = [
    {**COMMON, "kind": "separation", "mentee": MENTEE, "category": "other", "reason": "x",
     "pair_seq": 2},
    {**COMMON, "kind": "separation", "mentor": 7, "mentee": MENTEE, "category": "other",
     "reason": "x", "pair_seq": 2},
    {**COMMON, "kind": "separation", "mentor": MENTOR, "mentee": MENTEE, "category": "other",
     "reason": "x", "pair_seq": "two"},
    {**COMMON, "kind": "checkin", "mentor": MENTOR, "mentee": MENTEE, "on": "2026-10-01",
     "by": "mentee", "rating": "five", "note_digest": None, "pair_seq": 2},
    {**COMMON, "kind": "outcome", "mentor": MENTOR, "mentee": MENTEE, "result": "success"},
    {**COMMON, "kind": "decision", "mentor": MENTOR, "mentee": "E01", "reason": "x",
     "score": 1},
    {**COMMON, "kind": "approval", "approves": None},
    {**COMMON, "kind": "rejection", "rejects": "x"},
    {**COMMON, "kind": "a_kind_from_the_future", "mentor": MENTOR},
    {**COMMON, "kind": ""},
]
READERS = [
    ["status"], ["history", MENTEE], ["audit", "log"], ["insights"],
    ["checkin", MENTOR, MENTEE, "--rating", "3"],
    ["outcome", MENTOR, MENTEE, "--result", "success"],
    ["separate", MENTOR, MENTEE, "--reason", "x"],
]


def _forge(url: str, doc: dict[str, Any]) -> int:
    """Append one entry behind Tandem's back, hashed and linked as Tandem would."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            head_seq, head_hash = store.head(conn)
            entry = entries.link([doc], head_seq, head_hash)[0]
            conn.execute(insert(schema.log), [entry.columns()])
    finally:
        engine.dispose()
    return entry.seq


@pytest.fixture(scope="module")
def base_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return committed_log(tmp_path_factory.mktemp("forged"))


@pytest.mark.parametrize("doc", MALFORMED, ids=lambda d: str(d.get("kind")))
def test_a_malformed_entry_is_damage_and_readers_skip_it(base_log: Path, tmp_path: Path,
                                                         doc: dict[str, Any]) -> None:
    """verify names the entry; status, history, log, insights and the writers keep working
    (never exit 3), each warning that the entry was skipped."""
    url = copy_of(base_log, tmp_path)
    raw_sql(url, "DROP TRIGGER audit_log_entry_wellformed")  # a writer of the file may
    seq = _forge(url, doc)
    verified = run("audit", "verify", "--db", url)
    assert verified.exit_code == 1, verified.output
    assert f"BROKEN at entry {seq} (" in verified.output
    for args in [*READERS, ["audit", "show", seq], ["audit", "show", seq, "--format", "json"]]:
        result = run(*args, "--db", url)
        assert result.exit_code in (0, 1), (args, result.output)
        assert result.exit_code == 0 or "internal error" not in result.output
        # A check-in or an outcome reads only the entries about its pair's people (and the
        # runs, approvals and rejections): it warns about a malformed entry it reads.
        read_by_writer = (MENTOR in doc.values() or MENTEE in doc.values()
                          or doc.get("kind") in ("run", "approval", "rejection"))
        # Insights reads every entry but the check-ins, which form, end and decide no pair.
        read_by_insights = doc.get("kind") != "checkin"
        if args[0] in ("status", "separate") or (args[0] == "insights" and read_by_insights) or (
                args[0] in ("checkin", "outcome") and read_by_writer):
            assert f"entry {seq}" in result.output, (args, result.output)  # the fold's warning
    report = run("report", "--db", url, "--out", tmp_path / "r.html")
    assert report.exit_code in (0, 1), report.output
    assert "internal error" not in report.output


def test_tandem_never_appends_an_entry_its_schema_refuses(sqlite_url: str) -> None:
    """The store checks every entry on append: a writer's bug cannot reach the log."""
    commit_pairing(sqlite_url, "hr", lambda busy: cohort_input(ids("M", 1), ids("E", 1), busy))
    from audit.log.errors import MalformedEntryError
    from audit.log.migrate import open_for_write

    db = open_for_write(sqlite_url)
    try:
        with pytest.raises(MalformedEntryError, match=r"'mentor' is a required property"), \
                db.writing() as conn:
            store.append_group(conn, [MALFORMED[0]])
    finally:
        db.dispose()
    assert verify(sqlite_url).ok


@pytest.mark.postgres
@pytest.mark.parametrize("doc", [MALFORMED[0], MALFORMED[4], MALFORMED[8], MALFORMED[9]],
                         ids=["no-mentor", "no-pair-seq", "unknown-kind", "empty-kind"])
def test_postgresql_refuses_a_forged_append_of_an_unknown_kind_or_missing_keys(
        pg_url: str, doc: dict[str, Any]) -> None:
    """The append trigger refuses, even for a writer who hashes and links correctly."""
    commit_pairing(pg_url, "hr", lambda busy: cohort_input(ids("M", 1), ids("E", 1), busy))
    with pytest.raises(DBAPIError, match=r"lacks a key its kind requires|does not know"):
        _forge(pg_url, doc)
    assert verify(pg_url).ok


def test_sqlite_refuses_a_forged_append_while_its_trigger_stands(sqlite_url: str) -> None:
    """On SQLite too, as long as nobody drops the trigger (a writer of the file can)."""
    commit_pairing(sqlite_url, "hr", lambda busy: cohort_input(ids("M", 1), ids("E", 1), busy))
    with pytest.raises(DBAPIError, match="not an object of a known kind"):
        _forge(sqlite_url, MALFORMED[0])
    assert verify(sqlite_url).ok


def test_every_kind_tandem_writes_matches_its_schema() -> None:
    """The documented example of each kind in docs/audit.md is well formed, and every kind
    has its schema file."""
    from audit.log.kinds import ALL_KINDS
    from engine.base.resources import schemas_dir

    assert sorted(p.name.removesuffix(".schema.json")
                  for p in (schemas_dir() / "entries").glob("*.schema.json")) == \
        sorted(ALL_KINDS)
    assert problems({**COMMON, "seq": 3, "kind": "separation", "mentor": MENTOR,
                     "mentee": MENTEE, "category": "other", "reason": "x",
                     "pair_seq": 2}) == []


# -- notes, checked against their salted digest ----------------------------------------------
def _with_note(url: str) -> int:
    commit_pairing(url, "hr", lambda busy: cohort_input(ids("M", 1), ids("E", 1), busy))
    receipt = record_checkins(url, "hr", [Checkin("M0001", "E0001", 4, note="private words")])
    return receipt.last_seq


@pytest.mark.parametrize("change", [
    "UPDATE audit_note SET text = 'other words'",
    "UPDATE audit_note SET salt = '00000000000000000000000000000000'",
])
def test_an_altered_note_is_caught_by_verify_and_show(db_url: str, change: str) -> None:
    """A changed text or salt no longer matches the digest in the chain: damage, at its seq."""
    seq = _with_note(db_url)
    assert verify(db_url).notes_kept == 1
    raw_sql(db_url, change)
    report = verify(db_url)
    assert report.finding is not None
    assert (report.finding.seq, report.finding.problem) == (seq, "note")
    assert "was altered" in report.finding.message
    assert show(db_url, seq).note == "altered"


def test_an_erased_note_is_erased_not_damage(db_url: str) -> None:
    """Deleting a note's row is the right to erasure: verify passes and counts it."""
    seq = _with_note(db_url)
    raw_sql(db_url, "DELETE FROM audit_note")
    report = verify(db_url)
    assert report.ok
    assert (report.notes_kept, report.notes_erased) == (0, 1)
    assert show(db_url, seq).note == "erased"
    assert json.loads(json.dumps(report.as_dict()))["notes"] == {"kept": 0, "erased": 1}
