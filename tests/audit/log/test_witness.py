"""The witness: heads kept outside the database catch what a valid chain hides, a rewrite
with recomputed hashes, a truncation and an appended forged run; signed heads catch a
forged witness line.

`_two_runs` commits run 1 (entries 1-5) and run 2 (entries 6-15), each writing its head to
the witness: lines 1 and 2 name entries 5 and 15.
"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from audit.commit import commit_pairing
from audit.log import checkpoint
from audit.log.chain import Head
from audit.log.errors import NoAuditLogError
from audit.log.verify import verify
from audit.log.witness import (
    SigningWithoutWitnessError,
    WitnessConfig,
    WitnessUnavailableError,
    write_key_pair,
)
from tests.audit.builders import cohort_input, ids
from tests.audit.conftest import raw_sql


@pytest.fixture(autouse=True)
def _no_witness_from_the_environment(monkeypatch):
    for name in ("TANDEM_WITNESS", "TANDEM_SIGNING_KEY", "TANDEM_PUBLIC_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def keys(tmp_path):
    private = tmp_path / "audit.key"
    write_key_pair("hr.example.com/tandem-audit", private)
    return private, tmp_path / "audit.key.pub"


def _commit(url, witness, n, actor="hr"):
    return commit_pairing(url, actor, lambda busy: cohort_input(ids("M", n), ids("E", n + 1),
                                                                busy), witness=witness)


def _two_runs(url, witness):
    return [_commit(url, witness, n) for n in (3, 5)]


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _rewrite(url, seq, old, new):
    """Edit entry ``seq`` and recompute every hash after it: a valid chain, rewritten."""
    rows = raw_sql(url, "SELECT seq, entry FROM audit_log ORDER BY seq")[0]
    prev, updates = "0" * 64, []
    for number, entry in rows:
        text = entry.replace(old, new) if number == seq else entry
        digest = hashlib.sha256((prev + text).encode()).hexdigest()
        if number >= seq:
            escaped = text.replace("'", "''")
            updates.append(f"UPDATE audit_log SET entry = '{escaped}', prev_hash = '{prev}', "
                           f"entry_hash = '{digest}' WHERE seq = {number}")
        prev = digest
    raw_sql(url, *updates, drop_triggers=True)


def test_every_commit_appends_its_head_to_the_witness(db_url, tmp_path):
    """One JSON line per write: the new head's seq and hash, when, and who."""
    witness = tmp_path / "witness.jsonl"
    first, second = _two_runs(db_url, WitnessConfig(witness))
    lines = _lines(witness)
    assert [(x["seq"], x["entry_hash"], x["actor"]) for x in lines] == [
        (5, first.head_hash, "hr"), (15, second.head_hash, "hr")]
    assert sorted(lines[0]) == ["actor", "at", "entry_hash", "seq"]
    report = verify(db_url, witness=witness)
    assert report.ok and report.witness_heads == 2


def test_the_witness_comes_from_tandem_witness(db_url, tmp_path, monkeypatch):
    """With TANDEM_WITNESS set, every writer appends to it without being told."""
    witness = tmp_path / "env.jsonl"
    monkeypatch.setenv("TANDEM_WITNESS", str(witness))
    commit_pairing(db_url, "hr", lambda busy: cohort_input(ids("M", 1), ids("E", 1), busy))
    assert [x["seq"] for x in _lines(witness)] == [2]


@pytest.mark.parametrize(("attack", "seq", "words"), [
    # a rewrite with recomputed hashes: the first witnessed head after the edit differs
    (lambda url: _rewrite(url, 2, '"score":30', '"score":95'), 5,
     "the log was rewritten at or before entry 5, somewhere in entries 1 to 5"),
    (lambda url: _rewrite(url, 8, '"score":31', '"score":95'), 15,
     "the log was rewritten at or before entry 15, somewhere in entries 6 to 15"),
    # a truncation: the last run, or everything
    (lambda url: raw_sql(url, "DELETE FROM audit_log WHERE seq >= 6", drop_triggers=True), 15,
     "the log ends at entry 5, but witness line 2 (written "),
    (lambda url: raw_sql(url, "DELETE FROM audit_log", "DELETE FROM audit_rules",
                         drop_triggers=True), 5,
     "entries 1 to 5 were removed"),
    # a run appended behind the witness's back, with correct hashes
    (lambda url: _commit(url, WitnessConfig(), 7, "mallory"), 16,
     "entries 16 to 29 are not in the witness (its last head is entry 15): added without "
     "it, or forged"),
    # the last run removed and a forged one committed in its place
    (lambda url: (raw_sql(url, "DELETE FROM audit_log WHERE seq >= 6", drop_triggers=True),
                  _commit(url, WitnessConfig(), 5, "mallory")), 15, "rewritten"),
], ids=["rewrite-first-run", "rewrite-second-run", "truncate-tail", "truncate-all",
        "append", "replace-tail"])
