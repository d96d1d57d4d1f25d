"""The text report: what a person reads in a terminal.

Layout, top to bottom: a header (cluster, source, provider, counts by severity); the cause
chains drawn as trees, symptom at the top; the findings grouped by loop and then by rule,
each with its top evidence and the remediation; the Cluster Readiness Checklist; what was
not checked; a footer with object counts, cloud API calls and the scan's duration.

Long lists are cut with "... and N more", so the text stays readable (and fast to render)
for 10,000 findings; the JSON report always holds everything.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.padding import Padding
from rich.rule import Rule
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from r2c_clouds._text import printable
from r2c_clouds.model.cluster import skipped_summary
from r2c_clouds.model.findings import (
    ChecklistItem,
    Evidence,
    Finding,
    Loop,
    ObjectRef,
    Severity,
    Status,
)

if TYPE_CHECKING:
    from r2c_clouds.mapping import MappingEntry
    from r2c_clouds.report._report import Report
    from r2c_clouds.rules._registry import RuleSpec

__all__ = [
    "SEVERITY_STYLE",
    "render_checklist_text",
    "render_mapping_text",
    "render_rules_text",
    "render_text",
    "rich_renderable",
    "to_text",
]

#: rich style per severity.
SEVERITY_STYLE: dict[Severity, str] = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "blue",
    Severity.INFO: "dim",
}

_STATUS_MARK: dict[Status, tuple[str, str]] = {
    Status.PASS: ("✓ pass", "green"),
    Status.FAIL: ("✗ fail", "red"),
    Status.PARTIAL: ("~ partial", "yellow"),
    Status.NOT_CHECKED: ("? not checked", "dim"),
}

#: findings shown in full per rule; the rest are listed by subject.
MAX_PER_RULE = 5
#: subjects listed after the detailed findings of one rule.
MAX_SUBJECTS_LISTED = 8
#: evidence lines shown per finding.
MAX_EVIDENCE = 3
#: chains drawn; the others are summarised.
MAX_CHAINS = 10
#: causes drawn under one node of a chain.
MAX_CAUSES = 6
#: not-checked entries listed.
MAX_NOT_CHECKED = 15
#: characters of one evidence detail.
MAX_DETAIL = 240


class _Printable:
    """A renderable whose text segments lose their control characters (the styles rich adds
    for colour are applied afterwards, so colour survives)."""

    def __init__(self, inner: RenderableType) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for seg in console.render(self.inner, options):
            yield seg if seg.control else Segment(printable(seg.text), seg.style)


def to_text(renderable: RenderableType, *, color: bool = False, width: int = 100) -> str:
    """Render any rich renderable to a string, with ANSI colours or plain.

    Every text the renderable holds passes :func:`printable` first: what came from the
    cluster or a cloud cannot drive the reader's terminal.

    Args:
        renderable: what to render.
        color: emit ANSI colour codes.
        width: the line width to wrap at.
    """
    console = Console(
        file=io.StringIO(),
        record=True,
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        emoji=False,
        soft_wrap=False,
        legacy_windows=False,
        force_jupyter=False,  # in a notebook rich would display it itself, besides returning it
    )
    console.print(_Printable(renderable))
    text = console.export_text(styles=color)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


# ---------------------------------------------------------------------- pieces


def _subject(ref: ObjectRef) -> str:
    return f"{ref.kind} {ref.namespace}/{ref.name}" if ref.namespace else f"{ref.kind} {ref.name}"


def _sev(sev: Severity) -> Text:
    return Text(sev.label, style=SEVERITY_STYLE[sev])


def _tag(f: Finding) -> Text:
    """``[storage · high]`` with the severity coloured."""
    return Text.assemble("[", (f.loop.value, "cyan"), " · ", _sev(f.severity), "]")


def _clip(text: str, limit: int = MAX_DETAIL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _evidence_line(ev: Evidence) -> Text:
    line = Text.assemble(("↳ ", "dim"), (ev.source, "magenta"), "  ", (ev.ref, "dim"), "  ", _clip(ev.detail))
    if ev.time:
        line.append(f"  ({ev.time})", style="dim")
    return line


def _more(n: int, what: str = "more") -> Text:
    return Text(f"... and {n} {what}", style="dim italic")


def _counts(findings: Sequence[Finding]) -> Text:
    by_sev = Counter(f.severity for f in findings)
    out = Text()
    for i, sev in enumerate(sorted(Severity, reverse=True)):
        if i:
            out.append(" · ", style="dim")
        n = by_sev.get(sev, 0)
        out.append(f"{n} {sev.label}", style=SEVERITY_STYLE[sev] if n else "dim")
    return out


def _header(report: Report) -> RenderableType:
    data_cluster = report.cluster
    facts = report.facts
    name = data_cluster.name or (facts.cluster_name if facts is not None else None) or "(unnamed)"
    title = Text.assemble(("r2c", "bold"), " · cluster ", (name, "bold"))
    if data_cluster.server_version:
        title.append(f" · Kubernetes {data_cluster.server_version}", style="dim")
    where = Text.assemble(("source   ", "dim"), data_cluster.source)
    if facts is not None:
        prov = facts.provider + (f" ({facts.region})" if facts.region else "")
    else:
        prov = "none (Kubernetes objects only)"
    provider = Text.assemble(("cloud    ", "dim"), prov)
    found = Text.assemble(
        ("findings ", "dim"),
        (f"{len(report.findings)}  ", "bold"),
        _counts(report.findings),
        ("   chains ", "dim"),
        (str(len(report.chains)), "bold"),
    )
    lines: list[RenderableType] = [title, where, provider]
    if not data_cluster.scope.everything:
        lines.append(Text.assemble(("scope    ", "dim"), data_cluster.scope.describe()
                                   + " (and the causes of their findings)"))
    skipped = skipped_summary(report.stats.skipped)
    if skipped:
        lines.append(Text.assemble(("skipped  ", "dim"), skipped))
    if report.suppressed:
        lines.append(Text.assemble(("excepted ", "dim"), f"{len(report.suppressed)} finding(s) accepted by exceptions "
                                   "(not counted; listed under suppressed in -o json)"))
    for e in report.expired_exceptions:
        lines.append(Text.assemble(("expired  ", "yellow"), f"exception {e.source} ended {e.expires}: its findings count again"))
    if report.stale_exceptions:
        lines.append(Text.assemble(("stale    ", "yellow"), f"{len(report.stale_exceptions)} exception(s) matched nothing: "
                                   + ", ".join(e.source for e in report.stale_exceptions[:5])))
    if report.incomplete:
        could_not = "; ".join(f"{nc.what} ({nc.reason})" for nc in report.incomplete[:4])
        more = f"; and {len(report.incomplete) - 4} more" if len(report.incomplete) > 4 else ""
        lines.append(Text.assemble(("INCOMPLETE ", "bold red"), f"could not read {could_not}{more}: "
                                   "rules that need these kinds saw part of the cluster or none of it"))
    lines.append(found)
    return Group(*lines)


def _section(title: str, count: int | None = None) -> Rule:
    label = f"{title} ({count})" if count is not None else title
    return Rule(Text(label, style="bold"), align="left", characters="─")


# ---------------------------------------------------------------------- chains


def _node_label(f: Finding, prefix: str = "") -> Text:
    label = Text()
    if prefix:
        label.append(prefix, style="dim")
    label.append(_subject(f.subject), style="bold")
    label.append("  ")
    label.append_text(_tag(f))
    label.append("  ")
    label.append(f.rule, style="dim")
    label.append("\n")
    label.append(_clip(f.message, 400))
    return label


def _chain_tree(symptom: Finding, by_id: dict[str, Finding]) -> Tree:
    tree = Tree(_node_label(symptom), guide_style="dim")

    def grow(node: Tree, f: Finding, seen: frozenset[str]) -> None:
        causes = sorted(
            (by_id[cid] for cid in f.caused_by if cid in by_id and cid not in seen),
            key=lambda c: c.sort_key,
        )
        for cause in causes[:MAX_CAUSES]:
            child = node.add(_node_label(cause, "caused by  "))
            grow(child, cause, seen | {cause.id})
        if len(causes) > MAX_CAUSES:
            node.add(_more(len(causes) - MAX_CAUSES, "more causes"))

    grow(tree, symptom, frozenset({symptom.id}))
    return tree


def _chains(report: Report, by_id: dict[str, Finding]) -> list[RenderableType]:
    out: list[RenderableType] = [_section("Cause chains", len(report.chains))]
    chains = sorted(
        report.chains,
        key=lambda c: (-int(by_id[c.symptom].severity) if c.symptom in by_id else 0, c.symptom),
    )
    for i, chain in enumerate(chains[:MAX_CHAINS], 1):
        symptom = by_id.get(chain.symptom)
        loops = " → ".join(loop.value for loop in chain.loops)
        out.append(Text.assemble((f"{i}. ", "bold"), chain.summary, (f"   [{loops}]", "cyan")))
        if symptom is not None:
            out.append(Padding(_chain_tree(symptom, by_id), (0, 0, 1, 3)))
    if len(chains) > MAX_CHAINS:
        out.append(_more(len(chains) - MAX_CHAINS, "more chains (see --format json)"))
    return out


# ---------------------------------------------------------------------- findings


def _finding_block(f: Finding) -> RenderableType:
    head = Text.assemble(_sev(f.severity), "  ", (_subject(f.subject), "bold"))
    lines: list[RenderableType] = [head, Padding(Text(f.message), (0, 0, 0, 2))]
    if f.evidence:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column()
        for ev in f.evidence[:MAX_EVIDENCE]:
            body = Text.assemble((ev.ref, "dim"), "  ", _clip(ev.detail))
            if ev.time:
                body.append(f"  ({ev.time})", style="dim")
            grid.add_row(Text.assemble(("↳ ", "dim"), (ev.source, "magenta")), body)
        lines.append(Padding(grid, (0, 0, 0, 2)))
    if len(f.evidence) > MAX_EVIDENCE:
        lines.append(Padding(_more(len(f.evidence) - MAX_EVIDENCE, "more evidence"), (0, 0, 0, 2)))
    return Group(*lines)


def _rule_titles() -> dict[str, str]:
    try:
        from r2c_clouds.rules import REGISTRY
    except ImportError:  # pragma: no cover - the rules package is part of the core
        return {}
    return {rid: spec.title for rid, (spec, _) in REGISTRY.items()}


def _findings(report: Report) -> list[RenderableType]:
    titles = _rule_titles()
    by_loop: dict[Loop, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in report.findings:
        by_loop[f.loop][f.rule].append(f)
    out: list[RenderableType] = []
    for loop in Loop:
        rules = by_loop.get(loop)
        if not rules:
            continue
        total = sum(len(v) for v in rules.values())
        out.append(_section(f"{loop.value}", total))
        groups = sorted(rules.items(), key=lambda kv: (-max(int(f.severity) for f in kv[1]), kv[0]))
        for rid, items in groups:
            items.sort(key=lambda f: f.sort_key)
            head = Text.assemble((rid, "bold cyan"))
            if rid in titles:
                head.append(f"  {titles[rid]}")
            head.append(f"  ({len(items)})", style="dim")
            block: list[RenderableType] = [head]
            for f in items[:MAX_PER_RULE]:
                block.append(Padding(_finding_block(f), (0, 0, 0, 2)))
            rest = items[MAX_PER_RULE:]
            if rest:
                names = ", ".join(_subject(f.subject) for f in rest[:MAX_SUBJECTS_LISTED])
                more = Text(f"... and {len(rest)} more: {names}", style="dim italic")
                if len(rest) > MAX_SUBJECTS_LISTED:
                    more.append(", …")
                block.append(Padding(more, (0, 0, 0, 2)))
            advice = Table.grid(padding=(0, 1))
            advice.add_column(no_wrap=True)
            advice.add_column(overflow="fold")
            for rem in sorted({f.remediation for f in items if f.remediation})[:2]:
                advice.add_row(Text("fix", style="green bold"), Text(rem))
            for url in sorted({f.docs for f in items if f.docs})[:1]:
                advice.add_row(Text("docs", style="dim"), Text(url, style="dim underline"))
            if advice.row_count:
                block.append(Padding(advice, (0, 0, 0, 2)))
            out.append(Padding(Group(*block), (0, 0, 1, 0)))
    return out


# ---------------------------------------------------------------------- checklist, not checked


def _checklist_table(items: Sequence[ChecklistItem], *, evidence: bool = False) -> RenderableType:
    """One block per item: status, item and title on a line, then its sub-checks (and
    evidence) indented beneath, so long titles and evidence wrap under themselves."""
    mark_width = max(len(m) for m, _ in _STATUS_MARK.values())
    item_width = min(max((len(c.item) for c in items), default=0), 24)
    blocks: list[RenderableType] = []
    for c in items:
        mark, style = _STATUS_MARK[c.status]
        head = Table.grid(padding=(0, 2))
        head.add_column(no_wrap=True, min_width=mark_width)
        head.add_column(min_width=item_width, max_width=max(item_width, 24), overflow="fold")
        head.add_column()
        head.add_row(Text(mark, style=style), Text(c.item, style="cyan"), Text(c.title))
        blocks.append(head)
        detail = Table.grid(padding=(0, 1))
        detail.add_column(no_wrap=True)
        detail.add_column()
        for name, st in c.checks:
            smark, sstyle = _STATUS_MARK[st]
            detail.add_row(Text(smark.split(" ", 1)[0], style=sstyle), Text(name))
        if evidence:
            for ev in c.evidence[:MAX_EVIDENCE]:
                detail.add_row(Text("↳", style="dim"), Text.assemble((ev.ref, "dim"), "  ", _clip(ev.detail)))
            if len(c.evidence) > MAX_EVIDENCE:
                detail.add_row(Text(""), _more(len(c.evidence) - MAX_EVIDENCE, "more evidence"))
        if detail.row_count:
            blocks.append(Padding(detail, (0, 0, 0, mark_width + 2)))
    return Group(*blocks)


def _not_checked(report: Report) -> list[RenderableType]:
    items = sorted({(nc.what, nc.reason) for nc in report.not_checked})
    out: list[RenderableType] = [_section("Not checked", len(items))]
    for what, reason in items[:MAX_NOT_CHECKED]:
        out.append(Text.assemble(("• ", "dim"), (what, "bold"), (" — ", "dim"), reason))
    if len(items) > MAX_NOT_CHECKED:
        out.append(_more(len(items) - MAX_NOT_CHECKED))
    return out


def _summary_counts(counts: dict[str, int], limit: int = 6) -> str:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{k} {v:,}" for k, v in ranked[:limit])
    if len(ranked) > limit:
        text += f", … {len(ranked) - limit} more"
    return text


def _footer(report: Report) -> RenderableType:
    st = report.stats
    objs = sum(st.objects.values())
    calls = sum(st.api_calls.values())
    line = Text(style="dim")
    line.append(f"objects {objs:,}")
    if st.objects:
        line.append(f" ({_summary_counts(st.objects)})")
    line.append(f" · cloud api calls {calls:,}")
    if st.api_calls:
        line.append(f" ({_summary_counts(st.api_calls)})")
    line.append(f" · {st.duration_s:.2f} s · generated {report.generated_at}")
    return line


# ---------------------------------------------------------------------- public


def rich_renderable(report: Report) -> RenderableType:
    """The whole report as one rich renderable (``rich.print(report)`` uses it).

    .. versionadded:: 0.1
    """
    by_id = {f.id: f for f in report.findings}
    parts: list[RenderableType] = [_header(report), Text()]
    if report.chains:
        parts.extend(_chains(report, by_id))
    if report.findings:
        parts.extend(_findings(report))
    else:
        parts.append(Text("No findings.", style="green bold"))
        parts.append(Text())
    if report.checklist:
        parts.append(_section("Cluster Readiness Checklist"))
        parts.append(_checklist_table(report.checklist))
        parts.append(Text())
    if report.not_checked:
        parts.extend(_not_checked(report))
        parts.append(Text())
    if report.not_applicable:
        rules = ", ".join(sorted(nc.what for nc in report.not_applicable))
        parts.append(Text.assemble(("Not applicable to manifests", "bold"),
                                   (f" ({len(report.not_applicable)}; they judge a running cluster): ", "dim"), rules))
        parts.append(Text())
    parts.append(_footer(report))
    return Group(*parts)


def render_text(report: Report, color: bool = False, width: int = 100) -> str:
    """The human-readable report.

    Args:
        report: the result of :func:`r2c_clouds.scan`.
        color: emit ANSI colours (severity colours, dim evidence).
        width: the line width to wrap at.

    Returns:
        The report as text; plain (no escape codes) unless ``color``.

    .. versionadded:: 0.1
    """
    return to_text(rich_renderable(report), color=color, width=width)


def render_checklist_text(items: Sequence[ChecklistItem], *, color: bool = False, width: int = 100) -> str:
    """The Cluster Readiness Checklist as a table with each item's sub-checks and evidence.

    .. versionadded:: 0.1
    """
    if not items:
        return to_text(Text("The checklist is empty (nothing was captured to check)."), color=color, width=width)
    return to_text(
        Group(_section("Cluster Readiness Checklist"), _checklist_table(items, evidence=True)),
        color=color,
        width=width,
    )


def render_mapping_text(entries: Sequence[MappingEntry], *, color: bool = False, width: int = 100) -> str:
    """The primitive-mapping table, one block per (loop, cloud).

    .. versionadded:: 0.1
    """
    parts: list[RenderableType] = []
    for e in entries:
        parts.append(_section(f"{e.loop} · {e.cloud}"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        rows: list[tuple[str, Sequence[str]]] = [
            ("primitives", e.primitives),
            ("annotations", e.annotations),
            ("labels", e.labels),
            ("topology keys", e.topology_keys),
            ("CSI drivers", e.csi_drivers),
        ]
        for label, values in rows:
            if values:
                grid.add_row(label, "\n".join(values))
        for fm in e.failure_modes:
            grid.add_row(
                "failure mode",
                Text.assemble(
                    (fm.symptom, "bold"),
                    f" — blamed on {fm.blamed}; really {fm.real_cause}",
                    ("\n" + ", ".join(fm.rules), "cyan") if fm.rules else "",
                ),
            )
        for url in e.docs:
            grid.add_row("docs", url)
        parts.extend([grid, Text()])
    return to_text(Group(*parts), color=color, width=width)


def render_rules_text(specs: Sequence[RuleSpec], *, color: bool = False, width: int = 100) -> str:
    """The rule catalogue as a table: id, loop, default severity, title.

    .. versionadded:: 0.1
    """
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("id", no_wrap=True, style="cyan")
    table.add_column("loop", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("title")
    for s in specs:
        table.add_row(s.id, s.loop.value, _sev(s.severity), s.title)
    return to_text(Group(table, Text(f"{len(specs)} rules", style="dim")), color=color, width=width)

