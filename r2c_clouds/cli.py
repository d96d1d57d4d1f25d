"""The ``r2c`` command: parse, call the public API, render, map errors to exit codes.

```
r2c scan      [SOURCE] [--cloud C] [--format text|json|sarif|html] [--output FILE]
              [--fail-on SEVERITY] [--loop L,..] [--rule ID,..]
r2c explain   KIND/NAMESPACE/NAME [SOURCE]
r2c checklist [SOURCE]
r2c map       [--loop L] [--cloud C]
r2c snapshot  --output DIR [SOURCE]
r2c rules
SOURCE: --snapshot PATH | --demo NAME | --context NAME [--kubeconfig FILE]
```

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 bad usage or
bad input; 3 cluster or cloud unreachable / no credentials; 4 incomplete: kinds the rules need
could not be read (unless ``--allow-partial``; before 1); 130 interrupted. Errors are one
line on stderr (``r2c: error: ...``, then ``hint: ...`` when there is advice), never a
traceback; set ``R2C_DEBUG=1`` to see the traceback of an unexpected error (exit 70).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from r2c_clouds._text import printable
from r2c_clouds.errors import BadInputError, R2CError, SnapshotError, UnknownRuleError
from r2c_clouds.model.findings import Loop, ObjectRef, Severity

if TYPE_CHECKING:
    from r2c_clouds.model.cluster import ClusterState
    from r2c_clouds.report import Report

__all__ = ["EXIT_FINDINGS", "EXIT_INCOMPLETE", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "build_parser", "main"]

EXIT_OK = 0
EXIT_FINDINGS = 1
#: the kinds the rules need could not (all) be read: the verdict would be a false all-clear.
EXIT_INCOMPLETE = 4
EXIT_INTERRUPTED = 130
#: an unexpected error (a bug): EX_SOFTWARE from sysexits.h.
EXIT_INTERNAL = 70

PROG = "r2c"
SEVERITIES = tuple(s.label for s in Severity)
#: ``r2c scan -o FORMAT``.
SCAN_FORMATS = ("text", "json", "yaml", "sarif", "junit", "markdown", "html", "openmetrics")
LOOPS = tuple(loop.value for loop in Loop)

class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line on stderr and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message} (see `{self.prog} --help`)\n")


def _csv(choices: Sequence[str] | None, what: str) -> Callable[[str], tuple[str, ...]]:
    def parse(text: str) -> tuple[str, ...]:
        items = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
        if not items:
            raise argparse.ArgumentTypeError(f"expected one or more {what}s separated by commas")
        if choices is not None:
            bad = [i for i in items if i not in choices]
            if bad:
                raise argparse.ArgumentTypeError(
                    f"unknown {what} {', '.join(map(repr, bad))} (choose from {', '.join(choices)})"
                )
        return items

    parse.__name__ = what  # argparse names the type in its messages
    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _positive_int_of(what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number of {what}, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number of {what}, got {value}")
        return value

    return parse


# ---------------------------------------------------------------------- parser


def _namespace(text: str) -> tuple[str, ...]:
    from r2c_clouds.errors import ScopeError
    from r2c_clouds.model.scope import Scope

    try:
        return Scope(namespaces=[n.strip() for n in text.split(",")]).namespaces or ()
    except ScopeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _selector(text: str) -> str:
    from r2c_clouds.errors import ScopeError
    from r2c_clouds.model.scope import Selector

    try:
        return str(Selector.parse(text))
    except ScopeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _scope_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("scope (default: every namespace)")
    x = g.add_mutually_exclusive_group()
    x.add_argument(
        "-n", "--namespace", dest="namespaces", action="append", type=_namespace, metavar="NS",
        help="only this namespace (repeatable, or NS,NS): a live cluster is listed in these "
        "namespaces only, so a Role in each is enough",
    )
    x.add_argument(
        "-A", "--all-namespaces", dest="all_namespaces", action="store_true",
        help="every namespace (the default)",
    )
    g.add_argument(
        "-l", "--selector", type=_selector, metavar="SELECTOR",
        help="only workloads whose labels (or Pod template labels) match, e.g. app=web,tier!=db",
    )


def _source_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("source (default: the current kubeconfig context)")
    x = g.add_mutually_exclusive_group()
    x.add_argument("--snapshot", metavar="PATH", help="kubectl -o json/yaml files, a directory, or a cluster-info dump")
    x.add_argument("--demo", metavar="NAME", help="a bundled demo cluster (domino, aks, gke, healthy)")
    x.add_argument("--context", metavar="NAME", help="kubeconfig context of a live cluster")
    g.add_argument(
        "-f", "--filename", dest="filenames", action="append", metavar="PATH",
        help="manifests about to be applied, as kubectl's -f: a file, a directory (recursively) or - for "
        "stdin (helm template ... | r2c scan -f -); repeat it for several. Alone: the whole intended "
        "state (a kind absent from it is absent). With --context/--snapshot/--demo: laid over that "
        "cluster (what changes if these apply?)",
    )
    g.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    g.add_argument(
        "--timeout", type=_seconds, default=300.0, metavar="S",
        help="deadline for reading the whole live cluster, seconds (default: 300; 0: none)",
    )
    g.add_argument(
        "--request-timeout", dest="request_timeout", type=_seconds, default=60.0, metavar="S",
        help="deadline for one API request, connect to last byte, seconds (default: 60)",
    )
    g.add_argument(
        "--skip-secrets", dest="skip_secrets", action="store_true",
        help="do not list Secrets (metadata only otherwise) on a live cluster: for a reader "
        "granted no `list secrets`, such as deploy/'s ClusterRole",
    )
    _scope_options(p)


def _cloud_options(p: argparse.ArgumentParser, *, default: str = "auto") -> None:
    from r2c_clouds.providers import cli_options, provider_names

    clouds = ("auto", *provider_names(), "none")
    g = p.add_argument_group("cloud")
    g.add_argument(
        "--cloud",
        default=default,
        metavar="|".join(clouds),
        help=f"where cloud facts come from (default: {default}: recorded facts beside a snapshot, "
        "else the cloud named by the nodes' providerID)",
    )
    # each plugin declares its own options (the core names no cloud); a flag several take is added once
    for opt, owners in cli_options():
        text = opt.help if len(owners) > 1 else f"{opt.help} [{owners[0]}]"
        if opt.env:
            text += f"; also ${opt.env}"
        g.add_argument(opt.flag, dest=opt.dest, metavar=opt.metavar, help=text)
    g.add_argument(
        "--window-minutes",
        dest="window_minutes",
        type=_positive_int_of("minutes"),
        default=60,
        metavar="N",
        help="metrics window for saturation checks (default: 60)",
    )


def _format(formats: Sequence[str]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text in formats:
            return text
        hint = " (to write a file, use --output-file FILE)" if ("." in text or "/" in text) else ""
        raise argparse.ArgumentTypeError(f"{text!r} is not an output format: one of {', '.join(formats)}{hint}")

    parse.__name__ = "format"
    return parse


def _output_options(p: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    g = p.add_argument_group("output")
    g.add_argument(
        "-o", "--output", "--format", dest="format", type=_format(formats), default="text", metavar="FORMAT",
        help=f"output format, as kubectl's -o: {', '.join(formats)} (default: text)",
    )
    g.add_argument("--output-file", dest="output_file", metavar="FILE", help="write to FILE instead of stdout")
    g.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="colour text output (default: auto)"
    )
    g.add_argument("--quiet", "-q", action="store_true", help="no progress messages on stderr")


def build_parser() -> argparse.ArgumentParser:
    """The ``r2c`` argument parser (exposed for documentation tools and tests)."""
    from r2c_clouds._version import __version__

    parser = _Parser(
        prog=PROG,
        description="Day-2 diagnosis of Kubernetes clusters across the identity, compute, network "
        "and storage loops, joined with AWS, Azure and GCP facts.",
        epilog="exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; "
        "2 bad usage or input; 3 cluster or cloud unreachable / no credentials; "
        "4 incomplete: kinds the rules need could not be read (see --allow-partial)",
    )
    parser.add_argument("--version", action="version", version=f"r2c_clouds {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    scan = sub.add_parser("scan", help="diagnose a cluster", description="Diagnose a cluster.")
    _source_options(scan)
    _cloud_options(scan)
    _output_options(scan, SCAN_FORMATS)
    g = scan.add_argument_group("selection")
    g.add_argument(
        "--fail-on",
        dest="fail_on",
        choices=SEVERITIES,
        default="high",
        help="exit 1 when a finding is at or above this severity (default: high)",
    )
    g.add_argument("--loop", type=_csv(LOOPS, "loop"), metavar="L,..", help=f"only these loops ({', '.join(LOOPS)})")
    g.add_argument("--rule", type=_csv(None, "rule id"), metavar="ID,..", help="only these rules (see `r2c rules`)")
    g.add_argument(
        "--config", metavar="FILE",
        help="settings for scan (default: ./r2c.yaml when present); command-line flags win",
    )
    g.add_argument(
        "--exceptions", metavar="FILE",
        help="accepted findings (rules, match, reason, expires): they leave the verdict but stay shown",
    )
    g.add_argument(
        "--baseline", metavar="OLD.json",
        help="an earlier JSON report: only findings not in it decide the exit code",
    )
    g.add_argument(
        "--allow-partial",
        dest="allow_partial",
        action="store_true",
        help="judge by the findings even when kinds the rules need could not be read (default: exit 4)",
    )
    g.add_argument(
        "--store", nargs="?", const="", default=None, metavar="URL",
        help="append the scan to a store of results and history: sqlite:///PATH, a file path or "
        "postgresql://USER@HOST/DB (bare --store: ~/.local/share/r2c/history.db)",
    )

    explain = sub.add_parser(
        "explain", help="cause chain and timeline of one object", description="Cause chain and timeline of one object."
    )
    explain.add_argument("ref", metavar="KIND/NAMESPACE/NAME", help="e.g. Pod/shop/orders-db-0 or StorageClass/gp2")
    _source_options(explain)
    _cloud_options(explain)
    _output_options(explain, ("text", "json", "html", "svg"))

    checklist = sub.add_parser(
        "checklist", help="the Cluster Readiness Checklist", description="The Cluster Readiness Checklist."
    )
    _source_options(checklist)
    _cloud_options(checklist)
    _output_options(checklist, ("text", "json"))

    from r2c_clouds import mapping

    mp = sub.add_parser("map", help="the primitive-mapping table", description="The primitive-mapping table.")
    mp.add_argument("--loop", choices=mapping.LOOPS, help="only this loop")
    mp.add_argument("--cloud", choices=mapping.CLOUDS, help="only this cloud")
    _output_options(mp, ("text", "json"))

    snap = sub.add_parser(
        "snapshot",
        help="capture Kubernetes objects + cloud facts for offline use",
        description="Capture Kubernetes objects (and cloud facts, when a cloud provider answers) "
        "into a directory that --snapshot reads back.",
    )
    snap.add_argument("--output-file", "--output", "-o", dest="output_file", required=True, metavar="DIR",
                      help="the directory to write (--output and -o are accepted too)")
    _source_options(snap)
    _cloud_options(snap)
    snap.add_argument("--quiet", "-q", action="store_true", help="no progress messages on stderr")

    diff = sub.add_parser(
        "diff", help="new, resolved and unchanged findings between two JSON reports",
        description="New, resolved and unchanged findings between two JSON reports (by stable finding id).",
    )
    diff.add_argument("old", metavar="OLD.json")
    diff.add_argument("new", metavar="NEW.json")
    diff.add_argument("--fail-on", dest="fail_on", choices=SEVERITIES, default="high",
                      help="exit 1 when a NEW finding is at or above this severity (default: high)")
    _output_options(diff, ("text", "json"))

    history = sub.add_parser(
        "history", help="a cluster's scans over time, from the store",
        description="A cluster's scans over time, oldest first, from the store `r2c scan --store` writes to.",
    )
    history.add_argument("cluster", metavar="CLUSTER", nargs="?",
                         help="the cluster's name (as in the report) or id; without it, every cluster's newest scan")
    history.add_argument("--store", default="", metavar="URL",
                         help="sqlite:///PATH, a file path or postgresql://USER@HOST/DB "
                         "(default: ~/.local/share/r2c/history.db)")
    history.add_argument("--limit", type=int, default=None, metavar="N", help="only the newest N scans")
    _output_options(history, ("text", "json"))

    fleet = sub.add_parser(
        "fleet", help="many clusters: scan them into one store, report on them",
        description="Many clusters: scan them at once into one store (fleet scan), and the fleet at a glance "
        "(fleet report).",
    )
    fsub = fleet.add_subparsers(dest="fleet_command", metavar="COMMAND", required=True)
    fscan = fsub.add_parser(
        "scan", help="scan several clusters at once into the store",
        description="Scan several clusters at once, each in its own worker process with its own cloud "
        "auto-detection, and append every result to the store. A cluster that cannot be scanned is recorded "
        "with its reason; the others go on. Exit 0: all scanned; 1: findings at or above --fail-on; "
        "4: a cluster failed or was read incompletely.",
    )
    g = fscan.add_argument_group("clusters (default: each kubeconfig's current context)")
    g.add_argument("--context", dest="contexts", action="append", type=_csv(None, "context"), metavar="NAME",
                   help="a kubeconfig context to scan; repeat it (or NAME,NAME) for several")
    g.add_argument("--all-contexts", dest="all_contexts", action="store_true", help="every context of the kubeconfig(s)")
    g.add_argument("--kubeconfig", dest="kubeconfigs", action="append", metavar="FILE",
                   help="a kubeconfig file; repeat it for several (default: $KUBECONFIG or ~/.kube/config)")
    g = fscan.add_argument_group("scanning")
    g.add_argument("--jobs", "-j", type=_positive_int_of("clusters at once"), default=None, metavar="N",
                   help="clusters scanned at once, each in its own process (default: the CPUs, at most 8)")
    g.add_argument("--cloud", default="auto", metavar="auto|none",
                   help="auto (default: each cluster detects its cloud from its nodes) or none")
    g.add_argument("--timeout", type=_seconds, default=300.0, metavar="S",
                   help="each cluster's deadline for reading it, and for its cloud phase (default: 300; 0: none)")
    g.add_argument("--fail-on", dest="fail_on", choices=SEVERITIES, default="high",
                   help="exit 1 when a cluster has a finding at or above this severity (default: high)")
    g.add_argument("--store", default="", metavar="URL",
                   help="where the results go: sqlite:///PATH, a file path or postgresql://USER@HOST/DB "
                   "(default: ~/.local/share/r2c/history.db)")
    _output_options(fscan, ("text", "json"))
    freport = fsub.add_parser(
        "report", help="the fleet at a glance, from the store",
        description="The fleet at a glance: clusters by loop and severity, the rules failing most across "
        "clusters, what is new and what was resolved since each cluster's scan before, the clusters not "
        "scanned recently.",
    )
    freport.add_argument("--store", default="", metavar="URL",
                         help="sqlite:///PATH, a file path or postgresql://USER@HOST/DB "
                         "(default: ~/.local/share/r2c/history.db)")
    freport.add_argument("--stale-after", dest="stale_after", type=_seconds, default=26 * 3600.0, metavar="S",
                         help="a cluster whose newest scan is older than this many seconds is not scanned "
                         "recently (default: 93600, 26 hours)")
    freport.add_argument("--since", type=_seconds, default=None, metavar="S",
                         help="new and resolved against each cluster's newest scan at least S seconds old "
                         "(86400: since yesterday); default: against the scan just before")
    _output_options(freport, ("text", "json", "html"))

    rules = sub.add_parser("rules", help="the rule catalogue", description="The rule catalogue.")
    rules.add_argument("--loop", type=_csv(LOOPS, "loop"), metavar="L,..", help="only these loops")
    _output_options(rules, ("text", "json"))
    return parser


# ---------------------------------------------------------------------- plumbing


class _Progress:
    """Progress on stderr: a rich spinner on a terminal, plain lines otherwise, or nothing."""

    def __init__(self, enabled: bool, stream: IO[str]) -> None:
        self.enabled = enabled
        self.stream = stream
        self.tty = enabled and stream.isatty()
        self._status: Any = None

    @contextlib.contextmanager
    def running(self, first: str) -> Iterator[_Progress]:
        if self.tty:
            from rich.console import Console

            console = Console(file=self.stream, stderr=True)
            with console.status(first) as status:
                self._status = status
                try:
                    yield self
                finally:
                    self._status = None
        else:
            self(first)
            yield self

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        if self._status is not None:
            self._status.update(message)
        elif not self.tty:
            self.stream.write(f"{message}\n")
            self.stream.flush()


def _is_live(args: argparse.Namespace) -> bool:
    if getattr(args, "snapshot", None) or getattr(args, "demo", None):
        return False
    return not getattr(args, "filenames", None) or bool(getattr(args, "context", None))


def _load_cluster(args: argparse.Namespace, progress: _Progress) -> ClusterState:
    import r2c_clouds as r2c

    namespaces = [ns for group in args.namespaces for ns in group] if args.namespaces else None
    if getattr(args, "filenames", None):
        from r2c_clouds.kube.snapshot import load_manifests

        manifests = load_manifests(args.filenames)  # bad manifests: exit 2 before reading any cluster
        if args.snapshot or args.demo or args.context:
            base = _load_cluster(argparse.Namespace(**{**vars(args), "filenames": None}), progress)
            return base.overlaid(manifests)
        return manifests.scoped(namespaces, args.selector) if (namespaces or args.selector) else manifests
    if args.snapshot or args.demo:
        if args.snapshot and not Path(args.snapshot).exists():
            raise SnapshotError(args.snapshot, "no such file or directory")
        cluster = r2c.load_snapshot(args.snapshot) if args.snapshot else r2c.demo(args.demo)
        if namespaces is None and args.selector is None:
            return cluster
        return cluster.scoped(namespaces, args.selector)
    if args.kubeconfig and not Path(args.kubeconfig).exists():
        raise BadInputError(f"kubeconfig {args.kubeconfig}: file not found")
    where = f"context {args.context}" if args.context else "the current context"
    progress(f"connecting to {where}")
    cluster = r2c.connect(
        context=args.context, kubeconfig=args.kubeconfig, progress=progress,
        timeout=args.timeout or None, request_timeout=args.request_timeout,
        namespaces=namespaces, selector=args.selector, secrets=not args.skip_secrets,
    )
    name = getattr(args, "cluster_name", None)
    if name and cluster.name is None:  # in a pod there is no kubeconfig to name the cluster
        import attrs

        cluster = attrs.evolve(cluster, name=name)
    return cluster


def _provider_options(args: argparse.Namespace) -> dict[str, Any]:
    """The plugin options given on the command line (the provider checks they are its own)."""
    from r2c_clouds.providers import cli_options

    dests = {opt.dest for opt, _ in cli_options()}
    return {name: getattr(args, name) for name in dests if getattr(args, name, None) is not None}


def _scan(args: argparse.Namespace, progress: _Progress, **selection: Any) -> Report:
    import r2c_clouds as r2c

    cluster = _load_cluster(args, progress)
    return r2c.scan(
        cluster,
        cloud=args.cloud,
        window_minutes=args.window_minutes,
        progress=progress,
        cloud_timeout=getattr(args, "timeout", 300.0) or None,
        **selection,
        **_provider_options(args),
    )


def _use_color(args: argparse.Namespace, stream: IO[str]) -> bool:
    if args.color == "always":
        return True
    if args.color == "never" or getattr(args, "output_file", None):
        return False
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _width(stream: IO[str]) -> int:
    """The terminal's width; piped, ``$COLUMNS`` when set (as ls and kubectl do), else 100."""
    if stream.isatty():
        return max(60, shutil.get_terminal_size((100, 24)).columns)
    columns = os.environ.get("COLUMNS", "")
    return max(40, int(columns)) if columns.isdigit() else 100


