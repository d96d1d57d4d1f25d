"""Pictures of the domino, drawn as plain SVG: a cause chain across the loops' lanes, and an
incident's timeline.

No JavaScript, no fonts, no network and no system binary: the SVG is a string, so it
embeds in the HTML report, in a notebook (``Chain._repr_svg_``) and on its own
(``r2c explain ... -o svg``). The layout is computed first (:func:`chain_layout`, pure and
tested on its own), then drawn.

Chain diagram: one lane per loop (identity, compute, network, storage, observability), one
box per finding in its loop's lane, columns by distance from the symptom (the longest path,
so every arrow points right, from a symptom to its cause), a shared root cause drawn once.
Root causes have a heavy border and a ``root cause`` tag; a finding whose evidence came from
a cloud API carries that cloud's badge. Each box links to ``#f-<finding id>``.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from attrs import frozen

from r2c_clouds.model.findings import Chain, Finding, Loop, Severity

if TYPE_CHECKING:
    from r2c_clouds.report.explain import Explanation, TimelineEntry

__all__ = ["LANES", "Box", "ChainLayout", "chain_layout", "chain_svg", "timeline_svg"]

#: The lanes, top to bottom.
LANES: tuple[Loop, ...] = (Loop.IDENTITY, Loop.COMPUTE, Loop.NETWORK, Loop.STORAGE, Loop.OBSERVABILITY)

LANE_COLOR = {
    Loop.IDENTITY: "#8250df",
    Loop.COMPUTE: "#0969da",
    Loop.NETWORK: "#1a7f37",
    Loop.STORAGE: "#bc4c00",
    Loop.OBSERVABILITY: "#57606a",
}
SEVERITY_COLOR = {
    Severity.CRITICAL: "#8b0000",
    Severity.HIGH: "#cf222e",
    Severity.MEDIUM: "#bf8700",
    Severity.LOW: "#0969da",
    Severity.INFO: "#8c959f",
}
#: Evidence sources shown as a badge, and the badge's text.
CLOUD_BADGES = {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}

BOX_W, BOX_H = 228, 60
COL_GAP, ROW_GAP = 54, 10
LABEL_W, PAD = 112, 10
EMPTY_LANE_H = 26
_FONT = "font-family=\"system-ui,-apple-system,'Segoe UI',Roboto,sans-serif\""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@frozen
class Box:
    """A finding's place in the diagram: its column (distance from the symptom), its lane,
    its row within the lane, and its top-left corner in pixels."""

    finding: Finding
    column: int
    lane: Loop
    row: int
    x: int
    y: int
    root: bool
    clouds: tuple[str, ...]


@frozen
class ChainLayout:
    """Where everything goes: boxes, arrows (parent id, cause id), lane bands and the size."""

    boxes: tuple[Box, ...]
    arrows: tuple[tuple[str, str], ...]
    lanes: tuple[tuple[Loop, int, int], ...]  # (loop, top, height)
    width: int
    height: int


def _columns(ids: list[str], edges: list[tuple[str, str]], start: str) -> dict[str, int]:
    """Longest distance from ``start`` along the edges (the graph is acyclic: link() never
    closes a cycle), so every edge goes from a lower to a higher column."""
    col = dict.fromkeys(ids, 0)
    for _ in range(len(ids)):
        changed = False
        for parent, child in edges:
            if col[child] < col[parent] + 1:
                col[child] = col[parent] + 1
                changed = True
        if not changed:
            break
    col[start] = 0
    return col


def chain_layout(chain: Chain, by_id: Mapping[str, Finding]) -> ChainLayout:
    """Lay a chain out: pure, no drawing.

    Args:
        chain: the chain.
        by_id: its findings by id (``{f.id: f for f in chain.findings}``); ids of the path
            that are missing here are left out.
    """
    ids = [i for i in dict.fromkeys(chain.path) if i in by_id]
    present = set(ids)
    edges = [(i, c) for i in ids for c in by_id[i].caused_by if c in present and c != i]
    cols = _columns(ids, edges, chain.symptom)
    has_cause = {parent for parent, _ in edges}
    roots = set(chain.root_causes) | {i for i in ids if i not in has_cause}
    # rows: within each (lane, column), in path order
    stack: dict[tuple[Loop, int], int] = defaultdict(int)
    slot: dict[str, int] = {}
    for i in ids:
        key = (by_id[i].loop, cols[i])
        slot[i] = stack[key]
        stack[key] += 1
    depth = {lane: max((n for (lp, _), n in stack.items() if lp == lane), default=0) for lane in LANES}
    lanes: list[tuple[Loop, int, int]] = []
    top = PAD
    for lane in LANES:
        h = depth[lane] * (BOX_H + ROW_GAP) + ROW_GAP if depth[lane] else EMPTY_LANE_H
        lanes.append((lane, top, h))
        top += h
    lane_top = {lp: t for lp, t, _ in lanes}
    boxes = []
    for i in ids:
        f = by_id[i]
        lane = f.loop if f.loop in lane_top else Loop.OBSERVABILITY
        clouds = tuple(dict.fromkeys(CLOUD_BADGES[ev.source] for ev in f.evidence if ev.source in CLOUD_BADGES))
        boxes.append(Box(
            finding=f, column=cols[i], lane=lane, row=slot[i],
            x=LABEL_W + PAD + cols[i] * (BOX_W + COL_GAP),
            y=lane_top[lane] + ROW_GAP + slot[i] * (BOX_H + ROW_GAP),
            root=i in roots and i != chain.symptom, clouds=clouds,
        ))
    ncols = max(cols.values(), default=0) + 1
    width = LABEL_W + PAD + ncols * BOX_W + (ncols - 1) * COL_GAP + PAD
    return ChainLayout(tuple(boxes), tuple(edges), tuple(lanes), width, top + PAD)


def _label(f: Finding) -> tuple[str, str]:
    ref = f.subject
    name = f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name
    return ref.kind, name


def chain_svg(chain: Chain, by_id: Mapping[str, Finding] | None = None, *, anchor_prefix: str = "f-") -> str:
    """The chain as an SVG document (a string). ``by_id`` defaults to ``chain.findings``."""
    found = by_id if by_id is not None else {f.id: f for f in chain.findings}
    lay = chain_layout(chain, found)
    marker = f"r2c-arrow-{_e(chain.symptom)}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="r2c-chain" role="img" '
        f'viewBox="0 0 {lay.width} {lay.height}" width="{lay.width}" height="{lay.height}" '
        f'data-findings="{len(lay.boxes)}" {_FONT} font-size="12">',
        f"<title>{_e(chain.summary)}</title>",
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker></defs>',
    ]
    for i, (lane, top, h) in enumerate(lay.lanes):
        fill = "#f6f8fa" if i % 2 == 0 else "#ffffff"
        out.append(f'<rect x="0" y="{top}" width="{lay.width}" height="{h}" fill="{fill}"/>')
        out.append(
            f'<text x="{PAD}" y="{top + min(h, BOX_H) / 2 + 4:.0f}" fill="{LANE_COLOR[lane]}" '
            f'font-weight="600" class="r2c-lane">{_e(lane.value)}</text>'
        )
    where = {b.finding.id: b for b in lay.boxes}
    for parent, child in lay.arrows:
        a, b = where[parent], where[child]
        x1, y1 = a.x + BOX_W, a.y + BOX_H / 2
        x2, y2 = b.x - 2, b.y + BOX_H / 2
        mid = (x1 + x2) / 2
        out.append(
            f'<path class="r2c-arrow" d="M{x1},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2},{y2:.0f}" '
            f'fill="none" stroke="#57606a" stroke-width="1.5" marker-end="url(#{marker})"/>'
        )
    for b in lay.boxes:
        out.append(_box(b, anchor_prefix))
    out.append("</svg>")
    return "\n".join(out)


def _box(b: Box, anchor_prefix: str) -> str:
    f = b.finding
    kind, name = _label(f)
    stroke, width = ("#1b1f24", 3) if b.root else (LANE_COLOR[b.lane], 1.5)
    root_attr = ' data-root="true"' if b.root else ""
    parts = [
        f'<a href="#{_e(anchor_prefix + f.id)}" class="r2c-box" data-finding="{_e(f.id)}"{root_attr}>',
        f"<title>{_e(f.rule)} · {_e(f.subject)}: {_e(_clip(f.message, 300))}</title>",
        f'<rect x="{b.x}" y="{b.y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="#ffffff" '
        f'stroke="{stroke}" stroke-width="{width}"/>',
        f'<rect x="{b.x}" y="{b.y}" width="6" height="{BOX_H}" rx="3" fill="{SEVERITY_COLOR[f.severity]}"/>',
        f'<text x="{b.x + 12}" y="{b.y + 16}" fill="#57606a" font-size="11">{_e(_clip(kind, 22))}</text>',
        f'<text x="{b.x + 12}" y="{b.y + 33}" fill="#1b1f24" font-weight="600">{_e(_clip(name, 27))}</text>',
        f'<text x="{b.x + 12}" y="{b.y + 50}" fill="#57606a" font-size="10.5">'
        f'<tspan fill="{SEVERITY_COLOR[f.severity]}" font-weight="600">{_e(f.severity.label)}</tspan> · {_e(_clip(f.rule, 30))}</text>',
    ]
    right: float = b.x + BOX_W - 5
    tags = [(c, "#24292f", "r2c-cloud") for c in b.clouds]
    if b.root:
        tags.append(("ROOT CAUSE", "#1b1f24", "r2c-root"))
    for text, fill, cls in reversed(tags):
        w = 8 + (5.6 if cls == "r2c-root" else 6) * len(text)
        right -= w
        parts.append(
            f'<g class="{cls}"><rect x="{right:.0f}" y="{b.y + 5}" width="{w:.0f}" height="15" rx="3" fill="{fill}"/>'
            f'<text x="{right + w / 2:.0f}" y="{b.y + 16}" fill="#ffffff" font-size="{9 if cls == "r2c-root" else 10}" '
            f'text-anchor="middle" font-weight="600">{_e(text)}</text></g>'
        )
        right -= 3
    parts.append("</a>")
    return "".join(parts)


# --------------------------------------------------------------------------- timeline


def _when(text: str) -> datetime | None:
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _ticks(t0: datetime, t1: datetime) -> list[datetime]:
    span = (t1 - t0).total_seconds()
    for step in (60, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400, 604800):
        if span / step <= 6:
            break
    first = datetime.fromtimestamp((int(t0.timestamp()) // step + 1) * step, tz=timezone.utc)
    out = []
    t = first
    while t <= t1:
        out.append(t)
        t += timedelta(seconds=step)
    return out


def timeline_svg(entries: Iterable[TimelineEntry] | Explanation, *, width: int = 960) -> str:
    """An incident's timeline as an SVG document: time on the x axis, the loops as lanes,
    Kubernetes events as circles and cloud facts as diamonds, numbered; the key below lists
    each mark (time, what happened). Entries without a parseable time are left out."""
    items = entries.timeline if hasattr(entries, "timeline") else tuple(entries)
    timed = [(t, e) for e in items if (t := _when(e.time)) is not None]
    timed.sort(key=lambda te: te[0])
    lane_h, axis_h, key_h = 44, 26, 17
    plot_x0, plot_x1 = LABEL_W + PAD, width - 3 * PAD
    top = PAD
    height = top + len(LANES) * lane_h + axis_h + key_h * max(1, len(timed)) + 2 * PAD
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="r2c-timeline" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" data-marks="{len(timed)}" {_FONT} font-size="12">',
        "<title>Timeline</title>",
    ]
    lane_y: dict[Loop, float] = {}
    for i, lane in enumerate(LANES):
        y = top + i * lane_h
        lane_y[lane] = y + lane_h / 2
        out.append(f'<rect x="0" y="{y}" width="{width}" height="{lane_h}" fill="{"#f6f8fa" if i % 2 == 0 else "#ffffff"}"/>')
        out.append(f'<text x="{PAD}" y="{y + lane_h / 2 + 4:.0f}" fill="{LANE_COLOR[lane]}" font-weight="600">{_e(lane.value)}</text>')
    axis_y = top + len(LANES) * lane_h
    out.append(f'<line x1="{plot_x0}" y1="{axis_y}" x2="{plot_x1}" y2="{axis_y}" stroke="#8c959f"/>')
    if not timed:
        out.append(f'<text x="{plot_x0}" y="{axis_y + 20}" fill="#57606a">no timed events</text></svg>')
        return "\n".join(out)
    t0, t1 = timed[0][0], timed[-1][0]
    if t1 - t0 < timedelta(minutes=2):
        t0, t1 = t0 - timedelta(minutes=1), t1 + timedelta(minutes=1)
    span = (t1 - t0).total_seconds()

    def x_of(t: datetime) -> float:
        return plot_x0 + (t - t0).total_seconds() / span * (plot_x1 - plot_x0)

    days = t0.date() != t1.date()
    for tick in _ticks(t0, t1):
        x = x_of(tick)
        label = tick.strftime("%m-%d %H:%M" if days else "%H:%M")
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_y + 4}" stroke="#d0d7de" stroke-dasharray="2,3"/>')
        out.append(f'<text x="{x:.1f}" y="{axis_y + 17}" fill="#57606a" font-size="11" text-anchor="middle">{label}</text>')
    crowd: dict[tuple[Loop, int], int] = defaultdict(int)
    key_y = axis_y + axis_h + 4
    for n, (t, e) in enumerate(timed, start=1):
        lane = e.loop if e.loop in lane_y else Loop.OBSERVABILITY
        x = x_of(t)
        bucket = (lane, int(x // 14))
        dy = (0, -13, 13)[crowd[bucket] % 3]
        crowd[bucket] += 1
        my = lane_y[lane] + dy
        cloud = e.source_ref.split(" ", 1)[0].split(":", 1)[0] in CLOUD_BADGES
        color = LANE_COLOR[lane]
        tip = f"<title>{_e(e.time)} {_e(_clip(e.text, 300))}</title>"
        if cloud:
            shape = f'<path d="M{x:.1f},{my - 7:.1f} l7,7 l-7,7 l-7,-7 z" fill="{color}"/>'
        else:
            shape = f'<circle cx="{x:.1f}" cy="{my:.1f}" r="6.5" fill="{color}"/>'
        out.append(
            f'<g class="r2c-mark" data-loop="{_e(lane.value)}" data-cloud="{str(cloud).lower()}">{tip}{shape}'
            f'<text x="{x:.1f}" y="{my + 3.5:.1f}" fill="#ffffff" font-size="8.5" text-anchor="middle">{n}</text></g>'
        )
        stamp = t.strftime("%m-%d %H:%M:%S" if days else "%H:%M:%S")
        out.append(
            f'<text x="{PAD}" y="{key_y + (n - 1) * key_h + 12}" font-size="11.5" class="r2c-key">'
            f'<tspan font-weight="700" fill="{color}">{n}</tspan><tspan x="{PAD + 24}" fill="#57606a">{stamp}</tspan>'
            f'<tspan x="{PAD + 100}" fill="#1b1f24">{_e(_clip(e.text, max(40, (width - 140) // 7)))}</tspan></text>'
        )
    out.append("</svg>")
    return "\n".join(out)
