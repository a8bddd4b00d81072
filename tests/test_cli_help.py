"""Meta-test: every command and subcommand of `tandem` has help text that ends with examples."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

PLAIN_ENV: dict[str, str | None] = {"NO_COLOR": "1", "FORCE_COLOR": None}


@pytest.fixture(scope="module")
def tandem() -> click.Group:
    """The `tandem` group with whatever commands are registered when `tandem` runs."""
    from cli import main

    main._register()
    return main.cli


def _walk(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command under ``group``, groups included, depth first."""
    for name, command in sorted(group.commands.items()):
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _walk(command, (*path, name))


def _examples(help_text: str) -> list[str]:
    """The lines of the help's "Examples:" section, stripped."""
    lines = help_text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == "Examples:"]
    if not starts:
        return []
    section = []
    for line in lines[starts[0] + 1:]:
        if not line.strip():
            break
        section.append(line.strip())
    return section


def _problems(tandem: click.Group, path: tuple[str, ...]) -> list[str]:
    result = CliRunner().invoke(tandem, [*path, "--help"], prog_name="tandem", env=PLAIN_ENV)
    name = " ".join(("tandem", *path))
    if result.exit_code != 0:
        return [f"`{name} --help` exits {result.exit_code}: {result.output.strip()}"]
    examples = _examples(result.stdout)
    if not examples:
        return [f"`{name} --help` has no 'Examples:' section"]
    if not any(line.startswith(f"{name} ") or line == name for line in examples):
        return [f"`{name} --help` has no example line starting with '{name}'"]
    return []


def test_walk_finds_nested_commands() -> None:
    """The walk reaches subcommands of subgroups, so a new group cannot hide a command."""
    root = click.Group("root", commands=[click.Group("db", commands=[
        click.Group("schema", commands=[click.Command("upgrade")])]), click.Command("pair")])
    assert list(_walk(root)) == [("db",), ("db", "schema"), ("db", "schema", "upgrade"),
                                 ("pair",)]


def test_examples_section_is_read_from_rendered_help() -> None:
    """The examples are the lines after 'Examples:' up to the first blank line."""
    text = "Usage: x\n\n  Examples:\n    tandem a b\n    tandem c\n\nOptions:\n  --help\n"
    assert _examples(text) == ["tandem a b", "tandem c"]
    assert _examples("Usage: x\n") == []


def test_validate_is_registered(tandem: click.Group) -> None:
    """The walk starts from a group that holds at least the validate command."""
    assert ("validate",) in list(_walk(tandem))


def test_every_command_has_help_with_examples(tandem: click.Group) -> None:
    """`tandem [COMMAND...] --help` works for every registered command and shows an example."""
    paths = [(), *_walk(tandem)]
    problems = [problem for path in paths for problem in _problems(tandem, path)]
    assert problems == []


def test_a_command_without_examples_is_reported() -> None:
    """A command whose help lacks examples, or shows only other commands, is named."""
    root = click.Group("tandem", commands=[
        click.Command("bare", help="Does a thing."),
        click.Command("other", help="Does a thing.\n\n\b\nExamples:\n  tandem bare x\n"),
        click.Command("good", help="Does a thing.\n\n\b\nExamples:\n  tandem good x\n")])
    assert _problems(root, ("bare",)) == ["`tandem bare --help` has no 'Examples:' section"]
    assert _problems(root, ("other",)) == [
        "`tandem other --help` has no example line starting with 'tandem other'"]
    assert _problems(root, ("good",)) == []
