"""boto3 clients for one scan: created up front (clients are thread-safe, sessions are not),
standard-mode retries within a bounded budget, per-operation call counting into the provider's
:class:`~r2c_clouds.providers.kit.CallCounter` through botocore's ``before-parameter-build``
event, and the translation of every AWS error by the kit's rule (see
:mod:`r2c_clouds.providers.kit`, *The error rule*):

* ``AccessDenied`` & co. or HTTP 403 → :class:`~r2c_clouds.providers.kit.Forbidden`;
* throttling codes or HTTP 429 left after the retries → :class:`~r2c_clouds.providers.kit.Throttled`;
* any other error answer (``InternalError``, ``ServiceUnavailable``, 500/503 after the
  retries, 400, 409...) and any answer that cannot be read (a 2xx body that is not the
  protocol's JSON / XML / CBOR, or not UTF-8: botocore would raise ``ResponseParserError`` or
  ``UnicodeDecodeError``, or silently parse it as an empty answer) →
  :class:`~r2c_clouds.providers.kit.CallError` naming the IAM action, the HTTP status and code;
* no credentials (environment, profile, SSO, instance role), rejected credentials
  (``InvalidClientTokenId``, ``ExpiredToken``, ``SignatureDoesNotMatch``, HTTP 401), and no
  answer at all (DNS, refused, TLS, timeouts, a dropped connection) once the retries are spent
  → :class:`~r2c_clouds.errors.CloudUnreachableError`;
* ``NoSuchEntity`` / ``ResourceNotFoundException`` (:data:`MISSING_CODES`) stay botocore
  ``ClientError`` errors: the callers ask for them and read them as "absent".

Budget per call (one page of a paginated call): ``max_attempts`` attempts in all (botocore
standard mode: 5xx, throttling and connection errors are retried with jittered exponential
backoff, at most 1 s then 2 s then 4 s...), each bounded by :data:`CONNECT_TIMEOUT` to connect
and :data:`READ_TIMEOUT` per read. With the default 3 attempts an endpoint that accepts the
connection and never answers fails after at most 3 x 15 s + 3 s = 48 s; a black-holed one
after 3 x 5 s + 3 s = 18 s; a refused one in about 3 s. Credential resolution (SSO, IMDS,
AssumeRole) runs under botocore's own timeouts, before the call.

Concurrency and the per-scan memo are the provider's :class:`~r2c_clouds.providers.kit.Workers`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, Literal
from xml.etree import ElementTree

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    SSOError,
    TokenRetrievalError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.parsers import ResponseParserError

from r2c_clouds.errors import BadInputError, CloudUnreachableError
from r2c_clouds.providers.kit import CallCounter, CallError, Forbidden, Throttled, first_line

__all__ = [
    "CONNECT_TIMEOUT",
    "DENIED_CODES",
    "MAX_ATTEMPTS",
    "MISSING_CODES",
    "READ_TIMEOUT",
    "SERVICES",
    "THROTTLING_CODES",
    "AwsClients",
    "UnreadableResponse",
    "error_code",
]

#: Attempts per call, the first included (botocore standard retry mode), unless told otherwise.
MAX_ATTEMPTS = 3
#: Seconds to open a connection, per attempt.
CONNECT_TIMEOUT = 5.0
#: Seconds to wait for each read of the answer, per attempt.
READ_TIMEOUT = 15.0

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
     "ExpiredTokenException", "AuthFailure", "InvalidAccessKeyId", "InvalidSignatureException",
     "IncompleteSignature", "MissingAuthenticationToken", "MissingAuthenticationTokenException",
     "InvalidToken", "RequestExpired"}
)
#: Error codes that mean "no such resource": left to the caller as a ``ClientError`` (it asked,
#: and reads the answer as "absent"); every other error code becomes a ``CallError``.
MISSING_CODES = frozenset({"NoSuchEntity", "ResourceNotFoundException"})
#: No credentials to sign with (environment, shared config, SSO cache, container or instance role).
_NO_CREDENTIALS = (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError, TokenRetrievalError,
                   SSOError)
#: No HTTP answer at all: DNS, refused, TLS, proxy, connect/read timeouts, connection dropped.
_NO_ANSWER = (BotoConnectionError, HTTPClientError)

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


def _http_status(exc: ClientError) -> int | None:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if isinstance(status, int) else None


class UnreadableResponse(Exception):
    """An answer botocore cannot (or would wrongly) parse: a 2xx body that is not the
    protocol's JSON / XML / CBOR or not UTF-8, or an error status whose body is unreadable.

    Args:
        status: the HTTP status of the answer.
        problem: what is wrong with the body.
    """

    def __init__(self, status: int, problem: str) -> None:
        super().__init__(f"HTTP {status}: {problem}")
        self.status = status
        self.problem = problem


def _body_problem(protocol: str, operation: str, body: bytes, expects_body: bool) -> str | None:
    """What is wrong with a body for ``protocol``, or ``None`` when it reads as that protocol."""
    if not body:
        return "empty body" if expects_body else None
    if protocol == "smithy-rpc-v2-cbor":
        return None if body[0] >> 5 == 5 else "not a CBOR map"  # major type 5: a map
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 ({exc.reason} at byte {exc.start})"
    if protocol in ("json", "rest-json"):
        try:
            doc = json.loads(text)
        except ValueError:
            return "not JSON"
        return None if isinstance(doc, dict) else "not a JSON object"
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return "not XML"
    if protocol in ("query", "ec2"):
        want = f"{operation}Response"
        got = root.tag.rsplit("}", 1)[-1]
        if got not in (want, "ErrorResponse", "Response"):
            return f"XML <{got}> where <{want}> was expected"
    return None


def _check_body(response_dict: dict[str, Any], operation_model: Any, **_: Any) -> None:
    """``before-parse`` handler: refuse an answer botocore would parse wrongly or not at all.

    A 2xx with an unreadable body raises :class:`UnreadableResponse` (botocore would raise
    ``ResponseParserError`` / ``UnicodeDecodeError``, or return an empty answer for JSON and
    CBOR). An unreadable 5xx body is emptied, so botocore reads it as its generic
    ``ClientError`` for that status (and retries it); another unreadable error body raises
    :class:`UnreadableResponse` with its status.
    """
    if operation_model.has_streaming_output:
        return
    status = int(response_dict.get("status_code") or 0)
    body = response_dict.get("body") or b""
    if not isinstance(body, bytes):
        return
    protocol = operation_model.service_model.resolved_protocol
    if status < 300:
        shape = operation_model.output_shape
        expects = shape is not None and any(
            "location" not in m.serialization for m in getattr(shape, "members", {}).values())
        problem = _body_problem(protocol, operation_model.name, body, expects)
        if problem is not None:
            raise UnreadableResponse(status, problem)
        return
    if not body and protocol in ("json", "rest-json", "smithy-rpc-v2-cbor"):
        return  # botocore reads an empty JSON / CBOR error as the generic error of its status
    problem = _body_problem(protocol, "", body, True)
    if problem is None or (protocol in ("query", "ec2") and problem.startswith("XML <")):
        return  # readable (an error document is not the operation's <...Response>)
    if status >= 500:
        response_dict["body"] = b""  # botocore's generic "HTTP 5xx" error, retried
        return
    raise UnreadableResponse(status, problem)


def _no_credentials(exc: BaseException) -> CloudUnreachableError:
    return CloudUnreachableError(
        "AWS: no credentials found (environment, shared config/SSO profile or instance role): "
        f"{first_line(exc, limit=None)}",
        remediation="set AWS_PROFILE, run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
    )


class AwsClients:
    """The clients one scan uses, with call counting and error translation.

    Args:
        session: a boto3 session (default credential chain when ``None``).
        region: the region to call.
        calls: where calls are counted (the provider's); a new counter when ``None``.
        endpoint_url: one endpoint for every service (an emulator); boto3 also honours
            ``AWS_ENDPOINT_URL`` by itself.
        max_workers: the most calls in flight at once (sizes the connection pools).
        max_attempts: attempts per call, the first included (botocore standard retry mode).
        connect_timeout: seconds to open a connection, per attempt.
        read_timeout: seconds to wait for each read of an answer, per attempt.
    """

    def __init__(
        self,
        session: boto3.Session | None,
        region: str,
        *,
        calls: CallCounter | None = None,
        endpoint_url: str | None = None,
        max_workers: int = 8,
        max_attempts: int = MAX_ATTEMPTS,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.session = session or boto3.Session()
        self.region = region
        self.calls = calls if calls is not None else CallCounter()
        config = Config(
            region_name=region,
            # total_max_attempts counts the first attempt (botocore's max_attempts does not)
            retries={"mode": "standard", "total_max_attempts": max(1, max_attempts)},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
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
            except _NO_CREDENTIALS as exc:  # a credential_process or SSO profile resolved now
                raise _no_credentials(exc) from exc
            # before-parameter-build fires once per API call (every page, no retries) and, unlike
            # before-call, before any handler (a Stubber) can answer the call itself.
            client.meta.events.register("before-parameter-build", self._counter(prefix))
            client.meta.events.register("before-parse", _check_body)
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
            CallError: any other error answer, or an answer that cannot be read.
            CloudUnreachableError: no credentials, bad credentials, endpoint unreachable.
            botocore.exceptions.ClientError: ``NoSuchEntity`` / ``ResourceNotFoundException``
                (:data:`MISSING_CODES`), for the caller to read as "absent".
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
        """A context manager turning botocore errors into Forbidden / Throttled / CallError /
        CloudUnreachableError (see the module doc)."""
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
            self._client_error(exc)
            return False  # MISSING_CODES: the caller's
        if isinstance(exc, UnreadableResponse):
            if exc.status == 401:
                raise self._rejected(str(exc.status)) from exc
            if exc.status == 403:
                raise Forbidden(self.action(), exc.problem) from exc
            if exc.status == 429:
                raise Throttled(self.action(), exc.problem) from exc
            raise CallError(self.action(), exc.status, "unreadable body", exc.problem) from exc
        if isinstance(exc, (ResponseParserError, UnicodeDecodeError)):
            raise CallError(self.action(), None, "unreadable body", str(exc)) from exc
        if isinstance(exc, _NO_CREDENTIALS):
            raise _no_credentials(exc) from exc
        if isinstance(exc, _NO_ANSWER):
            where = self.client.meta.endpoint_url
            raise CloudUnreachableError(
                f"AWS endpoint {where} cannot be reached ({self.action()}): {exc}",
            ) from exc
        return False

    def _client_error(self, exc: ClientError) -> None:
        code, status = error_code(exc), _http_status(exc)
        if code in _BAD_CREDENTIALS or status == 401:
            raise self._rejected(code or str(status)) from exc
        if code in DENIED_CODES or status == 403:
            raise Forbidden(self.action(), _error_message(exc)) from exc
        if code in THROTTLING_CODES or status == 429:
            raise Throttled(self.action(), _error_message(exc)) from exc
        if code in MISSING_CODES:
            return
        shown = None if code in ("", str(status)) else code  # botocore's code for a bare status is the status
        raise CallError(self.action(), status, shown, _error_message(exc)) from exc

    def _rejected(self, code: str) -> CloudUnreachableError:
        return CloudUnreachableError(
            f"AWS rejected the credentials ({code}) calling {self.action()}",
            remediation="check AWS_PROFILE / AWS_ACCESS_KEY_ID or run `aws sso login`",
        )
