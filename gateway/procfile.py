"""Read the Procfile, so scripts and tests start exactly what production runs."""

from __future__ import annotations

from pathlib import Path

from gateway.config import PROJECT_ROOT


def commands(path: Path | None = None) -> dict[str, str]:
    """Process name → command line, as written in the Procfile."""
    text = (path or PROJECT_ROOT / "Procfile").read_text()
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#") and ":" in line:
            name, command = line.split(":", 1)
            out[name.strip()] = command.strip()
    return out
