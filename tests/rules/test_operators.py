"""Every condition operator and effect, from the YAML an admin writes to the rule firing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.base.resources import rules_dir
from engine.pairing.pipeline import explain_pair
from engine.rules.ruleset import load_rules
from tests.pairing.factories import cohort, person

MENTOR = person("M1", "mentor", learning_style="activist", job_family="finance",
                department="Finance", subsidiary="Bank", hire_date=date(2024, 9, 1),
                intentions=("contribute-to-a-project", "career-progression"),
                topics=("ai", "data"), capacity=2, manager_id="E9")
MENTEE = person("E1", "mentee", learning_style="theorist", job_family="finance",
                department="Digital", subsidiary="Bank", hire_date=date(2006, 9, 1),
                intentions=("find-digital-profiles-for-projects",), topics=("data",),
                manager_id="M1")
OTHER = person("E9", "mentee")


THEMED_TOPIC = ("    data: Data literacy, dashboards and analytics.\n",
                "    data: {description: Data literacy., themes: [projects]}\n")


def fires(tmp_path: Path, when: str, then: str = "{score: 7}") -> bool:
    """Whether a one-rule rule set fires on the M1-E1 pair.

    The vocabulary is the bundled one, with the topic `data` serving the theme `projects`
    instead of its own.
    """
    directory = tmp_path / "rules"
    directory.mkdir(exist_ok=True)
    vocabulary = (rules_dir() / "vocabulary.yaml").read_text("utf-8")
    assert THEMED_TOPIC[0] in vocabulary
    (directory / "vocabulary.yaml").write_text(vocabulary.replace(*THEMED_TOPIC), "utf-8")
    (directory / "one.yaml").write_text(
        "ruleset: pairing\nsettings: {min_score: -1000}\nrules:\n"
        f"  - id: t/one\n    title: T\n    because: B\n    when: {when}\n    then: {then}\n")
    report = explain_pair(cohort(MENTOR, MENTEE, OTHER), load_rules(directory), "M1", "E1")
    return bool(report["reasons"])


CASES = [
    # -- equality and lists of values -------------------------------------------------------
    ("{mentor.learning_style: activist}", True),
    ("{mentor.learning_style: reflector}", False),
    ("{mentee.learning_style: {in: [theorist, reflector]}}", True),
    ("{mentee.learning_style: {in: [activist]}}", False),
    ("{mentee.learning_style: {not_in: [activist, pragmatist]}}", True),
    ("{mentee.learning_style: {not_in: [theorist]}}", False),
    ("{mentee.manager_id: M1}", True),
    ("{mentor.manager_id: {not_in: [E1]}}", True),
    # -- numbers: tenure (derived, as of 2026-09-01) and capacity ----------------------------
    ("{mentor.tenure_years: {at_most: 2}}", True),
    ("{mentor.tenure_years: {at_most: 1.99}}", False),
    ("{mentee.tenure_years: {at_least: 20}}", True),
    ("{mentee.tenure_years: {at_least: 20.01}}", False),
    ("{mentor.capacity: 2}", True),
    ("{mentor.capacity: {at_least: 3}}", False),
    # -- list membership ----------------------------------------------------------------------
    ("{mentor.topics: {contains: ai}}", True),
    ("{mentee.topics: {contains: ai}}", False),
    ("{mentor.intentions: {contains: career-progression}}", True),
    # -- comparisons between the two sides ------------------------------------------------
    ("{same: job_family}", True),
    ("{same: department}", False),
    ("{different: department}", True),
    ("{different: subsidiary}", False),
    ("{same: {mentor: id, mentee: manager_id}}", True),
    ("{same: {mentor: manager_id, mentee: id}}", False),
    ("{same: email}", False),  # both missing: not the same
    ("{different: email}", False),  # both missing: not different either
    # -- overlap of themes (intentions map to themes; topics are their own themes) ----------
    ("{overlap: {field: intentions, at_least: 1}}", True),  # theme 'projects'
    ("{overlap: {field: intentions, at_least: 2}}", False),
    ("{overlap: {field: intentions, at_most: 0}}", False),
    ("{overlap: {field: topics, at_least: 1, at_most: 1}}", True),
    ("{overlap: {field: topics, at_least: 2}}", False),
    # -- overlap across two fields, through themes: mentor topics ai, data (themes ai and
    # -- projects); mentee intentions serve projects, digital-talent ------------------------
    ("{overlap: {mentor: topics, mentee: intentions, at_least: 1}}", True),  # projects
    ("{overlap: {mentor: topics, mentee: intentions, at_least: 2}}", False),
    ("{overlap: {mentor: topics, mentee: intentions, at_most: 0}}", False),
    ("{overlap: {mentor: intentions, mentee: topics, at_least: 1}}", True),  # projects
    ("{overlap: {mentor: intentions, mentee: topics, at_least: 1, at_most: 1}}", True),
    ("{not: {overlap: {mentor: topics, mentee: intentions, at_least: 1}}}", False),
    # -- differences: the mentee's value minus the mentor's (20 - 2 = 18 years) -------------
    ("{difference: {mentee: tenure_years, mentor: tenure_years, at_least: 10}}", True),
    ("{difference: {mentee: tenure_years, mentor: tenure_years, at_least: 18}}", True),
    ("{difference: {mentee: tenure_years, mentor: tenure_years, at_least: 18.01}}", False),
    ("{difference: {mentee: tenure_years, mentor: tenure_years, at_most: 18}}", True),
    ("{difference: {mentee: tenure_years, mentor: tenure_years, at_most: 17.99}}", False),
    ("{difference: {mentee: tenure_years, mentor: tenure_years, at_least: 5, at_most: 17}}",
     False),
    ("{difference: {mentee: tenure_years, mentor: capacity, at_least: 18}}", True),  # 20 - 2
    ("{not: {difference: {mentee: tenure_years, mentor: tenure_years, at_most: -1}}}", True),
    # -- combinations -----------------------------------------------------------------------
    ("{all: [{same: job_family}, {mentor.learning_style: activist}]}", True),
    ("{all: [{same: job_family}, {same: department}]}", False),
    ("{any: [{same: department}, {same: subsidiary}]}", True),
    ("{any: [{same: department}, {mentor.learning_style: theorist}]}", False),
    ("{not: {same: department}}", True),
    ("{not: {same: job_family}}", False),
    ("{not: {any: [{same: department}, {mentee.tenure_years: {at_least: 30}}]}}", True),
    ("{not: {all: [{same: job_family}, {mentee.topics: {contains: data}}]}}", False),
]


@pytest.mark.parametrize(("when", "expected"), CASES, ids=[c[0] for c in CASES])
def test_condition_fires_exactly_when_it_holds(tmp_path: Path, when: str, expected: bool
                                               ) -> None:
    """Each operator, on a known pair, fires or not as its definition says."""
    assert fires(tmp_path, when) is expected


def test_score_effect_adds_points_and_may_be_negative(tmp_path: Path) -> None:
    """{score: N} adds N points, N may be negative; the pair's score is the sum."""
    fires(tmp_path, "{same: job_family}", "{score: -12}")
    report = explain_pair(cohort(MENTOR, MENTEE, OTHER), load_rules(tmp_path / "rules"),
                          "M1", "E1")
    assert report["score"] == -12
    assert report["reasons"][0]["points"] == -12


