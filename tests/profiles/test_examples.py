"""The bundled example cohort: one cohort in two formats, with the cases a pairing must face."""

from __future__ import annotations

from datetime import date

import pytest

from engine.base.resources import rules_dir
from engine.profiles.cohort import Cohort, Participant
from engine.profiles.validate import load_cohort
from engine.rules.vocabulary import Vocabulary, load_vocabulary
from tests.profiles.conftest import REPO

AS_OF = date(2026, 9, 1)


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return load_vocabulary(rules_dir())


@pytest.fixture(scope="module")
def cohort(vocabulary: Vocabulary) -> Cohort:
    loaded, problems = load_cohort(REPO / "examples" / "cohort.json", vocabulary)
    assert problems == []
    return loaded


# One cohort, two formats

def test_json_and_csv_examples_hold_identical_participants(vocabulary: Vocabulary) -> None:
    """examples/cohort.csv loads to exactly the participants of examples/cohort.json."""
    from_json, json_problems = load_cohort(REPO / "examples" / "cohort.json", vocabulary, AS_OF)
    from_csv, csv_problems = load_cohort(REPO / "examples" / "cohort.csv", vocabulary, AS_OF)
    assert json_problems == csv_problems == []
    assert list(from_csv.participants) == list(from_json.participants)
    assert from_csv.as_of == from_json.as_of == AS_OF


def test_json_example_measures_tenure_at_its_program_date(cohort: Cohort) -> None:
    """Without --as-of, the example's program.as_of sets the date tenure is measured at."""
    assert cohort.as_of == AS_OF
    assert cohort.program["as_of"] == "2026-09-01"


# Its shape

def test_example_has_about_40_people_and_enough_capacity(cohort: Cohort) -> None:
    """18 mentors, 24 mentees, ids M01.. and E01.., and mentor capacity near the mentee count."""
    assert (len(cohort.mentors), len(cohort.mentees)) == (18, 24)
    assert [p.id for p in cohort.mentors] == [f"M{n:02}" for n in range(1, 19)]
    assert [p.id for p in cohort.mentees] == [f"E{n:02}" for n in range(1, 25)]
    assert sum(1 for m in cohort.mentors if m.capacity == 2) >= 3
    explicit = sum(m.capacity or 1 for m in cohort.mentors)
    assert 20 <= explicit <= 24


def test_mentors_are_juniors_and_mentees_seniors(cohort: Cohort) -> None:
    """Mentors were hired 2019-2025 and mentees 1995-2015."""
    assert all(2019 <= m.hire_date.year <= 2025 for m in cohort.mentors)
    assert all(1995 <= e.hire_date.year <= 2015 for e in cohort.mentees)


def test_every_learning_style_is_on_both_sides(cohort: Cohort,
                                               vocabulary: Vocabulary) -> None:
    """Each learning style appears among mentors and among mentees."""
    for side in (cohort.mentors, cohort.mentees):
        assert {p.learning_style for p in side} == set(vocabulary.learning_styles)


def test_intentions_use_each_role_s_own_codes(cohort: Cohort, vocabulary: Vocabulary) -> None:
    """Mentors use mentor intention codes and mentees mentee codes, and every code is used."""
    for role, side in (("mentor", cohort.mentors), ("mentee", cohort.mentees)):
        used = {code for p in side for code in p.intentions}
        assert used == set(vocabulary.intention_codes(role))


def test_intentions_overlap_for_many_but_not_all_pairs(cohort: Cohort,
                                                       vocabulary: Vocabulary) -> None:
    """Some mentor-mentee pairs share an intention theme and some share none."""
    def themes(p: Participant) -> set[str]:
        return {t for code in p.intentions for t in vocabulary.themes("intentions", p.role, code)}
    shared = [bool(themes(m) & themes(e)) for m in cohort.mentors for e in cohort.mentees]
    assert 0.3 < sum(shared) / len(shared) < 0.9


def test_example_spans_subsidiaries_and_job_families(cohort: Cohort) -> None:
    """Three or four subsidiaries and several job families."""
    assert 3 <= len({p.subsidiary for p in cohort.participants}) <= 4
    assert len({p.job_family for p in cohort.participants}) >= 6


# Cases a pairing engine must face

def test_example_holds_a_theorist_mentee_and_activist_mentors(cohort: Cohort) -> None:
    """The textbook mismatch is possible: theorist mentees and activist mentors."""
    assert any(e.learning_style == "theorist" for e in cohort.mentees)
    assert sum(m.learning_style == "activist" for m in cohort.mentors) >= 2


def test_a_mentee_has_a_job_family_no_mentor_shares(cohort: Cohort) -> None:
    """At least one mentee works in a family absent among mentors."""
    mentor_families = {m.job_family for m in cohort.mentors}
    assert any(e.job_family not in mentor_families for e in cohort.mentees)


def test_reporting_lines_inside_the_cohort(cohort: Cohort) -> None:
    """A mentor reports to a mentee, and a mentee to another mentee, all in the cohort."""
    people = cohort.by_id()
    links = [(p, people[p.manager_id]) for p in cohort.participants if p.manager_id]
    assert all(p.manager_id in people for p in cohort.participants if p.manager_id)
    assert any(p.role == "mentor" and boss.role == "mentee" for p, boss in links)
    assert any(p.role == "mentee" and boss.role == "mentee" for p, boss in links)


def test_optional_fields_are_present_for_some(cohort: Cohort) -> None:
    """Everyone has an email, most have protected attributes, some a job-day interest."""
    people = cohort.participants
    assert all(p.email for p in people)
    assert sum(p.protected is not None for p in people) >= len(people) * 3 // 4
    assert sum(p.protected is None for p in people) >= 1
    assert 3 <= sum(p.my_job_day is not None for p in people) < len(people)
