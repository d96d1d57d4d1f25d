"""What ``r2c snapshot`` must never write: values that may be secrets, replaced by a marker.

A snapshot is something users attach to tickets. The writer passes every object through
:func:`redact` first:

- the ``kubectl.kubernetes.io/last-applied-configuration`` annotation of every object (and of
  pod templates): it repeats the whole object as applied, a Secret's ``data`` or a pod's
  literal env values included;
- in pod specs (Pods and the templates of Deployments, StatefulSets, DaemonSets): the value of
  an env var whose name marks a credential (``AWS_SECRET_ACCESS_KEY``, ``DB_PASSWORD``,
  ``API_TOKEN``... as :mod:`r2c_clouds.model.credentials` defines them) or whose value has a
  credential's shape (``AKIA...``, a private key); an argument or command word
  ``--password=VALUE`` (the value), the word after a bare ``--password``, and any word with
  a credential's shape;
- in ConfigMaps: values under keys that mark a credential, or shaped like one.

Secrets themselves are written as metadata, type and key names (the writer never had their
values). Names stay: the rules judge names (``identity.static-cloud-credentials`` still
finds ``AWS_SECRET_ACCESS_KEY`` set literally in a redacted snapshot), never values.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from r2c_clouds.model import kube as k
from r2c_clouds.model.credentials import SECRET_FLAG, SECRET_NAME, SECRET_SHAPE, looks_secret
from r2c_clouds.model.kube import (
    LAST_APPLIED,  # kubectl's annotation: the whole object as last applied
)

__all__ = ["LAST_APPLIED", "MARKER", "redact", "redact_args", "redact_meta"]

#: What stands in for a value that was not written.
MARKER = "(redacted by r2c_clouds)"

M = TypeVar("M", k.ObjectMeta, k.TemplateMetadata)
T = TypeVar("T")


def redact_meta(meta: M) -> M:
    """Metadata without the last-applied configuration (replaced by the marker)."""
    if LAST_APPLIED not in meta.annotations:
        return meta
    annotations = dict(meta.annotations)
    annotations[LAST_APPLIED] = MARKER
    return msgspec.structs.replace(meta, annotations=annotations)


def redact_args(words: list[str]) -> list[str]:
    """Command or argument words with secret values replaced.

    >>> redact_args(["--port=80", "--db-password=hunter2", "--token", "abc", "AKIAABCDEFGHIJKLMNOP"])
    ['--port=80', '--db-password=(redacted by r2c_clouds)', '--token', '(redacted by r2c_clouds)', '(redacted by r2c_clouds)']
    """
    out: list[str] = []
    after_flag = False
    for word in words:
        if after_flag and not word.startswith("-"):
            out.append(MARKER)
            after_flag = False
            continue
        after_flag = False
        m = SECRET_FLAG.match(word)
        if m is not None:
            out.append(f"{m.group(1)}={MARKER}")
        elif SECRET_SHAPE.search(word):
            out.append(MARKER)
        else:
            out.append(word)
            after_flag = word.startswith("-") and "=" not in word and bool(SECRET_NAME.search(word))
    return out


def _container(c: k.Container) -> k.Container:
    env = [
        msgspec.structs.replace(e, value=MARKER) if e.value and looks_secret(e.name, e.value) else e for e in c.env
    ]
    args, command = redact_args(c.args), redact_args(c.command)
    if env == c.env and args == c.args and command == c.command:
        return c
    return msgspec.structs.replace(c, env=env, args=args, command=command)


def _pod_spec(spec: k.PodSpec) -> k.PodSpec:
    containers = [_container(c) for c in spec.containers]
    init = [_container(c) for c in spec.init_containers]
    if containers == spec.containers and init == spec.init_containers:
        return spec
    return msgspec.structs.replace(spec, containers=containers, init_containers=init)


def _template(t: k.PodTemplateSpec) -> k.PodTemplateSpec:
    meta = redact_meta(t.metadata) if t.metadata is not None else None
    return msgspec.structs.replace(t, metadata=meta, spec=_pod_spec(t.spec))


def redact(obj: T) -> T:
    """``obj`` (a wire struct of :mod:`r2c_clouds.model.kube`) as a snapshot may hold it."""
    out: Any = obj
    meta = getattr(obj, "metadata", None)
    if isinstance(meta, k.ObjectMeta):
        out = msgspec.structs.replace(out, metadata=redact_meta(meta))
    if isinstance(out, k.Pod):
        out = msgspec.structs.replace(out, spec=_pod_spec(out.spec))
    elif isinstance(out, (k.Deployment, k.StatefulSet, k.DaemonSet)):
        out = msgspec.structs.replace(out, spec=msgspec.structs.replace(out.spec, template=_template(out.spec.template)))
    elif isinstance(out, k.ConfigMap):
        data = {key: MARKER if looks_secret(key, value) else value for key, value in out.data.items()}
        if data != out.data:
            out = msgspec.structs.replace(out, data=data)
    result: T = out
    return result
