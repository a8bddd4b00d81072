"""The program's state is derived from the log: active pairs, and who is free."""

from __future__ import annotations

from audit.log.entries import link, run_documents
from audit.state import busy_people, derive_state
from tests.audit.builders import RULES_FILES, pair, result, unpaired


def _docs(*runs):
    docs, head = [], (0, "0" * 64)
    for i, res in enumerate(runs):
        chain = link(run_documents(res, RULES_FILES, [], run_id=f"R{i}",
                                   at=f"2026-09-0{i + 1}T10:00:00.000000Z", actor="hr",
                                   busy=frozenset()), *head)
        head = (chain[-1].seq, chain[-1].entry_hash)
        docs += [e.doc for e in chain]
    return docs


def test_pairs_of_every_run_are_active():
    """Each pair entry opens a pair; runs add up."""
    state = derive_state(_docs(result([pair("M1", "E1")]), result([pair("M2", "E2", 50)])))
    assert [(p.mentor, p.mentee, p.score, p.run) for p in state.active] == [
        ("M1", "E1", 30, "R0"), ("M2", "E2", 50, "R1")]
    assert state.busy() == {"M1", "E1", "M2", "E2"}


def test_free_people_are_those_named_by_the_log_in_no_active_pair():
    """Someone left unpaired is free, with the last reason the log gives."""
    state = derive_state(_docs(result([pair("M1", "E1")], [unpaired("E2")]),
                               result([], [unpaired("E2", why_="no-eligible-partner"),
                                           unpaired("E1", why_="already-paired")])))
    assert [(f.id, f.role, f.reason, f.seq) for f in state.free] == [
        ("E2", "mentee", "no-eligible-partner", 5)]


def test_busy_people_reads_only_kinds_and_ids():
    """The fast path used under the lock agrees with the full fold."""
    docs = _docs(result([pair("M1", "E1")], [unpaired("E2")]))
    rows = [(d["kind"], d.get("mentor"), d.get("mentee")) for d in docs]
    assert busy_people(rows) == derive_state(docs).busy() == {"M1", "E1"}


def _lifecycle(*docs, after=0):
    """Chain hand-written entries (kind and keys), numbering them from after + 1."""
    from audit.log.entries import link

    common = {"run": "R", "at": "2026-10-01T10:00:00.000000Z", "actor": "hr"}
    return [e.doc for e in link([{**common, **d} for d in docs], after, "0" * 64)]


def test_each_lifecycle_kind_is_one_branch_of_the_fold():
    """pair opens, separation closes, force opens, forbid marks, a proposal waits until
    approved, a rejected proposal frees its people."""
    docs = _lifecycle(
        {"kind": "pair", "mentor": "M1", "mentee": "E1", "score": 30},           # 1
        {"kind": "separation", "mentor": "M1", "mentee": "E1", "category": "mismatch",
         "reason": "stalled", "pair_seq": 1},                                     # 2
        {"kind": "decision", "decision": "forbid", "mentor": "M2", "mentee": "E1",
         "reason": "conflict", "score": 0},                                       # 3
        {"kind": "decision", "decision": "force", "mentor": "M2", "mentee": "E2",
         "reason": "asked", "score": 10},                                         # 4
        {"kind": "run", "run": "P", "approval": "required", "entries": 1},        # 5
        {"kind": "reassignment", "run": "P", "mentor": "M1", "mentee": "E1",
         "score": 5, "after": [2]},                                               # 6
        {"kind": "run", "run": "Q", "approval": "required", "entries": 1},        # 7
        {"kind": "pair", "run": "Q", "mentor": "M3", "mentee": "E3", "score": 5},  # 8
        {"kind": "rejection", "rejects": "Q", "reason": "wrong file"},            # 9
    )
    state = derive_state(docs)
    assert [(p.mentor, p.mentee, p.via) for p in state.active] == [("M2", "E2", "decision")]
    assert [(p.run, [x.seq for x in p.pairs]) for p in state.pending] == [("P", [6])]
    assert state.load() == {"M2": 1, "E2": 1, "M1": 1, "E1": 1}
    assert state.history[("M1", "E1")].separated_before
    assert state.history[("M1", "E1")].separation_category == "mismatch"
    assert (state.history[("M2", "E1")].forbidden, state.history[("M2", "E1")].decision_seq) \
        == (True, 3)
    assert state.closed == {"Q": "rejected by hr (entry 9)"}
    assert [f.id for f in state.free] == ["E3", "M3"]
    approved = derive_state([*docs, *_lifecycle({"kind": "approval", "approves": "P",
                                                  "pairs": [6]}, after=9)])
    assert [(p.mentor, p.mentee, p.via) for p in approved.active] == [
        ("M1", "E1", "reassignment"), ("M2", "E2", "decision")]
    assert approved.freed_by == {}


def test_the_quick_reading_closes_separated_pairs():
    """busy_people, from kinds and ids only, drops a separated couple."""
    docs = _lifecycle({"kind": "pair", "mentor": "M1", "mentee": "E1"},
                      {"kind": "pair", "mentor": "M2", "mentee": "E2"},
                      {"kind": "separation", "mentor": "M1", "mentee": "E1"})
    assert busy_people((d["kind"], d.get("mentor"), d.get("mentee")) for d in docs) == {
        "M2", "E2"}
