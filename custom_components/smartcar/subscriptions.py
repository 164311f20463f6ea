"""A Smartcar user's vehicles and their subscriptions to the Dashboard webhook, in a flow.

The config flow lists the vehicles and subscribes the chosen ones after consent; the
reconfigure flow lists them again, subscribes new ones and unsubscribes those left out.
Every call answers with the translated errors to show on the form (none when it worked).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .api_errors import (
    SmartcarAccountError,
    SmartcarAuthError,
    SmartcarBillingError,
    SmartcarCompatibilityError,
    SmartcarError,
    SmartcarNotFoundError,
    SmartcarPermissionError,
    SmartcarRateLimitError,
)
from .compat import vol
from .const import CONF_SMARTCAR_WEBHOOK_ID, CONF_VEHICLES, LOGGER
from .signals import display_make

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .api import SmartcarClient, SmartcarVehicle

# Dashboard webhook ids are UUIDs; accept any id-like string, refuse URLs and sentences.
WEBHOOK_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{7,127}")


def vehicle_label(vehicle: SmartcarVehicle) -> str:
    """How the flow names a vehicle: "Kia EV6 2023 (VIN KNA…)", or with its id's start."""
    year = str(vehicle.year) if vehicle.year else None
    name = " ".join(part for part in (display_make(vehicle.make), vehicle.model, year) if part)
    tag = f"VIN {vehicle.vin}" if vehicle.vin else vehicle.id[:8]
    return f"{name or 'Vehicle'} ({tag})"


def error_key(err: SmartcarError) -> str:
    """The translated error for a failed Smartcar call."""
    for kind, key in (
        (SmartcarAuthError, "invalid_auth"),
        (SmartcarPermissionError, "permission_missing"),
        (SmartcarRateLimitError, "rate_limited"),
        (SmartcarBillingError, "billing_limit"),
        (SmartcarCompatibilityError, "not_compatible"),
        (SmartcarAccountError, "account_issue"),
        (SmartcarNotFoundError, "webhook_not_found"),
    ):
        if isinstance(err, kind):
            return key
    return "cannot_connect"


class VehicleSubscriptions:
    """The vehicles Smartcar lists for a user, and those subscribed to the webhook so far.

    A failed subscription stops the round; the next submit goes on from there (the ones
    done stay done, and the form lists them).
    """

    def __init__(self, client: SmartcarClient, webhook_id: str = "") -> None:
        """Work with the user's API client and the Dashboard webhook (if known yet)."""
        self._client = client
        self.webhook_id = webhook_id
        self.listed: dict[str, SmartcarVehicle] = {}
        self.subscribed: dict[str, SmartcarVehicle] = {}

    async def async_take_webhook(self, entered: str, url: str) -> dict[str, str]:
        """Take the Dashboard webhook whose id was entered, or else the one that calls ``url``."""
        webhook_id = entered.strip()
        if not webhook_id:
            return await self._async_find_webhook(url)
        if not WEBHOOK_ID_PATTERN.fullmatch(webhook_id):
            return {CONF_SMARTCAR_WEBHOOK_ID: "invalid_webhook_id"}
        self.webhook_id = webhook_id
        return {}

    async def _async_find_webhook(self, url: str) -> dict[str, str]:
        try:
            webhook_id = await self._client.async_find_webhook(url)
        except SmartcarError as err:
            LOGGER.warning("Cannot list the Smartcar webhooks: %s", err)
            return {"base": error_key(err)}
        if webhook_id is None:
            return {"base": "webhook_not_found_by_url"}
        self.webhook_id = webhook_id
        return {}

    async def async_list(self) -> dict[str, str]:
        """List the user's vehicles."""
        try:
            vehicles = await self._client.async_list_vehicles()
        except SmartcarError as err:
            LOGGER.warning("Cannot list the Smartcar vehicles: %s", err)
            return {"base": error_key(err)}
        self.listed = {vehicle.id: vehicle for vehicle in vehicles}
        return {}

    def chosen(self, vehicle_ids: Iterable[str]) -> list[SmartcarVehicle]:
        """The listed vehicles of these ids (what the vehicles field of a form chose)."""
        return [self.listed[vehicle_id] for vehicle_id in vehicle_ids]

    async def async_subscribe(self, vehicles: Iterable[SmartcarVehicle]) -> dict[str, str]:
        """Subscribe each vehicle not subscribed yet."""
        for vehicle in vehicles:
            if vehicle.id in self.subscribed:
                continue
            try:
                await self._client.async_subscribe(vehicle.id, self.webhook_id)
            except SmartcarError as err:
                LOGGER.warning("Cannot subscribe %s: %s", vehicle_label(vehicle), err)
                return {"base": error_key(err)}
            self.subscribed[vehicle.id] = vehicle
        return {}

    async def async_unsubscribe(self, vehicles: Iterable[SmartcarVehicle]) -> dict[str, str]:
        """Unsubscribe vehicles the user no longer wants."""
        for vehicle in vehicles:
            try:
                await self._client.async_unsubscribe(vehicle.id, self.webhook_id)
            except SmartcarError as err:
                LOGGER.warning("Cannot unsubscribe %s: %s", vehicle_label(vehicle), err)
                return {"base": error_key(err)}
            del self.subscribed[vehicle.id]
        return {}

    def entry_data(self) -> dict[str, Any]:
        """The Dashboard webhook and the subscribed vehicles, as the entry keeps them."""
        return {
            CONF_SMARTCAR_WEBHOOK_ID: self.webhook_id,
            CONF_VEHICLES: [vehicle.as_dict() for vehicle in self.subscribed.values()],
        }

    def vehicles_schema(self, chosen: list[str] | None) -> vol.Schema:
        """Every listed vehicle to choose, by its label; all of them unless ``chosen``."""
        field = SelectSelector(
            SelectSelectorConfig(
                options=[
                    SelectOptionDict(value=vehicle.id, label=vehicle_label(vehicle))
                    for vehicle in self.listed.values()
                ],
                multiple=True,
                mode=SelectSelectorMode.LIST,
            )
        )
        default = list(self.listed) if chosen is None else chosen
        return vol.Schema({vol.Optional(CONF_VEHICLES, default=default): field})

    def placeholders(self) -> dict[str, str]:
        """How many vehicles are listed, and which are subscribed already."""
        return {
            "count": str(len(self.listed)),
            "subscribed": ", ".join(map(vehicle_label, self.subscribed.values())) or "-",
        }
