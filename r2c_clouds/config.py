"""``r2c.yaml``: the settings a team keeps beside its pipeline, for ``r2c scan``.

Looked up as ``r2c.yaml`` (or ``.r2c.yaml``) in the working directory, or named with
``--config FILE``. Keys are the long options of ``r2c scan`` without the dashes::

    fail-on: medium
    exceptions: r2c-exceptions.yaml
    baseline: last-main.json
    loops: [identity, compute, network, storage]   # or rules: [...]
    cloud: aws
    region: eu-west-1
    output: sarif
    output-file: r2c.sarif
    allow-partial: false
    timeout: 600

Command-line flags win over the file. An unknown key or a value of the wrong type is exit 2
naming the file and the key.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from r2c_clouds.errors import ConfigError

__all__ = ["CONFIG_NAMES", "find_config", "load_config"]

CONFIG_NAMES = ("r2c.yaml", ".r2c.yaml")
_LISTS = {"rules": "rule", "loops": "loop"}
_RENAMED = {"output": "format", "format": "format", "output-file": "output_file"}


def find_config(explicit: str | None, cwd: str | os.PathLike[str] = ".") -> Path | None:
    """The config file to read: ``explicit``, else ``r2c.yaml`` / ``.r2c.yaml`` in ``cwd``."""
    if explicit:
        return Path(explicit)
    for name in CONFIG_NAMES:
        p = Path(cwd) / name
        if p.is_file():
            return p
    return None


def load_config(path: Path, allowed: dict[str, Any]) -> dict[str, Any]:
    """The file's settings as argparse destinations (``fail-on`` → ``fail_on``).

    Args:
        path: the file.
        allowed: ``dest`` → the argparse action of every option the file may set (its
            ``type`` converts a value, its ``choices`` bound it).

    Raises:
        ConfigError: unreadable, not a mapping, an unknown key or a bad value.
    """
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror or exc})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: malformed YAML: {' '.join(str(exc).split())}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of option: value")
    out: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        dest = _LISTS.get(key) or _RENAMED.get(key) or key.replace("-", "_")
        if dest not in allowed:
            raise ConfigError(f"{path}: unknown key {key!r} (the long options of `r2c scan`, without dashes)")
        action = allowed[dest]
        convert = getattr(action, "type", None)
        choices = getattr(action, "choices", None)
        try:
            if key in _LISTS:
                items = value if isinstance(value, list) else [value]
                value = convert(",".join(str(v) for v in items)) if convert else tuple(items)
            elif isinstance(value, bool) or value is None:
                pass
            elif convert is not None:
                value = convert(str(value))
            else:
                value = str(value)
        except (ValueError, TypeError, argparse.ArgumentTypeError) as exc:
            raise ConfigError(f"{path}: {key}: {exc}") from None
        if choices is not None and value not in choices:
            raise ConfigError(f"{path}: {key}: {value!r} is not one of {', '.join(map(str, choices))}")
        out[dest] = value
    return out
