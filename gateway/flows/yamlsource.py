"""Reading flow files: strict safe YAML with line numbers, as :class:`FlowError`.

The reading itself is :mod:`gateway.yamlsafe` (shared with every data file):
only ``true``/``false`` are booleans, so the answers ``yes``, ``no``, ``on``,
``off`` stay strings, dates stay strings, nothing is ever evaluated. Errors
here name the file and the line, as flow :class:`Problem` s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.flows.errors import FlowError, Problem
from gateway.yamlsafe import JsonPath, StrictLoader, YamlError, format_path, line_of, read

__all__ = ["JsonPath", "StrictLoader", "format_path", "line_of", "read_yaml"]


def read_yaml(path: str | Path) -> tuple[Any, dict[JsonPath, int]]:
    """Read ``path``; return the data and the JSON path → line map.

    Raises :class:`FlowError` (with file and line) on unreadable files, YAML
    syntax errors and duplicate keys.
    """
    try:
        return read(path)
    except YamlError as exc:
        problems = [Problem(exc.name, line, message) for line, message in exc.problems]
        raise FlowError(problems) from exc
