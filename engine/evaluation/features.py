"""Pair features: what the rules can see of each mentor-mentee pair, computed with numpy.

A rule reads values through *atoms*:
- a side atom is one person's field value (`mentor.learning_style`), bucketed by the
  constants the rules compare it with: values no rule can tell apart share a bucket, and
  the engine sees a real value from that bucket;
- a contains atom says whether one person's list holds a constant (1 or 0);
- a compare atom says whether two fields are equal (1), unequal (0) or missing (2);
- an overlap atom counts the themes two lists share (the same list field on both sides, or
  the mentor's field against another of the mentee's), capped just above the largest bound
  any rule uses;
- a difference atom is the mentee's number minus the mentor's, bucketed by the bounds the
  rules compare it with.

Each pair gets one integer *code* that packs its atom values. Pairs with the same code
are the same to every rule, so the engine evaluates each distinct code once.
Atoms become small tables indexed by a per-person code on each side (a learning style, a
job family, a set of themes). Tables are packed into blocks: people are grouped into
classes by their codes, and a block's value for a pair is one lookup in a table of
mentor classes by mentee classes. Comparisons of high-cardinality values (ids, manager
ids) are listed as the few pairs where they are equal.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from engine.base.errors import TandemError
from engine.evaluation.compiled import COMPILED_CELLS, COMPILED_PAIRS, add_block_codes
from engine.profiles.cohort import Participant
from engine.rules.conditions import LEFT_SIDES, Compare, Condition, Difference, Leaf, Test, leaves
from engine.rules.history import NO_PAST, Standing
from engine.rules.vocabulary import Vocabulary

IntArray = npt.NDArray[np.int64]
MISSING = ""  # what the engine sees for an absent text value; no rule constant is empty
# What the engine sees for an absent number. durable-rules compares "" with a number
# inconsistently (measured: `{f: 2}` held on "" in a one-rule ruleset and not in a larger
# one), so a number is never compared with text; rule bounds are far above this value.
MISSING_NUMBER = -1e15
BLOCK_LIMIT = 1 << 20  # largest block table (mentor classes x mentee classes)
CHUNK_CELLS = 1 << 22  # pairs per numpy chunk


# Fields read as they are (no default, no part of them), when no declared field is held.
_PLAIN_FIELDS = frozenset(f.name for f in dataclass_fields(Participant)) - {
    "capacity", "my_job_day", "protected", "extra"}


def person_value(person: Participant, name: str, as_of: date, default_capacity: int) -> Any:
    """The value of a rule field for one person (None when absent)."""
    if name in _PLAIN_FIELDS and not person.extra:  # the common case, first
        return getattr(person, name)
    if name == "tenure_years":
        return person.tenure_years(as_of)
    if name == "capacity":
        return person.capacity if person.capacity is not None else (
            default_capacity if person.role == "mentor" else None)
    if name.startswith("my_job_day."):
        return (person.my_job_day or {}).get(name.split(".", 1)[1])
    if name in person.extra or not hasattr(person, name):
        return person.extra.get(name)  # a field declared in vocabulary.yaml
    return getattr(person, name)


def themes_of(person: Participant, name: str, vocabulary: Vocabulary, by_theme: bool = True
              ) -> frozenset[str]:
    """What an overlap counts of a person's list field: the themes its values serve, or,
    with ``by_theme`` False, the values themselves (see Vocabulary.counts_themes)."""
    values = person_value(person, name, date.min, 1) or ()
    return frozenset(t for v in values
                     for t in vocabulary.overlap_units(name, person.role, v, by_theme))


@dataclass(frozen=True)
class Atom:
    name: str  # the fact field the engine reads: f0, f1, ...
    label: str  # what it means, for people
    kind: Literal["side", "contains", "compare", "overlap", "difference", "pair"]
    side: str | None = None
    field: str = ""
    other_field: str = ""  # compare, overlap: the mentee's field; difference: the mentor's
    constant: Any = None  # contains: the value looked for
    cap: int = 0  # overlap: largest count kept distinct


@dataclass
class _Part:
    """One table-shaped input: value = table[left code of the mentor, right code of the mentee]."""

    name: str
    left: IntArray
    right: IntArray
    table: IntArray
    radix: int


@dataclass
class _Block:
    """Parts packed together: a pair's block value is table[u[mentor], v[mentee]]."""

    u: IntArray
    v: IntArray
    table: IntArray
    rows: list[dict[str, int]]  # block value -> the parts' values


