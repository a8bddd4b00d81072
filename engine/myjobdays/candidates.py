"""Who may visit whom: visitors and hosts from the profiles, rule outcomes for every pair.

In: a validated cohort and the `my_job_days` ruleset. Out: `Candidates`, the visitors (people
who asked to discover at least one job family), the hosts (`my_job_day.host: true`), each
host's places per day, and for every (visitor, host) pair its rule outcome. A pair is a
candidate visit when the host is not the visitor, the host's job family is one the visitor
asked to discover, and no exclude rule of the ruleset fires.

The rules are evaluated exactly as the pairing's are: `engine.evaluation.features.PairSpace`
codes each pair's features (the visitor is the left side, the host the right),
`engine.evaluation.rete` runs each distinct combination through durable-rules once,
`engine.evaluation.scoring.OutcomeTable` spreads the outcomes back, and
`engine.evaluation.explain.reasons` gives each visit its rules and evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.base.errors import TandemError
from engine.evaluation.explain import reasons
from engine.evaluation.features import PairSpace
from engine.evaluation.rete import GroupedEngine
from engine.evaluation.scoring import OutcomeTable
from engine.profiles.cohort import Cohort, Participant
from engine.rules.ruleset import PlannerSettings, Rule, Rules, Settings

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def discover(person: Participant) -> tuple[str, ...]:
    """The job families a person asked to discover, in the order given."""
    return tuple((person.my_job_day or {}).get("discover") or ())


def is_host(person: Participant) -> bool:
    return (person.my_job_day or {}).get("host") is True


def slots_of(person: Participant, settings: PlannerSettings) -> int:
    """Visitors a host takes on one day: the profile's slots, else the rules' default."""
    given = (person.my_job_day or {}).get("slots")
    slots = settings.slots_per_host_per_day if given is None else given
    if not isinstance(slots, int) or isinstance(slots, bool) or slots < 1:
        raise TandemError(f"{person.id}: my_job_day.slots is {slots!r}; a host takes at least "
                          "1 visitor a day, so give slots 1 or more, or set host to false")
    return slots


@dataclass
class Candidates:
    """Every (visitor, host) pair of the cohort as the planner sees it."""

    visitors: list[Participant]
    hosts: list[Participant]
    slots: IntArray  # by host
    rules: Sequence[Rule]
    space: PairSpace
    table: OutcomeTable
    outcome_ids: IntArray  # visitors x hosts: outcome id in the table
    scores: IntArray  # visitors x hosts
    excluded: BoolArray  # visitors x hosts: an exclude rule fired
    wanted_family: BoolArray  # visitors x hosts: the host's family is one the visitor asked for
    oneself: BoolArray  # visitors x hosts: the same person

    @property
    def eligible(self) -> BoolArray:
        """Candidate visits: a wanted family, not oneself, no exclude rule fired."""
        result: BoolArray = self.wanted_family & ~self.oneself & ~self.excluded
        return result

    def reasons(self, v: int, h: int) -> list[dict[str, Any]]:
        """Every rule that fired for this visit, with its `because` and evidence."""
        outcome = self.table.outcomes[int(self.outcome_ids[v, h])]
        return reasons(outcome, self.rules, self.visitors[v], self.hosts[h], self.space)

    def excluded_by(self, v: int, h: int) -> list[str]:
        """The exclude rules that fired for this pair, by id."""
        outcome = self.table.outcomes[int(self.outcome_ids[v, h])]
        return sorted(self.rules[i].id for i in outcome.fired
                      if self.rules[i].effect == "exclude")


def candidates(cohort: Cohort, rules: Rules) -> Candidates:
    """Visitors, hosts and the rule outcome of every pair of them."""
    ruleset = rules.my_job_days
    visitors = [p for p in cohort.participants if discover(p)]
    hosts = [p for p in cohort.participants if is_host(p)]
    slots = np.array([slots_of(h, ruleset.planner) for h in hosts], np.int64)
    conditions = [r.when for r in ruleset.rules]
    space = PairSpace(conditions, visitors, hosts, rules.vocabulary, cohort.as_of, 1)
    engine = GroupedEngine(conditions, lambda leaf: space.atom_for(leaf).name)

    def run_engine(codes: Sequence[int]) -> list[frozenset[int]]:
        return engine.fired_many([space.features(code) for code in codes])

    # min_score is a pairing setting: the planner reads only `excluded` and the points.
    table = OutcomeTable(space.code_space, ruleset.rules, Settings(), run_engine)
    shape = (len(visitors), len(hosts))
    if visitors and hosts:
        ids = table.resolve(space.codes(slice(None), slice(None))).astype(np.int64)
    else:
        ids = np.zeros(shape, np.int64)
    scores = table.scores[ids] if table.outcomes else np.zeros(shape, np.int64)
    excluded = table.excluded_ids[ids] if table.outcomes else np.zeros(shape, bool)
    wanted = np.array([[h.job_family in discover(v) for h in hosts] for v in visitors],
                      bool).reshape(shape)
    oneself = np.array([[h.id == v.id for h in hosts] for v in visitors], bool).reshape(shape)
    return Candidates(visitors, hosts, slots, ruleset.rules, space, table, ids,
                      scores.astype(np.int64), excluded, wanted, oneself)
