"""Baselines: compare two JSON reports by their stable finding ids.

A finding's id is the first 12 hex digits of SHA-256 over ``rule|subject[|key]``: the same
problem on the same object has the same id in every scan, on every machine, live or from a
snapshot. So ``r2c scan --baseline OLD.json`` can fail CI only on what is new, and
``r2c diff OLD.json NEW.json`` says what appeared, what was resolved and what stayed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from attrs import frozen

from r2c_clouds.errors import BadInputError
from r2c_clouds.model.findings import Severity

__all__ = ["Diff", "diff_reports", "load_findings"]

SCHEMA = "r2c_clouds/report/v1"


def load_findings(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The findings of a JSON report (``r2c scan -o json``), by id.

    Raises:
        BadInputError: the file cannot be read or is not a report of schema ``r2c_clouds/report/v1``.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_bytes())
    except OSError as exc:
        raise BadInputError(f"{p}: cannot read the report ({exc.strerror or exc})") from None
    except (ValueError, RecursionError) as exc:
        raise BadInputError(f"{p}: not a JSON report ({' '.join(str(exc).split())})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise BadInputError(f"{p}: not an r2c JSON report (schema {SCHEMA!r}; write one with `r2c scan -o json`)")
    findings = data.get("findings")
    if not isinstance(findings, list) or not all(isinstance(f, dict) and isinstance(f.get("id"), str) for f in findings):
        raise BadInputError(f"{p}: malformed report: findings without ids")
    return {f["id"]: f for f in findings}


@frozen
class Diff:
    """What changed between two reports: finding dicts as the JSON report writes them."""

    new: tuple[dict[str, Any], ...]
    resolved: tuple[dict[str, Any], ...]
    unchanged: tuple[dict[str, Any], ...]

    def at_or_above(self, severity: Severity | str) -> tuple[dict[str, Any], ...]:
        """The new findings at or above ``severity``."""
        sev = Severity.parse(severity) if isinstance(severity, str) else severity
        return tuple(f for f in self.new if Severity.parse(str(f.get("severity", "info"))) >= sev)

    def to_dict(self) -> dict[str, Any]:
        return {"new": list(self.new), "resolved": list(self.resolved), "unchanged": list(self.unchanged)}

    def to_text(self) -> str:
        lines = [f"{len(self.new)} new · {len(self.resolved)} resolved · {len(self.unchanged)} unchanged"]
        for title, group in (("new", self.new), ("resolved", self.resolved)):
            if group:
                lines += ["", f"{title}:"]
                lines += [f"  {f.get('severity', '?'):<8} {f.get('rule', '?')}  {_subject(f)}  [{f['id']}]" for f in group]
        return "\n".join(lines) + "\n"


def _subject(f: dict[str, Any]) -> str:
    s = f.get("subject") or {}
    parts = [s.get("kind"), s.get("namespace"), s.get("name")]
    return "/".join(str(p) for p in parts if p)


def _order(findings: dict[str, dict[str, Any]], ids: set[str]) -> tuple[dict[str, Any], ...]:
    def key(f: dict[str, Any]) -> tuple[int, str, str, str]:
        sev = Severity.parse(str(f.get("severity", "info")))
        return (-int(sev), str(f.get("rule", "")), _subject(f), f["id"])

    return tuple(sorted((findings[i] for i in ids), key=key))


def diff_reports(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> Diff:
    """New, resolved and unchanged findings, by id, most severe first."""
    return Diff(
        new=_order(new, set(new) - set(old)),
        resolved=_order(old, set(old) - set(new)),
        unchanged=_order(new, set(new) & set(old)),
    )
