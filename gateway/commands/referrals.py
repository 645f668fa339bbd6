"""``relais directory load|show|history``, ``relais route`` and ``relais jobs failed|retry``.

Phone numbers are always masked in what these commands print; failed jobs
are listed with their exception *type* only (messages may hold personal data).
Errors print a clear message and exit non-zero, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from sqlalchemy import select

from gateway import audit, queues, runtime
from gateway.models import DirectoryVersion
from gateway.phones import mask
from gateway.referrals import store, webhook
from gateway.referrals.directory import Directory
from gateway.vocabulary import AGE_BANDS, CONCERNS, LANGUAGES, RISKS, SEXES

if TYPE_CHECKING:
    from gateway.referrals.places import PlaceTree
    from gateway.referrals.routing import AlertFacts


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


@click.group("directory")
def directory_group() -> None:
    """The referral directory (agencies, focal points, routing rules)."""


@directory_group.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def directory_load(path: str) -> None:
    """Validate and load the directory file PATH (exit 1, listing problems, if invalid)."""
    from gateway.directory_hook import load_and_report

    load_and_report(path, loaded_by="cli")


def _describe(directory: Directory) -> list[str]:
    lines = ["Agencies:"]
    for agency in directory.agencies:
        hook = agency.webhook
        extra = f"  webhook {hook.url} (secret in ${hook.secret_env})" if hook else ""
        lines.append(f"  {agency.id}  {agency.name}{extra}")
        for fp in agency.focal_points:
            flags = [",".join(fp.languages), "areas " + (",".join(fp.areas) or "(any)")]
            flags += [f"backup {fp.backup}"] if fp.backup else []
            flags += ["supervisor"] if fp.id == agency.supervisor else []
            flags += [] if fp.active else ["INACTIVE"]
            lines.append(f"    {fp.id}  {mask(fp.phone)}  {'  '.join(flags)}")
    lines.append("Rules, in order:")
    lines += [f"  {rule.id} -> {rule.agency}" for rule in directory.rules]
    lines.append(f"Fallback agency: {directory.fallback_agency}")
    return lines


@directory_group.command("show")
@with_appcontext
def directory_show() -> None:
    """Show the directory in force (phone numbers masked)."""
    with runtime.current().db.session() as session:
        row = session.scalars(
            select(DirectoryVersion).order_by(DirectoryVersion.id.desc()).limit(1)
        ).first()
        directory = store.current(session)
    if row is None or directory is None:
        _fail("no directory loaded: run `relais directory load FILE`")
        return
    people = [fp for agency in directory.agencies for fp in agency.focal_points]
    active = sum(fp.active for fp in people)
    click.echo(f"Directory version {row.id} (in force)")
    click.echo(f"  digest:       {row.digest}")
    click.echo(f"  source:       {row.source}")
    click.echo(f"  loaded at:    {_when(row.loaded_at)} by {row.loaded_by}")
    click.echo(
        f"  demo:         {'yes (fictitious people and numbers)' if directory.demo else 'no'}"
    )
    click.echo(f"  time zone:    {directory.tz}")
    click.echo(f"  agencies:     {len(directory.agencies)}")
    click.echo(f"  focal points: {len(people)} ({active} active)")
    click.echo(f"  rules:        {len(directory.rules)}")
    click.echo("\n".join(_describe(directory)))


@directory_group.command("history")
@with_appcontext
def directory_history() -> None:
    """List every loaded directory version, newest first, with its changes."""
    with runtime.current().db.session() as session:
        rows = list(session.scalars(select(DirectoryVersion).order_by(DirectoryVersion.id.desc())))
    if not rows:
        _fail("no directory loaded yet")
    for index, row in enumerate(rows):
        marker = "  (in force)" if index == 0 else ""
        click.echo(
            f"version {row.id}  {_when(row.loaded_at)}  by {row.loaded_by}  "
            f"{row.digest[:12]}  {row.source}{marker}"
        )
        for line in (row.changes or "").splitlines() or ["(no changes recorded)"]:
            click.echo(f"  {line}")


def parse_when(value: str | None, tz: str) -> dt.datetime:
    """When an alert is raised: now, or ``value`` (ISO 8601; without offset: in ``tz``).

    Raises ``ValueError`` for a text that is not a date-time. Shared with the
    console's "test routing" page.
    """
    if value is None:
        return dt.datetime.now(ZoneInfo(tz))
    at = dt.datetime.fromisoformat(value)
    return at.replace(tzinfo=ZoneInfo(tz)) if at.tzinfo is None else at


def _parse_at(value: str | None, tz: str) -> dt.datetime:
    try:
        return parse_when(value, tz)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date-time like 2026-11-28T21:30", param_hint="--at"
        ) from None


def route_explanation(
    directory: Directory, facts: AlertFacts, at: dt.datetime, places: PlaceTree | None = None
) -> str:
    """What ``relais route`` prints for ``facts`` at ``at`` (phones masked; shared with console).

    ``places``: the hierarchy in force (default: the shipped file).
    """
    from gateway.referrals.routing import explain, route

    places = places if places is not None else store.places()
    return explain(route(directory, places, facts, at), places)


@click.command("route")
@click.option("--concern", required=True, type=click.Choice(CONCERNS))
@click.option("--place", required=True, help="Place code: ML-BKO-C5.")
@click.option("--risk", required=True, type=click.Choice(RISKS))
@click.option("--sex", default="unknown", show_default=True, type=click.Choice(SEXES))
@click.option("--age-band", default="unknown", show_default=True, type=click.Choice(AGE_BANDS))
@click.option("--lang", default="fr", show_default=True, type=click.Choice(LANGUAGES))
@click.option("--at", "at_text", help="When (ISO 8601); without offset: directory time zone.")
@with_appcontext
def route_command(
    concern: str, place: str, risk: str, sex: str, age_band: str, lang: str, at_text: str | None
) -> None:
    """Show who the directory in force would notify for such an alert, and why."""
    from gateway.referrals.routing import AlertFacts

    with runtime.current().db.session() as session:
        directory = store.current(session)
        places = store.places(session)
    if place not in places:  # the places in force, edited in the console or shipped
        known = ", ".join(places.codes())
        raise click.BadParameter(
            f"unknown place code {place!r}; known codes: {known}", param_hint="'--place'"
        )
    if directory is None:
        _fail("no directory loaded: run `relais directory load FILE`")
        return
    at = _parse_at(at_text, directory.tz)
    facts = AlertFacts(concern, place, risk, sex, age_band, lang)
    click.echo(route_explanation(directory, facts, at, places))


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs (RQ): failed ones, and retrying them."""


