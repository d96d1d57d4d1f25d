"""IAM policy evaluation, locally, the way IAM decides: trust policies (IRSA, EKS Pod
Identity) and identity policies (the node role's ECR pull rights).

Only what these checks need is implemented: ``Effect``, ``Principal``, ``Action`` /
``NotAction``, ``Resource`` / ``NotResource`` and the string / null condition operators
(``StringEquals``, ``StringNotEquals``, ``StringLike``, ``StringNotLike``, their
``IgnoreCase`` forms, ``ForAnyValue:`` / ``ForAllValues:`` prefixes, the ``IfExists`` suffix,
``Null``). An explicit ``Deny`` that matches wins over any ``Allow``. Condition keys compare
case-insensitively, values case-sensitively; ``*`` and ``?`` are IAM wildcards in
``StringLike``, actions and resources. Permission boundaries, SCPs, session policies and
resource policies are not evaluated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from attrs import frozen

__all__ = [
    "Decision",
    "TrustVerdict",
    "allowed_actions",
    "evaluate_irsa_trust",
    "evaluate_pod_identity_trust",
    "glob_match",
    "parse_document",
    "statements",
]

WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
POD_IDENTITY_ACTIONS = ("sts:AssumeRole", "sts:TagSession")


@lru_cache(maxsize=4096)
def _glob_re(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = ["\\A"]
    for ch in pattern:
        parts.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    parts.append("\\Z")
    return re.compile("".join(parts), re.S | (re.I if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard match: ``*`` any run of characters, ``?`` one character.

    >>> glob_match("system:serviceaccount:shop:*", "system:serviceaccount:shop:api")
    True
    >>> glob_match("sts:*", "STS:AssumeRoleWithWebIdentity", ignore_case=True)
    True
    """
    return bool(_glob_re(pattern, ignore_case).match(value))


