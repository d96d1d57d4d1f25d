"""GCP provider API calls at scale, against the minimum the Google APIs allow.

Not a test: it asserts nothing. It serves the fake Google Cloud of the GCP provider tests
(tests/providers/gcp/gcp_world.py: REST and gRPC behind one local TLS endpoint) with 40
Google service accounts named by 2,000 annotated ServiceAccounts, 10,000 persistent disks
behind 10,000 PVs and 20 Cloud NAT gateways, asks the gcp provider each loop's questions
through the real Google client libraries, and prints the calls per operation next to the
minimum the APIs allow:

- ``iam.serviceAccounts.getIamPolicy``: one per distinct Google service account (no batch read);
- ``compute.disks.list``: ceil(disks in the project / 500) pages of ``disks.aggregatedList``;
- ``monitoring.timeSeries.list``: one per metric type (4), every gateway of the region at once;
- ``compute.routers.list``: one page (up to 500 routers).

Run: ``python benchmarks/bench_gcp_calls.py`` (needs ``pip install -e '.[test]'``; ``--ksas``,
``--gsas``, ``--pvs``, ``--nats`` change the sizes; ``--json`` prints JSON).

Measured 2026-12-06 (google-cloud-compute 1.56, -iam 2.26, -monitoring 2.32, grpcio 1.85,
2 cores), defaults:

| question | operation | calls made | minimum the APIs allow | seconds |
|---|---|---|---|---|
| 2,000 KSAs on 40 GSAs | iam.serviceAccounts.getIamPolicy | 40 | 40 | 0.2 |
| 10,000 PD-backed PVs | compute.disks.list | 20 | 20 | 4.84 |
| 20 Cloud NAT gateways | monitoring.timeSeries.list | 4 | 4 | 0.04 |
| 20 Cloud NAT gateways | compute.routers.list | 1 | 1 | 0.04 (the same network loop) |
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--ksas", type=int, default=2000)
    parser.add_argument("--gsas", type=int, default=40)
    parser.add_argument("--pvs", type=int, default=10_000)
    parser.add_argument("--nats", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT / "tests" / "providers" / "gcp"))
    import gcp_world as w  # type: ignore[import-not-found]  # the tests' fake Google Cloud

    tmp = Path(tempfile.mkdtemp(prefix="r2c-bench-gcp-"))
    ca = w.make_ca(tmp)
    os.environ.update({
        "REQUESTS_CA_BUNDLE": ca.ca_file, "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": ca.ca_file,
        "GOOGLE_OAUTH_ACCESS_TOKEN": w.TOKEN, "NO_GCE_CHECK": "True", "CLOUDSDK_CONFIG": str(tmp),
    })
    os.environ.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
    world = _world(w, args)
    servers = w.GcpServers(ca).start()
    try:
        servers.install(world)
        rows = _measure(w, world, servers.endpoint, args)
    finally:
        servers.stop()
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print("| question | operation | calls made | minimum the APIs allow | seconds |")
        print("|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['question']} | {r['operation']} | {r['calls']} | {r['minimum']} | {r['seconds']} |")
    return 0


def _world(w: Any, args: argparse.Namespace) -> Any:
    world = w.GcpWorld()
    gsas = [f"app-{i:03d}@{w.PROJECT}.iam.gserviceaccount.com" for i in range(args.gsas)]
    for i, email in enumerate(gsas):
        members = [w.wi_member(f"ns-{j % 50}", f"ksa-{j}") for j in range(i, args.ksas, args.gsas)]
        world.service_accounts[email] = w.policy((w.WI_USER, members), seed=email)
    world.disks = [w._disk(f"pvc-{i:05d}", zone=w.ZONES[i % 3]) for i in range(args.pvs)]
    routers = []
    for i in range(args.nats):
        router = w._router(f"router-{i:02d}", str(7355608113524700000 + i), w.NETWORK_URL, f"nat-{i:02d}")
        routers.append(router)
    world.routers = {w.REGION: routers}
    return world


def _measure(w: Any, world: Any, endpoint: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    from r2c_clouds.loops import (
        IdentityQuestions,
        NetworkQuestions,
        StorageQuestions,
        VolumeRef,
        WorkloadIdentityRef,
    )
    from r2c_clouds.providers.gcp import GcpProvider

    provider = GcpProvider(project=w.PROJECT, location=w.LOCATION, cluster_name=w.CLUSTER, endpoint=endpoint)
    refs = tuple(
        WorkloadIdentityRef(f"ns-{j % 50}", f"ksa-{j}", "gke-workload-identity", f"app-{j % args.gsas:03d}@{w.PROJECT}.iam.gserviceaccount.com")
        for j in range(args.ksas)
    )
    volumes = tuple(
        VolumeRef(f"pv-{i}", "pd.csi.storage.gke.io", f"projects/{w.PROJECT}/zones/{w.ZONES[i % 3]}/disks/pvc-{i:05d}")
        for i in range(args.pvs)
    )
    rows = []

    def timed(question: str, op: str, minimum: int, fn: Any) -> None:
        world.clear_log()
        started = time.perf_counter()
        fn()
        rows.append({"question": question, "operation": op, "calls": world.count(op), "minimum": minimum,
                     "seconds": round(time.perf_counter() - started, 2)})

    timed(f"{args.ksas:,} KSAs on {args.gsas} GSAs", "iam.serviceAccounts.getIamPolicy", args.gsas,
          lambda: provider.identity(IdentityQuestions(service_accounts=refs)))
    timed(f"{args.pvs:,} PD-backed PVs", "compute.disks.list", math.ceil(args.pvs / 500),
          lambda: provider.storage(StorageQuestions(volumes)))
    world.clear_log()
    started = time.perf_counter()
    answer = provider.network(NetworkQuestions(window_minutes=60))
    seconds = round(time.perf_counter() - started, 2)
    assert len(answer.egress_gateways) == args.nats, answer.not_checked
    for op, minimum in (("monitoring.timeSeries.list", 4), ("compute.routers.list", 1)):
        rows.append({"question": f"{args.nats} Cloud NAT gateways", "operation": op, "calls": world.count(op),
                     "minimum": minimum, "seconds": seconds})
    provider.close()
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
