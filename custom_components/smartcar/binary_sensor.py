"""Binary sensors: the catalog's flags (plug, charging, lock, doors...), and reporting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory

from .catalog import SIGNALS
from .dispatch import VehicleTopic
from .entity import (
    SmartcarEntity,
    SmartcarEntityDescription,
    async_add_catalog_entities,
    index_by_topic,
    role_fields,
)

if TYPE_CHECKING:
    from collections.abc import Hashable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SmartcarConfigEntry
    from .catalog import SignalSpec
    from .fleet import SignalState
    from .roles import Flag

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartcarBinarySensorEntityDescription(
    BinarySensorEntityDescription, SmartcarEntityDescription
):
    """A binary sensor of a catalog flag, or of the vehicle."""


def _description(spec: SignalSpec, flag: Flag) -> SmartcarBinarySensorEntityDescription:
    """A catalog flag as Home Assistant's binary sensor description."""
    return SmartcarBinarySensorEntityDescription(
        **role_fields(spec, flag),
        device_class=BinarySensorDeviceClass(flag.device_class) if flag.device_class else None,
    )


BINARY_SENSORS: tuple[SmartcarBinarySensorEntityDescription, ...] = (
    *(_description(spec, flag) for spec in SIGNALS for flag in spec.flags),
    # The vehicle itself: whether deliveries keep arriving.
    SmartcarBinarySensorEntityDescription(
        key="reporting",
        translation_key="reporting",
        topic=VehicleTopic.STATUS,
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        vehicle_value=lambda runtime, vehicle: (runtime.freshness.is_reporting(vehicle.id), {}),
    ),
)

BY_TOPIC = index_by_topic(BINARY_SENSORS)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a binary sensor for each catalog flag a vehicle delivers a value of."""
    async_add_catalog_entities(entry, async_add_entities, BY_TOPIC, SmartcarBinarySensor)


class SmartcarBinarySensor(SmartcarEntity, BinarySensorEntity):
    """A binary sensor showing one flag of a signal, or whether the vehicle reports."""

    entity_description: SmartcarBinarySensorEntityDescription

    def _value(self, state: SignalState) -> Hashable:
        # Every binary sensor that follows a signal shows a catalog flag.
        flag = cast("Flag", self.entity_description.role)
        return flag.on(flag.read(state.body or {}))

    def _set_value(self, value: Any) -> None:
        self._attr_is_on = value
