"""wbyoung/smartcar, the other Smartcar integration: what it stores, and what it becomes here.

It installs into the same folder and domain (custom_components/smartcar), so once a user
swaps it for this one, Home Assistant hands its config entries, devices and entities to
this integration. Read from its source (config_flow.py, __init__.py, entity.py and its
platforms, releases 0.2 to 0.4):

- entries of version 2.0 hold "auth_implementation" and "token" (a Smartcar API v2 OAuth
  sign-in), "vehicles" (vehicle id → VIN, make, model, year) and, with webhooks on,
  "application_management_token", "webhook_id" and "cloudhook" (whether the callback URL
  is a Home Assistant Cloud cloudhook, whose URL Cloud keeps); its 0.1 releases made
  version 1 entries with none of the vehicles or webhook;
- a device per vehicle, identified by (smartcar, VIN);
- entities with the unique id f"{VIN}_{key}", keys from its const.EntityDescriptionKey.

Plain Python with no Home Assistant imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from .api import SmartcarVehicle
from .catalog import SIGNALS
from .roles import LockControl, NumberControl, SwitchControl, entity_unique_id

if TYPE_CHECKING:
    from .roles import Control, Role

OTHER_VERSION: Final = 2
OTHER_MANAGEMENT_TOKEN: Final = "application_management_token"  # noqa: S105 (a key)
OTHER_CLOUDHOOK: Final = "cloudhook"
OTHER_VEHICLES: Final = "vehicles"

# Its entity keys per platform, and the key of the entity here that shows the same
# quantity (ours: f"{vehicle_id}_{key}"). Sensors, binary sensors and the tracker are the
# catalog's roles, "last_update" the vehicle's sensor of its last delivery; its lock,
# charging switch and charge-limit number are our controls (on an entry with the control
# permissions), its door, trunk and frunk locks our lock binary sensors. Its two keys for
# the time left to charge have one counterpart: the enabled one gets it.
COUNTERPARTS: Final[Mapping[str, Mapping[str, str]]] = {
    "sensor": {
        "battery_capacity": "nominal_capacity",
        "battery_level": "battery_level",
        "low_voltage_battery_level": "low_voltage_battery_level",
        "charging_state": "charging_status",
        "charge_chargerate": "charge_rate",
        "charge_energyadded": "energy_added",
        "charge_time_to_complete": "time_to_complete",
        "charge_timetocomplete": "time_to_complete",
        "charge_voltage": "charging_voltage",
        "charge_amperage": "charging_current",
        "charge_wattage": "charging_power",
        "charge_amperage_max": "charging_current_max",
        "engine_oil": "oil_life",
        "fuel": "fuel_remaining",
        "fuel_percent": "fuel_level",
        "fuel_range": "fuel_range",
        "odometer": "odometer",
        "range": "range",
        "gear_state": "gear",
        "tire_pressure_front_left": "tire_pressure_front_left",
        "tire_pressure_front_right": "tire_pressure_front_right",
        "tire_pressure_back_left": "tire_pressure_rear_left",
        "tire_pressure_back_right": "tire_pressure_rear_right",
        "firmware_version": "firmware_version",
        "last_webhook_received": "last_update",
    },
    "binary_sensor": {
        "plug_status": "plugged_in",
        "battery_heater_active": "battery_heater",
        "charge_fast_charger_present": "fast_charger_present",
        "door_front_left": "door_front_left",
        "door_front_right": "door_front_right",
        "door_back_left": "door_rear_left",
        "door_back_right": "door_rear_right",
        "door_front_left_lock": "door_front_left_lock",
        "door_front_right_lock": "door_front_right_lock",
        "door_back_left_lock": "door_rear_left_lock",
        "door_back_right_lock": "door_rear_right_lock",
        "window_front_left": "window_front_left",
        "window_front_right": "window_front_right",
        "window_back_left": "window_rear_left",
        "window_back_right": "window_rear_right",
        "front_trunk": "frunk",
        "front_trunk_lock": "frunk_lock",
        "rear_trunk": "trunk",
        "rear_trunk_lock": "trunk_lock",
        "engine_cover": "hood",
        "sunroof": "sunroof",
        "online": "online",
        "asleep": "asleep",
        "digital_key_paired": "digital_key_paired",
        "surveillance_enabled": "surveillance",
    },
    "device_tracker": {"location": "location"},
    "lock": {"door_lock": "lock"},
    "switch": {"charging": "charging"},
    "number": {"charge_limit": "charge_limit"},
}

# Its sensors whose unit differs from ours, with the unit they showed: kept as the entity's
# display unit (Home Assistant converts), so numbers in automations keep their meaning.
SHOWN_UNITS: Final[Mapping[str, str]] = {"charge_wattage": "kW"}


# The platform of each kind of the catalog's controls.
_CONTROL_PLATFORMS: Final[Mapping[type[Control], str]] = {
    LockControl: "lock",
    SwitchControl: "switch",
    NumberControl: "number",
}


def _catalog_roles() -> dict[tuple[str, str], Role]:
    roles: dict[tuple[str, str], Role] = {}
    for spec in SIGNALS:
        roles |= {("sensor", role.key): role for role in spec.sensors}
        roles |= {("binary_sensor", role.key): role for role in spec.flags}
        if spec.tracker is not None:
            roles["device_tracker", spec.tracker.key] = spec.tracker
        roles |= {(_CONTROL_PLATFORMS[type(role)], role.key): role for role in spec.controls}
    return roles


# The catalog's entities by platform and key.
CATALOG_ROLES: Final = _catalog_roles()


def is_other_entry(data: Mapping[str, Any]) -> bool:
    """Whether the data of an entry of version 2 are the other integration's (a vehicles map)."""
    return isinstance(data.get(OTHER_VEHICLES), Mapping)


def listed_vehicles(data: Mapping[str, Any]) -> list[SmartcarVehicle]:
    """Its vehicles map as the vehicles a Connect entry here lists."""
    return [
        SmartcarVehicle.from_dict({**details, "id": vehicle_id})
        for vehicle_id, details in data[OTHER_VEHICLES].items()
    ]


@dataclass(frozen=True, slots=True)
class Counterpart:
    """The entity here that one of its entities becomes."""

    unique_id: str
    # Whether a new entity of ours starts enabled; None when the catalog does not say.
    enabled_by_default: bool | None
    # The display unit that keeps what its sensor showed (SHOWN_UNITS).
    shown_unit: str | None


def counterpart(domain: str, unique_id: str, vehicle_ids: Mapping[str, str]) -> Counterpart | None:
    """Our entity for one of its entities (``vehicle_ids`` by VIN), or None if none."""
    vin, _, key = unique_id.partition("_")
    vehicle_id = vehicle_ids.get(vin)
    ours = COUNTERPARTS.get(domain, {}).get(key)
    if vehicle_id is None or ours is None:
        return None
    role = CATALOG_ROLES.get((domain, ours))
    return Counterpart(
        unique_id=entity_unique_id(vehicle_id, ours),
        enabled_by_default=None if role is None else role.enabled,
        shown_unit=SHOWN_UNITS.get(key) if domain == "sensor" else None,
    )
