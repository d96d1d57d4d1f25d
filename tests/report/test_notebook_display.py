"""What a notebook shows: short reprs, HTML and SVG displays, frames with ordered severities,
and an HTML report that embeds without restyling its host."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import r2c_clouds as r2c
from r2c_clouds.report.html import ROOT_CLASS

DOMINO = r2c.scan(r2c.demo("domino"), cloud="recorded")
PENDING = "Pod/shop/checkout-6f9c7d8b5-x2x7k"


class _Page(HTMLParser):
    """Visible text (outside style/script), ids, in-page links and the style sheet."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.css: list[str] = []
        self._skip: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if a.get("href", "") and str(a["href"]).startswith("#"):
            self.links.append(str(a["href"])[1:])
        if tag in ("style", "script", "title"):
            self._skip = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._skip:
            self._skip = None

    def handle_data(self, data: str) -> None:
        if self._skip == "style":
            self.css.append(data)
        elif self._skip is None:
            self.text.append(data)


def parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    return p


def test_reprs_are_a_line() -> None:
    for obj in (DOMINO, DOMINO.cluster, DOMINO.findings[0], DOMINO.chains[0], DOMINO.explain(PENDING)):
        text = repr(obj)
        assert "\n" not in text and len(text) < 240, text
    assert repr(DOMINO).startswith("<Report shop-prod: 38 findings (4 high, 15 medium, 19 low), 3 chains")
    assert repr(DOMINO.cluster).startswith("<ClusterState shop-prod from demo:domino: 6 nodes, 43 pods")


def test_chain_gives_its_findings_as_objects() -> None:
    chain = DOMINO.chains[0]
    assert [f.id for f in chain.findings] == list(chain.path)
    assert chain.symptom_finding is not None and chain.symptom_finding.id == chain.symptom
    assert [f.id for f in chain.root_cause_findings] == list(chain.root_causes)
    assert {f.rule for f in chain.root_cause_findings} == {"compute.node-pool-zone-gap", "storage.immediate-binding"}


def test_html_displays_are_scoped_and_draw_the_domino() -> None:
    frag = DOMINO._repr_html_()
    assert frag.startswith(f'<div class="{ROOT_CLASS}">')
    assert frag.count('class="r2c-chain"') == len(DOMINO.chains)
    assert DOMINO.chains[0]._repr_svg_().startswith("<svg") and "r2c-chain" in DOMINO.chains[0]._repr_html_()
    ex = DOMINO.explain(PENDING)
    assert 'class="r2c-timeline"' in ex._repr_html_() and ex._repr_svg_().startswith("<svg")
    for page in (frag, DOMINO.to_html(), ex.to_html(), DOMINO.chains[0]._repr_html_()):
        css = " ".join(parse(page).css)
        selectors = [s.strip() for block in re.findall(r"([^{}]+)\{[^{}]*\}", css) for s in block.split(",")]
        assert selectors and all(s.startswith(f".{ROOT_CLASS}") for s in selectors), [
            s for s in selectors if not s.startswith(f".{ROOT_CLASS}")
        ]


def test_every_in_page_link_lands_and_markdown_is_rendered() -> None:
    page = DOMINO.to_html()
    p = parse(page)
    assert p.links and set(p.links) <= p.ids
    for chain in DOMINO.chains:
        assert all(f"f-{fid}" in p.ids for fid in chain.path)
    visible = "".join(p.text)
    assert "`" not in visible
    assert "<code>--zones</code>" in page  # from a remediation written in Markdown


def test_frames_order_severity_by_meaning() -> None:
    df = DOMINO.to_dataframe()
    assert df["severity"].cat.ordered and list(df["severity"].cat.categories) == ["info", "low", "medium", "high", "critical"]
    assert df.sort_values("severity")["severity"].iloc[-1] == "high"
    assert len(df[df["severity"] >= "high"]) == 4
    chains = DOMINO.chains_frame()
    assert len(chains) == sum(len(c.path) for c in DOMINO.chains)
    assert set(chains["role"]) == {"symptom", "cause", "root cause"}
    first = chains[chains["chain"] == 1]
    assert first["step"].tolist() == list(range(len(DOMINO.chains[0].path)))
    assert DOMINO.checklist_frame()["status"].cat.ordered
    assert list(DOMINO.not_checked_frame().columns) == ["what", "reason", "incomplete"]
