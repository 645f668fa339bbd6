"""Find the processes a test started, by a mark in their environment.

Honcho's and the worker pool's children run in process groups of their own
and outlive their parent when it is SIGKILLed without ``PR_SET_PDEATHSIG``,
so neither the process tree nor a group says which processes a test left
behind. Every process inherits its environment, though: a variable set
before starting them marks all of their descendants.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def marked(name: str, value: str, *, relais_only: bool = False) -> list[int]:
    """Pids of live (not zombie) processes whose environment has ``name=value``.

    With ``relais_only``, only processes running Relais (``gateway`` or the
    ``relais`` script on their command line): not the Redis, PostgreSQL or
    Chromium a test session starts and keeps on purpose.
    """
    needle = f"{name}={value}".encode()
    found = []
    me = os.getpid()
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            if relais_only:
                cmdline = (entry / "cmdline").read_bytes()
                if b"gateway" not in cmdline and b"bin/relais" not in cmdline:
                    continue
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if needle in environ.split(b"\0") and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def children(pid: int) -> set[int]:
    """Live child process ids of ``pid``."""
    listing = PROC / str(pid) / "task" / str(pid) / "children"
    try:
        return {int(p) for p in listing.read_text().split()}
    except OSError:
        return set()