def parse_document(doc: Any) -> dict[str, Any]:
    """A policy document as a dict: botocore already parses most into dicts; some callers
    (or older botocore) hand back the URL-encoded JSON string."""
    if isinstance(doc, Mapping):
        return dict(doc)
    if isinstance(doc, str):
        text = doc if doc.lstrip().startswith("{") else unquote(doc)
        try:
            parsed = json.loads(text)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def statements(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The document's statements (``Statement`` may be one object or a list)."""
    raw = doc.get("Statement", [])
    items = [raw] if isinstance(raw, Mapping) else list(raw) if isinstance(raw, list) else []
    return [dict(s) for s in items if isinstance(s, Mapping)]


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _action_matches(stmt: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in stmt:
        return not any(glob_match(p, action, ignore_case=True) for p in _strings(stmt["NotAction"]))
    return any(glob_match(p, action, ignore_case=True) for p in _strings(stmt.get("Action")))


def _resource_matches(stmt: Mapping[str, Any], resource: str) -> bool:
    if "NotResource" in stmt:
        return not any(glob_match(p, resource) for p in _strings(stmt["NotResource"]))
    if "Resource" not in stmt:
        return True  # trust policies name no resource
    return any(glob_match(p, resource) for p in _strings(stmt["Resource"]))


def _principals(stmt: Mapping[str, Any], kind: str) -> list[str]:
    p = stmt.get("Principal")
    if p == "*":
        return ["*"]
    if isinstance(p, Mapping):
        return _strings(p.get(kind))
    return []


# --------------------------------------------------------------------------- conditions

_STRING_OPS = {
    "stringequals": (False, False, False),  # (negated, like, ignore case)
    "stringnotequals": (True, False, False),
    "stringequalsignorecase": (False, False, True),
    "stringnotequalsignorecase": (True, False, True),
    "stringlike": (False, True, False),
    "stringnotlike": (True, True, False),
}


def _value_matches(pattern: str, value: str, like: bool, ignore_case: bool) -> bool:
    if like:
        return glob_match(pattern, value, ignore_case=ignore_case)
    return pattern.lower() == value.lower() if ignore_case else pattern == value


def _condition_holds(op: str, key: str, wanted: list[str], context: Mapping[str, list[str]]) -> bool | None:
    """One ``Condition`` entry; ``None`` when the operator is not one this evaluator knows."""
    name = op
    qualifier = ""
    if ":" in name:
        qualifier, name = name.split(":", 1)
        qualifier = qualifier.lower()
    low = name.lower()
    if_exists = low.endswith("ifexists")
    if if_exists:
        low = low[: -len("ifexists")]
    values = context.get(key.lower())
    if low == "null":
        want_null = any(w.lower() == "true" for w in wanted)
        return (values is None) == want_null
    spec = _STRING_OPS.get(low)
    if spec is None:
        return None
    negated, like, ignore_case = spec
    if values is None:
        if if_exists:
            return True
        if qualifier == "forallvalues":
            return True
        return negated

    def one(v: str) -> bool:
        hit = any(_value_matches(w, v, like, ignore_case) for w in wanted)
        return not hit if negated else hit

    if qualifier == "forallvalues":
        return all(one(v) for v in values)
    return any(one(v) for v in values)


def _conditions(stmt: Mapping[str, Any]) -> list[tuple[str, str, list[str]]]:
    cond = stmt.get("Condition")
    out: list[tuple[str, str, list[str]]] = []
    if isinstance(cond, Mapping):
        for op, block in cond.items():
            if isinstance(block, Mapping):
                for key, wanted in block.items():
                    out.append((str(op), str(key), _strings(wanted)))
    return out


@frozen
class Decision:
    """How one statement's conditions fare in a request context."""

    holds: bool
    unknown_ops: tuple[str, ...] = ()


def _evaluate_conditions(stmt: Mapping[str, Any], context: Mapping[str, list[str]]) -> Decision:
    unknown: list[str] = []
    ok = True
    for op, key, wanted in _conditions(stmt):
        r = _condition_holds(op, key, wanted, context)
        if r is None:
            unknown.append(op)
            ok = False
        elif not r:
            ok = False
    return Decision(ok, tuple(unknown))


# --------------------------------------------------------------------------- identity policies


def allowed_actions(
    documents: Iterable[Mapping[str, Any]], checks: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], bool]:
    """For each ``(action, resource)``: do these identity policies allow it (an explicit
    Deny wins; conditions must hold with an empty request context)?"""
    stmts = [s for d in documents for s in statements(d)]
    out: dict[tuple[str, str], bool] = {}
    for action, resource in checks:
        allow = deny = False
        for s in stmts:
            if not (_action_matches(s, action) and _resource_matches(s, resource)):
                continue
            if not _evaluate_conditions(s, {}).holds:
                continue
            if str(s.get("Effect", "")).lower() == "deny":
                deny = True
            elif str(s.get("Effect", "")).lower() == "allow":
                allow = True
        out[(action, resource)] = allow and not deny
    return out


# --------------------------------------------------------------------------- trust policies


@frozen
class TrustVerdict:
    """Whether a role's trust policy admits one ServiceAccount, and why not.

    Args:
        trusted: the token exchange would be allowed.
        problems: one phrase per reason, for people.
        subjects: the ``sub`` values the trust admits, as written.
        audiences: the ``aud`` values the trust requires, as written.
    """

    trusted: bool
    problems: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()


def _cond_values(stmt: Mapping[str, Any], key: str) -> list[tuple[str, list[str]]]:
    """``(operator, values)`` for every condition on ``key`` (case-insensitive)."""
    return [(op, w) for op, k, w in _conditions(stmt) if k.lower() == key.lower()]


def _quote(values: Iterable[str]) -> str:
    vals = list(dict.fromkeys(values))
    return " or ".join(vals) if vals else "nothing"


def evaluate_irsa_trust(
    doc: Mapping[str, Any],
    *,
    provider_arn: str,
    issuer_host: str,
    namespace: str,
    service_account: str,
    audience: str = "sts.amazonaws.com",
) -> TrustVerdict:
    """Would IAM let ``system:serviceaccount:NS:NAME``'s projected token (issued by the
    cluster's OIDC issuer, audience ``audience``) assume this role with
    ``sts:AssumeRoleWithWebIdentity``?

    Args:
        doc: the role's ``AssumeRolePolicyDocument``.
        provider_arn: the IAM OIDC provider ARN for the cluster's issuer.
        issuer_host: the issuer without ``https://`` (the condition key prefix).
        namespace: the ServiceAccount's namespace.
        service_account: the ServiceAccount's name.
        audience: the token audience (``eks.amazonaws.com/audience`` or ``sts.amazonaws.com``).
    """
    subject = f"system:serviceaccount:{namespace}:{service_account}"
    sub_key, aud_key = f"{issuer_host}:sub", f"{issuer_host}:aud"
    context = {sub_key.lower(): [subject], aud_key.lower(): [audience]}
    stmts = statements(doc)
    subjects: list[str] = []
    audiences: list[str] = []
    problems: list[str] = []
    allowed = False
    other_providers: list[str] = []
    saw_action = False
    for s in stmts:
        effect = str(s.get("Effect", "")).lower()
        feds = _principals(s, "Federated")
        if not _action_matches(s, WEB_IDENTITY):
            continue
        ours = provider_arn in feds or "*" in feds
        if effect == "allow":
            for _, vals in _cond_values(s, sub_key):
                subjects.extend(vals)
            for _, vals in _cond_values(s, aud_key):
                audiences.extend(vals)
            if not ours:
                other_providers.extend(f for f in feds if f != provider_arn)
                continue
            saw_action = True
            d = _evaluate_conditions(s, context)
            if d.holds:
                allowed = True
                if not _cond_values(s, sub_key):
                    problems.append(
                        f"trust policy has no {sub_key} condition: any ServiceAccount of the cluster may assume this role"
                    )
                continue
            problems.extend(_why_not(s, sub_key, aud_key, subject, audience, context, d))
        elif effect == "deny" and ours and _evaluate_conditions(s, context).holds:
            return TrustVerdict(
                False,
                (f"an explicit Deny in the trust policy matches {subject}",),
                tuple(dict.fromkeys(subjects)),
                tuple(dict.fromkeys(audiences)),
            )
    if allowed:
        return TrustVerdict(True, tuple(problems), tuple(dict.fromkeys(subjects)), tuple(dict.fromkeys(audiences)))
    if not saw_action:
        if other_providers:
            problems.append(
                f"trust policy federates {_quote(other_providers)}, not this cluster's OIDC provider {provider_arn}"
            )
        elif not any(_action_matches(s, WEB_IDENTITY) for s in stmts):
            problems.append(f"trust policy does not allow {WEB_IDENTITY}")
        else:
            problems.append(f"trust policy names no Federated principal {provider_arn}")
    return TrustVerdict(False, tuple(dict.fromkeys(problems)), tuple(dict.fromkeys(subjects)),
                        tuple(dict.fromkeys(audiences)))


def _why_not(
    stmt: Mapping[str, Any],
    sub_key: str,
    aud_key: str,
    subject: str,
    audience: str,
    context: Mapping[str, list[str]],
    decision: Decision,
) -> list[str]:
    out: list[str] = []
    for op, key, wanted in _conditions(stmt):
        holds = _condition_holds(op, key, wanted, context)
        if holds is None:
            out.append(f"condition operator {op} is not evaluated here")
        elif not holds:
            if key.lower() == sub_key.lower():
                out.append(f"trust policy admits {_quote(wanted)} but not {subject}")
            elif key.lower() == aud_key.lower():
                out.append(f"audience condition {_quote(wanted)} does not match {audience}")
            else:
                out.append(f"condition {op} {key} = {_quote(wanted)} is not met by a web identity token")
    if not out and not decision.holds:
        out.append("trust policy conditions are not met")
    return out


def evaluate_pod_identity_trust(
    doc: Mapping[str, Any], *, context: Mapping[str, list[str]]
) -> TrustVerdict:
    """Does the role trust EKS Pod Identity (``Principal.Service`` ``pods.eks.amazonaws.com``
    with both ``sts:AssumeRole`` and ``sts:TagSession``)?

    Args:
        doc: the role's ``AssumeRolePolicyDocument``.
        context: request context keys (lower-cased) → values: ``aws:sourceaccount``,
            ``aws:sourcearn``, ``aws:requesttag/kubernetes-namespace``...
    """
    ctx = {k.lower(): v for k, v in context.items()}
    problems: list[str] = []
    verdicts: dict[str, bool] = {}
    for action in POD_IDENTITY_ACTIONS:
        allow = deny = False
        mine: list[str] = []
        for s in statements(doc):
            services = _principals(s, "Service")
            if POD_IDENTITY_SERVICE not in services and "*" not in services:
                continue
            if not _action_matches(s, action):
                continue
            d = _evaluate_conditions(s, ctx)
            effect = str(s.get("Effect", "")).lower()
            if effect == "allow":
                if d.holds:
                    allow = True
                else:
                    mine.extend(
                        f"{action}: condition {op} {key} = {_quote(w)} is not met"
                        for op, key, w in _conditions(s)
                        if not _condition_holds(op, key, w, ctx)
                    )
            elif effect == "deny" and d.holds:
                deny = True
        verdicts[action] = allow and not deny
        if not verdicts[action]:
            problems.extend(mine or [f"trust policy does not allow {POD_IDENTITY_SERVICE} to {action}"])
    trusted = all(verdicts.values())
    return TrustVerdict(trusted, () if trusted else tuple(dict.fromkeys(problems)))
