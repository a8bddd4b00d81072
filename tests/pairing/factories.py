"""Small builders for participants, cohorts and rule sets used across engine tests."""

from __future__ import annotations

import dataclasses
import random
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from engine.base.resources import rules_dir
from engine.profiles.cohort import Cohort, Participant
from engine.rules.conditions import All, AnyOf, Compare, Condition, Difference, Not, Overlap, Test
from engine.rules.ruleset import Rule, Rules, RuleSet, Settings
from engine.rules.vocabulary import DeclaredField, Vocabulary, load_vocabulary

AS_OF = date(2026, 9, 1)
VOCABULARY: Vocabulary = load_vocabulary(rules_dir())
STYLES = list(VOCABULARY.learning_styles)
FAMILIES = list(VOCABULARY.job_families)[:4]
TOPICS = list(VOCABULARY.topics)[:4]
# The bundled vocabulary with themes declared for some topics, so that an overlap of a
# mentor's topics with a mentee's intentions can count something, and the declared fields
# that random people carry.
THEMED_VOCABULARY: Vocabulary = dataclasses.replace(VOCABULARY, topic_themes={
    "ai": ("digital-culture",), "social-media": ("digital-culture", "network"),
    "data": ("digital-tools", "projects")}, fields={
        "location": DeclaredField("location", "text", ("Paris", "Lyon", "Remote")),
        "grade": DeclaredField("grade", "number"),
        "languages": DeclaredField("languages", "list"),
        "remote_ok": DeclaredField("remote_ok", "flag")})


def person(pid: str, role: str = "mentor", **fields: Any) -> Participant:
    defaults: dict[str, Any] = {
        "name": f"Person {pid}", "learning_style": "reflector", "job_family": "finance",
        "department": "Finance", "subsidiary": "Bank", "hire_date": date(2020, 1, 1),
        "intentions": (VOCABULARY.intention_codes(role)[0],),
    }
    defaults.update(fields)
    return Participant(id=pid, role=role, **defaults)  # type: ignore[arg-type]


def cohort(*people: Participant) -> Cohort:
    return Cohort(sorted(people, key=lambda p: p.id), AS_OF, "test")


def rules_of(*rules: Rule, **settings: Any) -> Rules:
    return Rules(Path("test-rules"), {"pairing": RuleSet("pairing", tuple(rules),
                                                         Settings(**settings))},
                 VOCABULARY, {"test.yaml": repr(rules) + repr(settings)})


def rule(rid: str, when: Condition, points: int | None = None) -> Rule:
    if points is None:
        return Rule(rid, rid, f"because {rid}", when, "exclude", 0, "test.yaml", 1)
    return Rule(rid, rid, f"because {rid}", when, "score", points, "test.yaml", 1)


def copy_bundled_rules(target: Path) -> Path:
    shutil.copytree(rules_dir(), target)
    return target


# -- random cohorts and rule sets, for equivalence and optimality checks ---------------------
def random_person(rng: random.Random, pid: str, role: str, ids: list[str]) -> Participant:
    intentions = VOCABULARY.intention_codes(role)
    return person(
        pid, role,
        learning_style=rng.choice(STYLES), job_family=rng.choice(FAMILIES),
        department=rng.choice(["Finance", "Digital", "Ops"]),
        subsidiary=rng.choice(["Bank", "Insurance"]),
        hire_date=date(rng.randint(1995, 2025), rng.randint(1, 12), rng.randint(1, 28)),
        intentions=tuple(rng.sample(intentions, rng.randint(1, 3))),
        topics=tuple(rng.sample(TOPICS, rng.randint(0, 3))),
        capacity=rng.choice([None, 1, 2, 3]) if role == "mentor" else None,
        manager_id=rng.choice([i for i in ids if i != pid]) if rng.random() < 0.3 else None,
        email=rng.choice([None, f"{pid}@example.com"]),
        extra=_random_extra(rng),
    )


def _random_extra(rng: random.Random) -> dict[str, Any]:
    """Values of declared fields (location, grade, languages, remote_ok), some missing."""
    extra: dict[str, Any] = {}
    if rng.random() < 0.8:
        extra["location"] = rng.choice(["Paris", "Lyon", "Remote"])
    if rng.random() < 0.7:
        extra["grade"] = rng.choice([1, 2, 3.5, 6, 8])
    if rng.random() < 0.8:
        extra["languages"] = tuple(rng.sample(["fr", "en", "de"], rng.randint(1, 2)))
    if rng.random() < 0.7:
        extra["remote_ok"] = rng.random() < 0.5
    return extra


def random_cohort(rng: random.Random, n_mentors: int, n_mentees: int) -> Cohort:
    ids = [f"M{i}" for i in range(n_mentors)] + [f"E{i}" for i in range(n_mentees)]
    people = [random_person(rng, f"M{i}", "mentor", ids) for i in range(n_mentors)]
    people += [random_person(rng, f"E{i}", "mentee", ids) for i in range(n_mentees)]
    return cohort(*people)