@dataclass
class _Sparse:
    """Pairs whose high-cardinality values are equal (e.g. a mentor who manages a mentee)."""

    name: str
    mentors: IntArray
    mentees: IntArray


@dataclass
class _Dense:
    """An overlap with too many distinct sets for a table: counted pair by pair."""

    name: str
    left: npt.NDArray[np.uint64]
    right: npt.NDArray[np.uint64]
    cap: int


@dataclass
class _DenseDifference:
    """A difference with too many distinct values for a table: bucketed pair by pair."""

    name: str
    left: npt.NDArray[np.float64]  # the mentors' values (NaN when missing)
    right: npt.NDArray[np.float64]  # the mentees' values
    points: npt.NDArray[np.float64]

    @property
    def radix(self) -> int:
        return 2 * len(self.points) + 2


def difference_of(mentee_value: Any, mentor_value: Any) -> float | None:
    """The mentee's value minus the mentor's, rounded so that decimals compare exactly."""
    if mentee_value is None or mentor_value is None:
        return None
    return float(np.round(np.float64(mentee_value) - np.float64(mentor_value), 6))


def _buckets(points: npt.NDArray[np.float64], x: npt.NDArray[np.float64]) -> IntArray:
    """Bucket codes of numbers against sorted points: 2k+1 on points[k], 2k between points
    k-1 and k, 2 len(points) + 1 for a missing value (NaN)."""
    left = np.searchsorted(points, x, "left")
    right = np.searchsorted(points, x, "right")
    codes = np.where(right > left, 2 * left + 1, 2 * left).astype(np.int64)
    codes[np.isnan(x)] = 2 * len(points) + 1
    return codes


def _bucket_values(points: npt.NDArray[np.float64]) -> list[Any]:
    """A number in each bucket of ``_buckets``, for the engine to see."""
    values: list[Any] = []
    for k in range(len(points) + 1):
        if k == 0:
            values.append(float(points[0]) - 1)
        elif k == len(points):
            values.append(float(points[-1]) + 1)
        else:
            values.append(float(points[k - 1] + points[k]) / 2)
        if k < len(points):
            values.append(float(points[k]))
    return [*values, MISSING_NUMBER]


@dataclass
class _PairValues:
    """A couple's past (`pair.FIELD`): the few couples that have one are listed with the
    code of their value; every other pair has code 0, the value of no past."""

    name: str
    keys: IntArray  # mentor row * width + mentee row, sorted
    codes: IntArray  # the value code of each listed couple
    representatives: list[Any]  # value code -> the value the engine sees


def _classes(keys: list[IntArray], n: int) -> IntArray:
    if n == 0:
        return np.zeros(0, np.int64)
    if len(keys) == 1:
        return np.unique(keys[0], return_inverse=True)[1].reshape(-1).astype(np.int64)
    # The rows' distinct tuples, in np.unique's (lexicographic) order: as one number each
    # when the columns fit one, which sorts in the same order and much faster.
    radices = [int(k.max()) + 1 for k in keys]
    if min(int(k.min()) for k in keys) >= 0 and math.prod(radices) < 1 << 62:
        code = np.zeros(n, np.int64)
        for column, radix in zip(keys, radices, strict=True):
            code = code * radix + column
        return np.unique(code, return_inverse=True)[1].reshape(-1).astype(np.int64)
    stacked = np.stack(keys, axis=1)
    return np.unique(stacked, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)


def _dense_ids(values: IntArray, span: int) -> tuple[IntArray, IntArray]:
    """The sorted distinct values and each value's index among them (np.unique's answer)."""
    if span > 1 << 24:
        distinct, inverse = np.unique(values, return_inverse=True)
        return distinct, inverse.reshape(values.shape)
    present = np.zeros(span, bool)
    present[values] = True
    index = np.cumsum(present) - 1
    return np.flatnonzero(present), index[values]


def _size(classes: IntArray) -> int:
    return int(classes.max(initial=-1)) + 1


def _representatives(classes: IntArray) -> IntArray:
    """The first row of each class."""
    rep = np.zeros(_size(classes), np.int64)
    rep[classes[::-1]] = np.arange(len(classes))[::-1]
    return rep


@dataclass
class _SideColumn:
    """Per-person integer inputs for one atom on one side, plus bucket representatives."""

    codes: IntArray
    representatives: list[Any] = field(default_factory=list)


