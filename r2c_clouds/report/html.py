"""A self-contained HTML page: header, contents, cause chains drawn as diagrams, findings
grouped by loop, checklist, what was not checked.

Self-contained and embeddable: no external asset, no network; every rule of the style sheet
is scoped under the root class ``r2c-report``, so the page (or the fragment a notebook shows,
:func:`report_fragment`) never restyles its host. One small inline script filters the
findings by severity; without it every finding shows. Every value that comes from the
cluster or the cloud is escaped (object names are user-controlled); remediation text is
rendered from Markdown with raw HTML disabled; only ``http(s)`` links are emitted.
"""

from __future__ import annotations

import html
from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from r2c_clouds.model.cluster import skipped_summary
from r2c_clouds.model.findings import Chain, Finding, Loop, Severity
from r2c_clouds.report.svg import LANE_COLOR, chain_svg, timeline_svg

if TYPE_CHECKING:
    from r2c_clouds.report._report import Report
    from r2c_clouds.report.explain import Explanation

__all__ = ["ROOT_CLASS", "chain_html", "explanation_html", "render_html", "report_fragment"]

#: The class of the root element; every CSS rule starts with it.
ROOT_CLASS = "r2c-report"

_R = f".{ROOT_CLASS}"
_CSS = f"""
{_R}{{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1f24;max-width:1200px;margin:0 auto;padding:1rem;box-sizing:border-box;overflow-wrap:anywhere}}
{_R} *{{box-sizing:border-box}}
{_R} h1{{font-size:1.5rem;margin:0 0 .25rem}}
{_R} h2{{font-size:1.15rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem;margin:2rem 0 .75rem}}
{_R} h3{{font-size:1rem;margin:1.25rem 0 .5rem}}
{_R} .meta{{color:#57606a}}
{_R} .sev{{font-weight:600;padding:0 .4em;border-radius:3px;font-size:.85em;white-space:nowrap}}
{_R} .sev.critical{{background:#8b0000;color:#fff}}{_R} .sev.high{{background:#cf222e;color:#fff}}
{_R} .sev.medium{{background:#bf8700;color:#fff}}{_R} .sev.low{{background:#0969da;color:#fff}}
{_R} .sev.info{{background:#eaeef2;color:#57606a}}
{_R} .rule{{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;color:#57606a}}
{_R} table{{border-collapse:collapse;width:100%;table-layout:fixed}}
{_R} th,{_R} td{{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid #eaeef2;overflow-wrap:anywhere}}
{_R} th{{background:#f6f8fa}}
{_R} col.c-sev{{width:6.5rem}}{_R} col.c-subject{{width:24%}}{_R} col.c-fix{{width:30%}}
{_R} .ev{{color:#57606a;font-size:.85em;margin:.2rem 0 0}}
{_R} .md p{{margin:0 0 .4rem}}{_R} .md ul,{_R} .md ol{{margin:.2rem 0 .4rem 1.2rem;padding:0}}
{_R} code{{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;background:#f6f8fa;padding:0 .2em;border-radius:3px}}
{_R} pre{{white-space:pre-wrap;background:#f6f8fa;padding:.5rem;border-radius:4px}}
{_R} .chain{{border:1px solid #d0d7de;border-radius:6px;padding:.75rem;margin:0 0 1rem}}
{_R} .diagram{{overflow-x:auto;margin:.5rem 0}}
{_R} .diagram svg{{max-width:100%;height:auto;display:block}}
{_R} .loops{{color:#57606a;font-size:.85em}}
{_R} .pass{{color:#1a7f37;font-weight:600}}{_R} .fail{{color:#cf222e;font-weight:600}}
{_R} .partial{{color:#9a6700;font-weight:600}}{_R} .not-checked{{color:#57606a}}
{_R} nav.toc ul{{margin:.25rem 0;padding-left:1.2rem}}
{_R} .filter{{margin:.5rem 0;color:#57606a}}
{_R} .filter select{{font:inherit}}
{_R} a{{color:#0969da}}
{_R} ol.causes{{margin:.25rem 0 0 1.2rem;padding:0}}
{_R} tr.hidden{{display:none}}
"""

# Filters the finding rows by severity; reads no page content but data-rank attributes.
_SCRIPT = """
(function(){var root=document.currentScript.closest('.r2c-report');if(!root)return;
var sel=root.querySelector('select.r2c-min-severity');if(!sel)return;
function apply(){var min=+sel.value;root.querySelectorAll('tr[data-rank]').forEach(function(tr){
tr.classList.toggle('hidden',+tr.getAttribute('data-rank')<min);});}
sel.addEventListener('change',apply);apply();})();
"""

_MAX_EVIDENCE = 5


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _link(url: str, text: str | None = None) -> str:
    if not url.startswith(("https://", "http://")):
        return _e(text or url)
    return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(text or url)}</a>'


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})

    def validate(url: str) -> bool:
        return url.startswith(("https://", "http://", "#"))

    md.validateLink = validate  # type: ignore[method-assign]
    return md