def test_the_witness_catches_what_a_valid_chain_hides(db_url, tmp_path, attack, seq, words):
    """The chain alone checks out; the witness names the first head that no longer
    matches."""
    witness = tmp_path / "witness.jsonl"
    _two_runs(db_url, WitnessConfig(witness))
    attack(db_url)
    assert verify(db_url).ok, "the chain alone should look intact"
    report = verify(db_url, witness=witness)
    assert report.finding is not None
    assert (report.finding.seq, report.finding.problem) == (seq, "witness")
    assert words in report.finding.message


@pytest.mark.postgres
def test_a_superuser_truncate_with_triggers_off_is_caught_by_the_witness(pg_url, tmp_path):
    """No trigger stops a superuser in replica mode; verify alone then sees 0 entries, and
    the witness says what was removed, even when the rules texts went too."""
    witness = tmp_path / "witness.jsonl"
    _two_runs(pg_url, WitnessConfig(witness))
    raw_sql(pg_url, "SET session_replication_role = replica",
            "TRUNCATE audit_log, audit_rules, audit_snapshot")
    assert verify(pg_url).ok and verify(pg_url).entries == 0
    report = verify(pg_url, witness=witness)
    assert (report.finding.seq, report.finding.problem) == (5, "witness")
    assert "entries 1 to 5 were removed" in report.finding.message
    assert report.finding.trusted_upto == 0


def test_a_database_gone_entirely_is_caught_by_the_witness(tmp_path):
    """No audit log at all, but the witness lists heads: every entry was removed."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    witness = tmp_path / "witness.jsonl"
    _two_runs(url, WitnessConfig(witness))
    (tmp_path / "tandem.db").unlink()
    with pytest.raises(NoAuditLogError):
        verify(url)
    report = verify(url, witness=witness)
    assert (report.finding.seq, report.finding.problem) == (5, "witness")


def test_a_witness_that_cannot_be_written_stops_the_commit_before_anything_is_written(
        db_url, tmp_path):
    """The witness file is opened before the transaction: nothing is recorded without it."""
    witness = tmp_path / "no-such-dir" / "witness.jsonl"
    with pytest.raises(WitnessUnavailableError) as info:
        _commit(db_url, WitnessConfig(witness), 2)
    assert str(info.value) == (
        f"cannot append to the witness file {witness}: No such file or directory; nothing was "
        "written. Give a file Tandem may append to with --witness FILE (or TANDEM_WITNESS).")
    assert raw_sql(db_url, "SELECT count(*) FROM audit_log")[0] == [(0,)]


def test_a_signing_key_without_a_witness_is_refused(db_url, keys):
    """Signed heads go to the witness: a key alone is a mistake, and nothing is written."""
    with pytest.raises(SigningWithoutWitnessError):
        _commit(db_url, WitnessConfig(None, keys[0]), 2)
    assert raw_sql(db_url, "SELECT count(*) FROM audit_log")[0] == [(0,)]


# -- signed heads ---------------------------------------------------------------------------

def test_signed_heads_are_c2sp_checkpoints_signed_by_the_key(db_url, tmp_path, keys):
    """Each line carries a tlog-checkpoint (origin, size, root hash) signed as a C2SP note,
    which the public key verifies independently of Tandem."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    witness = tmp_path / "witness.jsonl"
    first, _ = _two_runs(db_url, WitnessConfig(witness, keys[0]))
    note = _lines(witness)[0]["checkpoint"]
    body, _, signature_line = note.partition("\n\n")
    root = base64.b64encode(bytes.fromhex(first.head_hash)).decode()
    assert body == f"hr.example.com/tandem-audit\n5\n{root}"
    name, _, public = keys[1].read_text().strip().split("+", 2)
    raw_public = base64.b64decode(public)[1:]
    dash, key_name, encoded = signature_line.rstrip("\n").split(" ")
    assert (dash, key_name, name) == ("\u2014", "hr.example.com/tandem-audit",
                                      "hr.example.com/tandem-audit")
    signed = base64.b64decode(encoded)
    assert signed[:4] == hashlib.sha256(name.encode() + b"\n\x01" + raw_public).digest()[:4]
    Ed25519PublicKey.from_public_bytes(raw_public).verify(signed[4:], (body + "\n").encode())
    report = verify(db_url, witness=witness, public_key=keys[1])
    assert report.ok and report.signed_by == "hr.example.com/tandem-audit"


