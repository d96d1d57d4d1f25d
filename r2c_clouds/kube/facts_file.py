"""``cloud-facts.json``: the cloud facts recorded beside a snapshot (schema
``r2c_clouds/cloud-facts/v1``, documented in docs/snapshot-format.md).

``r2c snapshot`` writes it (:mod:`r2c_clouds.kube.dump`), the demos ship one, and the
``recorded`` provider replays it. It is :class:`r2c_clouds.model.cloud.CloudFacts` as JSON,
in an envelope that names the schema. It sits with the snapshot formats, below the
providers, so that the sources (snapshots, demos) never import a provider.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from r2c_clouds.errors import RecordedFactsError
from r2c_clouds.model.cloud import CloudFacts

__all__ = ["FACTS_FILE", "SCHEMA", "dump_facts", "load_facts"]

SCHEMA = "r2c_clouds/cloud-facts/v1"
FACTS_FILE = "cloud-facts.json"


class _Envelope(msgspec.Struct, kw_only=True):
    schema: str
    facts: CloudFacts


def dump_facts(facts: CloudFacts) -> bytes:
    """Serialize facts in the recorded format (stable key order, indented)."""
    raw = msgspec.json.encode(_Envelope(schema=SCHEMA, facts=facts), order="sorted")
    return msgspec.json.format(raw, indent=2) + b"\n"


def load_facts(path: str | os.PathLike[str]) -> CloudFacts:
    """Read a recorded ``cloud-facts.json``.

    Raises:
        RecordedFactsError: unreadable, not JSON, wrong schema or wrong field types.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise RecordedFactsError(f"{p}: cannot read recorded cloud facts: {exc.strerror}") from exc
    try:
        env = msgspec.json.decode(data, type=_Envelope)
    except msgspec.DecodeError as exc:
        raise RecordedFactsError(f"{p}: not valid recorded cloud facts: {exc}") from exc
    if env.schema != SCHEMA:
        raise RecordedFactsError(f"{p}: schema {env.schema!r} is not {SCHEMA!r}")
    return env.facts
