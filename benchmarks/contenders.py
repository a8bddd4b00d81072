"""What the benchmark measures tandem against, each on a cohort envelope already in memory.

- `floor`: the default rules written by hand in vectorised numpy, then the same assignment
  as engine/pairing/assignment.py. No engine, no validation, no output: what the hardware allows.
- `per_pair`: every pair through durable-rules on its own (engine.evaluation.features +
  engine.evaluation.rete), which is what tandem would do without evaluating each distinct
  combination once.
- `peer`: the open-source mentor-match package (Munkres in pure Python) given the same
  weights, one Mentor object per unit of capacity.

Each returns a `Result`: the pairs formed, their total score and timings in seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml
from scipy.optimize import linear_sum_assignment

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "rules"
CHUNK_CELLS = 1 << 22  # pairs per numpy chunk, as in engine/evaluation/features.py

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# rules/learning-styles.yaml as a table: points for (mentor style, mentee style), and the
# combinations learning-style/experimenter-with-theorist excludes.
STYLES = ("activist", "reflector", "theorist", "pragmatist")
STYLE_POINTS = np.array([[20, -5, 0, 25],
                         [0, 20, 25, 0],
                         [-5, 25, 20, 0],
                         [25, 0, 0, 20]], np.int16)
STYLE_EXCLUDED = np.array([[0, 0, 1, 0],
                           [0, 0, 0, 0],
                           [0, 0, 0, 0],
                           [0, 0, 1, 0]], bool)
SAME_FAMILY, SAME_DEPARTMENT, SAME_SUBSIDIARY = 30, 10, 10  # rules/culture.yaml
INTENTION_OVERLAP, STRONG_OVERLAP, SHARED_TOPIC = 15, 10, 5  # rules/intentions.yaml
INELIGIBLE = np.iinfo(np.int16).min  # marks an excluded or under-min_score pair


@dataclass
class Result:
    pairs: int
    total: int
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)
    note: str = ""
    cpu_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"pairs": self.pairs, "total_score": self.total, "seconds": self.seconds,
                "cpu_seconds": self.cpu_seconds, "stages": self.stages, "note": self.note}


@dataclass(frozen=True)
class Settings:
    objective: str
    min_score: int
    default_capacity: int


def read_settings(rules_dir: Path = RULES) -> Settings:
    data = yaml.safe_load((rules_dir / "settings.yaml").read_text("utf-8"))["settings"]
    return Settings(data["objective"], int(data["min_score"]), int(data["default_capacity"]))


def sides(cohort: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Mentors and mentees sorted by id, as tandem orders them."""
    people = sorted(cohort["participants"], key=lambda p: p["id"])
    return ([p for p in people if p["role"] == "mentor"],
            [p for p in people if p["role"] == "mentee"])


# -- the assignment, formulated exactly as engine/pairing/assignment.py ---------------------------
@dataclass(frozen=True)
class Pairs:
    mentors: IntArray
    mentees: IntArray


def cost_table(objective: str, low: int, big: float) -> npt.NDArray[np.float64]:
    """Cost (minus the weight) of every int16 score, indexed by the score's uint16 bits.

    participation: weight C + (score - low); score: score x K + 1 for scores of 0 or
    more; an INELIGIBLE pair (or, for score, a negative one) weighs 0. One gather then
    turns a block of scores into a block of costs.
    """
    scores = np.arange(-(1 << 15), 1 << 15, dtype=np.int64)
    if objective == "participation":
        weight = np.where(scores != INELIGIBLE, (scores - low) + big, 0.0)
    else:
        weight = np.where((scores != INELIGIBLE) & (scores >= 0), scores * big + 1.0, 0.0)
    table = np.empty(1 << 16, np.float64)
    table[scores.astype(np.int16).view(np.uint16)] = -weight
    return table


