"""The output edge: the Report object and its renderers (text, json, sarif, html, frame)."""

from __future__ import annotations

from r2c_clouds.model.findings import CHAIN_DISPLAY, Chain
from r2c_clouds.report._report import SCHEMA, Report, Stats

__all__ = ["SCHEMA", "Report", "Stats"]


def _chain_svg(chain: Chain) -> str:
    from r2c_clouds.report.svg import chain_svg

    return chain_svg(chain)


def _chain_html(chain: Chain) -> str:
    from r2c_clouds.report.html import chain_html

    return chain_html(chain)


# A Chain typed in a notebook draws itself through these (the model imports no renderer).
CHAIN_DISPLAY.update(svg=_chain_svg, html=_chain_html)