class PairSpace:
    """Atoms, per-person inputs and blocks for one cohort and one rule set."""

    def __init__(self, conditions: Sequence[Condition], mentors: Sequence[Participant],
                 mentees: Sequence[Participant], vocabulary: Vocabulary, as_of: date,
                 default_capacity: int, history: Standing | None = None) -> None:
        self.history = history or Standing()
        self.mentors = list(mentors)
        self.mentees = list(mentees)
        self.vocabulary = vocabulary
        self.as_of = as_of
        self.default_capacity = default_capacity
        self.atoms: list[Atom] = []
        self._by_key: dict[tuple[Any, ...], Atom] = {}
        self._constants: dict[tuple[str, str], set[Any]] = {}
        self._bounds: dict[tuple[str, str], set[float]] = {}
        self._themes: dict[tuple[str, str, bool, Any], frozenset[str]] = {}  # by list
        for condition in conditions:
            for leaf in leaves(condition):
                self._declare(leaf)
        self._build()

    # -- atoms -------------------------------------------------------------------------------
    def _add(self, key: tuple[Any, ...], **spec: Any) -> None:
        if key not in self._by_key:
            atom = Atom(name=f"f{len(self.atoms)}", **spec)
            self.atoms.append(atom)
            self._by_key[key] = atom

    def _declare(self, leaf: Leaf) -> None:
        if isinstance(leaf, Test) and leaf.side == "pair":
            self._add(("pair", leaf.field), kind="pair", side="pair", field=leaf.field,
                      label=f"pair.{leaf.field}")
        elif isinstance(leaf, Test):
            if leaf.op == "contains":
                self._add(("contains", leaf.side, leaf.field, leaf.value), kind="contains",
                          side=leaf.side, field=leaf.field, constant=leaf.value,
                          label=f"{leaf.side}.{leaf.field} contains {leaf.value}")
            else:
                self._add(("side", leaf.side, leaf.field), kind="side", side=leaf.side,
                          field=leaf.field, label=f"{leaf.side}.{leaf.field}")
                values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
                self._constants.setdefault((leaf.side, leaf.field), set()).update(values)
        elif isinstance(leaf, Compare):
            self._add(("compare", leaf.mentor_field, leaf.mentee_field), kind="compare",
                      field=leaf.mentor_field, other_field=leaf.mentee_field,
                      label=f"mentor.{leaf.mentor_field} = mentee.{leaf.mentee_field}")
        elif isinstance(leaf, Difference):
            key = ("difference", leaf.mentee_field, leaf.mentor_field)
            self._add(key, kind="difference", field=leaf.mentee_field,
                      other_field=leaf.mentor_field,
                      label=f"mentee.{leaf.mentee_field} - mentor.{leaf.mentor_field}")
            self._bounds.setdefault((leaf.mentee_field, leaf.mentor_field), set()).update(
                float(b) for b in (leaf.at_least, leaf.at_most) if b is not None)
        else:
            bound = max(b for b in (leaf.at_least, leaf.at_most) if b is not None)
            mentor_field, mentee_field = leaf.sides
            key = ("overlap", mentor_field, mentee_field)
            label = (f"shared {mentor_field} themes" if mentor_field == mentee_field else
                     f"themes shared by mentor.{mentor_field} and mentee.{mentee_field}")
            if key in self._by_key:
                old = self._by_key[key]
                if bound + 1 > old.cap:
                    index = self.atoms.index(old)
                    self.atoms[index] = self._by_key[key] = Atom(
                        name=old.name, label=old.label, kind="overlap", field=old.field,
                        other_field=old.other_field, cap=bound + 1)
            else:
                self._add(key, kind="overlap", field=mentor_field, other_field=mentee_field,
                          cap=bound + 1, label=label)

    def themes(self, person: Participant, field: str, by_theme: bool = True
               ) -> frozenset[str]:
        """What an overlap counts of a person's list field (kept once computed for each
        distinct list: many people hold the same intentions or topics)."""
        key = (person.role, field, by_theme, person_value(person, field, date.min, 1) or ())
        try:
            found = self._themes.get(key)
        except TypeError:  # a list holding values that cannot be hashed: not kept
            return themes_of(person, field, self.vocabulary, by_theme)
        if found is None:
            found = self._themes[key] = themes_of(person, field, self.vocabulary, by_theme)
        return found

    def atom_for(self, leaf: Leaf) -> Atom:
        """The atom a condition leaf reads."""
        if isinstance(leaf, Test):
            if leaf.side == "pair":
                return self._by_key[("pair", leaf.field)]
            if leaf.op == "contains":
                return self._by_key[("contains", leaf.side, leaf.field, leaf.value)]
            return self._by_key[("side", leaf.side, leaf.field)]
        if isinstance(leaf, Compare):
            return self._by_key[("compare", leaf.mentor_field, leaf.mentee_field)]
        if isinstance(leaf, Difference):
            return self._by_key[("difference", leaf.mentee_field, leaf.mentor_field)]
        return self._by_key[("overlap", *leaf.sides)]

    # -- per-person inputs -------------------------------------------------------------------
    def _values(self, people: Sequence[Participant], name: str) -> list[Any]:
        return [person_value(p, name, self.as_of, self.default_capacity) for p in people]

    def _side_column(self, atom: Atom, people: Sequence[Participant]) -> _SideColumn:
        values = self._values(people, atom.field)
        if atom.kind == "contains":
            codes = np.fromiter((1 if v and atom.constant in v else 0 for v in values),
                                np.int64, len(values))
            return _SideColumn(codes, [0, 1])
        constants = sorted(self._constants.get((atom.side or "", atom.field), set()), key=repr)
        numeric = all(isinstance(c, int | float) and not isinstance(c, bool) for c in constants)
        codes = np.empty(len(values), np.int64)
        representatives: dict[int, Any] = {}
        if numeric and constants:
            points = np.array(sorted(set(constants)), dtype=np.float64)
            present = np.array([v is not None for v in values], dtype=bool)
            x = np.array([v if v is not None else 0.0 for v in values], dtype=np.float64)
            left = np.searchsorted(points, x, "left")
            right = np.searchsorted(points, x, "right")
            codes[:] = np.where(right > left, 2 * left + 1, 2 * left)
            codes[~present] = 2 * len(points) + 1
        else:
            index = {c: i for i, c in enumerate(constants)}
            other, missing = len(constants), len(constants) + 1
            for i, v in enumerate(values):
                codes[i] = missing if v is None else index.get(v, other)
        absent = MISSING_NUMBER if numeric and constants else MISSING
        for i, v in enumerate(values):
            representatives.setdefault(int(codes[i]), absent if v is None else v)
        size = int(codes.max()) + 1 if len(codes) else 1
        return _SideColumn(codes, [representatives.get(b) for b in range(size)])

    def _compare_inputs(self, atom: Atom) -> tuple[IntArray, IntArray]:
        left = self._values(self.mentors, atom.field)
        right = self._values(self.mentees, atom.other_field)
        index: dict[Any, int] = {}
        def code(v: Any) -> int:
            return -1 if v is None else index.setdefault(v, len(index))
        return (np.fromiter((code(v) for v in left), np.int64, len(left)),
                np.fromiter((code(v) for v in right), np.int64, len(right)))

    def _overlap_inputs(self, atom: Atom) -> tuple[npt.NDArray[np.uint64],
                                                   npt.NDArray[np.uint64]]:
        by_theme = self.vocabulary.counts_themes(atom.field, atom.other_field)
        sets = [[self.themes(p, name, by_theme) for p in side]
                for side, name in ((self.mentors, atom.field), (self.mentees, atom.other_field))]
        universe = sorted({t for side in sets for s in side for t in s})
        bit = {t: i for i, t in enumerate(universe)}
        words = max(1, (len(universe) + 63) // 64)
        words_of: dict[frozenset[str], list[int]] = {}  # each distinct set's mask, once
        out = []
        for side in sets:
            rows = []
            for themes in side:
                mask = words_of.get(themes)
                if mask is None:
                    mask = words_of[themes] = [0] * words
                    for t in themes:
                        mask[bit[t] // 64] |= 1 << (bit[t] % 64)
                rows.append(mask)
            out.append(np.array(rows, np.uint64).reshape(len(side), words))
        return out[0], out[1]

    # -- components ---------------------------------------------------------------------------
    def _build(self) -> None:
        """Turn every atom into parts, pack the parts into blocks, fix the code's radices."""
        self.columns: dict[str, _SideColumn] = {}
        parts: list[_Part] = []
        self.sparse: list[_Sparse] = []
        self.dense: list[_Dense] = []
        self.differences: list[_DenseDifference] = []
        self.past: list[_PairValues] = []
        n_m, n_e = len(self.mentors), len(self.mentees)
        for atom in self.atoms:
            if atom.kind == "pair":
                self.past.append(self._past_values(atom))
            elif atom.kind in ("side", "contains"):
                people = self.mentors if atom.side in LEFT_SIDES else self.mentees
                column = self._side_column(atom, people)
                self.columns[atom.name] = column
                size = len(column.representatives)
                codes = column.codes
                if atom.side in LEFT_SIDES:
                    parts.append(_Part(atom.name, codes, np.zeros(n_e, np.int64),
                                       np.arange(size, dtype=np.int64)[:, None], size))
                else:
                    parts.append(_Part(atom.name, np.zeros(n_m, np.int64), codes,
                                       np.arange(size, dtype=np.int64)[None, :], size))
            elif atom.kind == "compare":
                parts += self._compare_parts(atom)
            elif atom.kind == "difference":
                parts += self._difference_parts(atom)
            else:
                parts += self._overlap_parts(atom)
        self._pack(parts)

    def _compare_parts(self, atom: Atom) -> list[_Part]:
        left, right = self._compare_inputs(atom)
        distinct = int(max(left.max(initial=-1), right.max(initial=-1))) + 2
        if distinct * distinct <= BLOCK_LIMIT:
            a, b = np.arange(distinct)[:, None], np.arange(distinct)[None, :]
            table = np.where((a == 0) | (b == 0), 2, (a == b).astype(np.int64))
            return [_Part(atom.name, left + 1, right + 1, table.astype(np.int64), 3)]
        # Many distinct values (ids, manager ids): equal pairs are few, so they are listed
        # and the rest of the pairs only need to know whether a value is missing.
        rows_by_value: dict[int, list[int]] = {}
        for i, code in enumerate(left.tolist()):
            if code >= 0:
                rows_by_value.setdefault(code, []).append(i)
        mentor_rows: list[int] = []
        mentee_rows: list[int] = []
        for j, code in enumerate(right.tolist()):
            for i in rows_by_value.get(code, ()) if code >= 0 else ():
                mentor_rows.append(i)
                mentee_rows.append(j)
        order = np.lexsort((np.array(mentee_rows, np.int64), np.array(mentor_rows, np.int64)))
        self.sparse.append(_Sparse(atom.name, np.array(mentor_rows, np.int64)[order],
                                   np.array(mentee_rows, np.int64)[order]))
        missing = np.array([[1, 1], [1, 0]], np.int64)
        return [_Part(atom.name + ".missing", (left >= 0).astype(np.int64),
                      (right >= 0).astype(np.int64), missing, 2)]

    def _number_array(self, people: Sequence[Participant], name: str
                      ) -> npt.NDArray[np.float64]:
        return np.array([np.nan if v is None else float(v) for v in self._values(people, name)],
                        np.float64)

    def difference_points(self, atom: Atom) -> npt.NDArray[np.float64]:
        return np.array(sorted(self._bounds[(atom.field, atom.other_field)]), np.float64)

    def _difference_parts(self, atom: Atom) -> list[_Part]:
        left = self._number_array(self.mentors, atom.other_field)
        right = self._number_array(self.mentees, atom.field)
        points = self.difference_points(atom)
        self.columns[atom.name] = _SideColumn(np.zeros(0, np.int64), _bucket_values(points))
        distinct = []
        for side in (left, right):
            # NaN (missing) sorts last; np.unique keeps one NaN with equal_nan.
            values, inverse = np.unique(side, return_inverse=True, equal_nan=True)
            distinct.append((values, inverse.reshape(-1).astype(np.int64)))
        (lv, li), (rv, ri) = distinct
        if len(lv) * len(rv) > BLOCK_LIMIT:
            self.differences.append(_DenseDifference(atom.name, left, right, points))
            return []
        table = _buckets(points, np.round(rv[None, :] - lv[:, None], 6))
        return [_Part(atom.name, li, ri, table, 2 * len(points) + 2)]

    def _past_default(self, atom: Atom) -> Any:
        value = NO_PAST.value(atom.field)
        return MISSING if value is None else value

    def _past_values(self, atom: Atom) -> _PairValues:
        """The couples of this space with a past, and the code of their value."""
        default = self._past_default(atom)
        representatives: list[Any] = [default]
        code_of: dict[Any, int] = {default: 0}
        rows = {p.id: i for i, p in enumerate(self.mentors)}
        cols = {p.id: j for j, p in enumerate(self.mentees)}
        width = max(1, len(self.mentees))
        listed: dict[int, int] = {}
        for (mentor, mentee), record in self.history.pairs.items():
            if mentor in rows and mentee in cols:
                value = record.value(atom.field)
                value = default if value is None else value
                code = code_of.setdefault(value, len(representatives))
                if code == len(representatives):
                    representatives.append(value)
                if code:
                    listed[rows[mentor] * width + cols[mentee]] = code
        keys = np.array(sorted(listed), np.int64)
        return _PairValues(atom.name, keys, np.array([listed[k] for k in keys.tolist()],
                                                     np.int64), representatives)

    def _past_codes(self, past: _PairValues, mentor_rows: IntArray,
                    mentee_rows: IntArray) -> IntArray:
        """The value codes of aligned pairs (mentor_rows[k], mentee_rows[k])."""
        wanted = mentor_rows * max(1, len(self.mentees)) + mentee_rows
        if not len(past.keys):
            return np.zeros(wanted.shape, np.int64)
        at = np.clip(np.searchsorted(past.keys, wanted), 0, len(past.keys) - 1)
        return np.where(past.keys[at] == wanted, past.codes[at], 0).astype(np.int64)

    def _overlap_parts(self, atom: Atom) -> list[_Part]:
        left, right = self._overlap_inputs(atom)
        ids, masks = [], []
        for side in (left, right):
            distinct, inverse = np.unique(side, axis=0, return_inverse=True)
            ids.append(inverse.reshape(-1).astype(np.int64))
            masks.append(distinct)
        if len(masks[0]) * len(masks[1]) <= BLOCK_LIMIT:
            table = self._overlap_count(atom, masks[0][:, None, :], masks[1][None, :, :])
            return [_Part(atom.name, ids[0], ids[1], table, atom.cap + 1)]
        self.dense.append(_Dense(atom.name, left, right, atom.cap))
        return []

    @staticmethod
    def _overlap_count(atom: Atom, left: Any, right: Any) -> IntArray:
        both = np.bitwise_and(left, right)
        count: IntArray = np.bitwise_count(both).sum(axis=-1, dtype=np.int64)
        return np.minimum(count, atom.cap)

    def _pack(self, parts: list[_Part]) -> None:
        """Group parts into blocks whose mentor-class x mentee-class tables stay small."""
        n_m, n_e = len(self.mentors), len(self.mentees)
        # A block pays off when its table is much smaller than the pairs it serves.
        limit = min(BLOCK_LIMIT, max(64, n_m * n_e // 16))
        parts.sort(key=lambda p: (p.table.shape[0] * p.table.shape[1], p.name))
        groups: list[list[_Part]] = []
        keys: list[tuple[IntArray, IntArray]] = []
        for part in parts:
            if groups:
                u = _classes([*(p.left for p in groups[-1]), part.left], n_m)
                v = _classes([*(p.right for p in groups[-1]), part.right], n_e)
                if _size(u) * _size(v) <= limit:
                    groups[-1].append(part)
                    keys[-1] = (u, v)
                    continue
            groups.append([part])
            keys.append((_classes([part.left], n_m), _classes([part.right], n_e)))
        self.blocks: list[_Block] = []
        for group, (u, v) in zip(groups, keys, strict=True):
            rep_u, rep_v = _representatives(u), _representatives(v)
            combined = np.zeros((len(rep_u), len(rep_v)), np.int64)
            for part in group:
                value = part.table[part.left[rep_u][:, None], part.right[rep_v][None, :]]
                combined = combined * part.radix + value
            distinct, inverse = _dense_ids(combined, math.prod(p.radix for p in group))
            rows = []
            for packed in distinct.tolist():
                values = []
                for part in reversed(group):
                    packed, value = divmod(packed, part.radix)
                    values.append(value)
                rows.append(dict(zip((p.name for p in reversed(group)), values, strict=True)))
            self.blocks.append(_Block(u, v, inverse.reshape(combined.shape).astype(np.int64),
                                      rows))
        radices = [len(b.rows) for b in self.blocks] + [2] * len(self.sparse) + [
            d.cap + 1 for d in self.dense] + [d.radix for d in self.differences] + [
            len(p.representatives) for p in self.past]
        self.multipliers = []
        multiplier = 1
        for radix in radices:
            self.multipliers.append(multiplier)
            multiplier *= radix
        self.radices = radices
        self.code_space = multiplier
        if multiplier >= 1 << 62:
            raise TandemError("the rules read too many independent features for one pair "
                              "code; merge conditions on the same fields with 'in:' or 'any:'")
        self.dtype: type[np.signedinteger[Any]] = np.int32 if multiplier < 1 << 31 else np.int64
        for block, m in zip(self.blocks, self.multipliers, strict=False):
            block.table = (block.table * m).astype(self.dtype)

    # -- codes -------------------------------------------------------------------------------
    def codes(self, mentor_rows: slice | IntArray, mentee_rows: slice | IntArray) -> IntArray:
        """Pair codes for every (mentor, mentee) of the given rows, as a 2-D array."""
        rows = np.arange(len(self.mentors))[mentor_rows]
        cols = np.arange(len(self.mentees))[mentee_rows]
        code = np.zeros((len(rows), len(cols)), self.dtype)
        if self.blocks and code.size >= COMPILED_CELLS and (
                len(self.mentors) * len(self.mentees) >= COMPILED_PAIRS):
            add_block_codes(code, [b.table for b in self.blocks],
                            [b.u[rows] for b in self.blocks], [b.v[cols] for b in self.blocks])
        else:
            for block in self.blocks:
                # Rows of the table first, then columns: two plain gathers beat a 2-D one.
                code += block.table[block.u[rows]][:, block.v[cols]]
        offset = len(self.blocks)
        if self.sparse:
            row_at = np.full(len(self.mentors), -1, np.int64)
            row_at[rows] = np.arange(len(rows))
            col_at = np.full(len(self.mentees), -1, np.int64)
            col_at[cols] = np.arange(len(cols))
        for k, sparse in enumerate(self.sparse):
            r, c = row_at[sparse.mentors], col_at[sparse.mentees]
            hit = (r >= 0) & (c >= 0)
            code[r[hit], c[hit]] += self.multipliers[offset + k]
        offset += len(self.sparse)
        for k, dense in enumerate(self.dense):
            atom = self._atom(dense.name)
            code += (self._overlap_count(atom, dense.left[rows][:, None, :],
                                         dense.right[cols][None, :, :])
                     * self.multipliers[offset + k]).astype(self.dtype)
        offset += len(self.dense)
        for k, diff in enumerate(self.differences):
            bucket = _buckets(diff.points, np.round(diff.right[cols][None, :]
                                                    - diff.left[rows][:, None], 6))
            code += (bucket * self.multipliers[offset + k]).astype(self.dtype)
        offset += len(self.differences)
        if self.past:
            row_at = np.full(len(self.mentors), -1, np.int64)
            row_at[rows] = np.arange(len(rows))
            col_at = np.full(len(self.mentees), -1, np.int64)
            col_at[cols] = np.arange(len(cols))
            width = max(1, len(self.mentees))
        for k, past in enumerate(self.past):
            r, c = row_at[past.keys // width], col_at[past.keys % width]
            hit = (r >= 0) & (c >= 0)
            code[r[hit], c[hit]] += (past.codes[hit] * self.multipliers[
                offset + k]).astype(self.dtype)
        return code

    def pair_codes(self, mentor_rows: IntArray, mentee_rows: IntArray) -> IntArray:
        """Codes of aligned pairs: (mentor_rows[k], mentee_rows[k]) for each k."""
        mentor_rows = np.asarray(mentor_rows, np.int64)
        mentee_rows = np.asarray(mentee_rows, np.int64)
        code = np.zeros(len(mentor_rows), np.int64)
        for block in self.blocks:
            code += block.table[block.u[mentor_rows], block.v[mentee_rows]]
        offset = len(self.blocks)
        width = max(1, len(self.mentees))
        for k, sparse in enumerate(self.sparse):
            listed = sparse.mentors * width + sparse.mentees
            code += np.isin(mentor_rows * width + mentee_rows, listed) * self.multipliers[
                offset + k]
        offset += len(self.sparse)
        for k, dense in enumerate(self.dense):
            atom = self._atom(dense.name)
            code += self._overlap_count(atom, dense.left[mentor_rows], dense.right[mentee_rows]
                                        ) * self.multipliers[offset + k]
        offset += len(self.dense)
        for k, diff in enumerate(self.differences):
            code += _buckets(diff.points, np.round(diff.right[mentee_rows]
                                                   - diff.left[mentor_rows], 6)
                             ) * self.multipliers[offset + k]
        offset += len(self.differences)
        for k, past in enumerate(self.past):
            code += self._past_codes(past, mentor_rows, mentee_rows) * self.multipliers[
                offset + k]
        return code

    def _numeric(self, atom: Atom) -> bool:
        """Whether a side atom is compared with numbers (then a missing value is a number)."""
        constants = self._constants.get((atom.side or "", atom.field), set())
        return bool(constants) and all(isinstance(c, int | float) and not isinstance(c, bool)
                                       for c in constants)

    def _atom(self, name: str) -> Atom:
        return next(a for a in self.atoms if a.name == name)

    def chunks(self) -> Iterator[slice]:
        """Mentor row ranges that keep each chunk of pairs to about CHUNK_CELLS."""
        step = max(1, CHUNK_CELLS // max(1, len(self.mentees)))
        for start in range(0, len(self.mentors), step):
            yield slice(start, min(start + step, len(self.mentors)))

    def distinct_codes(self) -> IntArray:
        """Every code that occurs in the cohort, sorted."""
        found: set[int] = set()
        for rows in self.chunks():
            found.update(np.unique(self.codes(rows, slice(None))).tolist())
        return np.array(sorted(found), np.int64)

    def features(self, code: int) -> dict[str, Any]:
        """What the engine sees for a code: one value per atom."""
        values: dict[str, int] = {}
        rest = int(code)
        components: list[_Block | _Sparse | _Dense | _DenseDifference | _PairValues] = [
            *self.blocks, *self.sparse, *self.dense, *self.differences, *self.past]
        past_values: dict[str, Any] = {}
        for component, radix in zip(components, self.radices, strict=True):
            rest, value = divmod(rest, radix)
            if isinstance(component, _PairValues):
                past_values[component.name] = component.representatives[value]
            elif isinstance(component, _Block):
                values.update(component.rows[value])
            elif isinstance(component, _Sparse):
                values[component.name + ".equal"] = value
            else:
                values[component.name] = value
        out: dict[str, Any] = {}
        for atom in self.atoms:
            if atom.name in past_values:
                out[atom.name] = past_values[atom.name]
            elif atom.name in self.columns:
                out[atom.name] = self.columns[atom.name].representatives[values[atom.name]]
            elif atom.name + ".missing" in values:
                out[atom.name] = 2 if values[atom.name + ".missing"] else values.get(
                    atom.name + ".equal", 0)
            else:
                out[atom.name] = values[atom.name]
        return out

    def pair_features(self, mentor: Participant, mentee: Participant) -> dict[str, Any]:
        """The same features computed directly from one pair's profiles, without classes.

        This is the reference the batched codes are tested against.
        """
        out: dict[str, Any] = {}
        for atom in self.atoms:
            if atom.kind == "pair":
                value = self.history.record(mentor.id, mentee.id).value(atom.field)
                out[atom.name] = self._past_default(atom) if value is None else value
            elif atom.kind in ("side", "contains"):
                person = mentor if atom.side in LEFT_SIDES else mentee
                value = person_value(person, atom.field, self.as_of, self.default_capacity)
                if atom.kind == "contains":
                    out[atom.name] = 1 if value and atom.constant in value else 0
                elif value is None:
                    out[atom.name] = MISSING_NUMBER if self._numeric(atom) else MISSING
                else:
                    out[atom.name] = value
            elif atom.kind == "compare":
                a = person_value(mentor, atom.field, self.as_of, self.default_capacity)
                b = person_value(mentee, atom.other_field, self.as_of, self.default_capacity)
                out[atom.name] = 2 if a is None or b is None else int(a == b)
            elif atom.kind == "difference":
                gap = difference_of(
                    person_value(mentee, atom.field, self.as_of, self.default_capacity),
                    person_value(mentor, atom.other_field, self.as_of, self.default_capacity))
                out[atom.name] = MISSING_NUMBER if gap is None else gap
            else:
                by_theme = self.vocabulary.counts_themes(atom.field, atom.other_field)
                shared = (themes_of(mentor, atom.field, self.vocabulary, by_theme)
                          & themes_of(mentee, atom.other_field, self.vocabulary, by_theme))
                out[atom.name] = len(shared)
        return out
