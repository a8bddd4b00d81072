"""Hostile names never break the output: user data is text, never markup or raw controls."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from cli.render import safe
from engine.base.resources import rules_dir

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "cohort.json"
ENV: dict[str, str | None] = {"NO_COLOR": "1", "FORCE_COLOR": None, "TANDEM_DB": None,
                              "TANDEM_RULES": None, "COLUMNS": "200"}
CLEAR = "\x1b[2J"
OSC8 = "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\"
ALWAYS = "{mentor.learning_style: {in: [activist, reflector, theorist, pragmatist]}}"
HOSTILE = ["[/bold]", "[/]", "[link=http://evil.example]x", CLEAR, OSC8, "a\u202eb"]


def _run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env=ENV)


def _raw_controls(text: str) -> list[str]:
    return [c for c in text if (ord(c) < 32 and c != "\n") or 0x7f <= ord(c) <= 0x9f
            or c == "\u202e"]


@pytest.mark.parametrize(("value", "shown"), [
    (CLEAR, "\\x1b[2J"),
    ("a\x00b\x7fc\x9bd", "a\\x00b\\x7fc\\x9bd"),
    ("line\nbreak\ttab", "line\\x0abreak\\x09tab"),
    ("a\u202eb\u2066c", "a\\u202eb\\u2066c"),
    ("[/bold] plain", "[/bold] plain"),
    ("Aïcha Benali", "Aïcha Benali"),
])
def test_control_characters_are_shown_escaped(value: str, shown: str) -> None:
    """Control characters, ESC and bidi marks become visible escapes; the rest is kept."""
    assert safe(value) == shown


@pytest.fixture
def hostile_cohort(tmp_path: Path) -> Path:
    """The example cohort with hostile names and departments."""
    people = json.loads(EXAMPLE.read_text("utf-8"))
    participants = people["participants"] if isinstance(people, dict) else people
    for person, text in zip(participants, HOSTILE * 10, strict=False):
        person["name"] = f"N{text}"
        person["department"] = f"D{text}"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(people), "utf-8")
    return path


@pytest.fixture
def hostile_rules(tmp_path: Path) -> Path:
    """The bundled rules plus rules whose titles and reasons hold markup and escapes."""
    target = tmp_path / "r"
    shutil.copytree(rules_dir(), target)
    body = "".join(
        f"  - id: hostile/r{i}\n    title: {json.dumps('T' + text)}\n"
        f"    because: {json.dumps('B' + text)}\n    when: {ALWAYS}\n"
        f"    then: {{score: {600 - 100 * i}}}\n" for i, text in enumerate(HOSTILE))
    (target / "hostile.yaml").write_text("ruleset: pairing\nrules:\n" + body, "utf-8")
    return target


def test_pair_table_shows_hostile_titles_as_text(hostile_cohort: Path,
                                                 hostile_rules: Path) -> None:
    """Markup in rule titles is printed as written; no escape reaches the terminal."""
    result = _run("pair", hostile_cohort, "--rules", hostile_rules)
    assert result.exit_code == 0, result.output
    assert _raw_controls(result.stdout) == []
    assert "T[/bold]" in result.stdout
    assert "T[link=http://evil.example]x" in result.stdout


def test_explain_shows_hostile_evidence_escaped(hostile_cohort: Path,
                                                hostile_rules: Path) -> None:
    """`explain` escapes rule texts and evidence."""
    result = _run("explain", hostile_cohort, "M01", "E01", "--rules", hostile_rules)
    assert result.exit_code == 0, result.output
    assert _raw_controls(result.stdout) == []
    assert "T\\x1b[2J" in result.stdout


def test_rules_show_prints_markup_as_text(hostile_rules: Path) -> None:
    """`rules show` prints a title holding [/] as text."""
    result = _run("rules", "show", "--rules", hostile_rules)
    assert result.exit_code == 0, result.output
    assert "T[/]" in result.stdout
    assert _raw_controls(result.stdout) == []


@pytest.mark.parametrize("actor", ["[/x]", CLEAR, OSC8, "[link=http://evil.example]me"])
def test_a_hostile_actor_never_breaks_the_audit_log(tmp_path: Path, actor: str) -> None:
    """An actor named with markup or escapes is committed, listed and shown as text."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    committed = _run("pair", EXAMPLE, "--commit", "--actor", actor, "--db", url)
    assert committed.exit_code == 0, committed.output
    assert _raw_controls(committed.stdout) == []
    for args in (["audit", "log"], ["audit", "show", "1"], ["audit", "show", "2"],
                 ["status"], ["audit", "verify"]):
        result = _run(*args, "--db", url)
        assert result.exit_code == 0, (args, result.output)
        assert _raw_controls(result.stdout) == [], args
    assert safe(actor) in _run("audit", "show", "1", "--db", url).stdout


def test_json_output_escapes_what_a_terminal_acts_on(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    """JSON output writes C1 controls and bidi marks as \\u escapes: the same JSON value."""
    from cli.render import print_json

    for value in ({"name": "x\x9by\u202ez\x1b\u2028"}, {"name": "ascii \x7f only"}):
        for compact in (False, True):
            print_json(value, compact)
            out = capsys.readouterr().out
            assert _raw_controls(out) == []
            assert json.loads(out) == value


@pytest.mark.parametrize("text", ["[/x]", CLEAR, OSC8])
def test_a_hostile_separation_reason_never_breaks_status_or_history(tmp_path: Path,
                                                                    text: str) -> None:
    """A separation reason and actor with markup or escapes are shown as text everywhere."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    committed = _run("pair", EXAMPLE, "--commit", "--db", url, "--format", "json")
    pair = json.loads(committed.stdout)["pairs"][0]
    for commit in ([], ["--commit"]):
        separated = _run("separate", pair["mentor"], pair["mentee"], "--reason", f"R{text}",
                         "--actor", f"A{text}", "--db", url, *commit)
        assert separated.exit_code == 0, separated.output
        assert _raw_controls(separated.stdout) == []
    for args in (["status"], ["history", pair["mentee"]], ["audit", "log"]):
        result = _run(*args, "--db", url)
        assert result.exit_code == 0, (args, result.output)
        assert _raw_controls(result.stdout) == [], args
    unknown = _run("history", f"X{text}", "--db", url)
    assert unknown.exit_code == 1
    assert _raw_controls(unknown.output) == []
    assert safe(f"R{text}") in _run("status", "--db", url).stdout
