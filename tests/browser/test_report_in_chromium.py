"""The HTML report and the explain page as a person sees them: rendered by headless Chromium
(Debian's ``chromium``, installed by .ci/run) at 1,400 and 800 px, asserted on the rendered
page, not the source. Screenshots go to ``build/screenshots/`` (the CI artifacts the docs
point to)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import r2c_clouds as r2c
from r2c_clouds.model.findings import Severity

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
WIDTHS = (1400, 800)
# As the machine notes say Chromium must start here: no background networking (the network is
# closed), no sandbox (root), a fresh profile.
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]

if not Path(CHROMIUM).exists():  # pragma: no cover - a machine without the browser
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package for these tests")
    pytest.skip("no chromium on this machine (apt-get install chromium); CI always runs these", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


# What the rendered page measures, in one call: widths, chains and their boxes, links, text.
MEASURE = """() => {
  const vw = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('.r2c-report *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > vw + 0.5 || r.width > vw + 0.5)) {
      wide.push(el.tagName + '.' + (el.getAttribute('class') || '') + ' ' + Math.round(r.right));
    }
  }
  const chains = [...document.querySelectorAll('section.chain')].map(s => ({
    boxes: s.querySelectorAll('svg.r2c-chain a.r2c-box').length,
    steps: s.querySelectorAll('ol.causes li').length,
    svgWidth: s.querySelector('svg.r2c-chain').getBoundingClientRect().width,
  }));
  const targets = [...document.querySelectorAll('svg a.r2c-box, a[href^="#"]')].map(a => a.getAttribute('href'));
  const missing = targets.filter(h => !document.getElementById(h.slice(1)));
  return {vw, scrollWidth: document.documentElement.scrollWidth, wide, chains, links: targets.length, missing,
          text: document.body.innerText, rows: document.querySelectorAll('tr[data-rank]').length,
          marks: document.querySelectorAll('svg.r2c-timeline g.r2c-mark').length};
}"""


def _open(browser: Any, html: str, width: int, tmp_path: Path, name: str) -> tuple[Any, dict[str, Any]]:
    path = tmp_path / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(path.as_uri())
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    return page, page.evaluate(MEASURE)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("demo", r2c.demos())
def test_report_fits_and_draws_every_chain(browser: Any, demo: str, width: int, tmp_path: Path) -> None:
    report = r2c.scan(r2c.demo(demo), cloud="recorded" if demo != "healthy" else "none")
    page, m = _open(browser, report.to_html(), width, tmp_path, f"report-{demo}")
    try:
        assert m["scrollWidth"] <= m["vw"], "the page scrolls sideways"
        assert m["wide"] == [], m["wide"][:5]
        assert [c["boxes"] for c in m["chains"]] == [len(set(c.path)) for c in report.chains]
        assert all(c["boxes"] == c["steps"] for c in m["chains"])
        assert all(0 < c["svgWidth"] <= width for c in m["chains"])
        assert m["missing"] == [] and (m["links"] > 0 or not report.findings)
        assert "`" not in m["text"]
        assert m["rows"] == len(report.findings)
        if report.findings:
            # the severity filter works without a server
            page.select_option("select.r2c-min-severity", str(int(Severity.HIGH)))
            shown = page.evaluate("() => [...document.querySelectorAll('tr[data-rank]')].filter(r => r.offsetParent !== null).length")
            assert shown == len(report.at_or_above(Severity.HIGH))
    finally:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_explain_timeline_fits(browser: Any, width: int, tmp_path: Path) -> None:
    report = r2c.scan(r2c.demo("domino"), cloud="recorded")
    ex = report.explain("Pod/shop/checkout-6f9c7d8b5-x2x7k")
    page, m = _open(browser, ex.to_html(), width, tmp_path, "explain-domino")
    try:
        assert m["scrollWidth"] <= m["vw"] and m["wide"] == []
        assert m["marks"] == len(ex.timeline) > 0
        assert [c["boxes"] for c in m["chains"]] == [len(set(c.path)) for c in ex.chains]
        assert m["missing"] == []
    finally:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_fleet_page_fits(browser: Any, width: int, tmp_path: Path) -> None:
    """The fleet report of the four demos (one scanned twice, one cluster failing) fits the
    window and every in-page link lands."""
    import attrs

    from r2c_clouds.report.fleet import fleet_html
    from r2c_clouds.store import ClusterKey, failed_record, record_of
    from r2c_clouds.store.summary import fleet_summary

    with r2c.store.open(str(tmp_path / "fleet.db")) as store:
        for demo in r2c.demos():
            store.record(r2c.scan(r2c.demo(demo), cloud="recorded" if demo != "healthy" else "none"))
        again = record_of(r2c.scan(r2c.demo("domino"), cloud="recorded"))
        store.record(attrs.evolve(again, findings=again.findings[1:], generated_at="2099-01-01T00:00:00Z"))
        store.record(failed_record(ClusterKey("edge-eu-west-3-with-a-long-name"), "context:edge",
                                   "cannot reach the Kubernetes API server at https://10.20.30.40:6443: connection "
                                   "refused (a long reason that must wrap rather than widen the page)"))
        summary = fleet_summary(store)
    page, m = _open(browser, fleet_html(summary), width, tmp_path, "fleet")
    try:
        assert m["scrollWidth"] <= m["vw"], "the page scrolls sideways"
        assert m["wide"] == [], m["wide"][:5]
        assert m["missing"] == [] and m["links"] >= len(summary.clusters)
        rows = page.evaluate("() => document.querySelectorAll('#r2c-matrix + p + table tbody tr').length")
        assert rows == len(summary.clusters) == len(r2c.demos()) + 1
        assert "resolved" in m["text"] and "edge-eu-west-3-with-a-long-name" in m["text"]
    finally:
        page.close()
