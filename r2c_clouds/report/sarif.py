"""SARIF 2.1.0 output, for code-scanning dashboards and CI annotations.

Each finding becomes a ``result`` whose location is a *logical* location: the Kubernetes
object (``Pod/shop/api-7d9``). When the scan read files (``snapshot:<path>``, a manifest or
a directory of them), the result also carries a *physical* location: the file and the line
where the object starts, found by re-reading the files when the SARIF is rendered (see
:func:`locate_objects`; the loader records no positions). The stable finding id goes into
``partialFingerprints`` so dashboards track a finding across scans.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

import yaml

from r2c_clouds._version import __version__
from r2c_clouds.kube.facts_file import FACTS_FILE
from r2c_clouds.kube.snapshot import INFO_FILE, OBJECT_SUFFIXES
from r2c_clouds.model.findings import Finding, ObjectRef, Severity

if TYPE_CHECKING:
    from r2c_clouds.report._report import Report

__all__ = ["SARIF_SCHEMA", "Position", "level", "locate_objects", "render_sarif", "sarif_dict"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: The tool's home: its PyPI project page (the project has no other public URL).
INFORMATION_URI = "https://pypi.org/project/r2c-clouds/"
#: The base of relative artifact URIs: the directory ``r2c scan`` ran in.
SRCROOT = "%SRCROOT%"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def level(severity: Severity) -> str:
    """The SARIF level of a severity: critical/high → error, medium → warning, else note."""
    return _LEVEL[severity]


def _rule_name(rule_id: str) -> str:
    """``storage.zone-conflict`` → ``StorageZoneConflict`` (SARIF names are identifiers)."""
    return "".join(part.capitalize() for part in rule_id.replace(".", "-").split("-"))


def _rules(findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
    from r2c_clouds.rules import REGISTRY

    out: dict[str, dict[str, Any]] = {}
    for rid, (spec, _) in sorted(REGISTRY.items()):
        out[rid] = {
            "id": rid,
            "name": _rule_name(rid),
            "shortDescription": {"text": spec.title},
            "fullDescription": {"text": f"{spec.rationale} {spec.remediation}".strip() or spec.title},
            "helpUri": _http_uri(spec.docs),
            "help": {"text": spec.remediation or spec.title},
            "defaultConfiguration": {"level": level(spec.severity)},
            "properties": {"loop": spec.loop.value, "severity": spec.severity.label, "symptom": spec.symptom},
        }
    for f in findings:  # findings of rules registered elsewhere (plugins, tests)
        if f.rule not in out:
            out[f.rule] = {
                "id": f.rule,
                "name": _rule_name(f.rule),
                "shortDescription": {"text": f.rule},
                "fullDescription": {"text": f.remediation or f.rule},
                "helpUri": _http_uri(f.docs),
                "defaultConfiguration": {"level": level(f.severity)},
                "properties": {"loop": f.loop.value},
            }
    rules = [out[k] for k in sorted(out)]
    for r in rules:
        if not r["helpUri"]:
            del r["helpUri"]
    return rules


def _http_uri(text: str) -> str:
    """``text`` if it is an absolute http(s) URL (what ``helpUri`` must be), else ``""``."""
    return text if re.match(r"https?://[^\s/]+", text) and not re.search(r"\s", text) else ""


def _result(f: Finding, index: dict[str, int], where: Callable[[ObjectRef], Position | None]) -> dict[str, Any]:
    text = f.message if not f.remediation else f"{f.message} Fix: {f.remediation}"
    location: dict[str, Any] = {}
    pos = where(f.subject)
    if pos is not None:
        location["physicalLocation"] = {
            "artifactLocation": _artifact_location(pos.path),
            "region": {"startLine": pos.line},
        }
    location["logicalLocations"] = [
        {"fullyQualifiedName": str(f.subject), "name": f.subject.name, "kind": "resource"}
    ]
    return {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": level(f.severity),
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"r2cFindingId/v1": f.id},
        "properties": {
            "loop": f.loop.value,
            "severity": f.severity.label,
            "subjectKind": f.subject.kind,
            "causedBy": list(f.caused_by),
            "evidence": [
                {"source": e.source, "ref": e.ref, "detail": e.detail, "time": e.time} for e in f.evidence
            ],
        },
    }


def sarif_dict(report: Report) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (plain data).

    .. versionadded:: 0.1
    """
    findings = tuple(sorted(report.findings, key=lambda f: f.sort_key))
    suppressed = sorted(report.suppressed, key=lambda s: s.finding.sort_key)
    rules = _rules((*findings, *(s.finding for s in suppressed)))
    index = {r["id"]: i for i, r in enumerate(rules)}
    cluster = report.cluster
    where = _manifest_locator(cluster.manifest_texts) if cluster.manifest_texts else _locator(cluster.source)
    results = [_result(f, index, where) for f in findings]
    for sup in suppressed:  # accepted findings stay in the log, marked as suppressed
        result = _result(sup.finding, index, where)
        kind = "inSource" if sup.source.startswith("annotation") else "external"
        result["suppressions"] = [{"kind": kind, "status": "accepted", "justification": f"{sup.reason} ({sup.source})"}]
        results.append(result)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "r2c_clouds",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"r2c_clouds/{report.cluster.name or 'cluster'}/"},
    }
    if any(_relative(loc) for r in results for loc in r["locations"]):
        run["originalUriBaseIds"] = {SRCROOT: {"uri": Path.cwd().as_uri().rstrip("/") + "/"}}
    run["results"] = results
    run["properties"] = {"cluster": report.cluster.name, "source": report.cluster.source}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [run],
    }


