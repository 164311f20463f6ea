"""One event entity per vehicle: plugged in, charging started, door opened, arrived home..."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import callback

from .entity import VehicleEntity, async_add_vehicle_entities
from .transitions import TRANSITION_TYPES

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SmartcarConfigEntry
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
    """Add the event entity of each vehicle when the vehicle appears."""
    async_add_vehicle_entities(
        entry, async_add_entities, partial(SmartcarEventEntity, entry.runtime_data)
    )


class SmartcarEventEntity(VehicleEntity, EventEntity):
    """Fires the vehicle's transitions, so they reach the logbook and automations."""

    entity_description = DESCRIPTION

    def __init__(self, runtime: SmartcarRuntime, vehicle_id: str) -> None:
        """Bind the entity to its vehicle."""
        super().__init__(runtime, vehicle_id, DESCRIPTION.key)

    async def async_added_to_hass(self) -> None:
        """Follow the vehicle's transitions."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._runtime.dispatch.subscribe_transitions(self._vehicle_id, self._handle_transition)
        )

    @callback
    def _handle_transition(self, transition: str) -> None:
        self._trigger_event(transition)
        self.async_write_ha_state()
