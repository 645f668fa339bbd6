"""Strict, safe YAML reading shared by every data file (flows, places, directory).

:class:`StrictLoader` is a ``SafeLoader`` that reads YAML the way people who
write these files expect: only ``true``/``false`` are booleans (``no``,
``yes``, ``on``, ``off`` stay strings — "no" is a Norwegian country code and a
Bambara word, not ``False``), integers are plain decimals (``19:00`` is a time,
not a base-60 number; ``+22370000101`` stays a phone number), and there are no
timestamps. Readers also return where every value is (JSON path → line) so
errors can name the line, and refuse duplicate keys.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

JsonPath = tuple[str | int, ...]


class StrictLoader(yaml.SafeLoader):
    """SafeLoader: booleans only true/false, integers only plain decimals, no timestamps."""


_DROP = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:timestamp"}
StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^-?(?:0|[1-9][0-9]*)$"), list("-0123456789")
)


class YamlError(ValueError):
    """A file that cannot be read as YAML: ``problems`` are ``(line, message)`` pairs."""

    def __init__(self, name: str, problems: list[tuple[int, str]]) -> None:
        """Keep the file name and every problem."""
        self.name = name
        self.problems = problems
        super().__init__("\n".join(f"{name}:{line}: {message}" for line, message in problems))


def _walk(
    node: yaml.Node, path: JsonPath, lines: dict[JsonPath, int], dup: list[tuple[int, str]]
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                dup.append((key_node.start_mark.line + 1, f"duplicate key {key!r}"))
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines, dup)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, dup)


def line_of(lines: dict[JsonPath, int], path: JsonPath) -> int:
    """The line of ``path``, or of its nearest ancestor known in ``lines``."""
    probe = tuple(path)
    while probe and probe not in lines:
        probe = probe[:-1]
    return lines.get(probe, 1)


def format_path(path: JsonPath) -> str:
    """Render a JSON path as ``states.concern.options[0].label``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def parse(text: str, name: str) -> tuple[Any, dict[JsonPath, int]]:
    """Parse ``text`` strictly; return the data and a JSON path → line map.

    Raises :class:`YamlError` on syntax errors and duplicate keys.
    """
    lines: dict[JsonPath, int] = {}
    duplicates: list[tuple[int, str]] = []
    try:
        node = yaml.compose(text, Loader=StrictLoader)
        data = yaml.load(text, Loader=StrictLoader)  # noqa: S506  # nosec B506 - a SafeLoader
        if node is not None:
            _walk(node, (), lines, duplicates)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise YamlError(name, [(line, f"invalid YAML: {exc.problem}")]) from exc
    except yaml.YAMLError as exc:
        raise YamlError(name, [(1, f"invalid YAML: {exc}")]) from exc
    except RecursionError as exc:  # [[[[…]]]]: PyYAML recurses once per level
        raise YamlError(name, [(1, "invalid YAML: nested too deeply")]) from exc
    if duplicates:
        raise YamlError(name, duplicates)
    return data, lines


def read(path: str | Path) -> tuple[Any, dict[JsonPath, int]]:
    """Read and :func:`parse` the file at ``path``."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlError(name, [(1, f"cannot read file: {exc}")]) from exc
    return parse(text, name)
