"""One event entity per vehicle: plugged in, charging started, door opened, arrived home..."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import callback

from .runtime import DELIVERY
from .transitions import TRANSITION_TYPES

if TYPE_CHECKING:
    from collections.abc import Collection

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SmartcarConfigEntry
    from .fleet import Vehicle
    from .runtime import SmartcarRuntime

PARALLEL_UPDATES = 0

DESCRIPTION = EventEntityDescription(
    key="vehicle_event", translation_key="vehicle_event", event_types=list(TRANSITION_TYPES)
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entity of each vehicle, now and when a new vehicle appears."""
    runtime = entry.runtime_data

    @callback
    def add(vehicle: Vehicle, codes: Collection[str | None]) -> None:
        if DELIVERY in codes:  # the vehicle itself is new
            async_add_entities([SmartcarEventEntity(runtime, vehicle.id)])

    entry.async_on_unload(runtime.async_add_signals_listener(add))


class SmartcarEventEntity(EventEntity):
    """Fires the vehicle's transitions, so they reach the logbook and automations."""

    entity_description = DESCRIPTION
    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, runtime: SmartcarRuntime, vehicle_id: str) -> None:
        """Bind the entity to its vehicle."""
        self._runtime = runtime
        self._vehicle_id = vehicle_id
        self._attr_unique_id = f"{vehicle_id}_{DESCRIPTION.key}"
        self._attr_device_info = runtime.device_info(vehicle_id)

    async def async_added_to_hass(self) -> None:
        """Follow the vehicle's transitions."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._runtime.async_subscribe_transitions(self._vehicle_id, self._handle_transition)
        )

    @callback
    def _handle_transition(self, transition: str) -> None:
        self._trigger_event(transition)
        self.async_write_ha_state()
