"""The scale benchmark: whole scans and live listings of synthetic clusters.

```
python benchmarks/run.py --nodes 1000 5000        # or: nox -s bench -- --nodes 1000 5000
```

For each size (about 30 pods per node, see ``benchmarks/generate.py``) it measures, each in
a fresh subprocess so that peak memory is clean:

(a) **whole scan** — ``r2c_clouds.load_snapshot(file)`` + ``scan(cluster, cloud="none")`` —
    against merely loading the same file into dicts with ``orjson.loads`` (the file read in
    binary mode), as ratios; and the time per node at each size (linearity);
(b) **live listing** — ``r2c_clouds.connect()`` against a static pre-paginated API server
    (``benchmarks/apiserver.py``, its own process) — against the official client's model
    path, ``CoreV1Api().list_pod_for_all_namespaces(limit=500)`` paged to the end (capped at
    ``--models-cap`` pods, since models decode about a thousand pods a second), compared as
    pods per second.

Memory is the child's peak resident set size, ``resource.getrusage(RUSAGE_SELF).ru_maxrss``,
minus its resident set size just before the measured call (after imports), i.e. the peak
growth caused by the work. Times are wall-clock (``time.perf_counter``), one run each unless
``--repeat`` asks for more (then the best time and the lowest peak are kept).

Results are printed as Markdown tables and written to ``benchmarks/out/results.json``.
This is a benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
MIB = 2**20


# ------------------------------------------------------------------------ child processes


def _rss() -> int:
    """Current resident set size in bytes."""
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak() -> int:
    """Peak resident set size in bytes (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _child(mode: str, arg: str, cap: int) -> dict[str, Any]:
    if mode in ("orjson", "orjson-nogc"):
        import gc

        import orjson

        if mode == "orjson-nogc":
            gc.disable()
        base = _rss()
        t0 = time.perf_counter()
        with open(arg, "rb") as f:
            data = orjson.loads(f.read())
        seconds = time.perf_counter() - t0
        return {"seconds": seconds, "base": base, "peak": _peak(), "objects": len(data["items"])}

    if mode == "scan":
        import r2c_clouds
        import r2c_clouds.chains
        import r2c_clouds.checklist
        import r2c_clouds.kube.snapshot
        import r2c_clouds.providers
        import r2c_clouds.rules

        base = _rss()
        t0 = time.perf_counter()
        cluster = r2c_clouds.load_snapshot(arg)
        t1 = time.perf_counter()
        report = r2c_clouds.scan(cluster, cloud="none")
        t2 = time.perf_counter()
        return {
            "seconds": t2 - t0, "load_seconds": t1 - t0, "scan_seconds": t2 - t1,
            "base": base, "peak": _peak(), "pods": len(cluster.pods),
            "findings": len(report.findings),
        }

    if mode == "profile":
        return _profile(arg)

    if mode == "connect":
        import kubernetes.client  # noqa: F401

        import r2c_clouds
        import r2c_clouds.kube.live

        base = _rss()
        t0 = time.perf_counter()
        cluster = r2c_clouds.connect(kubeconfig=arg)
        seconds = time.perf_counter() - t0
        return {"seconds": seconds, "base": base, "peak": _peak(), "pods": len(cluster.pods),
                "not_checked": [f"{n.what}: {n.reason}" for n in cluster.not_checked]}

    if mode == "bytes":
        return _bytes_only(arg)

    if mode == "decode":
        return _decode_only(arg)

    if mode == "models":
        from kubernetes import client

        cfg = client.Configuration()
        cfg.host = arg
        cfg.api_key = {"authorization": "r2c-bench-token"}
        cfg.api_key_prefix = {"authorization": "Bearer"}
        api = client.CoreV1Api(client.ApiClient(cfg))
        base = _rss()
        t0 = time.perf_counter()
        items: list[Any] = []
        token = None
        while len(items) < cap:
            kwargs: dict[str, Any] = {"limit": 500}
            if token:
                kwargs["_continue"] = token
            page = api.list_pod_for_all_namespaces(**kwargs)
            items.extend(page.items)
            token = page.metadata._continue if page.metadata else None
            if not token:
                break
        seconds = time.perf_counter() - t0
        return {"seconds": seconds, "base": base, "peak": _peak(), "pods": len(items)}

    raise SystemExit(f"unknown child mode {mode!r}")


def _decode_only(arg: str) -> dict[str, Any]:
    """The other floor: the same pages, already in memory, only decoded (by the decoder
    ``connect()`` uses, one page after another, the objects kept, the GC paused as
    ``connect()`` pauses it); and the same pages through ``orjson.loads`` (GC off) into dicts."""
    import gc

    import orjson
    from generate import list_pages

    from r2c_clouds.kube.decode import decode_page
    from r2c_clouds.kube.kinds import KINDS_BY_NAME

    nodes, seed = (int(x) for x in arg.split(":"))
    pages = list_pages(nodes, seed=seed)
    by_plural = {ki.plural: ki for ki in KINDS_BY_NAME.values()}
    base = _rss()
    gc.disable()
    kept: list[Any] = []
    t0 = time.perf_counter()
    for plural, bodies in pages.items():
        ki = by_plural[plural]
        for body in bodies:
            kept.extend(decode_page(body, ki, plural).items)
    seconds = time.perf_counter() - t0
    peak = _peak()
    del kept
    t0 = time.perf_counter()
    dicts = [orjson.loads(body) for bodies in pages.values() for body in bodies]
    orjson_seconds = time.perf_counter() - t0
    del dicts
    return {"seconds": seconds, "orjson_seconds": orjson_seconds, "base": base, "peak": peak,
            "bytes": sum(len(b) for bodies in pages.values() for b in bodies)}


def _bytes_only(url: str) -> dict[str, Any]:
    """The floor for a live listing: the same GETs ``connect()`` sends (every kind, pages of
    500, as many kinds at once as it lists), each body received and dropped; the continue
    token is read from the start of the body (the list's metadata comes before its items)."""
    import re
    from concurrent.futures import ThreadPoolExecutor

    import urllib3

    from r2c_clouds.kube.kinds import KINDS
    from r2c_clouds.kube.live import PAGE_LIMIT, WORKERS

    token_re = re.compile(rb'"continue":"([^"]+)"')
    pool = urllib3.PoolManager(maxsize=WORKERS)
    headers = {"Authorization": "Bearer r2c-bench-token", "Accept": "application/json"}

    def one_kind(path: str) -> tuple[int, int]:
        received = pages = 0
        token = None
        while True:
            query = f"?limit={PAGE_LIMIT}" + (f"&continue={token}" if token else "")
            resp = pool.request("GET", url + path + query, headers=headers, preload_content=True)
            body = resp.data
            received += len(body)
            pages += 1
            m = token_re.search(body, 0, 4096)
            if resp.status != 200 or m is None:
                return received, pages
            token = m.group(1).decode()

    base = _rss()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS) as ex:
        results = list(ex.map(one_kind, [ki.path() for ki in KINDS]))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "base": base, "peak": _peak(),
            "bytes": sum(r[0] for r in results), "pages": sum(r[1] for r in results)}


