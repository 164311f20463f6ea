"""Sensors: one catalog entry per value a Smartcar signal carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfLength,
    UnitOfPower,
    UnitOfPressure,
    UnitOfSpeed,
    UnitOfTemperature,
    UnitOfTime,
    UnitOfVolume,
)
from homeassistant.util import dt as dt_util

from .entity import (
    SmartcarEntity,
    SmartcarEntityDescription,
    async_add_catalog_entities,
    index_by_signal,
)
from .issues import is_actionable
from .runtime import STATUS
from .signals import VALUE, Read, UnitFamily, measure

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SmartcarConfigEntry
    from .fleet import SignalState, Vehicle
    from .runtime import SmartcarRuntime

PARALLEL_UPDATES = 0

DIAGNOSTIC = EntityCategory.DIAGNOSTIC
MEASUREMENT = SensorStateClass.MEASUREMENT


@dataclass(frozen=True, kw_only=True)
class SmartcarSensorEntityDescription(SensorEntityDescription, SmartcarEntityDescription):
    """A sensor of the catalog.

    With ``family`` the value is a number whose unit comes from the body (the declared
    native unit is the documented default). With ``options`` it is an enum, lower-cased.
    ``value_fn`` computes values that need more than one field.
    """

    family: UnitFamily | None = None
    value_fn: Callable[[SignalState], datetime | None] | None = None


def _charge_complete_at(state: SignalState) -> datetime | None:
    """When charging completes: the time left, counted from when the car reported it."""
    if state.body is None:
        return None
    left = measure(state.body, VALUE, UnitFamily.DURATION, UnitOfTime.MINUTES)
    start = state.recorded_at or state.retrieved_at
    if left.value is None or start is None:
        return None
    seconds = left.value * {"s": 1, "min": 60, "h": 3600}[left.unit or "min"]
    return dt_util.utc_from_timestamp(start / 1000) + timedelta(seconds=seconds)


def _last_update(_runtime: SmartcarRuntime, vehicle: Vehicle) -> tuple[Any, dict[str, Any]]:
    # Whole seconds: a timestamp sensor shows no finer, and equal values write nothing.
    last = vehicle.last_delivery_at
    return (dt_util.utc_from_timestamp(last // 1000) if last else None), {}


VEHICLE_ERROR_STATES = [
    "none",
    "account_issue",
    "authentication_failed",
    "permission",
    "subscription",
    "virtual_key_required",
    "remote_access_disabled",
    "asleep",
    "unreachable",
    "make_not_compatible",
    "smartcar_not_capable",
    "vehicle_not_capable",
    "other",
]


def _vehicle_error(_runtime: SmartcarRuntime, vehicle: Vehicle) -> tuple[Any, dict[str, Any]]:
    """The most pressing active vehicle error: ones the owner must act on come first."""
    if not vehicle.errors:
        return "none", {}
    errors = sorted(vehicle.errors.values(), key=lambda item: not is_actionable(item))
    error = errors[0]
    state = (error.code or error.type or "other").lower()
    return (state if state in VEHICLE_ERROR_STATES else "other"), {
        "type": error.type,
        "code": error.code,
        "description": error.description,
        "suggested_user_message": error.suggested_user_message,
        "doc_url": error.doc_url,
        "resolution": error.resolution,
        "signals": list(error.signals),
        "active_errors": len(errors),
    }


def _number(
    key: str,
    signal: str,
    family: UnitFamily,
    unit: str | None,
    device_class: SensorDeviceClass | None,
    **kwargs: Any,
) -> SmartcarSensorEntityDescription:
    """A numeric sensor whose unit is read from the body."""
    kwargs.setdefault("state_class", MEASUREMENT)
    return SmartcarSensorEntityDescription(
        key=key,
        translation_key=key,
        signal=signal,
        family=family,
        native_unit_of_measurement=unit,
        device_class=device_class,
        **kwargs,
    )


def _enum(
    key: str, signal: str, options: list[str], **kwargs: Any
) -> SmartcarSensorEntityDescription:
    return SmartcarSensorEntityDescription(
        key=key,
        translation_key=key,
        signal=signal,
        device_class=SensorDeviceClass.ENUM,
        options=options,
        **kwargs,
    )


def _text(
    key: str, signal: str, read: Read = VALUE, **kwargs: Any
) -> SmartcarSensorEntityDescription:
    return SmartcarSensorEntityDescription(
        key=key, translation_key=key, signal=signal, read=read, **kwargs
    )


def _tire(position: str, row: int, column: int) -> SmartcarSensorEntityDescription:
    return _number(
        f"tire_pressure_{position}",
        "wheel-tires",
        UnitFamily.PRESSURE,
        UnitOfPressure.KPA,
        SensorDeviceClass.PRESSURE,
        read=Read("tirePressure", row, column),
        entity_category=DIAGNOSTIC,
        suggested_display_precision=1,
    )


D = SensorDeviceClass
F = UnitFamily

SENSORS: tuple[SmartcarSensorEntityDescription, ...] = (
    # Traction battery and charging
    _number(
        "battery_level",
        "tractionbattery-stateofcharge",
        F.PERCENT,
        PERCENTAGE,
        D.BATTERY,
        suggested_display_precision=0,
    ),
    _number(
        "range",
        "tractionbattery-range",
        F.DISTANCE,
        UnitOfLength.KILOMETERS,
        D.DISTANCE,
        suggested_display_precision=0,
    ),
    _number(
        "nominal_capacity",
        "tractionbattery-nominalcapacity",
        F.ENERGY,
        UnitOfEnergy.KILO_WATT_HOUR,
        D.ENERGY_STORAGE,
        read=Read("capacity"),
        entity_category=DIAGNOSTIC,
    ),
    _number(
        "max_range_charge_counter",
        "tractionbattery-maxrangechargecounter",
        F.COUNT,
        None,
        None,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    _enum(
        "charging_status",
        "charge-detailedchargingstatus",
        ["charging", "not_charging", "fully_charged"],
    ),
    _number(
        "charge_limit",
        "charge-chargelimits",
        F.PERCENT,
        PERCENTAGE,
        None,
        read=Read("activeLimit"),
        suggested_display_precision=0,
    ),
    _number(
        "time_to_complete",
        "charge-timetocomplete",
        F.DURATION,
        UnitOfTime.MINUTES,
        D.DURATION,
        suggested_display_precision=0,
    ),
    SmartcarSensorEntityDescription(
        key="charge_complete_at",
        translation_key="charge_complete_at",
        signal="charge-timetocomplete",
        device_class=D.TIMESTAMP,
        value_fn=_charge_complete_at,
    ),
    _number(
        "charging_power",
        "charge-wattage",
        F.POWER,
        UnitOfPower.WATT,
        D.POWER,
        suggested_display_precision=0,
    ),
    _number(
        "charging_voltage",
        "charge-voltage",
        F.VOLTAGE,
        UnitOfElectricPotential.VOLT,
        D.VOLTAGE,
        suggested_display_precision=0,
    ),
    _number(
        "charging_current",
        "charge-amperage",
        F.CURRENT,
        UnitOfElectricCurrent.AMPERE,
        D.CURRENT,
        suggested_display_precision=1,
    ),
    _number(
        "charging_current_max",
        "charge-amperagemax",
        F.CURRENT,
        UnitOfElectricCurrent.AMPERE,
        D.CURRENT,
        entity_category=DIAGNOSTIC,
    ),
    _number(
        "charging_current_requested",
        "charge-amperagerequested",
        F.CURRENT,
        UnitOfElectricCurrent.AMPERE,
        D.CURRENT,
        entity_category=DIAGNOSTIC,
    ),
    _number(
        "energy_added",
        "charge-energyadded",
        F.ENERGY,
        UnitOfEnergy.KILO_WATT_HOUR,
        D.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
    ),
    _number(
        "charge_rate",
        "charge-chargerate",
        F.SPEED,
        UnitOfSpeed.KILOMETERS_PER_HOUR,
        D.SPEED,
        suggested_display_precision=0,
    ),
    _number(
        "charger_phases",
        "charge-chargerphases",
        F.COUNT,
        None,
        None,
        entity_category=DIAGNOSTIC,
    ),
    _text(
        "charging_connector_type",
        "charge-chargingconnectortype",
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    _text(
        "fast_charger_type",
        "charge-fastchargertype",
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    _enum(
        "charge_port_color",
        "charge-chargeportstatuscolor",
        [
            "off",
            "white",
            "green",
            "blue",
            "orange",
            "yellow",
            "red",
            "purple",
            "flashing_green",
            "flashing_blue",
            "flashing_orange",
            "flashing_red",
        ],
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    # Combustion engine
    _number(
        "fuel_level",
        "internalcombustionengine-fuellevel",
        F.PERCENT,
        PERCENTAGE,
        None,
        suggested_display_precision=0,
    ),
    _number(
        "fuel_remaining",
        "internalcombustionengine-amountremaining",
        F.VOLUME,
        UnitOfVolume.LITERS,
        D.VOLUME_STORAGE,
        suggested_display_precision=1,
    ),
    _number(
        "fuel_range",
        "internalcombustionengine-range",
        F.DISTANCE,
        UnitOfLength.KILOMETERS,
        D.DISTANCE,
        suggested_display_precision=0,
    ),
    _number(
        "oil_life",
        "internalcombustionengine-oillife",
        F.PERCENT,
        PERCENTAGE,
        None,
        suggested_display_precision=0,
    ),
    # Driving
    _number(
        "odometer",
        "odometer-traveleddistance",
        F.DISTANCE,
        UnitOfLength.KILOMETERS,
        D.DISTANCE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=0,
    ),
    _number(
        "speed",
        "motion-currentspeed",
        F.SPEED,
        UnitOfSpeed.KILOMETERS_PER_HOUR,
        D.SPEED,
        suggested_display_precision=0,
    ),
    _enum("gear", "transmission-gearstate", ["park", "drive", "reverse", "neutral"]),
    _text(
        "drive_mode",
        "transmission-drivemode",
        Read("canonical"),
        entity_registry_enabled_default=False,
    ),
    # 12 V battery, climate. Not of device class battery: Home Assistant shows a device's
    # first battery-class entity as its battery badge, and a car's battery is the traction
    # battery ("Battery"), whatever order the signals arrive in.
    _number(
        "low_voltage_battery_level",
        "lowvoltagebattery-stateofcharge",
        F.PERCENT,
        PERCENTAGE,
        None,
        entity_category=DIAGNOSTIC,
    ),
    _enum(
        "low_voltage_battery_status",
        "lowvoltagebattery-status",
        ["good", "warn", "bad"],
        entity_category=DIAGNOSTIC,
    ),
    _number(
        "outside_temperature",
        "climate-externaltemperature",
        F.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
        D.TEMPERATURE,
        suggested_display_precision=1,
    ),
    _number(
        "cabin_temperature",
        "climate-internaltemperature",
        F.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
        D.TEMPERATURE,
        suggested_display_precision=1,
    ),
    _number(
        "target_temperature",
        "hvac-cabintargettemperature",
        F.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
        D.TEMPERATURE,
        suggested_display_precision=1,
    ),
    # Tires, diagnostics, identity
    _tire("front_left", 0, 0),
    _tire("front_right", 0, 1),
    _tire("rear_left", 1, 0),
    _tire("rear_right", 1, 1),
    _number(
        "dtc_count",
        "diagnostics-dtccount",
        F.COUNT,
        None,
        None,
        entity_category=DIAGNOSTIC,
    ),
    _text(
        "firmware_version",
        "connectivitysoftware-currentfirmwareversion",
        entity_category=DIAGNOSTIC,
    ),
    _text(
        "exterior_color",
        "vehicleidentification-exteriorcolor",
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    _text(
        "account_role",
        "vehicleuseraccount-role",
        entity_category=DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    # The vehicle itself: the last accepted delivery, and what Smartcar reports wrong.
    SmartcarSensorEntityDescription(
        key="last_update",
        translation_key="last_update",
        signal=None,
        device_class=D.TIMESTAMP,
        entity_category=DIAGNOSTIC,
        # It changes with every delivery: enabled, it writes a state (recorder, logbook)
        # each time even when no value changed. "Reporting" tells freshness without that.
        entity_registry_enabled_default=False,
        vehicle_value=_last_update,
    ),
    SmartcarSensorEntityDescription(
        key="vehicle_error",
        translation_key="vehicle_error",
        signal=STATUS,
        device_class=D.ENUM,
        options=VEHICLE_ERROR_STATES,
        entity_category=DIAGNOSTIC,
        vehicle_value=_vehicle_error,
    ),
)

CATALOG = index_by_signal(SENSORS)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartcarConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor for each catalog entry of each signal a vehicle delivers."""
    async_add_catalog_entities(entry, async_add_entities, CATALOG, SmartcarSensor)


class SmartcarSensor(SmartcarEntity, SensorEntity):
    """A sensor showing one value of a signal."""

    entity_description: SmartcarSensorEntityDescription

    def _show(self, state: SignalState) -> Hashable:
        description = self.entity_description
        body = state.body or {}
        value: Any
        if description.value_fn is not None:
            value = description.value_fn(state)
        elif description.family is not None:
            measurement = measure(
                body,
                description.read,
                description.family,
                description.native_unit_of_measurement or "",
            )
            value = measurement.value
            if description.native_unit_of_measurement is not None:
                self._attr_native_unit_of_measurement = measurement.unit
            self._runtime.note_unit(self._vehicle_id, description.key, measurement.note)
        elif description.options is not None:
            raw = description.read(body)
            value = raw.lower() if isinstance(raw, str) else None
            if value not in description.options:
                value = None
        else:
            raw = description.read(body)
            value = raw if isinstance(raw, str) and raw else None
        self._set_value(value)
        return (value, self.native_unit_of_measurement)

    def _set_value(self, value: Any) -> None:
        self._attr_native_value = value
