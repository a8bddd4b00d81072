"""The lifecycle entry kinds: the keys they are stored with, and reading them back."""

from __future__ import annotations

import pytest

from audit.log.entries import link
from engine.program.events import Approval, Decision, Reassignment, Rejection, Separation

COMMON = {"run": "R1", "at": "2026-12-14T09:30:00.000000Z", "actor": "hr.jane"}
REASON = {"rule": "culture/same-job-family", "title": "Same job family", "because": "…",
          "effect": "score", "points": 30,
          "evidence": {"mentor.job_family": "it", "mentor.protected.gender": "x"}}

CASES = [
    # kind, the dataclass, the keys it is stored with besides run, at, actor and kind
    ("separation", Separation(**COMMON, mentor="M01", mentee="E07", category="mismatch",
                              reason="Sessions kept being cancelled.", pair_seq=2),
     {"mentor": "M01", "mentee": "E07", "category": "mismatch",
      "reason": "Sessions kept being cancelled.", "pair_seq": 2}),
    ("reassignment", Reassignment(**COMMON, mentor="M04", mentee="E07", score=45,
                                  sentence="M04 mentors E07, score 45.", reasons=(REASON,),
                                  after=(24,)),
     {"mentor": "M04", "mentee": "E07", "score": 45, "sentence": "M04 mentors E07, score 45.",
      "reasons": [{**REASON, "evidence": {"mentor.job_family": "it"}}], "after": [24]}),
    ("decision", Decision(**COMMON, decision="force", mentor="M03", mentee="E12",
                          reason="Both asked.", score=-5, reasons=(REASON,),
                          excluded_by=("reporting-line/manager-and-report",),
                          override_exclusion=True),
     {"decision": "force", "mentor": "M03", "mentee": "E12", "reason": "Both asked.",
      "score": -5, "reasons": [{**REASON, "evidence": {"mentor.job_family": "it"}}],
      "excluded_by": ["reporting-line/manager-and-report"], "override_exclusion": True}),
    ("approval", Approval(**COMMON, approves="R0", pairs=(2, 3)),
     {"approves": "R0", "pairs": [2, 3]}),
    ("rejection", Rejection(**COMMON, rejects="R0", reason="Last month's file."),
     {"rejects": "R0", "reason": "Last month's file."}),
]


@pytest.mark.parametrize(("kind", "value", "keys"), CASES, ids=[c[0] for c in CASES])
def test_each_kind_is_stored_with_the_shared_keys_and_no_protected_data(kind, value, keys):
    """as_doc() gives exactly the contract's keys; protected evidence never reaches the log."""
    assert value.as_doc() == {"kind": kind, **COMMON, **keys}


@pytest.mark.parametrize(("kind", "value", "keys"), CASES, ids=[c[0] for c in CASES])
def test_each_kind_reads_back_from_the_chained_entry(kind, value, keys):
    """A chained entry (with its seq) reads back into the same value, protected data aside."""
    (entry,) = link([value.as_doc()], 0, "0" * 64)
    again = type(value).of(entry.doc)
    assert again.as_doc() == value.as_doc()
    assert entry.doc["seq"] == 1 and entry.kind == kind
