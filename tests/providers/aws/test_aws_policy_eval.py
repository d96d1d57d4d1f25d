"""The local IAM evaluator: trust policies (IRSA, Pod Identity) and identity policies."""

from __future__ import annotations

from typing import Any

import pytest

from r2c_clouds.providers.aws._policy import (
    allowed_actions,
    evaluate_irsa_trust,
    evaluate_pod_identity_trust,
    glob_match,
    parse_document,
)

HOST = "oidc.eks.us-east-1.amazonaws.com/id/8F1C5A2B9D3E4F60718293A4B5C6D7E8"
PROVIDER = f"arn:aws:iam::123456789012:oidc-provider/{HOST}"


def _doc(*stmts: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(stmts)}


def _allow(condition: dict[str, Any] | None = None, action: Any = "sts:AssumeRoleWithWebIdentity",
           federated: Any = PROVIDER) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": "Allow", "Principal": {"Federated": federated}, "Action": action}
    if condition is not None:
        s["Condition"] = condition
    return s


def _judge(doc: dict[str, Any], ns: str = "shop", sa: str = "api", audience: str = "sts.amazonaws.com") -> Any:
    return evaluate_irsa_trust(doc, provider_arn=PROVIDER, issuer_host=HOST, namespace=ns, service_account=sa,
                               audience=audience)


EXACT = {"StringEquals": {f"{HOST}:sub": "system:serviceaccount:shop:api", f"{HOST}:aud": "sts.amazonaws.com"}}


def test_exact_subject_and_audience_are_trusted() -> None:
    v = _judge(_doc(_allow(EXACT)))
    assert v.trusted and v.problems == ()
    assert v.subjects == ("system:serviceaccount:shop:api",)
    assert v.audiences == ("sts.amazonaws.com",)


def test_another_namespace_is_not_trusted_and_says_what_is_admitted() -> None:
    v = _judge(_doc(_allow(EXACT)), ns="payments")
    assert not v.trusted
    assert v.problems == ("trust policy admits system:serviceaccount:shop:api but not system:serviceaccount:payments:api",)


def test_string_like_wildcards_follow_iam_globs() -> None:
    doc = _doc(_allow({"StringLike": {f"{HOST}:sub": "system:serviceaccount:shop:ap?"}}))
    assert _judge(doc, sa="api").trusted
    assert not _judge(doc, sa="apis").trusted
    # StringEquals takes * literally
    literal = _doc(_allow({"StringEquals": {f"{HOST}:sub": "system:serviceaccount:shop:*"}}))
    assert not _judge(literal).trusted


def test_condition_keys_are_case_insensitive_values_case_sensitive() -> None:
    upper = _doc(_allow({"StringEquals": {f"{HOST.upper()}:SUB": "system:serviceaccount:shop:api"}}))
    assert _judge(upper).trusted
    value = _doc(_allow({"StringEquals": {f"{HOST}:sub": "system:serviceaccount:Shop:api"}}))
    assert not _judge(value).trusted


def test_wrong_audience_is_named() -> None:
    doc = _doc(_allow({"StringEquals": {f"{HOST}:aud": "sts.amazon.com"}}))
    v = _judge(doc)
    assert not v.trusted
    assert "audience condition sts.amazon.com does not match sts.amazonaws.com" in v.problems
    assert _judge(_doc(_allow({"StringEquals": {f"{HOST}:aud": "vault"}})), audience="vault").trusted