def render_sarif(report: Report) -> str:
    """SARIF 2.1.0 as JSON text.

    Args:
        report: the result of :func:`r2c_clouds.scan`.

    .. versionadded:: 0.1
    """
    return json.dumps(sarif_dict(report), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- physical locations


class Position(NamedTuple):
    """Where an object starts: its file and 1-based line."""

    path: Path
    line: int


#: Files larger than this are not re-read for positions (their results keep only the
#: logical location): composing a YAML node tree costs far more than the loader's decode.
MAX_LOCATE_BYTES = 256 * 2**20
#: Files of a snapshot that hold no Kubernetes objects.
_NOT_OBJECTS = frozenset({FACTS_FILE, INFO_FILE})
_Key = tuple[str, "str | None", str]
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: A JSON string token, or one of the structural characters the walk needs.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]', re.S)


def locate_objects(source: str) -> dict[_Key, Position]:
    """Where each object of a file snapshot starts, by ``(kind, namespace, name)``.

    Re-reads the ``.json``/``.yaml``/``.yml`` files of ``source`` (a report's
    ``cluster.source``, ``snapshot:<path>``; any other source yields ``{}``) in the loader's
    order, so that of two objects with the same key the first one wins, as in the loader.
    An object is a YAML document or a JSON top-level object, an element of a top-level
    array, or an item of a ``List``; its line is that of its first key (YAML: the
    ``apiVersion:``/``kind:`` line, the ``-`` of a list item) or its opening brace (JSON).
    Items that carry no kind take it from their ``KindList`` or from the file or directory
    name (``pods.json``, ``cluster-resources/pods/shop.json``). ``namespace`` is ``None``
    for objects whose manifest names none. Archives and unreadable or malformed files are
    skipped: a missing position only leaves the logical location.
    """
    if not source.startswith("snapshot:"):
        return {}
    root = Path(source[len("snapshot:"):])
    out: dict[_Key, Position] = {}
    for path in _object_files(root):
        try:
            if path.stat().st_size > MAX_LOCATE_BYTES:
                continue
            text = path.read_bytes().decode("utf-8-sig", errors="replace")
        except OSError:
            continue
        hints = (path.name.rsplit(".", 1)[0], path.parent.name)
        found = _json_positions(text) if path.suffix.lower() == ".json" else None
        if found is None:
            found = _yaml_positions(text)
        for obj, line in found:
            key = _key(obj, hints)
            if key is not None:
                out.setdefault(key, Position(path, line))
    return out


