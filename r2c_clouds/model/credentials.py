"""Names that mark a credential: environment variables, flags, key shapes.

Shared by the static-credentials rule (which judges names, never values) and the snapshot
writer's redaction (which must never write a value that may be a secret).
"""

from __future__ import annotations

import re

__all__ = ["CLOUD_CREDENTIAL_ENV", "SECRET_FLAG", "SECRET_NAME", "SECRET_SHAPE", "looks_secret"]

#: Environment variables that carry a long-lived cloud credential, and what it is.
CLOUD_CREDENTIAL_ENV: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "AWS access key id",
    "AWS_SECRET_ACCESS_KEY": "AWS secret access key",
    "AZURE_CLIENT_SECRET": "Azure service principal secret",
    "ARM_CLIENT_SECRET": "Azure service principal secret",
    "AZURE_STORAGE_KEY": "Azure storage account key",
    "AZURE_STORAGE_ACCESS_KEY": "Azure storage account key",
    "AZURE_STORAGE_ACCOUNT_KEY": "Azure storage account key",
    "AZURE_STORAGE_CONNECTION_STRING": "Azure storage connection string",
    "GOOGLE_CREDENTIALS": "Google service account key",
    "GOOGLE_CLOUD_KEYFILE_JSON": "Google service account key",
    "GCP_SERVICE_ACCOUNT_KEY": "Google service account key",
}

#: Any name that suggests a secret value (env var names, ConfigMap keys, flag names).
SECRET_NAME = re.compile(
    r"passw(?:or)?d|passwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|"
    r"connection[-_]?string|account[-_]?key|sas[-_]?key|auth[-_]?key",
    re.I,
)
#: ``--password=VALUE`` / ``-token=VALUE``: a flag naming a secret, with its value.
SECRET_FLAG = re.compile(
    r"^(--?[\w.-]*(?:passw(?:or)?d|passwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential)[\w.-]*)(=)(.+)$",
    re.I,
)
#: Values shaped like a credential whatever their name: AWS access key ids, private keys,
#: Google service account key JSON, Azure storage connection strings.
SECRET_SHAPE = re.compile(
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|-----BEGIN [A-Z ]*PRIVATE KEY-----|\"private_key\"\s*:|AccountKey=",
)


def looks_secret(name: str, value: str | None = None) -> bool:
    """Does this name (or value) suggest a secret?

    >>> looks_secret("DB_PASSWORD"), looks_secret("LOG_LEVEL"), looks_secret("X", "AKIAABCDEFGHIJKLMNOP")
    (True, False, True)
    """
    if name.upper() in CLOUD_CREDENTIAL_ENV or SECRET_NAME.search(name):
        return True
    return bool(value and SECRET_SHAPE.search(value))