def markdown(text: str, *, inline: bool = False) -> str:
    """Markdown to HTML, raw HTML escaped, links only ``http(s)`` and in-page anchors."""
    md = _markdown()
    return str(md.renderInline(text) if inline else md.render(text))


def _sev(sev: Severity) -> str:
    return f'<span class="sev {sev.label}">{sev.label}</span>'


def _anchor(f: Finding) -> str:
    return f"f-{f.id}"


def _evidence(f: Finding) -> str:
    lines = [
        f'<div class="ev">{_e(ev.source)} · <code>{_e(ev.ref)}</code> · {markdown(ev.detail, inline=True)}'
        + (f" ({_e(ev.time)})" if ev.time else "")
        + "</div>"
        for ev in f.evidence[:_MAX_EVIDENCE]
    ]
    if len(f.evidence) > _MAX_EVIDENCE:
        lines.append(f'<div class="ev">... and {len(f.evidence) - _MAX_EVIDENCE} more</div>')
    return "".join(lines)


def _chain_block(chain: Chain, by_id: dict[str, Finding], number: int | None = None) -> str:
    findings = {i: by_id[i] for i in chain.path if i in by_id} or {f.id: f for f in chain.findings}
    loops = " → ".join(lp.value for lp in chain.loops)
    head = f"{number}. " if number is not None else ""
    symptom = findings.get(chain.symptom)
    anchor = f' id="chain-{_e(chain.symptom)}"' if number is not None else ""
    out = [
        f'<section class="chain"{anchor}>',
        f"<h3>{head}{_e(symptom.subject) if symptom else 'chain'} <span class=loops>[{_e(loops)}]</span></h3>",
        f'<div class="diagram">{chain_svg(chain, findings)}</div>',
        f"<p>{_e(chain.summary)}</p>",
        '<ol class="causes">',
    ]
    for fid in chain.path:
        f = findings.get(fid)
        if f is None:
            continue
        role = "root cause" if fid in chain.root_causes else ("symptom" if fid == chain.symptom else "cause")
        out.append(
            f'<li><a href="#{_e(_anchor(f))}"><code>{_e(f.subject)}</code></a> {_sev(f.severity)} '
            f'<span class=rule>{_e(f.rule)}</span> — {role}</li>'
        )
    out.append("</ol></section>")
    return "\n".join(out)


def _finding_row(f: Finding) -> str:
    fix = (f'<div class="md">{markdown(f.remediation)}</div>' if f.remediation else "") + (
        _link(f.docs, "docs") if f.docs else ""
    )
    return (
        f'<tr id="{_e(_anchor(f))}" data-rank="{int(f.severity)}"><td>{_sev(f.severity)}</td>'
        f"<td><code>{_e(f.subject)}</code><div class=rule>{_e(f.rule)}</div></td>"
        f'<td><div class="md">{markdown(f.message, inline=True)}</div>{_evidence(f)}</td><td>{fix}</td></tr>'
    )


def _findings_tables(findings: list[Finding]) -> list[str]:
    out: list[str] = []
    for loop in Loop:
        group = [f for f in findings if f.loop is loop]
        if not group:
            continue
        out.append(f'<h3 id="loop-{loop.value}" style="color:{LANE_COLOR.get(loop, "#1b1f24")}">{loop.value} ({len(group)})</h3>')
        out.append(
            '<table><colgroup><col class="c-sev"><col class="c-subject"><col><col class="c-fix"></colgroup>'
            "<thead><tr><th>severity</th><th>subject · rule</th><th>finding</th><th>fix</th></tr></thead><tbody>"
        )
        out.extend(_finding_row(f) for f in group)
        out.append("</tbody></table>")
    return out


