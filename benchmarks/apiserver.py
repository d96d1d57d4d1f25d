"""A static, pre-paginated Kubernetes API server for the scale benchmark.

```
python benchmarks/apiserver.py --nodes 1000      # prints "READY http://127.0.0.1:PORT" when serving
```

Every list page is encoded once, before serving, by :func:`generate.list_pages`; a request
costs a dictionary lookup and a socket write, so the benchmark measures the client, not the
server. It answers GET only: ``/version``; cluster-wide lists of every built-in kind
r2c_clouds reads (``limit``/``continue`` paging in pages of 500, whatever ``limit`` says; an
empty list for kinds the synthetic cluster has none of); and 404 ``Status`` for custom
resources whose CRD is not installed (KEDA, Prometheus Operator). It runs in its own process
so its memory and CPU are not counted against the client. For realistic behaviour (403,
410, selectors, discovery) the tests use ``tests/apiserver.py`` instead.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from generate import KINDS, list_pages

#: API groups a synthetic cluster does not have installed (CRDs).
NOT_INSTALLED = ("/apis/keda.sh/", "/apis/monitoring.coreos.com/")

#: plural → list kind and apiVersion for the kinds r2c_clouds lists and the generator
#: leaves empty.
EMPTY = {
    "endpoints": ("EndpointsList", "v1"),
    "replicasets": ("ReplicaSetList", "apps/v1"),
    "jobs": ("JobList", "batch/v1"),
    "cronjobs": ("CronJobList", "batch/v1"),
    "horizontalpodautoscalers": ("HorizontalPodAutoscalerList", "autoscaling/v2"),
    "endpointslices": ("EndpointSliceList", "discovery.k8s.io/v1"),
    "ingresses": ("IngressList", "networking.k8s.io/v1"),
    "networkpolicies": ("NetworkPolicyList", "networking.k8s.io/v1"),
    "clusterrolebindings": ("ClusterRoleBindingList", "rbac.authorization.k8s.io/v1"),
    "rolebindings": ("RoleBindingList", "rbac.authorization.k8s.io/v1"),
    "configmaps": ("ConfigMapList", "v1"),
    "secrets": ("SecretList", "v1"),
}


def _status(code: int, reason: str, message: str) -> bytes:
    return orjson.dumps(
        {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason, "code": code}
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    pages: dict[str, list[bytes]] = {}

    def log_message(self, format: str, *args: object) -> None:
        return

    def _send(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/")
        if path == "/version":
            self._send(200, orjson.dumps({
                "major": "1", "minor": "31", "gitVersion": "v1.31.2", "gitCommit": "5864a4677267e6adeae276ad85882a8714d69d9d",
                "gitTreeState": "clean", "buildDate": "2026-10-22T20:28:14Z", "goVersion": "go1.22.8",
                "compiler": "gc", "platform": "linux/amd64",
            }))
            return
        if url.path.startswith(NOT_INSTALLED):
            self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
            return
        plural = path.rsplit("/", 1)[-1]
        if plural in self.pages:
            token = parse_qs(url.query).get("continue", [""])[0]
            k = int(token.split(":", 1)[1]) if token else 0
            self._send(200, self.pages[plural][k])
            return
        if plural in EMPTY:
            kind, api_version = EMPTY[plural]
            self._send(200, orjson.dumps({"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": "987654"}, "items": []}))
            return
        self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))

    def do_POST(self) -> None:
        self._send(405, _status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"))

    do_PUT = do_PATCH = do_DELETE = do_POST


def main(argv: list[str] | None = None) -> int:
    """Serve a synthetic cluster of ``--nodes`` nodes until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--nodes", type=int, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    _Handler.pages = list_pages(args.nodes, seed=args.seed)
    assert set(_Handler.pages) <= set(KINDS)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    print(f"READY http://{host!s}:{port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
