"""Smartcar's REST API v3: the application's token, a user's vehicles, webhook subscriptions.

Plain Python over aiohttp with no Home Assistant imports: it takes a shared
``aiohttp.ClientSession``. Every Smartcar error type becomes one typed exception; rate
limits and server trouble are retried with backoff, honouring ``retry-after``; every call
is bounded by a timeout.

API v3 (``../shared/smartcar/API-v3.md``): one application-level token from the
``client_credentials`` grant authorises every call, on three hosts; the user a call is
about is named by the ``sc-user-id`` header or a filter. Connect only grants consent and
hands back that user's id (``connect.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping
import contextlib
from dataclasses import dataclass
from http import HTTPStatus
import json
import logging
import os
import time
from typing import Any, Final, Self
from urllib.parse import quote

import aiohttp

from .catalog import PERMISSIONS, VIN_SIGNAL

_LOGGER = logging.getLogger(__name__)

# Smartcar's hosts. SMARTCAR_API_BASE_URL, set in Home Assistant's environment, stands one
# address in for all of them (paths /connect, /iam, /vehicle, /management): the simulator's
# fake API (simulator/api.py) for the end-to-end tests. Unset, as for users, nothing
# changes.
_FAKE_BASE: Final = os.environ.get("SMARTCAR_API_BASE_URL", "").rstrip("/")
AUTHORIZE_URL: Final = (
    f"{_FAKE_BASE}/connect/oauth/authorize"
    if _FAKE_BASE
    else "https://connect.smartcar.com/oauth/authorize"
)
TOKEN_URL: Final = (
    f"{_FAKE_BASE}/iam/oauth2/token" if _FAKE_BASE else "https://iam.smartcar.com/oauth2/token"
)
VEHICLE_API_URL: Final = (
    f"{_FAKE_BASE}/vehicle/v3" if _FAKE_BASE else "https://vehicle.api.smartcar.com/v3"
)
MANAGEMENT_API_URL: Final = (
    f"{_FAKE_BASE}/management/v3" if _FAKE_BASE else "https://management.api.smartcar.com/v3"
)

# Permissions (Connect's scopes, the same names as in v2). Vehicle info is always asked
# for: listing needs it.
SCOPE_VEHICLE_INFO: Final = "read_vehicle_info"
SCOPE_VIN: Final = "read_vin"
# The read permissions a user can choose: together those of every signal in the catalog
# (the group mapping of some is not confirmed by Smartcar's documentation, see catalog.py).
# No control permissions: nothing is sent.
SCOPES: Final[tuple[str, ...]] = PERMISSIONS
DEFAULT_SCOPES: Final[tuple[str, ...]] = SCOPES

REQUEST_TIMEOUT: Final = aiohttp.ClientTimeout(total=30)
# Tries per request; rate limits, server errors and broken connections are retried.
MAX_ATTEMPTS: Final = 3
# Backoff without a retry-after: 1 s, then 2 s...
BACKOFF_SECONDS: Final = 1.0
# A retry-after longer than this is not waited for: the caller hears about it.
MAX_RETRY_AFTER: Final = 30.0
PAGE_SIZE: Final = 50
MAX_PAGES: Final = 20
# A token is fetched again this long before Smartcar says it expires.
TOKEN_MARGIN_SECONDS: Final = 60.0
# Signal times below this are seconds since the epoch, above it milliseconds (year 5138).
_SECONDS_BELOW: Final = 100_000_000_000

type Sleep = Callable[[float], Awaitable[None]]
type Clock = Callable[[], float]


class SmartcarError(Exception):
    """Any failure talking to Smartcar, with Smartcar's error fields when it sent them."""

    def __init__(  # noqa: PLR0913
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
        resolution: str | None = None,
        user_message: str | None = None,
    ) -> None:
        """Keep what Smartcar said about the error."""
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.code = code
        self.request_id = request_id
        self.resolution = resolution
        self.user_message = user_message


class SmartcarConnectionError(SmartcarError):
    """Smartcar could not be reached, or answered with something that is not its API."""


class SmartcarAuthError(SmartcarError):
    """The API credentials are wrong or revoked, or consent lost a permission asked for.

    Only this one means "enter the credentials again" or "sign in again".
    """


class _RefusedTokenError(SmartcarAuthError):
    """An API call refused the application token, which was then forgotten."""


