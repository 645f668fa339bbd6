"""Channel tests use the shared fixtures of ``tests/conftest.py``, and a server that hangs up."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest


def _read_request(conn: socket.socket) -> int:
    """Read one HTTP request (headers and body); return the body's length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return 0
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(body) < length:
        chunk = conn.recv(4096)
        if not chunk:
            break
        body += chunk
    return len(body)


@pytest.fixture
def hang_up_url() -> Iterator[str]:
    """An HTTP server that reads each whole request, then closes without answering:
    the provider may have queued the SMS, but we never hear so."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()
    received: list[int] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                received.append(_read_request(conn))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    server.close()
    assert received and all(n > 0 for n in received), "the request body never arrived"