def _emit(args: argparse.Namespace, text: str, stdout: IO[str]) -> None:
    target = getattr(args, "output_file", None)
    if target:
        try:
            Path(target).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    else:
        try:
            stdout.write(text)
            stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:  # a full disk behind a redirect, a closed terminal
            raise BadInputError(f"cannot write to standard output: {exc.strerror or exc}") from None


def _dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _check_rules(rule_ids: Sequence[str] | None) -> None:
    if not rule_ids:
        return
    from r2c_clouds.rules import REGISTRY

    unknown = [r for r in rule_ids if r not in REGISTRY]
    if unknown:
        raise UnknownRuleError(
            f"unknown rule id(s): {', '.join(unknown)}", remediation="`r2c rules` lists every rule id"
        )


# ---------------------------------------------------------------------- commands


def _cmd_scan(args: argparse.Namespace, progress: _Progress, stdout: IO[str]) -> int:
    _check_rules(args.rule)
    from r2c_clouds.exceptions import load_exceptions

    entries = load_exceptions(args.exceptions) if args.exceptions else []  # bad input before any scanning
    known: dict[str, Any] | None = None
    store = _open_store(args.store) if args.store is not None else None  # a bad URL: before any scanning
    if args.baseline:  # read first: a bad baseline is bad input before any scanning
        from r2c_clouds.report.baseline import load_findings

        known = load_findings(args.baseline)
    with progress.running("reading the cluster"):
        report = _scan(
            args,
            progress,
            rules=list(args.rule) if args.rule else None,
            loops=list(args.loop) if args.loop else None,
            exceptions=entries,
        )
    if store is not None:
        with store:
            store.record(report)
        if not args.quiet:
            with contextlib.suppress(OSError):
                sys.stderr.write(f"{PROG}: scan {report.scan_id} recorded in {store.url}\n")
    if args.format == "text":
        text = report.to_text(color=_use_color(args, stdout), width=_width(stdout))
    else:
        text = report.render(args.format, fail_on=args.fail_on)
    _emit(args, text, stdout)
    for e in report.expired_exceptions:
        with contextlib.suppress(OSError):
            sys.stderr.write(f"{PROG}: warning: exception {e.source} expired on {e.expires}: its findings count again\n")
    for nc in report.not_checked:
        if nc.what == "cloud facts" and "not reachable" in nc.reason:
            with contextlib.suppress(OSError):
                sys.stderr.write(f"{PROG}: warning: cloud facts not checked: {printable(nc.reason)}\n")
    if report.incomplete and not args.allow_partial:
        kinds = ", ".join(dict.fromkeys(nc.what for nc in report.incomplete))
        with contextlib.suppress(OSError):
            sys.stderr.write(
                f"{PROG}: incomplete scan: could not read {kinds} (see the report); "
                "exit 4 (pass --allow-partial to accept a partial scan)\n"
            )
        return EXIT_INCOMPLETE
    failing = report.at_or_above(args.fail_on)
    if known is not None:
        new = [f for f in failing if f.id not in known]
        with contextlib.suppress(OSError):
            sys.stderr.write(
                f"{PROG}: baseline {args.baseline}: {len(new)} new finding(s) at or above {args.fail_on}, "
                f"{len(failing) - len(new)} known\n"
            )
        failing = tuple(new)
    return EXIT_FINDINGS if failing else EXIT_OK


