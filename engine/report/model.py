"""From the log's plain data to the report's sections. Pure: ReportInput in, Report out.

Everything the page shows is decided here; the template only lays it out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.base.canonical import canonical_json
from engine.base.errors import TandemError
from engine.fairness import (
    TOO_SMALL,
    FairnessReport,
    fairness_of_outcomes,
    fairness_of_pairing,
)
from engine.settings.calendar import DueReport

RUN, PAIR, UNPAIRED = "run", "pair", "unpaired"
SEPARATION, REASSIGNMENT, DECISION = "separation", "reassignment", "decision"
APPROVAL, REJECTION, CHECKIN, OUTCOME = "approval", "rejection", "checkin", "outcome"
ERASURE = "erasure"
LIFECYCLE = (SEPARATION, REASSIGNMENT, DECISION, APPROVAL, REJECTION, CHECKIN, OUTCOME, ERASURE)
PAIR_KINDS = (PAIR, REASSIGNMENT)
PLAN, VISIT, UNMET = "my_job_day_run", "my_job_day", "my_job_day_unmet"
# Check-ins the timeline lists one by one; beyond this many in scope, it summarises them by
# month and rating (every one stays in `tandem audit export` and the workbook), so that the
# page of a large program stays readable and its size bounded.
TIMELINE_CHECKINS = 1_000


@dataclass(frozen=True)
class ChainState:
    """The result of verifying the whole chain when the report was made."""

    ok: bool
    entries: int
    head: str
    checked_at: str
    finding_seq: int | None = None
    finding_problem: str | None = None
    finding_message: str | None = None
    # What the chain was checked against outside the database, in one sentence: the
    # witness's heads (and their signatures), or that no witness was given.
    witness: str = "no witness given: a cut or rewritten tail cannot be detected"


@dataclass(frozen=True)
class ReportInput:
    """What the audit package reads for a report (every entry oldest first, parsed)."""

    db: str
    entries: Sequence[Mapping[str, Any]]
    rules_texts: Mapping[str, Mapping[str, str]]
    snapshots: Mapping[str, Mapping[str, Mapping[str, Any]]]
    chain: ChainState
    active_pairs: int
    generated_at: str
    tandem_version: str
    unreadable: Sequence[int] = ()
    runs: Sequence[str] = ()
    since: date | None = None
    results: Sequence[PairOutcome] | None = None
    min_group: int = TOO_SMALL
    # What is due, as `tandem due` lists it, when the program file sets a calendar.
    due: DueReport | None = None


@dataclass(frozen=True)
class PairOutcome:
    """A pair with a known result in an ended cohort (``engine.insights.results``)."""

    mentor: str
    mentee: str
    result: str
    cohort: str


@dataclass(frozen=True)
class Reason:
    rule: str
    title: str
    because: str
    effect: str
    points: str
    evidence: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PairRow:
    seq: int
    kind: str
    mentor: str
    mentor_name: str
    mentee: str
    mentee_name: str
    score: str
    sentence: str
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class UnpairedRow:
    seq: int
    person: str
    name: str
    role: str
    reason: str
    why: str
    detail: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RunSection:
    anchor: str
    seq: int
    run: str
    command: str
    actor: str
    at: str
    tandem_version: str
    rules_digest: str
    rules_text_digest: str
    rules_files: tuple[tuple[str, str], ...] | None
    input_digest: str
    as_of: str
    settings: tuple[tuple[str, str], ...]
    approval: str
    pairs: tuple[PairRow, ...]
    unpaired: tuple[UnpairedRow, ...]
    fairness: FairnessReport | None
    names_erased: int


@dataclass(frozen=True)
class VisitRow:
    seq: int
    visitor: str
    host: str
    day: str
    family: str
    score: str
    sentence: str


@dataclass(frozen=True)
class UnmetRow:
    seq: int
    person: str
    wanted: str
    got: str
    why: str


@dataclass(frozen=True)
class PlanSection:
    """One committed my-job-day plan: its run entry, its visits and the wishes it left unmet."""

    anchor: str
    seq: int
    run: str
    actor: str
    at: str
    as_of: str
    rules_digest: str
    input_digest: str
    visits: tuple[VisitRow, ...]
    unmet: tuple[UnmetRow, ...]


@dataclass(frozen=True)
class TimelineItem:
    seq: int
    at: str
    kind: str
    actor: str
    run: str
    title: str
    details: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CheckinMonth:
    month: str  # YYYY-MM of the entry
    checkins: int
    pairs: int  # distinct pairs with a check-in that month
    mean_rating: str
    low: int  # ratings of 1 or 2


@dataclass(frozen=True)
class CheckinSummary:
    """The check-ins in scope, when too many to list: counts by month and by rating."""

    count: int
    pairs: int
    first_seq: int
    last_seq: int
    months: tuple[CheckinMonth, ...]
    ratings: tuple[tuple[str, int], ...]  # (rating, check-ins), 1 to 5 then any other


@dataclass(frozen=True)
class Glance:
    runs: int
    active_pairs: int
    separations: int
    reassignments: int
    decisions: int
    checkins: int
    outcomes: int
    pairs: int
    unpaired: int  # distinct people left unpaired by at least one run in scope
    fairness_flags: int = 0  # significant disadvantages
    chance_flags: int = 0  # flags under four fifths that could be chance
    plans: int = 0
    visits: int = 0


@dataclass(frozen=True)
class Report:
    db: str
    generated_at: str
    tandem_version: str
    scope: str
    chain: ChainState
    unreadable: tuple[int, ...]
    glance: Glance
    runs: tuple[RunSection, ...]
    timeline: tuple[TimelineItem, ...]
    outcomes: FairnessReport | None
    outcome_count: int
    kinds: Mapping[str, int] = field(default_factory=dict)
    plans: tuple[PlanSection, ...] = ()
    programs: tuple[str, ...] = ()  # the program names the entries record, in order
    min_group: int = TOO_SMALL
    due: DueReport | None = None  # what `tandem due` lists, of the whole log
    # Set when the check-ins in scope are more than TIMELINE_CHECKINS: the timeline then
    # lists every other event, and this summary stands for the check-ins.
    checkins: CheckinSummary | None = None


# -- small formatting helpers -----------------------------------------------------------------

def text(value: Any) -> str:
    """A value as a reviewer reads it: text as is, lists joined, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return canonical_json(value)


