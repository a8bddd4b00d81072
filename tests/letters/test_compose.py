"""Composing letters, without a database: what reaches the headers and the template."""

from __future__ import annotations

import pytest

from engine.base.resources import rules_dir
from engine.program.letters import (
    compose_letters,
    header_text,
    load_letter_settings,
    shared_reasons,
    usable_email,
)


@pytest.mark.parametrize(("raw", "clean"), [
    ("Ana\r\nBcc: x@evil.example", "Ana Bcc: x@evil.example"),  # header injection
    ("Ana\u2028Ruiz", "Ana Ruiz"),  # a Unicode line separator
    ("Ana\x00\x1b[31mRuiz", "Ana [31mRuiz"),  # NUL and an escape
    ("  Ana   Ruiz ", "Ana Ruiz"),
    ("Ana\u202eziuR", "Ana ziuR"),  # a bidi override
])
def test_header_text_has_no_line_break_nor_control(raw: str, clean: str) -> None:
    """Names reach a header as one line, without control or format characters."""
    assert header_text(raw) == clean


@pytest.mark.parametrize(("raw", "usable"), [
    ("ana@tandem.example", "ana@tandem.example"),
    ("ana@tandem.example\r\nBcc: x@evil.example", None),
    ("ana@tandem.example, x@evil.example", None),
    ("Ana <ana@tandem.example>", None),
    ("", None),
    (None, None),
])
def test_only_one_plain_address_is_usable(raw: object, usable: str | None) -> None:
    """An address field holding more than one plain address gets no letter."""
    assert usable_email(raw) == usable


def test_shared_reasons_are_the_positive_because_texts_once() -> None:
    """Only rules that gave points, each text once, in order; never a score."""
    reasons = [{"effect": "score", "points": 25, "because": "A"},
               {"effect": "score", "points": -10, "because": "B"},
               {"effect": "score", "points": 5, "because": "A"},
               {"effect": "score", "points": 5, "because": "C"}]
    assert shared_reasons(reasons) == ["A", "C"]


def test_an_erased_profile_gets_no_letter_and_a_reason() -> None:
    """The partner of an erased profile still gets a letter; the erased person is listed."""
    settings = load_letter_settings(rules_dir())
    pairs = [{"mentor": "M01", "mentee": "E01", "reasons": []}]
    profiles = {"E01": {"name": "Ana", "role": "mentee", "email": "ana@tandem.example"}}
    batch = compose_letters(pairs, profiles, settings, run="R")
    assert [x.recipient for x in batch.letters] == ["E01"]
    assert batch.without_email == [("M01", "the profile is no longer kept (erased)")]
    assert "Dear Ana," in batch.letters[0].html
