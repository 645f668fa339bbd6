"""Portable SQL functions for the reports: one Python name, one SQL per dialect.

SQLite (the default database) and PostgreSQL (production) spell date
arithmetic differently; these constructs compile to each dialect's form so
the report queries are written once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class seconds_between(FunctionElement[float]):
    """``later - earlier`` in seconds (SQLite: julianday; PostgreSQL: epoch)."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between)
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    # Rounded to the millisecond: julianday's float noise (1200.5000062 for
    # 1200.5) would otherwise round differently from PostgreSQL's exact value.
    return f"round((julianday({later}) - julianday({earlier})) * 86400.0, 3)"


@compiles(seconds_between, "postgresql")
def _seconds_pg(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


class day_of(FunctionElement[Any]):
    """The calendar day (UTC) of a timestamp stored as naive UTC."""

    inherit_cache = True


@compiles(day_of)
def _day_sqlite(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(day_of, "postgresql")
def _day_pg(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"
