"""A seeded generator of realistic HR rows, calibrated once on a public HR data set.

The benchmarks and the example program need employees: a department, a job role and level,
a field of education, an age, years at the company and a gender. A real HRIS export can be
given (`--hr-csv PATH`, the columns of the IBM HR Analytics sample: Department, JobRole,
JobLevel, EducationField, Age, YearsAtCompany, Gender); without one, `synthetic_rows`
draws rows from the tables below, so that nothing outside the repository is needed.

The tables were counted once from the 1,470 rows of the IBM HR Analytics Employee
Attrition sample (`hr-employees.csv`): the joint counts of (Department, JobRole, JobLevel),
the counts of (Department, EducationField), and, by JobLevel, the quartiles of Age and of
YearsAtCompany and the share of women. A drawn row takes its role and level from the first
table, its education from its department's row of the second, its age and years from its
level's quartiles (uniform within each quarter; years never exceed age minus 18), and its
gender from its level's share. Correlations beyond these are not kept.
"""

from __future__ import annotations

import numpy as np

ROLE_LEVELS: dict[tuple[str, str, int], int] = {
    ('Human Resources', 'Human Resources', 1): 33,
    ('Human Resources', 'Human Resources', 2): 13,
    ('Human Resources', 'Human Resources', 3): 6,
    ('Human Resources', 'Manager', 4): 4,
    ('Human Resources', 'Manager', 5): 7,
    ('Research & Development', 'Healthcare Representative', 2): 78,
    ('Research & Development', 'Healthcare Representative', 3): 44,
    ('Research & Development', 'Healthcare Representative', 4): 9,
    ('Research & Development', 'Laboratory Technician', 1): 200,
    ('Research & Development', 'Laboratory Technician', 2): 56,
    ('Research & Development', 'Laboratory Technician', 3): 3,
    ('Research & Development', 'Manager', 3): 8,
    ('Research & Development', 'Manager', 4): 23,
    ('Research & Development', 'Manager', 5): 23,
    ('Research & Development', 'Manufacturing Director', 2): 90,
    ('Research & Development', 'Manufacturing Director', 3): 45,
    ('Research & Development', 'Manufacturing Director', 4): 10,
    ('Research & Development', 'Research Director', 3): 28,
    ('Research & Development', 'Research Director', 4): 26,
    ('Research & Development', 'Research Director', 5): 26,
    ('Research & Development', 'Research Scientist', 1): 234,
    ('Research & Development', 'Research Scientist', 2): 57,
    ('Research & Development', 'Research Scientist', 3): 1,
    ('Sales', 'Manager', 3): 4,
    ('Sales', 'Manager', 4): 20,
    ('Sales', 'Manager', 5): 13,
    ('Sales', 'Sales Executive', 2): 233,
    ('Sales', 'Sales Executive', 3): 79,
    ('Sales', 'Sales Executive', 4): 14,
    ('Sales', 'Sales Representative', 1): 76,
    ('Sales', 'Sales Representative', 2): 7,
}
EDUCATION: dict[tuple[str, str], int] = {
    ('Human Resources', 'Human Resources'): 27,
    ('Human Resources', 'Life Sciences'): 16,
    ('Human Resources', 'Medical'): 13,
    ('Human Resources', 'Other'): 3,
    ('Human Resources', 'Technical Degree'): 4,
    ('Research & Development', 'Life Sciences'): 440,
    ('Research & Development', 'Medical'): 363,
    ('Research & Development', 'Other'): 64,
    ('Research & Development', 'Technical Degree'): 94,
    ('Sales', 'Life Sciences'): 150,
    ('Sales', 'Marketing'): 159,
    ('Sales', 'Medical'): 88,
    ('Sales', 'Other'): 15,
    ('Sales', 'Technical Degree'): 34,
}
# JobLevel -> (minimum, first quartile, median, third quartile, maximum)
AGE: dict[int, tuple[float, float, float, float, float]] = {
    1: (18, 27.0, 31.0, 37.0, 59),
    2: (22, 31.0, 35.5, 41.0, 60),
    3: (27, 34.0, 38.0, 46.0, 60),
    4: (29, 42.75, 48.0, 53.0, 59),
    5: (39, 42.0, 48.0, 52.0, 60),
}
YEARS: dict[int, tuple[float, float, float, float, float]] = {
    1: (0, 1.0, 3.0, 5.0, 20),
    2: (0, 4.0, 6.0, 9.0, 20),
    3: (0, 5.0, 9.0, 11.25, 40),
    4: (1, 5.0, 12.5, 20.0, 37),
    5: (0, 5.0, 18.0, 22.0, 36),
}
FEMALE_SHARE: dict[int, float] = {1: 0.366, 2: 0.412, 3: 0.431, 4: 0.481, 5: 0.348}

POPULATION = 1470  # the size of the calibration sample, and of a drawn population
_SEED = 20260901  # the drawn population is always the same one


def _quartile_draw(rng: np.random.Generator, q: tuple[float, float, float, float, float],
                   size: int) -> np.ndarray:
    """Values spread as the quartiles say: a quarter uniform within each interval."""
    quarter = rng.integers(0, 4, size=size)
    low = np.array(q[:4])[quarter]
    high = np.array(q[1:])[quarter]
    return np.floor(low + (high - low + 1) * rng.random(size)).clip(q[0], q[4]).astype(int)


def synthetic_rows(n: int = POPULATION, seed: int = _SEED) -> list[dict[str, str]]:
    """``n`` HR rows, as a CSV reader gives them (every value text), the same for a seed."""
    rng = np.random.default_rng(seed)
    roles = list(ROLE_LEVELS)
    weights = np.array([ROLE_LEVELS[r] for r in roles], np.float64)
    chosen = rng.choice(len(roles), size=n, p=weights / weights.sum())
    rows: list[dict[str, str]] = [{} for _ in range(n)]
    for level in range(1, 6):
        at = np.flatnonzero([roles[c][2] == level for c in chosen])
        ages = _quartile_draw(rng, AGE[level], len(at))
        years = _quartile_draw(rng, YEARS[level], len(at))
        women = rng.random(len(at)) < FEMALE_SHARE[level]
        for k, i in enumerate(at):
            department, role, _ = roles[chosen[i]]
            rows[i] = {"Department": department, "JobRole": role, "JobLevel": str(level),
                       "Age": str(ages[k]),
                       "YearsAtCompany": str(min(int(years[k]), int(ages[k]) - 18)),
                       "Gender": "Female" if women[k] else "Male"}
    for row in rows:
        fields = [f for (d, f) in EDUCATION if d == row["Department"]]
        counts = np.array([EDUCATION[(row["Department"], f)] for f in fields], np.float64)
        row["EducationField"] = fields[int(rng.choice(len(fields), p=counts / counts.sum()))]
    return rows
