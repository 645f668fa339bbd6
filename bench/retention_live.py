"""Live traffic during a purge: do webhooks and the sweeper wait for it?

While a purge runs in the main thread, a second thread does, every half
second, what production does meanwhile, through the real code (an app on the
benchmark's database, a private Redis, no worker: replies stay queued):

* ``erased_reporter``: a signed Twilio SMS from a reporter the purge is
  erasing (silent for 200 days, alert closed 150 days ago, a conversation
  paused as long): their contact, messages and conversation rows are the
  purge's;
* ``new_reporter``: an SMS from a number never seen (rows the purge never reads);
* ``focal_point``: an SMS from a focal point of the demo directory;
* ``sweeper``: one pass of :func:`gateway.sweeper.sweep`.

Each is timed; the thread goes on a few seconds after the purge to show the
unloaded figures. A reporter whose message ended up on a contact the purge
erased (no number left to answer) is counted as ``answered_to_erased``.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from twilio.request_validator import RequestValidator

from bench.stack import DIRECTORY, PUBLIC, TWILIO_TOKEN, production_settings
from gateway.flows.model import ConversationState
from gateway.models import Alert, Contact, Conversation, Message

DAY = dt.timedelta(days=1)
PROBES = 400  # erased reporters available (one per webhook)


def make_app(database_url: str, redis_url: str, data_keys: str, *, directory: bool = True) -> Any:
    """A production app on the benchmark database (providers unreachable: nothing is sent).

    Every app on a copy of the database needs the same ``data_keys``: numbers
    are found by a keyed hash.
    """
    from gateway import create_app, runtime
    from gateway.referrals import store

    unreachable = "http://127.0.0.1:9"
    settings = production_settings(database_url, redis_url, unreachable, unreachable, data_keys)
    app = create_app({**settings, "LOG_LEVEL": "WARNING"})
    if directory:
        with app.app_context():
            store.load_file(runtime.current().db, DIRECTORY)
    return app


def reporter(i: int) -> str:
    """The number of erased reporter ``i`` (valid Mali mobile numbers)."""
    return f"+2237799{i:04d}"


def seed(app: Any, now: dt.datetime) -> None:
    """Reporters the purge at ``now`` will erase, created through the models (real keys)."""
    from gateway import runtime

    state = json.dumps(ConversationState(flow="alert", state="language", channel="sms").to_dict())
    old = now - 200 * DAY
    with app.app_context(), runtime.current().db.session() as session:
        for i in range(PROBES):
            contact = Contact.get_or_create(session, reporter(i))
            contact.created_at = contact.last_seen_at = old
            session.add(Message(direction="in", channel="twilio", contact=contact,
                                body="Bonjour", status="handled", created_at=old))  # fmt: skip
            session.add(Alert(reference=f"P{i:05d}", contact=contact, channel="twilio", via="sms",
                              language="fr", concern="separated", place="ML-BKO-C5",
                              landmark="Marché", sex="girl", age_band="5-11",
                              immediate_danger="no", risk="low", details="Seule",
                              status="closed", created_at=old, closed_at=now - 150 * DAY,
                              routed_at=old))  # fmt: skip
            session.flush()
            session.add(Conversation(contact_id=contact.id, channel="sms", flow="alert",
                                     state=state, status="paused", created_at=old,
                                     updated_at=now - 150 * DAY,
                                     expires_at=now - 149 * DAY))  # fmt: skip


class Live(threading.Thread):
    """Times each kind of live work until :meth:`stop`; see the module doc."""

    def __init__(self, app: Any, focal_number: str) -> None:
        super().__init__(daemon=True)
        self.app, self.focal = app, focal_number
        self.samples: list[dict[str, Any]] = []
        self.purge_window: tuple[float, float] = (0.0, 0.0)
        self._stop_at = 0.0
        self._stopping = threading.Event()
        self._n = 0

    def stop(self, after: float) -> None:
        """Finish ``after`` seconds from now (the unloaded tail)."""
        self._stop_at = time.monotonic() + after
        self._stopping.set()
        self.join()

    def _sms(self, client: Any, sender: str, body: str) -> int:
        self._n += 1
        sid = f"SMbench{int(time.time() * 1000)}{self._n:06d}"
        form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0123456789abcdef" * 2,
                "From": sender, "To": "+22365123456", "Body": body, "NumMedia": "0",
                "NumSegments": "1", "SmsStatus": "received"}  # fmt: skip
        path = "/webhooks/twilio/sms"
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC + path, form)
        return int(
            client.post(path, data=form, headers={"X-Twilio-Signature": signature}).status_code
        )

    def _time(self, kind: str, work: Callable[[], Any]) -> None:
        t0 = time.monotonic()
        outcome = work()
        self.samples.append({"kind": kind, "start": t0, "ms": (time.monotonic() - t0) * 1000,
                             "status": outcome})  # fmt: skip

    def run(self) -> None:
        """Probe until stopped."""
        from gateway import runtime
        from gateway.sweeper import sweep

        with self.app.app_context():
            rt = runtime.current()
            client = self.app.test_client()
            probe = 0
            while not (self._stopping.is_set() and time.monotonic() > self._stop_at):
                number = reporter(probe % PROBES)
                probe += 1
                self._time("erased_reporter", partial(self._sms, client, number, "Bonjour"))
                self._time("new_reporter", lambda: self._sms(client, _new_number(), "Bonjour"))
                self._time("focal_point", lambda: self._sms(client, self.focal, "AIDE"))
                self._time(
                    "sweeper", lambda: sweep(rt.db, rt.redis, grace=dt.timedelta(seconds=60))
                )
                time.sleep(0.5)

    def summary(self) -> dict[str, Any]:
        """Max and median latency of each kind during the purge and after it."""
        start, end = self.purge_window
        out: dict[str, Any] = {}
        for kind in ("erased_reporter", "new_reporter", "focal_point", "sweeper"):
            during = [
                s["ms"] for s in self.samples if s["kind"] == kind and start <= s["start"] < end
            ]
            after = [s["ms"] for s in self.samples if s["kind"] == kind and s["start"] >= end]
            errors = [s["status"] for s in self.samples if s["kind"] != "sweeper"
                      and s["kind"] == kind and s["status"] != 200]  # fmt: skip
            out[kind] = {"during_n": len(during), "during_max_ms": _r(max(during, default=0)),
                         "during_median_ms": _r(_median(during)),
                         "after_median_ms": _r(_median(after)), "errors": errors}  # fmt: skip
        return out


def answered_to_erased(app: Any) -> int:
    """Benchmark SMS stored on a contact that has no number any more (the reply is lost)."""
    from sqlalchemy import func, select

    from gateway import runtime

    with app.app_context(), runtime.current().db.session() as session:
        query = (
            select(func.count()).select_from(Message).join(Contact)
            .where(Contact.phone.is_(None), Message.provider_id.like("SMbench%"))
        )  # fmt: skip
        return int(session.scalar(query) or 0)


_numbers = iter(range(10**6))


def _new_number() -> str:
    return f"+22366{next(_numbers):06d}"


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2] if values else 0.0


def _r(value: float) -> float:
    return round(value, 1)
