"""A small load generator: threads, persistent ``http.client`` connections, loopback only.

* :func:`closed_loop` — ``c`` threads, each sending its own list of requests
  back to back (so one simulated person's messages stay in order).
* :func:`open_loop` — requests released on a fixed schedule (``rate`` per
  second) whatever the answers; latency counts from the *scheduled* time, so
  a server (or generator) falling behind shows up in the numbers instead of
  silently lowering the rate (no coordinated omission).

Request counts and durations are always bounded.
"""

from __future__ import annotations

import http.client
import itertools
import math
import queue
import random
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from twilio.request_validator import RequestValidator

from bench.stack import AT_TOKEN, PUBLIC, TWILIO_TOKEN

_validator = RequestValidator(TWILIO_TOKEN)


@dataclass(frozen=True)
class Req:
    """One prepared HTTP POST (body and headers computed before the clock starts)."""

    path: str
    body: bytes
    headers: dict[str, str]
    check: Callable[[int, bytes], bool] | None = None


def twilio_sms(sid: str, sender: str, text: str) -> Req:
    """A signed inbound Twilio SMS webhook."""
    path = "/webhooks/twilio/sms"
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "0123456789abcdef" * 2,
        "From": sender,
        "To": "+22365123456",
        "Body": text,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": _validator.compute_signature(PUBLIC + path, form),
    }
    return Req(path, urllib.parse.urlencode(form).encode(), headers)


def at_ussd(session_id: str, phone: str, inputs: Sequence[str]) -> Req:
    """An Africa's Talking USSD callback; the answer must be a CON/END screen ≤ 182."""
    form = {
        "sessionId": session_id,
        "serviceCode": "*384*2211#",
        "phoneNumber": phone,
        "networkCode": "61001",
        "text": "*".join(inputs),
    }
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def valid(status: int, body: bytes) -> bool:
        return status == 200 and body[:4] in (b"CON ", b"END ") and len(body.decode()) <= 182

    return Req(
        f"/webhooks/africastalking/ussd?token={AT_TOKEN}",
        urllib.parse.urlencode(form).encode(),
        headers,
        valid,
    )


@dataclass
class Result:
    """Latencies (seconds) and outcomes of one load run."""

    started: float = 0.0
    finished: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, latency: float, ok: bool, detail: str = "") -> None:
        with self._lock:
            self.latencies.append(latency)
            if not ok:
                self.errors += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(detail[:200])

    def summary(self) -> dict[str, Any]:
        """Count, errors, throughput and latency percentiles (ms)."""
        n = len(self.latencies)
        elapsed = max(self.finished - self.started, 1e-9)
        ordered = sorted(self.latencies)
        return {
            "requests": n,
            "errors": self.errors,
            "seconds": round(elapsed, 2),
            "rps": round(n / elapsed, 1),
            "p50_ms": _pct(ordered, 50),
            "p95_ms": _pct(ordered, 95),
            "p99_ms": _pct(ordered, 99),
            "max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
            "error_samples": self.error_samples,
        }


def _pct(ordered: list[float], p: float) -> float | None:
    if not ordered:
        return None
    k = max(0, math.ceil(p / 100 * len(ordered)) - 1)
    return round(ordered[k] * 1000, 1)


class Client:
    """One keep-alive connection, re-opened after any error."""

    def __init__(self, base: str, timeout: float = 30) -> None:
        parsed = urllib.parse.urlsplit(base)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def post(self, req: Req) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("POST", req.path, body=req.body, headers=req.headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # gunicorn closed an idle keep-alive connection: reconnect once.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _send(client: Client, req: Req, result: Result, t0: float) -> None:
    try:
        status, body = client.post(req)
        ok = req.check(status, body) if req.check else status == 200
        result.add(time.perf_counter() - t0, ok, f"{status} {body[:120]!r}")
    except Exception as exc:
        client.close()
        result.add(time.perf_counter() - t0, False, type(exc).__name__)


def closed_loop(
    base: str,
    per_thread: Sequence[Iterable[Req]],
    *,
    max_seconds: float = 30,
    think: float = 0.0,
    jitter: bool = False,
) -> Result:
    """One thread per request list, back to back (plus ``think`` seconds between).

    Without ``jitter`` every thread starts at once and pauses exactly
    ``think``: the threads stay in lockstep and the server sees waves of
    simultaneous requests. With ``jitter`` (what independent people do) each
    thread starts at a random moment of the first ``think`` seconds and
    pauses a uniform 0.5–1.5 × ``think`` (same mean); seeded, so repeatable.
    """
    result = Result()
    barrier = threading.Barrier(len(per_thread) + 1)
    deadline = [math.inf]

    def run(index: int, reqs: Iterable[Req]) -> None:
        client = Client(base)
        rng = random.Random(index)  # nosec B311 - load shape, not security
        barrier.wait()
        if jitter and think:
            time.sleep(rng.uniform(0, think))
        for req in reqs:
            if time.perf_counter() > deadline[0]:
                break
            _send(client, req, result, time.perf_counter())
            if think:
                time.sleep(think * rng.uniform(0.5, 1.5) if jitter else think)
        client.close()

    threads = [
        threading.Thread(target=run, args=(i, r), daemon=True) for i, r in enumerate(per_thread)
    ]
    for thread in threads:
        thread.start()
    result.started = time.perf_counter()
    deadline[0] = result.started + max_seconds
    barrier.wait()
    for thread in threads:
        thread.join(timeout=max_seconds + 60)
    result.finished = time.perf_counter()
    return result


def open_loop(
    base: str, reqs: Iterable[Req], *, rate: float, seconds: float, threads: int = 64
) -> Result:
    """Release ``rate`` requests a second for ``seconds``; latency from the scheduled time."""
    result = Result()
    total = int(rate * seconds)
    work: queue.Queue[tuple[float, Req] | None] = queue.Queue()
    source = itertools.islice(iter(reqs), total)

    def run() -> None:
        client = Client(base)
        while True:
            item = work.get()
            if item is None:
                break
            at, req = item
            delay = at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            _send(client, req, result, at)
        client.close()

    pool = [threading.Thread(target=run, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    start = time.perf_counter() + 0.2
    result.started = start
    for i, req in enumerate(source):
        work.put((start + i / rate, req))
    for _ in pool:
        work.put(None)
    for thread in pool:
        thread.join(timeout=seconds + 120)
    result.finished = time.perf_counter()
    return result