class SmartcarPermissionError(SmartcarError):
    """The user did not grant the permission a call needs."""


class SmartcarRateLimitError(SmartcarError):
    """Too many requests (for the application, the vehicle or the car maker)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **fields: Any) -> None:
        """Also keep how long Smartcar asked to wait, in seconds."""
        super().__init__(message, **fields)
        self.retry_after = retry_after


class SmartcarBillingError(SmartcarError):
    """The Smartcar plan's vehicle or request limit is reached (HTTP 430)."""


class SmartcarCompatibilityError(SmartcarError):
    """The vehicle or its maker does not offer this (HTTP 501)."""


class SmartcarAccountError(SmartcarError):
    """Something is wrong with the owner's connected-services account at the car maker."""


class SmartcarNotFoundError(SmartcarError):
    """An unknown vehicle, signal, webhook or subscription (HTTP 404)."""


class SmartcarServerError(SmartcarError):
    """Smartcar or the car maker failed (HTTP 5xx)."""


@dataclass(frozen=True, slots=True)
class SmartcarVehicle:
    """A vehicle of the user, as the API lists it."""

    id: str
    make: str | None = None
    model: str | None = None
    year: int | None = None
    vin: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe dict, as config entries store it."""
        return {
            "id": self.id,
            "make": self.make,
            "model": self.model,
            "year": self.year,
            "vin": self.vin,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read a stored or received vehicle; unknown or malformed fields become None."""
        year = data.get("year")
        return cls(
            id=str(data["id"]),
            make=_text(data.get("make")),
            model=_text(data.get("model")),
            year=year if isinstance(year, int) and not isinstance(year, bool) else None,
            vin=_text(data.get("vin")),
        )