def when(at: Any) -> str:
    """``2026-09-01T10:15:30.123456Z`` as ``2026-09-01 10:15:30 UTC``."""
    raw = str(at or "")
    return f"{raw[:10]} {raw[11:19]} UTC" if len(raw) >= 19 else raw


def _points(reason: Mapping[str, Any]) -> str:
    if reason.get("effect", "score") != "score":
        return str(reason.get("effect"))
    points = reason.get("points")
    if isinstance(points, int | float) and not isinstance(points, bool):
        return f"{points:+g}"
    return text(points)


def _pairs_of(items: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), text(v)) for k, v in sorted(items.items()))


def _reasons(doc: Mapping[str, Any]) -> tuple[Reason, ...]:
    out = []
    for r in doc.get("reasons") or []:
        if not isinstance(r, Mapping):
            continue
        found = r.get("evidence")
        evidence: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        out.append(Reason(text(r.get("rule")), text(r.get("title")), text(r.get("because")),
                          text(r.get("effect", "score")), _points(r), _pairs_of(evidence)))
    return tuple(out)


def _score(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return text(value)


# -- runs ---------------------------------------------------------------------------------------

def _select_runs(inp: ReportInput, runs: Sequence[Mapping[str, Any]]
                 ) -> list[Mapping[str, Any]]:
    chosen = list(runs)
    if inp.runs:
        picked: list[Mapping[str, Any]] = []
        for prefix in inp.runs:
            found = [r for r in runs if str(r.get("run", "")).startswith(prefix)]
            if not found:
                known = ", ".join(str(r.get("run")) for r in runs[-5:]) or "none"
                raise TandemError(f"no run of the audit log {inp.db} starts with {prefix!r}; "
                                  f"the latest runs are: {known}. `tandem audit log` lists "
                                  "them all")
            picked.extend(r for r in found if r not in picked)
        chosen = sorted(picked, key=lambda r: int(r.get("seq", 0)))
    if inp.since:
        chosen = [r for r in chosen if str(r.get("at", "")) >= inp.since.isoformat()]
    return chosen


def _approval(run: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> str:
    if run.get("approval") != "required":
        return "not required"
    for doc in entries:
        if doc.get("kind") == APPROVAL and doc.get("approves") == run.get("run"):
            return f"approved by {text(doc.get('actor'))} (entry {doc.get('seq')})"
        if doc.get("kind") == REJECTION and doc.get("rejects") == run.get("run"):
            return (f"rejected by {text(doc.get('actor'))} (entry {doc.get('seq')}): "
                    f"{text(doc.get('reason'))}")
    return "required, not yet given: these pairs are a proposal"


def _name(profiles: Mapping[str, Mapping[str, Any]], pid: str) -> str:
    profile = profiles.get(pid)
    return text(profile.get("name")) if profile else ""


def _run_section(index: int, run: Mapping[str, Any], group: Sequence[Mapping[str, Any]],
                 inp: ReportInput) -> RunSection:
    profiles = inp.snapshots.get(str(run.get("input_digest")), {})
    pairs = tuple(PairRow(int(d["seq"]), str(d["kind"]), text(d.get("mentor")),
                          _name(profiles, str(d.get("mentor"))), text(d.get("mentee")),
                          _name(profiles, str(d.get("mentee"))), _score(d.get("score")),
                          text(d.get("sentence")), _reasons(d))
                  for d in group if d.get("kind") in PAIR_KINDS)
    unpaired = tuple(UnpairedRow(int(d["seq"]), text(d.get("person")),
                                 _name(profiles, str(d.get("person"))), text(d.get("role")),
                                 text(d.get("reason")), text(d.get("why")),
                                 _pairs_of(d.get("detail") or {}))
                     for d in group if d.get("kind") == UNPAIRED)
    files = inp.rules_texts.get(str(run.get("rules_text_digest")))
    fairness = None
    command = text(run.get("command")) or "pair"
    if command == "pair":
        as_of = _date(run.get("as_of"))
        fairness = fairness_of_pairing([d for d in group if d.get("kind") == PAIR],
                                       [d for d in group if d.get("kind") == UNPAIRED],
                                       profiles, as_of, inp.min_group)
    people = {p for row in pairs for p in (row.mentor, row.mentee)} | \
        {row.person for row in unpaired}
    return RunSection(
        anchor=f"run-{index}", seq=int(run.get("seq", 0)), run=text(run.get("run")),
        command=command, actor=text(run.get("actor")), at=when(run.get("at")),
        tandem_version=text(run.get("tandem_version")),
        rules_digest=text(run.get("rules_digest")),
        rules_text_digest=text(run.get("rules_text_digest")),
        rules_files=tuple(sorted(files.items())) if files is not None else None,
        input_digest=text(run.get("input_digest")), as_of=text(run.get("as_of")),
        settings=_pairs_of(run.get("settings") or {}),
        approval=_approval(run, inp.entries), pairs=pairs, unpaired=unpaired,
        fairness=fairness, names_erased=len(people - set(profiles)))


def _date(value: Any) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return date.today()


# -- the lifecycle timeline ----------------------------------------------------------------------

def _couple(doc: Mapping[str, Any]) -> str:
    return f"{text(doc.get('mentor'))} → {text(doc.get('mentee'))}"


def timeline_item(doc: Mapping[str, Any]) -> TimelineItem:
    """One lifecycle entry in plain words: a title and the details that justify it."""
    kind = str(doc.get("kind"))
    details: list[tuple[str, str]] = []
    if kind == SEPARATION:
        title = f"Separation of {_couple(doc)}"
        details = [("category", text(doc.get("category"))), ("reason", text(doc.get("reason"))),
                   ("pair formed at entry", text(doc.get("pair_seq")))]
    elif kind == REASSIGNMENT:
        title = f"Reassignment: {_couple(doc)}, score {_score(doc.get('score'))}"
        details = [("after separations", text([str(s) for s in doc.get("after") or []])),
                   ("sentence", text(doc.get("sentence"))),
                   ("rules", "; ".join(f"{r.rule} ({r.points})" for r in _reasons(doc)))]
    elif kind == DECISION:
        verb = {"force": "Forced pair", "forbid": "Forbidden pair"}.get(
            str(doc.get("decision")), f"Decision {text(doc.get('decision'))}")
        title = f"{verb}: {_couple(doc)}"
        details = [("reason", text(doc.get("reason"))), ("score", _score(doc.get("score"))),
                   ("excluded by", text(doc.get("excluded_by") or []) or "no rule"),
                   ("overrides an exclusion", "yes" if doc.get("override_exclusion") else "no")]
    elif kind == APPROVAL:
        title = f"Approval of run {text(doc.get('approves'))}"
    elif kind == REJECTION:
        title = f"Rejection of run {text(doc.get('rejects'))}"
        details = [("reason", text(doc.get("reason")))]
    elif kind == CHECKIN:
        title = (f"Check-in of {_couple(doc)} by the {text(doc.get('by'))}, rating "
                 f"{text(doc.get('rating'))}/5")
        details = [("on", text(doc.get("on"))), ("note digest", text(doc.get("note_digest")))]
    elif kind == OUTCOME:
        title = f"Outcome of {_couple(doc)}: {text(doc.get('result'))}"
        details = [("note digest", text(doc.get("note_digest")))]
    elif kind == ERASURE:
        rows = doc.get("rows") or {}
        title = f"Erased: the kept data of {text(doc.get('person'))}"
        details = [("reason", text(doc.get("reason"))),
                   ("policy", text((doc.get("policy") or {}).get("ended_before") and
                                   f"last pair ended before {doc['policy']['ended_before']}")),
                   ("rows", ", ".join(f"{len(rows.get(k) or [])} {k}"
                                      for k in ("profiles", "protected", "notes")))]
    else:
        title = kind
    return TimelineItem(int(doc.get("seq", 0)), when(doc.get("at")), kind,
                        text(doc.get("actor")), text(doc.get("run")), title,
                        tuple((k, v) for k, v in details if v))


def _in_scope(doc: Mapping[str, Any], inp: ReportInput, run_ids: set[str],
              people: set[str]) -> bool:
    if inp.since and str(doc.get("at", "")) < inp.since.isoformat():
        return False
    if not inp.runs:
        return True
    named = {str(doc.get(k)) for k in ("mentor", "mentee", "person") if doc.get(k)}
    runs = {str(doc.get(k)) for k in ("run", "approves", "rejects") if doc.get(k)}
    return bool(named & people or runs & run_ids)


def checkin_summary(checkins: Sequence[Mapping[str, Any]]) -> CheckinSummary:
    """Check-in entries counted by month (of the entry) and by rating."""
    months: dict[str, tuple[list[int], set[tuple[Any, Any]]]] = {}
    ratings: dict[str, int] = {}
    everyone: set[tuple[Any, Any]] = set()
    seqs = [int(d.get("seq", 0)) for d in checkins]
    for doc in checkins:
        given, pairs = months.setdefault(str(doc.get("at", ""))[:7], ([], set()))
        couple = (doc.get("mentor"), doc.get("mentee"))
        pairs.add(couple)
        everyone.add(couple)
        rating = doc.get("rating")
        given.append(rating if isinstance(rating, int) and not isinstance(rating, bool) else 0)
        ratings[text(rating)] = ratings.get(text(rating), 0) + 1
    rows = []
    for month, (given, pairs) in sorted(months.items()):
        known = [r for r in given if r]
        rows.append(CheckinMonth(month, len(given), len(pairs),
                                 f"{sum(known) / len(known):.2f}" if known else "",
                                 sum(1 for r in known if r <= 2)))
    order = [str(r) for r in range(1, 6)]
    return CheckinSummary(
        count=len(checkins), pairs=len(everyone), first_seq=min(seqs, default=0),
        last_seq=max(seqs, default=0), months=tuple(rows),
        ratings=tuple((r, ratings[r]) for r in [*order, *sorted(set(ratings) - set(order))]
                      if r in ratings))


# -- the whole report ---------------------------------------------------------------------------

def _plans(inp: ReportInput) -> tuple[PlanSection, ...]:
    """The committed my-job-day plans in scope, each with its visits and unmet wishes."""
    heads = [d for d in inp.entries if d.get("kind") == PLAN]
    if inp.since:
        heads = [d for d in heads if str(d.get("at", "")) >= inp.since.isoformat()]
    if inp.runs:
        heads = [d for d in heads if any(str(d.get("run", "")).startswith(r) for r in inp.runs)]
    members: dict[str, list[Mapping[str, Any]]] = {}
    for doc in inp.entries:
        if doc.get("kind") in (VISIT, UNMET):
            members.setdefault(str(doc.get("run")), []).append(doc)
    plans = []
    for index, head in enumerate(heads, 1):
        own = members.get(str(head.get("run")), [])
        visits = tuple(VisitRow(int(d["seq"]), text(d.get("visitor")), text(d.get("host")),
                                text(d.get("day")), text(d.get("family")),
                                _score(d.get("score")), text(d.get("sentence")))
                       for d in own if d.get("kind") == VISIT)
        unmet = tuple(UnmetRow(int(d["seq"]), text(d.get("person")), text(d.get("wanted")),
                               text(d.get("got")), text(d.get("why")))
                      for d in own if d.get("kind") == UNMET)
        plans.append(PlanSection(
            anchor=f"plan-{index}", seq=int(head.get("seq", 0)), run=text(head.get("run")),
            actor=text(head.get("actor")), at=when(head.get("at")),
            as_of=text(head.get("as_of")), rules_digest=text(head.get("rules_digest")),
            input_digest=text(head.get("input_digest")), visits=visits, unmet=unmet))
    return tuple(plans)


def build_report(inp: ReportInput) -> Report:
    """Arrange the log for a reviewer: the runs chosen (all by default), their lifecycle,
    their fairness figures and, when outcomes exist, the success rate by group."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    runs: list[Mapping[str, Any]] = []
    for doc in inp.entries:
        if doc.get("kind") == RUN:
            runs.append(doc)
        elif doc.get("kind") in (PAIR, UNPAIRED, REASSIGNMENT):
            groups.setdefault(str(doc.get("run")), []).append(doc)
    chosen = _select_runs(inp, runs)
    sections = tuple(_run_section(i, r, groups.get(str(r.get("run")), []), inp)
                     for i, r in enumerate(chosen, 1))
    run_ids = {s.run for s in sections}
    people = {p for s in sections for row in s.pairs for p in (row.mentor, row.mentee)} | \
        {row.person for s in sections for row in s.unpaired}
    lifecycle = [d for d in inp.entries
                 if d.get("kind") in LIFECYCLE and _in_scope(d, inp, run_ids, people)]
    kinds: dict[str, int] = {}
    for d in lifecycle:
        kinds[str(d["kind"])] = kinds.get(str(d["kind"]), 0) + 1
    outcomes = [d for d in lifecycle if d.get("kind") == OUTCOME]
    summary = None
    if kinds.get(CHECKIN, 0) > TIMELINE_CHECKINS:
        summary = checkin_summary([d for d in lifecycle if d.get("kind") == CHECKIN])
        lifecycle = [d for d in lifecycle if d.get("kind") != CHECKIN]
    plans = _plans(inp)
    glance = Glance(runs=len(sections), active_pairs=inp.active_pairs,
                    separations=kinds.get(SEPARATION, 0),
                    reassignments=kinds.get(REASSIGNMENT, 0),
                    decisions=kinds.get(DECISION, 0), checkins=kinds.get(CHECKIN, 0),
                    outcomes=len(outcomes),
                    pairs=sum(1 for s in sections for p in s.pairs if p.kind == PAIR),
                    unpaired=len({row.person for s in sections for row in s.unpaired}),
                    fairness_flags=sum(len(s.fairness.disadvantages) for s in sections
                                       if s.fairness is not None),
                    chance_flags=sum(len(s.fairness.chance_flags) for s in sections
                                     if s.fairness is not None),
                    plans=len(plans), visits=sum(len(p.visits) for p in plans))
    results = _results(inp, outcomes, run_ids)
    return Report(
        db=inp.db, generated_at=inp.generated_at, tandem_version=inp.tandem_version,
        scope=_scope(inp), chain=inp.chain, unreadable=tuple(inp.unreadable), glance=glance,
        runs=sections, timeline=tuple(timeline_item(d) for d in lifecycle),
        outcomes=_outcomes(results, chosen, inp) if results else None,
        outcome_count=len(results), kinds=kinds, plans=plans, min_group=inp.min_group,
        due=inp.due,
        checkins=summary,
        programs=tuple(dict.fromkeys(str(d["program"]) for d in inp.entries
                                     if isinstance(d.get("program"), str))))


def _scope(inp: ReportInput) -> str:
    parts = []
    if inp.runs:
        parts.append("runs starting with " + ", ".join(inp.runs))
    if inp.since:
        parts.append(f"entries recorded on or after {inp.since.isoformat()}")
    return "; ".join(parts) or "the whole log"


def _results(inp: ReportInput, outcomes: Sequence[Mapping[str, Any]], run_ids: set[str]
             ) -> list[Mapping[str, Any]]:
    """The pairs with a known result in scope: by the one definition of a result when the
    audit package gives them (``inp.results``), else the outcome entries."""
    if inp.results is None:
        return list(outcomes)
    whole = not inp.runs and not inp.since
    return [{"mentor": r.mentor, "mentee": r.mentee, "result": r.result}
            for r in inp.results if whole or r.cohort in run_ids]


def _outcomes(outcomes: Sequence[Mapping[str, Any]], runs: Sequence[Mapping[str, Any]],
              inp: ReportInput) -> FairnessReport:
    """Success by group, each person's profile from the latest run whose snapshot has it."""
    profiles: dict[str, Mapping[str, Any]] = {}
    as_of = date.today()
    for run in runs:
        profiles.update(inp.snapshots.get(str(run.get("input_digest")), {}))
        as_of = _date(run.get("as_of"))
    return fairness_of_outcomes(outcomes, profiles, as_of, inp.min_group)
