"""The program's state is derived from the log: active pairs, and who is free."""

from __future__ import annotations

from audit.entries import link, run_documents
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
