"""The report's model and page, from hand-made entries that follow the audit-log contract:
what each section holds, the scope options, and hostile data shown as text."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from engine.base.errors import TandemError
from engine.report.html import render_html
from engine.report.model import (
    ChainState,
    PairOutcome,
    ReportInput,
    build_report,
    timeline_item,
)
from tests.report import builders as b

RUN1, RUN2 = "20260901T101530Z-111111", "20261002T101530Z-222222"
REASSIGN = "20261001T090000Z-aaaaaa"
OK = ChainState(ok=True, entries=20, head="20:" + "f" * 64, checked_at="2026-11-30 10:00:00 UTC")


def _run(run, seq, at, **extra):
    return {"kind": "run", "run": run, "at": at, "actor": "hr.jane", "seq": seq,
            "tandem_version": "0.1.0", "rules_digest": "sha256:" + "a" * 64,
            "rules_text_digest": "sha256:" + "d" * 64, "rules_files": ["culture.yaml"],
            "input_digest": f"sha256:{run}", "as_of": "2026-09-01",
            "settings": {"objective": "participation", "min_score": 10}, **extra}


def _pair(run, seq, mentor, mentee, score=40, name=None):
    return {"kind": "pair", "run": run, "at": "x", "actor": "hr.jane", "seq": seq,
            "mentor": mentor, "mentee": mentee, "score": score,
            "sentence": f"{mentor} mentors {mentee}, score {score}.",
            "reasons": [{"rule": "culture/same-job-family", "title": name or "Same job family",
                         "because": "A shared language.", "effect": "score", "points": score,
                         "evidence": {"mentor.job_family": "it", "mentee.job_family": "it"}}]}


def _unpaired(run, seq, person, why="every one is in a pair worth more"):
    return {"kind": "unpaired", "run": run, "at": "x", "actor": "hr.jane", "seq": seq,
            "person": person, "role": "mentee", "reason": "outscored", "why": why,
            "detail": {"eligible": 3}}


def _numbered(docs, start):
    return [{**d, "seq": i} for i, d in enumerate(docs, start)]


def _entries():
    first = [_run(RUN1, 1, "2026-09-01T10:15:30.000000Z", entries=3),
             _pair(RUN1, 2, "M1", "E1"), _pair(RUN1, 3, "M2", "E2"), _unpaired(RUN1, 4, "E3")]
    lifecycle = _numbered([
        b.separation("M1", "E1", 2), _run(REASSIGN, 0, b.AT, command="reassign", entries=1),
        b.reassignment("M1", "E3", [5]), b.decision("force", "M9", "E9"),
        b.decision("forbid", "M2", "E1"), b.checkin("M2", "E2"), b.outcome("M2", "E2")], 5)
    second = [_run(RUN2, 12, "2026-10-02T10:15:30.000000Z", entries=1, approval="required"),
              _pair(RUN2, 13, "M5", "E5"),
              b.rejection(RUN2, at="2026-10-03T08:00:00.000000Z") | {"seq": 14}]
    return first + lifecycle + second


def _input(**kw):
    profiles = {f"sha256:{RUN1}": {p: {"id": p, "name": f"Name {p}", "subsidiary": "Bank",
                                       "job_family": "it", "protected": {"gender": "f"}}
                                   for p in ("M1", "M2", "E1", "E2", "E3")}}
    base = {"db": "sqlite:///t.db", "entries": _entries(),
            "rules_texts": {"sha256:" + "d" * 64: {"culture.yaml": "rules: []\n"}},
            "snapshots": profiles, "chain": OK, "active_pairs": 3,
            "generated_at": "2026-11-30 10:00:00 UTC", "tandem_version": "0.1.0"}
    return ReportInput(**{**base, **kw})


def test_the_glance_counts_runs_pairs_and_each_lifecycle_kind():
    """Three runs (two pairing, one reassign), and one of each lifecycle kind but decisions."""
    g = build_report(_input()).glance
    assert (g.runs, g.pairs, g.unpaired, g.active_pairs) == (3, 3, 1, 3)
    assert (g.separations, g.reassignments, g.decisions, g.checkins, g.outcomes) == \
        (1, 1, 2, 1, 1)
    assert g.fairness_flags == 0


def test_each_run_has_its_rules_pairs_unpaired_and_names_from_the_snapshot():
    """Run 1: its rule text, two pairs with names and evidence, one unpaired with why."""
    run = build_report(_input()).runs[0]
    assert (run.run, run.actor, run.at, run.approval) == (
        RUN1, "hr.jane", "2026-09-01 10:15:30 UTC", "not required")
    assert run.rules_files == (("culture.yaml", "rules: []\n"),)
    assert [(p.mentor, p.mentor_name, p.mentee, p.score) for p in run.pairs] == [
        ("M1", "Name M1", "E1", "40"), ("M2", "Name M2", "E2", "40")]
    assert run.pairs[0].reasons[0].evidence == (("mentee.job_family", "it"),
                                                ("mentor.job_family", "it"))
    assert [(u.person, u.why) for u in run.unpaired] == [
        ("E3", "every one is in a pair worth more")]
    assert run.settings == (("min_score", "10"), ("objective", "participation"))


def test_a_reassign_run_lists_its_reassignments_and_has_no_fairness_figures():
    """A run entry with command reassign groups the reassignments; it is not a selection."""
    run = build_report(_input()).runs[1]
    assert run.command == "reassign" and run.fairness is None
    assert [(p.kind, p.mentor, p.mentee) for p in run.pairs] == [("reassignment", "M1", "E3")]


@pytest.mark.parametrize(("index", "approval"), [
    (0, "not required"),
    (2, "rejected by hr.jane (entry 14): Too many pairs across one team."),
])
def test_approval_state_of_a_run(index, approval):
    """A run that needs approval says whether it was approved or rejected, by whom."""
    assert build_report(_input()).runs[index].approval == approval


def test_an_unanswered_approval_is_a_proposal():
    """Without an approval or rejection entry the pairs are only a proposal."""
    entries = [e for e in _entries() if e["kind"] != "rejection"]
    assert build_report(_input(entries=entries)).runs[2].approval == \
        "required, not yet given: these pairs are a proposal"


def test_the_timeline_says_what_happened_with_actor_and_entry_number():
    """Every lifecycle entry, oldest first, in plain words."""
    items = build_report(_input()).timeline
    assert [(i.seq, i.kind, i.title) for i in items] == [
        (5, "separation", "Separation of M1 → E1"),
        (7, "reassignment", "Reassignment: M1 → E3, score 45"),
        (8, "decision", "Forced pair: M9 → E9"),
        (9, "decision", "Forbidden pair: M2 → E1"),
        (10, "checkin", "Check-in of M2 → E2 by the mentee, rating 4/5"),
        (11, "outcome", "Outcome of M2 → E2: success"),
        (14, "rejection", f"Rejection of run {RUN2}")]
    assert dict(items[0].details) == {"category": "mismatch",
                                      "reason": "They could not find a common rhythm.",
                                      "pair formed at entry": "2"}
    assert dict(items[2].details)["excluded by"] == "learning-style/experimenter-with-theorist"
    assert all(i.actor == "hr.jane" for i in items)


def test_an_unknown_entry_kind_is_shown_by_its_kind():
    """A kind this version does not know still appears, titled by its kind."""
    assert timeline_item({"kind": "my_job_day", "seq": 3}).title == "my_job_day"


def test_run_option_narrows_runs_and_the_events_about_their_people():
    """--run keeps the runs it names and the events about their people or runs."""
    report = build_report(_input(runs=("20261002",)))
    assert [r.run for r in report.runs] == [RUN2]
    assert [i.kind for i in report.timeline] == ["rejection"]
    assert report.scope == "runs starting with 20261002"


def test_since_option_narrows_runs_and_events():
    """--since keeps what was recorded on or after the date."""
    report = build_report(_input(since=date(2026, 10, 2)))
    assert [r.run for r in report.runs] == [RUN2]
    assert [i.kind for i in report.timeline] == ["rejection"]


def test_an_unknown_run_is_refused_with_the_latest_runs():
    """A --run that matches nothing names what exists."""
    with pytest.raises(TandemError) as err:
        build_report(_input(runs=("2025",)))
    assert str(err.value) == (
        "no run of the audit log sqlite:///t.db starts with '2025'; the latest runs are: "
        f"{RUN1}, {REASSIGN}, {RUN2}. `tandem audit log` lists them all")


def test_outcomes_give_success_rates_by_group():
    """The outcome of M2 and E2 counts once for each side, in a group too small to show."""
    report = build_report(_input())
    assert report.outcomes is not None and report.outcome_count == 1
    rows = {(f.role, f.attribute, f.group): f for f in report.outcomes.figures}
    mentee = rows[("mentee", "gender", "f")]
    assert mentee.too_small and (mentee.people, mentee.paired, mentee.rate) == (None,) * 3


def test_outcomes_by_group_use_the_one_definition_of_a_result():
    """Given the pairs' results (a mismatch separation counts; a running cohort does not
    reach them), the outcomes by group count those, not the outcome entries."""
    results = [PairOutcome(f"M{i}", f"E{i}", "failure", RUN1) for i in range(6)]
    people = {p: {"id": p, "subsidiary": "Bank", "job_family": "it",
                  "protected": {"gender": "f"}} for i in range(6) for p in (f"M{i}", f"E{i}")}
    report = build_report(_input(results=results, snapshots={f"sha256:{RUN1}": people}))
    assert report.outcome_count == 6
    rows = {(f.role, f.attribute, f.group): f for f in report.outcomes.figures}
    assert (rows[("mentor", "gender", "f")].people,
            rows[("mentor", "gender", "f")].paired) == (6, 0)


def test_erased_profiles_are_named_in_the_fairness_figures():
    """A run whose snapshot was erased is counted without those people, who are named."""
    run = build_report(_input(snapshots={})).runs[0]
    assert run.fairness is not None
    assert run.fairness.erased == ("E1", "E2", "E3", "M1", "M2")
    assert run.names_erased == 5


# -- the page
class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("href", "src", "action", "xlink:href",
                                                         "srcset", "poster", "data")]


HOSTILE = '<script>alert(1)</script>"\'><img src=x onerror=alert(2)> javascript:alert(3)'


def _hostile_input():
    entries = _entries()
    entries[1] = _pair(RUN1, 2, "M1", "E1", name=HOSTILE)
    entries[3] = _unpaired(RUN1, 4, "E3", why=HOSTILE)
    snap = {p: {"id": p, "name": HOSTILE, "protected": {"gender": HOSTILE}}
            for p in ("M1", "E1", "E3")}
    return _input(entries=entries, snapshots={f"sha256:{RUN1}": snap},
                  rules_texts={"sha256:" + "d" * 64: {"x.yaml": HOSTILE}})


def test_hostile_text_is_escaped_and_no_tag_comes_from_the_data():
    """Names, reasons, why and rule texts with HTML, quotes and javascript: URLs are text."""
    page = render_html(build_report(_hostile_input()))
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    parser = _Links()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert all(url.startswith("#") for url in parser.urls), parser.urls


def test_the_page_names_no_external_address_and_forbids_every_request():
    """Only in-page links, no web address, no CSS url() or @import; a Content-Security-Policy
    with default-src 'none'."""
    page = render_html(build_report(_input()))
    parser = _Links()
    parser.feed(page)
    assert parser.urls and all(url.startswith("#") for url in parser.urls)
    assert not re.search(r"(https?|ftp|wss?)://|url\(|@import", page, re.IGNORECASE)
    assert "default-src 'none'" in page


def test_a_broken_chain_is_the_first_thing_on_the_page():
    """The warning box, naming the first bad entry, comes before anything else in the body."""
    broken = ChainState(ok=False, entries=3, head="3:" + "e" * 64, checked_at="now",
                        finding_seq=4, finding_problem="content",
                        finding_message="entry 4's content hashes to x, not to y")
    page = render_html(build_report(_input(chain=broken)))
    body = page.split("<body>", 1)[1].lstrip()
    assert body.startswith('<div class="warning" id="chain-warning" role="alert">')
    assert "The audit log is broken at entry 4 (content)." in body[:400]


def test_the_templates_live_inside_the_engine_package():
    """The report's template is package data of `engine`, so an installed wheel has it."""
    from engine.base.resources import templates_dir

    engine_dir = Path(__file__).resolve().parents[2] / "engine"
    assert templates_dir().resolve().is_relative_to(engine_dir.resolve())
    assert (templates_dir() / "report.html.j2").is_file()
