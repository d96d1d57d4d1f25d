"""Results and history: every scan appended to one database.

SQLite by default (a file, no server: :func:`default_path`), PostgreSQL for a store a fleet
shares, through SQLAlchemy Core 2.x (psycopg 3 for PostgreSQL). One schema, versioned and
migrated by r2c itself (:mod:`r2c_clouds.store.schema`)::

    import r2c_clouds as r2c

    report = r2c.scan(r2c.demo("domino"))
    with r2c.store.open("sqlite:///history.db") as store:   # or r2c.store.open() for the default
        store.record(report)                                 # again: no second copy (same scan_id)
        store.history("domino")                              # ScanRow per scan, oldest first
        store.findings(report.scan_id)                       # FindingRow per finding
        store.scans_frame()                                  # a DataFrame, for a notebook

On the command line: ``r2c scan --store [URL]`` appends the scan; ``r2c history CLUSTER``
lists a cluster's scans. The tables are documented in ``docs/store.md``.
"""

from __future__ import annotations

from r2c_clouds.store._store import Store, default_path, default_url, open_store
from r2c_clouds.store.records import (
    ClusterKey,
    FindingRow,
    ScanRecord,
    ScanRow,
    cluster_key,
    failed_record,
    record_of,
)

__all__ = [
    "ClusterKey",
    "FindingRow",
    "ScanRecord",
    "ScanRow",
    "Store",
    "cluster_key",
    "default_path",
    "default_url",
    "failed_record",
    "open",
    "open_store",
    "record_of",
]


def open(url: str | None = None) -> Store:
    """Open the store at ``url`` (``None``: :func:`default_url`); see :func:`open_store`.

    .. versionadded:: 0.2
    """
    return open_store(url)