@pytest.mark.parametrize("action", ["sts:*", ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"], "STS:assumerolewithwebidentity"])
def test_action_in_any_form_counts(action: Any) -> None:
    assert _judge(_doc(_allow(EXACT, action=action))).trusted


def test_missing_action_or_other_provider_is_untrusted() -> None:
    assert _judge(_doc(_allow(EXACT, action="sts:AssumeRole"))).problems == (
        "trust policy does not allow sts:AssumeRoleWithWebIdentity",)
    other = PROVIDER.replace("8F1C", "0000")
    v = _judge(_doc(_allow(EXACT, federated=other)))
    assert not v.trusted
    assert v.problems[0].startswith(f"trust policy federates {other}, not this cluster's OIDC provider")


def test_explicit_deny_wins() -> None:
    deny = {"Effect": "Deny", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{HOST}:sub": "system:serviceaccount:shop:api"}}}
    wide = _allow({"StringLike": {f"{HOST}:sub": "system:serviceaccount:shop:*"}})
    assert not _judge(_doc(wide, deny)).trusted
    assert _judge(_doc(wide, deny), sa="web").trusted


def test_no_subject_condition_is_trusted_but_flagged_as_broad() -> None:
    v = _judge(_doc(_allow({"StringEquals": {f"{HOST}:aud": "sts.amazonaws.com"}})))
    assert v.trusted
    assert "any ServiceAccount of the cluster may assume this role" in v.problems[0]


def test_for_any_value_if_exists_and_negated_operators() -> None:
    assert _judge(_doc(_allow({"ForAnyValue:StringLike": {f"{HOST}:sub": ["x", "system:serviceaccount:shop:*"]}}))).trusted
    assert _judge(_doc(_allow({"StringEqualsIfExists": {f"{HOST}:amr": "x"}}))).trusted
    assert not _judge(_doc(_allow({"StringEquals": {f"{HOST}:amr": "x"}}))).trusted
    assert _judge(_doc(_allow({"StringNotEquals": {f"{HOST}:sub": "system:serviceaccount:kube-system:default"}}))).trusted
    assert not _judge(_doc(_allow({"StringNotLike": {f"{HOST}:sub": "system:serviceaccount:shop:*"}}))).trusted


def test_unknown_operator_is_not_silently_trusted() -> None:
    v = _judge(_doc(_allow({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}})))
    assert not v.trusted
    assert "condition operator DateGreaterThan is not evaluated here" in v.problems


def test_pod_identity_needs_assume_role_and_tag_session() -> None:
    svc = {"Service": "pods.eks.amazonaws.com"}
    ok = _doc({"Effect": "Allow", "Principal": svc, "Action": ["sts:AssumeRole", "sts:TagSession"]})
    assert evaluate_pod_identity_trust(ok, context={}).trusted
    no_tag = _doc({"Effect": "Allow", "Principal": svc, "Action": "sts:AssumeRole"})
    v = evaluate_pod_identity_trust(no_tag, context={})
    assert not v.trusted
    assert v.problems == ("trust policy does not allow pods.eks.amazonaws.com to sts:TagSession",)
    scoped = _doc({"Effect": "Allow", "Principal": svc, "Action": ["sts:AssumeRole", "sts:TagSession"],
                   "Condition": {"StringEquals": {"aws:RequestTag/kubernetes-namespace": "shop"}}})
    assert evaluate_pod_identity_trust(scoped, context={"aws:requesttag/kubernetes-namespace": ["shop"]}).trusted
    assert not evaluate_pod_identity_trust(scoped, context={"aws:requesttag/kubernetes-namespace": ["batch"]}).trusted


def test_identity_policies_allow_deny_and_resources() -> None:
    read = {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:Get*"], "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "ecr:BatchGetImage", "Resource": "arn:aws:ecr:*:*:repository/secret/*"}
    checks = [("ecr:BatchGetImage", "arn:aws:ecr:us-east-1:1:repository/shop/api"),
              ("ecr:BatchGetImage", "arn:aws:ecr:us-east-1:1:repository/secret/x"),
              ("ecr:GetDownloadUrlForLayer", "arn:aws:ecr:us-east-1:1:repository/shop/api"),
              ("ecr:PutImage", "arn:aws:ecr:us-east-1:1:repository/shop/api")]
    got = allowed_actions([_doc(read, deny)], checks)
    assert [got[c] for c in checks] == [True, False, True, False]


def test_documents_arrive_as_dicts_or_url_encoded_json() -> None:
    assert parse_document('%7B%22Statement%22%3A%5B%5D%7D') == {"Statement": []}
    assert parse_document({"Statement": []}) == {"Statement": []}
    assert parse_document("not json") == {}
    assert glob_match("a*c", "abbbc") and not glob_match("a?c", "abbc")


def test_ecr_pull_rights_on_a_registry() -> None:
    from r2c_clouds.providers.aws.identity import _missing

    prefix = "arn:aws:ecr:us-east-1:123456789012:repository/"
    token = {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
    layers = {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
              "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/shop/*"}
    assert _missing([_doc(token, layers)], prefix) == []  # some repositories count as a grant
    other = dict(layers, Resource="arn:aws:ecr:eu-west-1:123456789012:repository/*")
    assert _missing([_doc(token, other)], prefix) == ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    deny = {"Effect": "Deny", "Action": "ecr:*", "Resource": "*"}
    assert _missing([_doc(token, layers), _doc(deny)], prefix) == ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
