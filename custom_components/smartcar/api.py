"""Smartcar's API v3 client: a user's vehicles, their signals and commands, webhook subscriptions.

Plain Python over aiohttp with no Home Assistant imports: it takes a shared
``aiohttp.ClientSession`` and the application's token source (``api_token``). The requests
themselves, their retries and timeouts are ``api_transport``'s; the errors are
``api_errors``'; the commands ``api_commands``'; the per-vehicle monthly call count
``monthly_call_counter``'s.

API v3 (``../shared/smartcar/API-v3.md``): one application-level token from the
``client_credentials`` grant authorises every call, on three hosts; the user a call is
about is named by the ``sc-user-id`` header or a filter. Connect only grants consent and
hands back that user's id (``connect.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from http import HTTPStatus
import logging
from typing import TYPE_CHECKING, Any, Final, Self

from .api_commands import SCOPE_CONTROL_CHARGE, SCOPE_CONTROL_SECURITY, VehicleCommands
from .api_errors import (
    SmartcarCompatibilityError,
    SmartcarError,
    SmartcarNotFoundError,
    SmartcarPermissionError,
)
from .api_hosts import MANAGEMENT_API_URL, VEHICLE_API_URL
from .api_json import nonempty_text
from .api_transport import Sleep, SmartcarTransport, TokenSource, path_segment
from .catalog import PERMISSIONS, VIN_SIGNAL

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    import aiohttp

    from .monthly_call_counter import MonthlyCallCounter

_LOGGER = logging.getLogger(__name__)

# Permissions (Connect's scopes, the same names as in v2). Vehicle info is always asked
# for: listing needs it.
SCOPE_VEHICLE_INFO: Final = "read_vehicle_info"
SCOPE_VIN: Final = "read_vin"
# The read permissions a user can choose: together those of every signal in the catalog
# (the group mapping of some is not confirmed by Smartcar's documentation, see catalog.py).
SCOPES: Final[tuple[str, ...]] = PERMISSIONS
DEFAULT_SCOPES: Final[tuple[str, ...]] = SCOPES
# The permissions to act on the car (api_commands.VehicleCommand.permission), not asked for yet.
CONTROL_SCOPES: Final[tuple[str, ...]] = (SCOPE_CONTROL_SECURITY, SCOPE_CONTROL_CHARGE)
# Signal times below this are seconds since the epoch, above it milliseconds (year 5138).
_SECONDS_BELOW: Final = 100_000_000_000


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
            make=nonempty_text(data.get("make")),
            model=nonempty_text(data.get("model")),
            year=year if isinstance(year, int) and not isinstance(year, bool) else None,
            vin=nonempty_text(data.get("vin")),
        )


class SmartcarClient:
    """Calls Smartcar's API v3 for one application and one of its users."""

    def __init__(  # noqa: PLR0913
        self,
        session: aiohttp.ClientSession,
        token: TokenSource,
        user_id: str,
        *,
        scopes: Collection[str] = DEFAULT_SCOPES,
        vehicle_url: str = VEHICLE_API_URL,
        management_url: str = MANAGEMENT_API_URL,
        sleep: Sleep = asyncio.sleep,
        call_counter: MonthlyCallCounter | None = None,
    ) -> None:
        """Use ``session`` and the application's ``token`` for the calls about ``user_id``.

        ``scopes`` are the permissions this integration asked for (the VIN is read only
        when it was, a command sent only when its permission was). ``call_counter``, when
        given, counts every call about a vehicle and refuses those over its limit.
        """
        self._user_id = user_id
        self._scopes = frozenset(scopes) | {SCOPE_VEHICLE_INFO}
        self._vehicle_url = vehicle_url.rstrip("/")
        self._management_url = management_url.rstrip("/")
        self._transport = SmartcarTransport(
            session, token, user_id, sleep=sleep, call_counter=call_counter
        )
        self._commands = VehicleCommands(self._transport, self._vehicle_url, self._scopes)

    @property
    def scopes(self) -> frozenset[str]:
        """The permissions this integration relies on."""
        return self._scopes

    @property
    def user_id(self) -> str:
        """The Smartcar user the calls are about."""
        return self._user_id

    @property
    def commands(self) -> VehicleCommands:
        """The commands to the user's vehicles (lock, charging, charge limit, charge port)."""
        return self._commands

    # --- Vehicles -----------------------------------------------------------------------

    async def async_list_vehicles(self) -> list[SmartcarVehicle]:
        """Every vehicle the user connected, with make, model and year, VIN where permitted."""
        vehicles: list[SmartcarVehicle] = []
        for item in await self._transport.async_pages(
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
            answer = await self._transport.async_request(
                "GET",
                f"{self._vehicle_url}/vehicles/{path_segment(vehicle_id)}/signals/{VIN_SIGNAL}",
                vehicle=vehicle_id,
            )
        except (SmartcarPermissionError, SmartcarCompatibilityError, SmartcarNotFoundError) as err:
            _LOGGER.debug("No VIN for vehicle %s: %s", vehicle_id, err)
            return None
        signal = api_signal(answer.body.get("data"))
        signal_body = signal.get("body") if signal else None
        return nonempty_text(signal_body.get("value")) if isinstance(signal_body, dict) else None

    async def async_get_signals(self, vehicle_id: str) -> list[dict[str, Any]]:
        """The vehicle's signals, each in the shape a webhook delivery's ``data.signals`` has.

        ``{code, name, group, status, body, meta}`` with ``meta`` times in epoch
        milliseconds like a delivery's (the API's seconds are converted; ISO-8601 texts are
        left for the protocol core, which reads them). Each page is one of the vehicle's
        monthly calls.
        """
        return [
            signal
            for item in await self._transport.async_pages(
                f"{self._vehicle_url}/vehicles/{path_segment(vehicle_id)}/signals",
                {},
                vehicle=vehicle_id,
            )
            if (signal := api_signal(item)) is not None
        ]

    # --- Webhook subscriptions ----------------------------------------------------------

    async def async_find_webhook(self, callback_url: str) -> str | None:
        """The id of the application's Dashboard webhook that calls ``callback_url``."""
        wanted = callback_url.rstrip("/")
        for item in await self._transport.async_pages(
            f"{self._management_url}/webhooks", {"filter[callbackUri]": callback_url}
        ):
            attributes = item.get("attributes")
            uri = attributes.get("callbackUri") if isinstance(attributes, dict) else None
            if isinstance(uri, str) and uri.rstrip("/") == wanted and nonempty_text(item.get("id")):
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
            await self._transport.async_request(
                "POST", f"{self._management_url}/subscriptions", json=payload
            )
        except SmartcarError as err:
            if err.status != HTTPStatus.CONFLICT:
                raise

    async def async_unsubscribe(self, vehicle_id: str, webhook_id: str) -> None:
        """Remove the vehicle's subscriptions to the webhook; none there is no error."""
        items = await self._transport.async_pages(
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
            if (subscription_id := nonempty_text(item.get("id"))) is None or any(
                _related_id(item, name) not in {None, wanted}
                for name, wanted in (("vehicle", vehicle_id), ("webhook", webhook_id))
            ):
                continue
            with contextlib.suppress(SmartcarNotFoundError):  # gone already: what was wanted
                await self._transport.async_request(
                    "DELETE",
                    f"{self._management_url}/subscriptions/{path_segment(subscription_id)}",
                )


def api_signal(item: Any) -> dict[str, Any] | None:
    """An API signal resource (``attributes`` + ``meta``) in a delivery's flat shape."""
    if not isinstance(item, dict):
        return None
    attributes = item.get("attributes")
    if not isinstance(attributes, dict) or not nonempty_text(attributes.get("code")):
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
    return nonempty_text(data.get("id")) if isinstance(data, dict) else None
