"""The store itself: open a database by URL, append scans, read history back."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from r2c_clouds.errors import StoreError, StoreUnreachableError
from r2c_clouds.store.records import SEVERITIES, ClusterKey, FindingRow, ScanRecord, ScanRow

if TYPE_CHECKING:
    import sqlalchemy as sa

    from r2c_clouds.report._report import Report

__all__ = ["Store", "default_path", "default_url", "open_store"]


def default_path() -> Path:
    """``$XDG_DATA_HOME/r2c/history.db`` (``~/.local/share/r2c/history.db`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "r2c" / "history.db"


def default_url() -> str:
    """The SQLite store used when no URL is given."""
    return f"sqlite:///{default_path()}"


def _engine_url(text: str) -> tuple[Any, str]:
    """The SQLAlchemy URL for a store URL or a plain file path, and the text to show
    (password hidden).

    Raises:
        StoreError: not a URL of a supported database.
    """
    import sqlalchemy as sa

    raw = text.strip()
    if not raw:
        raise StoreError("--store: empty URL", remediation="give sqlite:///PATH, postgresql://HOST/DB or a file path")
    if "://" not in raw:  # a file path: an SQLite store
        raw = f"sqlite:///{Path(raw).expanduser()}"
    try:
        url = sa.engine.make_url(raw)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise StoreError(f"store URL {text!r} cannot be read: {exc}") from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise StoreError(
            f"store URL {url.render_as_string(hide_password=True)!r}: unsupported database {backend!r}",
            remediation="use sqlite:///PATH (the default, no server) or postgresql://USER@HOST/DB",
        )
    elif url.database and url.database != ":memory:":
        path = Path(url.database).expanduser()
        if path.is_dir():
            raise StoreError(f"store {path} is a directory, not a database file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"store {path}: cannot create its directory: {exc.strerror or exc}") from None
        url = url.set(database=str(path))
    return url, url.render_as_string(hide_password=True)


@contextlib.contextmanager
def _database_errors(shown: str, doing: str) -> Iterator[None]:
    """A database error as one line naming the store: the server gone → StoreUnreachableError
    (exit 3), anything else → StoreError (exit 2). The transaction has been rolled back."""
    import sqlalchemy as sa

    try:
        yield
    except sa.exc.OperationalError as exc:
        if shown.startswith("sqlite"):
            raise StoreError(f"store {shown}: {doing}: {_one_line(exc)}") from None
        raise StoreUnreachableError(f"store {shown}: {doing}: {_one_line(exc)}") from None
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"store {shown}: {doing}: {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def open_store(url: str | None = None) -> Store:
    """Open (creating or migrating it when needed) the store at ``url``.

    Args:
        url: ``sqlite:///PATH``, a file path, or ``postgresql://USER:PASSWORD@HOST/DB``
            (psycopg 3: ``pip install 'r2c_clouds[postgresql]'``); ``None`` for
            :func:`default_url`.

    Raises:
        StoreError: a URL that cannot be used, a file that is not an r2c store, a store of a
            newer schema version (exit code 2 on the command line).
        StoreUnreachableError: the database server cannot be reached or refuses the login
            (exit code 3).

    .. versionadded:: 0.2
    """
    import sqlalchemy as sa

    from r2c_clouds.store.schema import migrate

    engine_url, shown = _engine_url(url if url is not None else default_url())
    kwargs: dict[str, Any] = {}
    if engine_url.get_backend_name() == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise StoreError(
                f"store {shown}: PostgreSQL needs psycopg 3",
                remediation="pip install 'r2c_clouds[postgresql]'",
            ) from None
        kwargs["connect_args"] = {"connect_timeout": 10}
    engine = sa.create_engine(engine_url, **kwargs)
    try:
        migrate(engine, shown)
    except StoreError:
        engine.dispose()
        raise
    except sa.exc.OperationalError as exc:
        engine.dispose()
        if engine_url.get_backend_name() == "sqlite":
            raise StoreError(f"store {shown}: {_one_line(exc)}") from None
        raise StoreUnreachableError(f"store {shown}: {_one_line(exc)}") from None
    except sa.exc.DatabaseError as exc:  # e.g. "file is not a database"
        engine.dispose()
        raise StoreError(f"store {shown}: {_one_line(exc)}") from None
    return Store(engine, shown)


class Store:
    """Scan results and history in one database (see :func:`open_store`).

    Every method opens its own connection; :meth:`record` writes one scan in one
    transaction. Rows come back as the plain frozen values of
    :mod:`r2c_clouds.store.records`, or as pandas DataFrames (``*_frame`` methods).
    """

    def __init__(self, engine: sa.Engine, shown: str) -> None:
        self._engine = engine
        self.url = shown  #: the store's URL, password hidden

    def __repr__(self) -> str:
        return f"<Store {self.url}>"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._engine.dispose()

    # ------------------------------------------------------------------ writing

    def record(self, report: Report | ScanRecord, *, cluster: ClusterKey | None = None) -> bool:
        """Append one scan. ``True`` if it was written, ``False`` if the store already held
        this scan id (recording a scan twice keeps one copy). All of it or nothing: one
        transaction.

        Args:
            report: a report (see :func:`r2c_clouds.store.record_of`) or a ready record,
                such as :func:`~r2c_clouds.store.failed_record`.
            cluster: the cluster's key, when the report's own name is not the one to file
                it under (a fleet names clusters by kubeconfig context).
        """
        from r2c_clouds.store import schema as t
        from r2c_clouds.store.records import record_of

        rec = report if isinstance(report, ScanRecord) else record_of(report, cluster=cluster)
        if cluster is not None and isinstance(report, ScanRecord):
            rec = attrs.evolve(rec, cluster=cluster)
        key = rec.cluster
        import sqlalchemy as sa

        with _database_errors(self.url, f"recording scan {rec.scan_id}"), self._engine.begin() as conn:
            if conn.execute(sa.select(t.scans.c.id).where(t.scans.c.id == rec.scan_id)).first() is not None:
                return False
            known = conn.execute(sa.select(t.clusters).where(t.clusters.c.id == key.id)).first()
            if known is None:
                conn.execute(t.clusters.insert().values(
                    id=key.id, name=key.name, cloud=key.cloud, account=key.account, region=key.region,
                ))
            else:
                if known.account and key.account and known.account != key.account:
                    raise StoreError(
                        f"store {self.url}: cluster {key.name!r} is in account {known.account}, this scan "
                        f"is of account {key.account}: two clusters of one name",
                        remediation="name them apart (r2c scan --cluster-name NAME, or the kubeconfig's cluster names)",
                    )
                newer = {col: val for col, val in (("account", key.account), ("region", key.region)) if val}
                if key.cloud != "none":
                    newer["cloud"] = key.cloud
                if newer:
                    conn.execute(t.clusters.update().where(t.clusters.c.id == key.id).values(**newer))
            conn.execute(t.scans.insert().values(
                id=rec.scan_id, cluster_id=key.id, generated_at=rec.generated_at, tool_version=rec.tool_version,
                recorded_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                source=rec.source, status=rec.status, error=rec.error, duration_s=rec.duration_s,
                findings=len(rec.findings), suppressed=rec.suppressed, not_checked=len(rec.not_checked),
                scope=rec.scope, **{name: rec.counts.get(name, 0) for name in SEVERITIES},
            ))
            if rec.findings:
                conn.execute(t.findings.insert(), [
                    {"scan_id": rec.scan_id, "id": f.id, "position": i, "rule": f.rule, "loop": f.loop, "severity": f.severity,
                     "kind": f.kind, "namespace": f.namespace, "name": f.name, "message": f.message,
                     "root_cause": f.root_cause}
                    for i, f in enumerate(rec.findings)
                ])
                members = [{"scan_id": rec.scan_id, "symptom": s, "finding_id": f.id}
                           for f in rec.findings for s in f.chains]
                if members:
                    conn.execute(t.chain_members.insert(), members)
            if rec.not_checked:
                conn.execute(t.not_checked.insert(), [
                    {"scan_id": rec.scan_id, "what": what, "reason": reason} for what, reason in rec.not_checked
                ])
        return True

    # ------------------------------------------------------------------ reading

    def clusters(self) -> list[ClusterKey]:
        """Every cluster the store has a scan of, by name."""
        import sqlalchemy as sa

        from r2c_clouds.store import schema as t

        with _database_errors(self.url, "reading clusters"), self._engine.connect() as conn:
            rows = conn.execute(sa.select(t.clusters).order_by(t.clusters.c.name, t.clusters.c.id)).all()
        return [ClusterKey(r.name, r.cloud, r.account, r.region) for r in rows]

    def scans(self, cluster: str | None = None, *, limit: int | None = None) -> list[ScanRow]:
        """Scans, oldest first: all of them, or one cluster's (``cluster``: its name or id).
        ``limit``: only the newest ``limit`` of them (still oldest first)."""
        import sqlalchemy as sa

        from r2c_clouds.store import schema as t

        c, s = t.clusters, t.scans
        query = sa.select(
            s.c.id.label("scan_id"), s.c.cluster_id, c.c.name.label("cluster"), c.c.cloud, c.c.account, c.c.region,
            s.c.generated_at, s.c.tool_version, s.c.source, s.c.status, s.c.error, s.c.duration_s, s.c.findings,
            *(s.c[name] for name in SEVERITIES), s.c.suppressed, s.c.not_checked,
        ).join(c, c.c.id == s.c.cluster_id)
        if cluster is not None:
            query = query.where(sa.or_(c.c.name == cluster, c.c.id == cluster))
        query = query.order_by(s.c.generated_at.desc(), s.c.recorded_at.desc())
        if limit is not None:
            query = query.limit(limit)
        with _database_errors(self.url, "reading scans"), self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [ScanRow(**row._asdict()) for row in reversed(rows)]

    def history(self, cluster: str) -> list[ScanRow]:
        """One cluster's scans over time, oldest first.

        Raises:
            StoreError: the store has no cluster of that name or id.
        """
        rows = self.scans(cluster)
        if not rows:
            known = ", ".join(sorted({k.name for k in self.clusters()})) or "none yet"
            raise StoreError(f"store {self.url} has no cluster {cluster!r} (clusters: {known})")
        return rows

    def latest(self) -> list[ScanRow]:
        """Each cluster's newest scan (failed ones included), by cluster name."""
        newest: dict[str, ScanRow] = {}
        for row in self.scans():
            newest[row.cluster_id] = row  # oldest first: the last one wins
        return sorted(newest.values(), key=lambda r: (r.cluster, r.cluster_id))

    def findings(self, scan_id: str) -> list[FindingRow]:
        """One scan's findings, most severe first (the report's order)."""
        import sqlalchemy as sa

        from r2c_clouds.store import schema as t

        f, m = t.findings, t.chain_members
        with _database_errors(self.url, "reading findings"), self._engine.connect() as conn:
            rows = conn.execute(sa.select(f).where(f.c.scan_id == scan_id).order_by(f.c.position)).all()
            chains: dict[str, list[str]] = {}
            for r in conn.execute(sa.select(m).where(m.c.scan_id == scan_id).order_by(m.c.symptom)).all():
                chains.setdefault(r.finding_id, []).append(r.symptom)
        return [
            FindingRow(r.id, r.rule, r.loop, r.severity, r.kind, r.namespace, r.name, r.message,
                       tuple(chains.get(r.id, ())), bool(r.root_cause))
            for r in rows
        ]

    def not_checked(self, scan_id: str) -> list[tuple[str, str]]:
        """What one scan could not check, and why."""
        import sqlalchemy as sa

        from r2c_clouds.store import schema as t

        n = t.not_checked
        with _database_errors(self.url, "reading not-checked"), self._engine.connect() as conn:
            rows = conn.execute(sa.select(n.c.what, n.c.reason).where(n.c.scan_id == scan_id)
                                .order_by(n.c.what, n.c.reason)).all()
        return [(r.what, r.reason) for r in rows]

    # ------------------------------------------------------------------ notebooks

    def scans_frame(self, cluster: str | None = None) -> Any:
        """:meth:`scans` as a DataFrame (pandas needed: ``pip install 'r2c_clouds[pandas]'``)."""
        return _frame(self.scans(cluster), ScanRow)

    def findings_frame(self, scan_id: str) -> Any:
        """:meth:`findings` as a DataFrame."""
        return _frame(self.findings(scan_id), FindingRow)


def _frame(rows: Sequence[Any], cls: type) -> Any:
    import importlib

    try:
        pd = importlib.import_module("pandas")
    except ImportError:
        raise ImportError("a DataFrame needs pandas: pip install 'r2c_clouds[pandas]'") from None
    columns = [a.name for a in attrs.fields(cls)]
    return pd.DataFrame([attrs.asdict(r, recurse=False) for r in rows], columns=columns)
