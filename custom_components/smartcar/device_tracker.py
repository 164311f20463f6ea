"""The vehicle's position from Smartcar's precise-location signal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from homeassistant.components.device_tracker import TrackerEntity, TrackerEntityDescription

from .catalog import SIGNALS
from .entity import (
    SmartcarEntity,
    SmartcarEntityDescription,
    catalog_platform,
    role_fields,
    value_times,
)

if TYPE_CHECKING:
    from collections.abc import Hashable

    from homeassistant.const import EntityCategory

    from .fleet import SignalState
    from .roles import Position

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartcarTrackerEntityDescription(TrackerEntityDescription, SmartcarEntityDescription):
    """The tracker of a catalog position."""


TRACKERS = tuple(
    SmartcarTrackerEntityDescription(**role_fields(spec, spec.tracker))
    for spec in SIGNALS
    if spec.tracker is not None
)


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

    def _value(self, state: SignalState) -> Hashable:
        return self._read(state)

    def _set_value(self, value: Any) -> None:
        self._attr_latitude, self._attr_longitude, _ = value

    def _extra_attributes(self, state: SignalState) -> dict[str, Any]:
        _, _, extra = self._read(state)
        return dict(extra) | value_times(state)

    def _read(
        self, state: SignalState
    ) -> tuple[float | None, float | None, tuple[tuple[str, Any], ...]]:
        """Latitude, longitude, and the other fields of the body shown as attributes."""
        position = cast("Position", self.entity_description.role)  # trackers show positions
        body = state.body or {}
        latitude, longitude = body.get("latitude"), body.get("longitude")
        return (
            latitude if isinstance(latitude, int | float) else None,
            longitude if isinstance(longitude, int | float) else None,
            tuple(
                (name, body[field]) for field, name in position.attributes.items() if field in body
            ),
        )


# A tracker for each vehicle that delivers its location.
async_setup_entry = catalog_platform(TRACKERS, SmartcarTracker)