def _profile(path: str) -> dict[str, Any]:
    """Where the scan's time goes: each stage of ``scan`` run by hand, in its order, and each
    rule's own time (in registration order, so a rule that first builds a shared index —
    workloads, node rooms, the selector index — is charged for it), with the GC paused as the
    scan pauses it; and a digest of the findings (ids, messages, evidence, causes) to prove
    an optimisation changed no finding."""
    import gc
    import hashlib

    import r2c_clouds
    import r2c_clouds.chains
    import r2c_clouds.checklist
    import r2c_clouds.providers
    import r2c_clouds.rules
    from r2c_clouds.chains import link
    from r2c_clouds.checklist import build_checklist
    from r2c_clouds.exceptions import apply as apply_exceptions
    from r2c_clouds.providers import cloud_checklist_items
    from r2c_clouds.rules._registry import REGISTRY, RuleContext, _dedupe

    base = _rss()
    t0 = time.perf_counter()
    cluster = r2c_clouds.load_snapshot(path)
    stages = {"load_snapshot": time.perf_counter() - t0}
    gc.disable()
    per_rule: dict[str, float] = {}
    found: list[Any] = []
    t = time.perf_counter()
    for rid, (spec, func) in REGISTRY.items():
        if any(not cluster.has(kind) for kind in spec.needs) or spec.needs_cloud:
            continue
        r0 = time.perf_counter()
        found.extend(func(RuleContext(cluster, None, spec)))
        per_rule[rid] = time.perf_counter() - r0
    findings = _dedupe(found)
    stages["rules"] = time.perf_counter() - t
    t = time.perf_counter()
    applied = apply_exceptions(findings, cluster, [])
    stages["exceptions"] = time.perf_counter() - t
    t = time.perf_counter()
    linked, chains = link(list(applied.kept), cluster, None)
    stages["chains"] = time.perf_counter() - t
    t = time.perf_counter()
    build_checklist(cluster, None, linked, [], cloud_items=cloud_checklist_items)
    stages["checklist"] = time.perf_counter() - t
    digest = hashlib.sha256(json.dumps([
        (f.id, f.message, [(e.ref, e.detail) for e in f.evidence], list(f.caused_by)) for f in linked
    ]).encode()).hexdigest()[:16]
    return {"pods": len(cluster.pods), "stages": stages, "rules": per_rule, "findings": len(linked),
            "chains": len(chains), "digest": digest, "seconds": sum(stages.values()), "base": base, "peak": _peak()}


