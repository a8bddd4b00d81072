"""The benchmark's synthetic cohorts: valid, reproducible, shaped like the HR data, with no
file outside the repository; a real HRIS export is still read when given."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.cohort_gen import (
    EDUCATION_MOVES,
    OTHER_FAMILIES,
    generate,
    hr_rows,
    is_junior,
    is_senior,
)
from benchmarks.hr_model import AGE, FEMALE_SHARE, ROLE_LEVELS, synthetic_rows
from engine.base.resources import rules_dir
from engine.profiles.validate import load_cohort
from engine.rules.vocabulary import load_vocabulary

HR_DEPARTMENTS = ("Research & Development", "Sales", "Human Resources")
EDUCATION_MOVES_DEPARTMENTS = ("Information Systems", "Marketing", "Finance", "Legal",
                               "Communication")


def _shares(values: list[str], keys: tuple[str, ...]) -> dict[str, float]:
    counts = Counter(v for v in values if v in keys)
    total = sum(counts.values())
    return {k: counts[k] / total for k in keys}


def _stays(row: dict[str, str]) -> float:
    """Chance that a sampled HR row keeps its HR department (is not moved to another family)."""
    moved_by_education = EDUCATION_MOVES.get(row["EducationField"], ("", 0.0))[1]
    return (1 - moved_by_education) * (1 - sum(OTHER_FAMILIES.values()))


def test_generated_cohort_is_valid_without_warnings(tmp_path: Path) -> None:
    """A generated cohort passes tandem's validation, with no problem at all."""
    path = tmp_path / "cohort.json"
    path.write_text(json.dumps(generate(120, 150, seed=1)), "utf-8")
    cohort, problems = load_cohort(path, load_vocabulary(rules_dir()))
    assert problems == []
    assert (len(cohort.mentors), len(cohort.mentees)) == (120, 150)
    assert cohort.as_of.isoformat() == "2026-09-01"


def test_same_seed_same_cohort_other_seed_other_cohort() -> None:
    """The generator is deterministic for a seed, and the seed matters."""
    assert generate(40, 50, seed=7) == generate(40, 50, seed=7)
    assert generate(40, 50, seed=7) != generate(40, 50, seed=8)


def test_department_shares_follow_the_hr_data() -> None:
    """Department shares are the HR rows' shares, weighted by the documented moves."""
    rows = hr_rows()
    people = generate(3000, 3000, seed=2)["participants"]
    for role, keep in (("mentor", is_junior), ("mentee", is_senior)):
        weights = Counter[str]()
        for row in filter(keep, rows):
            weights[row["Department"]] += _stays(row)
        expected = {d: weights[d] / sum(weights.values()) for d in HR_DEPARTMENTS}
        got = _shares([p["department"] for p in people if p["role"] == role], HR_DEPARTMENTS)
        for department in HR_DEPARTMENTS:
            assert got[department] == pytest.approx(expected[department], abs=0.03), (
                role, department)


def test_mentors_are_juniors_and_mentees_seniors() -> None:
    """Mentors come from junior rows (short tenure), mentees from senior rows."""
    people = generate(500, 500, seed=3)["participants"]
    hired = {role: sorted(p["hire_date"] for p in people if p["role"] == role)
             for role in ("mentor", "mentee")}
    assert min(hired["mentor"]) >= "2020-09-01"  # at most 5 years and a day of the year
    assert hired["mentee"][len(hired["mentee"]) // 2] < hired["mentor"][len(hired["mentor"]) // 2]


def test_capacities_manager_links_and_protected_data() -> None:
    """Capacity 1 mostly, about 5% of mentees report to a mentee, protected data kept aside."""
    people = generate(2000, 2000, seed=4)["participants"]
    mentors = [p for p in people if p["role"] == "mentor"]
    mentees = [p for p in people if p["role"] == "mentee"]
    capacities = Counter(p["capacity"] for p in mentors)
    assert capacities[1] > capacities[2] > capacities[3] > 0
    assert all("capacity" not in p for p in mentees)
    mentee_ids = {p["id"] for p in mentees}
    linked = [p for p in mentees if "manager_id" in p]
    assert 0.03 < len(linked) / len(mentees) < 0.07
    assert all(p["manager_id"] in mentee_ids and p["manager_id"] != p["id"] for p in linked)
    assert 0 < sum("manager_id" in p for p in mentors) < 0.05 * len(mentors)
    assert all(set(p["protected"]) == {"gender", "birth_year"} for p in people)


def test_every_job_family_of_the_vocabulary_has_people() -> None:
    """The HR roles plus the documented moves cover the vocabulary's job families."""
    families = {p["job_family"] for p in generate(1000, 1000, seed=5)["participants"]}
    assert families == set(load_vocabulary(rules_dir()).job_families)


def test_the_shipped_population_follows_its_calibration() -> None:
    """Role and level shares, ages and the share of women match the calibration tables."""
    rows = synthetic_rows(20000, seed=1)
    total = sum(ROLE_LEVELS.values())
    drawn = Counter((r["Department"], r["JobRole"], int(r["JobLevel"])) for r in rows)
    for key, count in ROLE_LEVELS.items():
        assert drawn[key] / len(rows) == pytest.approx(count / total, abs=0.01), key
    for level in (1, 3):
        at = [r for r in rows if r["JobLevel"] == str(level)]
        ages = sorted(int(r["Age"]) for r in at)
        assert ages[len(ages) // 2] == pytest.approx(AGE[level][2], abs=2)
        women = sum(r["Gender"] == "Female" for r in at) / len(at)
        assert women == pytest.approx(FEMALE_SHARE[level], abs=0.03)
    assert all(int(r["YearsAtCompany"]) <= int(r["Age"]) - 18 for r in rows)
    assert synthetic_rows() == synthetic_rows()


def test_a_real_hris_export_is_still_read(tmp_path: Path) -> None:
    """With hr_csv, people come from that file's rows: here, one department only."""
    header = "Age,Department,EducationField,Gender,JobLevel,JobRole,YearsAtCompany"
    lines = [header, "25,Sales,Life Sciences,Female,1,Sales Representative,2",
             "52,Sales,Medical,Male,4,Manager,20"]
    path = tmp_path / "hris.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    people = generate(30, 30, seed=1, hr_csv=path)["participants"]
    assert {p["department"] for p in people} <= {"Sales", *EDUCATION_MOVES_DEPARTMENTS}
    assert {p["protected"]["gender"] for p in people if p["role"] == "mentor"} == {"female"}
