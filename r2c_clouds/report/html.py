"""A self-contained HTML page: header, cause chains, findings table, checklist.

No scripts, no external assets. Every value that comes from the cluster or the cloud is
escaped with :func:`html.escape` (object names are user-controlled), and only ``http(s)``
links are emitted.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import TYPE_CHECKING

from r2c_clouds.model.cluster import skipped_summary
from r2c_clouds.model.findings import Finding, Severity

if TYPE_CHECKING:
    from r2c_clouds.report._report import Report

__all__ = ["render_html"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;color:#1b1f24;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem;margin-top:2rem}
.meta{color:#57606a}.sev{font-weight:600;padding:0 .4em;border-radius:3px;font-size:.85em;white-space:nowrap}
.critical{background:#8b0000;color:#fff}.high{background:#cf222e;color:#fff}.medium{background:#bf8700;color:#fff}
.low{background:#0969da;color:#fff}.info{background:#eaeef2;color:#57606a}
.loop{color:#0550ae;font-size:.85em}.rule{font-family:ui-monospace,monospace;font-size:.85em;color:#57606a}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #eaeef2}
th{background:#f6f8fa}ul.chain,ul.chain ul{list-style:none;padding-left:1.2rem;border-left:2px solid #d0d7de;margin:.25rem 0}
ul.chain{border-left:none;padding-left:0}.ev{color:#57606a;font-size:.85em;margin:.15rem 0 0}
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}.partial{color:#9a6700;font-weight:600}.not-checked{color:#57606a}
code{font-family:ui-monospace,monospace;font-size:.9em}
"""

_MAX_EVIDENCE = 5
_MAX_CAUSES = 20


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _link(url: str, text: str | None = None) -> str:
    if not url.startswith(("https://", "http://")):
        return _e(text or url)
    return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(text or url)}</a>'


def _sev(sev: Severity) -> str:
    return f'<span class="sev {sev.label}">{sev.label}</span>'


def _subject(f: Finding) -> str:
    return f"<code>{_e(f.subject)}</code>"


def _node(f: Finding, by_id: dict[str, Finding], seen: frozenset[str], prefix: str = "") -> str:
    parts = [
        f"<li>{_e(prefix)}{_subject(f)} {_sev(f.severity)} <span class=loop>{_e(f.loop.value)}</span> "
        f"<span class=rule>{_e(f.rule)}</span><br>{_e(f.message)}"
    ]
    children = sorted((by_id[c] for c in f.caused_by if c in by_id and c not in seen), key=lambda c: c.sort_key)
    if children:
        parts.append("<ul>")
        for c in children[:_MAX_CAUSES]:
            parts.append(_node(c, by_id, seen | {c.id}, "caused by "))
        if len(children) > _MAX_CAUSES:
            parts.append(f"<li>... and {len(children) - _MAX_CAUSES} more causes</li>")
        parts.append("</ul>")
    parts.append("</li>")
    return "".join(parts)


def _evidence(f: Finding) -> str:
    lines = [
        f'<div class="ev">{_e(ev.source)} · <code>{_e(ev.ref)}</code> · {_e(ev.detail)}'
        + (f" ({_e(ev.time)})" if ev.time else "")
        + "</div>"
        for ev in f.evidence[:_MAX_EVIDENCE]
    ]
    if len(f.evidence) > _MAX_EVIDENCE:
        lines.append(f'<div class="ev">... and {len(f.evidence) - _MAX_EVIDENCE} more</div>')
    return "".join(lines)


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page.

    Args:
        report: the result of :func:`r2c_clouds.scan`.

    .. versionadded:: 0.1
    """
    c = report.cluster
    facts = report.facts
    name = c.name or (facts.cluster_name if facts is not None else None) or "cluster"
    findings = sorted(report.findings, key=lambda f: f.sort_key)
    by_id = {f.id: f for f in findings}
    counts = Counter(f.severity for f in findings)
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>r2c report · {_e(name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>r2c report · {_e(name)}</h1>",
        f'<p class="meta">source {_e(c.source)}'
        + (f" · Kubernetes {_e(c.server_version)}" if c.server_version else "")
        + (f" · cloud {_e(facts.provider)}" + (f" ({_e(facts.region)})" if facts.region else "") if facts else " · no cloud facts")
        + f" · generated {_e(report.generated_at)}</p>",
        "<p>"
        + " ".join(f"{_sev(s)} {counts.get(s, 0)}" for s in sorted(Severity, reverse=True))
        + f" · {len(report.chains)} chain(s)</p>",
    ]
    if report.chains:
        out.append(f"<h2>Cause chains ({len(report.chains)})</h2>")
        for chain in report.chains:
            loops = " → ".join(loop.value for loop in chain.loops)
            out.append(f"<p><strong>{_e(chain.summary)}</strong> <span class=loop>[{_e(loops)}]</span></p>")
            symptom = by_id.get(chain.symptom)
            if symptom is not None:
                out.append(f'<ul class="chain">{_node(symptom, by_id, frozenset({symptom.id}))}</ul>')
    out.append(f"<h2>Findings ({len(findings)})</h2>")
    if findings:
        out.append(
            "<table><thead><tr><th>severity</th><th>loop</th><th>rule</th><th>subject</th>"
            "<th>finding</th><th>fix</th></tr></thead><tbody>"
        )
        for f in findings:
            fix = _e(f.remediation) + (f"<br>{_link(f.docs, 'docs')}" if f.docs else "")
            out.append(
                f'<tr id="f-{_e(f.id)}"><td>{_sev(f.severity)}</td><td class=loop>{_e(f.loop.value)}</td>'
                f"<td class=rule>{_e(f.rule)}</td><td>{_subject(f)}</td>"
                f"<td>{_e(f.message)}{_evidence(f)}</td><td>{fix}</td></tr>"
            )
        out.append("</tbody></table>")
    else:
        out.append("<p>No findings.</p>")
    if report.checklist:
        out.append("<h2>Cluster Readiness Checklist</h2><table><thead><tr><th>status</th><th>item</th>"
                   "<th>checklist line</th></tr></thead><tbody>")
        for item in report.checklist:
            checks = "".join(
                f'<div class="ev"><span class="{_e(st.value)}">{_e(st.value)}</span> {_e(n)}</div>'
                for n, st in item.checks
            )
            ev = "".join(f'<div class="ev">{_e(e.ref)} · {_e(e.detail)}</div>' for e in item.evidence[:_MAX_EVIDENCE])
            out.append(
                f'<tr><td class="{_e(item.status.value)}">{_e(item.status.value)}</td>'
                f"<td><code>{_e(item.item)}</code></td><td>{_e(item.title)}{checks}{ev}</td></tr>"
            )
        out.append("</tbody></table>")
    if report.not_checked:
        out.append(f"<h2>Not checked ({len(report.not_checked)})</h2><ul>")
        for what, reason in sorted({(nc.what, nc.reason) for nc in report.not_checked}):
            out.append(f"<li><strong>{_e(what)}</strong> — {_e(reason)}</li>")
        out.append("</ul>")
    st = report.stats
    skipped = skipped_summary(st.skipped)
    out.append(
        f'<p class="meta">objects {sum(st.objects.values())}'
        + (f" · skipped {_e(skipped)}" if skipped else "")
        + f" · cloud api calls {sum(st.api_calls.values())} · {st.duration_s:.2f} s</p></body></html>"
    )
    return "\n".join(out) + "\n"
