"""Any sequence of lifecycle steps keeps the program sound: no mentee in two pairs, no mentor
over capacity, no separated couple formed again by the optimiser, every reassignment
chained to real separations. Pure: the steps append to a log in memory and the state is
the fold of that log, as the commands do under their lock.

TANDEM_FUZZ=long runs many more sequences.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.log.entries import link, run_documents
from audit.state import derive_state
from engine.evaluation.inputs import load_inputs, profiles_for_snapshot
from engine.pairing.pipeline import pair_cohort
from engine.program.decision import decide
from engine.program.reassignment import reassign
from engine.program.refusals import RefusedError
from engine.program.separation import separate
from tests.program.conftest import example_people

PEOPLE = ["M01", "M02", "M03", "M05", "M06", "E01", "E02", "E04", "E05", "E07", "E09", "E10",
          "E13", "E14"]
LONG = os.environ.get("TANDEM_FUZZ") == "long"
STEPS = st.lists(st.tuples(st.sampled_from(["pair", "separate", "reassign", "force",
                                            "forbid"]),
                           st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=10)


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    path = tmp_path_factory.mktemp("cohort") / "c.json"
    chosen = [{k: v for k, v in p.items() if k != "manager_id"}
              for p in example_people() if p["id"] in PEOPLE]
    path.write_text(json.dumps({"program": {"as_of": "2026-09-01"}, "participants": chosen}))
    cohort, rules, _ = load_inputs(path)
    return cohort, rules, {p["id"]: p.get("capacity") or 1 for p in chosen}


class Log:
    """The audit log in memory: entries appended, the state folded from them."""

    def __init__(self) -> None:
        self.docs: list[dict] = []
        self.head = (0, "0" * 64)
        self.runs = 0

    def append(self, docs) -> None:
        chain = link(docs, *self.head)
        self.docs += [dict(e.doc) for e in chain]
        self.head = (chain[-1].seq, chain[-1].entry_hash)

    def stamp(self) -> dict:
        self.runs += 1
        return {"run": f"R{self.runs}", "at": f"2026-10-01T10:00:{self.runs % 60:02d}.0Z",
                "actor": "hr"}


def _step(log: Log, cohort, rules, kind: str, a: int, b: int) -> None:
    state = derive_state(log.docs)
    standing = state.standing()
    stamp = log.stamp()
    profiles = profiles_for_snapshot(cohort)
    if kind in ("pair", "reassign"):
        result = (pair_cohort(cohort, rules, standing=standing) if kind == "pair"
                  else reassign(cohort, rules, standing))
        log.append(run_documents(result, dict(rules.files), profiles, run_id=stamp["run"],
                                 at=stamp["at"], actor="hr", busy=state.busy(),
                                 load=state.load(), freed_by=state.freed_by,
                                 command="reassign" if kind == "reassign" else None))
        return
    mentors = [p.id for p in cohort.mentors]
    mentees = [p.id for p in cohort.mentees]
    try:
        if kind == "separate":
            if not state.active:
                return
            pair = state.active[a % len(state.active)]
            doc = separate([(p.mentor, p.mentee, p.seq) for p in state.active], state.known(),
                           state.history, {}, mentor=pair.mentor, mentee=pair.mentee,
                           reason="why", category="mismatch", categories=("mismatch",),
                           **stamp).as_doc()
        else:
            doc = decide(cohort, rules, standing, [(p.mentor, p.mentee) for p in state.active],
                         choice="force" if kind == "force" else "forbid",
                         mentor=mentors[a % len(mentors)], mentee=mentees[b % len(mentees)],
                         reason="why", override_exclusion=a % 2 == 0, **stamp).as_doc()
    except RefusedError:
        return
    log.append([doc])


def _sound(log: Log, capacity: dict[str, int]) -> None:
    state = derive_state(log.docs)
    load = Counter(p for pair in state.active for p in (pair.mentor, pair.mentee))
    assert all(n <= capacity[p] for p, n in load.items()), load
    separated: set[tuple[str, str]] = set()
    seps = set()
    for doc in log.docs:
        couple = (doc.get("mentor"), doc.get("mentee"))
        if doc["kind"] == "separation":
            separated.add(couple)
            seps.add(doc["seq"])
        elif doc["kind"] in ("pair", "reassignment"):
            assert couple not in separated, f"{couple} formed again by entry {doc['seq']}"
            assert set(doc.get("after", ())) <= seps


@settings(max_examples=300 if LONG else 40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
def test_any_sequence_of_steps_keeps_the_program_sound(program, steps):
    """Pair, separate, reassign, force and forbid in any order: the invariants hold."""
    cohort, rules, capacity = program
    log = Log()
    for kind, a, b in steps:
        _step(log, cohort, rules, kind, a, b)
        _sound(log, capacity)
