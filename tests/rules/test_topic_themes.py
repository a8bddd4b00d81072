"""Themes for topics: the bundled vocabulary gives every topic its themes, so that an
overlap of a mentor's topics with a mentee's intentions works out of the box; an overlap of
topics with topics still compares topics; `rules compare` reports a vocabulary change that
changes which pairs a rule fires on."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from engine.base.resources import rules_dir
from engine.evaluation.features import PairSpace
from engine.evaluation.inputs import load_inputs
from engine.pairing.compare import compare
from engine.pairing.pipeline import pair_cohort
from engine.rules.conditions import Overlap
from engine.rules.ruleset import load_rules
from tests.pairing.factories import VOCABULARY, person
from tests.rules.helpers import EXAMPLE, rule_file, rules_copy

ANSWER = rule_file(("topics/answer-intentions",
                    "{overlap: {mentor: topics, mentee: intentions, at_least: 1}}",
                    "{score: 15}"))


def test_every_bundled_topic_serves_themes() -> None:
    """Each topic of the bundled vocabulary declares at least one theme."""
    assert set(VOCABULARY.topic_themes) == set(VOCABULARY.topics)


def test_the_guides_cross_field_overlap_fires_with_the_bundled_vocabulary(
        tmp_path: Path) -> None:
    """`overlap: {mentor: topics, mentee: intentions}` fires on pairs of the example."""
    cohort, rules, _ = load_inputs(EXAMPLE, rules_copy(tmp_path / "r", ANSWER))
    result = pair_cohort(cohort, rules)
    fired = [r for p in result["pairs"] for r in p["reasons"]
             if r["rule"] == "topics/answer-intentions"]
    assert fired
    assert all(r["evidence"]["themes shared by mentor.topics and mentee.intentions"]
               for r in fired)
    assert not any("topics/answer-intentions" in w["message"] for w in result["warnings"])


def test_an_overlap_of_topics_compares_topics_not_their_themes() -> None:
    """Two people whose topics share a theme but no topic share nothing on `topics`."""
    mentor = person("M1", "mentor", topics=("ai",))  # digital-culture, digital-tools
    mentee = person("E1", "mentee", topics=("remote-work",))  # digital-culture
    assert set(VOCABULARY.topic_themes["ai"]) & set(VOCABULARY.topic_themes["remote-work"])
    same = Overlap("topics", 1, None)
    across = Overlap("topics", 1, None, "intentions")
    space = PairSpace([same, across], [mentor], [mentee], VOCABULARY, date(2026, 9, 1), 1)
    features = space.pair_features(mentor, mentee)
    assert features[space.atom_for(same).name] == 0
    assert space.features(int(space.codes(slice(None), slice(None))[0, 0]))[
        space.atom_for(same).name] == 0
    both = person("E2", "mentee", topics=("ai", "remote-work"))
    assert PairSpace([same], [mentor], [both], VOCABULARY, date(2026, 9, 1), 1
                     ).pair_features(mentor, both)["f0"] == 1


def test_compare_reports_a_vocabulary_change_that_moves_a_rule(tmp_path: Path) -> None:
    """The same rule text under another vocabulary fires on other pairs: it is changed."""
    new = rules_copy(tmp_path / "r")
    path = new / "vocabulary.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("themes: [digital-tools]\n      understand-company-jobs",
                                 "themes: [digital-culture]\n      understand-company-jobs"),
                    "utf-8")
    assert path.read_text("utf-8") != text
    cohort, old_rules, _ = load_inputs(EXAMPLE)
    found = compare(old_rules, load_rules(new), cohort)
    changed = {c["id"]: c["changes"] for c in found["rules"]["changed"]}
    assert "intentions/overlap" in changed
    (change,) = changed["intentions/overlap"]
    assert change["field"] == "pairs it fires on"
    assert change["new"].endswith("; vocabulary.yaml changed)")
    assert "intentions/shared-topic" not in changed  # topics compare topics: unmoved
    assert found["rules"]["unchanged"] == len(old_rules.pairing.rules) - len(changed)


def test_compare_of_themes_added_to_topics_leaves_shared_topic_unchanged(
        tmp_path: Path) -> None:
    """Removing every topic's themes changes no pair of `intentions/shared-topic`."""
    old = rules_copy(tmp_path / "r")
    path = old / "vocabulary.yaml"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("  topics:"))
    end = next(i for i, line in enumerate(lines) if line.startswith("  intentions:"))
    kept = [line for line in lines[start:end] if "themes:" not in line]
    path.write_text("".join(lines[:start] + kept + lines[end:]), "utf-8")
    assert load_rules(old).vocabulary.topic_themes == {}
    cohort, new_rules, _ = load_inputs(EXAMPLE, rules_dir())
    found = compare(load_rules(old), new_rules, cohort)
    assert found["rules"]["changed"] == []
    assert found["cohort"]["changed_pairs"] == []
