"""The store's tables (SQLAlchemy Core) and their versions.

One schema for SQLite and PostgreSQL. Times are RFC 3339 UTC text (``2026-12-06T10:00:00Z``),
which sorts as time does on both. The version the database holds is the highest row of
``r2c_schema``; :func:`migrate` applies the steps above it, each in its own transaction, so a
store is never left between two versions. Documented in ``docs/store.md``.

Version 1: ``clusters``, ``scans``, ``findings``, ``chain_members``, ``not_checked``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import sqlalchemy as sa

from r2c_clouds.errors import StoreError
from r2c_clouds.store.records import SEVERITIES

__all__ = ["SCHEMA_VERSION", "metadata", "migrate", "version_of"]

metadata = sa.MetaData()

schema_versions = sa.Table(
    "r2c_schema", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.Text, nullable=False),
)

clusters = sa.Table(
    "clusters", metadata,
    sa.Column("id", sa.Text, primary_key=True),  # 16 hex digits of SHA-256 over the name
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("cloud", sa.Text, nullable=False),
    sa.Column("account", sa.Text),
    sa.Column("region", sa.Text),
)

scans = sa.Table(
    "scans", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("cluster_id", sa.Text, sa.ForeignKey("clusters.id"), nullable=False),
    sa.Column("generated_at", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.Text, nullable=False),  # microseconds: orders scans of one second
    sa.Column("tool_version", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # complete | incomplete | failed
    sa.Column("error", sa.Text),
    sa.Column("duration_s", sa.Float, nullable=False),
    sa.Column("findings", sa.Integer, nullable=False),
    *(sa.Column(name, sa.Integer, nullable=False) for name in SEVERITIES),
    sa.Column("suppressed", sa.Integer, nullable=False),
    sa.Column("not_checked", sa.Integer, nullable=False),
    sa.Column("scope", sa.Text),
    sa.Index("scans_by_cluster_time", "cluster_id", "generated_at"),
)

findings = sa.Table(
    "findings", metadata,
    sa.Column("scan_id", sa.Text, sa.ForeignKey("scans.id"), primary_key=True),
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),  # the report's order: most severe first
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("loop", sa.Text, nullable=False),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("namespace", sa.Text),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("root_cause", sa.Boolean, nullable=False),
    sa.Index("findings_by_rule", "rule"),
)

chain_members = sa.Table(
    "chain_members", metadata,
    sa.Column("scan_id", sa.Text, sa.ForeignKey("scans.id"), primary_key=True),
    sa.Column("symptom", sa.Text, primary_key=True),
    sa.Column("finding_id", sa.Text, primary_key=True),
)

not_checked = sa.Table(
    "not_checked", metadata,
    sa.Column("scan_id", sa.Text, sa.ForeignKey("scans.id"), primary_key=True),
    sa.Column("what", sa.Text, primary_key=True),
    sa.Column("reason", sa.Text, primary_key=True),
)


def _v1(conn: sa.Connection) -> None:
    for table in (clusters, scans, findings, chain_members, not_checked):
        table.create(conn)


#: Each version and the step that brings the store to it from the one before.
MIGRATIONS: tuple[tuple[int, Callable[[sa.Connection], None]], ...] = ((1, _v1),)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def version_of(conn: sa.Connection) -> int:
    """The store's schema version (0: an empty database)."""
    if not sa.inspect(conn).has_table("r2c_schema"):
        if sa.inspect(conn).has_table("scans"):
            raise StoreError("the database holds a table 'scans' but no 'r2c_schema': not an r2c store")
        return 0
    return int(conn.execute(sa.select(sa.func.max(schema_versions.c.version))).scalar() or 0)


def migrate(engine: sa.Engine, url_text: str) -> int:
    """Bring the store up to :data:`SCHEMA_VERSION`; return the version it had.

    Raises:
        StoreError: the store was written by a newer r2c, or is not an r2c store.
    """
    with engine.begin() as conn:
        had = version_of(conn)
        if had == 0:
            schema_versions.create(conn, checkfirst=True)
    if had > SCHEMA_VERSION:
        raise StoreError(
            f"store {url_text} has schema version {had}; this r2c knows up to {SCHEMA_VERSION}",
            remediation="upgrade r2c_clouds to read it",
        )
    for version, step in MIGRATIONS:
        if version <= had:
            continue
        with engine.begin() as conn:  # a step and its version row land together, or neither
            step(conn)
            conn.execute(schema_versions.insert().values(
                version=version, applied_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            ))
    return had