def test_exclude_effect_forbids_the_pair(tmp_path: Path) -> None:
    """exclude makes the pair ineligible and names the rule in the verdict."""
    fires(tmp_path, "{same: job_family}", "exclude")
    report = explain_pair(cohort(MENTOR, MENTEE, OTHER), load_rules(tmp_path / "rules"),
                          "M1", "E1")
    assert report["eligible"] is False
    assert report["verdict"] == "cannot be formed: excluded by t/one"
    assert (report["score"], report["would_score"], report["excluded_by"]) == (None, 0,
                                                                                ["t/one"])


def test_evidence_names_the_values_that_made_a_rule_fire(tmp_path: Path) -> None:
    """Evidence holds each field the rule read, and the themes an overlap counted."""
    fires(tmp_path, "{all: [{same: job_family}, {overlap: {field: intentions, at_least: 1}}]}")
    report = explain_pair(cohort(MENTOR, MENTEE, OTHER), load_rules(tmp_path / "rules"),
                          "M1", "E1")
    assert report["reasons"][0]["evidence"] == {
        "mentor.job_family": "finance", "mentee.job_family": "finance",
        "mentor.intentions": ["contribute-to-a-project", "career-progression"],
        "mentee.intentions": ["find-digital-profiles-for-projects"],
        "shared intentions themes": ["projects"],
    }


def test_evidence_of_an_overlap_across_fields_and_a_difference(tmp_path: Path) -> None:
    """Evidence names both fields, the themes they share, and the difference computed."""
    fires(tmp_path, "{all: [{overlap: {mentor: topics, mentee: intentions, at_least: 1}}, "
                    "{difference: {mentee: tenure_years, mentor: tenure_years, at_least: 10}}]}")
    report = explain_pair(cohort(MENTOR, MENTEE, OTHER), load_rules(tmp_path / "rules"),
                          "M1", "E1")
    assert report["reasons"][0]["evidence"] == {
        "mentor.topics": ["ai", "data"],
        "mentee.intentions": ["find-digital-profiles-for-projects"],
        "mentee.tenure_years": 20.0, "mentor.tenure_years": 2.0,
        "themes shared by mentor.topics and mentee.intentions": ["projects"],
        "mentee.tenure_years - mentor.tenure_years": 18.0,
    }
