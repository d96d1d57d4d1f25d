"""storage loop rules."""

from __future__ import annotations
