"""Development secrets, generated once and kept outside the repository.

On the first ``make run`` a ``SECRET_KEY``, a data key and the password of
the development console users are generated and written to ``$RELAIS_HOME``
(default ``~/.config/relais``) with owner-only permissions, so a clone never
holds a secret and a newcomer needs none.
Production never uses this: it refuses to start without its own settings.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from gateway.crypto import generate_key


def secrets_path() -> Path:
    """Where the development secrets live."""
    home = os.environ.get("RELAIS_HOME") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "relais"
    )
    return Path(home) / "dev-secrets.json"


def dev_secrets() -> dict[str, str]:
    """Load the development secrets, creating them on first use."""
    path = secrets_path()
    data: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    wanted: dict[str, Callable[[], str]] = {
        "SECRET_KEY": lambda: secrets.token_urlsafe(48),
        "DATA_KEYS": generate_key,
        # The password of the development console users made by `make run`.
        "DEV_CONSOLE_PASSWORD": lambda: secrets.token_urlsafe(12),
    }
    missing = [name for name in wanted if not data.get(name)]
    if not missing:
        return {name: data[name] for name in wanted}
    for name in missing:
        data[name] = wanted[name]()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    return {name: data[name] for name in wanted}
