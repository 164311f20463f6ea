"""Binary sensors: plug, charging, lock, doors, windows, presence and system states."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory

from .entity import (
    SmartcarEntity,
    SmartcarEntityDescription,
    async_add_catalog_entities,
    index_by_signal,
)
from .runtime import STATUS
from .signals import VALUE, Read

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SmartcarConfigEntry
    from .fleet import SignalState

PARALLEL_UPDATES = 0

DIAGNOSTIC = EntityCategory.DIAGNOSTIC


def is_true(value: Any) -> bool | None:
    """On when the value is true; unknown unless it is a boolean."""
    return value if isinstance(value, bool) else None


def is_false(value: Any) -> bool | None:
    """On when the value is false: the lock device class is on when unlocked."""
    return not value if isinstance(value, bool) else None


def is_alert(value: Any) -> bool | None:
    """On when a diagnostics system reports ALERT."""
    return value == "ALERT" if isinstance(value, str) else None


@dataclass(frozen=True, kw_only=True)
class SmartcarBinarySensorEntityDescription(
    BinarySensorEntityDescription, SmartcarEntityDescription
):
    """A binary sensor of the catalog; ``on_fn`` turns the read value into on or off."""

    on_fn: Callable[[Any], bool | None] = is_true


def _flag(
    key: str,
    signal: str | None,
    device_class: BinarySensorDeviceClass | None = None,
    read: Read = VALUE,
    **kwargs: Any,
) -> SmartcarBinarySensorEntityDescription:
    return SmartcarBinarySensorEntityDescription(
        key=key,
        translation_key=key,
        signal=signal,
        device_class=device_class,
        read=read,
        **kwargs,
    )


POSITIONS = (
    ("front_left", 0, 0),
    ("front_right", 0, 1),
    ("rear_left", 1, 0),
    ("rear_right", 1, 1),
)

# Smartcar's diagnostics-* systems, each reporting {"status": "OK" | "ALERT"}.
DIAGNOSTIC_SYSTEMS = (
    "abs",
    "activesafety",
    "airbag",
    "brakefluid",
    "driverassistance",
    "evbatteryconditioning",
    "evcharging",
    "evdriveunit",
    "evhvbattery",
    "emissions",
    "lighting",
    "mil",
    "oillife",
    "oilpressure",
    "oiltemperature",
    "telematics",
    "tirepressure",
    "tirepressuremonitoring",
    "transmission",
    "washerfluid",
    "waterinfuel",
)

B = BinarySensorDeviceClass

BINARY_SENSORS: tuple[SmartcarBinarySensorEntityDescription, ...] = (
    # Charging
    _flag("plugged_in", "charge-ischargingcableconnected", B.PLUG),
    _flag("charging", "charge-ischarging", B.BATTERY_CHARGING),
    _flag("cable_latched", "charge-ischargingcablelatched", entity_category=DIAGNOSTIC),
    _flag("charge_port_open", "charge-ischargingportflapopen", B.OPENING),
    _flag(
        "fast_charger_present",
        "charge-isfastchargerpresent",
        entity_category=DIAGNOSTIC,
    ),
    _flag(
        "battery_heater",
        "tractionbattery-isheateractive",
        B.RUNNING,
        entity_category=DIAGNOSTIC,
    ),
    # Security and closures
    _flag("lock", "closure-islocked", B.LOCK, on_fn=is_false),
    *(
        _flag(f"door_{name}", "closure-doors", B.DOOR, Read("isOpen", row, column))
        for name, row, column in POSITIONS
    ),
    _flag("any_door_open", "closure-doors", B.DOOR, Read("isOpen", any_item=True)),
    *(
        _flag(f"window_{name}", "closure-windows", B.WINDOW, Read("isOpen", row, column))
        for name, row, column in POSITIONS
    ),
    _flag("any_window_open", "closure-windows", B.WINDOW, Read("isOpen", any_item=True)),
    _flag("trunk", "closure-reartrunk", B.OPENING, Read("isOpen")),
    _flag("frunk", "closure-fronttrunk", B.OPENING, Read("isOpen")),
    _flag("hood", "closure-enginecover", B.OPENING, Read("isOpen")),
    _flag("sunroof", "closure-sunroof", B.WINDOW, Read("isOpen")),
    _flag("tailgate", "closure-tailgate", B.OPENING, Read("isOpen")),
    _flag("surveillance", "surveillance-isenabled"),
    # Location and connectivity
    _flag("at_home", "location-isathome", B.PRESENCE),
    _flag(
        "online",
        "connectivitystatus-isonline",
        B.CONNECTIVITY,
        entity_category=DIAGNOSTIC,
    ),
    _flag("asleep", "connectivitystatus-isasleep", entity_category=DIAGNOSTIC),
    _flag(
        "digital_key_paired",
        "connectivitystatus-isdigitalkeypaired",
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    # Climate
    _flag("cabin_hvac", "hvac-iscabinhvacactive", B.RUNNING),
    _flag("front_defroster", "hvac-isfrontdefrosteractive", B.RUNNING),
    _flag("rear_defroster", "hvac-isreardefrosteractive", B.RUNNING),
    _flag("steering_wheel_heater", "hvac-issteeringheateractive", B.RUNNING),
    # Service and diagnostics
    _flag("in_service", "service-isinservice"),
    *(
        _flag(
            f"diagnostic_{system}",
            f"diagnostics-{system}",
            B.PROBLEM,
            Read("status"),
            on_fn=is_alert,
            entity_category=DIAGNOSTIC,
            # 21 systems: enabled on demand, so each car does not carry 21 more entities.
            entity_registry_enabled_default=False,
        )
        for system in DIAGNOSTIC_SYSTEMS
    ),
    # The vehicle itself: whether deliveries keep arriving.
    _flag(
        "reporting",
        STATUS,
        B.CONNECTIVITY,
        entity_category=DIAGNOSTIC,
        vehicle_value=lambda runtime, vehicle: (runtime.is_reporting(vehicle.id), {}),
    ),
)

CATALOG = index_by_signal(BINARY_SENSORS)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a binary sensor for each catalog entry of each signal a vehicle delivers."""
    async_add_catalog_entities(entry, async_add_entities, CATALOG, SmartcarBinarySensor)


class SmartcarBinarySensor(SmartcarEntity, BinarySensorEntity):
    """A binary sensor showing one flag of a signal, or whether the vehicle reports."""

    entity_description: SmartcarBinarySensorEntityDescription

    def _show(self, state: SignalState) -> Hashable:
        description = self.entity_description
        self._set_value(description.on_fn(description.read(state.body or {})))
        return self._attr_is_on

    def _set_value(self, value: Any) -> None:
        self._attr_is_on = value
