"""Refusals: what the log says about a pair that forbids recording a check-in or an outcome.

Each check takes a fact and the ``PairBook`` and returns why it must be refused (a message
and a "did you mean"), or None. Refusals: a pair the log never formed, a pair no longer
active (check-ins only), a date in the future or before the pair began, a second outcome.
"""

from __future__ import annotations

from datetime import date

from engine.base.suggest import closest
from engine.followup.facts import Checkin, Outcome, PairBook, PairRecord

Refusal = tuple[str, str | None]  # message, suggestion


def _unknown(mentor: str, mentee: str, book: PairBook) -> Refusal:
    """A pair the log never formed; the closest pair it did form, as a hint."""
    pairs = sorted(book.pairs)
    mentees = [e for m, e in pairs if m == mentor]
    mentors = [m for m, e in pairs if e == mentee]
    hint = (f"{mentor} {closest(mentee, mentees)}" if closest(mentee, mentees)
            else f"{closest(mentor, mentors)} {mentee}" if closest(mentor, mentors)
            else closest(f"{mentor} {mentee}", [f"{m} {e}" for m, e in pairs]))
    return (f"{mentor} and {mentee} were never paired; check the ids (`tandem status` lists "
            "the active pairs)", hint)


def _find(mentor: str, mentee: str, book: PairBook) -> PairRecord | Refusal:
    record = book.get(mentor, mentee)
    if record is not None:
        return record
    run = book.proposed.get((mentor, mentee))
    if run is not None:
        return (f"{mentor} and {mentee} are a proposal of run {run}, waiting for approval "
                f"(`tandem approve {run}`); nothing is recorded about a pair before it is "
                "formed", None)
    return _unknown(mentor, mentee, book)


def check_checkin(fact: Checkin, book: PairBook, today: date) -> Refusal | None:
    """Why this check-in cannot be recorded, or None when it can."""
    found = _find(fact.mentor, fact.mentee, book)
    if not isinstance(found, PairRecord):
        return found
    if not found.active:
        how = (f"separated on {found.ended} ({found.separation})" if found.separation
               else f"ended by its outcome ({found.outcome}, entry {found.outcome_seq})"
               if found.outcome is not None else "no longer active")
        return (f"{fact.mentor} and {fact.mentee} are not an active pair ({how}); a check-in "
                "is recorded for an active pair only", None)
    day = fact.on or today
    if day > today:
        return (f"the date {day} is in the future (today is {today}); give the day the "
                "check-in took place", None)
    if day < found.began:
        return (f"the date {day} is before the pair began ({found.began}, entry "
                f"{found.seq}); give the day the check-in took place", None)
    return None


def check_outcome(fact: Outcome, book: PairBook) -> Refusal | None:
    """Why this outcome cannot be recorded, or None when it can."""
    found = _find(fact.mentor, fact.mentee, book)
    if not isinstance(found, PairRecord):
        return found
    if found.outcome is not None:
        return (f"{fact.mentor} and {fact.mentee} already have an outcome ({found.outcome}, "
                f"entry {found.outcome_seq}); an outcome is recorded once: to correct it, "
                f"`tandem outcome {fact.mentor} {fact.mentee} --result RESULT --correct "
                "--reason TEXT` records a correction that supersedes it", None)
    return None
