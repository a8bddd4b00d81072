"""`tandem rules check`: every broken rule file gets a located message, compared exactly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from engine.base.resources import rules_dir

RULE = "  - id: {id}\n    title: T\n    because: B\n    when: {when}\n    then: {then}\n"


def _file(*rules: tuple[str, str, str], ruleset: str = "pairing") -> str:
    body = "".join(RULE.format(id=i, when=w, then=t) for i, w, t in rules)
    return f"ruleset: {ruleset}\nrules:\n{body}"


CASES = [
    # -- unknown names and values -----------------------------------------------------------
    ("unknown field", _file(("a/x", "{mentor.job_familly: finance}", "{score: 1}")),
     "r/extra.yaml: line 6: error: unknown field mentor.job_familly; did you mean "
     "'job_family'?"),
    ("unknown vocabulary value", _file(("a/x", "{mentee.learning_style: theorst}", "exclude")),
     "r/extra.yaml: line 6: error: 'theorst' is not a known mentee.learning_style value in "
     "vocabulary.yaml; did you mean 'theorist'?"),
    ("intention of the other role",
     _file(("a/x", "{mentor.intentions: {contains: support-a-junior}}", "exclude")),
     "r/extra.yaml: line 6: error: 'support-a-junior' is a mentee intention; mentors use "
     "their own codes: career-progression, contribute-to-a-project, showcase-digital-skills, "
     "teach-digital-tools, understand-company-jobs, build-a-network"),
    ("unknown condition", _file(("a/x", "{sme: job_family}", "exclude")),
     "r/extra.yaml: line 6: error: unknown condition 'sme'; use all, any, not, same, different, "
     "overlap, difference, or mentor.FIELD / mentee.FIELD / pair.FIELD; did you mean "
     "'same'?"),
    ("unknown ruleset", _file(("a/x", "{same: job_family}", "exclude"), ruleset="pairng"),
     "r/extra.yaml: line 1: error: 'pairng' is not one of ['pairing', 'my_job_days']; did you "
     "mean 'pairing'?"),
    # -- operators and types ----------------------------------------------------------------
    ("operator unfit for a text field",
     _file(("a/x", "{mentor.job_family: {at_least: 3}}", "exclude")),
     "r/extra.yaml: line 6: error: mentor.job_family takes in, not_in or a text; got at_least"),
    ("contains on a text field", _file(("a/x", "{mentee.department: {contains: x}}", "exclude")),
     "r/extra.yaml: line 6: error: mentee.department takes in, not_in or a text; got contains"),
    ("an operator no field takes",
     _file(("a/x", "{mentor.tenure_years: {greater_than: 3}}", "exclude")),
     "r/extra.yaml: line 6: error: mentor.tenure_years takes at_least, at_most, in, not_in or a "
     "number; got greater_than"),
    ("an operator on a list field", _file(("a/x", "{mentee.topics: {in: [ai]}}", "exclude")),
     "r/extra.yaml: line 6: error: mentee.topics takes contains; got in"),
    # -- overlap across fields and differences ------------------------------------------------
    ("overlap across fields with a text field",
     _file(("a/x", "{overlap: {mentor: topics, mentee: department, at_least: 1}}", "exclude")),
     "r/extra.yaml: line 6: error: overlap counts shared values of a list field; department is "
     "a text field (list fields: intentions, topics, my_job_day.discover)"),
    ("overlap with one side only",
     _file(("a/x", "{overlap: {mentor: topics, at_least: 1}}", "exclude")),
     "r/extra.yaml: line 6: error: overlap needs field: F, or both mentor: F and mentee: G"),
    ("overlap with field and sides",
     _file(("a/x", "{overlap: {field: topics, mentee: intentions, at_least: 1}}", "exclude")),
     "r/extra.yaml: line 6: error: overlap takes either field: F (the same field on both sides) "
     "or mentor: F and mentee: G, not both"),
    ("difference of text fields",
     _file(("a/x", "{difference: {mentee: department, mentor: tenure_years, at_least: 1}}",
            "exclude")),
     "r/extra.yaml: line 6: error: difference subtracts numbers; mentee.department is a text "
     "field (number fields: tenure_years, capacity)"),
    ("difference without a bound",
     _file(("a/x", "{difference: {mentee: tenure_years, mentor: tenure_years}}", "exclude")),
     "r/extra.yaml: line 6: error: difference needs a bound: {mentee: F, mentor: G, at_least: "
     "N} or at_most: N"),
    ("difference bound too precise",
     _file(("a/x", "{difference: {mentee: tenure_years, mentor: tenure_years, at_least: "
                   "1.23456}}", "exclude")),
     "r/extra.yaml: line 6: error: difference at_least takes a number between "
     "-1,000,000,000 and 1,000,000,000 with at most 4 digits after the decimal point, got "
     "1.23456"),
    ("difference reads a mentee's capacity",
     _file(("a/x", "{difference: {mentee: capacity, mentor: capacity, at_most: 1}}",
            "exclude")),
     "r/extra.yaml: line 6: error: mentees have no capacity; only mentor.capacity can be read"),
    ("number for a number field", _file(("a/x", "{mentor.tenure_years: {at_least: two}}",
                                         "exclude")),
     "r/extra.yaml: line 6: error: at_least takes a number, got \"two\""),
    ("overlap of a text field", _file(("a/x", "{overlap: {field: department, at_least: 1}}",
                                       "exclude")),
     "r/extra.yaml: line 6: error: overlap counts shared values of a list field; department is "
     "a text field (list fields: intentions, topics, my_job_day.discover)"),
    ("same on a list field", _file(("a/x", "{same: topics}", "exclude")),
     "r/extra.yaml: line 6: error: same/different compare single values; for list fields use "
     "overlap: {field: ..., at_least: 1}"),
    ("dates are not compared", _file(("a/x", "{mentor.hire_date: '2020-01-01'}", "exclude")),
     "r/extra.yaml: line 6: error: rules compare tenure, not dates; use tenure_years (derived "
     "from hire_date)"),
    ("mentees have no capacity", _file(("a/x", "{mentee.capacity: {at_least: 2}}", "exclude")),
     "r/extra.yaml: line 6: error: mentees have no capacity; only mentor.capacity can be read"),
    ("fractional points", _file(("a/x", "{same: job_family}", "{score: 1.5}")),
     "r/extra.yaml: line 7: error: 'then' must be 'exclude' or {score: N} with a whole number N"),
    ("two conditions in one mapping", _file(("a/x", "{same: job_family, same: department}",
                                             "exclude")),
     "r/extra.yaml: line 6: error: duplicate key 'same' (first at line 6); YAML would silently "
     "keep only the last one, so remove or rename one"),
    ("two different conditions in one mapping",
     _file(("a/x", "{same: job_family, different: department}", "exclude")),
     "r/extra.yaml: line 6: error: a condition has exactly one key; to combine several, list "
     "them under 'all:' or 'any:'"),
    ("missing because", "ruleset: pairing\nrules:\n  - id: a/x\n    title: T\n"
                        "    when: {same: job_family}\n    then: exclude\n",
     "r/extra.yaml: line 3: error: the rule is missing 'because'; every rule needs id, title, "
     "because, when and then"),
    # -- data no pairing rule may read ------------------------------------------------------
    ("protected data", _file(("a/x", "{mentor.protected.gender: female}", "exclude")),
     "r/extra.yaml: line 6: error: rules may never read protected data "
     "(mentor.protected.gender); it is kept for fairness monitoring only, so remove this "
     "condition"),
    ("protected data in a my-job-day rule",
     _file(("a/x", "{mentee.protected: x}", "exclude"), ruleset="my_job_days"),
     "r/extra.yaml: line 6: error: rules may never read protected data (mentee.protected); it "
     "is kept for fairness monitoring only, so remove this condition"),
    ("my-job-day data in a pairing rule",
     _file(("a/x", "{mentee.my_job_day.host: true}", "{score: 1}")),
     "r/extra.yaml: line 6: error: a pairing rule may not read mentee.my_job_day.host: my job "
     "days are organised separately and never take part in pairing; move this rule to a file "
     "with 'ruleset: my_job_days'"),
    ("my-job-day data hidden in a comparison", _file(("a/x", "{any: [{same: job_family}, "
                                                      "{same: my_job_day.host}]}", "exclude")),
     "r/extra.yaml: line 6: error: a pairing rule may not read mentor.my_job_day.host: my job "
     "days are organised separately and never take part in pairing; move this rule to a file "
     "with 'ruleset: my_job_days'"),
    # -- my job days: their own sides and settings, apart from the pairing's ----------------
    ("a visitor in a pairing rule", _file(("a/x", "{visitor.job_family: it}", "exclude")),
     "r/extra.yaml: line 6: error: a pairing rule compares a mentor and a mentee, not a "
     "visitor: use mentor.FIELD or mentee.FIELD (visitor and host are the sides of my-job-day "
     "rules, in a file with 'ruleset: my_job_days')"),
    ("a mentor in a my-job-day rule",
     _file(("a/x", "{mentor.my_job_day.host: true}", "exclude"), ruleset="my_job_days"),
     "r/extra.yaml: line 6: error: a my-job-day rule compares a visitor and a host, not a "
     "mentor: use visitor.FIELD or host.FIELD (a visitor or a host may be a mentor or a "
     "mentee)"),
    ("mentor and mentee compared in a my-job-day rule",
     _file(("a/x", "{same: {mentor: id, mentee: manager_id}}", "exclude"),
           ruleset="my_job_days"),
     "r/extra.yaml: line 6: error: a my-job-day rule compares a visitor and a host, not a "
     "mentee: use visitor.FIELD or host.FIELD (a visitor or a host may be a mentor or a "
     "mentee)"),
    ("sides mixed in a comparison",
     _file(("a/x", "{same: {visitor: id, mentee: manager_id}}", "exclude"),
           ruleset="my_job_days"),
     "r/extra.yaml: line 6: error: same takes one field, or two named by side: {mentor: F, "
     "mentee: G} in a pairing rule, {visitor: F, host: G} in a my-job-day rule"),
    ("a couple's past in a my-job-day rule",
     _file(("a/x", "{pair.paired_before: true}", "exclude"), ruleset="my_job_days"),
     "r/extra.yaml: line 6: error: pair.paired_before is the past of a mentor-mentee couple; "
     "only pairing rules can read it"),
    ("a difference in a my-job-day rule",
     _file(("a/x", "{difference: {mentee: tenure_years, mentor: tenure_years, at_least: 5}}",
            "{score: 1}"), ruleset="my_job_days"),
     "r/extra.yaml: line 6: error: difference subtracts a mentor's number from a mentee's; it "
     "is read in pairing rules only"),
    ("a two-field overlap in a my-job-day rule",
     _file(("a/x", "{overlap: {mentor: intentions, mentee: topics, at_least: 1}}",
            "{score: 1}"), ruleset="my_job_days"),
     "r/extra.yaml: line 6: error: a my-job-day rule compares a visitor and a host: overlap "
     "takes field: F there (the same list field of both)"),
    ("capacity in a my-job-day rule",
     _file(("a/x", "{host.capacity: {at_least: 2}}", "{score: 1}"), ruleset="my_job_days"),
     "r/extra.yaml: line 6: error: host.capacity is a pairing field (how many mentees a mentor "
     "takes) and means nothing to my job days; a host's visitors per day are my_job_day.slots, "
     "which the planner applies itself"),
    # -- identity and structure -------------------------------------------------------------
    ("duplicate rule id", _file(("culture/same-job-family", "{same: job_family}", "exclude")),
     "r/extra.yaml: line 3: error: duplicate rule id 'culture/same-job-family' (first in "
     "r/culture.yaml, line 4); rule ids must be unique in a ruleset"),
    ("settings twice", "ruleset: pairing\nsettings: {min_score: 5}\n",
     "r/settings.yaml: line 4: error: settings for ruleset 'pairing' are given twice (first in "
     "r/extra.yaml, line 2); keep one"),
    # -- numbers the engine cannot read exactly ---------------------------------------------
    ("an infinite bound", _file(("a/x", "{mentor.tenure_years: {at_least: .inf}}", "exclude")),
     "r/extra.yaml: line 6: error: mentor.tenure_years takes a number between -1,000,000,000 "
     "and 1,000,000,000 with at most 4 digits after the decimal point, got .inf"),
    ("a negative infinite bound",
     _file(("a/x", "{mentor.tenure_years: {at_most: -.inf}}", "exclude")),
     "r/extra.yaml: line 6: error: mentor.tenure_years takes a number between -1,000,000,000 "
     "and 1,000,000,000 with at most 4 digits after the decimal point, got -.inf"),
    ("not a number", _file(("a/x", "{mentor.capacity: {in: [1, .nan]}}", "exclude")),
     "r/extra.yaml: line 6: error: mentor.capacity takes a number between -1,000,000,000 "
     "and 1,000,000,000 with at most 4 digits after the decimal point, got .nan"),
    ("a tiny number", _file(("a/x", "{mentor.tenure_years: {at_least: 0.00001}}", "exclude")),
     "r/extra.yaml: line 6: error: mentor.tenure_years takes a number between -1,000,000,000 "
     "and 1,000,000,000 with at most 4 digits after the decimal point, got 1e-05"),
    ("a number in exponent form",
     _file(("a/x", "{mentor.tenure_years: {at_least: 1.0e+18}}", "exclude")),
     "r/extra.yaml: line 6: error: mentor.tenure_years takes a number between -1,000,000,000 "
     "and 1,000,000,000 with at most 4 digits after the decimal point, got 1e+18"),
    ("a huge overlap bound",
     _file(("a/x", "{overlap: {field: topics, at_least: 100000000000000000000000000000}}",
            "exclude")),
     "r/extra.yaml: line 6: error: at_least takes a whole number from 0 to 1,000, got "
     "100000000000000000000000000000"),
    ("a huge min_score",
     "ruleset: my_job_days\nsettings: {min_score: 100000000000000000000000000000}\n",
     "r/extra.yaml: line 2: error: min_score takes a whole number from -1,000,000,000 to "
     "1,000,000,000, got 100000000000000000000000000000"),
    ("same capacity", _file(("a/x", "{same: capacity}", "exclude")),
     "r/extra.yaml: line 6: error: mentees have no capacity; only mentor.capacity can be read, "
     "so compare it with a number instead"),
    # -- texts ------------------------------------------------------------------------------
    ("an id with a control character", _file(('"a/\\ex"', "{same: job_family}", "exclude")),
     "r/extra.yaml: line 3: error: 'a/\\x1bx' is not a valid rule id: use lower-case letters, "
     "digits and '._/-', starting with a letter or digit"),
    ("an id with a final newline", _file(('"a/x\\n"', "{same: job_family}", "exclude")),
     "r/extra.yaml: line 3: error: 'a/x\\n' is not a valid rule id: use lower-case letters, "
     "digits and '._/-', starting with a letter or digit"),
    ("a blank title", "ruleset: pairing\nrules:\n  - id: a/x\n    title: '  '\n    because: B\n"
                      "    when: {same: job_family}\n    then: exclude\n",
     "r/extra.yaml: line 4: error: 'title' is empty or only spaces; write it for a compliance "
     "reviewer"),
    ("an empty because", "ruleset: pairing\nrules:\n  - id: a/x\n    title: T\n    because: ''\n"
                         "    when: {same: job_family}\n    then: exclude\n",
     "r/extra.yaml: line 5: error: 'because' is empty or only spaces; write it for a "
     "compliance reviewer"),
    # -- what the engine cannot hold ---------------------------------------------------------
    ("a rule no split brings within the engine",
     _file(("a/x", "{not: {any: [" + ", ".join(
         f"{{all: [{{mentor.department: d{i}}}, {{mentee.department: e{i}}}]}}"
         for i in range(30)) + "]}}", "exclude")),
     "r/extra.yaml: line 3: error: rule 'a/x': this rule needs more than 5000 engine rules "
     "once its 'any' groups and 'in' lists are split out; the engine holds at most 5000, so "
     "write it as several simpler rules"),
    # -- YAML the rule format never needs ----------------------------------------------------
    ("a python tag", "ruleset: !!python/name:os.system pairing\n",
     "r/extra.yaml: line 1, column 10: error: a YAML tag (!!python/name:os.system) is not "
     "allowed in a rule file; remove it and write the plain value"),
    ("a custom tag", "ruleset: !custom pairing\n",
     "r/extra.yaml: line 1, column 10: error: a YAML tag (!custom) is not allowed in a rule "
     "file; remove it and write the plain value"),
    ("a str tag", "ruleset: !!str pairing\n",
     "r/extra.yaml: line 1, column 10: error: a YAML tag (!!str) is not allowed in a rule "
     "file; remove it and write the plain value"),
    ("an anchor (billion laughs)", "ruleset: pairing\na: &a [x, x, x]\nb: &b [*a, *a, *a]\n",
     "r/extra.yaml: line 2, column 4: error: a YAML anchor (&a) is not allowed in a rule "
     "file; remove it and write each value out in full"),
    ("a recursive alias", "ruleset: pairing\nrules: &r [*r]\n",
     "r/extra.yaml: line 2, column 8: error: a YAML anchor (&r) is not allowed in a rule "
     "file; remove it and write each value out in full"),
    ("an alias without anchor", "ruleset: pairing\nrules: *r\n",
     "r/extra.yaml: line 2, column 8: error: a YAML alias (*r) is not allowed in a rule file; "
     "write the value out in full where it is needed"),
    ("a raw control character", "ruleset: pairing\ndescription: a\x1bb\n",
     "r/extra.yaml: line 2, column 15: error: not valid YAML: the control character '\\x1b' "
     "is not allowed; remove it, or write it as an escape inside double quotes"),
    ("nesting 200 deep", _file(("a/x", "{all: [" * 200 + "{same: job_family}" + "]}" * 200,
                                "exclude")),
     "r/extra.yaml: line 6, column 227: error: nested more than 64 levels deep; no rule needs "
     "that many, so flatten the all/any/not groups"),
    ("a file of brackets", "ruleset: pairing\nrules: " + "[" * 100000 + "\n",
     "r/extra.yaml: line 2, column 71: error: nested more than 64 levels deep; no rule needs "
     "that many, so flatten the all/any/not groups"),
    # -- YAML itself ------------------------------------------------------------------------
    ("not YAML", "ruleset: pairing\nrules: [\n",
     "r/extra.yaml: line 3, column 1: error: not valid YAML: expected the node content, but "
     "found '<stream end>'; check the indentation and quoting around this place"),
    ("a tab", "ruleset: pairing\nrules:\n\t- id: x\n",
     "r/extra.yaml: line 3: error: a tab is used for indentation; YAML allows only spaces, so "
     "replace the tab with spaces"),
    ("duplicate key", "ruleset: pairing\nruleset: my_job_days\n",
     "r/extra.yaml: line 2: error: duplicate key 'ruleset' (first at line 1); YAML would "
     "silently keep only the last one, so remove or rename one"),
    ("not a mapping", "- just\n- a list\n",
     "r/extra.yaml: line 1: error: expected a mapping with 'ruleset:' and 'rules:'; see "
     "docs/rules.md"),
]


# Settings are given once per ruleset: these cases replace the bundled settings' file.
SETTINGS_CASES = [
    ("a pairing setting for my job days", "my_job_days.yaml",
     "ruleset: my_job_days\nsettings:\n  objective: score\n  days: [2026-10-06]\n",
     "r/FILE: line 3: error: objective is a pairing setting and means nothing to the "
     "my-job-day planner; remove it (the planner's settings are days, visits_per_person and "
     "slots_per_host_per_day)"),
    ("a my-job-day setting for the pairing", "settings.yaml",
     "ruleset: pairing\nsettings:\n  days: [2026-10-06]\n",
     "r/FILE: line 3: error: days is a my-job-day setting and means nothing to the "
     "pairing; move it to the settings of a file with 'ruleset: my_job_days'"),
    ("a day that is not a date", "my_job_days.yaml",
     "ruleset: my_job_days\nsettings:\n  days:\n    - 2026-10-06\n    - next monday\n",
     "r/FILE: line 5: error: \"next monday\" is not a date; write each day as "
     "YYYY-MM-DD, e.g. 2026-10-06"),
    ("a day with no such month", "my_job_days.yaml",
     "ruleset: my_job_days\nsettings:\n  days: [2026-13-06]\n",
     "r/FILE: line 3: error: \"2026-13-06\" is not a date; write each day as "
     "YYYY-MM-DD, e.g. 2026-10-06"),
    ("a time, not a day", "my_job_days.yaml",
     "ruleset: my_job_days\nsettings:\n  days: [2026-10-06 09:00:00]\n",
     "r/FILE: line 3: error: \"2026-10-06 09:00:00\" is not a date; write each day as "
     "YYYY-MM-DD, e.g. 2026-10-06"),
    ("a day listed twice", "my_job_days.yaml",
     "ruleset: my_job_days\nsettings:\n  days:\n    - 2026-10-06\n    - 2026-10-06\n",
     "r/FILE: line 5: error: day 2026-10-06 is listed twice (first at line 4); keep one"),
    ("no visits at all", "my_job_days.yaml",
     "ruleset: my_job_days\nsettings:\n  visits_per_person: 0\n",
     "r/FILE: line 3: error: visits_per_person takes a whole number from 1 to 50, got 0"),
]


@pytest.fixture
def rules_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(rules_dir(), tmp_path / "r")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "r"


@pytest.mark.parametrize(("description", "text", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_broken_rule_file_is_reported_exactly(rules_copy: Path, description: str, text: str,
                                              expected: str) -> None:
    """Each broken rule file gives its file, line, what is wrong and the fix; exit 1."""
    (rules_copy / "extra.yaml").write_text(text)
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", "r"])
    assert result.exit_code == 1, description
    assert result.stderr.splitlines() == [expected, "1 error in the rules; nothing was done"]


def test_too_many_rules_are_refused(rules_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ruleset over the engine's capacity is refused before durable-rules sees it."""
    monkeypatch.setattr("engine.rules.ruleset.MAX_RULES", 20)
    many = [(f"bulk/r{i}", "{same: job_family}", "{score: 1}") for i in range(10)]
    (rules_copy / "extra.yaml").write_text(_file(*many))
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", "r"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "r: error: ruleset 'pairing' has 24 rules; the engine holds at most 20 per ruleset, "
        "so merge rules with 'in:' or 'any:'")


