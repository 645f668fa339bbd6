"""The place hierarchy (Mali › regions/district › cercle › commune › neighbourhood).

Places are data (``gateway/data/places-ml.yaml``); :func:`load_places` reads
them into a :class:`PlaceTree`. Codes are those of ``flows/places.yaml``
(``ML-BKO-C5``, ``ML-3``...). Unknown codes are handled explicitly, never
guessed: :meth:`PlaceTree.get` returns ``None``, :meth:`PlaceTree.ancestors`
returns ``[]`` (an unknown code has no known place, not even itself),
:meth:`PlaceTree.contains` returns ``False`` and :meth:`PlaceTree.name`
returns the code itself.

Files are read with :mod:`gateway.yamlsafe` (:func:`read_yaml` turns its
errors into :class:`FileProblems`, shared with the directory loader).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from gateway.yamlsafe import JsonPath, YamlError, line_of, parse, read

DEFAULT_PLACES = Path(__file__).resolve().parent.parent / "data" / "places-ml.yaml"
ROOT = "ML"


class Problem(NamedTuple):
    """One problem found in a file: ``(file, line, message)``."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        """Return ``file:line: message``."""
        return f"{self.file}:{self.line}: {self.message}"


class FileProblems(ValueError):
    """A data file cannot be used; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        """Keep the problems sorted by file and line."""
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        """List the problems one per line as ``file:line: message``."""
        return "\n".join(str(p) for p in self.problems)


class PlacesError(FileProblems):
    """The places file is invalid."""


def read_yaml(path: str | Path) -> tuple[Any, dict[JsonPath, int]]:
    """Read ``path`` strictly (:mod:`gateway.yamlsafe`); return data and path → line map.

    Raises :class:`FileProblems` naming the file and line on unreadable files,
    YAML syntax errors and duplicate keys.
    """
    try:
        return read(path)
    except YamlError as exc:
        raise FileProblems([Problem(exc.name, line, msg) for line, msg in exc.problems]) from exc


@dataclass(frozen=True)
class Place:
    """A place: stable ``code``, ``kind`` (country, region, district, cercle,
    commune, neighbourhood), ``parent`` code (``None`` for the country), French
    ``name`` and ``names`` in other languages as ``(lang, name)`` pairs."""

    code: str
    kind: str
    parent: str | None
    name: str
    names: tuple[tuple[str, str], ...] = ()


class PlaceTree:
    """The place hierarchy, read-only."""

    def __init__(self, places: list[Place]) -> None:
        """Index ``places`` by code (codes must be unique, parents listed first)."""
        self._places = {place.code: place for place in places}

    def __contains__(self, code: object) -> bool:
        """Return whether ``code`` is a known place."""
        return code in self._places

    def __len__(self) -> int:
        """Return the number of places."""
        return len(self._places)

    def digest(self) -> str:
        """A SHA-256 of the places themselves (codes, kinds, parents, names), not the text."""
        content = [
            [p.code, p.kind, p.parent, p.name, [list(pair) for pair in p.names]]
            for p in self._places.values()
        ]
        return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()

    def codes(self) -> list[str]:
        """Return every known code, parents before children."""
        return list(self._places)

    def get(self, code: str) -> Place | None:
        """Return the place with ``code``, or ``None`` when the code is unknown."""
        return self._places.get(code)

    def ancestors(self, code: str) -> list[str]:
        """Return ``code`` then its ancestors up to ``ML``; ``[]`` for an unknown code."""
        chain: list[str] = []
        place = self._places.get(code)
        while place is not None:
            chain.append(place.code)
            place = self._places.get(place.parent) if place.parent else None
        return chain

    def contains(self, ancestor_code: str, code: str) -> bool:
        """Return whether ``code`` is ``ancestor_code`` or lies within it (unknown → False)."""
        return ancestor_code in self._places and ancestor_code in self.ancestors(code)

    def depth(self, code: str) -> int:
        """Return how deep ``code`` is (``ML`` is 0); -1 for an unknown code."""
        return len(self.ancestors(code)) - 1

    def name(self, code: str, lang: str = "fr") -> str:
        """Return the name of ``code`` in ``lang`` (French otherwise; the code if unknown)."""
        place = self._places.get(code)
        if place is None:
            return code
        return dict(place.names).get(lang, place.name)


def _read_places(
    items: Any, parent: str | None, path: JsonPath, file: str, lines: dict[JsonPath, int]
) -> tuple[list[Place], list[Problem]]:
    """Read a list of places and their children, depth first."""
    places: list[Place] = []
    problems: list[Problem] = []
    if not isinstance(items, list):
        return places, [Problem(file, line_of(lines, path), "expected a list of places")]
    for index, item in enumerate(items):
        where = (*path, index)
        line = line_of(lines, where)
        fields = item if isinstance(item, dict) else {}
        code, kind, name = fields.get("code"), fields.get("kind"), fields.get("name")
        names = fields.get("names", {})
        if not all(isinstance(v, str) and v for v in (code, kind, name)) or not isinstance(
            names, dict
        ):
            problems.append(Problem(file, line, "a place needs code, kind and name (strings)"))
            continue
        assert isinstance(code, str) and isinstance(kind, str) and isinstance(name, str)  # noqa: S101
        if any(place.code == code for place in places):
            problems.append(Problem(file, line, f"duplicate place code {code}"))
        if parent is not None and not code.startswith(parent + "-"):
            problems.append(Problem(file, line, f"code {code} must start with {parent}-"))
        pairs = tuple(sorted((str(k), str(v)) for k, v in names.items()))
        places.append(Place(code, kind, parent, name, pairs))
        sub, sub_problems = _read_places(
            fields.get("children", []), code, (*where, "children"), file, lines
        )
        places += sub
        problems += sub_problems
    return places, problems


def load_places(path: str | Path | None = None) -> PlaceTree:
    """Load the place hierarchy from ``path`` (default: the shipped Mali file).

    Raises :class:`PlacesError` (file and line) on a malformed file, duplicate
    codes, or a child code that does not start with its parent's code.
    """
    source = Path(path) if path is not None else DEFAULT_PLACES
    try:
        data, lines = read_yaml(source)
    except FileProblems as exc:
        raise PlacesError(exc.problems) from exc
    return _validated(data, lines, str(source))


def load_places_text(text: str, name: str) -> PlaceTree:
    """Like :func:`load_places`, for a places file's ``text`` (as stored); ``name`` names it."""
    try:
        data, lines = parse(text, name)
    except YamlError as exc:
        raise PlacesError([Problem(name, line, msg) for line, msg in exc.problems]) from exc
    return _validated(data, lines, name)


def _validated(data: Any, lines: dict[JsonPath, int], file: str) -> PlaceTree:
    """The tree of a parsed places file; raises :class:`PlacesError` listing every problem."""
    items = data.get("places") if isinstance(data, dict) else None
    places, problems = _read_places(items, None, ("places",), file, lines)
    codes = [place.code for place in places]
    if len(set(codes)) != len(codes):
        problems.append(Problem(file, 1, "duplicate place codes"))
    if not problems and ROOT not in codes:
        problems.append(Problem(file, 1, f"the root place {ROOT} is missing"))
    if problems:
        raise PlacesError(problems)
    return PlaceTree(places)
