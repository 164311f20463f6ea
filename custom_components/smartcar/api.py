"""Smartcar's REST API: the signed-in user, their vehicles and webhook subscriptions.

Plain Python over aiohttp with no Home Assistant imports: it takes a shared
``aiohttp.ClientSession`` and an async callable that returns a valid access token, so a
newer API version can replace this one module. Every Smartcar error type becomes one
typed exception; rate limits are retried with backoff, honouring ``retry-after``.

Paths and payloads follow Smartcar's Vehicles API v2.0 (PROTOCOL.md sections 9 and 10).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from http import HTTPStatus
import json
import logging
from typing import Any, Final, Self
from urllib.parse import quote

import aiohttp

_LOGGER = logging.getLogger(__name__)

API_URL: Final = "https://api.smartcar.com/v2.0"
AUTHORIZE_URL: Final = "https://connect.smartcar.com/oauth/authorize"
TOKEN_URL: Final = "https://auth.smartcar.com/oauth/token"  # noqa: S105 (an address)

# Permissions (OAuth scopes). Vehicle info is always asked for: listing needs it.
SCOPE_VEHICLE_INFO: Final = "read_vehicle_info"
SCOPE_VIN: Final = "read_vin"
# The read permissions a user can choose, with the signal groups each one unlocks; together
# they cover every entity the integration offers (the mapping of the groups marked * is
# not confirmed by Smartcar's documentation). No control permissions: nothing is sent.
SCOPES: Final[tuple[str, ...]] = (
    "read_battery",  # tractionbattery, lowvoltagebattery*
    "read_charge",  # charge
    "read_climate",  # hvac
    "read_compass",  # location heading
    "read_diagnostics",  # diagnostics
    "read_engine_oil",  # internalcombustionengine-oillife
    "read_extended_vehicle_info",  # vehicleidentification, connectivity*, transmission*
    "read_fuel",  # internalcombustionengine
    "read_location",  # location
    "read_odometer",  # odometer
    "read_security",  # closure, surveillance*
    "read_service_history",  # service
    "read_speedometer",  # motion
    "read_thermometer",  # climate
    "read_tires",  # wheel
    "read_user_profile",  # vehicleuseraccount
    SCOPE_VIN,  # vehicleidentification-vin, and the device's serial number
)
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

type TokenGetter = Callable[[], Awaitable[str]]
type Sleep = Callable[[float], Awaitable[None]]


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
    ) -> None:
        """Keep what Smartcar said about the error."""
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.code = code
        self.request_id = request_id
        self.resolution = resolution


class SmartcarConnectionError(SmartcarError):
    """Smartcar could not be reached, or answered with something that is not its API."""


class SmartcarAuthError(SmartcarError):
    """The sign-in is no longer valid, or lost a permission this integration asked for.

    Only this one means "sign in again".
    """


class SmartcarPermissionError(SmartcarError):
    """A permission the integration does not rely on was not granted."""

    def __init__(self, message: str, *, scope: str | None = None, **fields: Any) -> None:
        """Also keep the permission the request needed, if known."""
        super().__init__(message, **fields)
        self.scope = scope


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
    """An unknown vehicle or webhook id (HTTP 404)."""


class SmartcarServerError(SmartcarError):
    """Smartcar or the car maker failed (HTTP 5xx)."""


@dataclass(frozen=True, slots=True)
class SmartcarVehicle:
    """A vehicle of the signed-in user, as the API lists it."""

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


class SmartcarClient:
    """Calls Smartcar's API for one signed-in user."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        access_token: TokenGetter,
        *,
        scopes: Collection[str] = DEFAULT_SCOPES,
        base_url: str = API_URL,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Use ``session``; ``access_token`` returns a valid token (refreshing it if needed).

        ``scopes`` are the permissions this integration asked for: losing one of them is
        an authentication error, while a refused permission outside them is not.
        """
        self._session = session
        self._access_token = access_token
        self._scopes = frozenset(scopes) | {SCOPE_VEHICLE_INFO}
        self._base_url = base_url.rstrip("/")
        self._sleep = sleep

    @property
    def scopes(self) -> frozenset[str]:
        """The permissions this integration relies on."""
        return self._scopes

    async def async_get_user_id(self) -> str:
        """The Smartcar user id of the signed-in owner (stable across sign-ins)."""
        body = await self._request("GET", "/user")
        return _require_text(body, "id")

    async def async_list_vehicle_ids(self) -> list[str]:
        """The ids of every vehicle the user connected, across pages."""
        ids: list[str] = []
        for _ in range(MAX_PAGES):
            body = await self._request(
                "GET", "/vehicles", params={"limit": PAGE_SIZE, "offset": len(ids)}
            )
            page = body.get("vehicles")
            if not isinstance(page, list):
                raise SmartcarConnectionError("Smartcar listed no vehicles array")
            ids.extend(str(vehicle_id) for vehicle_id in page)
            paging = body.get("paging")
            count = paging.get("count") if isinstance(paging, dict) else None
            if not page or not isinstance(count, int) or len(ids) >= count:
                break
        return ids

    async def async_get_vehicle(self, vehicle_id: str) -> SmartcarVehicle:
        """Make, model and year of one vehicle, and its VIN where permitted."""
        body = await self._request(
            "GET", f"/vehicles/{_quote(vehicle_id)}", scope=SCOPE_VEHICLE_INFO
        )
        vin = await self.async_get_vin(vehicle_id)
        return SmartcarVehicle.from_dict({**body, "id": vehicle_id, "vin": vin})

    async def async_get_vin(self, vehicle_id: str) -> str | None:
        """The VIN, or None when it was not asked for, not granted or not offered."""
        if SCOPE_VIN not in self._scopes:
            return None
        try:
            body = await self._request("GET", f"/vehicles/{_quote(vehicle_id)}/vin")
        except (SmartcarPermissionError, SmartcarCompatibilityError) as err:
            _LOGGER.debug("No VIN for vehicle %s: %s", vehicle_id, err)
            return None
        return _text(body.get("vin"))

    async def async_list_vehicles(self) -> list[SmartcarVehicle]:
        """Every connected vehicle with its make, model, year and VIN where permitted."""
        return [
            await self.async_get_vehicle(vehicle_id)
            for vehicle_id in await self.async_list_vehicle_ids()
        ]

    async def async_subscribe(self, vehicle_id: str, webhook_id: str) -> None:
        """Subscribe a vehicle to a Dashboard webhook (with the owner's token)."""
        await self._request("POST", f"/vehicles/{_quote(vehicle_id)}/webhooks/{_quote(webhook_id)}")

    async def async_unsubscribe(
        self, vehicle_id: str, webhook_id: str, management_token: str
    ) -> None:
        """Unsubscribe a vehicle (Smartcar wants the Application Management Token here)."""
        await self._request(
            "DELETE",
            f"/vehicles/{_quote(vehicle_id)}/webhooks/{_quote(webhook_id)}",
            bearer=management_token,
        )

    # --- Requests -----------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        scope: str | None = None,
        bearer: str | None = None,
    ) -> dict[str, Any]:
        """One API call, retried on rate limits, server errors and broken connections."""
        attempt = 1
        while True:
            try:
                return await self._request_once(
                    method, path, params=params, scope=scope, bearer=bearer
                )
            except (SmartcarRateLimitError, SmartcarServerError, SmartcarConnectionError) as err:
                delay = BACKOFF_SECONDS * 2 ** (attempt - 1)
                if isinstance(err, SmartcarRateLimitError) and err.retry_after is not None:
                    delay = err.retry_after
                if attempt >= MAX_ATTEMPTS or delay > MAX_RETRY_AFTER:
                    raise
                _LOGGER.debug("%s %s failed (%s), retrying in %.0f s", method, path, err, delay)
            await self._sleep(delay)
            attempt += 1

    async def _request_once(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None,
        scope: str | None,
        bearer: str | None,
    ) -> dict[str, Any]:
        token = bearer if bearer is not None else await self._token()
        try:
            async with self._session.request(
                method,
                f"{self._base_url}{path}",
                params=params,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=REQUEST_TIMEOUT,
            ) as response:
                text = await response.text()
                status = response.status
                headers = response.headers
        except (aiohttp.ClientError, TimeoutError) as err:
            raise SmartcarConnectionError(f"Cannot reach Smartcar: {err!r}") from err
        body = _json(text)
        if status >= 400:  # noqa: PLR2004
            raise self._error(status, body, headers, scope)
        if body is None:
            raise SmartcarConnectionError(f"Smartcar answered {status} without JSON")
        return body

    async def _token(self) -> str:
        return await async_access_token(self._access_token)

    def _error(
        self,
        status: int,
        body: dict[str, Any] | None,
        headers: Mapping[str, str],
        scope: str | None,
    ) -> SmartcarError:
        """The typed exception for an error answer (Smartcar's ``type`` first, then status)."""
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
        }
        label = ":".join(part for part in (error_type, code) if part) or "HTTP"
        description = _text(body.get("description")) or _text(body.get("message")) or ""
        message = f"{label} {status}: {description}".rstrip(": ")
        kind = _error_kind(error_type, code, status)
        if kind is SmartcarPermissionError and scope is not None and scope in self._scopes:
            # The grant lost a permission this integration asked for: sign in again.
            kind = SmartcarAuthError
        if kind is SmartcarPermissionError:
            return SmartcarPermissionError(message, scope=scope, **fields)
        if kind is SmartcarRateLimitError:
            return SmartcarRateLimitError(
                message, retry_after=_retry_after(headers.get("retry-after")), **fields
            )
        return kind(message, **fields)


