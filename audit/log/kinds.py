"""The name of every kind of entry the log holds, in one place.

A pairing run writes ``run``, ``pair`` and ``unpaired``; the lifecycle writes the kinds of
`engine.program.events`; my job days write ``my_job_day_run``, ``my_job_day`` and
``my_job_day_unmet``; follow-up writes ``checkin``, ``outcome`` and its ``correction``;
`tandem letters --send` writes ``letter`` (no state depends on it); `tandem erase` writes
``erasure``. Each kind's keys are
documented in docs/audit.md, and the fold in `audit.state` gives each one its meaning.
"""

from __future__ import annotations

from engine.program.events import (
    KIND_APPROVAL,
    KIND_CORRECTION,
    KIND_DECISION,
    KIND_REASSIGNMENT,
    KIND_REJECTION,
    KIND_REJOIN,
    KIND_SEPARATION,
    KIND_WITHDRAWAL,
    LIFECYCLE_KINDS,
)

KIND_RUN = "run"
KIND_PAIR = "pair"
KIND_UNPAIRED = "unpaired"
PAIRING_KINDS = (KIND_RUN, KIND_PAIR, KIND_UNPAIRED)

KIND_MY_JOB_DAY_RUN = "my_job_day_run"
KIND_MY_JOB_DAY = "my_job_day"
KIND_MY_JOB_DAY_UNMET = "my_job_day_unmet"
MY_JOB_DAY_KINDS = (KIND_MY_JOB_DAY_RUN, KIND_MY_JOB_DAY, KIND_MY_JOB_DAY_UNMET)

KIND_CHECKIN = "checkin"
KIND_OUTCOME = "outcome"
FOLLOWUP_KINDS = (KIND_CHECKIN, KIND_OUTCOME, KIND_CORRECTION)

KIND_LETTER = "letter"  # an introduction letter sent (audit.letters)
LETTER_KINDS = (KIND_LETTER,)

# Personal data erased from the tables outside the chain: who erased, when, why, which rows.
KIND_ERASURE = "erasure"

ALL_KINDS = (PAIRING_KINDS + LIFECYCLE_KINDS + MY_JOB_DAY_KINDS + FOLLOWUP_KINDS
             + LETTER_KINDS + (KIND_ERASURE,))

__all__ = [
    "ALL_KINDS", "FOLLOWUP_KINDS", "KIND_APPROVAL", "KIND_CHECKIN", "KIND_CORRECTION",
    "KIND_DECISION", "KIND_ERASURE", "KIND_LETTER", "KIND_MY_JOB_DAY", "KIND_MY_JOB_DAY_RUN",
    "KIND_MY_JOB_DAY_UNMET", "KIND_OUTCOME", "KIND_PAIR", "KIND_REASSIGNMENT",
    "KIND_REJECTION", "KIND_REJOIN", "KIND_RUN", "KIND_SEPARATION", "KIND_UNPAIRED",
    "KIND_WITHDRAWAL", "LETTER_KINDS", "LIFECYCLE_KINDS", "MY_JOB_DAY_KINDS", "PAIRING_KINDS",
]
