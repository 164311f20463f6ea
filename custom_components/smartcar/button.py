"""The refresh button: a Connect entry's vehicle read through Smartcar's API now."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.components.button import ButtonEntity
from homeassistant.core import callback

from .account import listed_vehicles
from .entity import VehicleEntity

if TYPE_CHECKING:
    from collections.abc import Collection

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SmartcarConfigEntry
    from .control import VehicleControl
    from .dispatch import Topic
    from .fleet import Vehicle
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
    control = runtime.control
    if control is None:
        return  # not a Connect entry on API v3: nothing to read through the API
    added: set[str] = set()

    @callback
    def add(vehicle_ids: Collection[str]) -> None:
        new = [vehicle_id for vehicle_id in vehicle_ids if vehicle_id not in added]
        added.update(new)
        async_add_entities(RefreshButton(runtime, control, vehicle_id) for vehicle_id in new)

    add([vehicle.id for vehicle in listed_vehicles(entry)])

    @callback
    def add_delivering(vehicle: Vehicle, topics: Collection[Topic]) -> None:
        add([vehicle.id])

    entry.async_on_unload(runtime.async_listen_new_topics(add_delivering))


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
