"""Fairness figures: rates and intervals, the four-fifths rule, exact tests and their
correction, groups too small to judge, and simulated cohorts with and without an effect."""

from __future__ import annotations

import random
from datetime import date

import pytest

from engine.fairness import (
    NOT_GIVEN,
    Subject,
    age_band,
    fairness_of_outcomes,
    fairness_of_pairing,
    group_figures,
    person_groups,
)
from engine.fairness.figures import fisher, wilson

AS_OF = date(2026, 9, 1)


def _subjects(counts, role="mentee", attribute="gender"):
    """{group: (people, paired)} as subjects, scores 10 per paired person."""
    out = []
    for group, (people, paired) in counts.items():
        for i in range(people):
            hit = i < paired
            out.append(Subject(f"{group}{i}", role, {attribute: group}, hit,
                               (10.0,) if hit else ()))
    return out


def _by_group(figures):
    return {f.group: f for f in figures}


# -- the building blocks, against published values
def test_wilson_interval_of_five_in_ten():
    """The 95% Wilson interval of 5/10 is 0.2366 to 0.7634."""
    low, high = wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)


def test_fisher_exact_of_the_tea_tasting_table():
    """Fisher's tea-tasting table [[3, 1], [1, 3]] has a two-sided p of 0.4857."""
    assert round(fisher(3, 4, 1, 4), 4) == 0.4857


def test_fisher_without_a_rest_is_not_a_test():
    """A group that is the whole role has nothing to be compared with."""
    assert fisher(3, 4, 0, 0) is None


# -- the four-fifths rule
@pytest.mark.parametrize(("paired_b", "flagged"), [
    (16, False),  # 0.80 of the best: not under four fifths
    (15, True),   # 0.75
    (4, True),    # 0.20
    (20, False),  # equal
])
def test_four_fifths_rule(paired_b, flagged):
    """A group is flagged when its rate is under 0.8 times the best group's."""
    figures = _by_group(group_figures(_subjects({"a": (20, 20), "b": (20, paired_b)})))
    assert figures["b"].ratio == pytest.approx(paired_b / 20)
    assert figures["b"].flagged is flagged
    assert figures["a"].best and not figures["a"].flagged


def test_a_planted_disparity_is_flagged_and_significant():
    """A group paired at 40% against 100% is flagged, with a corrected p under 0.05."""
    figures = _by_group(group_figures(_subjects({"a": (20, 20), "b": (20, 8)})))
    b = figures["b"]
    assert (b.people, b.paired, b.rate, b.ratio) == (20, 8, 0.4, 0.4)
    assert b.flagged and b.significant
    assert b.p_value < 0.001 and b.p_adjusted is not None and b.p_adjusted < 0.05
    assert b.rate_low < 0.4 < b.rate_high
    assert b.mean_score == 10.0


def test_a_small_group_is_shown_but_never_judged():
    """A group of 4, none paired, is reported as too small: not flagged, not the best, no
    corrected p-value; and it does not set the best rate either."""
    figures = _by_group(group_figures(_subjects({"a": (20, 15), "b": (4, 0), "c": (3, 3)})))
    assert figures["b"].too_small and not figures["b"].flagged
    assert figures["b"].p_adjusted is None and not figures["b"].significant
    assert figures["c"].too_small and not figures["c"].best
    assert figures["a"].best and figures["a"].ratio == 1.0


def test_no_group_big_enough_means_no_ratio():
    """With every group under 5 people there is no best group, so no ratio and no flag."""
    figures = group_figures(_subjects({"a": (3, 3), "b": (4, 0)}))
    assert [f.ratio for f in figures] == [None, None]
    assert not any(f.flagged for f in figures)


def test_roles_are_judged_apart():
    """Mentors and mentees are separate populations: each role has its own best group."""
    subjects = _subjects({"a": (10, 10), "b": (10, 10)}, role="mentor") + \
        _subjects({"a": (10, 5), "b": (10, 5)}, role="mentee")
    figures = group_figures(subjects)
    assert [(f.role, f.group, f.ratio, f.flagged) for f in figures] == [
        ("mentee", "a", 1.0, False), ("mentee", "b", 1.0, False),
        ("mentor", "a", 1.0, False), ("mentor", "b", 1.0, False)]


# -- simulated cohorts: an effect is found, its absence is not invented
def _simulate(rng, rates, sizes):
    subjects = []
    for group, (rate, size) in enumerate(zip(rates, sizes, strict=True)):
        for i in range(size):
            subjects.append(Subject(f"g{group}-{i}", "mentee", {"gender": f"g{group}"},
                                    rng.random() < rate))
    return group_figures(subjects)


