"""Fairness monitoring: who gets paired (and, later, who succeeds), by group.

In: the decisions of one pairing run (pairs, unpaired people) or the outcomes of pairs, and
the people's profiles, ``protected`` data included, as kept in the erasable snapshot or read
from a cohort file. Out: one plain record per role, attribute and group, with the pairing
rate and its interval, the ratio to the best-treated group (the four-fifths rule), a Fisher
exact p-value and its correction for multiple tests.

Pure: no I/O. Protected data is read here and nowhere else; no rule ever sees it, and it
never enters the audit chain.
"""

from engine.fairness.figures import (
    FOUR_FIFTHS,
    TOO_SMALL,
    FairnessReport,
    GroupFigure,
    Subject,
    group_figures,
)
from engine.fairness.groups import NOT_GIVEN, age_band, person_groups
from engine.fairness.pairing import fairness_of_outcomes, fairness_of_pairing

__all__ = ["FOUR_FIFTHS", "NOT_GIVEN", "TOO_SMALL", "FairnessReport", "GroupFigure", "Subject",
           "age_band", "fairness_of_outcomes", "fairness_of_pairing", "group_figures",
           "person_groups"]