def random_leaf(rng: random.Random) -> Condition:
    side = rng.choice(["mentor", "mentee"])
    pick = rng.randrange(15)
    if pick == 0:
        return Test(side, "learning_style", "eq", rng.choice(STYLES))  # type: ignore[arg-type]
    if pick == 1:
        return Test(side, "learning_style", rng.choice(["in", "not_in"]),  # type: ignore[arg-type]
                    tuple(rng.sample(STYLES, rng.randint(1, 3))))
    if pick == 2:
        return Test(side, "tenure_years", rng.choice(["at_least", "at_most"]),  # type: ignore[arg-type]
                    rng.choice([1, 2.5, 5, 10, 20]))
    if pick == 3:
        return Test("mentor", "capacity", rng.choice(["at_least", "eq"]), rng.choice([1, 2]))
    if pick == 4:
        return Test(side, "topics", "contains", rng.choice(TOPICS))  # type: ignore[arg-type]
    if pick == 5:
        role_codes = VOCABULARY.intention_codes(side)
        return Test(side, "intentions", "contains", rng.choice(role_codes))  # type: ignore[arg-type]
    if pick == 6:
        field = rng.choice(["learning_style", "job_family", "department", "subsidiary"])
        return Compare(rng.random() < 0.6, field, field)
    if pick == 7:
        return Compare(rng.random() < 0.7, *rng.choice([("id", "manager_id"),
                                                        ("manager_id", "id"),
                                                        ("manager_id", "manager_id"),
                                                        ("email", "email")]))
    if pick == 8:
        low = rng.randint(0, 3)
        high = rng.choice([None, low + rng.randint(0, 2)])
        return Overlap(rng.choice(["intentions", "topics"]), low, high)
    if pick == 9:
        if rng.random() < 0.5:
            return Test(side, "job_family", "eq", rng.choice(FAMILIES))  # type: ignore[arg-type]
        return Test(side, "job_family", "not_in", tuple(FAMILIES[:2]))  # type: ignore[arg-type]
    if pick == 11:
        low = rng.randint(0, 2)
        return Overlap(rng.choice(["topics", "intentions"]), low,
                       rng.choice([None, low + rng.randint(0, 1)]),
                       rng.choice(["topics", "intentions"]) + "")
    if pick == 12:
        bounds = sorted(rng.sample([-10, -2.5, 0, 5, 10, 12.25], 2))
        at_least, at_most = rng.choice([(bounds[0], None), (None, bounds[1]),
                                        (bounds[0], bounds[1])])
        mentor_field = "capacity" if rng.random() < 0.2 else "tenure_years"
        return Difference("tenure_years", mentor_field, at_least, at_most)
    if pick == 13:  # declared fields, whose values may be missing
        kind = rng.randrange(4)
        if kind == 0:
            return Test(side, "grade", rng.choice(["at_least", "at_most", "eq"]),  # type: ignore[arg-type]
                        rng.choice([2, 3.5, 6]))
        if kind == 1:
            return Difference("grade", rng.choice(["grade", "tenure_years"]),
                              rng.choice([None, 2, 4.5]), rng.choice([6, 10]))
        if kind == 2:
            return Test(side, "remote_ok", "eq", rng.random() < 0.5)  # type: ignore[arg-type]
        return Test(side, "location", rng.choice(["in", "not_in"]),  # type: ignore[arg-type]
                    ("Paris", "Remote"))
    if pick == 14:
        if rng.random() < 0.5:
            return Compare(rng.random() < 0.6, "location", "location")
        return Overlap("languages", rng.randint(0, 1), rng.choice([None, 1]))
    if rng.random() < 0.5:
        return Test(side, "manager_id", "eq", rng.choice(["M0", "E1"]))  # type: ignore[arg-type]
    return Test(side, "manager_id", rng.choice(["in", "not_in"]),  # type: ignore[arg-type]
                ("M0", "E0"))


def random_condition(rng: random.Random, depth: int = 0) -> Condition:
    if depth >= 2 or rng.random() < 0.45:
        return random_leaf(rng)
    kind = rng.randrange(3)
    if kind == 2:
        return Not(random_condition(rng, depth + 1))
    items = tuple(random_condition(rng, depth + 1) for _ in range(rng.randint(1, 3)))
    return All(items) if kind == 0 else AnyOf(items)


def random_rules(rng: random.Random, count: int) -> list[Rule]:
    out = []
    for i in range(count):
        points = None if rng.random() < 0.2 else rng.randint(-20, 40)
        out.append(rule(f"r{i}", random_condition(rng), points))
    return out
