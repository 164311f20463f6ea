"""Sensors: the catalog's numbers, enums, texts and times, and the vehicle's own.

The vehicle's own: its last delivery, its most pressing error and, on entries that call
Smartcar's API, its calls this month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers.event import async_track_utc_time_change
from homeassistant.util import dt as dt_util

from .catalog import SIGNALS
from .dispatch import VehicleTopic
from .entity import (
    SmartcarEntity,
    SmartcarEntityDescription,
    VehicleValue,
    async_add_catalog_entities,
    index_by_topic,
    role_fields,
)
from .roles import Choice, Moment, Number, Text
from .signals import measure
from .vehicle_errors import ERROR_STATES, as_dict, error_state, most_pressing

if TYPE_CHECKING:
    from collections.abc import Hashable
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SmartcarConfigEntry
    from .catalog import SignalSpec
    from .control import VehicleControl
    from .fleet import SignalState, Vehicle
    from .roles import SensorRole
    from .runtime import SmartcarRuntime

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartcarSensorEntityDescription(SensorEntityDescription, SmartcarEntityDescription):
    """A sensor of a catalog role (Number, Choice, Text or Moment), or of the vehicle."""


def _description(spec: SignalSpec, role: SensorRole) -> SmartcarSensorEntityDescription:
    """A catalog role as Home Assistant's sensor description."""
    fields = role_fields(spec, role)
    match role:
        case Number():
            return SmartcarSensorEntityDescription(
                **fields,
                device_class=SensorDeviceClass(role.device_class) if role.device_class else None,
                native_unit_of_measurement=spec.unit or None,
                state_class=SensorStateClass(role.statistics) if role.statistics else None,
                suggested_display_precision=role.precision,
            )
        case Choice():
            return SmartcarSensorEntityDescription(
                **fields, device_class=SensorDeviceClass.ENUM, options=list(role.options)
            )
        case Moment():
            return SmartcarSensorEntityDescription(
                **fields, device_class=SensorDeviceClass.TIMESTAMP
            )
        case Text():
            return SmartcarSensorEntityDescription(**fields)


def _last_update(_runtime: SmartcarRuntime, vehicle: Vehicle) -> tuple[Any, dict[str, Any]]:
    # Whole seconds: a timestamp sensor shows no finer, and equal values write nothing.
    last = vehicle.last_delivery_at
    return (dt_util.utc_from_timestamp(last // 1000) if last else None), {}


def _vehicle_error(_runtime: SmartcarRuntime, vehicle: Vehicle) -> tuple[Any, dict[str, Any]]:
    """The most pressing active vehicle error: ones the owner must act on come first."""
    if not vehicle.errors:
        return "none", {}
    errors = most_pressing(vehicle.errors.values())
    return error_state(errors[0]), {**as_dict(errors[0]), "active_errors": len(errors)}


def _api_calls(runtime: SmartcarRuntime, vehicle: Vehicle) -> tuple[Any, dict[str, Any]]:
    """The calls counted this month, and when the month started (the count's last reset)."""
    calls = cast("VehicleControl", runtime.control).calls  # only on entries with controls
    return (calls.calls_used(vehicle.id), calls.month_starts_at()), {}


def _of_vehicle(
    key: str, topic: VehicleTopic, value: VehicleValue, **fields: Any
) -> SmartcarSensorEntityDescription:
    """A diagnostic sensor of the vehicle itself, named by its key."""
    return SmartcarSensorEntityDescription(
        key=key,
        translation_key=key,
        topic=topic,
        entity_category=EntityCategory.DIAGNOSTIC,
        vehicle_value=value,
        **fields,
    )


SENSORS: tuple[SmartcarSensorEntityDescription, ...] = (
    *(_description(spec, role) for spec in SIGNALS for role in spec.sensors),
    # The vehicle itself: the last accepted delivery, and what Smartcar reports wrong.
    _of_vehicle(
        "last_update",
        VehicleTopic.DELIVERY,
        _last_update,
        device_class=SensorDeviceClass.TIMESTAMP,
        # It changes with every delivery: enabled, it writes a state (recorder, logbook)
        # each time even when no value changed. "Reporting" tells freshness without that.
        entity_registry_enabled_default=False,
    ),
    _of_vehicle(
        "vehicle_error",
        VehicleTopic.STATUS,
        _vehicle_error,
        device_class=SensorDeviceClass.ENUM,
        options=list(ERROR_STATES),
    ),
)

BY_TOPIC = index_by_topic(SENSORS)


# On entries that call Smartcar: each call about the vehicle notifies its status (control.py).
API_CALLS = _of_vehicle(
    "api_calls", VehicleTopic.STATUS, _api_calls, state_class=SensorStateClass.TOTAL
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor for each catalog entry of each signal a vehicle delivers.

    Entries that call Smartcar's API also count each vehicle's calls.
    """
    async_add_catalog_entities(entry, async_add_entities, BY_TOPIC, SmartcarSensor)
    if entry.runtime_data.control is not None:
        async_add_catalog_entities(
            entry, async_add_entities, {API_CALLS.topic: (API_CALLS,)}, ApiCallsSensor
        )


class SmartcarSensor(SmartcarEntity, SensorEntity):
    """A sensor showing one value of a signal (or of the vehicle)."""

    entity_description: SmartcarSensorEntityDescription

    def _value(self, state: SignalState) -> Hashable:
        description = self.entity_description
        body = state.body or {}
        match description.role:
            case Number(read=read):
                unit = description.native_unit_of_measurement
                measurement = measure(body, read, unit or "")
                # A count has no unit, whatever a delivery says.
                return (measurement.value, measurement.unit if unit else None)
            case Moment(compute=compute):
                # Counted from when the car (else Smartcar) recorded the time left.
                return compute(body, state.recorded_at or state.retrieved_at)
            case Choice(read=read, options=options):
                raw = read(body)
                choice = raw.lower() if isinstance(raw, str) else None
                return choice if choice in options else None
            case Text(read=read):
                raw = read(body)
                return raw if isinstance(raw, str) and raw else None
        return None

    def _set_value(self, value: Any) -> None:
        if isinstance(self.entity_description.role, Number):
            self._attr_native_value, self._attr_native_unit_of_measurement = value
        else:
            self._attr_native_value = value


class ApiCallsSensor(SmartcarSensor):
    """The vehicle's Smartcar API calls this month (UTC): a total that restarts monthly."""

    async def async_added_to_hass(self) -> None:
        """Show the count, and look again each midnight (UTC): a new month starts at zero."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_track_utc_time_change(self.hass, self._midnight, hour=0, minute=0, second=0)
        )

    @callback
    def _midnight(self, _now: datetime) -> None:
        self._handle_change()

    def _set_value(self, value: Any) -> None:
        self._attr_native_value, self._attr_last_reset = value
