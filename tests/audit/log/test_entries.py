"""Building audit entries from a pairing result: ids and evidence only, chained by hash."""

from __future__ import annotations

import hashlib
import json

import pytest

from audit.log.entries import (
    GENESIS,
    entry_hash,
    link,
    monitoring_key,
    protected_rows,
    redact_names,
    run_documents,
    snapshot_rows,
)
from audit.log.errors import InvalidResultError
from engine.base.canonical import canonical_json
from engine.base.errors import TandemError
from engine.base.protected import strip_protected
from tests.audit.builders import RULES_FILES, pair, profile, reason, result, unpaired

# The worked example of docs/audit.md: the first entry of a log.
EXAMPLE = {"seq": 1, "kind": "pair", "run": "20260901T101530Z-3f9a1c",
           "at": "2026-09-01T10:15:30.000000Z", "actor": "hr.jane", "mentor": "M01",
           "mentee": "E07", "score": 40, "sentence": "M01 mentors E07, score 40: same job family.",
           "reasons": [{"rule": "culture/same-job-family", "title": "Same job family",
                        "because": "A shared professional language.", "effect": "score",
                        "points": 40, "evidence": {"mentor.job_family": "finance",
                                                   "mentee.job_family": "finance"}}]}
EXAMPLE_HASH = "f76816895b41f8762df38e6f1ef4792760ba17709a4ef49ab52a34a3bc256177"


def _docs(res, busy=frozenset(), profiles=()):
    return run_documents(res, RULES_FILES, list(profiles), run_id="R1",
                         at="2026-09-01T10:15:30.000000Z", actor="hr.jane", busy=busy)


def test_entry_hash_is_sha256_of_prev_hash_then_canonical_json():
    """entry_hash = SHA-256 of the 64-hex prev_hash followed by the entry's canonical JSON."""
    data = (GENESIS + canonical_json(EXAMPLE)).encode("utf-8")
    assert entry_hash(GENESIS, EXAMPLE) == hashlib.sha256(data).hexdigest() == EXAMPLE_HASH


def test_canonical_json_sorts_keys_and_has_no_whitespace():
    """The canonical form: sorted keys, no insignificant whitespace, UTF-8 text kept as is."""
    assert canonical_json({"b": 1, "a": ["é", 2.5]}) == '{"a":["é",2.5],"b":1}'


def test_link_numbers_after_the_head_and_chains_each_entry_to_the_previous():
    """Entries are numbered from head+1; each prev_hash is the previous entry_hash."""
    chain = link([{"kind": "x"}, {"kind": "y"}], 4, "f" * 64)
    assert [e.seq for e in chain] == [5, 6]
    assert chain[0].prev_hash == "f" * 64
    assert chain[1].prev_hash == chain[0].entry_hash
    assert chain[1].entry_hash == entry_hash(chain[0].entry_hash, {"kind": "y", "seq": 6})


def test_a_run_is_a_run_entry_then_its_pairs_then_its_unpaired():
    """One run entry announcing how many entries follow, then pairs, then unpaired."""
    docs = _docs(result([pair("M1", "E1"), pair("M2", "E2")], [unpaired("E3")]))
    assert [d["kind"] for d in docs] == ["run", "pair", "pair", "unpaired"]
    assert docs[0]["entries"] == 3
    assert docs[0]["rules_files"] == sorted(RULES_FILES)
    assert {d["run"] for d in docs} == {"R1"}
    assert {d["actor"] for d in docs} == {"hr.jane"}


def test_a_pair_entry_keeps_every_rule_with_its_because_points_and_evidence():
    """The full justification is in the pair entry."""
    why = [reason(points=30), reason("intentions/overlap", 15, shared=["ai"])]
    docs = _docs(result([pair("M1", "E1", 45, why)]))
    assert docs[1]["reasons"] == why
    assert docs[1]["score"] == 45


def test_names_are_cut_out_of_sentences_leaving_ids():
    """``Name (ID)`` and ``ID (Name)`` become ``ID``; the log keeps no names."""
    profiles = [profile("M1", "mentor"), profile("E1", "mentee"), profile("E3", "mentee")]
    res = result([pair("M1", "E1")], [unpaired("E3")])
    res["unpaired"][0]["why"] = "Name E3 has no partner"
    docs = _docs(res, profiles=profiles)
    assert docs[1]["sentence"] == "M1 mentors E1, score 30: same job family."
    assert docs[2]["why"] == "E3 has no partner"
    assert "Name " not in json.dumps(docs)


