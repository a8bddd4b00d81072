"""What is stored is what is verified, byte for byte; kept profiles are tied to the chain by
a digest in their run entry, so an erased profile reads "erased" and an altered one
"altered".

The log: run 1 (entries 1-5: pairs M0001-E0001, M0002-E0002, M0003-E0003), run 2 (6-15).
"""

from __future__ import annotations

import json

import pytest

from audit.commit import commit_pairing
from audit.log.entries import profile_digest
from audit.log.store import LogFilter
from audit.log.verify import verify
from audit.review import log_checked, show, status_checked
from tests.audit.builders import cohort_input, ids
from tests.audit.conftest import raw_sql


def _two_runs(url):
    for n in (3, 5):
        commit_pairing(url, "hr", lambda busy, n=n: cohort_input(ids("M", n), ids("E", n + 1),
                                                                  busy))


def _edit(seq, old, new):
    return f"UPDATE audit_log SET entry = replace(entry, '{old}', '{new}') WHERE seq = {seq}"


@pytest.mark.parametrize("edit", [
    # a repeated key: SQL tools read the first, a JSON parser the last
    _edit(2, '"score":30', '"score":99,"score":30'),
    # a space, an escape, keys out of order: the same entry, other bytes
    _edit(2, '"kind":"pair",', '"kind": "pair",'),
    _edit(2, '"kind":"pair"', '"kind":"p\\u0061ir"'),
    _edit(2, '{"actor":"hr",', '{"zzz":1,"actor":"hr",'),
], ids=["repeated-key", "space", "escape", "extra-key-order"])
def test_stored_text_that_is_not_canonical_is_refused(db_url, edit):
    """The entry parses to what was hashed, but its stored bytes are not the ones hashed."""
    _two_runs(db_url)
    raw_sql(db_url, edit, drop_triggers=True)
    report = verify(db_url)
    assert (report.finding.seq, report.finding.problem) == (2, "content")


def test_a_repeated_key_is_named_as_non_canonical(db_url):
    """The message says why: only canonical JSON is ever written."""
    _two_runs(db_url)
    raw_sql(db_url, _edit(2, '"score":30', '"score":99,"score":30'), drop_triggers=True)
    assert verify(db_url).finding.message == (
        "entry 2 is not stored as canonical JSON, the only form Tandem writes (a repeated "
        "key, a space, an escape or a reordered key): its stored text was changed, and other "
        "tools may read it differently")


def test_the_run_entry_records_a_digest_of_each_kept_profile(db_url):
    """profile_digests: person -> sha256 of the profile text the snapshot table keeps."""
    _two_runs(db_url)
    run = json.loads(raw_sql(db_url, "SELECT entry FROM audit_log WHERE seq = 1")[0][0][0])
    kept = dict(raw_sql(db_url, "SELECT person_id, profile FROM audit_snapshot "
                        "WHERE substr(input_digest, 1, 7) = 'sha256:'")[0])
    assert sorted(run["profile_digests"]) == [*ids("E", 4), *ids("M", 3)]
    assert run["profile_digests"]["M0001"] == profile_digest(kept["M0001"])
    assert "protected" not in kept["M0001"]


def test_an_altered_profile_is_named_by_verify_and_shown_as_altered(db_url):
    """A forged name in the snapshot is caught at the run entry, and never printed."""
    _two_runs(db_url)
    raw_sql(db_url, "UPDATE audit_snapshot SET profile = replace(profile, 'Name M0001', "
                    "'Forged Name') WHERE person_id = 'M0001'")
    report = verify(db_url)
    assert (report.finding.seq, report.finding.problem) == (1, "snapshot")
    assert report.finding.message.startswith("the kept profile of M0001 for run ")
    view = show(db_url, 2)
    assert view.profiles == {"M0001": "altered", "E0001": "kept"}
    assert view.names == {"E0001": "Name E0001"}
    assert view.finding is not None


def test_an_erased_profile_reads_erased_and_the_chain_is_intact(db_url):
    """Deleting a profile is the erasure the snapshot table exists for."""
    _two_runs(db_url)
    raw_sql(db_url, "DELETE FROM audit_snapshot WHERE person_id = 'M0001'")
    assert verify(db_url).ok
    view = show(db_url, 2)
    assert view.profiles["M0001"] == "erased" and "M0001" not in view.names
    assert view.finding is None


def test_reading_commands_check_what_they_print(db_url):
    """show and log carry a break in what they print or its link, status the first break
    of the whole chain; show of an entry before the break is sound, and a listing that
    neither shows nor links to the changed entry leaves it to `audit verify`."""
    _two_runs(db_url)
    raw_sql(db_url, _edit(8, '"score":31', '"score":95'), drop_triggers=True)
    assert show(db_url, 7).finding is None
    assert (show(db_url, 8).finding.seq, show(db_url, 9).finding.seq) == (8, 8)
    assert log_checked(db_url, LogFilter(run=None, limit=3)).finding is None
    assert log_checked(db_url, LogFilter()).finding.seq == 8
    assert status_checked(db_url).finding.seq == 8
    before = log_checked(db_url, LogFilter(pair=("M0001", "E0001")))
    assert [e.seq for e in before.value] == [2] and before.ok
