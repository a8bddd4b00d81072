"""Exact tenure: rules compare tenure against the dates themselves (364 days is under one
year), and the evidence shows it as a readable duration, never rounded up."""

from __future__ import annotations

from datetime import date

import pytest

from engine.pairing.pipeline import explain_pair
from engine.profiles.cohort import tenure_of, tenure_words
from engine.rules.conditions import Difference, Test
from tests.pairing.factories import cohort, person, rule, rules_of

AS_OF = date(2026, 9, 1)  # the factories' as-of date


def _fires(hire: date, bound: float) -> tuple[bool, dict[str, object]]:
    mentor = person("M1", "mentor", hire_date=hire)
    mentee = person("E1", "mentee")
    rules = rules_of(rule("t/one-year", Test("mentor", "tenure_years", "at_least", bound), 5),
                     min_score=-100)
    report = explain_pair(cohort(mentor, mentee), rules, "M1", "E1")
    reasons = report["reasons"]
    return bool(reasons), (reasons[0]["evidence"] if reasons else {})


@pytest.mark.parametrize(("hire", "bound", "expected"), [
    # -- the first anniversary, and the day before -------------------------------------------
    (date(2025, 9, 2), 1, False),  # 364 days
    (date(2025, 9, 1), 1, True),  # one year to the day
    # -- a leap year between: 366 days to the anniversary ----------------------------------
    (date(2023, 9, 2), 3, False),
    (date(2023, 9, 1), 3, True),
    # -- fractions: half a year is reached on the day, not before ---------------------------
    (date(2026, 3, 2), 0.5, True),  # 183 of 365 days
    (date(2026, 3, 4), 0.5, False),  # 181 of 365 days
])
def test_at_least_compares_against_the_anniversary(hire: date, bound: float,
                                                   expected: bool) -> None:
    """`mentor.tenure_years: {at_least: N}` holds from the N-th anniversary, exactly."""
    assert _fires(hire, bound)[0] is expected


def test_evidence_shows_the_duration_and_never_rounds_up() -> None:
    """364 days of tenure reads 0.99 and "11 months and 30 days" in the evidence."""
    fired, evidence = _fires(date(2025, 9, 2), 0.5)
    assert fired
    assert evidence == {"mentor.tenure_years": 0.99, "mentor.tenure": "11 months and 30 days"}


@pytest.mark.parametrize(("hire", "as_of", "words", "years"), [
    (date(2025, 9, 2), AS_OF, "11 months and 30 days", 364 / 365),
    (date(2025, 9, 1), AS_OF, "1 year", 1.0),
    (date(2024, 7, 31), AS_OF, "2 years, 1 month and 1 day", 2 + 32 / 365),
    (date(2026, 8, 31), AS_OF, "1 day", 1 / 365),
    (date(2026, 9, 1), AS_OF, "0 days", 0.0),
    (date(2027, 1, 1), AS_OF, "0 days", 0.0),  # hired after the as-of date
    (date(2024, 2, 29), date(2025, 2, 28), "1 year", 1.0),  # a 29 February hire
])
def test_tenure_in_years_and_in_words(hire: date, as_of: date, words: str,
                                      years: float) -> None:
    """Whole years are anniversaries passed; the rest is days over the year's length."""
    assert tenure_of(hire, as_of) == pytest.approx(years, abs=1e-12)
    assert tenure_words(hire, as_of) == words


def test_a_difference_of_tenures_is_exact_at_whole_years() -> None:
    """A mentee hired ten years and one day before the mentor is ten years apart; a day
    less is not."""
    rules = rules_of(rule("t/decade", Difference("tenure_years", "tenure_years", 10, None), 5),
                     min_score=-100)
    mentor = person("M1", "mentor", hire_date=date(2016, 9, 1))
    for mentee_hire, expected in ((date(2006, 9, 1), True), (date(2006, 9, 2), False)):
        mentee = person("E1", "mentee", hire_date=mentee_hire)
        report = explain_pair(cohort(mentor, mentee), rules, "M1", "E1")
        assert bool(report["reasons"]) is expected
