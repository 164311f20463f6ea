"""The integration's action: ``smartcar.refresh``, for vehicles of Smartcar Connect entries.

The commands need no action of their own: Home Assistant's ``lock.lock``/``lock.unlock``,
``switch.turn_on``/``turn_off`` and ``number.set_value`` reach the controls' entities.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import target

from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, ServiceCall

    from .control import VehicleControl

SERVICE_REFRESH: Final = "refresh"


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (once, for every entry)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_REFRESH,
        partial(_async_refresh, hass),
        schema=cv.make_entity_service_schema({}),
    )


async def _async_refresh(hass: HomeAssistant, call: ServiceCall) -> None:
    """Read every targeted vehicle's signals now, the vehicles at the same time."""
    vehicles = _targeted_vehicles(hass, call)
    if not vehicles:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_vehicle")
    await asyncio.gather(*(control.async_refresh(vehicle_id) for control, vehicle_id in vehicles))


def _targeted_vehicles(hass: HomeAssistant, call: ServiceCall) -> list[tuple[VehicleControl, str]]:
    """The vehicles of the targeted devices and entities (areas: their devices).

    Raises ``ServiceValidationError`` for a vehicle of an entry that cannot read the API.
    """
    selected = target.async_extract_referenced_entity_ids(
        hass, target.TargetSelection(call.data), expand_group=False
    )
    device_ids = set(selected.referenced_devices)
    entities = er.async_get(hass)
    for entity_id in selected.referenced:
        if (item := entities.async_get(entity_id)) is not None and item.platform == DOMAIN:
            device_ids.add(item.device_id or "")
    devices = dr.async_get(hass)
    vehicles: list[tuple[VehicleControl, str]] = []
    for entry in hass.config_entries.async_entries(DOMAIN):
        for device in dr.async_entries_for_config_entry(devices, entry.entry_id):
            if device.id not in device_ids:
                continue
            control = entry.runtime_data.control if entry.state is ConfigEntryState.LOADED else None
            if control is None:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="refresh_needs_connect",
                    translation_placeholders={"entry": entry.title},
                )
            vehicles.extend(
                (control, vehicle_id)
                for domain, vehicle_id in device.identifiers
                if domain == DOMAIN
            )
    return vehicles