def _body(report: Report, *, headline: str) -> list[str]:
    c = report.cluster
    facts = report.facts
    name = c.name or (facts.cluster_name if facts is not None else None) or "cluster"
    findings = sorted(report.findings, key=lambda f: f.sort_key)
    by_id = {f.id: f for f in findings}
    counts = Counter(f.severity for f in findings)
    loops_present = [lp for lp in Loop if any(f.loop is lp for f in findings)]
    out: list[str] = [
        f"<{headline}>r2c report · {_e(name)}</{headline}>",
        f'<p class="meta">source {_e(c.source)}'
        + (f" · Kubernetes {_e(c.server_version)}" if c.server_version else "")
        + (f" · cloud {_e(facts.provider)}" + (f" ({_e(facts.region)})" if facts.region else "") if facts else " · no cloud facts")
        + (f" · scope {_e(c.scope.describe())}" if not c.scope.everything else "")
        + f" · generated {_e(report.generated_at)}</p>",
        "<p>"
        + " ".join(f"{_sev(s)} {counts.get(s, 0)}" for s in sorted(Severity, reverse=True))
        + f" · {len(report.chains)} chain(s)"
        + (f" · {len(report.suppressed)} excepted" if report.suppressed else "")
        + "</p>",
        '<nav class="toc"><strong>Contents</strong><ul>',
    ]
    if report.chains:
        out.append(f'<li><a href="#r2c-chains">Cause chains ({len(report.chains)})</a><ul>')
        for n, chain in enumerate(report.chains, 1):
            s = by_id.get(chain.symptom)
            out.append(f'<li><a href="#chain-{_e(chain.symptom)}">{n}. {_e(s.subject) if s else _e(chain.symptom)}</a></li>')
        out.append("</ul></li>")
    out.append(f'<li><a href="#r2c-findings">Findings ({len(findings)})</a><ul>')
    out.extend(f'<li><a href="#loop-{lp.value}">{lp.value}</a></li>' for lp in loops_present)
    out.append("</ul></li>")
    if report.checklist:
        out.append('<li><a href="#r2c-checklist">Cluster Readiness Checklist</a></li>')
    if report.not_checked:
        out.append(f'<li><a href="#r2c-not-checked">Not checked ({len(report.not_checked)})</a></li>')
    out.append("</ul></nav>")
    if report.chains:
        out.append(f'<h2 id="r2c-chains">Cause chains ({len(report.chains)})</h2>')
        out.extend(_chain_block(chain, by_id, n) for n, chain in enumerate(report.chains, 1))
    out.append(f'<h2 id="r2c-findings">Findings ({len(findings)})</h2>')
    if findings:
        options = "".join(
            f'<option value="{int(s)}"{" selected" if s is Severity.INFO else ""}>{s.label} and above</option>'
            for s in sorted(Severity)
        )
        out.append(f'<p class="filter"><label>show <select class="r2c-min-severity">{options}</select></label></p>')
        out.extend(_findings_tables(findings))
    else:
        out.append("<p>No findings.</p>")
    if report.checklist:
        out.append('<h2 id="r2c-checklist">Cluster Readiness Checklist</h2><table><colgroup><col class="c-sev">'
                   '<col style="width:14rem"><col></colgroup><thead><tr><th>status</th><th>item</th>'
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
        out.append(f'<h2 id="r2c-not-checked">Not checked ({len(report.not_checked)})</h2><ul>')
        for what, reason in sorted({(nc.what, nc.reason) for nc in report.not_checked}):
            out.append(f"<li><strong>{_e(what)}</strong> — {_e(reason)}</li>")
        out.append("</ul>")
    st = report.stats
    skipped = skipped_summary(st.skipped)
    out.append(
        f'<p class="meta">objects {sum(st.objects.values())}'
        + (f" · skipped {_e(skipped)}" if skipped else "")
        + f" · cloud api calls {sum(st.api_calls.values())} · {st.duration_s:.2f} s</p>"
    )
    return out


def report_fragment(report: Report) -> str:
    """The report as one ``<div class="r2c-report">`` with its own scoped style: what a
    notebook shows for ``report`` and what another tool's page can embed."""
    return "\n".join(
        [f'<div class="{ROOT_CLASS}"><style>{_CSS}</style>', *_body(report, headline="h2"),
         f"<script>{_SCRIPT}</script></div>"]
    )


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page.

    Args:
        report: the result of :func:`r2c_clouds.scan`.

    .. versionadded:: 0.1
    """
    name = report.cluster.name or (report.facts.cluster_name if report.facts is not None else None) or "cluster"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>r2c report · {_e(name)}</title><style>{_CSS}</style></head>",
            f'<body><main class="{ROOT_CLASS}">',
            *_body(report, headline="h1"),
            f"<script>{_SCRIPT}</script></main></body></html>",
        ]
    ) + "\n"


def chain_html(chain: Chain) -> str:
    """One chain (diagram, summary, its findings) as an embeddable fragment."""
    by_id = {f.id: f for f in chain.findings}
    return f'<div class="{ROOT_CLASS}"><style>{_CSS}</style>{_chain_block(chain, by_id)}</div>'


def _explanation_body(ex: Explanation) -> list[str]:
    by_id: dict[str, Finding] = {f.id: f for c in ex.chains for f in c.findings}
    by_id.update({f.id: f for f in ex.findings})
    out = [
        f"<h2>{_e(ex.subject)}</h2>",
        f'<p class="meta">{len(ex.findings)} finding(s), {len(ex.chains)} chain(s)'
        + (f" · {_e(ex.note)}" if ex.note else "") + "</p>",
    ]
    if ex.timeline:
        out.append("<h3>Timeline</h3>")
        out.append(f'<div class="diagram">{timeline_svg(ex)}</div>')
    for n, chain in enumerate(ex.chains, 1):
        out.append(_chain_block(chain, by_id, n))
    if by_id:
        out.append("<h3>Findings</h3>")
        out.extend(_findings_tables(sorted(by_id.values(), key=lambda f: f.sort_key)))
    return out


def explanation_html(ex: Explanation, *, page: bool = False) -> str:
    """An explanation (timeline, chains as diagrams, findings) as a fragment, or a page."""
    body = "\n".join(_explanation_body(ex))
    if not page:
        return f'<div class="{ROOT_CLASS}"><style>{_CSS}</style>{body}</div>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>r2c explain · {_e(ex.subject)}</title><style>{_CSS}</style></head>"
        f'<body><main class="{ROOT_CLASS}">{body}</main></body></html>\n'
    )