def _open_store(url: str) -> Any:
    from r2c_clouds.store import open_store

    return open_store(url or None)


def _cmd_history(args: argparse.Namespace, progress: _Progress, stdout: IO[str]) -> int:
    from r2c_clouds.report.history import history_dict, history_text

    if args.limit is not None and args.limit < 1:
        raise BadInputError(f"--limit {args.limit}: must be 1 or more")
    with _open_store(args.store) as store:
        if args.cluster is None:
            rows = store.latest()
        else:
            rows = store.history(args.cluster)  # StoreError (exit 2): no such cluster
            if args.limit is not None:
                rows = rows[-args.limit:]
        url = store.url
    if args.format == "json":
        text = _dumps(history_dict(rows, store=url, cluster=args.cluster))
    else:
        text = history_text(rows, cluster=args.cluster, width=_width(stdout))
    _emit(args, text, stdout)
    return EXIT_OK


def _cmd_fleet(args: argparse.Namespace, progress: _Progress, stdout: IO[str]) -> int:
    if args.fleet_command == "report":
        return _cmd_fleet_report(args, stdout)
    return _cmd_fleet_scan(args, stdout)


def _cmd_fleet_scan(args: argparse.Namespace, stdout: IO[str]) -> int:
    from r2c_clouds._fleet import fleet_targets, scan_fleet
    from r2c_clouds.report.fleet_progress import FleetDisplay
    from r2c_clouds.store.records import SEVERITIES as NAMES

    if args.cloud not in ("auto", "none"):
        raise BadInputError(f"--cloud {args.cloud}: a fleet takes auto or none (each cluster detects its own cloud)")
    contexts = [c for group in args.contexts for c in group] if args.contexts else []
    targets = fleet_targets(contexts, all_contexts=args.all_contexts, kubeconfigs=args.kubeconfigs or ())
    with _open_store(args.store) as store:  # a bad URL: before any scanning
        display = FleetDisplay([t.context for t in targets], sys.stderr, enabled=not args.quiet)
        with display:
            results = scan_fleet(targets, cloud=args.cloud, jobs=args.jobs, timeout=args.timeout or None,
                                 store=store, progress=display.update)
        url = store.url
    threshold = NAMES.index(args.fail_on)
    rows = [
        {"context": r.target.context, "cluster": r.record.cluster.name, "scan_id": r.record.scan_id,
         "status": r.record.status, "error": r.record.error,
         "findings": len(r.record.findings), "by_severity": {n: r.record.counts.get(n, 0) for n in NAMES}}
        for r in results
    ]
    if args.format == "json":
        text = _dumps({"store": url, "clusters": rows})
    else:
        from r2c_clouds.report.fleet_progress import results_text

        text = results_text(rows, store=url, width=_width(stdout))
    _emit(args, text, stdout)
    if any(r.record.status != "complete" for r in results):
        return EXIT_INCOMPLETE
    failing = any(r.record.counts.get(n, 0) for r in results for n in NAMES[: threshold + 1])
    return EXIT_FINDINGS if failing else EXIT_OK


