"""The output edge: the Report object and its renderers (text, json, sarif, html, frame)."""

from r2c_clouds.report._report import SCHEMA, Report, Stats

__all__ = ["SCHEMA", "Report", "Stats"]
