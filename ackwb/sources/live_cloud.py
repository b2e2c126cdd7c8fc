"""``CloudSource`` over the real Alibaba Cloud OpenAPI, through the official Python SDKs.

Every action goes through one generic path, the SDK's ``call_api`` with the product's
version and style from ``live_cloud_api.PRODUCTS``, so the answer is the response body
with its wire names: the same dict a stored world returns for the same query. One SDK
client per product is made on first use and reused (the product's own client class, which
knows the endpoint of each region). The call is read-only, has timeouts, waits for its
product's client-side rate limit (``rate_limit``), and is repeated with exponential backoff
and jitter while the API throttles. SDK errors become ackwb
errors: a RAM denial is ``Forbidden`` naming the permission, a refused or timed-out
connection is ``Unreachable``, anything else a ``SourceError`` with the API's code.
"""

from __future__ import annotations

import importlib
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from alibabacloud_credentials.exceptions import CredentialException
from alibabacloud_tea_openapi.client import Client as OpenApiClient
from alibabacloud_tea_openapi.utils_models import Config, OpenApiRequest, Params
from darabonba.exceptions import ResponseException, RetryError
from darabonba.runtime import RuntimeOptions
from Tea.exceptions import TeaException, UnretryableException

from ackwb.errors import Forbidden, InputError, SourceError, Unreachable
from ackwb.sources.cloud_actions import is_allowed, split_parameters
from ackwb.sources.live_cloud_api import (
    DENIED_CODES,
    PRODUCTS,
    REJECTED_CREDENTIAL_CODES,
    THROTTLING_CODES,
    Product,
    is_read_action,
    roa_path,
    wire_query,
)
from ackwb.sources.live_cloud_auth import credential_client
from ackwb.sources.rate_limit import RateLimits

_REGION = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_ENDPOINT = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$")


class _Throttled(Exception):
    """One throttled attempt: the API's answer, and how long it asked us to wait (seconds)."""

    def __init__(self, source: str, message: str, retry_after: float) -> None:
        self.source, self.message, self.retry_after = source, message, retry_after

    def give_up(self, attempts: int) -> SourceError:
        return SourceError(self.source, f"still throttled after {attempts} attempt(s): {self.message}")


