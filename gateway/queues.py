"""Redis connections and the RQ queues, by priority.

Workers listen to ``urgent`` (routing alerts, referral and escalation SMS to
focal points: a child may be in danger), then ``high`` (replies to people),
then ``default`` (agency webhooks, other sends), then ``low`` (bulk and
housekeeping). In a burst of alerts the focal points hear first, and a
person waiting for an answer is never behind a batch.
"""

from __future__ import annotations

from typing import Any

from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry

QUEUE_NAMES = ("urgent", "high", "default", "low")


def connect(url: str, *, socket_timeout: float | None = 5.0) -> Redis:
    """A Redis client for ``url`` that fails fast when Redis is away."""
    return Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=2.0,
        health_check_interval=30,
    )


def queue(name: str, connection: Redis) -> Queue:
    """The RQ queue called ``name``."""
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=connection)


def all_queues(connection: Redis) -> list[Queue]:
    """Every queue, highest priority first."""
    return [queue(name, connection) for name in QUEUE_NAMES]


def still_failed(registry: FailedJobRegistry, *, prune: bool = False) -> list[tuple[str, Any]]:
    """``registry``'s (job id, job or None) pairs, less jobs enqueued again since they failed.

    The sweeper (or an operator) may enqueue a job again under the same id;
    RQ leaves the old entry in the failed registry, where it would be listed
    — and retried — although the job is queued or has since succeeded. With
    ``prune`` such entries are removed from the registry.
    """
    ids = registry.get_job_ids()
    pairs = []
    for job_id, job in zip(ids, Job.fetch_many(ids, connection=registry.connection), strict=True):
        if job is not None and job.get_status(refresh=False) != JobStatus.FAILED:
            if prune:
                registry.remove(job_id)
            continue
        pairs.append((job_id, job))
    return pairs
