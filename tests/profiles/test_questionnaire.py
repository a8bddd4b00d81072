"""The learning-style questionnaire: answers give a style with its evidence, or say why not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.base.resources import rules_dir
from engine.profiles.questionnaire import load_questionnaire, score
from engine.rules.vocabulary import load_vocabulary

DATA = Path(__file__).parents[2] / "examples" / "hr"
ANSWERS = DATA / "answers.csv"

@pytest.fixture
def run(tandem):
    """`tandem ARGS...` as the other command-line tests run it, paths turned into text."""
    from click.testing import CliRunner

    from tests.conftest import PLAIN_ENV

    def invoke(*args, env=None):
        return CliRunner().invoke(tandem, [str(a) for a in args], prog_name="tandem",
                                  env={**PLAIN_ENV, "TANDEM_RULES": None, **(env or {})})
    return invoke



@pytest.fixture(scope="module")
def questionnaire():
    return load_questionnaire(rules_dir() / "questionnaire.yaml", load_vocabulary(rules_dir()))


def test_bundled_questionnaire_scores_every_item(questionnaire) -> None:
    """Twenty statements, five towards each of the vocabulary's four styles."""
    assert len(questionnaire.items) == 20
    assert {s: questionnaire.of(s) for s in questionnaire.styles} == {
        "activist": 5, "reflector": 5, "theorist": 5, "pragmatist": 5}


def test_highest_total_wins_with_its_evidence(questionnaire) -> None:
    """Four action items agreed and one practice item: activist, 4 of 5 action items."""
    answers = {i.id: i.id in ("q01", "q05", "q09", "q13", "q04") for i in questionnaire.items}
    derived = score(questionnaire, "M01", 2, answers)
    assert derived.style == "activist"
    assert derived.why == "activist (4 of 5 action items)"
    assert derived.totals == {"activist": 4, "reflector": 0, "theorist": 0, "pragmatist": 1}


def test_a_tie_derives_nothing_and_names_the_styles(questionnaire) -> None:
    """Equal top totals give no style, and the explanation names both."""
    answers = {i.id: i.id in ("q01", "q05", "q04", "q08") for i in questionnaire.items}
    derived = score(questionnaire, "E02", 5, answers)
    assert derived.style is None
    assert derived.why.startswith("tie between activist and pragmatist (2 agreed each)")


def test_too_few_answers_derive_nothing(questionnaire) -> None:
    """Fewer answers than scoring.min_answered give no style, with the counts."""
    answers = {i.id: True for i in questionnaire.items[:15]}
    derived = score(questionnaire, "E03", 6, answers)
    assert derived.style is None
    assert derived.why == "answered 15 of 20 statements; at least 16 are needed"


def test_answer_sheets_give_the_known_styles(run) -> None:
    """The fixture's five sheets: three styles, a tie and an incomplete sheet."""
    result = run("import", ANSWERS, "--questionnaire", "--format", "json")
    assert result.exit_code == 0, result.output
    people = json.loads(result.stderr)["people"]
    assert {pid: p["learning_style"] for pid, p in people.items()} == {
        "M01": "activist", "M02": "pragmatist", "E01": "theorist", "E02": None, "E03": None}
    assert people["M02"]["why"] == "pragmatist (5 of 5 practice items)"
    assert people["E02"]["why"].startswith("tie between activist and pragmatist")
    assert people["E03"]["why"].startswith("answered 10 of 20 statements")