def _run_child(mode: str, arg: str, cap: int = 0, repeat: int = 1) -> dict[str, Any]:
    """Run one measurement in fresh subprocesses; keep the best time and the lowest peak."""
    best: dict[str, Any] | None = None
    for _ in range(repeat):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", mode, arg, str(cap)],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(f"{mode} child failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        res: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
        res["growth"] = res["peak"] - res["base"]
        if best is None:
            best = res
        else:
            best["seconds"] = min(best["seconds"], res["seconds"])
            best["growth"] = min(best["growth"], res["growth"])
            best["peak"] = min(best["peak"], res["peak"])
    assert best is not None
    return best


# ------------------------------------------------------------------------ orchestration


def _snapshot_file(nodes: int, seed: int) -> Path:
    """The generated List for ``nodes`` (cached by generator version)."""
    sys.path.insert(0, str(HERE))
    from generate import write_list

    version = hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()[:10]
    path = OUT / f"cluster-{nodes}-s{seed}-{version}.json"
    if not path.exists():
        t0 = time.perf_counter()
        counts = write_list(nodes, path.with_suffix(".tmp"), seed=seed)
        path.with_suffix(".tmp").rename(path)
        print(f"  generated {path.name}: {path.stat().st_size / MIB:,.0f} MiB, "
              f"{counts['pods']:,} pods in {time.perf_counter() - t0:.1f} s", flush=True)
    return path


def _start_server(nodes: int, seed: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "apiserver.py"), "--nodes", str(nodes), "--seed", str(seed)],
        stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("READY "):
        proc.kill()
        raise SystemExit(f"benchmark API server did not start: {line!r}")
    return proc, line.split()[1]


def _kubeconfig(server: str, where: Path) -> Path:
    path = where / "kubeconfig"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "bench",
        "clusters": [{"name": "bench", "cluster": {"server": server}}],
        "users": [{"name": "bench", "user": {"token": "r2c-bench-token"}}],
        "contexts": [{"name": "bench", "context": {"cluster": "bench", "user": "bench"}}],
    }), encoding="utf-8")
    return path


def _mib(n: float) -> str:
    return f"{n / MIB:,.0f} MiB"


def bench_scan(sizes: list[int], seed: int, repeat: int) -> list[dict[str, Any]]:
    """Part (a): whole scan vs orjson load of the same file."""
    rows = []
    for nodes in sizes:
        print(f"[scan] {nodes:,} nodes", flush=True)
        path = _snapshot_file(nodes, seed)
        base = _run_child("orjson", str(path), repeat=repeat)
        print(f"  orjson.loads: {base['seconds']:.2f} s, peak growth {_mib(base['growth'])}", flush=True)
        nogc = _run_child("orjson-nogc", str(path), repeat=repeat)
        print(f"  orjson.loads with gc disabled: {nogc['seconds']:.2f} s", flush=True)
        r2c = _run_child("scan", str(path), repeat=repeat)
        print(f"  load_snapshot+scan: {r2c['seconds']:.2f} s (load {r2c['load_seconds']:.2f} s, "
              f"scan {r2c['scan_seconds']:.2f} s), peak growth {_mib(r2c['growth'])}, "
              f"{r2c['findings']:,} findings", flush=True)
        rows.append({"nodes": nodes, "pods": r2c["pods"], "file_bytes": path.stat().st_size,
                     "orjson": base, "orjson_nogc": nogc, "r2c": r2c})
    return rows


