"""The shared channel helpers: reading a provider's Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.channels.base import MAX_RETRY_AFTER, retry_after

NOW = datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 1.0),  # "now" still waits a second: no tight loop
        ("86400", MAX_RETRY_AFTER),  # a day is not waited for
        ("Sun, 29 Nov 2026 10:01:30 GMT", 90.0),
        ("Sun, 29 Nov 2026 09:00:00 GMT", 1.0),  # a date in the past
        ("", None),
        (None, None),
        ("soon", None),
        ("-5", None),
        ("1e309", None),
        ("9" * 40, MAX_RETRY_AFTER),
    ],
)
def test_retry_after_reads_seconds_and_dates(header: str | None, seconds: float | None) -> None:
    assert retry_after(header, now=NOW) == seconds
