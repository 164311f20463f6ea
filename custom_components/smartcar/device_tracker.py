"""The vehicle's position from Smartcar's precise-location signal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.device_tracker import (
    TrackerEntity,
    TrackerEntityDescription,
)

from .entity import (
    SmartcarEntity,
    SmartcarEntityDescription,
    async_add_catalog_entities,
    index_by_signal,
    value_times,
)

if TYPE_CHECKING:
    from collections.abc import Hashable

    from homeassistant.const import EntityCategory
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SmartcarConfigEntry
    from .fleet import SignalState

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartcarTrackerEntityDescription(TrackerEntityDescription, SmartcarEntityDescription):
    """The location catalog entry."""


TRACKERS = (
    SmartcarTrackerEntityDescription(
        key="location", translation_key="location", signal="location-preciselocation"
    ),
)
CATALOG = index_by_signal(TRACKERS)

# Fields of the location body shown as attributes besides latitude and longitude.
LOCATION_ATTRIBUTES = {
    "heading": "heading",
    "direction": "direction",
    "locationType": "location_type",
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a tracker for each vehicle that delivers its location."""
    async_add_catalog_entities(entry, async_add_entities, CATALOG, SmartcarTracker)


class SmartcarTracker(SmartcarEntity, TrackerEntity):
    """Where the vehicle is (or was last parked), with its heading."""

    entity_description: SmartcarTrackerEntityDescription
    _attr_location_accuracy = 0.0

    @property
    def entity_category(self) -> EntityCategory | None:
        """None: a car's location is one of its main entities.

        Home Assistant's trackers are diagnostic by default, which keeps them off the
        device's card on the dashboard.
        """
        return None

    def _show(self, state: SignalState) -> Hashable:
        body = state.body or {}
        latitude, longitude = body.get("latitude"), body.get("longitude")
        self._attr_latitude = latitude if isinstance(latitude, int | float) else None
        self._attr_longitude = longitude if isinstance(longitude, int | float) else None
        extra: dict[str, Any] = {
            name: body[field] for field, name in LOCATION_ATTRIBUTES.items() if field in body
        }
        self._attr_extra_state_attributes = extra | value_times(state)
        return (self._attr_latitude, self._attr_longitude, tuple(extra.items()))
