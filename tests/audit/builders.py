"""Hand-made pairing results in the engine's JSON contract, for the audit tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from audit.commit import CommitInput

RULES_FILES = {"culture.yaml": "rules:\n  - id: culture/same-job-family\n",
               "settings.yaml": "settings:\n  objective: participation\n"}


def reason(rule: str = "culture/same-job-family", points: int = 30,
           **evidence: Any) -> dict[str, Any]:
    return {"rule": rule, "title": "Same job family",
            "because": "A shared professional language makes the first sessions concrete.",
            "effect": "score", "points": points,
            "evidence": evidence or {"mentor.job_family": "finance",
                                     "mentee.job_family": "finance"}}


def pair(mentor: str, mentee: str, score: int = 30,
         reasons: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"mentor": mentor, "mentee": mentee, "score": score,
            "sentence": f"Name {mentor} ({mentor}) mentors Name {mentee} ({mentee}), "
                        f"score {score}: same job family.",
            "reasons": list(reasons) if reasons is not None else [reason(points=score)]}


def unpaired(pid: str, role: str = "mentee", why_: str = "outscored") -> dict[str, Any]:
    return {"id": pid, "role": role, "reason": why_,
            "why": f"3 eligible mentors; every one is in a pair worth more ({pid})",
            "detail": {"candidates": 3, "eligible": 3}}


def result(pairs: Iterable[dict[str, Any]] = (), unpaired_: Iterable[dict[str, Any]] = (),
           input_digest: str = "sha256:" + "b" * 64) -> dict[str, Any]:
    pairs, left = list(pairs), list(unpaired_)
    return {"tandem_version": "0.1.0", "rules_digest": "sha256:" + "a" * 64,
            "input_digest": input_digest, "as_of": "2026-09-01",
            "settings": {"objective": "participation", "min_score": 0, "default_capacity": 1},
            "pairs": pairs, "unpaired": left,
            "summary": {"mentors": len(pairs), "mentees": len(pairs), "pairs": len(pairs),
                        "total_score": sum(p["score"] for p in pairs), "unpaired": len(left)}}


def profile(pid: str, role: str) -> dict[str, Any]:
    return {"id": pid, "role": role, "name": f"Name {pid}", "job_family": "finance",
            "protected": {"gender": "x", "birth_year": 1970}}


def cohort_input(mentors: Sequence[str], mentees: Sequence[str],
                 busy: frozenset[str] = frozenset()) -> CommitInput:
    """Pair free mentors with free mentees in order; the rest are unpaired."""
    free_mentors = [m for m in mentors if m not in busy]
    free_mentees = [e for e in mentees if e not in busy]
    couples = zip(free_mentors, free_mentees, strict=False)  # the shorter side sets the count
    pairs = [pair(m, e, 30 + i % 20) for i, (m, e) in enumerate(couples)]
    taken = {p["mentor"] for p in pairs} | {p["mentee"] for p in pairs}
    left = [unpaired(p, "mentor" if p in mentors else "mentee",
                     "already-paired" if p in busy else "outscored")
            for p in [*mentors, *mentees] if p not in taken]
    profiles = [profile(m, "mentor") for m in mentors] + [profile(e, "mentee") for e in mentees]
    return CommitInput(result(pairs, left), RULES_FILES, profiles)


def ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(1, n + 1)]
