"""docs/notebooks/investigate.ipynb runs, top to bottom, in a real kernel (nbclient +
ipykernel), so the notebook the docs show cannot rot; and it shows what a notebook user
should see: one-line reprs, the chain as a picture, frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "notebooks" / "investigate.ipynb"


def _outputs(cell: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for o in cell.get("outputs", ()):
        if o["output_type"] == "stream":
            out.setdefault("stream", "")
            out["stream"] += o["text"]
        out.update(o.get("data", {}))
    return out


def test_the_notebook_runs_and_shows_pictures(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()

    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o["output_type"] == "error"]
    assert errors == []
    by_source = {c.source.splitlines()[0]: _outputs(c) for c in code}
    report = next(v for k, v in by_source.items() if k.startswith("report = r2c.scan"))
    assert report["text/plain"].startswith("<Report shop-prod: 38 findings") and "\n" not in report["text/plain"]
    assert 'class="r2c-report"' in report["text/html"] and "r2c-chain" in report["text/html"]
    chain = by_source["chain = report.chains[0]"]
    assert chain["image/svg+xml"].lstrip().startswith("<svg") and chain["text/plain"].startswith("<Chain ")
    explanation = next(v for k, v in by_source.items() if k.startswith("pending = "))
    assert "r2c-timeline" in explanation["text/html"]
    printed = by_source["print(explanation.to_text(width=110))"]
    assert set(printed) == {"stream"} and "Timeline" in printed["stream"]  # printed once, as text
    pivot = next(v for k, v in by_source.items() if k.startswith("df = report.to_dataframe()"))
    # the severity columns come in the order of severity, not of the alphabet
    header = pivot["text/plain"].splitlines()[0].split()
    assert header[-5:] == ["info", "low", "medium", "high", "critical"]