def _forge_line(witness, **changes):
    lines = witness.read_text().splitlines()
    record = {**json.loads(lines[-1]), **changes}
    witness.write_text("\n".join([*lines, json.dumps(record)]) + "\n")


def test_a_forged_run_with_a_forged_witness_line_needs_the_key(db_url, tmp_path, keys):
    """Whoever can write the database and the witness can append a run and its head; only
    a signature they cannot make gives them away."""
    witness = tmp_path / "witness.jsonl"
    _two_runs(db_url, WitnessConfig(witness, keys[0]))
    forged = _commit(db_url, WitnessConfig(), 7, "mallory")
    _forge_line(witness, seq=forged.last_seq, entry_hash=forged.head_hash, actor="hr")
    assert verify(db_url, witness=witness).ok, "without the key the forgery passes"
    report = verify(db_url, witness=witness, public_key=keys[1])
    assert (report.finding.seq, report.finding.problem) == (29, "signature")
    assert report.finding.message.startswith("witness line 3 (written ")
    assert "is signed for another head (hr.example.com/tandem-audit, entry 15" in \
        report.finding.message


def test_a_head_signed_by_another_key_is_refused(db_url, tmp_path, keys):
    """A key of the same name made by someone else does not verify."""
    witness = tmp_path / "witness.jsonl"
    _two_runs(db_url, WitnessConfig(witness, keys[0]))
    other = tmp_path / "other.key"
    write_key_pair("hr.example.com/tandem-audit", other)
    report = verify(db_url, witness=witness, public_key=tmp_path / "other.key.pub")
    assert (report.finding.seq, report.finding.problem) == (5, "signature")
    assert "has no valid signature by the key hr.example.com/tandem-audit" in \
        report.finding.message


def test_an_unsigned_line_is_refused_when_a_key_is_given(db_url, tmp_path, keys):
    """With a public key every line must be signed."""
    witness = tmp_path / "witness.jsonl"
    _two_runs(db_url, WitnessConfig(witness))
    report = verify(db_url, witness=witness, public_key=keys[1])
    assert (report.finding.seq, report.finding.problem) == (5, "signature")
    assert "is not signed" in report.finding.message


