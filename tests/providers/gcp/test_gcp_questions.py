"""The GCP provider's question methods (docs/scripts.md) through the real Google client
libraries against the fake Google Cloud on loopback (gRPC and REST): the facts the scan
gathers for the gke demo's twin, a denied call as a not-checked answer, the calls counted."""

from __future__ import annotations

from gcp_world import GcpWorld
from provider_questions import check_questions_match_the_scan
from test_gcp_demo_twin import live_provider, twin  # noqa: F401 - the twin fixture

import r2c_clouds as r2c
from r2c_clouds.rules import judge_registry_access


def test_questions_give_the_scans_facts(twin: GcpWorld) -> None:  # noqa: F811
    check_questions_match_the_scan(lambda: live_provider(twin), r2c.demo("gke"))


def test_five_lines_answer_can_the_node_pool_pull(twin: GcpWorld) -> None:  # noqa: F811
    answer = live_provider(twin).registry_access(
        "us-central1-docker.pkg.dev", images=["us-central1-docker.pkg.dev/shop-gke-prod/apps/recommender"])
    assert answer.checked and answer.facts
    verdicts = [judge_registry_access(ra) for ra in answer.facts]
    assert [v.ok for v in verdicts] == [False]
    assert verdicts[0].message.startswith(answer.facts[0].principal)
    assert "artifactregistry" in " ".join(answer.api_calls)


def test_a_denied_call_is_a_not_checked_answer(twin: GcpWorld) -> None:  # noqa: F811
    twin.fail("iam.serviceAccounts.getIamPolicy", 403)
    answer = live_provider(twin).workload_identity("shop", "order-export", "order-export@shop-gke-prod.iam.gserviceaccount.com")
    assert answer.facts is None  # not an exception, and no guess
    assert [nc.reason for nc in answer.not_checked] == ["forbidden: iam.serviceAccounts.getIamPolicy"]
