"""What a scan judges: all namespaces or some (``-n``), and a label selector for workloads (``-l``).

A scope does not hide objects from the rules: a Pending pod in ``shop`` is still placed among
every node's pods, and a StorageClass or an IAM role is still read. It decides which
*findings* the report keeps: those about objects in scope, and the findings that explain them
(their causes, however far down the chain and whatever their namespace).

>>> sel = Selector.parse("app in (web, api),tier!=db,!canary")
>>> sel.matches({"app": "web"}), sel.matches({"app": "web", "tier": "db"}), sel.matches({"app": "job"})
(True, False, False)
>>> str(sel)
'app in (api,web),tier!=db,!canary'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from attrs import field, frozen

from r2c_clouds.errors import ScopeError

__all__ = ["WORKLOAD_KINDS", "Requirement", "Scope", "Selector"]

#: The kinds a label selector chooses by their pods' labels too (the Pod template's labels).
WORKLOAD_KINDS = frozenset(
    {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"}
)

_NAME = r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_PREFIX = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*"
_KEY_RE = re.compile(rf"(?:{_PREFIX}/)?{_NAME}")
_VALUE_RE = re.compile(rf"(?:{_NAME})?")
# the API server's lexer skips only these as whitespace (not every Unicode space)
_WS = " \t\r\n"
_SET_RE = re.compile(r"^([^ \t\r\n]+?)[ \t\r\n]+(in|notin)[ \t\r\n]*\((.*)\)$", re.S)
_EQ_RE = re.compile(r"^([^=!<> \t\r\n]+)[ \t\r\n]*(==|=|!=)[ \t\r\n]*([^ \t\r\n]*)$")
_CMP_RE = re.compile(r"^([^=!<> \t\r\n]+)[ \t\r\n]*(<|>)[ \t\r\n]*([^ \t\r\n]+)$")
_INT = re.compile(r"[+-]?[0-9]+")
_INT64 = 2**63
_DNS_1123_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")


@frozen
class Requirement:
    """One requirement of a label selector: ``key``, ``!key``, ``key=v``, ``key!=v``,
    ``key in (a,b)``, ``key notin (a,b)``, ``key>N``, ``key<N``."""

    key: str
    operator: str  # Exists DoesNotExist = != in notin gt lt
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.operator
        if op == "Exists":
            return self.key in labels
        if op == "DoesNotExist":
            return self.key not in labels
        if op in ("=", "in"):
            return self.key in labels and labels[self.key] in self.values
        if op in ("!=", "notin"):
            return self.key not in labels or labels[self.key] not in self.values
        value = labels.get(self.key)
        if value is None or not _INT.fullmatch(value) or not -_INT64 <= int(value) < _INT64:
            return False  # Gt/Lt compare 64-bit integers; anything else does not match
        have = int(value)
        bound = int(self.values[0])
        return have > bound if op == "gt" else have < bound

    def __str__(self) -> str:
        op = self.operator
        if op == "Exists":
            return self.key
        if op == "DoesNotExist":
            return f"!{self.key}"
        if op in ("in", "notin"):
            return f"{self.key} {op} ({','.join(self.values)})"
        if op in ("gt", "lt"):
            return f"{self.key}{'>' if op == 'gt' else '<'}{self.values[0]}"
        return f"{self.key}{op}{self.values[0]}"


@frozen
class Selector:
    """A label selector in kubectl's syntax (``-l``): requirements joined by commas, all of
    which must hold. An empty selector matches every object."""

    requirements: tuple[Requirement, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Selector:
        """Parse ``app=web,tier in (a,b),!canary`` as the API server does.

        Raises:
            ScopeError: a requirement the API server would refuse (the message names it).
        """
        reqs = []
        for part in _split(text):
            reqs.append(_requirement(part.strip(_WS), text))
        return cls(tuple(reqs))

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Do ``labels`` satisfy every requirement?"""
        return all(r.matches(labels) for r in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def _split(text: str) -> list[str]:
    """Split on the commas outside parentheses; no parts for an empty (or blank) selector."""
    if not text.strip(_WS):
        return []
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _requirement(part: str, whole: str) -> Requirement:
    def bad(why: str) -> ScopeError:
        return ScopeError(f"label selector {whole!r}: {why}")

    if not part:
        raise bad("an empty requirement (two commas, or a comma at an end)")
    if part.startswith("!"):
        return Requirement(_key(part[1:].strip(_WS), bad), "DoesNotExist")
    m = _SET_RE.match(part)
    if m:
        # `key in ()` is the empty value, as the API server reads it
        values = [v.strip(_WS) for v in m.group(3).split(",")]
        return Requirement(_key(m.group(1), bad), m.group(2), tuple(sorted({_value(v, bad) for v in values})))
    m = _EQ_RE.match(part)
    if m:
        op = "=" if m.group(2) == "==" else m.group(2)
        return Requirement(_key(m.group(1), bad), op, (_value(m.group(3), bad),))
    m = _CMP_RE.match(part)
    if m:
        number = m.group(3)
        if not number.isascii() or not number.isdigit() or int(number) >= _INT64:
            raise bad(f"{part!r}: {m.group(2)} needs a whole number (a label value), not {number!r}")
        return Requirement(_key(m.group(1), bad), "gt" if m.group(2) == ">" else "lt", (m.group(3),))
    if re.search(r"[ \t\r\n=!<>()]", part):
        raise bad(f"{part!r} is not KEY, !KEY, KEY=VALUE, KEY!=VALUE, KEY in (V,..) or KEY notin (V,..)")
    return Requirement(_key(part, bad), "Exists")


def _key(key: str, bad: Callable[[str], ScopeError]) -> str:
    if not _KEY_RE.fullmatch(key) or ("/" in key and len(key.partition("/")[0]) > 253):
        raise bad(f"{key!r} is not a valid label key")
    return key


def _value(value: str, bad: Callable[[str], ScopeError]) -> str:
    if len(value) > 63 or not _VALUE_RE.fullmatch(value):
        raise bad(f"{value!r} is not a valid label value (63 characters at most: letters, digits, '-', '_', '.')")
    return value


def _namespaces(values: Iterable[str] | str | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    if isinstance(values, str):  # one namespace, not its letters
        values = [values]
    out = []
    for ns in values:
        if not isinstance(ns, str) or not _DNS_1123_LABEL.fullmatch(ns):
            raise ScopeError(
                f"namespace {ns!r} is not a valid namespace name "
                "(63 characters at most: lowercase letters, digits and '-', starting and ending alphanumeric)"
            )
        if ns not in out:
            out.append(ns)
    if not out:
        raise ScopeError("namespaces: an empty list (leave it out to scan every namespace)")
    return tuple(out)


def _selector(value: Selector | str | None) -> Selector | None:
    if value is None or isinstance(value, Selector):
        return value
    if not isinstance(value, str):
        raise ScopeError(f"label selector must be text such as 'app=web', not {value!r}")
    return Selector.parse(value)


@frozen
class Scope:
    """Which objects a scan judges.

    Args:
        namespaces: only these namespaces (``None``: every namespace, kubectl's ``-A``).
        selector: only workloads (Pods, Deployments, StatefulSets, DaemonSets, Jobs...) whose
            labels or Pod template labels match, and other namespaced objects whose own labels
            match (``None``: every object).
        read_only_these: the source itself holds only ``namespaces`` (a live read listed just
            them): the pods of other namespaces are unknown, so rules that add up every pod
            on a node are not checked.
    """

    namespaces: tuple[str, ...] | None = field(default=None, converter=_namespaces)
    selector: Selector | None = field(default=None, converter=_selector)
    read_only_these: bool = False

    @property
    def everything(self) -> bool:
        """All namespaces, no selector: every finding is in scope."""
        return self.namespaces is None and (self.selector is None or not self.selector.requirements)

    def admits(self, namespace: str | None, kind: str, labels: Iterable[Mapping[str, str]]) -> bool:
        """Is an object in scope by itself? ``labels``: its own labels and, for a workload,
        its Pod template's (or its pods') labels; any one matching is enough.

        A cluster-scoped object (``namespace`` None) is in scope only when the scope is
        everything: otherwise it is kept only as the cause of a finding in scope.
        """
        if self.everything:
            return True
        if namespace is None:
            return False
        if self.namespaces is not None and namespace not in self.namespaces:
            return False
        if self.selector is None or not self.selector.requirements:
            return True
        return any(self.selector.matches(one) for one in labels)

    def describe(self) -> str:
        """``namespaces shop, web; selector app=web`` (``all namespaces`` for the default)."""
        parts = []
        if self.namespaces is None:
            parts.append("all namespaces")
        else:
            noun = "namespace" if len(self.namespaces) == 1 else "namespaces"
            parts.append(f"{noun} {', '.join(self.namespaces)}")
        if self.selector is not None and self.selector.requirements:
            parts.append(f"selector {self.selector}")
        return "; ".join(parts)