def _locator(source: str) -> Callable[[ObjectRef], Position | None]:
    """A lookup of :func:`locate_objects`, which reads the files only when first asked."""
    index: dict[_Key, Position] | None = None

    def where(ref: ObjectRef) -> Position | None:
        nonlocal index
        if index is None:
            index = locate_objects(source)
        if not index:
            return None
        pos = index.get((ref.kind, ref.namespace, ref.name))
        if pos is None and ref.namespace is not None:  # a manifest placed in the default namespace
            pos = index.get((ref.kind, None, ref.name))
        return pos

    return where


#: Helm's marker of the template a rendered document came from (``helm template``).
_HELM_SOURCE = re.compile(r"^# Source: (\S.*?)\s*$", re.M)
_DOCUMENT_START = re.compile(r"^---", re.M)


def locate_manifests(texts: Sequence[tuple[str, bytes]]) -> dict[_Key, Position]:
    """Where each object of ``r2c scan -f``'s manifests starts, by ``(kind, namespace, name)``.

    A document headed by Helm's ``# Source: chart/templates/x.yaml`` comment is placed in that
    template file, at its line within the rendered template (the line after the comment is
    line 1), wherever the bytes came from (a file, or standard input: ``helm template ... |
    r2c scan -f -``); any other object in the file it was read from. Objects read from
    standard input without a ``# Source:`` have no file to point at.
    """
    out: dict[_Key, Position] = {}
    for display, data in texts:
        if len(data) > MAX_LOCATE_BYTES:
            continue
        text = data.decode("utf-8-sig", errors="replace")
        found = _json_positions(text) if display.lower().endswith(".json") else None
        if found is None:
            found = _yaml_positions(text)
        starts = _line_starts(text)
        sources = [(_line(starts, m.start()), m.group(1)) for m in _HELM_SOURCE.finditer(text)]
        separators = [_line(starts, m.start()) for m in _DOCUMENT_START.finditer(text)]
        hints = (Path(display).name.rsplit(".", 1)[0], Path(display).parent.name)
        for obj, line in found:
            key = _key(obj, hints)
            if key is None:
                continue
            opened = max((sep for sep in separators if sep < line), default=0)  # this document's "---"
            helm = [(at, path) for at, path in sources if opened < at < line]
            if helm:
                at, path = helm[-1]
                out.setdefault(key, Position(Path(path), line - at))
            elif display != "-":
                out.setdefault(key, Position(Path(display), line))
    return out


def _manifest_locator(texts: Sequence[tuple[str, bytes]]) -> Callable[[ObjectRef], Position | None]:
    index: dict[_Key, Position] | None = None

    def where(ref: ObjectRef) -> Position | None:
        nonlocal index
        if index is None:
            index = locate_manifests(texts)
        pos = index.get((ref.kind, ref.namespace, ref.name))
        if pos is None and ref.namespace is not None:  # a manifest placed in the default namespace
            pos = index.get((ref.kind, None, ref.name))
        return pos

    return where


def _object_files(root: Path) -> Iterator[Path]:
    if root.is_file():
        if root.name.lower().endswith(OBJECT_SUFFIXES):
            yield root
        return
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and name.lower().endswith(OBJECT_SUFFIXES) and name not in _NOT_OBJECTS:
                yield Path(dirpath) / name


def _key(obj: dict[str, Any], hints: tuple[str, ...]) -> _Key | None:
    from r2c_clouds.kube.decode import hint_kind
    from r2c_clouds.kube.kinds import kind_for

    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        return None
    kind = obj.get("kind")
    if not isinstance(kind, str) or not kind:
        for hint in hints:
            found = hint_kind(hint)
            if found is not None:
                kind = found[0]
                break
        else:
            return None
    info = kind_for(kind)
    namespace = meta.get("namespace")
    return (
        info.kind if info is not None else kind,
        namespace if isinstance(namespace, str) and namespace else None,
        meta["name"],
    )


def _with_list_kind(items: list[Any], list_kind: Any) -> Iterator[dict[str, Any]]:
    """The dict items of a list; a typed ``PodList``'s items get its item kind."""
    item_kind = list_kind[: -len("List")] if isinstance(list_kind, str) and list_kind.endswith("List") else ""
    for item in items:
        if isinstance(item, dict):
            yield {**item, "kind": item.get("kind") or item_kind}


