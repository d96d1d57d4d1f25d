"""Render the fleet at a glance (``r2c fleet report``) as text, JSON or one HTML page in the
single-cluster report's look."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from r2c_clouds.report.html import _CSS, ROOT_CLASS, _e
from r2c_clouds.report.text import to_text
from r2c_clouds.store.records import SEVERITIES, FindingRow
from r2c_clouds.store.summary import LOOPS, ClusterSummary, FleetSummary, severity_counts

__all__ = ["fleet_dict", "fleet_html", "fleet_text"]

_MAX_CHANGES = 20  # findings listed per cluster under "new" / "resolved" in text and HTML


def _cell(counts: dict[str, int]) -> str:
    """``37 (1c 2h)``: the total, then how many of them are critical and high, when any."""
    urgent = " ".join(f"{counts[s]}{s[0]}" for s in ("critical", "high") if counts[s])
    return f"{sum(counts.values())}" + (f" ({urgent})" if urgent else "")


def _finding(f: FindingRow) -> dict[str, Any]:
    return {"id": f.id, "rule": f.rule, "loop": f.loop, "severity": f.severity,
            "subject": {"kind": f.kind, "namespace": f.namespace, "name": f.name}, "message": f.message}


def _subject(f: FindingRow) -> str:
    return f"{f.kind}/{f.namespace}/{f.name}" if f.namespace else f"{f.kind}/{f.name}"


def fleet_dict(summary: FleetSummary) -> dict[str, Any]:
    """The fleet report as plain data (``r2c fleet report -o json``)."""
    def cluster(c: ClusterSummary) -> dict[str, Any]:
        latest, judged = c.latest, c.judged
        return {
            "name": c.name,
            "cloud": latest.cloud, "account": latest.account, "region": latest.region,
            "latest_scan": {"scan_id": latest.scan_id, "generated_at": latest.generated_at, "status": latest.status,
                            "error": latest.error},
            "judged_scan": None if judged is None else {"scan_id": judged.scan_id, "generated_at": judged.generated_at,
                                                        "status": judged.status},
            "previous_scan": None if c.previous is None else {"scan_id": c.previous.scan_id,
                                                              "generated_at": c.previous.generated_at},
            "by_loop": c.by_loop,
            "by_severity": severity_counts(c.by_loop),
            "not_checked": judged.not_checked if judged else None,
            "new": [_finding(f) for f in c.new] if not c.first_scan else [],
            "resolved": [_finding(f) for f in c.resolved],
            "first_scan": c.first_scan,
            "worse": c.worse,
            "stale": c.stale,
        }

    return {
        "schema": "r2c_clouds/fleet-report/v1",
        "store": summary.store,
        "generated_at": summary.generated_at,
        "stale_after_hours": summary.stale_after_hours,
        "since_hours": summary.since_hours,
        "clusters": [cluster(c) for c in summary.clusters],
        "top_rules": [{"rule": r.rule, "clusters": r.clusters, "findings": r.findings, "severity": r.severity}
                      for r in summary.top_rules],
        "not_scanned_recently": [c.name for c in summary.stale],
    }


def _change(c: ClusterSummary, since_hours: float | None = None) -> str:
    if c.judged is None:
        return "never scanned"
    if c.first_scan:
        return "first scan" if since_hours is None else f"no scan {since_hours:g} h old"
    return f"+{len(c.new)} / -{len(c.resolved)}"


def _since(summary: FleetSummary) -> str:
    if summary.since_hours is None:
        return "each cluster's scan before"
    return f"each cluster's newest scan at least {summary.since_hours:g} hours old"


def fleet_text(summary: FleetSummary, *, color: bool = False, width: int = 100) -> str:
    """The fleet report for a terminal."""
    if not summary.clusters:
        return f"No scans in {summary.store} yet (r2c fleet scan --store URL records some).\n"
    matrix = Table(box=None, header_style="bold", pad_edge=False, title_justify="left")
    matrix.add_column("cluster", style="cyan", no_wrap=True, min_width=max(len(c.name) for c in summary.clusters))
    for lp in LOOPS:
        matrix.add_column(lp, justify="right")
    matrix.add_column("change", justify="right")
    matrix.add_column("newest scan")
    for c in summary.clusters:
        when = c.latest.generated_at.replace("T", " ")[:16]
        status = c.latest.status  # a failure's reason: under "Not scanned recently"
        change = Text(_change(c, summary.since_hours))
        if c.worse:
            change.append(" worse", style="bold red")
        matrix.add_row(  # Text cells: a name or an error with brackets is not rich markup
            Text(c.name), *(Text(_cell(c.by_loop[lp]) if c.judged else "-") for lp in LOOPS),
            change, Text(f"{when} {status}" + (" (stale)" if c.stale and c.latest.status != "failed" else "")),
        )
    parts: list[Any] = [
        Text(f"Fleet: {len(summary.clusters)} cluster(s) in {summary.store}", style="bold"),
        Text("findings per loop, from each cluster's newest successful scan: total (critical c, high h); "
             "change: new / resolved since " + _since(summary), style="dim"),
        matrix,
    ]
    if summary.top_rules:
        rules = Table(box=None, header_style="bold", pad_edge=False)
        rules.add_column("rule", style="cyan", no_wrap=True)
        rules.add_column("clusters", justify="right")
        rules.add_column("findings", justify="right")
        rules.add_column("worst")
        for r in summary.top_rules:
            rules.add_row(Text(r.rule), str(r.clusters), str(r.findings), r.severity)
        parts += [Text(""), Text("Rules failing most across clusters", style="bold"), rules]
    changed = [c for c in summary.clusters if not c.first_scan and c.judged and (c.new or c.resolved)]
    if changed:
        parts += [Text(""), Text("Since " + _since(summary), style="bold")]
        for c in changed:
            parts.append(Text(f"{c.name}: {len(c.new)} new, {len(c.resolved)} resolved"
                              + (" — worse" if c.worse else ""), style="bold red" if c.worse else ""))
            for sign, rows in (("+", c.new), ("-", c.resolved)):
                for f in rows[:_MAX_CHANGES]:
                    parts.append(Text(f"  {sign} {f.severity:<8} {f.rule}  {_subject(f)}"))
                if len(rows) > _MAX_CHANGES:
                    parts.append(Text(f"  {sign} ... {len(rows) - _MAX_CHANGES} more", style="dim"))
    if summary.stale:
        parts += [Text(""), Text(f"Not scanned recently (newest scan failed or older than "
                                 f"{summary.stale_after_hours:g} h)", style="bold")]
        for c in summary.stale:
            why = f"failed: {c.latest.error}" if c.latest.status == "failed" else f"last scanned {c.latest.generated_at}"
            parts.append(Text(f"  {c.name}: {why}"))
    return to_text(Group(*parts), color=color, width=width)


def fleet_html(summary: FleetSummary) -> str:
    """The fleet report as one self-contained HTML page."""
    sev_head = "".join(f'<span class="sev {s}">{s[0].upper()}</span>' for s in SEVERITIES)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>r2c fleet · {len(summary.clusters)} clusters</title><style>{_CSS}</style></head>",
        f'<body><main class="{ROOT_CLASS}">',
        f"<h1>r2c fleet · {len(summary.clusters)} cluster(s)</h1>",
        f'<p class="meta">store {_e(summary.store)} · generated {_e(summary.generated_at)}</p>',
        '<nav class="toc"><strong>Contents</strong><ul><li><a href="#r2c-matrix">Clusters by loop</a></li>'
        '<li><a href="#r2c-rules">Rules failing most</a></li><li><a href="#r2c-changes">New and resolved</a></li>'
        '<li><a href="#r2c-stale">Not scanned recently</a></li></ul></nav>',
        '<h2 id="r2c-matrix">Clusters by loop</h2>',
        f"<p class=\"meta\">findings of each cluster's newest successful scan: total, then {sev_head}</p>",
        '<table><colgroup><col style="width:16%">' + "<col>" * (len(LOOPS) + 2) + "</colgroup>",
        "<thead><tr><th>cluster</th>" + "".join(f"<th>{_e(lp)}</th>" for lp in LOOPS)
        + "<th>change</th><th>newest scan</th></tr></thead><tbody>",
    ]
    if not summary.clusters:
        out.append(f'<tr><td colspan="{len(LOOPS) + 3}">No scans yet.</td></tr>')
    for c in summary.clusters:
        cells = []
        for lp in LOOPS:
            counts = c.by_loop[lp]
            worst = next((s for s in SEVERITIES if counts[s]), None)
            badge = f' <span class="sev {worst}">{counts[worst]} {worst}</span>' if worst and worst in ("critical", "high") else ""
            cells.append(f"<td>{sum(counts.values())}{badge}</td>" if c.judged else "<td>-</td>")
        change = _e(_change(c, summary.since_hours)) + (' <span class="fail">worse</span>' if c.worse else "")
        status = _e(c.latest.status) if c.latest.error is None else '<span class="fail">failed</span> (see below)'
        out.append(
            f'<tr><td><a href="#cluster-{_e(c.latest.cluster_id)}"><strong>{_e(c.name)}</strong></a>'
            f'<div class="ev">{_e(c.latest.cloud)}{" · " + _e(c.latest.region) if c.latest.region else ""}</div></td>'
            + "".join(cells) + f"<td>{change}</td><td>{_e(c.latest.generated_at)}<div class=\"ev\">{status}</div></td></tr>"
        )
    out.append("</tbody></table>")
    out.append('<h2 id="r2c-rules">Rules failing most across clusters</h2>')
    if summary.top_rules:
        out.append('<table><colgroup><col><col style="width:7rem"><col style="width:7rem"><col class="c-sev">'
                   "</colgroup><thead><tr><th>rule</th><th>clusters</th><th>findings</th><th>worst</th></tr></thead><tbody>")
        out.extend(f'<tr><td class="rule">{_e(r.rule)}</td><td>{r.clusters}</td><td>{r.findings}</td>'
                   f'<td><span class="sev {_e(r.severity)}">{_e(r.severity)}</span></td></tr>' for r in summary.top_rules)
        out.append("</tbody></table>")
    else:
        out.append("<p>No findings.</p>")
    out.append(f'<h2 id="r2c-changes">New and resolved since {_e(_since(summary))}</h2>')
    for c in summary.clusters:
        out.append(f'<h3 id="cluster-{_e(c.latest.cluster_id)}">{_e(c.name)} · {_e(_change(c, summary.since_hours))}'
                   + (' <span class="fail">worse</span>' if c.worse else "") + "</h3>")
        if c.judged is None:
            out.append(f"<p>Never scanned successfully: {_e(c.latest.error)}</p>")
            continue
        if c.first_scan:
            out.append(f'<p class="meta">first scan ({_e(c.judged.generated_at)}): nothing to compare with yet</p>')
            continue
        if not c.new and not c.resolved:
            out.append(f'<p class="meta">no change since {_e(c.previous.generated_at if c.previous else "")}</p>')
            continue
        out.append('<table><colgroup><col style="width:6rem"><col class="c-sev"><col style="width:30%"><col>'
                   "</colgroup><thead><tr><th></th><th>severity</th><th>rule · subject</th><th>message</th></tr></thead><tbody>")
        for label, rows in (("new", c.new), ("resolved", c.resolved)):
            for f in rows[:_MAX_CHANGES]:
                out.append(f'<tr><td class="{"fail" if label == "new" else "pass"}">{label}</td>'
                           f'<td><span class="sev {_e(f.severity)}">{_e(f.severity)}</span></td>'
                           f'<td><span class="rule">{_e(f.rule)}</span><br>{_e(_subject(f))}</td><td>{_e(f.message)}</td></tr>')
            if len(rows) > _MAX_CHANGES:
                out.append(f'<tr><td colspan="4" class="meta">... {len(rows) - _MAX_CHANGES} more {label}</td></tr>')
        out.append("</tbody></table>")
    out.append(f'<h2 id="r2c-stale">Not scanned recently ({len(summary.stale)})</h2>')
    if summary.stale:
        out.append("<ul>")
        for c in summary.stale:
            why = f"failed: {c.latest.error}" if c.latest.status == "failed" else f"last scanned {c.latest.generated_at}"
            out.append(f"<li><strong>{_e(c.name)}</strong> — {_e(why)}</li>")
        out.append("</ul>")
    else:
        out.append(f'<p class="meta">every cluster was scanned within {summary.stale_after_hours:g} hours</p>')
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
