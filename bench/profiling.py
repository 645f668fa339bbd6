"""Where the time goes in one inbound SMS flow step and one USSD screen (pyinstrument).

Runs the real app in this process (the Flask test client, no network, no
gunicorn) on a SQLite file or the bench PostgreSQL database, with an embedded
Redis, the demo directory and no worker: what remains is exactly the web
request's own work. Prints pyinstrument's call tree (only frames over 2 %)
and writes HTML next to the JSON results.
"""

from __future__ import annotations

import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

from bench.load import Req
from bench.report import RESULTS
from bench.scenarios import conversations, ussd_screens
from bench.stack import Stack


def _post(client: Any, req: Req) -> None:
    path, _, query = req.path.partition("?")
    response = client.post(
        path,
        query_string=urllib.parse.parse_qs(query) if query else None,
        data=req.body,
        headers=req.headers,
        base_url="https://relais.example.org",
    )
    assert response.status_code == 200, response.status_code


def profile(kind: str, backend: str = "sqlite", requests: int = 600) -> Path:
    """Profile ``requests`` inbound SMS steps (``kind='sms'``) or USSD screens (``'ussd'``)."""
    from pyinstrument import Profiler

    with Stack(backend, tmp=Path(tempfile.mkdtemp(prefix="relais-prof-"))) as stack:
        app = stack.app()
        client = app.test_client()
        reqs = conversations(requests) if kind == "sms" else ussd_screens(requests)
        with app.app_context():
            for req in reqs[:24]:  # warm up: imports, pools, caches
                _post(client, req)
            profiler = Profiler(interval=0.0005)
            profiler.start()
            for req in reqs[24:]:
                _post(client, req)
            profiler.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"profile-{kind}-{backend}.html"
    out.write_text(profiler.output_html())
    print(profiler.output_text(unicode=True, color=False, show_all=False, time="percent_of_total"))
    print(f"→ {out}")
    return out