def test_null_simulation_rarely_finds_a_significant_group():
    """With equal pairing chances (0.7) in four groups, a significant group turns up in at
    most 5% of 300 simulated cohorts (Benjamini-Hochberg over the groups)."""
    rng = random.Random(13)
    hits = sum(any(f.significant for f in _simulate(rng, [0.7] * 4, [12, 20, 30, 40]))
               for _ in range(300))
    print(f"null: {hits}/300 cohorts with a significant group")
    assert hits / 300 <= 0.05


def test_planted_simulation_finds_the_disadvantaged_group():
    """A group paired at 0.45 against 0.9 in groups of 40 is flagged and significant in at
    least 95% of 200 simulated cohorts."""
    rng = random.Random(8)
    found = 0
    for _ in range(200):
        g2 = _by_group(_simulate(rng, [0.9, 0.9, 0.45], [40, 40, 40]))["g2"]
        found += g2.significant and g2.flagged
    print(f"planted: found in {found}/200 cohorts")
    assert found / 200 >= 0.95


# -- groups from profiles
@pytest.mark.parametrize(("birth_year", "band"), [
    (1997, "under 30"), (1996, "30-39"), (1987, "30-39"), (1986, "40-49"),
    (1976, "50-59"), (1966, "60 and over"), (None, NOT_GIVEN), ("1970", NOT_GIVEN),
    (True, NOT_GIVEN),
])
def test_age_band(birth_year, band):
    """Age at the as-of date (2026 minus the birth year), in bands of ten years."""
    assert age_band(birth_year, AS_OF) == band


def test_person_groups_read_protected_data_then_subsidiary_and_job_family():
    """Protected keys in order (birth_year as an age band), then the two visible ones."""
    profile = {"id": "E1", "subsidiary": "Bank", "job_family": "it",
               "protected": {"gender": "female", "birth_year": 1970, "disability": True,
                             "ethnicity": None}}
    assert person_groups(profile, AS_OF) == {
        "age_band": "50-59", "disability": "yes", "ethnicity": NOT_GIVEN, "gender": "female",
        "subsidiary": "Bank", "job_family": "it"}


# -- a run's decisions
def _profile(pid, gender=None, subsidiary="Bank"):
    record = {"id": pid, "subsidiary": subsidiary, "job_family": "it"}
    if gender:
        record["protected"] = {"gender": gender}
    return record


def test_fairness_of_a_run_counts_candidates_and_names_erased_profiles():
    """Paired people and unpaired candidates count; people already paired do not; a missing
    profile is listed as erased; a person without the attribute is '(not given)'."""
    pairs = [{"mentor": "M1", "mentee": "E1", "score": 40},
             {"mentor": "M1", "mentee": "E2", "score": 20}]
    unpaired = [{"id": "E3", "role": "mentee", "reason": "outscored"},
                {"person": "E4", "role": "mentee", "reason": "no-eligible-partner"},
                {"id": "E5", "role": "mentee", "reason": "already-paired"}]
    profiles = {"M1": _profile("M1", "male"), "E1": _profile("E1", "female"),
                "E2": _profile("E2"), "E3": _profile("E3", "female"),
                "E5": _profile("E5", "female")}
    report = fairness_of_pairing(pairs, unpaired, profiles, AS_OF)
    assert report.people == 4 and report.erased == ("E4",)
    assert report.protected_attributes == ("gender",)
    rows = {(f.role, f.attribute, f.group): (f.people, f.paired, f.mean_score)
            for f in report.figures}
    assert rows == {
        ("mentee", "gender", NOT_GIVEN): (1, 1, 20.0),
        ("mentee", "gender", "female"): (2, 1, 40.0),
        ("mentee", "subsidiary", "Bank"): (3, 2, 30.0),
        ("mentee", "job_family", "it"): (3, 2, 30.0),
        ("mentor", "gender", "male"): (1, 1, 30.0),
        ("mentor", "subsidiary", "Bank"): (1, 1, 30.0),
        ("mentor", "job_family", "it"): (1, 1, 30.0)}


def test_success_rate_of_outcomes():
    """Each outcome is one trial for the mentor and one for the mentee; success is a hit."""
    outcomes = [{"mentor": "M1", "mentee": "E1", "result": "success"},
                {"mentor": "M1", "mentee": "E2", "result": "partial"}]
    profiles = {p: _profile(p, "female") for p in ("M1", "E1", "E2")}
    report = fairness_of_outcomes(outcomes, profiles, AS_OF)
    rows = {(f.role, f.attribute, f.group): (f.people, f.paired) for f in report.figures}
    assert rows[("mentor", "gender", "female")] == (2, 1)
    assert rows[("mentee", "gender", "female")] == (2, 1)