def solve(score: npt.NDArray[np.int16], capacities: IntArray, objective: str) -> Pairs:
    """Mentors repeated by capacity, weights C + (score - low), shorter side as rows."""
    n_mentors, n_mentees = score.shape
    empty = np.zeros(0, np.int64)
    eligible_any = score != INELIGIBLE
    if not eligible_any.any():
        return Pairs(empty, empty)
    low = int(score[eligible_any].min())
    high = int(score[eligible_any].max())
    del eligible_any
    slot_owner = np.repeat(np.arange(n_mentors), capacities)
    n_slots = len(slot_owner)
    most_pairs = min(n_slots, n_mentees)
    big = float((high - low) * most_pairs + 1) if objective == "participation" else float(
        most_pairs + 1)
    table = cost_table(objective, low, big)
    bits = score.view(np.uint16)
    slots_are_rows = n_slots <= n_mentees
    cost = np.empty((n_slots, n_mentees) if slots_are_rows else (n_mentees, n_slots))
    if slots_are_rows:
        step = max(1, CHUNK_CELLS // max(1, n_mentees))
        for start in range(0, n_slots, step):
            block = slice(start, min(start + step, n_slots))
            np.take(table, bits[slot_owner[block]], out=cost[block])
    else:
        step = max(1, CHUNK_CELLS // max(1, n_mentors))
        for start in range(0, n_mentees, step):
            cols = slice(start, min(start + step, n_mentees))
            np.take(table, bits[:, cols].T[:, slot_owner], out=cost[cols])
    rows, cols = linear_sum_assignment(cost)
    formed = cost[rows, cols] < 0
    rows, cols = rows[formed], cols[formed]
    del cost
    if slots_are_rows:
        return Pairs(slot_owner[rows].astype(np.int64), cols.astype(np.int64))
    return Pairs(slot_owner[cols].astype(np.int64), rows.astype(np.int64))


def capacities_of(mentors: Sequence[dict[str, Any]], settings: Settings) -> IntArray:
    return np.array([m.get("capacity") or settings.default_capacity for m in mentors], np.int64)


def _total(score: npt.NDArray[np.int16], pairs: Pairs) -> int:
    return int(score[pairs.mentors, pairs.mentees].astype(np.int64).sum())


# -- floor --------------------------------------------------------------------------------
def _codes(values: Sequence[Any], known: dict[Any, int]) -> IntArray:
    return np.fromiter((known.setdefault(v, len(known)) for v in values), np.int64, len(values))


def _masks(people: Sequence[dict[str, Any]], key: str,
           bits: dict[str, int]) -> npt.NDArray[np.uint8]:
    out = np.zeros(len(people), np.uint8)
    for i, person in enumerate(people):
        for value in person.get(key, ()):
            out[i] |= bits[value]
    return out


def theme_bits(rules_dir: Path = RULES) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Bit masks of the themes each intention code serves (per role) and of each topic."""
    vocabulary = yaml.safe_load((rules_dir / "vocabulary.yaml").read_text("utf-8"))["vocabulary"]
    themes = sorted({t for role in ("mentor", "mentee")
                     for spec in vocabulary["intentions"][role].values() for t in spec["themes"]})
    topics = list(vocabulary["topics"])
    if len(themes) > 8 or len(topics) > 8:
        raise ValueError("the floor packs themes and topics in 8 bits; the vocabulary has more")
    bit = {t: 1 << i for i, t in enumerate(themes)}
    per_role = [{code: sum(bit[t] for t in spec["themes"])
                 for code, spec in vocabulary["intentions"][role].items()}
                for role in ("mentor", "mentee")]
    return per_role[0], per_role[1], {t: 1 << i for i, t in enumerate(topics)}


def _popcount_points() -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int16]]:
    shared = np.bitwise_count(np.arange(256, dtype=np.uint8))
    intentions = (INTENTION_OVERLAP * (shared >= 1) + STRONG_OVERLAP * (shared >= 2))
    return intentions.astype(np.int16), (SHARED_TOPIC * (shared >= 1)).astype(np.int16)


def floor_scores(mentors: Sequence[dict[str, Any]], mentees: Sequence[dict[str, Any]],
                 settings: Settings, rules_dir: Path = RULES) -> npt.NDArray[np.int16]:
    """Every pair's score under the default rules, INELIGIBLE where it cannot be formed."""
    style = {s: i for i, s in enumerate(STYLES)}
    ms = np.array([style[p["learning_style"]] for p in mentors], np.int64)
    es = np.array([style[p["learning_style"]] for p in mentees], np.int64)
    columns = []
    for key in ("job_family", "department", "subsidiary"):
        known: dict[Any, int] = {}
        columns.append((_codes([p[key] for p in mentors], known),
                        _codes([p[key] for p in mentees], known)))
    mentor_bits, mentee_bits, topic_bits = theme_bits(rules_dir)
    mi, ei = _masks(mentors, "intentions", mentor_bits), _masks(mentees, "intentions", mentee_bits)
    mt, et = _masks(mentors, "topics", topic_bits), _masks(mentees, "topics", topic_bits)
    intention_points, topic_points = _popcount_points()
    # rules/reporting-lines.yaml: the few pairs along a reporting line, as (mentor, mentee).
    mentor_row = {p["id"]: i for i, p in enumerate(mentors)}
    mentee_row = {p["id"]: i for i, p in enumerate(mentees)}
    lines = [(i, mentee_row[p["manager_id"]]) for i, p in enumerate(mentors)
             if p.get("manager_id") in mentee_row]
    lines += [(mentor_row[p["manager_id"]], j) for j, p in enumerate(mentees)
              if p.get("manager_id") in mentor_row]
    points = [SAME_FAMILY, SAME_DEPARTMENT, SAME_SUBSIDIARY]
    score = np.empty((len(mentors), len(mentees)), np.int16)
    step = max(1, CHUNK_CELLS // max(1, len(mentees)))
    for start in range(0, len(mentors), step):
        rows = slice(start, min(start + step, len(mentors)))
        block = STYLE_POINTS[ms[rows]][:, es]
        for (left, right), value in zip(columns, points, strict=True):
            block += (left[rows, None] == right[None, :]) * np.int16(value)
        block += intention_points[mi[rows, None] & ei[None, :]]
        block += topic_points[mt[rows, None] & et[None, :]]
        blocked = STYLE_EXCLUDED[ms[rows]][:, es] | (block < settings.min_score)
        block[blocked] = INELIGIBLE
        score[rows] = block
    for m, e in lines:
        score[m, e] = INELIGIBLE
    return score


def floor(cohort: dict[str, Any], settings: Settings, rules_dir: Path = RULES) -> Result:
    """The hand-written numpy scores plus the assignment, timed from profiles in memory."""
    clock, cpu = time.perf_counter(), time.process_time()
    mentors, mentees = sides(cohort)
    score = floor_scores(mentors, mentees, settings, rules_dir)
    scored = time.perf_counter()
    pairs = solve(score, capacities_of(mentors, settings), settings.objective)
    done = time.perf_counter()
    return Result(len(pairs.mentors), _total(score, pairs), done - clock,
                  {"scores": scored - clock, "assignment": done - scored},
                  cpu_seconds=time.process_time() - cpu)


# -- every pair through the rule engine --------------------------------------------------
def per_pair(cohort_path: Path) -> Result:
    """Each pair's features and rules evaluated one by one, then the same assignment.

    Reading and validating the cohort and building the PairSpace (used here only for its
    atoms) are outside the timing.
    """
    from engine.evaluation.features import PairSpace
    from engine.evaluation.inputs import load_inputs
    from engine.evaluation.rete import RuleEngine
    from engine.evaluation.scoring import outcome_of

    cohort, rules, _ = load_inputs(cohort_path)
    pairing = rules.pairing
    conditions = [r.when for r in pairing.rules]
    mentors, mentees = cohort.mentors, cohort.mentees
    space = PairSpace(conditions, mentors, mentees, rules.vocabulary, cohort.as_of,
                      pairing.settings.default_capacity)
    clock, cpu = time.perf_counter(), time.process_time()
    engine = RuleEngine(conditions, lambda leaf: space.atom_for(leaf).name)
    score = np.empty((len(mentors), len(mentees)), np.int16)
    min_score = pairing.settings.min_score
    for i, mentor in enumerate(mentors):
        for j, mentee in enumerate(mentees):
            outcome = outcome_of(engine.fired(space.pair_features(mentor, mentee)), pairing.rules)
            eligible = not outcome.excluded and outcome.points >= min_score
            score[i, j] = outcome.points if eligible else INELIGIBLE
    scored = time.perf_counter()
    capacities = np.array([m.capacity or pairing.settings.default_capacity for m in mentors],
                          np.int64)
    pairs = solve(score, capacities, pairing.settings.objective)
    done = time.perf_counter()
    n_pairs = len(mentors) * len(mentees)
    return Result(len(pairs.mentors), _total(score, pairs), done - clock,
                  {"engine": scored - clock, "assignment": done - scored,
                   "pairs_per_second": n_pairs / max(scored - clock, 1e-9)},
                  cpu_seconds=time.process_time() - cpu)


# -- the open-source peer ----------------------------------------------------------------
def peer_available() -> bool:
    try:
        from matching.process import process_data  # noqa: F401
    except ImportError:
        return False
    return True


def peer(cohort: dict[str, Any], settings: Settings, rules_dir: Path = RULES) -> Result:
    """mentor-match given the floor's scores as weights, one Mentor per unit of capacity.

    Its rules API scores a `Match`; a rule here looks the weight up (C + score - low, as
    tandem weighs pairs) and `Disqualify` drops ineligible pairs. Its Munkres then
    maximises the total weight over a square padded matrix, as tandem's solver does over
    the rectangle, so the pairs count and total score must agree.
    """
    from matching.mentee import Mentee
    from matching.mentor import Mentor
    from matching.process import process_data
    from matching.rules.rule import Disqualify

    mentors, mentees = sides(cohort)
    score = floor_scores(mentors, mentees, settings, rules_dir)
    if settings.objective != "participation":
        return Result(0, 0, 0.0, note="only the participation objective is mapped to the peer")
    eligible = score != INELIGIBLE
    if not eligible.any():
        return Result(0, 0, 0.0)
    low, high = int(score[eligible].min()), int(score[eligible].max())
    capacities = capacities_of(mentors, settings)
    most_pairs = min(int(capacities.sum()), len(mentees))
    big = (high - low) * most_pairs + 1
    weight = np.where(eligible, score.astype(np.int64) + (big - low), 0).tolist()
    allowed = eligible.tolist()

    class Weight:
        """A mentor-match rule that scores a match with its precomputed weight."""

        def evaluate(self, match: Any) -> bool:
            return True

        def apply(self, match: Any) -> int:
            return int(weight[match.mentor.row][match.mentee.row])

    def not_allowed(match: Any) -> bool:
        return not allowed[match.mentor.row][match.mentee.row]

    clock, cpu = time.perf_counter(), time.process_time()
    slots = []
    for i, person in enumerate(mentors):
        for k in range(int(capacities[i])):
            slot = Mentor(grade=1, email=f"{person['id']}#{k}", organisation=person["subsidiary"])
            slot.row = i
            slots.append(slot)
    others = []
    for j, person in enumerate(mentees):
        mentee = Mentee(grade=5, email=person["id"], organisation=person["subsidiary"])
        mentee.row = j
        others.append(mentee)
    rules: list[Callable[..., Any] | Any] = [Disqualify(not_allowed), Weight()]
    process_data(slots, others, [rules])
    done, used = time.perf_counter(), time.process_time() - cpu
    formed = [(slot.row, m.row) for slot in slots for m in slot.mentees]
    total = sum(int(score[i, j]) for i, j in formed)
    return Result(len(formed), total, done - clock, {"matching": done - clock},
                  cpu_seconds=used)
