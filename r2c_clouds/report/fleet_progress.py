"""What ``r2c fleet scan`` shows while it runs (a live table on a terminal, a line per step
when piped) and the table of results it prints at the end."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import IO, Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from r2c_clouds._text import printable
from r2c_clouds.report.text import to_text
from r2c_clouds.store.records import SEVERITIES

__all__ = ["FleetDisplay", "results_text"]

_STYLE = {"waiting": "dim", "listing": "cyan", "cloud": "magenta", "rules": "yellow", "done": "green",
          "failed": "bold red"}


class FleetDisplay:
    """Each cluster's stage (waiting, listing, cloud, rules, done / failed) and its latest
    message: redrawn in place on a terminal, one line per change of stage otherwise, nothing
    when disabled. :meth:`update` may be called from any thread."""

    def __init__(self, contexts: Sequence[str], stream: IO[str], *, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = enabled and stream.isatty()
        self._rows: dict[str, tuple[str, str]] = dict.fromkeys(contexts, ("waiting", ""))
        self._lock = threading.Lock()
        self._live: Live | None = None

    def __enter__(self) -> FleetDisplay:
        if self.tty:
            self._live = Live(self._table(), console=Console(file=self.stream, stderr=True), refresh_per_second=8,
                              transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(None, None, None)
            self._live = None

    def update(self, context: str, stage: str, message: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            before = self._rows.get(context, ("", ""))[0]
            self._rows[context] = (stage, message)
            if self._live is not None:
                self._live.update(self._table())
            elif stage != before and stage != "waiting":
                tail = f": {message}" if message and stage in ("done", "failed") else ""
                self.stream.write(printable(f"{context}: {stage}{tail}") + "\n")
                self.stream.flush()

    def _table(self) -> Table:
        table = Table(box=None, header_style="bold", pad_edge=False)
        table.add_column("context", style="cyan", no_wrap=True)
        table.add_column("stage", no_wrap=True)
        table.add_column("")
        done = sum(1 for s, _ in self._rows.values() if s in ("done", "failed"))
        for ctx, (stage, message) in self._rows.items():
            table.add_row(Text(printable(ctx)), Text(stage, style=_STYLE.get(stage, "")), Text(printable(message)))
        table.caption = f"{done} of {len(self._rows)} clusters finished"
        return table


def results_text(rows: Sequence[dict[str, Any]], *, store: str, width: int = 100) -> str:
    """The fleet scan's results, a line per cluster."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("context", style="cyan", no_wrap=True, min_width=max((len(r["context"]) for r in rows), default=7))
    table.add_column("cluster")
    table.add_column("status")
    table.add_column("findings (" + "/".join(s[0] for s in SEVERITIES) + ")", justify="right")
    for r in rows:
        status = r["status"] if not r["error"] else f"failed: {r['error']}"
        counts = "/".join(str(r["by_severity"][s]) for s in SEVERITIES)
        table.add_row(Text(r["context"]), Text(r["cluster"]), Text(status),
                      f"{r['findings']} ({counts})" if r["status"] != "failed" else "-")
    ok = sum(1 for r in rows if r["status"] != "failed")
    return to_text(Group(table, Text(f"{ok} of {len(rows)} clusters scanned; results in {store}", style="dim")),
                   width=width)
