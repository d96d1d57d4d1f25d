"""The report as a pull-request comment (GitHub-flavoured Markdown).

Summary, cause chains, the findings at or above ``--fail-on`` first, then the rest, within
GitHub's 65,536-character comment limit: what does not fit is counted ("... and 212 more
findings: see the JSON report"). Strings from the cluster lose their control characters and
are escaped, so an object name cannot break the table or inject markup.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from r2c_clouds._text import printable
from r2c_clouds.model.cluster import skipped_summary
from r2c_clouds.model.findings import Finding, Severity

if TYPE_CHECKING:
    from r2c_clouds.report._report import Report

__all__ = ["GITHUB_COMMENT_LIMIT", "render_markdown"]

#: GitHub's limit on a comment body, in characters.
GITHUB_COMMENT_LIMIT = 65_536
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#~])")
_ICON = {Severity.CRITICAL: "🟥", Severity.HIGH: "🟧", Severity.MEDIUM: "🟨", Severity.LOW: "🟦", Severity.INFO: "⬜"}


def _md(text: str, clip: int | None = None) -> str:
    """Cluster text made inert in Markdown: one line, no control characters, specials escaped."""
    one = " ".join(printable(text).split())
    if clip is not None and len(one) > clip:
        one = one[: clip - 1] + "…"
    return _SPECIAL.sub(r"\\\1", one)


def _row(f: Finding) -> str:
    return (f"| {_ICON[f.severity]} {f.severity.label} | `{f.rule}` | {_md(str(f.subject))} | "
            f"{_md(f.message, 400)} |")


def render_markdown(report: Report, *, fail_on: Severity | str = Severity.HIGH, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """The comment, at most ``limit`` characters.

    .. versionadded:: 0.2
    """
    threshold = Severity.parse(fail_on) if isinstance(fail_on, str) else fail_on
    findings = sorted(report.findings, key=lambda f: f.sort_key)
    counts = Counter(f.severity for f in findings)
    failing = report.at_or_above(threshold)
    name = report.cluster.name or (report.facts.cluster_name if report.facts else None) or "(unnamed)"
    verdict = (f"**{len(failing)} finding(s) at or above {threshold.label}**" if failing
               else f"no finding at or above {threshold.label}")
    head = [
        f"## r2c · cluster {_md(name)}",
        "",
        f"{verdict} — {len(findings)} in all: "
        + " · ".join(f"{counts.get(s, 0)} {s.label}" for s in sorted(Severity, reverse=True))
        + f" · {len(report.chains)} cause chain(s)",
        "",
        f"source `{_md(report.cluster.source)}` · cloud {_md(report.facts.provider if report.facts else 'none')}",
    ]
    if report.incomplete:
        kinds = ", ".join(dict.fromkeys(_md(nc.what) for nc in report.incomplete))
        head += ["", f"> **Incomplete:** could not read {kinds}: the rules that need them saw part of the cluster."]
    skipped = skipped_summary(report.stats.skipped)
    if skipped:
        head += ["", f"Skipped {_md(skipped)}."]
    by_id = {f.id: f for f in findings}
    chains = []
    if report.chains:
        chains += ["", f"### Cause chains ({len(report.chains)})", ""]
        for i, c in enumerate(report.chains, 1):
            symptom = by_id.get(c.symptom)
            roots = [by_id[r] for r in c.root_causes if r in by_id]
            chains.append(f"{i}. {_md(c.summary, 600)}")
            if symptom is not None and roots:
                chains.append("   - root cause(s): " + "; ".join(f"`{r.rule}` {_md(str(r.subject))}" for r in roots))
    table_head = ["", "### Findings", "", "| severity | rule | subject | finding |", "|---|---|---|---|"]
    tail_parts = []
    if report.not_checked:
        tail_parts = ["", f"<details><summary>Not checked ({len(report.not_checked)})</summary>", ""]
        tail_parts += [f"- {_md(nc.what)} — {_md(nc.reason, 200)}" for nc in report.not_checked[:50]]
        if len(report.not_checked) > 50:
            tail_parts.append(f"- … and {len(report.not_checked) - 50} more")
        tail_parts += ["", "</details>"]
    footer = ["", f"<sub>r2c_clouds · {report.generated_at}</sub>", ""]
    out = "\n".join(head + chains + table_head)
    rest = "\n".join(tail_parts + footer)
    budget = limit - len(out) - len(rest) - 200
    rows: list[str] = []
    for n, f in enumerate(findings):  # most severe first (sort_key): the failing ones lead
        row = "\n" + _row(f)
        if budget - len(row) < 0:
            rows.append(f"\n\n… and {len(findings) - n} more findings: see the JSON report (`r2c scan -o json`).")
            break
        budget -= len(row)
        rows.append(row)
    if not findings:
        rows.append("\n| | | | no findings |")
    text = out + "".join(rows) + "\n" + rest
    return text if len(text) <= limit else text[: limit - 1] + "\n"