def _cmd_fleet_report(args: argparse.Namespace, stdout: IO[str]) -> int:
    from r2c_clouds.report.fleet import fleet_dict, fleet_html, fleet_text
    from r2c_clouds.store.summary import fleet_summary

    with _open_store(args.store) as store:
        summary = fleet_summary(store, stale_after_hours=args.stale_after / 3600,
                                since_hours=None if args.since is None else args.since / 3600)
    if args.format == "json":
        text = _dumps(fleet_dict(summary))
    elif args.format == "html":
        text = fleet_html(summary)
    else:
        text = fleet_text(summary, color=_use_color(args, stdout), width=_width(stdout))
    _emit(args, text, stdout)
    return EXIT_OK


def _cmd_diff(args: argparse.Namespace, progress: _Progress, stdout: IO[str]) -> int:
    from r2c_clouds.report.baseline import diff_reports, load_findings

    result = diff_reports(load_findings(args.old), load_findings(args.new))
    text = _dumps(result.to_dict()) if args.format == "json" else result.to_text()
    _emit(args, text, stdout)
    return EXIT_FINDINGS if result.at_or_above(args.fail_on) else EXIT_OK


def _cmd_explain(args: argparse.Namespace, progress: _Progress, stdout: IO[str]) -> int:
    try:
        ref = ObjectRef.parse(args.ref)
    except ValueError as exc:
        raise BadInputError(str(exc)) from None
    with progress.running("reading the cluster"):
        report = _scan(args, progress)
    explanation = report.explain(ref)  # ObjectNotFoundError: exit 2
    if args.format == "json":
        text = _dumps(explanation.to_dict())
    elif args.format == "html":
        text = explanation.to_html()
    elif args.format == "svg":
        text = explanation.to_svg() + "\n"
    else:
        text = explanation.to_text(color=_use_color(args, stdout), width=_width(stdout))
        if not text.endswith("\n"):
            text += "\n"
    _emit(args, text, stdout)
    return EXIT_OK


