"""observability loop rules."""

from __future__ import annotations
