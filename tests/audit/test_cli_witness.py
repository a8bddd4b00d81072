"""The witness, signed heads, warnings and `tandem db grant`, run as a user runs them.

The log: run 1 (entries 1-5), run 2 (entries 6-15), each head in the witness.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.commit import commit_pairing
from audit.log.witness import WitnessConfig
from tests.audit.builders import cohort_input, ids
from tests.audit.conftest import raw_sql

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def logged(tmp_path):
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    witness = tmp_path / "witness.jsonl"
    for n in (3, 5):
        commit_pairing(url, "hr.jane", lambda busy, n=n: cohort_input(
            ids("M", n), ids("E", n + 1), busy), witness=WitnessConfig(witness))
    return url, witness


def test_verify_with_the_witness_reports_an_intact_log(run, logged):
    """Every listed head is in the chain; the report says so."""
    url, witness = logged
    result = run("audit", "verify", "--db", url, "--witness", witness)
    assert result.exit_code == 0, result.output
    assert "Every head the witness lists (2) is in the chain, unchanged, and it lists the " \
        "last." in result.stdout


def test_verify_names_a_truncation_and_what_still_checks_out(run, logged):
    """A removed last run: the message names the head and the entries; entries 1 to 5 are
    still vouched for by the witness."""
    url, witness = logged
    raw_sql(url, "DELETE FROM audit_log WHERE seq >= 6", drop_triggers=True)
    result = run("audit", "verify", "--db", url, "--witness", witness)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Audit log BROKEN at entry 15 (witness): the log ends at entry "
                               "5, but witness line 2 (written ")
    assert lines[0].endswith("by hr.jane) recorded entry 15 as the head: entries 6 to 15 "
                             "were removed.")
    assert lines[1] == ("Entries 1 to 5 check out; treat entry 6 and everything after it as "
                        "untrusted until it is explained.")


def test_expect_head_on_an_early_edit_says_nothing_checks_out(run, logged):
    """The whole log replaced by a forged one of the same length, the head of 15 kept: the
    message no longer claims that entries before 15 check out."""
    url, witness = logged
    head = json.loads(witness.read_text().splitlines()[-1])
    raw_sql(url, "DELETE FROM audit_log", drop_triggers=True)
    commit_pairing(url, "mallory", lambda busy: cohort_input(ids("M", 14), ids("E", 14), busy),
                   witness=WitnessConfig())
    result = run("audit", "verify", "--db", url, "--expect-head",
                 f"15:{head['entry_hash']}")
    assert result.exit_code == 1
    assert "the log was rewritten at or before entry 15, somewhere in entries 1 to 15." \
        in result.stdout
    assert result.stdout.splitlines()[1] == ("No entry can be trusted until it is explained: "
                                             "treat entry 1 and everything after it as "
                                             "untrusted.")


def test_show_log_and_status_lead_with_a_warning_when_the_chain_is_broken(run, logged):
    """Exit 1, the warning first on stderr, and show marks the entry untrusted."""
    url, _ = logged
    raw_sql(url, "UPDATE audit_log SET entry = replace(entry, '\"score\":31', '\"score\":95') "
                 "WHERE seq = 8", drop_triggers=True)
    for args in (("audit", "show", 8), ("audit", "log"), ("status",)):
        result = run(*args, "--db", url)
        assert result.exit_code == 1, args
        assert result.stderr.startswith("WARNING: the audit log is BROKEN at entry 8 "
                                        "(content): entry 8's content hashes to "), args
    shown = run("audit", "show", 8, "--db", url).stdout
    assert shown.startswith("UNTRUSTED: the audit log is broken at entry 8, at or before this "
                            "one; what follows may be forged.")
    assert "THE CHAIN DOES NOT CHECK OUT UP TO THIS ENTRY." in shown
    earlier = run("audit", "show", 7, "--db", url)
    assert earlier.exit_code == 0 and not earlier.stderr
    as_json = json.loads(run("audit", "log", "--db", url, "--format", "json").stdout)
    assert {e["seq"]: e["verified"] for e in as_json if e["seq"] in (7, 8)} == {7: True,
                                                                                  8: False}


def test_keygen_then_a_signed_commit_then_verify_with_the_public_key(run, tmp_path):
    """The whole path a program admin and a reviewer follow, through the CLI."""
    key = tmp_path / "audit.key"
    made = run("audit", "keygen", "hr.example.com/tandem-audit", "--out", key)
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith(f"Private key: {key} (keep it secret")
    again = run("audit", "keygen", "hr.example.com/tandem-audit", "--out", key)
    assert again.exit_code == 1 and "exists already, and a key is never overwritten" in \
        again.stderr
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    witness = tmp_path / "witness.jsonl"
    committed = run("pair", REPO / "examples" / "cohort.json", "--commit", "--db", url,
                    "--witness", witness, "--signing-key", key, "--format", "json")
    assert committed.exit_code == 0, committed.output
    checked = run("audit", "verify", "--db", url, "--witness", witness, "--public-key",
                  f"{key}.pub")
    assert checked.exit_code == 0, checked.output
    assert "each signed by hr.example.com/tandem-audit." in checked.stdout


def test_a_public_key_without_a_witness_is_a_usage_error(run, logged, tmp_path):
    """--public-key checks witness lines: alone it means nothing."""
    url, _ = logged
    key = tmp_path / "k.pub"
    key.write_text("x")
    result = run("audit", "verify", "--db", url, "--public-key", key)
    assert result.exit_code == 2
    assert "--public-key checks the witness's signatures: give --witness FILE too" in \
        result.stderr


@pytest.mark.postgres
def test_db_grant_dry_run_prints_the_sql(run, pg_url):
    """--dry-run prints the statements and changes nothing."""
    commit_pairing(pg_url, "hr", lambda busy: cohort_input(ids("M", 1), ids("E", 1), busy))
    raw_sql(pg_url, "DROP ROLE IF EXISTS tandem_dry_run", "CREATE ROLE tandem_dry_run")
    try:
        result = run("db", "grant", "tandem_dry_run", "--dry-run", "--db", pg_url)
        assert result.exit_code == 0, result.output
        assert "GRANT SELECT, UPDATE (id) ON audit_head_lock TO tandem_dry_run;" in \
            result.stdout
        assert raw_sql(pg_url, "SELECT count(*) FROM information_schema.role_table_grants "
                               "WHERE grantee = 'tandem_dry_run'")[0] == [(0,)]
    finally:
        raw_sql(pg_url, "DROP ROLE tandem_dry_run")


def test_show_reads_an_altered_profile_as_altered_and_prints_no_forged_name(run, logged):
    """The entry itself is sound; the forged name is never printed; the warning leads."""
    url, _ = logged
    raw_sql(url, "UPDATE audit_snapshot SET profile = replace(profile, 'Name M0001', "
                 "'Forged Name') WHERE person_id = 'M0001'")
    result = run("audit", "show", 2, "--db", url)
    assert result.exit_code == 1
    assert result.stderr.startswith("WARNING: the audit log is BROKEN at entry 1 (snapshot): "
                                    "the kept profile of M0001 for run ")
    assert "Forged" not in result.stdout and "UNTRUSTED" not in result.stdout
    assert "  The kept profile of M0001 was ALTERED after the run: it no longer matches the " \
        "digest the run recorded, so no name is shown." in result.stdout
    raw_sql(url, "DELETE FROM audit_snapshot WHERE person_id = 'M0001'")
    erased = run("audit", "show", 2, "--db", url)
    assert erased.exit_code == 0, erased.output
    assert "  The profile of M0001 was erased; the log keeps the id only." in erased.stdout


def test_reading_commands_check_the_witness_named_by_tandem_witness(run, logged, tmp_path):
    """With TANDEM_WITNESS set, status also catches a run appended behind its back; a
    witness not written yet lists no head."""
    url, witness = logged
    env = {"TANDEM_WITNESS": str(witness)}
    assert run("status", "--db", url, env=env).exit_code == 0
    commit_pairing(url, "mallory", lambda busy: cohort_input(ids("M", 7), ids("E", 7), busy),
                   witness=WitnessConfig())
    result = run("status", "--db", url, env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith("WARNING: the audit log is BROKEN at entry 16 (witness): "
                                    "entries 16 to ")
    missing = run("audit", "log", "--db", url, env={"TANDEM_WITNESS": str(tmp_path / "new")})
    assert missing.exit_code == 1
    assert "entries 1 to " in missing.stderr and "(it lists no head)" in missing.stderr


def test_lifecycle_commands_append_their_heads_to_the_witness(run, tmp_path):
    """`tandem separate --witness` witnesses its entry like `tandem pair`; a separation
    recorded without it is caught."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    witness = tmp_path / "witness.jsonl"
    paired = run("pair", REPO / "examples" / "cohort.json", "--commit", "--db", url,
                 "--witness", witness, "--format", "json")
    assert paired.exit_code == 0, paired.output
    first = json.loads(paired.stdout)["pairs"][0]
    separated = run("separate", first["mentor"], first["mentee"], "--reason", "The year is over",
                    "--category", "completed", "--commit", "--db", url, "--witness", witness)
    assert separated.exit_code == 0, separated.output
    assert len(witness.read_text().splitlines()) == 2
    assert run("audit", "verify", "--db", url, "--witness", witness).exit_code == 0
    second = json.loads(paired.stdout)["pairs"][1]
    run("separate", second["mentor"], second["mentee"], "--reason", "Moved away", "--category",
        "availability", "--commit", "--db", url)
    caught = run("audit", "verify", "--db", url, "--witness", witness)
    assert caught.exit_code == 1
    assert "(witness): entry 27 is not in the witness (its last head is entry 26)" in \
        caught.stdout
