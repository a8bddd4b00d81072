"""Read a YAML file strictly, remembering the line of every value.

Rule files are written by people, so this reader refuses what YAML would silently accept
(duplicate keys) and turns parser errors (tabs, bad indentation) into located problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.base.errors import InvalidInput, Problem
from engine.base.files import FileRefused, read_capped

Key = tuple[str | int, ...]
# Collections inside collections. A rule sits 3 deep (file, rules list, rule) and each
# all/any/not adds 2; 64 leaves room for conditions nested about 30 deep.
MAX_DEPTH = 64
MAX_BYTES = 10 * 1024 * 1024  # a rule file; the bundled ones are a few kilobytes


@dataclass
class Located:
    """A parsed YAML document plus the 1-based line of each value, keyed by its path."""

    data: Any
    lines: dict[Key, int] = field(default_factory=dict)
    text: str = ""  # the file's text, as read (once, within the size cap)

    def line(self, path: Key) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def json_path(path: Key) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _build(node: yaml.Node, path: Key, lines: dict[Key, int], problems: list[Problem],
           file: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.SafeLoader.construct_scalar(_LOADER, key_node) \
                if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                problems.append(Problem(file, f"line {key_node.start_mark.line + 1}",
                                        "a key must be a plain name"))
                continue
            if key in out:
                problems.append(Problem(
                    file, f"line {key_node.start_mark.line + 1}",
                    f"duplicate key {key!r} (first at line {lines[(*path, key)]}); "
                    "YAML would silently keep only the last one, so remove or rename one"))
                continue
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, (*path, key), lines, problems, file)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines, problems, file)
                for i, item in enumerate(node.value)]
    try:
        return _LOADER.construct_object(node, deep=True)
    except ValueError:  # a scalar YAML reads as a date it cannot build, e.g. 2026-13-45
        return node.value  # kept as the text it is; the checks then say what is wrong


class _Loader(yaml.SafeLoader):
    pass


_LOADER = _Loader("")


def _refuse_what_rules_never_need(text: str, name: str) -> None:
    """Tags, anchors, aliases and deep nesting, refused before anything is built.

    The rule format needs none of them: a tag can ask for any type (`!!python/name:...`),
    an alias can expand a small file into billions of values or into itself, and nesting
    deeper than MAX_DEPTH is no rule a person writes. Read as a stream of events, so
    nothing is expanded and no recursion is involved.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            mark = event.start_mark
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            message = None
            if isinstance(event, yaml.AliasEvent):
                message = (f"a YAML alias (*{event.anchor}) is not allowed in a rule file; "
                           "write the value out in full where it is needed")
            elif getattr(event, "anchor", None) is not None:
                anchor = getattr(event, "anchor", "")
                message = (f"a YAML anchor (&{anchor}) is not allowed in a rule file; remove "
                           "it and write each value out in full")
            elif getattr(event, "tag", None) is not None:
                tag = str(getattr(event, "tag", "")).replace("tag:yaml.org,2002:", "!!", 1)
                message = (f"a YAML tag ({tag}) is not allowed in a rule file; remove it and "
                           "write the plain value")
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    message = (f"nested more than {MAX_DEPTH} levels deep; no rule needs that "
                               "many, so flatten the all/any/not groups")
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
            if message:
                raise InvalidInput([Problem(name, where, message)], "rules")
    except yaml.YAMLError:
        return  # compose reports the syntax error, with its place


def load(path: Path, display: str | None = None) -> Located:
    """Parse ``path`` strictly. Raises InvalidInput with located problems."""
    name = display or str(path)
    try:
        text = read_capped(path, MAX_BYTES, "rule file").decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput([Problem(name, f"byte {exc.start}",
                                    "not valid UTF-8; save the file as UTF-8")], "rules") from None
    except FileRefused as exc:
        raise InvalidInput([Problem(name, "", str(exc))], "rules") from None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            raise InvalidInput([Problem(name, f"line {number}",
                                        "a tab is used for indentation; "
                                        "YAML allows only spaces, so replace the tab with spaces")],
                               "rules")
    _refuse_what_rules_never_need(text, name)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InvalidInput([Problem(name, where,
                                    f"not valid YAML: {exc.problem or exc.context}; check the "
                                    "indentation and quoting around this place")],
                           "rules") from None
    except yaml.reader.ReaderError as exc:
        at = exc.position
        raise InvalidInput([Problem(name, f"line {text.count(chr(10), 0, at) + 1}, column "
                                          f"{at - (text.rfind(chr(10), 0, at) + 1) + 1}",
                                    f"not valid YAML: the control character "
                                    f"{chr(exc.character)!r} is not allowed; remove it, or "
                                    "write it as an escape inside double quotes")],
                           "rules") from None
    except yaml.YAMLError as exc:
        raise InvalidInput([Problem(name, "", f"not valid YAML: {exc}")], "rules") from None
    if node is None:
        return Located(None, {(): 1}, text)
    lines: dict[Key, int] = {}
    problems: list[Problem] = []
    data = _build(node, (), lines, problems, name)
    if problems:
        raise InvalidInput(problems, "rules")
    return Located(data, lines, text)


class LocatedChecker:
    """Collects the problems of one YAML file, each placed at the line of its key path."""

    def __init__(self, file: str, doc: Located) -> None:
        self.file, self.doc = file, doc
        self.problems: list[Problem] = []

    def problem(self, path: Key, message: str, suggestion: str | None = None) -> None:
        self.problems.append(Problem(self.file, f"line {self.doc.line(path)}", message,
                                     suggestion))
