"""JUnit XML output, for the test-report views of CI systems (Jenkins, GitLab, Azure
Pipelines, GitHub test-reporter actions).

One ``testsuite`` per loop (identity, compute, network, storage, observability): a handful
of suites a dashboard lists at a glance, each the size of one part of the checklist. In each,
the ``classname`` of a testcase is the rule id (``storage.zone-conflict``): Jenkins splits it
at the dot into package ``storage`` and class ``zone-conflict``, GitLab and Azure show it as
the test's class, so results group by rule within the loop. Per rule:

* one testcase per finding, named after its subject (``PersistentVolumeClaim/shop/data``):
  a ``failure`` when the finding is at or above ``fail_on``, else a passing testcase whose
  ``system-out`` holds the finding (what was found, below the bar);
* one ``skipped`` testcase (named ``not checked``) for a rule the scan could not check, with
  the reason.

The subjects a rule checked and found nothing on are not known to the report, so a rule
with no finding shows no testcase. An incomplete scan (kinds the rules need that could not
be read) adds a ``scan`` suite with one ``error`` per kind. Counts match the testcases:
``failures`` is the number of findings at or above ``fail_on``, ``skipped`` the number of
rules not checked.

The XML is well-formed whatever the cluster holds: text and attributes are escaped, and
characters XML 1.0 does not allow (control characters, lone surrogates) are removed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from r2c_clouds.model.findings import Finding, Loop, Severity

if TYPE_CHECKING:
    from r2c_clouds.report._report import Report

__all__ = ["render_junit"]

#: What XML 1.0 cannot hold (https://www.w3.org/TR/xml/#charsets); tab, LF and CR stay.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _clean(text)
    return el


def _details(f: Finding) -> str:
    lines = [f"{f.severity.label}: {f.message}"]
    if f.remediation:
        lines.append(f"Fix: {f.remediation}")
    lines.extend(f"evidence ({e.source}) {e.ref}: {e.detail}" for e in f.evidence)
    if f.caused_by:
        lines.append(f"caused by: {', '.join(f.caused_by)}")
    if f.docs:
        lines.append(f"docs: {f.docs}")
    lines.append(f"finding id: {f.id}")
    return "\n".join(lines)


def _suite(root: ET.Element, name: str, timestamp: str) -> ET.Element:
    return _el(root, "testsuite", name=name, timestamp=timestamp)


def _count(suite: ET.Element) -> tuple[int, int, int, int]:
    cases = suite.findall("testcase")
    failures = sum(1 for c in cases if c.find("failure") is not None)
    errors = sum(1 for c in cases if c.find("error") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suite.set("time", "0")
    return len(cases), failures, errors, skipped


def render_junit(report: Report, fail_on: Severity | str = Severity.HIGH) -> str:
    """JUnit XML (the Jenkins/Surefire ``junit-10.xsd`` shape most CI systems read).

    Args:
        report: the result of :func:`r2c_clouds.scan`.
        fail_on: findings at or above this severity are failures; the others pass.

    Raises:
        ValueError: ``fail_on`` is not a severity name.
    """
    from r2c_clouds.rules import REGISTRY

    bar = Severity.parse(fail_on) if isinstance(fail_on, str) else fail_on
    by_loop: dict[str, list[Finding]] = defaultdict(list)
    for f in sorted(report.findings, key=lambda f: (f.rule, str(f.subject), f.id)):
        by_loop[f.loop.value].append(f)
    not_checked: dict[str, list[str]] = defaultdict(list)
    for nc in report.not_checked:
        if nc.what in REGISTRY:
            not_checked[nc.what].append(nc.reason)
    skipped_by_loop: dict[str, list[str]] = defaultdict(list)
    for rid in sorted(not_checked):
        skipped_by_loop[REGISTRY[rid][0].loop.value].append(rid)

    cluster = report.cluster.name or "cluster"
    root = ET.Element("testsuites", {"name": _clean(f"r2c {cluster}")})
    for loop in [lp.value for lp in Loop]:
        if not by_loop[loop] and not skipped_by_loop[loop]:
            continue
        suite = _suite(root, f"r2c.{loop}", report.generated_at)
        seen = Counter((f.rule, f.subject) for f in by_loop[loop])
        for f in by_loop[loop]:
            # two findings of one rule on one subject (different keys) keep distinct names
            name = str(f.subject) if seen[f.rule, f.subject] == 1 else f"{f.subject} [{f.id}]"
            case = _el(suite, "testcase", name=name, classname=f.rule, time="0")
            if f.severity >= bar:
                _el(case, "failure", _details(f), message=f.message, type=f.severity.label)
            else:
                _el(case, "system-out", _details(f))
        for rid in skipped_by_loop[loop]:
            case = _el(suite, "testcase", name="not checked", classname=rid, time="0")
            _el(case, "skipped", message="; ".join(not_checked[rid]))
    if report.incomplete:
        suite = _suite(root, "r2c.scan", report.generated_at)
        for nc in report.incomplete:
            case = _el(suite, "testcase", name=f"read {nc.what}", classname="r2c.scan", time="0")
            _el(case, "error", nc.reason, message=nc.reason, type="incomplete")

    totals = [0, 0, 0]
    for suite in root.findall("testsuite"):
        tests, failures, errors, _ = _count(suite)
        totals[0] += tests
        totals[1] += failures
        totals[2] += errors
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", str(totals[2]))
    root.set("time", f"{max(report.stats.duration_s, 0.0):.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