def _cmd_checklist(args: argparse.Namespace, progress: _Progress, stdout: IO[str]) -> int:
    from r2c_clouds.report.json import checklist_dicts
    from r2c_clouds.report.text import render_checklist_text

    with progress.running("reading the cluster"):
        report = _scan(args, progress)
    if args.format == "json":
        text = _dumps(checklist_dicts(report.checklist))
    else:
        text = render_checklist_text(report.checklist, color=_use_color(args, stdout), width=_width(stdout))
    _emit(args, text, stdout)
    return EXIT_OK


def _cmd_map(args: argparse.Namespace, progress: _Progress, stdout: IO[str]) -> int:
    from r2c_clouds import mapping
    from r2c_clouds.report.text import render_mapping_text

    entries = mapping.lookup(loop=args.loop, cloud=args.cloud)
    if args.format == "json":
        text = _dumps([e.to_dict() for e in entries])
    else:
        text = render_mapping_text(entries, color=_use_color(args, stdout), width=_width(stdout))
    _emit(args, text, stdout)
    return EXIT_OK


def _cmd_rules(args: argparse.Namespace, progress: _Progress, stdout: IO[str]) -> int:
    from r2c_clouds.report.text import render_rules_text
    from r2c_clouds.rules import iter_specs

    specs = [s for s in iter_specs() if not args.loop or s.loop.value in args.loop]
    if args.format == "json":
        text = _dumps(
            [
                {
                    "id": s.id,
                    "loop": s.loop.value,
                    "severity": s.severity.label,
                    "title": s.title,
                    "rationale": s.rationale,
                    "remediation": s.remediation,
                    "docs": s.docs,
                    "needs": list(s.needs),
                    "needs_cloud": list(s.needs_cloud),
                    "symptom": s.symptom,
                }
                for s in specs
            ]
        )
    else:
        text = render_rules_text(specs, color=_use_color(args, stdout), width=_width(stdout))
    _emit(args, text, stdout)
    return EXIT_OK


