"""Synthetic cohorts for the benchmarks, with shares learnt from an HR data set.

`generate(n_mentors, n_mentees, seed, hr_csv)` returns a cohort envelope
(``{"program": {...}, "participants": [...]}``) that `tandem validate` accepts.

The HR rows are a real HRIS export when ``hr_csv`` names one (the columns of the IBM HR
Analytics sample), and otherwise a population drawn by `benchmarks.hr_model`, calibrated on
that sample and shipped with the repository: nothing outside it is needed.

What comes from the HR rows (one row sampled per person, with replacement):
- mentors are sampled from the junior rows (JobLevel 1-2 and at most 5 years at the
  company), mentees from the senior rows (JobLevel 3 or more);
- job_family from JobRole (a Manager by its Department), see `ROLE_FAMILIES`; HR data has
  no finance, IT, marketing, legal or communication staff, so a share of people is moved to
  those families (`OTHER_FAMILIES`): half of the Technical Degree graduates to it, half of
  the Marketing graduates to marketing, and 8% / 3% / 3% of everyone to finance / legal /
  communication. A moved person's department is the family's own department;
- department from Department, hire_date from YearsAtCompany (plus a random day of the year);
- gender and birth year (from Age) go into `protected` only, which no rule may read.

What is drawn with the seed: learning styles, subsidiaries (a skewed handful), intentions
(1-3 codes of the role's vocabulary), topics (0-3), capacities (mentors: mostly 1, some 2,
few 3) and manager links (5% of mentees report to another mentee, 2% of mentors report to
a mentee).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

AS_OF = date(2026, 9, 1)

ROLE_FAMILIES = {
    "Sales Executive": "sales",
    "Sales Representative": "sales",
    "Research Scientist": "research",
    "Laboratory Technician": "research",
    "Research Director": "research",
    "Manufacturing Director": "manufacturing",
    "Healthcare Representative": "healthcare",
    "Human Resources": "human-resources",
}
MANAGER_FAMILIES = {"Sales": "sales", "Research & Development": "research",
                    "Human Resources": "human-resources"}
# family -> (share of everyone moved there, department). Education-driven moves come first.
EDUCATION_MOVES = {"Technical Degree": ("it", 0.5), "Marketing": ("marketing", 0.5)}
OTHER_FAMILIES = {"finance": 0.08, "legal": 0.03, "communication": 0.03}
FAMILY_DEPARTMENTS = {"it": "Information Systems", "marketing": "Marketing",
                      "finance": "Finance", "legal": "Legal", "communication": "Communication"}

SUBSIDIARIES = {"Tandem Group": 0.40, "Tandem Bank France": 0.20, "Tandem Insurance": 0.15,
                "Tandem Tech Services": 0.12, "Tandem Benelux": 0.08, "Tandem Iberia": 0.05}
STYLES = {"mentor": {"activist": 0.35, "reflector": 0.20, "theorist": 0.15, "pragmatist": 0.30},
          "mentee": {"activist": 0.20, "reflector": 0.30, "theorist": 0.25, "pragmatist": 0.25}}
HOW_MANY_INTENTIONS = {1: 0.30, 2: 0.45, 3: 0.25}
HOW_MANY_TOPICS = {0: 0.15, 1: 0.35, 2: 0.30, 3: 0.20}
CAPACITIES = {1: 0.75, 2: 0.20, 3: 0.05}
MENTEE_MANAGER_SHARE = 0.05  # mentees whose manager is another mentee
MENTOR_MANAGER_SHARE = 0.02  # mentors whose manager is a mentee: those pairs are excluded


def is_junior(row: dict[str, str]) -> bool:
    """An HR row that could be a mentor."""
    return int(row["JobLevel"]) <= 2 and int(row["YearsAtCompany"]) <= 5


def is_senior(row: dict[str, str]) -> bool:
    """An HR row that could be a mentee."""
    return int(row["JobLevel"]) >= 3


def read_hr(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def base_family(row: dict[str, str]) -> str:
    """The job family an HR row's role maps to, before any share is moved elsewhere."""
    if row["JobRole"] == "Manager":
        return MANAGER_FAMILIES[row["Department"]]
    return ROLE_FAMILIES[row["JobRole"]]


def _pick(rng: np.random.Generator, weights: dict[Any, float], size: int) -> list[Any]:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], np.float64)
    return [keys[i] for i in rng.choice(len(keys), size=size, p=p / p.sum())]


