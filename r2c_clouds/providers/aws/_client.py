"""boto3 clients for one scan: created up front (clients are thread-safe, sessions are not),
standard-mode retries, per-operation call counting into the provider's
:class:`~r2c_clouds.providers.kit.CallCounter` through botocore's ``before-parameter-build``
event, and the translation of AWS errors into the kit's :class:`~r2c_clouds.providers.kit.Forbidden`
/ :class:`~r2c_clouds.providers.kit.Throttled` and :class:`~r2c_clouds.errors.CloudUnreachableError`.

Concurrency and the per-scan memo are the provider's :class:`~r2c_clouds.providers.kit.Workers`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from r2c_clouds.errors import BadInputError, CloudUnreachableError
from r2c_clouds.providers.kit import CallCounter, Forbidden, Throttled

__all__ = ["DENIED_CODES", "SERVICES", "THROTTLING_CODES", "AwsClients", "error_code"]

#: Error codes that mean "this caller may not do that": the call becomes ``not_checked``.
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"})
#: Error codes that mean "slow down": seen here only once botocore's own retries gave up, the
#: call becomes ``not_checked`` (throttled).
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled",
     "SlowDown", "ProvisionedThroughputExceededException", "ThrottledException", "RequestThrottledException",
     "EC2ThrottledException", "BandwidthLimitExceeded", "LimitExceededException", "PriorRequestNotComplete",
     "TransactionInProgressException"}
)
#: Error codes that mean the credentials themselves are bad: nothing can be checked.
_BAD_CREDENTIALS = frozenset(
    {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "ExpiredToken",
     "ExpiredTokenException", "AuthFailure", "InvalidAccessKeyId"}
)

#: client name → IAM action prefix (CloudWatch's endpoint is ``monitoring``, its actions ``cloudwatch:``).
SERVICES = {
    "eks": "eks",
    "iam": "iam",
    "ec2": "ec2",
    "autoscaling": "autoscaling",
    "cloudwatch": "cloudwatch",
}


def error_code(exc: ClientError) -> str:
    """The AWS error code of a ClientError (``NoSuchEntity``, ``AccessDenied``...)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def _error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


class AwsClients:
    """The clients one scan uses, with call counting and error translation.

    Args:
        session: a boto3 session (default credential chain when ``None``).
        region: the region to call.
        calls: where calls are counted (the provider's); a new counter when ``None``.
        endpoint_url: one endpoint for every service (an emulator); boto3 also honours
            ``AWS_ENDPOINT_URL`` by itself.
        max_workers: the most calls in flight at once (sizes the connection pools).
        max_attempts: retry attempts per call (botocore standard retry mode).
    """

    def __init__(
        self,
        session: boto3.Session | None,
        region: str,
        *,
        calls: CallCounter | None = None,
        endpoint_url: str | None = None,
        max_workers: int = 8,
        max_attempts: int = 5,
    ) -> None:
        self.session = session or boto3.Session()
        self.region = region
        self.calls = calls if calls is not None else CallCounter()
        config = Config(
            region_name=region,
            retries={"mode": "standard", "max_attempts": max_attempts},
            connect_timeout=5,
            read_timeout=30,
            max_pool_connections=max(10, max(1, max_workers) * 2),
            user_agent_extra="r2c_clouds",
        )
        self._clients: dict[str, Any] = {}
        for name, prefix in SERVICES.items():
            kwargs: dict[str, Any] = {"config": config, "region_name": region}
            if endpoint_url:
                kwargs["endpoint_url"] = endpoint_url
            try:
                client = self.session.client(name, **kwargs)
            except NoRegionError as exc:  # pragma: no cover - region is always passed
                raise BadInputError("AWS: no region (pass --region)") from exc
            # before-parameter-build fires once per API call (every page, no retries) and, unlike
            # before-call, before any handler (a Stubber) can answer the call itself.
            client.meta.events.register("before-parameter-build", self._counter(prefix))
            self._clients[name] = client

    def _counter(self, prefix: str) -> Callable[..., None]:
        def count(model: Any, **_: Any) -> None:
            self.calls.count(f"{prefix}:{model.name}")

        return count

    def client(self, name: str) -> Any:
        """The client for ``eks``, ``iam``, ``ec2``, ``autoscaling`` or ``cloudwatch``."""
        return self._clients[name]

    # ------------------------------------------------------------------ calls

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """One API call, errors translated.

        Raises:
            Forbidden: the call was denied (``operation`` is the IAM action).
            Throttled: the call was still throttled after botocore's retries.
            CloudUnreachableError: no credentials, bad credentials, endpoint unreachable.
            botocore.exceptions.ClientError: any other API error (``NoSuchEntity``...).
        """
        method = getattr(self._clients[service], operation)
        with self.translated(service, operation):
            result: dict[str, Any] = method(**params)
        return result

    def pages(self, service: str, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
        """The pages of a paginated call, errors translated like :meth:`call`."""
        paginator = self._clients[service].get_paginator(operation)
        with self.translated(service, operation):
            yield from paginator.paginate(**params)

    def translated(self, service: str, operation: str) -> _Translate:
        """A context manager turning botocore errors into Forbidden / Throttled /
        CloudUnreachableError."""
        return _Translate(SERVICES[service], self._clients[service], operation)


class _Translate:
    def __init__(self, prefix: str, client: Any, operation: str) -> None:
        self.prefix = prefix
        self.client = client
        self.operation = operation

    def action(self) -> str:
        op = self.client.meta.method_to_api_mapping.get(self.operation, self.operation)
        return f"{self.prefix}:{op}"

    def __enter__(self) -> _Translate:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        if exc is None:
            return False
        if isinstance(exc, ClientError):
            code = error_code(exc)
            if code in DENIED_CODES:
                raise Forbidden(self.action(), _error_message(exc)) from exc
            if code in THROTTLING_CODES:
                raise Throttled(self.action(), _error_message(exc)) from exc
            if code in _BAD_CREDENTIALS:
                raise CloudUnreachableError(
                    f"AWS rejected the credentials ({code}) calling {self.action()}",
                    remediation="check AWS_PROFILE / AWS_ACCESS_KEY_ID or run `aws sso login`",
                ) from exc
            return False
        if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
            raise CloudUnreachableError(
                "AWS: no credentials found (environment, shared config/SSO profile or instance role)",
                remediation="set AWS_PROFILE, run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
            ) from exc
        if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)):
            where = self.client.meta.endpoint_url
            raise CloudUnreachableError(
                f"AWS endpoint {where} cannot be reached ({self.action()}): {exc}",
            ) from exc
        return False