class LiveCloud:
    """``CloudSource`` for one region of one Alibaba Cloud account.

    ``credential_profile`` names an ``aliyun`` CLI / credentials.ini profile; empty means the
    SDK's default chain. ``endpoint`` ("host:port") replaces every product's endpoint (tests
    point it at a local server with ``protocol="http"``). Timeouts are in seconds.
    ``credential`` may be a ready ``alibabacloud_credentials`` client instead of the chain.
    """

    def __init__(
        self,
        region: str,
        *,
        credential_profile: str = "",
        endpoint: str = "",
        protocol: str = "https",
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        max_attempts: int = 4,
        backoff: float = 0.2,
        backoff_cap: float = 2.0,
        retry_budget: float = 10.0,
        credential: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        rate_limits: Mapping[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not isinstance(region, str) or not _REGION.match(region):
            raise InputError(f"Alibaba Cloud region {region!r} is not a region ID such as cn-hangzhou")
        if endpoint and not _ENDPOINT.match(endpoint):
            raise InputError(f"cloud endpoint {endpoint!r} must be host or host:port, without a scheme")
        if protocol not in ("http", "https"):
            raise InputError(f"cloud protocol {protocol!r} must be http or https")
        if min(connect_timeout, read_timeout) <= 0 or max_attempts < 1:
            raise InputError("cloud timeouts must be positive and max_attempts at least 1")
        self.region = region
        self.credential_profile = credential_profile
        self.endpoint = endpoint
        self.protocol = protocol
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.retry_budget = retry_budget
        self._credential = credential
        self._sleep = sleep
        self.limits = RateLimits(rate_limits, clock, sleep)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        who = f"profile {self.credential_profile!r}" if self.credential_profile else "default chain"
        where = f", endpoint {self.endpoint}" if self.endpoint else ""
        return f"LiveCloud({self.region}, {who}{where})"

    # ------------------------------------------------------------------------------ calls
    def call(self, product: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
        source = f"{product}:{action}"
        spec = PRODUCTS.get(product)
        if spec is None:
            known = ", ".join(sorted(PRODUCTS))
            raise SourceError(source, f"unknown product {product!r}; ackwb calls {known}")
        if not (is_read_action(action) and is_allowed(product, action)):
            raise Forbidden(
                source, "ackwb makes read calls only, and only those on its allow-list (cloud_actions)", ""
            )
        query = wire_query(params)
        if spec.needs_region:
            query.setdefault("RegionId", self.region)
        request = self._request(source, product, action, spec, query)
        started = time.monotonic()
        for attempt in range(1, self.max_attempts + 1):
            self.limits.take(product)  # every attempt, retries included, waits for its product's token
            try:
                return self._once(source, product, action, *request)
            except _Throttled as throttled:
                delay = max(self._delay(attempt), throttled.retry_after)
                spent = time.monotonic() - started
                if attempt == self.max_attempts or spent + delay > self.retry_budget:
                    raise throttled.give_up(attempt) from None
                self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _request(
        self, source: str, product: str, action: str, spec: Product, query: dict[str, str]
    ) -> tuple[Params, OpenApiRequest]:
        pathname, method, body_type = "/", "POST", "formData"
        if spec.style == "ROA":
            try:
                found = roa_path(product, action, query)
            except ValueError as error:
                raise SourceError(source, str(error)) from None
            if found is None:
                raise SourceError(source, f"ackwb does not know the REST path of {product} {action}")
            pathname, query = found
            method, body_type = "GET", "json"
        params = Params(
            action=action, version=spec.version, protocol=self.protocol.upper(), pathname=pathname,
            method=method, auth_type="AK", style=spec.style, req_body_type=body_type, body_type="json",
        )  # fmt: skip
        query, body = split_parameters(product, action, query)
        return params, OpenApiRequest(query=query, body=body or None)

    def _once(
        self, source: str, product: str, action: str, params: Params, request: OpenApiRequest
    ) -> dict[str, Any]:
        client = None
        try:
            client = self._client(product)
            answer = client.call_api(params, request, RuntimeOptions())
        except ResponseException as error:
            raise self._api_error(source, product, action, error) from None
        except UnretryableException as error:
            raise self._transport_error(source, client, error.inner_exception) from None
        except TeaException as error:
            raise SourceError(source, f"the Alibaba Cloud SDK refused the call: {error.code}") from None
        except Exception as error:  # a bug or an unexpected state inside the SDK: still a SourceError
            raise SourceError(source, f"the Alibaba Cloud SDK failed: {type(error).__name__}") from None
        body = answer.get("body") if isinstance(answer, dict) else None
        if not isinstance(body, dict):
            raise SourceError(source, f"the answer is not a JSON object but {type(body).__name__}")
        return body

    def _delay(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        ceiling = min(self.backoff_cap, self.backoff * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    # ----------------------------------------------------------------------------- errors
    def _api_error(self, source: str, product: str, action: str, error: ResponseException) -> Exception:
        data = error.data if isinstance(error.data, dict) else {}
        code = str(data.get("Code") or data.get("code") or error.code or "")
        status = getattr(error, "status_code", None) or data.get("statusCode")
        request_id = data.get("RequestId") or data.get("requestId") or getattr(error, "request_id", "")
        text = str(data.get("Message") or data.get("message") or "").strip()
        message = f"{code}: {text} (HTTP {status}, RequestId {request_id})"
        if code in THROTTLING_CODES or code.startswith("Throttling"):
            wait = (getattr(error, "retry_after", None) or 0) / 1000
            return _Throttled(source, message, wait)
        if code in REJECTED_CREDENTIAL_CODES:
            return Forbidden(source, f"the Alibaba Cloud credentials were rejected: {message}", "")
        if code in DENIED_CODES or code.startswith("Forbidden") or status in (401, 403):
            return Forbidden(source, message, f"{product}:{action}")
        return SourceError(source, message)

    def _transport_error(self, source: str, client: Any, inner: BaseException | None) -> SourceError:
        endpoint = getattr(client, "_endpoint", "") or "the endpoint"
        if isinstance(inner, CredentialException):
            reason = str(inner)
            reason = reason if len(reason) <= 400 else reason[:400] + "…"
            return SourceError(source, f"no usable Alibaba Cloud credentials: {reason}")
        if isinstance(inner, RetryError):
            text = str(inner.message).lower()
            if "timed out" in text or "timeout" in text:
                limits = f"{self.connect_timeout:g} s to connect, {self.read_timeout:g} s to answer"
                what = f"timed out ({limits})"
            elif "refused" in text:
                what = "refused the connection"
            elif "resolve" in text or "name or service" in text or "nodename" in text:
                what = "could not be resolved"
            else:
                what = "could not be reached"
            return Unreachable(source, f"{self.protocol}://{endpoint} {what}")
        name = type(inner).__name__ if inner is not None else "unknown error"
        return SourceError(source, f"{endpoint} sent an answer that could not be read ({name})")

    # ---------------------------------------------------------------------------- clients
    def _client(self, product: str) -> Any:
        with self._lock:
            client = self._clients.get(product)
            if client is None:
                client = self._clients[product] = self._new_client(product)
            return client

    def _new_client(self, product: str) -> Any:
        spec = PRODUCTS[product]
        if self._credential is None:
            self._credential = credential_client(self.credential_profile)
        config = Config(
            region_id=self.region,
            credential=self._credential,
            connect_timeout=max(1, round(self.connect_timeout * 1000)),
            read_timeout=max(1, round(self.read_timeout * 1000)),
            user_agent="ackwb",
        )
        config.protocol = self.protocol
        if self.endpoint:
            config.endpoint = self.endpoint
        elif spec.central_endpoint:
            config.endpoint = spec.central_endpoint
        try:
            client_class = importlib.import_module(f"{spec.package}.client").Client
        except ImportError:  # the product's SDK is optional: the generic client and our template
            client_class = OpenApiClient
            config.endpoint = config.endpoint or spec.endpoint_template.format(region=self.region)
        return client_class(config)

    def endpoint_of(self, product: str) -> str:
        """The host this source calls for ``product`` (creates the client, makes no call)."""
        return str(self._client(product)._endpoint)