def exception_type(trace: str | None) -> str:
    """The exception type named at the end of a formatted traceback (never its message)."""
    lines = (trace or "").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent")]
    for line in lines[starts[-1] + 1 :] if starts else []:
        if line and not line[0].isspace():
            name = line.split(":", 1)[0].strip()
            return name if name.replace(".", "").replace("_", "").isalnum() else "unknown"
    return "unknown"


def _failed_registries() -> list[tuple[str, Any]]:
    connection = runtime.current().redis
    return [
        (name, queues.queue(name, connection).failed_job_registry) for name in queues.QUEUE_NAMES
    ]


def _trace(job: Any) -> str | None:
    result = job.latest_result()
    trace = getattr(result, "exc_string", None) or job._exc_info
    return str(trace) if trace else None


@dataclass(frozen=True)
class FailedJob:
    """A job that exhausted its retries (``function`` is None once its data expired)."""

    job_id: str
    queue: str
    function: str | None
    failed_at: dt.datetime | None
    error: str  # the exception type only, never its message


def failed_jobs() -> list[FailedJob]:
    """Every failed job of every queue, highest priority queue first (shared with the console)."""
    found: list[FailedJob] = []
    for name, registry in _failed_registries():
        for job_id, job in queues.still_failed(registry, prune=True):
            if job is None:
                found.append(FailedJob(job_id, name, None, None, "unknown"))
                continue
            error = exception_type(_trace(job))
            found.append(FailedJob(job_id, name, job.func_name, job.ended_at, error))
    # A failed agency delivery outlives its job: the referral still says so.
    for referral_id in webhook.failed_without_job({job.job_id for job in found}):
        found.append(FailedJob(webhook.job_id(referral_id), webhook.QUEUE, None, None, "unknown"))
    return found


def retry_failed(job_id: str | None) -> tuple[int, int]:
    """Requeue the failed job ``job_id``, or every one (None): (requeued, skipped)."""
    requeued = skipped = 0
    seen: set[str] = set()
    for _name, registry in _failed_registries():
        current = [one for one, _job in queues.still_failed(registry, prune=True)]
        seen.update(current)
        ids = current if job_id is None else [job_id] if job_id in current else []
        for one in ids:
            try:
                registry.requeue(one)
                requeued += 1
            except (InvalidJobOperation, NoSuchJobError):
                skipped += 1
    # Agency deliveries whose failed job expired are queued again from the referral.
    asked = webhook.referral_of(job_id) if job_id is not None else None
    if job_id is None:
        expired = webhook.failed_without_job(seen)
    else:
        expired = [asked] if asked is not None and job_id not in seen else []
    redis = runtime.current().redis
    requeued += sum(webhook.deliver_again(redis, referral_id) for referral_id in expired)
    return requeued, skipped


@jobs_group.command("failed")
@with_appcontext
def jobs_failed() -> None:
    """List failed jobs of every queue: id, queue, function, when, exception type."""
    jobs = failed_jobs()
    for job in jobs:
        if job.function is None:
            click.echo(f"{job.job_id}  {job.queue}  (job data expired)")
            continue
        click.echo(
            f"{job.job_id}  {job.queue}  {job.function}  failed {_when(job.failed_at)}  {job.error}"
        )
    click.echo(f"{len(jobs)} failed job(s)" if jobs else "no failed jobs")


@jobs_group.command("retry")
@click.argument("job_id", required=False)
@click.option("--all", "retry_all", is_flag=True, help="Requeue every failed job.")
@with_appcontext
def jobs_retry(job_id: str | None, retry_all: bool) -> None:
    """Requeue the failed job JOB_ID, or every failed job with --all."""
    if bool(job_id) == retry_all:
        raise click.UsageError("give one JOB_ID or --all")
    requeued, skipped = retry_failed(None if retry_all else job_id)
    target = "all" if retry_all else str(job_id)
    audit.record_cli("jobs.retry", "job", target, f"requeued {requeued}, skipped {skipped}")
    if job_id and not requeued:
        _fail(f"no failed job {job_id!r} (see `relais jobs failed`)")
    message = f"requeued {requeued} job(s)"
    click.echo(message + (f", {skipped} could not be requeued" if skipped else ""))