class ApplicationToken:
    """The application's access token (``client_credentials``), kept in memory only.

    Fetched when first needed and again shortly before it expires (Smartcar issues it for an
    hour, with no refresh token). Never logged. A refused client id or secret is a
    ``SmartcarAuthError``; Smartcar's or the network's trouble is retried by the caller.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        client_id: str,
        client_secret: str,
        *,
        token_url: str = TOKEN_URL,
        clock: Clock = time.monotonic,
    ) -> None:
        """Ask ``token_url`` for tokens with these API credentials."""
        self._session = session
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_url = token_url
        self._clock = clock
        self._token: str | None = None
        self._valid_until = 0.0
        self._lock = asyncio.Lock()

    async def __call__(self) -> str:
        """A valid access token, fetched if the one held is missing or about to expire."""
        async with self._lock:
            if self._token is None or self._clock() >= self._valid_until:
                self._token, lifetime = await self._fetch()
                self._valid_until = self._clock() + max(0.0, lifetime - TOKEN_MARGIN_SECONDS)
            return self._token

    def invalidate(self) -> None:
        """Forget the token (Smartcar refused it): the next call fetches a new one."""
        self._token = None

    async def _fetch(self) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        try:
            async with self._session.post(
                self._token_url,
                data=form,
                headers={"Accept": "application/json"},
                timeout=REQUEST_TIMEOUT,
            ) as response:
                text = await response.text(errors="replace")  # a proxy's page may not be UTF-8
                status = response.status
                headers = response.headers
        except (aiohttp.ClientError, TimeoutError) as err:
            raise SmartcarConnectionError(
                f"Cannot reach Smartcar's token service: {err!r}"
            ) from err
        body = _json(text) or {}
        if status >= HTTPStatus.BAD_REQUEST:
            error = _text(body.get("error")) or _text(body.get("code")) or "HTTP"
            message = f"Smartcar refused the API credentials ({status} {error})"
            if status == HTTPStatus.TOO_MANY_REQUESTS:
                retry_after = _retry_after(headers.get("retry-after"))
                raise SmartcarRateLimitError(message, retry_after=retry_after, status=status)
            if is_transient_status(status):
                raise SmartcarServerError(message, status=status)
            raise SmartcarAuthError(message, status=status, code=error)
        token = _text(body.get("access_token"))
        if token is None:
            raise SmartcarConnectionError("Smartcar's token service answered without a token")
        lifetime = body.get("expires_in")
        seconds = (
            float(lifetime)
            if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) and lifetime > 0
            else 3600.0
        )
        return token, seconds


class SmartcarClient:
    """Calls Smartcar's API v3 for one application and one of its users."""

    def __init__(  # noqa: PLR0913
        self,
        session: aiohttp.ClientSession,
        token: Callable[[], Awaitable[str]],
        user_id: str,
        *,
        scopes: Collection[str] = DEFAULT_SCOPES,
        vehicle_url: str = VEHICLE_API_URL,
        management_url: str = MANAGEMENT_API_URL,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Use ``session`` and the application's ``token`` for the calls about ``user_id``.

        ``scopes`` are the permissions this integration asked for (the VIN is read only
        when it was).
        """
        self._session = session
        self._token = token
        self._user_id = user_id
        self._scopes = frozenset(scopes) | {SCOPE_VEHICLE_INFO}
        self._vehicle_url = vehicle_url.rstrip("/")
        self._management_url = management_url.rstrip("/")
        self._sleep = sleep

    @property
    def scopes(self) -> frozenset[str]:
        """The permissions this integration relies on."""
        return self._scopes

    @property
    def user_id(self) -> str:
        """The Smartcar user the calls are about."""
        return self._user_id

    # --- Vehicles -----------------------------------------------------------------------

    async def async_list_vehicles(self) -> list[SmartcarVehicle]:
        """Every vehicle the user connected, with make, model and year, VIN where permitted."""
        vehicles: list[SmartcarVehicle] = []
        for item in await self._pages(
            f"{self._vehicle_url}/connections", {"filter[userId]": self._user_id}
        ):
            vehicle_id = _related_id(item, "vehicle")
            if vehicle_id is None:
                continue
            attributes = item.get("attributes")
            vehicle = attributes.get("vehicle") if isinstance(attributes, dict) else None
            details = vehicle if isinstance(vehicle, dict) else {}
            vin = await self.async_get_vin(vehicle_id)
            vehicles.append(SmartcarVehicle.from_dict({**details, "id": vehicle_id, "vin": vin}))
        return vehicles

    async def async_get_vin(self, vehicle_id: str) -> str | None:
        """The VIN, or None when it was not asked for, not granted or not offered."""
        if SCOPE_VIN not in self._scopes:
            return None
        try:
            body = await self._request(
                "GET",
                f"{self._vehicle_url}/vehicles/{_quote(vehicle_id)}/signals/{VIN_SIGNAL}",
                user=True,
            )
        except (SmartcarPermissionError, SmartcarCompatibilityError, SmartcarNotFoundError) as err:
            _LOGGER.debug("No VIN for vehicle %s: %s", vehicle_id, err)
            return None
        signal = api_signal(body.get("data"))
        signal_body = signal.get("body") if signal else None
        return _text(signal_body.get("value")) if isinstance(signal_body, dict) else None

    async def async_get_signals(self, vehicle_id: str) -> list[dict[str, Any]]:
        """The vehicle's signals, each in the shape a webhook delivery carries it.

        ``{code, name, group, status, body, meta}`` with ``meta`` times in epoch
        milliseconds like a delivery's (the API's seconds are converted; ISO-8601 texts are
        left for the protocol core, which reads them).
        """
        return [
            signal
            for item in await self._pages(
                f"{self._vehicle_url}/vehicles/{_quote(vehicle_id)}/signals", {}, user=True
            )
            if (signal := api_signal(item)) is not None
        ]

    # --- Webhook subscriptions ----------------------------------------------------------

    async def async_find_webhook(self, callback_url: str) -> str | None:
        """The id of the application's Dashboard webhook that calls ``callback_url``."""
        wanted = callback_url.rstrip("/")
        for item in await self._pages(
            f"{self._management_url}/webhooks", {"filter[callbackUri]": callback_url}
        ):
            attributes = item.get("attributes")
            uri = attributes.get("callbackUri") if isinstance(attributes, dict) else None
            if isinstance(uri, str) and uri.rstrip("/") == wanted and _text(item.get("id")):
                return str(item["id"])
        return None

    async def async_subscribe(self, vehicle_id: str, webhook_id: str) -> None:
        """Subscribe a vehicle to a Dashboard webhook (accepted: 202; already: 409)."""
        payload = {
            "data": {
                "attributes": {
                    "webhookId": webhook_id,
                    "userId": self._user_id,
                    "vehicleId": vehicle_id,
                }
            }
        }
        try:
            await self._request("POST", f"{self._management_url}/subscriptions", json=payload)
        except SmartcarError as err:
            if err.status != HTTPStatus.CONFLICT:
                raise

    async def async_unsubscribe(self, vehicle_id: str, webhook_id: str) -> None:
        """Remove the vehicle's subscriptions to the webhook; none there is no error."""
        items = await self._pages(
            f"{self._management_url}/subscriptions",
            {
                "filter[webhookId]": webhook_id,
                "filter[vehicleId]": vehicle_id,
                "filter[userId]": self._user_id,
            },
        )
        for item in items:
            # The filters are trusted only as far as each item confirms them: a subscription
            # of another vehicle or webhook is never deleted.
            if (subscription_id := _text(item.get("id"))) is None or any(
                _related_id(item, name) not in {None, wanted}
                for name, wanted in (("vehicle", vehicle_id), ("webhook", webhook_id))
            ):
                continue
            with contextlib.suppress(SmartcarNotFoundError):  # gone already: what was wanted
                await self._request(
                    "DELETE", f"{self._management_url}/subscriptions/{_quote(subscription_id)}"
                )

    # --- Requests -----------------------------------------------------------------------

    async def _pages(
        self, url: str, params: Mapping[str, str], *, user: bool = False
    ) -> list[dict[str, Any]]:
        """Every ``data`` item of a paged list, following the pages to the last."""
        items: list[dict[str, Any]] = []
        for number in range(1, MAX_PAGES + 1):
            body = await self._request(
                "GET",
                url,
                params={**params, "page[number]": str(number), "page[size]": str(PAGE_SIZE)},
                user=user,
            )
            page = body.get("data")
            if not isinstance(page, list):
                raise SmartcarConnectionError("Smartcar's list has no data array")
            items.extend(item for item in page if isinstance(item, dict))
            if not page or not _has_next_page(body, number, len(items)):
                break
        return items

    async def _request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        user: bool = False,
    ) -> dict[str, Any]:
        """One API call, retried on rate limits, server errors and broken connections."""
        attempt = 1
        fresh_token = False
        while True:
            try:
                return await self._request_once(method, url, params=params, json=json, user=user)
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
                if attempt >= MAX_ATTEMPTS or delay > MAX_RETRY_AFTER:
                    raise
                _LOGGER.debug("%s %s failed (%s), retrying in %.0f s", method, url, err, delay)
            await self._sleep(delay)
            attempt += 1

    async def _request_once(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        json: Any,
        user: bool,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {await self._token()}", "Accept": "application/json"}
        if user:
            headers["sc-user-id"] = self._user_id
        try:
            async with self._session.request(
                method, url, params=params, json=json, headers=headers, timeout=REQUEST_TIMEOUT
            ) as response:
                text = await response.text(errors="replace")  # a proxy's page may not be UTF-8
                status = response.status
                response_headers = response.headers
        except (aiohttp.ClientError, TimeoutError) as err:
            raise SmartcarConnectionError(f"Cannot reach Smartcar: {err!r}") from err
        body = _json(text)
        if status >= HTTPStatus.BAD_REQUEST:
            error = self._error(status, body, response_headers)
            invalidate = getattr(self._token, "invalidate", None)
            if isinstance(error, SmartcarAuthError) and invalidate is not None:
                invalidate()
                raise _RefusedTokenError(str(error), status=status, code=error.code) from error
            raise error
        if body is None:
            if not text.strip():
                return {}  # 202 or 204 without a body
            raise SmartcarConnectionError(f"Smartcar answered {status} without JSON")
        return body

    @staticmethod
    def _error(
        status: int, body: dict[str, Any] | None, headers: Mapping[str, str]
    ) -> SmartcarError:
        """The typed exception for an error answer (Smartcar's ``type`` first, then status).

        Both documented bodies are read: ``description``/``statusCode``/``requestId`` and
        v3's ``title``/``detail``/``status``; ``suggestedUserMessage`` is kept.
        """
        body = body or {}
        error_type = _text(body.get("type"))
        code = _text(body.get("code"))
        resolution = body.get("resolution")
        fields: dict[str, Any] = {
            "status": status,
            "error_type": error_type,
            "code": code,
            "request_id": _text(body.get("requestId")) or headers.get("sc-request-id"),
            "resolution": _text(resolution.get("type"))
            if isinstance(resolution, dict)
            else _text(resolution),
            "user_message": _text(body.get("suggestedUserMessage")),
        }
        label = ":".join(part for part in (error_type, code) if part) or "HTTP"
        detail = body.get("detail")
        description = (
            _text(body.get("description"))
            or _text(body.get("title"))
            or (_text(detail) if isinstance(detail, str) else None)
            or _text(body.get("message"))
            or ""
        )
        message = f"{label} {status}: {description}".rstrip(": ")
        kind = _error_kind(error_type, code, status)
        if kind is SmartcarRateLimitError:
            return SmartcarRateLimitError(
                message, retry_after=_retry_after(headers.get("retry-after")), **fields
            )
        return kind(message, **fields)


def api_signal(item: Any) -> dict[str, Any] | None:
    """An API signal resource (``attributes`` + ``meta``) in a delivery's flat shape."""
    if not isinstance(item, dict):
        return None
    attributes = item.get("attributes")
    if not isinstance(attributes, dict) or not _text(attributes.get("code")):
        return None
    meta = item.get("meta")
    return {
        **attributes,
        "meta": {key: _milliseconds(value) for key, value in meta.items()}
        if isinstance(meta, dict)
        else {},
    }


def _milliseconds(value: Any) -> Any:
    """Epoch seconds as a delivery's milliseconds; milliseconds and texts stay as they are."""
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and 0 < value < _SECONDS_BELOW
    ):
        return round(value * 1000)
    return value