def test_keys_round_trip_in_the_note_key_format(tmp_path):
    """The private key reads back as the same key; the public text names it and its id."""
    key = checkpoint.generate("hr.example.com/k")
    assert checkpoint.parse_private(key.text()) == key
    public = checkpoint.parse_public(key.public().text())
    assert public == key.public()
    assert key.text().startswith("PRIVATE+KEY+hr.example.com/k+")
    with pytest.raises(checkpoint.KeyFormatError, match="cannot name a key"):
        checkpoint.generate("has space")
    path = tmp_path / "k"
    write_key_pair("a/b", path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_expect_head_no_longer_contradicts_itself(db_url, tmp_path):
    """An edit at entry 2 with recomputed hashes, caught at the recorded head 15: nothing
    is said to check out."""
    _, second = _two_runs(db_url, WitnessConfig())
    _rewrite(db_url, 2, '"score":30', '"score":95')
    report = verify(db_url, Head(second.last_seq, second.head_hash))
    assert (report.finding.seq, report.finding.trusted_upto) == (15, 0)


@pytest.mark.parametrize("target", ["tandem.db", "other.db"])
def test_the_witness_is_never_a_database(tmp_path, target):
    """Appending to the audit database, or to any SQLite file, would damage it: refused
    before anything is written."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    _commit(url, WitnessConfig(), 1)
    _commit(f"sqlite:///{tmp_path / 'other.db'}", WitnessConfig(), 1)
    before = {name: (tmp_path / name).read_bytes() for name in ("tandem.db", "other.db")}
    with pytest.raises(WitnessUnavailableError, match=r"is a file of the audit database|is an "
                                                      r"SQLite database, not a witness"):
        _commit(url, WitnessConfig(tmp_path / target), 2)
    assert {name: (tmp_path / name).read_bytes() for name in before} == before
    assert verify(url).ok


def test_a_witness_whose_last_line_lost_its_newline_gets_one(db_url, tmp_path):
    """A hand-edited witness without a final newline: the next head starts a new line."""
    witness = tmp_path / "witness.jsonl"
    _commit(db_url, WitnessConfig(witness), 1)
    witness.write_text(witness.read_text().rstrip("\n"))
    _commit(db_url, WitnessConfig(witness), 2)
    assert [x["seq"] for x in _lines(witness)] == [3, 8]
    assert verify(db_url, witness=witness).ok


def test_any_writer_appending_through_the_store_feeds_the_witness(db_url, tmp_path,
                                                                   monkeypatch):
    """A writer other than `tandem pair` (here a bare group of entries) appends with
    store.append_group inside Database.writing: its head reaches TANDEM_WITNESS."""
    from audit.log import store
    from audit.log.migrate import open_for_write

    witness = tmp_path / "witness.jsonl"
    monkeypatch.setenv("TANDEM_WITNESS", str(witness))
    _commit(db_url, None, 1)
    db = open_for_write(db_url)
    try:
        with db.writing() as conn:
            chain = store.append_group(conn, [
                {"kind": "separation", "run": "r-1", "at": "2026-12-01T09:00:00.000000Z",
                 "actor": "hr.jane", "mentor": "M0001", "mentee": "E0001",
                 "category": "completed", "reason": "the year is over", "pair_seq": 2}])
    finally:
        db.dispose()
    assert [(x["seq"], x["entry_hash"], x["actor"]) for x in _lines(witness)][-1] == (
        4, chain[-1].entry_hash, "hr.jane")
    assert verify(db_url, witness=witness).ok


def test_a_run_recorded_before_profile_digests_reads_unchecked(db_url):
    """Runs without profile_digests (older logs) still verify; show cannot vouch for the
    names and says so."""
    from audit.log import entries, store
    from audit.log.migrate import open_for_write
    from audit.review import show

    given = cohort_input(ids("M", 1), ids("E", 1))
    docs = entries.run_documents(given.result, given.rules_files, given.profiles,
                                 run_id="r-old", at="2026-01-01T00:00:00.000000Z",
                                 actor="hr", busy=frozenset())
    del docs[0]["profile_digests"]
    db = open_for_write(db_url, witness=WitnessConfig())
    try:
        with db.writing() as conn:
            store.keep_rules(conn, given.result["rules_digest"], given.rules_files,
                             "2026-01-01T00:00:00.000000Z")
            store.keep_snapshot(conn, given.result["input_digest"],
                                entries.snapshot_rows(given.profiles))
            store.append_group(conn, docs)
    finally:
        db.dispose()
    assert verify(db_url).ok
    view = show(db_url, 2)
    assert view.profiles == {"M0001": "unchecked", "E0001": "unchecked"}
    assert view.names == {"M0001": "Name M0001", "E0001": "Name E0001"}


def test_a_fork_in_the_witness_is_caught(db_url, tmp_path):
    """Two lines for one entry with different hashes: the chain cannot match both."""
    witness = tmp_path / "witness.jsonl"
    _two_runs(db_url, WitnessConfig(witness))
    _forge_line(witness, seq=5, entry_hash="f" * 64)
    report = verify(db_url, witness=witness)
    assert (report.finding.seq, report.finding.problem) == (5, "witness")
    assert "witness line 3" in report.finding.message


@pytest.mark.postgres
def test_an_emptied_log_with_rules_kept_is_caught_without_a_witness(pg_url):
    """A superuser's TRUNCATE of the log alone leaves the rules texts of the runs: verify no
    longer calls an emptied log intact."""
    _two_runs(pg_url, WitnessConfig())
    raw_sql(pg_url, "SET session_replication_role = replica", "TRUNCATE audit_log")
    report = verify(pg_url)
    assert (report.finding.seq, report.finding.problem) == (1, "order")
    assert report.finding.message == ("the log is empty, but the rules texts of 1 committed "
                                      "run(s) are kept: its entries were removed")
