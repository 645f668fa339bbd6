"""Safe YAML reading with line numbers for every value.

Flow files are read with :class:`FlowLoader`, a ``SafeLoader`` that only turns
``true``/``false`` into booleans: YAML 1.1 would otherwise read the answers
``yes``, ``no``, ``on``, ``off`` (and ``y``/``n`` in some loaders) as booleans,
and a key ``no:`` would silently become ``False``. Dates stay strings too.
Nothing is ever evaluated.

:func:`read_yaml` also composes the node tree and returns a map from JSON
paths (tuples of keys and indexes) to 1-based line numbers, so schema errors
and semantic errors can name the line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from gateway.flows.errors import FlowError, Problem

JsonPath = tuple[str | int, ...]

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class FlowLoader(yaml.SafeLoader):
    """SafeLoader whose booleans are only true/false (any case); no timestamps."""


FlowLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
FlowLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _walk(
    node: yaml.Node, path: JsonPath, lines: dict[JsonPath, int], dup: list[tuple[int, str]]
) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                dup.append((key_node.start_mark.line + 1, f"duplicate key {key!r}"))
            seen.add(key)
            _walk(value_node, (*path, key), lines, dup)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, dup)


def line_of(lines: dict[JsonPath, int], path: JsonPath) -> int:
    """Return the line of ``path``, or of its nearest ancestor present in ``lines``."""
    probe = tuple(path)
    while probe and probe not in lines:
        probe = probe[:-1]
    return lines.get(probe, 1)


def read_yaml(path: str | Path) -> tuple[Any, dict[JsonPath, int]]:
    """Read ``path`` safely; return the data and the JSON-path -> line map.

    Raises :class:`FlowError` (with file and line) on YAML syntax errors and
    duplicate keys.
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError([Problem(name, 1, f"cannot read file: {exc}")]) from exc
    try:
        node = yaml.compose(text, Loader=FlowLoader)
        data = yaml.load(text, Loader=FlowLoader)  # noqa: S506  # nosec B506 - a SafeLoader
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise FlowError([Problem(name, line, f"invalid YAML: {exc.problem}")]) from exc
    except yaml.YAMLError as exc:
        raise FlowError([Problem(name, 1, f"invalid YAML: {exc}")]) from exc
    lines: dict[JsonPath, int] = {}
    duplicates: list[tuple[int, str]] = []
    if node is not None:
        _walk(node, (), lines, duplicates)
    if duplicates:
        raise FlowError([Problem(name, line, message) for line, message in duplicates])
    return data, lines


def format_path(path: JsonPath) -> str:
    """Render a JSON path as ``states.concern.options[0].label``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"
