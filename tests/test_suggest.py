"""'Did you mean': the suggestion a misspelt id or value gets."""

from __future__ import annotations

import pytest

from engine.base.suggest import closest


@pytest.mark.parametrize(("word", "choices", "expected"), [
    # ids typed without their leading zeros find the padded id, not a look-alike
    ("E7", ["E07", "E17", "E27"], "E07"),
    ("m1", ["M01", "M10", "M11"], "M01"),
    ("E070", ["E07", "E70"], "E70"),
    # case alone
    ("mismatch", ["Mismatch", "conflict"], "Mismatch"),
    # ordinary misspellings
    ("Tandem Insurence", ["Tandem Insurance", "Tandem Bank"], "Tandem Insurance"),
    # nothing close
    ("zzz", ["E07", "M01"], None),
    (7, ["E07"], None),
])
def test_closest_suggests_the_intended_choice(word, choices, expected):
    """The suggestion is the choice the user most likely meant, or none."""
    assert closest(word, choices) == expected