def bench_live(sizes: list[int], seed: int, cap: int, repeat: int) -> list[dict[str, Any]]:
    """Part (b): connect() vs the official client's models, on one static server."""
    rows = []
    for nodes in sizes:
        print(f"[live] {nodes:,} nodes: starting the static API server", flush=True)
        t0 = time.perf_counter()
        server, url = _start_server(nodes, seed)
        print(f"  serving {url} (pages encoded in {time.perf_counter() - t0:.1f} s)", flush=True)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                kubeconfig = _kubeconfig(url, Path(tmp))
                conn = _run_child("connect", str(kubeconfig), repeat=repeat)
                print(f"  connect(): {conn['pods']:,} pods in {conn['seconds']:.2f} s, "
                      f"peak growth {_mib(conn['growth'])}", flush=True)
                floor = _run_child("bytes", url, repeat=repeat)
                print(f"  the same pages received and dropped: {floor['bytes'] / MIB:,.0f} MiB in "
                      f"{floor['seconds']:.2f} s", flush=True)
                decoded = _run_child("decode", f"{nodes}:{seed}", repeat=repeat)
                print(f"  the same pages decoded from memory: {decoded['seconds']:.2f} s "
                      f"(orjson.loads, GC off: {decoded['orjson_seconds']:.2f} s)", flush=True)
                models = _run_child("models", url, cap=cap, repeat=repeat)
                print(f"  models: {models['pods']:,} pods in {models['seconds']:.2f} s, "
                      f"peak growth {_mib(models['growth'])}", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
        rows.append({"nodes": nodes, "connect": conn, "bytes": floor, "decode": decoded, "models": models})
    return rows


def bench_profile(sizes: list[int], seed: int) -> list[dict[str, Any]]:
    """Part (c): the per-stage and per-rule profile of the scan."""
    rows = []
    for nodes in sizes:
        path = _snapshot_file(nodes, seed)
        print(f"\n== profile, {nodes} nodes", flush=True)
        rows.append({"nodes": nodes, **_run_child("profile", str(path))})
    return rows


def report_profile(rows: list[dict[str, Any]], top: int = 12) -> str:
    """Markdown: one table of stages, one of the costliest rules, in microseconds per pod."""
    if not rows:
        return ""
    out = ["### (c) Where the scan's time goes (µs per pod; the GC paused as `scan` pauses it)\n"]
    stages = list(rows[0]["stages"])
    out.append("| nodes | pods | " + " | ".join(stages) + " | rules + chains + checklist | findings | digest |")
    out.append("|---:|---:|" + "---:|" * len(stages) + "---:|---:|---|")
    for r in rows:
        per = {k: v / r["pods"] * 1e6 for k, v in r["stages"].items()}
        judged = per["rules"] + per["exceptions"] + per["chains"] + per["checklist"]
        out.append(f"| {r['nodes']:,} | {r['pods']:,} | " + " | ".join(f"{per[k]:.1f}" for k in stages)
                   + f" | **{judged:.1f}** | {r['findings']:,} | `{r['digest']}` |")
    last = rows[-1]
    ranked = sorted(last["rules"].items(), key=lambda kv: -kv[1])[:top]
    out.append(f"\nThe {top} costliest rules at {last['nodes']:,} nodes (a rule that first builds a shared index "
               "pays for it):\n")
    out.append("| rule | µs per pod |")
    out.append("|---|---:|")
    out.extend(f"| `{rid}` | {sec / last['pods'] * 1e6:.2f} |" for rid, sec in ranked)
    return "\n".join(out) + "\n"


def report(scan_rows: list[dict[str, Any]], live_rows: list[dict[str, Any]]) -> str:
    """The results as Markdown."""
    out = []
    if scan_rows:
        out.append("### (a) Whole scan vs `orjson.loads` of the same file\n")
        out.append("| nodes | pods | file | orjson.loads (gc off) | orjson peak growth | load_snapshot + scan (load / scan) "
                   "| r2c peak growth | time ratio (vs gc off) | memory ratio | r2c ms per node |")
        out.append("|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
        for row in scan_rows:
            b, n, r = row["orjson"], row["orjson_nogc"], row["r2c"]
            out.append(
                f"| {row['nodes']:,} | {row['pods']:,} | {_mib(row['file_bytes'])} | {b['seconds']:.2f} s ({n['seconds']:.2f} s) "
                f"| {_mib(b['growth'])} | {r['seconds']:.2f} s ({r['load_seconds']:.2f} / {r['scan_seconds']:.2f}) "
                f"| {_mib(r['growth'])} | {r['seconds'] / b['seconds']:.2f}x ({r['seconds'] / n['seconds']:.2f}x) "
                f"| {r['growth'] / b['growth']:.2f}x | {1000 * r['seconds'] / row['nodes']:.2f} |"
            )
        if len(scan_rows) > 1:
            first, last = scan_rows[0], scan_rows[-1]
            per = [row["r2c"]["seconds"] / row["nodes"] for row in (first, last)]
            out.append(
                f"\nLinearity: time per node at {last['nodes']:,} nodes is {per[1] / per[0]:.2f}x "
                f"the time per node at {first['nodes']:,} (1.00x = linear)."
            )
        out.append("\nRatios are r2c / orjson: time < 1 means faster than merely parsing the file; "
                   "memory is peak RSS growth of each child process. \"gc off\" is the same orjson.loads "
                   "with Python's cyclic garbage collector disabled, the fastest way to get the dicts.\n")
    if live_rows:
        out.append("### (b) Live listing against a static pre-paginated API server (pages of 500)\n")
        out.append("| nodes | `connect()`: pods | time | pods/s | peak growth | bytes only: MiB | time "
                   "| connect / bytes only | decode only (orjson, GC off) | decode only / bytes only "
                   "| models: pods | time | pods/s | peak growth | speed-up (pods/s) |")
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for row in live_rows:
            c, b, m, d = row["connect"], row["bytes"], row["models"], row["decode"]
            crate, mrate = c["pods"] / c["seconds"], m["pods"] / m["seconds"]
            out.append(
                f"| {row['nodes']:,} | {c['pods']:,} | {c['seconds']:.2f} s | {crate:,.0f} | {_mib(c['growth'])} "
                f"| {b['bytes'] / MIB:,.0f} | {b['seconds']:.2f} s | {c['seconds'] / b['seconds']:.2f}x "
                f"| {d['seconds']:.2f} s ({d['orjson_seconds']:.2f} s) | {d['seconds'] / b['seconds']:.2f}x "
                f"| {m['pods']:,} | {m['seconds']:.2f} s | {mrate:,.0f} | {_mib(m['growth'])} | {crate / mrate:,.0f}x |"
            )
        out.append("\n`connect()` lists every kind r2c_clouds reads (nodes, pods, PVCs, PVs, events, ...); "
                   "the models column lists pods only, with `CoreV1Api().list_pod_for_all_namespaces(limit=500)`, "
                   "stopping at the cap, so compare pods per second. \"bytes only\" sends connect()'s GETs "
                   "(every kind, pages of 500, as many kinds at once) and drops each body: the floor of a live listing. "
                   "\"decode only\" decodes the same pages from memory with connect()'s decoder, one after another "
                   "(in brackets: `orjson.loads` of them into dicts, GC off): the floor of the decoding.\n")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description="r2c_clouds scale benchmark")
    parser.add_argument("--nodes", type=int, nargs="+", default=[1000], help="cluster sizes in nodes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (best kept)")
    parser.add_argument("--models-cap", type=int, default=20_000, help="pods listed through the client's models")
    parser.add_argument("--skip-scan", action="store_true")
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument("--profile", action="store_true", help="also profile the scan per stage and per rule")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "ARG", "CAP"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, arg, cap = args.child
        print(json.dumps(_child(mode, arg, int(cap))))
        return 0

    OUT.mkdir(parents=True, exist_ok=True)
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}, sizes {args.nodes}", flush=True)
    scan_rows = [] if args.skip_scan else bench_scan(args.nodes, args.seed, args.repeat)
    live_rows = [] if args.skip_live else bench_live(args.nodes, args.seed, args.models_cap, args.repeat)
    profile_rows = bench_profile(args.nodes, args.seed) if args.profile else []
    load_end = "/".join(f"{x:.1f}" for x in os.getloadavg())
    text = report(scan_rows, live_rows) + "\n" + report_profile(profile_rows) + (
        f"\nMachine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; load average "
        f"{load} at start, {load_end} at end (other work on the machine slows every column alike).\n"
    )
    print("\n" + text)
    (OUT / "results.json").write_text(
        json.dumps({"scan": scan_rows, "live": live_rows, "profile": profile_rows}, indent=2), encoding="utf-8"
    )
    (OUT / "results.md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