def _cmd_snapshot(args: argparse.Namespace, progress: _Progress, stdout: IO[str]) -> int:
    from r2c_clouds.kube.dump import write_snapshot
    from r2c_clouds.providers import gather_facts, make_provider

    out = Path(args.output_file)
    if out.exists() and not out.is_dir():
        raise BadInputError(f"{out}: exists and is not a directory")
    if (args.snapshot or args.demo) and (args.namespaces or args.selector):
        raise BadInputError(
            "-n/-l narrow what a live cluster is read from; a snapshot of --snapshot/--demo copies it whole "
            "(scan it with -n/-l instead)"
        )
    with progress.running("reading the cluster"):
        cluster = _load_cluster(args, progress)
        provider, why_none = make_provider(args.cloud, cluster, **_provider_options(args))
        facts = None
        if provider is not None:
            progress(f"asking {provider.name} for cloud facts")
            facts = gather_facts(provider, cluster, window_minutes=args.window_minutes, timeout=args.timeout or None)
        progress(f"writing {out}")
        try:
            write_snapshot(cluster, out, facts=facts)
        except OSError as exc:
            raise BadInputError(f"cannot write snapshot {out}: {exc.strerror or exc}") from exc
    if not args.quiet:
        total = sum(cluster.object_counts().values())
        extra = " and cloud-facts.json" if facts is not None else f" (no cloud facts: {why_none})"
        sys.stderr.write(f"r2c: wrote {total} objects to {out}{extra}\n")
    return EXIT_OK


