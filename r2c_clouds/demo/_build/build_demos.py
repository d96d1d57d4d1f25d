"""Build the bundled demo snapshots under ``r2c_clouds/demo/<name>/``.

Each demo directory holds exactly two files:

- ``cluster.json``: one kubectl ``List``, as ``kubectl get <kinds> -A -o json`` prints it;
- ``cloud-facts.json``: the recorded cloud facts (``r2c_clouds.kube.facts_file.dump_facts``).

Run from the repository root and commit the output::

    python r2c_clouds/demo/_build/build_demos.py          # all demos
    python -m r2c_clouds.demo._build.build_demos domino   # one
    python -m r2c_clouds.demo._build.build_demos --output /tmp/demos   # elsewhere

The output is deterministic (uids are uuid5 of the object's identity, times are fixed), so a
rebuild without a change to this script gives no diff.

The demos:

- ``domino`` (EKS ``shop-prod``, us-east-1): the seed article's 09:00 incident. A rollout of
  shop/checkout adds a volume ``checkout-cache`` on StorageClass ``gp2`` (Immediate binding);
  the volume was provisioned at 08:00 in us-east-1a, by a provisioner running without the
  topology feature, so its PV carries no nodeAffinity and the scheduler cannot see the zone.
  The new pod does not fit (09:00), the cluster-autoscaler scales the us-east-1b group (the
  1a group is at its max, 09:01), the pod lands on the new 1b node (09:02), the attach fails
  with ``InvalidVolume.ZoneMismatch`` (09:03). Checkout pods in 1b talk to orders-db in 1a
  across zones, through a NAT gateway in 1b that runs out of ports (09:10).
- ``aks`` (AKS ``aks-payments``, westeurope): a federated identity credential whose subject
  names the wrong namespace, user workloads on the System pool, KEDA ScaledObjects without
  the KEDA add-on, an LRS disk bound in zone 1 for a pod that may only run in zones 2-3, SNAT
  exhaustion on the managed NAT gateway.
- ``gke`` (GKE ``gke-prod``, us-central1): a KSA whose GSA does not grant it
  ``roles/iam.workloadIdentityUser``, an Artifact Registry repository the node service account
  cannot read, a Service with no ready endpoints behind an Ingress.
- ``healthy`` (EKS ``catalog-prod``, us-west-2): a small, well-run cluster.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(HERE.parents[2]))

from r2c_clouds.demo._build import aks, domino, gke, healthy  # noqa: E402
from r2c_clouds.demo._build.kube import Cluster  # noqa: E402
from r2c_clouds.model.cloud import CloudFacts  # noqa: E402
from r2c_clouds.kube.facts_file import FACTS_FILE, dump_facts  # noqa: E402

DEMOS: dict[str, Callable[[], tuple[Cluster, CloudFacts]]] = {
    "aks": aks.build,
    "domino": domino.build,
    "gke": gke.build,
    "healthy": healthy.build,
}


def build(name: str, out: Path) -> int:
    """Write demo ``name`` into directory ``out``; returns the number of objects."""
    cluster, facts = DEMOS[name]()
    cluster.derive_endpoints()
    cluster.write(out / "cluster.json")
    (out / FACTS_FILE).write_bytes(dump_facts(facts))
    return len(cluster.items)


def main(argv: list[str]) -> int:
    """Build the named demos (all by default) into the package, or under ``--output DIR``."""
    args = list(argv)
    root = HERE.parent
    if "--output" in args:
        i = args.index("--output")
        root = Path(args[i + 1])
        del args[i : i + 2]
    names = args or sorted(DEMOS)
    for name in names:
        if name not in DEMOS:
            print(f"unknown demo {name!r}; known: {', '.join(sorted(DEMOS))}", file=sys.stderr)
            return 2
        count = build(name, root / name)
        print(f"{name}: {count} objects -> {root / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
