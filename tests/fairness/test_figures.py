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


# -- the four-fifths rule, against the reference group
@pytest.mark.parametrize(("paired_b", "flagged"), [
    (32, False),  # 0.80 of the reference: not under four fifths
    (30, True),   # 0.75
    (10, True),   # 0.25
    (40, False),  # equal
])
def test_four_fifths_rule(paired_b, flagged):
    """A group is flagged when its rate is under 0.8 times the reference group's."""
    figures = _by_group(group_figures(_subjects({"a": (50, 50), "b": (40, paired_b)})))
    assert figures["b"].ratio == pytest.approx(paired_b / 40)
    assert figures["b"].flagged is flagged
    assert figures["a"].reference and not figures["a"].flagged


def test_the_reference_is_the_largest_known_group_not_the_best_rate():
    """The largest group with a known value is the reference, even with a lower rate, and
    "(not given)" never is, however large."""
    figures = _by_group(group_figures(_subjects({
        "a": (30, 15), "b": (25, 20), NOT_GIVEN: (40, 20)})))
    assert figures["a"].reference and figures["a"].ratio == 1.0
    assert not figures[NOT_GIVEN].reference
    assert figures["b"].direction == "higher" and not figures["b"].flagged
    assert figures[NOT_GIVEN].ratio == pytest.approx(1.0)


def test_a_planted_disparity_is_a_significant_disadvantage():
    """A group paired at 40% against 100% is flagged, significant, lower: a disadvantage."""
    figures = _by_group(group_figures(_subjects({"a": (21, 21), "b": (20, 8)})))
    assert figures["a"].reference
    b = figures["b"]
    assert (b.people, b.paired, b.rate, b.ratio) == (20, 8, 0.4, 0.4)
    assert b.flagged and b.significant and b.direction == "lower" and b.disadvantage
    assert b.p_value < 0.001 and b.p_adjusted is not None and b.p_adjusted < 0.05
    assert b.rate_low < 0.4 < b.rate_high
    assert b.mean_score == 10.0


def test_a_flag_that_could_be_chance_is_counted_apart():
    """Under four fifths but not significant: a chance flag, not a disadvantage."""
    subjects = _subjects({"a": (20, 15), "b": (15, 8)})
    from engine.fairness import FairnessReport

    report = FairnessReport(tuple(group_figures(subjects)), 35)
    assert [f.group for f in report.flagged] == ["b"]
    assert [f.group for f in report.chance_flags] == ["b"] and not report.disadvantages


def test_a_small_group_shows_nothing_and_another_is_hidden_with_it():
    """A group of 3 shows no count, rate or score; one more group is hidden, so that the
    totals minus the groups shown do not give it away."""
    figures = _by_group(group_figures(_subjects({"a": (30, 15), "b": (20, 10),
                                                 "c": (10, 5), "d": (3, 2)})))
    d = figures["d"]
    assert d.too_small and d.suppressed
    assert (d.people, d.paired, d.rate, d.mean_score, d.ratio, d.p_value) == \
        (None, None, None, None, None, None)
    assert figures["c"].suppressed and figures["c"].people is None  # 3 + 10 >= 5
    assert not figures["a"].suppressed and not figures["b"].suppressed
    assert not d.flagged and not d.significant


def test_few_hits_or_misses_hide_the_split_of_a_big_group():
    """Two unpaired people in a table: no group's rate is shown (it would say which group
    they are in); the sizes are."""
    figures = group_figures(_subjects({"a": (30, 30), "b": (20, 18), "c": (10, 10)}))
    assert all(f.suppressed and f.rate is None for f in figures)
    assert [f.people for f in figures] == [30, 20, 10]


def test_the_threshold_can_be_raised_never_lowered():
    """--min-group 10 hides a group of 8; 4 is refused."""
    subjects = _subjects({"a": (30, 15), "b": (20, 10), "c": (8, 4)})
    assert _by_group(group_figures(subjects, min_group=10))["c"].too_small
    assert not _by_group(group_figures(subjects))["c"].too_small
    with pytest.raises(ValueError, match="5 or more"):
        group_figures(subjects, min_group=4)


def test_no_group_shown_means_no_ratio():
    """With every group under 5 people there is no reference, so no ratio and no flag."""
    figures = group_figures(_subjects({"a": (3, 3), "b": (4, 0)}))
    assert [f.ratio for f in figures] == [None, None]
    assert not any(f.flagged for f in figures)


