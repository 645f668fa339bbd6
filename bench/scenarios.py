"""The HTTP benchmarks: inbound SMS vs the ceiling, USSD, end to end, outbound sends.

Each function takes a running :class:`~bench.stack.Stack`, returns result rows
(dicts) and never runs unbounded: request counts and durations are capped.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from bench.load import Client, Req, at_ussd, closed_loop, open_loop, twilio_sms
from bench.stack import Stack, new_number

# fr, separated, Commune V, landmark, 2 children, girl, 5-11, danger yes,
# skip details, call back yes, updates yes → routed to IOM's Commune V agent.
ANSWERS = ["1", "1", "5", "Marché Badalabougou", "2", "fille", "2", "oui", "0", "oui", "oui"]
USSD_PATH = ["1", "1", "5", "Marche de Badalabougou", "2", "1", "2", "1", "0", "1", "1"]
FOCAL_POINT = "+22366000102"
REFERENCE = re.compile(r"f[ée]rence ([A-Z0-9]{6})")


def _sid() -> str:
    return "SM" + uuid.uuid4().hex


def conversation(sender: str | None = None) -> list[Req]:
    """A whole SMS alert from one new reporter: 12 signed webhooks, each a flow step."""
    sender = sender or new_number()
    return [twilio_sms(_sid(), sender, body) for body in ["Bonjour", *ANSWERS]]


def conversations(count: int) -> list[Req]:
    """``count`` requests made of whole conversations (the last one cut short)."""
    out: list[Req] = []
    while len(out) < count:
        out += conversation()
    return out[:count]


def interleaved(reporters: int) -> Iterator[Req]:
    """Endless requests, round-robin over ``reporters`` live conversations."""
    live = [iter(conversation()) for _ in range(reporters)]
    for i in itertools.count():
        slot = i % reporters
        req = next(live[slot], None)
        if req is None:
            live[slot] = iter(conversation())
            req = next(live[slot])
        yield req


# -- 1. inbound SMS vs the ceiling ------------------------------------------
def inbound(
    stack: Stack,
    relais: str,
    ceiling: str,
    *,
    levels: tuple[int, ...] = (1, 8, 32),
    requests: int = 1200,
    max_seconds: float = 30,
    paced_rate: float = 200,
    paced_seconds: float = 10,
) -> list[dict[str, Any]]:
    """Closed-loop throughput/latency at each concurrency, then a paced open-loop run."""
    rows: list[dict[str, Any]] = []
    for c in levels:
        per = math.ceil(requests / c)
        for name, base in (("relais", relais), ("ceiling", ceiling)):
            stack.wait_idle()
            result = closed_loop(
                base, [conversations(per) for _ in range(c)], max_seconds=max_seconds
            )
            rows.append(
                {"app": name, "mode": f"closed c={c}", "concurrency": c, **result.summary()}
            )
    for name, base in (("relais", relais), ("ceiling", ceiling)):
        stack.wait_idle()
        result = open_loop(base, interleaved(100), rate=paced_rate, seconds=paced_seconds)
        rows.append(
            {
                "app": name,
                "mode": f"open {paced_rate:.0f} rps",
                "concurrency": None,
                **result.summary(),
            }
        )
    stack.wait_idle()
    return rows


# -- 2. USSD ---------------------------------------------------------------
def ussd_sessions(phone: str | None = None) -> list[Req]:
    """One full USSD alert: the first screen, then each cumulative answer."""
    phone = phone or new_number()
    session = "ATUid_" + uuid.uuid4().hex
    return [at_ussd(session, phone, USSD_PATH[:n]) for n in range(len(USSD_PATH) + 1)]


def ussd_screens(n: int) -> list[Req]:
    """``n`` USSD requests: whole alerts one after another, cut at ``n``."""
    reqs: list[Req] = []
    while len(reqs) < n:
        reqs += ussd_sessions()
    return reqs[:n]


def ussd(
    stack: Stack,
    relais: str,
    *,
    sessions: int = 100,
    thinks: tuple[tuple[float, bool], ...] = ((1.0, True), (1.0, False), (0.0, False)),
    max_seconds: float = 20,
) -> list[dict[str, Any]]:
    """``sessions`` simultaneous USSD sessions, each user pausing ``think`` s per screen.

    Each ``(think, jitter)`` is one run: jittered (independent users, random
    start and pauses averaging ``think``), in lockstep (waves of ``sessions``
    requests at once, the worst case), and with no pause (saturation).
    """
    rows = []
    for think, jitter in thinks:
        stack.wait_idle()
        per_thread = [
            itertools.chain.from_iterable(ussd_sessions() for _ in range(50))
            for _ in range(sessions)
        ]
        result = closed_loop(
            relais, per_thread, max_seconds=max_seconds, think=think, jitter=jitter
        )
        pauses = "lockstep" if think and not jitter else ("jittered" if think else "none")
        rows.append({"sessions": sessions, "think_s": think, "pauses": pauses, **result.summary()})
    stack.wait_idle()
    return rows


# -- 3. end to end ---------------------------------------------------------
def end_to_end(
    stack: Stack, relais: str, *, reporters: int = 50, timeout: float = 90
) -> dict[str, Any]:
    """Last answer of ``reporters`` simultaneous alerts → referral SMS at the fake provider."""
    assert stack.twilio
    stack.wait_idle()
    numbers = [new_number() for _ in range(reporters)]
    sent_at: dict[str, float] = {}
    ready = threading.Barrier(reporters + 1)
    go = threading.Barrier(reporters + 1)
    errors: list[str] = []

    def reporter(number: str) -> None:
        client = Client(relais)
        reqs = conversation(number)
        try:
            for req in reqs[:-1]:
                status, _ = client.post(req)
                if status != 200:
                    errors.append(str(status))
        finally:
            ready.wait()
        go.wait()
        t = time.monotonic()
        status, _ = client.post(reqs[-1])
        sent_at[number] = t
        if status != 200:
            errors.append(str(status))
        client.close()

    threads = [threading.Thread(target=reporter, args=(n,), daemon=True) for n in numbers]
    for thread in threads:
        thread.start()
    ready.wait()
    stack.wait_idle()  # every earlier reply sent: only the last answers are in flight
    time.sleep(0.5)
    go.wait()
    for thread in threads:
        thread.join(timeout=60)

    def referral_times() -> tuple[dict[str, float], dict[str, float]]:
        replies: dict[str, float] = {}
        referrals: dict[str, float] = {}
        references: dict[str, str] = {}
        arrivals = list(stack.twilio.arrivals)  # type: ignore[union-attr]
        for at, to, body in arrivals:
            match = REFERENCE.search(body)
            if to in sent_at and match:
                references[match.group(1)] = to
                replies.setdefault(to, at)
        for at, to, body in arrivals:
            if to == FOCAL_POINT:
                for ref, number in references.items():
                    if ref in body:
                        referrals.setdefault(number, at)
        return replies, referrals

    deadline = time.monotonic() + timeout
    replies, referrals = referral_times()
    while len(referrals) < reporters and time.monotonic() < deadline:
        time.sleep(0.1)
        replies, referrals = referral_times()
    lat = sorted(referrals[n] - sent_at[n] for n in referrals)
    reply_lat = sorted(replies[n] - sent_at[n] for n in replies)
    return {
        "reporters": reporters,
        "referrals_received": len(referrals),
        "errors": len(errors),
        "referral_median_s": _q(lat, 50),
        "referral_p99_s": _q(lat, 99),
        "referral_max_s": round(lat[-1], 3) if lat else None,
        "reply_median_s": _q(reply_lat, 50),
        "reply_p99_s": _q(reply_lat, 99),
    }


def _q(ordered: list[float], p: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 3)


# -- 4. outbound -----------------------------------------------------------
def seed_outbound(stack: Stack, count: int, contacts: int = 100) -> None:
    """``count`` queued outbound SMS rows (and their jobs), as the web would leave them."""
    from gateway import runtime
    from gateway.models import Contact
    from gateway.outbox import queue_outbound

    app = stack.app()
    with app.app_context(), runtime.current().db.session() as session:
        people = [Contact.get_or_create(session, new_number()) for _ in range(contacts)]
        for i in range(count):
            queue_outbound(
                session, contact=people[i % contacts], text=f"Message de test {i}", channel="twilio"
            )


def outbound(
    stack: Stack,
    *,
    workers: tuple[int, ...] = (1, 2, 4),
    messages: int = 1500,
    latency: float = 0.2,
    timeout: float = 240,
) -> list[dict[str, Any]]:
    """Sends per second with 1, 2 and 4 worker processes (SEND_RATE=0), from a full queue.

    First with a provider that answers at once (what the worker's CPU allows),
    then with one that takes ``latency`` seconds to answer, as a real API over
    the internet does (a worker waits for each answer: what sizes a deployment).
    """
    assert stack.twilio
    rows = []
    for delay in (0.0, latency):
        for k in workers:
            count = messages if not delay else max(40, int(12 * k / delay))
            stack.reset_fakes()
            if delay:
                stack.twilio.default = stack.twilio.slow(delay)
            seed_outbound(stack, count)
            rows.append({"provider_latency_s": delay, **_drain(stack, k, count, timeout)})
    stack.reset_fakes()
    return rows


def _drain(stack: Stack, k: int, messages: int, timeout: float) -> dict[str, Any]:
    """Start ``k`` workers on a seeded queue; the send rate between 10 % and 90 % of it."""
    assert stack.twilio
    procs = stack.workers(k)
    deadline = time.monotonic() + timeout
    while len(stack.twilio.arrivals) < messages and time.monotonic() < deadline:
        if any(proc.poll() is not None for proc in procs):
            raise RuntimeError("a worker exited during the outbound benchmark")
        time.sleep(0.2)
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(timeout=30)
    times = sorted(a[0] for a in stack.twilio.arrivals)
    n = len(times)
    lo, hi = int(n * 0.1), max(int(n * 0.9) - 1, 0)
    rate = (hi - lo) / (times[hi] - times[lo]) if n > 10 and times[hi] > times[lo] else None
    return {
        "workers": k,
        "messages": messages,
        "sent": n,
        "msg_per_s": round(rate, 1) if rate else None,
        "per_worker": round(rate / k, 1) if rate else None,
    }