def _related_id(item: Mapping[str, Any], name: str) -> str | None:
    """``relationships.<name>.data.id`` of a resource."""
    relationships = item.get("relationships")
    related = relationships.get(name) if isinstance(relationships, dict) else None
    data = related.get("data") if isinstance(related, dict) else None
    return _text(data.get("id")) if isinstance(data, dict) else None


def _has_next_page(body: Mapping[str, Any], number: int, count: int) -> bool:
    """Whether a list goes on after page ``number`` (``links.next``, else the total)."""
    links = body.get("links")
    if isinstance(links, dict) and "next" in links:
        return bool(links["next"])
    meta = body.get("meta")
    total = meta.get("totalCount") if isinstance(meta, dict) else None
    return isinstance(total, int) and count < total and number < MAX_PAGES


def is_transient_status(status: int) -> bool:
    """Whether a refused request may succeed later (rate limit, server trouble).

    Not 501: Smartcar says with it that the vehicle or its maker does not offer this.
    """
    return status == HTTPStatus.TOO_MANY_REQUESTS or (
        status >= HTTPStatus.INTERNAL_SERVER_ERROR and status != HTTPStatus.NOT_IMPLEMENTED
    )


# Smartcar's error types; an unknown or missing type falls back to the HTTP status.
_ERROR_TYPES: Final[dict[str, type[SmartcarError]]] = {
    "AUTHENTICATION": SmartcarAuthError,
    "PERMISSION": SmartcarPermissionError,
    "RATE_LIMIT": SmartcarRateLimitError,
    "BILLING": SmartcarBillingError,
    "COMPATIBILITY": SmartcarCompatibilityError,
    "CONNECTED_SERVICES_ACCOUNT": SmartcarAccountError,
    "RESOURCE_NOT_FOUND": SmartcarNotFoundError,
    "SERVER": SmartcarServerError,
    "UPSTREAM": SmartcarServerError,
    "VALIDATION": SmartcarError,
    "VEHICLE_STATE": SmartcarError,
}
_ERROR_STATUSES: Final[dict[int, type[SmartcarError]]] = {
    401: SmartcarAuthError,
    403: SmartcarPermissionError,
    404: SmartcarNotFoundError,
    429: SmartcarRateLimitError,
    430: SmartcarBillingError,
    501: SmartcarCompatibilityError,
}


def _error_kind(error_type: str | None, code: str | None, status: int) -> type[SmartcarError]:
    if code == "RATE_LIMIT":  # UPSTREAM:RATE_LIMIT, the car maker's limit
        return SmartcarRateLimitError
    if error_type in _ERROR_TYPES:
        return _ERROR_TYPES[error_type]
    if status in _ERROR_STATUSES:
        return _ERROR_STATUSES[status]
    return SmartcarServerError if status >= 500 else SmartcarError  # noqa: PLR2004


def _quote(segment: str) -> str:
    return quote(segment, safe="")


def _json(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``retry-after`` header (Smartcar sends seconds); None if unusable."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds < float("inf") else None
