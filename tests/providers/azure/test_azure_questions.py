"""The Azure provider's question methods (docs/scripts.md) through the real azure-mgmt clients
over replayed ARM HTTP: the facts the scan gathers for the aks demo's twin, a denied call as a
not-checked answer, the calls counted."""

from __future__ import annotations

from typing import Any

from arm_world_azure import DISK_ID, RG, SUB, ArmWorld
from provider_questions import check_questions_match_the_scan
from test_azure_provider import FakeCredential, install

import r2c_clouds as r2c
from r2c_clouds.demo._build import aks as demo
from r2c_clouds.model.cloud import NotChecked
from r2c_clouds.providers.azure import AzureProvider
from r2c_clouds.rules import judge_identity_binding


def _provider() -> AzureProvider:
    return AzureProvider(FakeCredential(), subscription=SUB, resource_group=RG, cluster_name=demo.NAME)


def test_questions_give_the_scans_facts(arm: Any) -> None:
    install(arm, ArmWorld())
    check_questions_match_the_scan(_provider, r2c.demo("aks"))


def test_five_lines_answer_does_this_identity_trust_the_service_account(arm: Any) -> None:
    install(arm, ArmWorld())
    answer = _provider().workload_identity("payments", "ledger", "7d3e1f2a-9b8c-4d6e-a5f4-3c2b1a0e9d8f")
    assert answer.checked and answer.facts is not None and not answer.facts.trusted
    verdict = judge_identity_binding(answer.facts)
    assert (verdict.ok, verdict.rule) == (False, "identity.trust-mismatch")
    assert verdict.message.startswith("ServiceAccount/payments/ledger cannot assume 7d3e1f2a-9b8c-4d6e-a5f4-3c2b1a0e9d8f")
    assert any(op.startswith("Microsoft.ManagedIdentity/") for op in answer.api_calls)


def test_a_denied_call_is_a_not_checked_answer(arm: Any) -> None:
    world = install(arm, ArmWorld())
    world.forbidden.add("Microsoft.Compute/disks/read")
    answer = _provider().disks(DISK_ID)
    assert answer.facts == ()
    assert answer.not_checked == (NotChecked("disks", "forbidden: Microsoft.Compute/disks/read"),)
