"""What a cloud plugin's checklist items are built from: the context the checklist hands
each plugin (``CloudProvider.checklist_items``) and the small helpers items are made with.

It sits in the model so that a plugin contributes checklist items without importing the
checklist itself (which reads the rules): data flows from the rules to the checklist, never
back into a provider.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from attrs import field, frozen

from r2c_clouds.model.cloud import CloudFacts
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.model.findings import ChecklistItem, Evidence, Finding, Status

__all__ = ["SOURCE", "ChecklistContext", "finding_ids", "single_item"]

#: The evidence source of what the checklist itself concludes.
SOURCE = "r2c_clouds"
_MAX_IDS = 10


def _plain_count(rule: str, found: Sequence[Finding]) -> str:
    return f"{len({f.subject for f in found})} objects have findings of {rule}"


@frozen
class ChecklistContext:
    """What a cloud plugin's checklist items are built from (``CloudProvider.checklist_items``).

    Args:
        cluster: the scanned cluster.
        facts: the cloud facts (``None`` without a provider).
        by_rule: the scan's findings by rule id, most severe first.
        skipped: rule ids that did not run, and why.
        counter: words a rule's findings as the checklist does (``"2 of 14 workloads have
            static cloud credentials"``); see :meth:`count_text`.
    """

    cluster: ClusterState
    facts: CloudFacts | None
    by_rule: dict[str, list[Finding]]
    skipped: dict[str, str]
    counter: Callable[[str, Sequence[Finding]], str] = field(default=_plain_count, repr=False)

    def count_text(self, rule: str, found: Sequence[Finding]) -> str:
        """A rule's findings in words, out of the objects it judges."""
        return self.counter(rule, found)


def finding_ids(found: Sequence[Finding]) -> str:
    """The ids of findings, at most ten and a count of the rest."""
    ids = [f.id for f in found[:_MAX_IDS]]
    more = f" (+{len(found) - _MAX_IDS} more)" if len(found) > _MAX_IDS else ""
    return ", ".join(ids) + more


def single_item(item: str, title: str, status: Status, evidence: Sequence[Evidence]) -> ChecklistItem:
    """A checklist item with one check of the same name."""
    return ChecklistItem(item=item, title=title, status=status, evidence=tuple(evidence), checks=((title, status),))
