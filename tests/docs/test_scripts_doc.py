"""docs/scripts.md's recipes run as written, against the demos' recorded facts: every ``>>>``
line and its printed answer (doctest)."""

from __future__ import annotations

import doctest
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "scripts.md"


def test_every_recipe_runs_and_prints_what_the_page_says() -> None:
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted >= 20  # the five recipes and the denied call, not an empty page
    assert result.failed == 0
