"""A stateful property test: random sequences of lifecycle commands, on SQLite and PostgreSQL,
checked after every step against a small model kept by the test.

The commands go through the command layer (`audit.program`, `audit.commit`,
`audit.followup`), with the rules and a small cohort read once. After every step: the
state that `status` prints, the pair status `explain` states, the last entry of a
person's `history`, the export and the report's model (`gather_report`: each run's pairs,
unpaired people and approval, the glance's counts of distinct people, the my-job-day plans)
agree with the model; no mentor is over capacity, no mentee in two active or proposed
pairs, nobody withdrawn in one; `verify` passes.

Default: a few sequences, for CI. TANDEM_LONG=1 runs 500 sequences per database, and
prints a line to stderr as each sequence ends (`pytest -s` shows the progress).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from audit.commit import CommitInput, commit_run
from audit.explain import program_view
from audit.export import export
from audit.followup import record_checkins, record_correction, record_outcome
from audit.log.errors import AuditError
from audit.log.verify import verify
from audit.myjobdays import commit_plan, in_program
from audit.program import approve, decide, reject, rejoin, separate, withdraw
from audit.report import gather_report
from audit.review import history, status
from audit.state import derive_state
from engine.base.resources import rules_dir
from engine.evaluation.inputs import load_inputs, profiles_for_monitoring
from engine.followup.facts import Checkin, Outcome
from engine.myjobdays.plan import plan_my_job_days, plan_profiles
from engine.pairing.pipeline import pair_cohort
from engine.program.refusals import RefusedError
from tests.audit.conftest import PG_DEFAULT
from tests.helpers.identity import reviewer
from tests.program.conftest import example_people

LONG = bool(os.environ.get("TANDEM_LONG"))
MENTORS = {"M01": 2, "M02": 1, "M05": 1}
MENTEES = ("E05", "E07", "E10", "E22", "E24")
PEOPLE = (*MENTORS, *MENTEES)
COUPLES = [(m, e) for m in MENTORS for e in MENTEES]
CATEGORIES = ("mismatch", "availability", "left-company", "conflict", "completed", "other")
RESULTS = ("success", "partial", "failure")
FOLDER = Path(tempfile.mkdtemp(prefix="tandem-machine-"))


def _inputs(approval: bool):
    """The small cohort and the rules (approval required or not), read once."""
    people = {p["id"]: p for p in example_people()}
    chosen = []
    for pid in PEOPLE:
        person = {**people[pid]}
        person.pop("manager_id", None)
        if pid in MENTORS:
            person["capacity"] = MENTORS[pid]
        chosen.append(person)
    path = FOLDER / "cohort.json"
    path.write_text(json.dumps({"program": {"as_of": "2026-09-01"}, "participants": chosen}),
                    "utf-8")
    rules = FOLDER / f"rules-{approval}"
    if not rules.exists():
        shutil.copytree(rules_dir(), rules)
        if approval:
            settings_file = rules / "settings.yaml"
            settings_file.write_text(settings_file.read_text("utf-8")
                                     + "  approval: required\n", "utf-8")
    cohort, loaded, _ = load_inputs(path, rules)
    return path, cohort, loaded


INPUTS = {flag: _inputs(flag) for flag in (False, True)}


@dataclass
class Run:
    """A committed pairing or reassignment run, as the model expects the report to show it."""

    run: str
    command: str
    pairs: set[tuple[str, str]]
    unpaired: set[str]  # the people of the cohort the run did not pair
    verdict: str = ""  # "approved" or "rejected", once given


@dataclass
class Model:
    """What the program should be, kept by the test alone."""

    active: set[tuple[str, str]] = field(default_factory=set)
    pending: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    withdrawn: set[str] = field(default_factory=set)
    forbidden: set[tuple[str, str]] = field(default_factory=set)
    separated: set[tuple[str, str]] = field(default_factory=set)
    ended: set[tuple[str, str]] = field(default_factory=set)
    formed: dict[tuple[str, str], str | None] = field(default_factory=dict)  # -> its outcome
    results: dict[tuple[str, str], str] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)
    runs: list[Run] = field(default_factory=list)
    plans: list[set[str]] = field(default_factory=list)  # who may visit or host in each
    counts: dict[str, int] = field(default_factory=dict)  # entries by kind, as written
    # The check-ins recorded (pair, day, rating; by either side): the same one again is a
    # duplicate, refused.
    checkins: set[tuple[str, str, str, int]] = field(default_factory=set)

    def count(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n

    def load(self, person: str) -> int:
        held = [*self.active, *(c for p in self.pending.values() for c in p)]
        return sum(person in c for c in held)

    def free_place(self, person: str) -> bool:
        cap = MENTORS.get(person, 1)
        return person not in self.withdrawn and self.load(person) < cap

    def form(self, couple: tuple[str, str]) -> None:
        self.active.add(couple)
        self.ended.discard(couple)
        self.formed[couple] = None

    def end(self, couple: tuple[str, str]) -> None:
        self.active.discard(couple)
        self.ended.add(couple)

    def separate(self, couple: tuple[str, str]) -> None:
        self.end(couple)
        self.separated.add(couple)
        self.count("separation")

    def status(self, couple: tuple[str, str]) -> str:
        if couple in self.active:
            return "active"
        if any(couple in p for p in self.pending.values()):
            return "proposed"
        if couple in self.forbidden:
            return "forbidden"
        return "ended" if couple in self.ended else "never"


class OneTruth(RuleBasedStateMachine):
    """Commands in any order; the program keeps one truth."""

    backend = "sqlite"
    finished = 0  # sequences run to their end, for the long profile's progress

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        self.url = ""
        self.cleanup: list[str] = []
        self.touched: list[tuple[str, str]] = []
        self.person: str | None = None  # the person the last step wrote about

    @initialize(approval=st.booleans())
    def start(self, approval: bool) -> None:
        self.approval = approval
        self.path, self.cohort, self.rules = INPUTS[approval]
        if self.backend == "sqlite":
            self.url = f"sqlite:///{FOLDER / uuid.uuid4().hex}.db"
        else:
            server = os.environ.get("TANDEM_TEST_PG") or PG_DEFAULT
            schema = f"tandem_machine_{uuid.uuid4().hex[:12]}"
            admin = create_engine(server)
            with admin.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            admin.dispose()
            self.cleanup.append(schema)
            self.server = server
            self.url = make_url(server).update_query_dict(
                {"options": f"-csearch_path={schema} -csynchronous_commit=off"}
            ).render_as_string(hide_password=False)
        self._run(None)  # a first run, so that the log and the kept profiles exist

    def teardown(self) -> None:
        if LONG:  # progress of a long run: one line per sequence (pytest -s shows it)
            OneTruth.finished += 1
            print(f"one-truth {self.backend}: sequence {OneTruth.finished} done, "
                  f"{len(self.model.runs)} runs, {sum(self.model.counts.values())} "
                  "entries counted", file=sys.stderr, flush=True)
        if self.cleanup:
            admin = create_engine(self.server)
            with admin.begin() as conn:
                for schema in self.cleanup:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
        elif self.url:
            Path(self.url.removeprefix("sqlite:///")).unlink(missing_ok=True)

    # -- the steps --------------------------------------------------------------------------

    def _run(self, command: str | None) -> None:
        def compute(state):
            return CommitInput(pair_cohort(self.cohort, self.rules, standing=state.standing()),
                               self.rules.files_of("pairing"),
                               profiles_for_monitoring(self.cohort))

        receipt = commit_run(self.url, "hr.jane", compute, command=command)
        self.model.known.update(PEOPLE)
        made = {(p["mentor"], p["mentee"]) for p in receipt.result["pairs"]}
        for mentor, mentee in made:  # every pair the engine made is one the model allows
            assert self.model.free_place(mentor) and self.model.free_place(mentee)
            assert (mentor, mentee) not in self.model.forbidden | self.model.separated
            self.model.active.add((mentor, mentee))  # held while the others are checked
        self.model.active -= made
        if receipt.proposal:
            self.model.pending[receipt.run_id] = made
        else:
            for couple in made:
                self.model.form(couple)
        self.model.runs.append(Run(receipt.run_id, command or "pair", made,
                                   set(PEOPLE) - {p for c in made for p in c}))
        self.model.count("reassignment" if command == "reassign" else "pair", len(made))
        self.touched, self.person = sorted(made), None

    @rule()
    def pair(self) -> None:
        self._run(None)

    @rule()
    def reassign(self) -> None:
        self._run("reassign")

    @rule(couple=st.sampled_from(COUPLES), category=st.sampled_from(CATEGORIES[:2]))
    def separate(self, couple: tuple[str, str], category: str) -> None:
        expect = couple in self.model.active
        self._attempt(expect, lambda: separate(
            self.url, "hr.jane", mentor=couple[0], mentee=couple[1], reason="stalled",
            category=category, categories=CATEGORIES, commit=True))
        if expect:
            self.model.separate(couple)
        self.touched, self.person = [couple], couple[1] if expect else None

    @rule(couple=st.sampled_from(COUPLES), leaving=st.integers(0, 1))
    def left_company(self, couple: tuple[str, str], leaving: int) -> None:
        who = couple[leaving]
        expect = (couple in self.model.active and who not in self.model.withdrawn
                  and not any(who in c for p in self.model.pending.values() for c in p))
        self._attempt(expect, lambda: separate(
            self.url, "hr.jane", mentor=couple[0], mentee=couple[1], reason="left",
            category="left-company", categories=CATEGORIES, commit=True, leaving=who))
        if expect:
            self._withdraw(who)
        self.touched, self.person = [couple], who if expect else None

    def _withdraw(self, who: str) -> None:
        for couple in sorted(self.model.active):
            if who in couple:
                self.model.separate(couple)
        self.model.withdrawn.add(who)

    @rule(person=st.sampled_from(PEOPLE))
    def withdraw(self, person: str) -> None:
        expect = (person in self.model.known and person not in self.model.withdrawn
                  and not any(person in c for p in self.model.pending.values() for c in p))
        self._attempt(expect, lambda: withdraw(self.url, "hr.jane", person=person,
                                               reason="leaves", commit=True))
        if expect:
            self._withdraw(person)
        self.touched, self.person = [], person if expect else None

    @rule(person=st.sampled_from(PEOPLE))
    def rejoin(self, person: str) -> None:
        expect = person in self.model.withdrawn
        self._attempt(expect, lambda: rejoin(self.url, "hr.jane", person=person,
                                             reason="back", commit=True))
        self.model.withdrawn.discard(person)
        self.touched, self.person = [], person if expect else None

    @rule(couple=st.sampled_from(COUPLES))
    def force(self, couple: tuple[str, str]) -> None:
        mentor, mentee = couple
        expect = (couple not in self.model.active and self.model.free_place(mentor)
                  and self.model.free_place(mentee))
        recorded = self._attempt(expect, lambda: decide(
            self.url, "hr.jane", self.cohort, self.rules, choice="force", mentor=mentor,
            mentee=mentee, reason="asked", override_exclusion=True, commit=True))
        if recorded is not None:
            self.model.count("decision")
            if self.approval:
                self.model.pending[recorded.run_id] = {couple}
            else:
                self.model.form(couple)
        self.touched, self.person = [couple], mentee if expect else None

    @rule(couple=st.sampled_from(COUPLES), separate_it=st.booleans())
    def forbid(self, couple: tuple[str, str], separate_it: bool) -> None:
        active = couple in self.model.active
        expect = couple not in self.model.forbidden and (separate_it or not active)
        self._attempt(expect, lambda: decide(
            self.url, "hr.jane", self.cohort, self.rules, choice="forbid", mentor=couple[0],
            mentee=couple[1], reason="conflict", override_exclusion=False, commit=True,
            separate=separate_it, categories=CATEGORIES))
        if expect:
            if active:
                self.model.separate(couple)
            self.model.forbidden.add(couple)
            self.model.count("decision")
        self.touched, self.person = [couple], couple[1] if expect else None

    @precondition(lambda self: bool(self.model.pending))
    @rule(data=st.data())
    def approve(self, data: st.DataObject) -> None:
        run = data.draw(st.sampled_from(sorted(self.model.pending)))
        url, env = reviewer(self.url)
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            approve(url, "hr.paul", run)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        for couple in self.model.pending.pop(run):
            self.model.form(couple)
        self._verdict(run, "approved")
        self.touched, self.person = [], None

    @precondition(lambda self: bool(self.model.pending))
    @rule(data=st.data())
    def self_approval_is_refused(self, data: st.DataObject) -> None:
        run = data.draw(st.sampled_from(sorted(self.model.pending)))
        self._attempt(False, lambda: approve(self.url, "hr.paul", run))

    @precondition(lambda self: bool(self.model.pending))
    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        run = data.draw(st.sampled_from(sorted(self.model.pending)))
        reject(self.url, "hr.paul", run, "wrong file")
        self.model.pending.pop(run)
        self._verdict(run, "rejected")
        self.touched, self.person = [], None

    def _verdict(self, run: str, verdict: str) -> None:
        for made in self.model.runs:
            if made.run == run:
                made.verdict = verdict

    @rule()
    def plan_my_job_days(self) -> None:
        """A my-job-day plan, committed as `tandem myjobdays --commit` does: the withdrawn
        are left out."""
        cohort, _ = in_program(self.cohort, self.url)
        result = plan_my_job_days(cohort, self.rules)
        commit_plan(self.url, "hr.jane", result, self.rules.files_of("my_job_days"),
                    plan_profiles(cohort))
        self.model.plans.append(set(PEOPLE) - self.model.withdrawn)
        self.touched, self.person = [], None

    @rule(couple=st.sampled_from(COUPLES), rating=st.integers(1, 5))
    def checkin(self, couple: tuple[str, str], rating: int) -> None:
        key = (*couple, date.today().isoformat(), rating)
        expect = couple in self.model.active and key not in self.model.checkins
        self._attempt(expect, lambda: record_checkins(
            self.url, "hr.jane", [Checkin(couple[0], couple[1], rating)]))
        if expect:
            self.model.count("checkin")
            self.model.checkins.add(key)
        self.touched, self.person = [couple], couple[1] if expect else None

    @rule(couple=st.sampled_from(COUPLES), result=st.sampled_from(RESULTS))
    def outcome(self, couple: tuple[str, str], result: str) -> None:
        expect = couple in self.model.formed and self.model.formed[couple] is None
        self._attempt(expect, lambda: record_outcome(
            self.url, "hr.jane", Outcome(couple[0], couple[1], result)))  # type: ignore[arg-type]
        if expect:
            self.model.formed[couple] = self.model.results[couple] = result
            self.model.count("outcome")
            if couple in self.model.active:
                self.model.end(couple)
        self.touched, self.person = [couple], couple[1] if expect else None

    @rule(couple=st.sampled_from(COUPLES), result=st.sampled_from(RESULTS))
    def correct(self, couple: tuple[str, str], result: str) -> None:
        current = self.model.formed.get(couple)
        expect = current is not None and current != result
        self._attempt(expect, lambda: record_correction(
            self.url, "hr.jane", Outcome(couple[0], couple[1], result),  # type: ignore[arg-type]
            "typed in the wrong row"))
        if expect:
            self.model.formed[couple] = self.model.results[couple] = result
        self.touched, self.person = [couple], couple[1] if expect else None

    def _attempt(self, expect: bool, call):
        """Run a write the model expects to succeed, or to be refused with nothing written."""
        before = status(self.url)
        try:
            done = call()
        except (RefusedError, AuditError) as refusal:
            assert not expect, f"refused, the model expected success: {refusal}"
            assert status(self.url) == before
            return None
        assert expect, "succeeded, the model expected a refusal"
        return done

    # -- the one truth ----------------------------------------------------------------------

    @invariant()
    def everything_agrees(self) -> None:
        if not self.url:
            return
        state = status(self.url)
        model = self.model
        assert {(p.mentor, p.mentee) for p in state.active} == model.active
        assert {p.run: {(x.mentor, x.mentee) for x in p.pairs} for p in state.pending} == (
            model.pending)
        assert set(state.withdrawn) == model.withdrawn
        assert set(state.forbidden()) == model.forbidden
        assert {k: o.result for k, o in state.outcomes.items()} == model.results
        load = state.load()
        for person in PEOPLE:
            assert load.get(person, 0) <= MENTORS.get(person, 1), person
            if person in model.withdrawn:
                assert load.get(person, 0) == 0, person
        for couple in self.touched[:2]:  # `explain`: the pair's status in the program
            view = program_view(self.url, *couple, MENTORS)
            assert view is not None and view["status"] == model.status(couple), couple
        report = verify(self.url)
        assert report.ok, report
        if self.person is not None:  # `history`: the step's entry ends the person's timeline
            assert history(self.url, self.person)[-1].seq == report.entries
        out = io.StringIO()
        assert export(self.url, "jsonl", out) == report.entries  # the export: every entry,
        lines = [json.loads(line) for line in out.getvalue().splitlines()]
        exported = derive_state([{**x["entry"], "seq": x["seq"]} for x in lines
                                 if x["type"] == "entry"])
        assert {(p.mentor, p.mentee) for p in exported.active} == model.active  # same truth
        assert set(exported.withdrawn) == model.withdrawn
        self._the_report_agrees(report.entries)

    def _the_report_agrees(self, entries: int) -> None:
        """The report's model: each run's pairs, unpaired people and approval, the glance's
        counts (people counted once), and the my-job-day plans without the withdrawn."""
        made = gather_report(self.url)
        model = self.model
        assert made.chain.ok and made.chain.entries == entries
        assert [(r.run, r.command, {(p.mentor, p.mentee) for p in r.pairs},
                 {u.person for u in r.unpaired}) for r in made.runs] == [
            (r.run, r.command, r.pairs, r.unpaired) for r in model.runs]
        for shown, run in zip(made.runs, model.runs, strict=True):
            expected = ("not required" if not self.approval else
                        {"approved": "approved by hr.paul", "rejected": "rejected by hr.paul",
                         "": "required, not yet given"}[run.verdict])
            assert shown.approval.startswith(expected), (shown.approval, expected)
        glance = made.glance
        counts = model.counts
        assert (glance.runs, glance.active_pairs, glance.pairs, glance.unpaired) == (
            len(model.runs), len(model.active), counts.get("pair", 0),
            len(set().union(*(r.unpaired for r in model.runs))))
        assert (glance.separations, glance.reassignments, glance.decisions, glance.checkins,
                glance.outcomes) == tuple(counts.get(k, 0) for k in (
                    "separation", "reassignment", "decision", "checkin", "outcome"))
        assert (glance.plans, len(made.plans)) == (len(model.plans), len(model.plans))
        for plan, allowed in zip(made.plans, model.plans, strict=True):
            shown = {p for v in plan.visits for p in (v.visitor, v.host)} | {
                u.person for u in plan.unmet}
            assert shown <= allowed, (shown - allowed)
        assert glance.visits == sum(len(p.visits) for p in made.plans)


PROFILE = settings(max_examples=500 if LONG else 4, stateful_step_count=8,
                   deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_every_command_reads_one_truth(backend, request):
    """Random commits, separations, withdrawals, forces, forbids, approvals, rejections,
    check-ins, outcomes, corrections and my-job-day plans keep status, explain, history,
    the export, the report's model and the test's model in agreement, with no
    over-capacity, double pair or withdrawn person paired."""
    if backend == "postgres":
        request.getfixturevalue("pg_server")  # skips (or fails in CI) without PostgreSQL
    machine = type(f"OneTruth_{backend}", (OneTruth,), {"backend": backend})
    machine.TestCase.settings = PROFILE
    machine.TestCase().runTest()


def test_the_same_checkin_twice_on_a_day_is_a_refused_duplicate():
    """Found by the long profile: a second identical check-in of an active pair (same day,
    side and rating) is refused as a duplicate, and the model expects it."""
    machine = type("OneTruth_sqlite", (OneTruth,), {"backend": "sqlite"})()
    try:
        machine.start(approval=False)
        machine.pair()
        assert ("M01", "E07") in machine.model.active
        machine.checkin(couple=("M01", "E07"), rating=2)
        machine.everything_agrees()
        machine.checkin(couple=("M01", "E07"), rating=2)  # refused: nothing written
        machine.everything_agrees()
        machine.checkin(couple=("M01", "E07"), rating=3)
        machine.everything_agrees()
        assert machine.model.counts["checkin"] == 2
    finally:
        machine.teardown()


def test_a_forced_pair_waiting_for_approval_takes_no_outcome_nor_checkin():
    """Found by the long profile: under `approval: required` a forced pair is a proposal;
    an outcome or a check-in of it is refused until another person approves it."""
    from audit.program import reject

    machine = type("OneTruth_sqlite", (OneTruth,), {"backend": "sqlite"})()
    try:
        machine.start(approval=True)
        first = sorted(machine.model.pending)[0]
        reject(machine.url, "hr.paul", first, "wrong file")
        machine.model.pending.pop(first)
        machine._verdict(first, "rejected")
        machine.force(couple=("M01", "E05"))
        assert machine.model.pending and ("M01", "E05") not in machine.model.active
        machine.outcome(couple=("M01", "E05"), result="success")  # refused: nothing written
        machine.checkin(couple=("M01", "E05"), rating=4)  # refused: nothing written
        machine.everything_agrees()
        assert "outcome" not in machine.model.counts and "checkin" not in machine.model.counts
    finally:
        machine.teardown()