def _json_positions(text: str) -> list[tuple[dict[str, Any], int]] | None:
    """Objects of a JSON file with the line of their opening brace; ``None`` if not JSON."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if isinstance(doc, dict):
        items = doc.get("items")
        objects = [doc, *(_with_list_kind(items, doc.get("kind")) if isinstance(items, list) else ())]
    elif isinstance(doc, list):
        objects = list(_with_list_kind(doc, None))
    else:
        return []
    # The braces that open those objects, in the same order: the root object, the objects
    # of a root array, the objects of the root object's "items" array. The walk tracks,
    # for each open container, its kind and the key it is the value of.
    braces: list[int] = []
    stack: list[tuple[str, str | None]] = []
    key: str | None = None
    last: str | None = None
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group()
        if tok[0] == '"':
            last = tok
        elif tok == ":":
            key = json.loads(last) if last is not None else None
        elif tok in "{[":
            parent_key = key if stack and stack[-1][0] == "{" else None
            if tok == "{" and (
                not stack
                or (len(stack) == 1 and stack[0][0] == "[")
                or (len(stack) == 2 and stack[0][0] == "{" and stack[1] == ("[", "items"))
            ):
                braces.append(m.start())
            stack.append((tok, parent_key))
            key = None
        elif tok in "}]":
            if stack:
                stack.pop()
            key = None
        else:  # ","
            key = None
    if len(braces) != len(objects):  # e.g. duplicate "items" keys: trust no position
        return None
    starts = _line_starts(text)
    return [(obj, _line(starts, off)) for obj, off in zip(objects, braces, strict=True)]


def _yaml_positions(text: str) -> list[tuple[dict[str, Any], int]]:
    """Objects of a (multi-document) YAML file with the line where each starts."""
    out: list[tuple[dict[str, Any], int]] = []
    try:
        for node in yaml.compose_all(text, Loader=_YAML_LOADER):
            if isinstance(node, yaml.MappingNode):
                fields = _scalars(node)
                out.append((_yaml_object(node, fields), node.start_mark.line + 1))
                items = _child(node, "items")
                if isinstance(items, yaml.SequenceNode):
                    item_kind = fields.get("kind", "")
                    item_kind = item_kind[: -len("List")] if item_kind.endswith("List") else ""
                    out.extend(_yaml_items(items, item_kind))
            elif isinstance(node, yaml.SequenceNode):
                out.extend(_yaml_items(node, ""))
    except yaml.YAMLError:
        pass  # the objects before the error keep their positions
    return out


def _yaml_items(seq: yaml.SequenceNode, item_kind: str) -> Iterator[tuple[dict[str, Any], int]]:
    for item in seq.value:
        if isinstance(item, yaml.MappingNode):
            obj = _yaml_object(item, _scalars(item))
            obj["kind"] = obj.get("kind") or item_kind
            yield obj, item.start_mark.line + 1


def _yaml_object(node: yaml.MappingNode, fields: dict[str, str]) -> dict[str, Any]:
    """The identifying fields of a mapping node: ``kind`` and ``metadata.name``/``namespace``."""
    obj: dict[str, Any] = {"kind": fields.get("kind", "")}
    meta = _child(node, "metadata")
    if isinstance(meta, yaml.MappingNode):
        obj["metadata"] = _scalars(meta)
    return obj


def _child(node: yaml.MappingNode, name: str) -> yaml.Node | None:
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == name:
            child: yaml.Node = v
            return child
    return None


def _scalars(node: yaml.MappingNode) -> dict[str, str]:
    return {
        k.value: v.value
        for k, v in node.value
        if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode) and isinstance(v.value, str)
    }


def _line_starts(text: str) -> list[int]:
    return [0, *(m.end() for m in re.finditer("\n", text))]


def _line(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset)


def _artifact_location(path: Path) -> dict[str, Any]:
    """A relative URI under ``%SRCROOT%`` (the current directory) when the file is under it,
    else an absolute ``file:`` URI."""
    full = path.resolve()
    try:
        rel = full.relative_to(Path.cwd().resolve())
    except ValueError:
        return {"uri": full.as_uri()}
    return {"uri": quote(rel.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def _relative(location: dict[str, Any]) -> bool:
    return "uriBaseId" in location.get("physicalLocation", {}).get("artifactLocation", {})