def test_the_rule_limit_is_the_engines_own() -> None:
    """The stated rule limit is the number of engine rules the engine holds."""
    from engine.evaluation.rete import MAX_ENGINE_RULES
    from engine.rules.ruleset import MAX_RULES

    assert MAX_RULES == MAX_ENGINE_RULES


def test_every_problem_is_reported_at_once(rules_copy: Path) -> None:
    """Several broken files and rules: every problem is listed, sorted by file and line."""
    (rules_copy / "a.yaml").write_text(_file(("a/x", "{mentor.job_familly: it}", "exclude"),
                                             ("a/y", "{mentee.learning_style: theorst}",
                                              "exclude")))
    (rules_copy / "b.yaml").write_text("ruleset: pairing\nruleset: pairing\n")
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", "r"])
    lines = result.stderr.splitlines()
    assert [line.split(": error")[0] for line in lines[:-1]] == [
        "r/a.yaml: line 6", "r/a.yaml: line 11", "r/b.yaml: line 2"]
    assert lines[-1] == "3 errors in the rules; nothing was done"


def test_check_as_json_lists_errors_for_tools(rules_copy: Path) -> None:
    """--format json gives file, path, message and suggestion for each error."""
    (rules_copy / "extra.yaml").write_text(_file(("a/x", "{mentor.job_familly: it}",
                                                  "exclude")))
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", "r", "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"] == [{
        "file": "r/extra.yaml", "path": "line 6", "severity": "error",
        "message": "unknown field mentor.job_familly", "suggestion": "job_family"}]