def is_transient_status(status: int) -> bool:
    """Whether a refused request may succeed later (rate limit, server trouble)."""
    return status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR


async def async_access_token(access_token: TokenGetter) -> str:
    """Call a token getter; a refused refresh is an authentication error.

    Getters built on aiohttp raise ``ClientResponseError`` when the token endpoint answers
    an error: a 4xx other than 429 means the refresh token is dead (sign in again), anything
    else is Smartcar's or the network's trouble.
    """
    try:
        return await access_token()
    except SmartcarError:
        raise
    except aiohttp.ClientResponseError as err:
        if not is_transient_status(err.status) and err.status >= HTTPStatus.BAD_REQUEST:
            raise SmartcarAuthError(
                f"Smartcar refused to refresh the sign-in ({err.status})", status=err.status
            ) from err
        raise SmartcarServerError(
            f"Smartcar could not refresh the sign-in ({err.status})", status=err.status
        ) from err
    except (aiohttp.ClientError, TimeoutError) as err:
        raise SmartcarConnectionError(f"Cannot refresh the sign-in: {err!r}") from err


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


def _require_text(body: Mapping[str, Any], key: str) -> str:
    if (value := _text(body.get(key))) is None:
        raise SmartcarConnectionError(f"Smartcar's answer has no {key}")
    return value


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``retry-after`` header (Smartcar sends seconds); None if unusable."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds < float("inf") else None