def _vocabulary() -> Any:
    from engine.base.resources import rules_dir
    from engine.rules.vocabulary import load_vocabulary

    return load_vocabulary(rules_dir())


def _people(rng: np.random.Generator, rows: Sequence[dict[str, str]], role: str, n: int,
            vocabulary: Any) -> list[dict[str, Any]]:
    prefix = "M" if role == "mentor" else "E"
    width = max(5, len(str(n)))
    sampled = [rows[i] for i in rng.integers(0, len(rows), size=n)]
    styles = _pick(rng, STYLES[role], n)
    subsidiaries = _pick(rng, SUBSIDIARIES, n)
    n_intentions = _pick(rng, HOW_MANY_INTENTIONS, n)
    n_topics = _pick(rng, HOW_MANY_TOPICS, n)
    capacities = _pick(rng, CAPACITIES, n) if role == "mentor" else [None] * n
    codes = list(vocabulary.intention_codes(role))
    topics = list(vocabulary.topics)
    moves = rng.random(n)
    others = list(OTHER_FAMILIES)
    other_edges = np.cumsum([OTHER_FAMILIES[f] for f in others])
    people = []
    for i, row in enumerate(sampled):
        family, department = base_family(row), row["Department"]
        move = EDUCATION_MOVES.get(row["EducationField"])
        if move and rng.random() < move[1]:
            family = move[0]
        else:
            k = int(np.searchsorted(other_edges, moves[i], "right"))
            if k < len(others):
                family = others[k]
        if family in FAMILY_DEPARTMENTS:
            department = FAMILY_DEPARTMENTS[family]
        years = int(row["YearsAtCompany"])
        hired = AS_OF - timedelta(days=int(years * 365.25 + rng.integers(0, 365)))
        person: dict[str, Any] = {
            "id": f"{prefix}{i + 1:0{width}d}",
            "role": role,
            "name": f"{role.title()} {i + 1}",
            "learning_style": styles[i],
            "job_family": family,
            "department": department,
            "subsidiary": subsidiaries[i],
            "hire_date": hired.isoformat(),
            "intentions": [codes[j] for j in sorted(rng.choice(len(codes), n_intentions[i],
                                                               replace=False))],
        }
        if n_topics[i]:
            person["topics"] = [topics[j] for j in sorted(rng.choice(len(topics), n_topics[i],
                                                                     replace=False))]
        if capacities[i] is not None:
            person["capacity"] = capacities[i]
        person["protected"] = {"gender": row["Gender"].lower(),
                               "birth_year": AS_OF.year - int(row["Age"])}
        people.append(person)
    return people


def hr_rows(hr_csv: Path | None = None) -> list[dict[str, str]]:
    """The rows of an HRIS export, or the shipped calibrated population without one."""
    if hr_csv is not None:
        return read_hr(Path(hr_csv))
    from benchmarks.hr_model import synthetic_rows

    return synthetic_rows()


def generate(n_mentors: int, n_mentees: int, seed: int = 0,
             hr_csv: Path | None = None) -> dict[str, Any]:
    """A valid cohort of n_mentors juniors and n_mentees seniors, the same for the same seed
    (and the same HR rows)."""
    rows = hr_rows(hr_csv)
    juniors = [r for r in rows if is_junior(r)]
    seniors = [r for r in rows if is_senior(r)]
    rng = np.random.default_rng(seed)
    vocabulary = _vocabulary()
    mentors = _people(rng, juniors, "mentor", n_mentors, vocabulary)
    mentees = _people(rng, seniors, "mentee", n_mentees, vocabulary)
    if n_mentees > 1:
        reports = rng.random(n_mentees) < MENTEE_MANAGER_SHARE
        for i in np.flatnonzero(reports):
            boss = int(rng.integers(0, n_mentees - 1))
            mentees[i]["manager_id"] = mentees[boss + (boss >= i)]["id"]
    if n_mentees:
        for i in np.flatnonzero(rng.random(n_mentors) < MENTOR_MANAGER_SHARE):
            mentors[i]["manager_id"] = mentees[int(rng.integers(0, n_mentees))]["id"]
    return {
        "program": {"name": "Tandem benchmark", "cohort": f"synthetic {n_mentors}x{n_mentees}",
                    "as_of": AS_OF.isoformat(),
                    "description": f"Generated by benchmarks/cohort_gen.py with seed {seed}."},
        "participants": mentors + mentees,
    }