_COMMANDS: dict[str, Callable[[argparse.Namespace, _Progress, IO[str]], int]] = {
    "scan": _cmd_scan,
    "explain": _cmd_explain,
    "checklist": _cmd_checklist,
    "map": _cmd_map,
    "snapshot": _cmd_snapshot,
    "rules": _cmd_rules,
    "diff": _cmd_diff,
    "history": _cmd_history,
    "fleet": _cmd_fleet,
}


def _fail(message: str, remediation: str | None = None) -> None:
    with contextlib.suppress(OSError):  # stderr gone too: nothing left to tell
        sys.stderr.write(f"{PROG}: error: {printable(' '.join(message.split()))}\n")
        if remediation:
            sys.stderr.write(f"hint: {printable(' '.join(remediation.split()))}\n")
        sys.stderr.flush()


def _apply_config(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """Settings from ``r2c.yaml`` (or ``--config FILE``) become ``r2c scan``'s defaults, so
    the flags given on the command line win."""
    if not argv or argv[0] != "scan":
        return
    from r2c_clouds.config import find_config, load_config

    explicit = None
    for i, word in enumerate(argv):
        if word == "--config" and i + 1 < len(argv):
            explicit = argv[i + 1]
        elif word.startswith("--config="):
            explicit = word.split("=", 1)[1]
    path = find_config(explicit)
    if path is None:
        return
    scan = _subparser(parser, "scan")
    # scope (-n/-A/-l) is a question asked per run, not a setting of the pipeline
    excluded = ("help", "config", "namespaces", "all_namespaces", "selector")
    allowed = {a.dest: a for a in scan._actions if a.dest not in excluded and a.option_strings}
    scan.set_defaults(**load_config(path, allowed))


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices[name]
            return found
    raise KeyError(name)  # pragma: no cover - the parser always has its commands


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``r2c`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code.

    .. versionadded:: 0.1
    """
    parser = build_parser()
    try:
        _apply_config(parser, list(sys.argv[1:] if argv is None else argv))
    except R2CError as exc:
        _fail(exc.message, exc.remediation)
        return exc.exit_code
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    stdout = sys.stdout
    quiet = getattr(args, "quiet", False)
    has_source = args.command in ("scan", "explain", "checklist", "snapshot")
    progress = _Progress(enabled=not quiet and has_source and _is_live(args), stream=sys.stderr)
    try:
        return _COMMANDS[args.command](args, progress, stdout)
    except R2CError as exc:
        _fail(exc.message, exc.remediation)
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`r2c scan | head`): not an error of ours.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        if os.environ.get("R2C_DEBUG"):
            traceback.print_exc()
        _fail(
            f"internal error: {type(exc).__name__}: {exc}",
            "this is a bug; rerun with R2C_DEBUG=1 for the traceback and report it",
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
