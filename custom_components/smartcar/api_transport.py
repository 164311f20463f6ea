"""Requests to Smartcar's API v3: the token on each, bounded retries, typed errors.

Plain Python over aiohttp, no Home Assistant imports; it takes a shared
``aiohttp.ClientSession`` and the application's token source (``api_token``). A request
about a vehicle carries the user's ``sc-user-id`` and is counted against the vehicle's
monthly calls (``monthly_call_counter``) before it is sent. How often a request is tried
and how long it may take is its :class:`CallPolicy`: a request that can be repeated is
retried on rate limits (honouring ``retry-after``), server trouble and broken connections;
a command is not (``api_commands``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
import logging
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

import aiohttp

from .api_errors import (
    VEHICLE_REQUEST_LIMIT,
    SmartcarAuthError,
    SmartcarBillingError,
    SmartcarConnectionError,
    SmartcarError,
    SmartcarRateLimitError,
    SmartcarServerError,
    SmartcarTimeoutError,
    error_from_answer,
    retry_after_seconds,
)
from .api_json import json_object

if TYPE_CHECKING:
    from .monthly_call_counter import MonthlyCallCounter

_LOGGER = logging.getLogger(__name__)

REQUEST_TIMEOUT: Final = aiohttp.ClientTimeout(total=30)
# Tries per read; rate limits, server errors and broken connections are retried.
MAX_ATTEMPTS: Final = 3
# Backoff without a retry-after: 1 s, then 2 s...
BACKOFF_SECONDS: Final = 1.0
# A retry-after longer than this is not waited for: the caller hears about it.
MAX_RETRY_AFTER: Final = 30.0
PAGE_SIZE: Final = 50
MAX_PAGES: Final = 20

type Sleep = Callable[[float], Awaitable[None]]
type TokenSource = Callable[[], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class CallPolicy:
    """How often a request is tried and how long its answer may take."""

    attempts: int
    timeout: aiohttp.ClientTimeout
    # A 202's body is waited for this long at most (None: like any body); without it the
    # answer is "accepted, still being carried out".
    pending_body_seconds: float | None = None


# For requests that can be repeated: reads, subscribing (409 once done), deleting (404).
IDEMPOTENT_POLICY: Final = CallPolicy(attempts=MAX_ATTEMPTS, timeout=REQUEST_TIMEOUT)


@dataclass(frozen=True, slots=True)
class Answer:
    """Smartcar's successful answer to one request."""

    status: int
    body: dict[str, Any]
    # Smartcar's id of the request (the sc-request-id header), to quote to its support.
    request_id: str | None


class _RefusedTokenError(SmartcarAuthError):
    """An API call refused the application token, which was then forgotten."""