def test_missing_rules_directory_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    """A rules directory that does not exist: a clear message, exit 1 (not a traceback)."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", "nowhere"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "nowhere: error: no such rules directory; give a folder holding the rule files")


# -- the bundled rules are the reference ----------------------------------------------------
def test_bundled_rules_pass_the_check() -> None:
    """Every file in rules/ passes `tandem rules check`."""
    result = CliRunner().invoke(cli, ["rules", "check"])
    assert result.exit_code == 0, result.output
    assert "clean: 14 pairing rules, 4 my-job-day rules " in result.stdout


def test_rules_show_lists_every_pairing_rule() -> None:
    """`tandem rules show --format json` lists the rules with file and line."""
    result = CliRunner().invoke(cli, ["rules", "show", "--format", "json"])
    shown = json.loads(result.stdout)
    assert shown["settings"] == {"objective": "participation", "min_score": 10,
                                 "default_capacity": 1}
    ids = [r["id"] for r in shown["rules"]]
    assert "reporting-line/manager-and-report" in ids
    assert not any(i.startswith("my-job-days/") for i in ids)


@pytest.mark.parametrize("columns", ["80", "120", "300"])
def test_rules_show_never_cuts_a_rule_id(rules_copy: Path, columns: str) -> None:
    """At any width, piped or not, every rule id is printed whole on one line."""
    long_id = "a-rather-long-prefix/with-an-even-longer-and-very-descriptive-rule-name-x"
    (rules_copy / "extra.yaml").write_text(_file((long_id, "{same: job_family}", "exclude")))
    result = CliRunner().invoke(cli, ["rules", "show", "--rules", "r"],
                                env={"COLUMNS": columns})
    ids = [r["id"] for r in json.loads(CliRunner().invoke(
        cli, ["rules", "show", "--rules", "r", "--format", "json"]).stdout)["rules"]]
    assert long_id in ids
    for rule_id in ids:
        assert rule_id in result.stdout, (columns, rule_id)
    assert "…" not in result.stdout


def test_rules_that_read_too_many_features_are_refused(rules_copy: Path) -> None:
    """Over 250 distinct features per pair would overflow a durable-rules fact: refused."""
    topics = [f"{side}.topics" for side in ("mentor", "mentee")]
    vocabulary = rules_copy / "vocabulary.yaml"
    extra = "".join(f"    topic-{i}: Extra topic {i}.\n" for i in range(130))
    vocabulary.write_text(vocabulary.read_text().replace(
        "  topics:                 # digital topics a mentor offers or a mentee wants\n",
        "  topics:                 # digital topics a mentor offers or a mentee wants\n" + extra))
    many = [(f"bulk/{t.split('.')[0]}-{i}", f"{{{t}: {{contains: topic-{i}}}}}", "{score: 1}")
            for t in topics for i in range(130)]
    (rules_copy / "extra.yaml").write_text(_file(*many))
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", "r"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "r: error: ruleset 'pairing' reads 272 distinct pair features; the engine holds at "
        "most 250 per pair (durable-rules takes 255 properties per fact), so merge 'contains' "
        "tests into 'overlap' or fewer fields")


@pytest.mark.parametrize(("description", "file", "text", "expected"), SETTINGS_CASES,
                         ids=[c[0] for c in SETTINGS_CASES])
def test_broken_settings_are_reported_exactly(rules_copy: Path, description: str, file: str,
                                              text: str, expected: str) -> None:
    """Each ruleset takes its own settings only; a bad day is named with its line; exit 1."""
    (rules_copy / file).write_text(text)
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", "r"])
    assert result.exit_code == 1, description
    assert result.stderr.splitlines() == [expected.replace("FILE", file),
                                          "1 error in the rules; nothing was done"]


def test_schema_and_meaning_errors_are_reported_in_one_run(rules_copy: Path) -> None:
    """A file with schema errors still has the meaning of its accepted parts checked."""
    (rules_copy / "extra.yaml").write_text(
        "ruleset: pairing\ndescriptoin: typo\nrules:\n"
        "  - id: a/x\n    title: T\n    because: B\n"
        "    when: {all: [{mentor.job_familly: finance}, {same: {mentor: id}}]}\n"
        "    then: {score: 1.5}\n"
        "  - id: a/y\n    title: T\n"
        "    when: {mentee.tenure_years: {greater_than: 3}}\n    then: exclude\n")
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", "r"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "r/extra.yaml: line 2: error: unknown key 'descriptoin'; expected one of ruleset, "
        "description, settings, rules, constraints; did you mean 'description'?",
        "r/extra.yaml: line 7: error: same takes one field, or two named by side: {mentor: "
        "F, mentee: G} in a pairing rule, {visitor: F, host: G} in a my-job-day rule",
        "r/extra.yaml: line 7: error: unknown field mentor.job_familly; did you mean "
        "'job_family'?",
        "r/extra.yaml: line 8: error: 'then' must be 'exclude' or {score: N} with a whole "
        "number N",
        "r/extra.yaml: line 9: error: the rule is missing 'because'; every rule needs id, "
        "title, because, when and then",
        "r/extra.yaml: line 11: error: mentee.tenure_years takes at_least, at_most, in, not_in "
        "or a number; got greater_than",
        "6 errors in the rules; nothing was done"]


def test_a_pipe_named_like_a_rule_file_is_refused(rules_copy: Path) -> None:
    """A FIFO named *.yaml in the rules directory is refused at once, never read for ever."""
    import os

    os.mkfifo(rules_copy / "pipe.yaml")
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", "r"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "r/pipe.yaml: error: this is a named pipe (FIFO), not a regular file; give a saved "
        "rule file", "1 error in the rules; nothing was done"]


def test_a_rule_file_over_the_size_cap_is_refused(rules_copy: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule file over the cap is refused by its size, whatever it holds."""
    monkeypatch.setattr("engine.rules.yamlio.MAX_BYTES", 1024 * 1024)
    (rules_copy / "big.yaml").write_text("# " + "x" * (1024 * 1024) + "\n")
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", "r"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "r/big.yaml: error: the file is 1.1 MB, over the 1 MB limit; split it into several "
        "files")