def test_into_sets_styles_keeps_evidence_and_explains(run, tmp_path: Path) -> None:
    """--into writes the derived styles into the cohort; explain then shows the evidence."""
    cohort = tmp_path / "cohort.json"
    run("import", DATA / "hris-export.csv", "--map", DATA / "mapping.yaml", "--out", cohort)
    before = {p["id"]: p for p in json.loads(cohort.read_text("utf-8"))["participants"]}
    styled = tmp_path / "styled.json"
    result = run("import", ANSWERS, "--questionnaire", "--into", cohort, "--out", styled)
    assert result.exit_code == 0, result.output
    document = json.loads(styled.read_text("utf-8"))
    after = {p["id"]: p for p in document["participants"]}
    assert after["M02"]["learning_style"] == "pragmatist"
    assert after["E01"]["learning_style"] == "theorist"
    assert after["E02"]["learning_style"] == before["E02"]["learning_style"]  # the tie
    kept = document["program"]["import"]["questionnaire"]
    assert kept["file"] == "questionnaire.yaml" and kept["answers"] == "answers.csv"
    assert kept["people"]["M01"]["totals"]["activist"] == 4
    assert document["program"]["import"]["rows"]["M01"] == 2  # the HR import's trace stays
    assert run("validate", styled).exit_code == 0
    explained = run("explain", styled, "M01", "E07", "--format", "json")
    evidence = [r["evidence"] for r in json.loads(explained.stdout)["reasons"]
                if "mentor.learning_style" in r["evidence"]]
    assert evidence and evidence[0]["mentor.learning_style (questionnaire)"] == (
        "activist (4 of 5 action items)")


def test_a_bad_answer_is_located_and_nothing_written(run, tmp_path: Path) -> None:
    """An answer that is neither agree nor disagree: row, column, did-you-mean; no file."""
    broken = tmp_path / "answers.csv"
    broken.write_text(ANSWERS.read_text("utf-8").replace("M01,Agree", "M01,Agre"), "utf-8")
    out = tmp_path / "styled.json"
    result = run("import", broken, "--questionnaire", "--out", out)
    assert result.exit_code == 1
    assert "row 2, column 'q01': error: 'Agre' is neither agree nor disagree" in result.stderr
    assert "did you mean 'agree'?" in result.stderr
    assert not out.exists()


# -- `tandem rules check` checks the questionnaire like a rule file -----------------------------

def _rules_with(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(rules_dir(), folder)
    path = folder / "questionnaire.yaml"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    return folder


@pytest.mark.parametrize(("old", "new", "expected"), [
    # an item counting towards a misspelt style would be left unscored
    ("    style: theorist\n    text: I want", "    style: theorst\n    text: I want",
     "line 35: error: item 'q03' counts towards 'theorst', which 'styles' does not score, so "
     "it would be left unscored; did you mean 'theorist'?"),
    # a scored style that is not in the vocabulary
    ("  pragmatist: practice items", "  pragmatic: practice items",
     "line 25: error: 'pragmatic' is not a learning style of the vocabulary"),
    # a misspelt section
    ("items:\n", "itms:\n", "line 27: error: unknown section 'itms'"),
])
def test_rules_check_locates_questionnaire_errors(run, tmp_path: Path, old: str, new: str,
                                                  expected: str) -> None:
    """A broken questionnaire fails `rules check` with its line and a did-you-mean."""
    folder = _rules_with(tmp_path, old, new)
    result = run("rules", "check", "--rules", folder)
    assert result.exit_code == 1
    assert expected in result.stderr, result.stderr


def test_rules_check_refuses_a_style_without_items(run, tmp_path: Path) -> None:
    """A style no statement counts towards is refused, by line."""
    folder = _rules_with(tmp_path, "  - id: q20\n    style: pragmatist",
                         "  - id: q20\n    style: activist")
    text = (folder / "questionnaire.yaml").read_text("utf-8")
    for n in ("04", "08", "12", "16"):
        text = text.replace(f"  - id: q{n}\n    style: pragmatist",
                            f"  - id: q{n}\n    style: theorist")
    (folder / "questionnaire.yaml").write_text(text, "utf-8")
    result = run("rules", "check", "--rules", folder)
    assert result.exit_code == 1
    assert "line 25: error: no item counts towards 'pragmatist'" in result.stderr


def test_questionnaire_is_not_a_rule_file(run) -> None:
    """The questionnaire is checked, but the rules digest does not depend on it."""
    result = run("rules", "check", "--format", "json")
    report = json.loads(result.stdout)
    assert report["questionnaire_digest"].startswith("sha256:")
    assert report["rules"] == {"pairing": 14, "my_job_days": 4}
