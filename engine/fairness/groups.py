"""The groups a person belongs to, for fairness monitoring: profile in, {attribute: group} out.

Protected attributes come from the profile's ``protected`` object: ``gender`` as given, an
age band derived from ``birth_year`` at the run's as-of date, and any other key as given.
Two attributes that are not protected are monitored too: ``subsidiary`` and ``job_family``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

NOT_GIVEN = "(not given)"
AGE_BAND = "age_band"
VISIBLE = ("subsidiary", "job_family")
# Upper bounds (exclusive) of the age bands, in years at the as-of date.
_BANDS = ((30, "under 30"), (40, "30-39"), (50, "40-49"), (60, "50-59"))


def age_band(birth_year: Any, as_of: date) -> str:
    """The age band at ``as_of`` of someone born in ``birth_year`` (age as_of.year - birth
    year): under 30, 30-39, 40-49, 50-59, 60 and over; NOT_GIVEN for no usable year."""
    if isinstance(birth_year, bool) or not isinstance(birth_year, int | float):
        return NOT_GIVEN
    age = as_of.year - int(birth_year)
    for upper, label in _BANDS:
        if age < upper:
            return label
    return "60 and over"


def _text(value: Any) -> str:
    if value is None or value == "":
        return NOT_GIVEN
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def person_groups(profile: Mapping[str, Any], as_of: date) -> dict[str, str]:
    """{attribute: group} for one profile: the protected attributes it has, then subsidiary
    and job family. ``birth_year`` becomes ``age_band``."""
    groups: dict[str, str] = {}
    protected = profile.get("protected")
    if isinstance(protected, Mapping):
        for key, value in sorted(protected.items()):
            if key == "birth_year":
                groups[AGE_BAND] = age_band(value, as_of)
            else:
                groups[str(key)] = _text(value)
    for key in VISIBLE:
        groups[key] = _text(profile.get(key))
    return groups


def protected_attributes(groups: Mapping[str, str]) -> list[str]:
    return [a for a in groups if a not in VISIBLE]
