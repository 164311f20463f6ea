"""The refresh button: a Connect entry's vehicle read through Smartcar's API now."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Final

from homeassistant.components.button import ButtonEntity

from .account import listed_vehicles
from .entity import VehicleEntity, async_add_vehicle_entities

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SmartcarConfigEntry
    from .control import VehicleControl
    from .runtime import SmartcarRuntime

# A refresh waits for Smartcar's answer, not for another vehicle's.
PARALLEL_UPDATES = 0
REFRESH: Final = "refresh"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a refresh button for each vehicle of a Connect entry, listed or delivering."""
    runtime = entry.runtime_data
    if runtime.control is None:
        return  # not a Connect entry on API v3: nothing to read through the API
    async_add_vehicle_entities(
        entry,
        async_add_entities,
        partial(RefreshButton, runtime, runtime.control),
        [vehicle.id for vehicle in listed_vehicles(entry)],
    )


class RefreshButton(VehicleEntity, ButtonEntity):
    """Reads every signal of the vehicle from Smartcar now (the calls count)."""

    _attr_translation_key = REFRESH

    def __init__(self, runtime: SmartcarRuntime, control: VehicleControl, vehicle_id: str) -> None:
        """Bind the button to its vehicle and the entry's controls."""
        super().__init__(runtime, vehicle_id, REFRESH)
        self._control = control

    async def async_press(self) -> None:
        """Read the vehicle's signals and apply them as a delivery."""
        await self._control.async_refresh(self._vehicle_id)
