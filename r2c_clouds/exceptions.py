"""Exceptions: known findings, accepted with a reason (and, better, until a date).

Two places say a finding is accepted:

* an **exceptions file** (``r2c scan --exceptions FILE``)::

      exceptions:
        - rules: [compute.no-priority-class, "compute.missing-*"]   # ids or globs
          match:                          # every key optional; globs; all must match
            cluster: "prod-*"
            kind: Deployment
            namespace: "batch-*"
            name: "*"
            labels: {team: data}          # the object's labels (a matchLabels selector)
          reason: batch jobs run best effort   # required
          expires: 2027-03-31             # optional: after it, the finding counts again

* **annotations** on the object or its namespace: ``r2c-clouds/ignore: "rule-id,rule-id"``
  (globs allowed), ``r2c-clouds/ignore-reason`` (required), ``r2c-clouds/ignore-until``
  (optional date).

An excepted finding leaves the verdict and the exit code but stays visible (the report's
``suppressed``). An expired exception warns and the finding counts again; an exception that
matched nothing is reported as stale. Pure logic: :func:`apply` takes the findings and the
cluster and returns what is kept, what is suppressed and what to say about the exceptions.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from attrs import field, frozen

from r2c_clouds.errors import BadInputError
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.model.findings import Finding, ObjectRef

__all__ = [
    "IGNORE",
    "IGNORE_REASON",
    "IGNORE_UNTIL",
    "Applied",
    "ExceptionEntry",
    "Suppressed",
    "apply",
    "load_exceptions",
]

IGNORE = "r2c-clouds/ignore"
IGNORE_REASON = "r2c-clouds/ignore-reason"
IGNORE_UNTIL = "r2c-clouds/ignore-until"
_MATCH_KEYS = frozenset({"cluster", "kind", "namespace", "name", "labels"})
_ENTRY_KEYS = frozenset({"rules", "match", "reason", "expires"})


@frozen
class ExceptionEntry:
    """One accepted kind of finding.

    Args:
        rules: rule ids or globs (``compute.missing-*``).
        reason: why it is accepted (required).
        source: where it was written: ``FILE:LINE`` or ``annotation on KIND/NS/NAME``.
        cluster, kind, namespace, name: globs on the finding's cluster and subject.
        labels: labels the subject object must carry.
        expires: the last day it holds.
    """

    rules: tuple[str, ...]
    reason: str
    source: str
    cluster: str = "*"
    kind: str = "*"
    namespace: str = "*"
    name: str = "*"
    labels: tuple[tuple[str, str], ...] = ()
    expires: dt.date | None = None


@frozen
class Suppressed:
    """A finding an exception accepted."""

    finding: Finding
    reason: str
    source: str
    expires: dt.date | None = None


@frozen
class Applied:
    """What :func:`apply` decided.

    Args:
        kept: findings that count.
        suppressed: findings accepted by an exception.
        expired: exceptions past their date that would have matched (their findings count).
        stale: exceptions from the file that matched no finding.
    """

    kept: tuple[Finding, ...]
    suppressed: tuple[Suppressed, ...] = ()
    expired: tuple[ExceptionEntry, ...] = ()
    stale: tuple[ExceptionEntry, ...] = field(factory=tuple)


# --------------------------------------------------------------------------- loading


def _date(value: Any, where: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise BadInputError(f"{where}: expires {value!r} is not a date (YYYY-MM-DD)") from None


def _strings(value: Any, where: str, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise BadInputError(f"{where}: {what} must be a rule id or a list of them")
    return tuple(v.strip() for v in value)


def load_exceptions(path: str | os.PathLike[str]) -> list[ExceptionEntry]:
    """Read an exceptions file.

    Raises:
        BadInputError: unreadable, malformed, or an entry without ``rules`` or ``reason``
            (one line naming the file and the entry's line).
    """
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{p}: cannot read the exceptions file ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadInputError(f"{p}: malformed YAML: {' '.join(str(exc).split())}") from None
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("exceptions"), list):
        raise BadInputError(f"{p}: expected a mapping with a list under 'exceptions'")
    lines: list[int] = []
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if getattr(key, "value", None) == "exceptions" and isinstance(value, yaml.SequenceNode):
                lines = [item.start_mark.line + 1 for item in value.value]
    out = []
    for i, entry in enumerate(data["exceptions"]):
        where = f"{p}:{lines[i] if i < len(lines) else '?'}"
        if not isinstance(entry, dict):
            raise BadInputError(f"{where}: an exception must be a mapping (rules, match, reason, expires)")
        unknown = set(entry) - _ENTRY_KEYS
        if unknown:
            raise BadInputError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise BadInputError(f"{where}: an exception needs a reason")
        match = entry.get("match") or {}
        if not isinstance(match, dict) or set(match) - _MATCH_KEYS:
            raise BadInputError(f"{where}: match takes {', '.join(sorted(_MATCH_KEYS))}")
        labels = match.get("labels") or {}
        if not isinstance(labels, dict):
            raise BadInputError(f"{where}: match.labels must be a mapping of label to value")
        out.append(ExceptionEntry(
            rules=_strings(entry.get("rules"), where, "rules"),
            reason=" ".join(reason.split()),
            source=where,
            cluster=str(match.get("cluster", "*")),
            kind=str(match.get("kind", "*")),
            namespace=str(match.get("namespace", "*")),
            name=str(match.get("name", "*")),
            labels=tuple(sorted((str(k), str(v)) for k, v in labels.items())),
            expires=_date(entry.get("expires"), where),
        ))
    return out


# --------------------------------------------------------------------------- matching


def _rule_matches(patterns: Iterable[str], rule: str) -> bool:
    return any(fnmatch.fnmatchcase(rule, p) for p in patterns)


def _labels_of(cluster: ClusterState, f: Finding) -> dict[str, str]:
    obj = cluster.object_of(f.subject)
    meta = getattr(obj, "metadata", None)
    labels = getattr(meta, "labels", None)
    return dict(labels) if isinstance(labels, dict) else {}


def _file_match(e: ExceptionEntry, f: Finding, cluster: ClusterState) -> bool:
    s = f.subject
    return (
        _rule_matches(e.rules, f.rule)
        and fnmatch.fnmatchcase(cluster.name or "", e.cluster)
        and fnmatch.fnmatchcase(s.kind, e.kind)
        and fnmatch.fnmatchcase(s.namespace or "", e.namespace)
        and fnmatch.fnmatchcase(s.name, e.name)
        and all(_labels_of(cluster, f).get(k) == v for k, v in e.labels)
    )


def _annotation_entries(cluster: ClusterState, f: Finding) -> list[ExceptionEntry]:
    """Exceptions written as annotations on the finding's subject or its namespace."""
    out = []
    holders: list[tuple[str, Any]] = []
    obj = cluster.object_of(f.subject)
    if obj is not None:
        holders.append((str(f.subject), obj))
    if f.subject.namespace:
        ns = cluster.object_of(ObjectRef("Namespace", None, f.subject.namespace))
        if ns is not None:
            holders.append((f"Namespace/{f.subject.namespace}", ns))
    for ref, holder in holders:
        ann = holder.metadata.annotations
        if IGNORE not in ann:
            continue
        rules = tuple(r.strip() for r in ann[IGNORE].split(",") if r.strip())
        reason = " ".join(ann.get(IGNORE_REASON, "").split())
        where = f"annotation {IGNORE} on {ref}"
        if not rules or not reason:
            continue  # an annotation without a reason does not except (the file demands one too)
        try:
            until = _date(ann.get(IGNORE_UNTIL), where)
        except BadInputError:
            continue
        out.append(ExceptionEntry(rules=rules, reason=reason, source=where, expires=until))
    return out


def apply(
    findings: Sequence[Finding], cluster: ClusterState, entries: Sequence[ExceptionEntry], today: dt.date | None = None
) -> Applied:
    """Split ``findings`` into kept and suppressed by the file's ``entries`` and the annotations.

    Args:
        findings: the scan's findings.
        cluster: where the subjects' labels and annotations are read.
        entries: the exceptions file's entries.
        today: the date expiry is judged against (default: today, UTC).
    """
    today = today or dt.datetime.now(dt.timezone.utc).date()
    kept: list[Finding] = []
    suppressed: list[Suppressed] = []
    expired: dict[str, ExceptionEntry] = {}
    used: set[str] = set()
    for f in findings:
        candidates = [e for e in entries if _file_match(e, f, cluster)]
        candidates += [e for e in _annotation_entries(cluster, f) if _rule_matches(e.rules, f.rule)]
        live = [e for e in candidates if e.expires is None or e.expires >= today]
        for e in candidates:
            if e.expires is not None and e.expires < today:
                expired.setdefault(e.source, e)
            used.add(e.source)
        if live:
            e = live[0]
            suppressed.append(Suppressed(f, e.reason, e.source, e.expires))
        else:
            kept.append(f)
    stale = tuple(e for e in entries if e.source not in used)
    return Applied(tuple(kept), tuple(suppressed), tuple(expired.values()), stale)