@pytest.mark.parametrize(("text", "expected"), [
    # the engine's form, the other order, the name alone
    ("Ana Ruiz (M1) mentors Paul (E1).", "M1 mentors E1."),
    ("M1 (Ana Ruiz) mentors E1 (Paul).", "M1 mentors E1."),
    ("Ana Ruiz teaches Paul.", "M1 teaches E1."),
    # a name inside a longer word is not a name
    ("Paulette and Ana Ruizz", "Paulette and Ana Ruizz"),
])
def test_redact_names(text, expected):
    """Names of the entry's subjects are replaced by their ids, whole words only."""
    assert redact_names(text, {"M1": "Ana Ruiz", "E1": "Paul"}, ["M1", "E1"]) == expected


def test_protected_data_never_reaches_an_entry():
    """A ``protected`` key, or a dotted key through one, is dropped from evidence and detail."""
    res = result([pair("M1", "E1", 30, [reason(**{"mentor.protected.gender": "f",
                                                   "mentor.job_family": "x"})])],
                 [unpaired("E3")])
    res["unpaired"][0]["detail"]["protected"] = {"age": 61}
    text = json.dumps(_docs(res))
    assert "protected" not in text
    assert "mentor.job_family" in text


def test_strip_protected_removes_nested_and_dotted_keys():
    """strip_protected walks dicts and lists."""
    value = {"a": [{"protected": 1, "b": 2}], "x.protected.y": 3, "protectedness": 4}
    assert strip_protected(value) == {"a": [{"b": 2}], "protectedness": 4}


def test_snapshot_rows_keep_whole_profiles_without_protected():
    """Snapshot rows: one per person, the profile as canonical JSON, no protected data."""
    rows = snapshot_rows([profile("M1", "mentor")])
    assert rows[0]["person_id"] == "M1"
    assert rows[0]["role"] == "mentor"
    assert json.loads(rows[0]["profile"]) == {"id": "M1", "role": "mentor",
                                               "name": "Name M1", "job_family": "finance"}


def test_protected_rows_keep_the_protected_object_only_under_their_own_key():
    """Protected data goes to rows of its own, keyed apart from the profiles: the protected
    object and nothing else; people without any get no row."""
    rows = protected_rows([profile("M1", "mentor"), {"id": "E1", "role": "mentee"}])
    assert rows == [{"person_id": "M1", "role": "mentor",
                     "profile": '{"protected":{"birth_year":1970,"gender":"x"}}'}]
    assert monitoring_key("sha256:" + "b" * 64) == "protected:" + "b" * 64


# -- a result that breaks the contract is refused, nothing is recorded
@pytest.mark.parametrize(("mutate", "message"), [
    (lambda r: r.pop("rules_digest"), "the result has no 'rules_digest'"),
    (lambda r: r.update(pairs={}), "'pairs' is not a list"),
    (lambda r: r["pairs"][0].pop("mentee"), "pairs[0].mentee is not an id"),
    (lambda r: r["pairs"][0].update(score="high"), "pairs[0].score is not a number"),
    (lambda r: r["unpaired"][0].pop("reason"), "unpaired[0].reason is not text"),
])
def test_a_result_breaking_the_contract_is_refused(mutate, message):
    """The error names the place in the result, and is a TandemError (exit 1, no traceback)."""
    res = result([pair("M1", "E1")], [unpaired("E3")])
    mutate(res)
    with pytest.raises(InvalidResultError, match=message.replace("[", r"\[")) as info:
        _docs(res)
    assert isinstance(info.value, TandemError)
    assert "nothing was written" in str(info.value)


def test_a_result_pairing_someone_already_paired_is_refused():
    """The engine must leave out people in active pairs; if it does not, nothing is recorded."""
    with pytest.raises(InvalidResultError, match="pairs M1, who is already in an active pair"):
        _docs(result([pair("M1", "E1")]), busy=frozenset({"M1"}))


def test_a_result_over_a_mentors_capacity_is_refused():
    """Capacity comes from the profile: one place left means one new pair, not two."""
    profiles = [{"id": "M1", "role": "mentor", "name": "Name M1", "capacity": 2},
                {"id": "E1", "role": "mentee", "name": "Name E1"},
                {"id": "E2", "role": "mentee", "name": "Name E2"}]
    one_place = {"M1": 1, "E9": 1}
    assert len(run_documents(result([pair("M1", "E1")]), RULES_FILES, profiles, run_id="R",
                             at="2026-09-01T10:15:30.000000Z", actor="hr",
                             busy=frozenset(one_place), load=one_place)) == 2
    with pytest.raises(InvalidResultError, match=r"pairs\[1\] pairs M1 beyond their 2 "
                                                 r"place\(s\)"):
        run_documents(result([pair("M1", "E1"), pair("M1", "E2")]), RULES_FILES, profiles,
                      run_id="R", at="2026-09-01T10:15:30.000000Z", actor="hr",
                      busy=frozenset(one_place), load=one_place)
