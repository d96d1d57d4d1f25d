"""Test-wide safety: loopback only, fake credentials, no metadata-service probes.

pytest-socket (``--disable-socket --allow-hosts=127.0.0.1,::1,localhost`` in pyproject)
refuses any connection that is not to loopback; the variables below stop SDK credential
chains from probing the instance metadata address (169.254.169.254) at all.
"""

from __future__ import annotations

import os

_SAFE_ENV = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "NO_GCE_CHECK": "True",
    "GCE_METADATA_HOST": "127.0.0.1:9",
    "GCE_METADATA_IP": "127.0.0.1:9",
    "AZURE_CLIENT_ID": "00000000-0000-0000-0000-000000000000",
    "AZURE_TENANT_ID": "00000000-0000-0000-0000-000000000000",
    "AZURE_CLIENT_SECRET": "testing",
    "KUBECONFIG": os.devnull,
}
for _k, _v in _SAFE_ENV.items():
    os.environ[_k] = _v
for _k in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "IDENTITY_ENDPOINT", "MSI_ENDPOINT", "KUBERNETES_SERVICE_HOST"):
    os.environ.pop(_k, None)