def test_roles_and_attributes_are_corrected_apart():
    """Mentors and mentees, and each attribute, are separate families with their own
    reference group."""
    subjects = _subjects({"a": (10, 5), "b": (12, 6)}, role="mentor") + \
        _subjects({"a": (10, 5), "b": (11, 5)}, role="mentee")
    figures = group_figures(subjects)
    assert [(f.role, f.group, f.reference) for f in figures] == [
        ("mentee", "a", False), ("mentee", "b", True),
        ("mentor", "a", False), ("mentor", "b", True)]


# -- simulated cohorts: an effect is found, its absence is not invented
def _simulate(rng, rates, sizes, attributes=1):
    subjects = []
    for group, (rate, size) in enumerate(zip(rates, sizes, strict=True)):
        for i in range(size):
            groups = {f"attribute{a}": f"g{group if a == 0 else rng.randrange(3)}"
                      for a in range(attributes)}
            subjects.append(Subject(f"g{group}-{i}", "mentee", groups, rng.random() < rate))
    return group_figures(subjects)


def test_null_simulation_rarely_finds_a_significant_group():
    """With equal pairing chances (0.7) in four groups, a significant group turns up in at
    most 5% of 300 simulated cohorts (Benjamini-Hochberg within the table)."""
    rng = random.Random(13)
    hits = sum(any(f.significant for f in _simulate(rng, [0.7] * 4, [12, 20, 30, 40]))
               for _ in range(300))
    assert hits / 300 <= 0.05


def test_planted_simulation_finds_the_disadvantaged_group():
    """A group paired at 0.45 against 0.9 in groups of 60 is a significant disadvantage in
    at least 95% of 200 simulated cohorts."""
    rng = random.Random(8)
    found = 0
    for _ in range(200):
        g2 = _by_group(_simulate(rng, [0.9, 0.9, 0.45], [61, 60, 60]))["g2"]
        found += g2.disadvantage
    assert found / 200 >= 0.95


def test_a_moderate_disadvantage_is_not_diluted_by_other_attributes():
    """One family per attribute: a moderate planted disadvantage (0.55 against 0.8) is
    found as often with four other attributes monitored as alone."""
    alone = with_others = 0
    for seed in range(100):
        alone += _by_group(_simulate(random.Random(seed), [0.8, 0.55], [60, 40]))[
            "g1"].disadvantage
        figures = _simulate(random.Random(seed), [0.8, 0.55], [60, 40], attributes=5)
        with_others += next(f for f in figures if f.attribute == "attribute0"
                            and f.group == "g1").disadvantage
    assert with_others == alone


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
    pairs = [{"mentor": f"M{i}", "mentee": f"E{i}", "score": 40 if i <= 5 else 20}
             for i in range(1, 11)]
    unpaired = [*({"id": f"E{i}", "role": "mentee", "reason": "outscored"}
                  for i in range(11, 16)),
                {"person": "E16", "role": "mentee", "reason": "no-eligible-partner"},
                {"id": "E17", "role": "mentee", "reason": "already-paired"}]
    profiles = {**{f"M{i}": _profile(f"M{i}", "male") for i in range(1, 11)},
                **{f"E{i}": _profile(f"E{i}", "female" if i <= 5 else None)
                   for i in range(1, 16)},
                "E17": _profile("E17", "female")}
    report = fairness_of_pairing(pairs, unpaired, profiles, AS_OF)
    assert report.people == 25 and report.erased == ("E16",)
    assert report.protected_attributes == ("gender",)
    rows = {(f.role, f.attribute, f.group): (f.people, f.paired, f.mean_score)
            for f in report.figures}
    assert rows == {
        ("mentee", "gender", NOT_GIVEN): (10, 5, 20.0),
        ("mentee", "gender", "female"): (5, 5, 40.0),
        ("mentee", "subsidiary", "Bank"): (15, 10, 30.0),
        ("mentee", "job_family", "it"): (15, 10, 30.0),
        ("mentor", "gender", "male"): (10, 10, 30.0),
        ("mentor", "subsidiary", "Bank"): (10, 10, 30.0),
        ("mentor", "job_family", "it"): (10, 10, 30.0)}
    assert report.reference("mentee", "gender").group == "female"


def test_success_rate_of_outcomes():
    """Each outcome is one trial for the mentor and one for the mentee; success is a hit."""
    outcomes = [{"mentor": "M1", "mentee": f"E{i}", "result": "success" if i < 5 else
                 "partial"} for i in range(10)]
    profiles = {p: _profile(p, "female") for p in ("M1", *(f"E{i}" for i in range(10)))}
    report = fairness_of_outcomes(outcomes, profiles, AS_OF)
    rows = {(f.role, f.attribute, f.group): (f.people, f.paired) for f in report.figures}
    assert rows[("mentor", "gender", "female")] == (10, 5)
    assert rows[("mentee", "gender", "female")] == (10, 5)
