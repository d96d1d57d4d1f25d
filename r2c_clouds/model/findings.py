"""Findings, evidence and chains: what rules produce and renderers show."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable

from attrs import field, frozen

__all__ = [
    "CHAIN_DISPLAY",
    "Chain",
    "ChecklistItem",
    "Evidence",
    "Finding",
    "Loop",
    "ObjectRef",
    "Severity",
    "Status",
    "Verdict",
    "finding_id",
]


class Loop(str, enum.Enum):
    """The four control loops plus observability."""

    IDENTITY = "identity"
    COMPUTE = "compute"
    NETWORK = "network"
    STORAGE = "storage"
    OBSERVABILITY = "observability"

    def __str__(self) -> str:
        return self.value


class Severity(enum.IntEnum):
    """Finding severity, ordered so that ``Severity.HIGH > Severity.MEDIUM``."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """Lower-case name as used in JSON and on the command line."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``"high"`` → :attr:`HIGH`.

        Raises:
            ValueError: not a severity name.
        """
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of {names})") from None


def _namespace_order(namespace: str | None) -> str:
    return namespace or ""


@frozen(order=True)
class ObjectRef:
    """A Kubernetes (or cloud) object a finding is about: ``Pod/shop/api-7d9``.

    Refs sort by kind, namespace, name; a cluster-scoped ref (namespace ``None``) sorts as
    the empty namespace, so refs of any scope can be sorted together.
    """

    kind: str
    namespace: str | None = field(order=_namespace_order)
    name: str = field()

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"

    @classmethod
    def parse(cls, text: str) -> ObjectRef:
        """Parse ``KIND/NAMESPACE/NAME`` or ``KIND/NAME`` (cluster-scoped).

        Raises:
            ValueError: not of that shape.
        """
        parts = text.strip().split("/")
        if len(parts) == 3 and all(parts):
            return cls(parts[0], parts[1], parts[2])
        if len(parts) == 2 and all(parts):
            return cls(parts[0], None, parts[1])
        raise ValueError(f"expected KIND/NAMESPACE/NAME or KIND/NAME, got {text!r}")


@frozen
class Evidence:
    """One piece of evidence: where it comes from, what it refers to, what it says.

    Args:
        source: ``kubernetes``, ``aws``, ``azure``, ``gcp``.
        ref: the object or API call cited (``Event/shop/orders-db-0.17a``,
            ``aws ec2:DescribeVolumes vol-0abc``).
        detail: what it shows, in words.
        time: an RFC 3339 timestamp when the evidence is an event in time.
    """

    source: str
    ref: str
    detail: str
    time: str | None = None


@frozen
class Verdict:
    """A rule's judgement of one cloud fact, on its own (no cluster needed): what a script
    gets from ``r2c_clouds.rules.judge_*``.

    Args:
        rule: the rule that judges it (``identity.trust-mismatch``).
        ok: nothing to report.
        message: what the report would say of the fact (for an ``ok`` verdict, why it is fine).
        evidence: the evidence the report would cite.
    """

    rule: str
    ok: bool
    message: str
    evidence: tuple[Evidence, ...] = ()


def finding_id(rule: str, subject: ObjectRef, key: str = "") -> str:
    """Stable id of a finding: a short hash of (rule, subject[, key])."""
    text = f"{rule}|{subject}|{key}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@frozen
class Finding:
    """One diagnosis about one object.

    ``caused_by`` holds the ids of findings that explain this one (filled by
    :mod:`r2c_clouds.chains`); ``related`` holds other objects this finding concerns (the
    PV of a PVC, the node a pod was placed on), which chains use to link findings.
    """

    id: str
    rule: str
    loop: Loop
    severity: Severity
    subject: ObjectRef
    message: str
    evidence: tuple[Evidence, ...] = ()
    caused_by: tuple[str, ...] = ()
    related: tuple[ObjectRef, ...] = ()
    remediation: str = ""
    docs: str = ""
    time: str | None = field(default=None, eq=False)

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        """Deterministic order: most severe first, then rule, subject, id."""
        return (-int(self.severity), self.rule, str(self.subject), self.id)

    def __repr__(self) -> str:
        return f"<Finding {self.id} {self.severity.label} {self.rule} {self.subject}: {_clip(self.message, 80)}>"


@frozen
class Chain:
    """A cause chain from one symptom down to its root causes.

    Args:
        symptom: id of the finding where the trouble shows.
        root_causes: ids of the findings at the bottom (nothing causes them).
        path: ids from the symptom to the root causes, in order (breadth first).
        loops: the loops the path crosses, in order of appearance.
        summary: one sentence a person reads.
        findings: the findings of ``path``, as objects, in the same order (filled by
            :func:`r2c_clouds.chains.link`; empty for a chain built by hand).

    The ids are the stable contract (the JSON report's ``chains``); in a notebook,
    :attr:`findings`, :attr:`symptom_finding` and :attr:`root_cause_findings` give the
    objects without looking ids up.
    """

    symptom: str
    root_causes: tuple[str, ...]
    path: tuple[str, ...]
    loops: tuple[Loop, ...]
    summary: str
    findings: tuple[Finding, ...] = field(default=(), eq=False, repr=False)

    @property
    def symptom_finding(self) -> Finding | None:
        """The symptom's finding (``None`` for a chain built without its findings)."""
        return next((f for f in self.findings if f.id == self.symptom), None)

    @property
    def root_cause_findings(self) -> tuple[Finding, ...]:
        """The root causes' findings, in the order of :attr:`root_causes`."""
        by_id = {f.id: f for f in self.findings}
        return tuple(by_id[i] for i in self.root_causes if i in by_id)

    def __repr__(self) -> str:
        return f"<Chain {len(self.path)} findings, {' → '.join(lp.value for lp in self.loops)}: {_clip(self.summary, 90)}>"

    def _repr_svg_(self) -> str | None:
        render = CHAIN_DISPLAY.get("svg")
        return render(self) if render is not None else None

    def _repr_html_(self) -> str | None:
        render = CHAIN_DISPLAY.get("html")
        return render(self) if render is not None else None


#: How a notebook draws a Chain, by format (``"svg"``, ``"html"``): filled in by
#: :mod:`r2c_clouds.report` when it is imported, so the model never imports a renderer.
CHAIN_DISPLAY: dict[str, Callable[[Chain], str]] = {}


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Status(str, enum.Enum):
    """Status of a checklist item."""

    PASS = "pass"
    FAIL = "fail"
    PARTIAL = "partial"
    NOT_CHECKED = "not-checked"

    def __str__(self) -> str:
        return self.value


@frozen
class ChecklistItem:
    """One line of the Cluster Readiness Checklist.

    Args:
        item: ``identity``, ``compute``, ``network``, ``storage``, ``observability``, or a
            cloud-specific item such as ``azure.workload-identity-enabled``.
        title: the line as the checklist words it.
        status: pass / fail / partial / not-checked.
        evidence: what the status rests on (findings, counts, cloud facts).
        checks: the sub-checks and their status, ``(name, status)``.
    """

    item: str
    title: str
    status: Status
    evidence: tuple[Evidence, ...] = ()
    checks: tuple[tuple[str, Status], ...] = ()