class SmartcarTransport:
    """Sends the requests of one application's user to Smartcar's API v3."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: TokenSource,
        user_id: str,
        *,
        sleep: Sleep = asyncio.sleep,
        call_counter: MonthlyCallCounter | None = None,
    ) -> None:
        """Use ``session`` and the application's ``token`` for the calls about ``user_id``.

        ``call_counter``, when given, counts (and may refuse) every call about a vehicle.
        """
        self._session = session
        self._token = token
        self._user_id = user_id
        self._sleep = sleep
        self._call_counter = call_counter

    async def async_request(  # noqa: PLR0913
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        vehicle: str | None = None,
        policy: CallPolicy = IDEMPOTENT_POLICY,
    ) -> Answer:
        """One API call, tried as ``policy`` allows; ``vehicle``: the vehicle it is about.

        A token Smartcar refuses is replaced and the call tried once more whatever the
        policy: Smartcar refused it before doing anything.
        """
        attempt = 1
        fresh_token = False
        while True:
            try:
                return await self._request_once(
                    method, url, params=params, json=json, vehicle=vehicle, policy=policy
                )
            except _RefusedTokenError:
                # A token Smartcar no longer takes (revoked, expired early) was forgotten;
                # one more try with a new one tells that apart from refused credentials.
                if fresh_token:
                    raise
                fresh_token = True
                continue
            except (SmartcarRateLimitError, SmartcarServerError, SmartcarConnectionError) as err:
                delay = BACKOFF_SECONDS * 2 ** (attempt - 1)
                if isinstance(err, SmartcarRateLimitError) and err.retry_after is not None:
                    delay = err.retry_after
                if attempt >= policy.attempts or delay > MAX_RETRY_AFTER:
                    raise
                _LOGGER.debug("%s %s failed (%s), retrying in %.0f s", method, url, err, delay)
            await self._sleep(delay)
            attempt += 1

    async def async_pages(
        self, url: str, params: Mapping[str, str], *, vehicle: str | None = None
    ) -> list[dict[str, Any]]:
        """Every ``data`` item of a paged list, following the pages to the last."""
        items: list[dict[str, Any]] = []
        for number in range(1, MAX_PAGES + 1):
            answer = await self.async_request(
                "GET",
                url,
                params={**params, "page[number]": str(number), "page[size]": str(PAGE_SIZE)},
                vehicle=vehicle,
            )
            page = answer.body.get("data")
            if not isinstance(page, list):
                raise SmartcarConnectionError("Smartcar's list has no data array")
            items.extend(item for item in page if isinstance(item, dict))
            if not page or not _has_next_page(answer.body, number, len(items)):
                break
        return items

    async def _request_once(  # noqa: PLR0913
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        json: Any,
        vehicle: str | None,
        policy: CallPolicy,
    ) -> Answer:
        headers = {"Authorization": f"Bearer {await self._token()}", "Accept": "application/json"}
        if vehicle is not None:
            headers["sc-user-id"] = self._user_id
            if self._call_counter is not None:
                self._call_counter.spend(vehicle)
        try:
            async with self._session.request(
                method, url, params=params, json=json, headers=headers, timeout=policy.timeout
            ) as response:
                status = response.status
                response_headers = response.headers
                text = await _body_text(response, policy.pending_body_seconds)
        except TimeoutError as err:
            raise SmartcarTimeoutError(
                f"Smartcar did not answer within {policy.timeout.total:.0f} s"
            ) from err
        except aiohttp.ClientError as err:
            raise SmartcarConnectionError(f"Cannot reach Smartcar: {err!r}") from err
        body = json_object(text)
        request_id = response_headers.get("sc-request-id")
        if status >= HTTPStatus.BAD_REQUEST:
            error = error_from_answer(
                status,
                body,
                request_id=request_id,
                retry_after=retry_after_seconds(response_headers.get("retry-after")),
            )
            self._learn_from(vehicle, error)
            invalidate = getattr(self._token, "invalidate", None)
            if isinstance(error, SmartcarAuthError) and invalidate is not None:
                invalidate()
                raise _RefusedTokenError(
                    str(error),
                    status=status,
                    error_type=error.error_type,
                    code=error.code,
                    request_id=error.request_id,
                    resolution=error.resolution,
                    user_message=error.user_message,
                ) from error
            raise error
        if body is None:
            if not text.strip():
                return Answer(status, {}, request_id)  # 202 or 204 without a body
            raise SmartcarConnectionError(f"Smartcar answered {status} without JSON")
        return Answer(status, body, request_id)

    def _learn_from(self, vehicle: str | None, error: SmartcarError) -> None:
        """Smartcar saying the vehicle's monthly calls are used up ends them here too."""
        if (
            vehicle is not None
            and self._call_counter is not None
            and isinstance(error, SmartcarBillingError)
            and error.code == VEHICLE_REQUEST_LIMIT
        ):
            self._call_counter.exhaust(vehicle)


def path_segment(value: str) -> str:
    """An id as one path segment: it never changes the path it is put in."""
    return quote(value, safe="")


async def _body_text(response: aiohttp.ClientResponse, pending_body_seconds: float | None) -> str:
    """The answer's body; a 202's only if it comes within ``pending_body_seconds``."""
    if pending_body_seconds is None or response.status != HTTPStatus.ACCEPTED:
        return await response.text(errors="replace")  # a proxy's page may not be UTF-8
    try:
        async with asyncio.timeout(pending_body_seconds):
            return await response.text(errors="replace")
    except TimeoutError:
        return ""  # still being carried out: its outcome shows in the vehicle's signals


def _has_next_page(body: Mapping[str, Any], number: int, count: int) -> bool:
    """Whether a list goes on after page ``number`` (``links.next``, else the total)."""
    links = body.get("links")
    if isinstance(links, dict) and "next" in links:
        return bool(links["next"])
    meta = body.get("meta")
    total = meta.get("totalCount") if isinstance(meta, dict) else None
    return isinstance(total, int) and count < total and number < MAX_PAGES
