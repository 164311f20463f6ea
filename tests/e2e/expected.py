"""What Home Assistant's states should show for a vehicle's signal values.

Two independent sources of expectations, both checked:

* :func:`catalog_expectations` reads the integration's own catalog (catalog.py: its sensor,
  flag and position roles) and applies each role's read path, unit family and
  on/off rule to the bodies the simulator sent. It covers every entity of every delivered
  signal, so a catalog entry whose entity is missing or shows something else is caught.
* :func:`plain_expectations` is a hand-written table for the values that matter most
  (battery, range, charging, lock, doors, trunk, windows, odometer, speed, location, tires,
  12 V battery, online), read straight from the simulator's bodies without the catalog's
  helpers, so a wrong read path in the catalog cannot hide behind itself.

Numbers are compared after converting to the unit the state shows, so Home Assistant may
convert units as it likes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import math
from typing import Any

from homeassistant.util import unit_conversion

from custom_components.smartcar.binary_sensor import BINARY_SENSORS
from custom_components.smartcar.catalog import SIGNALS
from custom_components.smartcar.device_tracker import TRACKERS
from custom_components.smartcar.roles import Choice, Moment, Number, Role
from custom_components.smartcar.sensor import SENSORS
from custom_components.smartcar.signals import measure

UNKNOWN = "unknown"
POSITIONS = {"front_left": (0, 0), "front_right": (0, 1), "rear_left": (1, 0), "rear_right": (1, 1)}
CONVERTERS: tuple[type[unit_conversion.BaseUnitConverter], ...] = tuple(
    converter
    for converter in vars(unit_conversion).values()
    if isinstance(converter, type)
    and issubclass(converter, unit_conversion.BaseUnitConverter)
    and converter is not unit_conversion.BaseUnitConverter
)


@dataclass(frozen=True, slots=True)
class Expectation:
    """One entity's expected look: a state string, a number with its unit, or a position."""

    platform: str
    state: str | None = None
    number: float | None = None
    unit: str | None = None
    position: tuple[float, float] | None = None

    def mismatch(self, shown: Mapping[str, Any] | None) -> str | None:
        """Why ``shown`` (a state object from ``/api/states``) differs; ``None`` if it matches."""
        if shown is None:
            return "no state"
        state = shown["state"]
        attributes = shown.get("attributes", {})
        if self.position is not None:
            position = (attributes.get("latitude"), attributes.get("longitude"))
            return None if position == self.position else f"at {position}, not {self.position}"
        if self.number is not None:
            return _number_mismatch(self.number, self.unit, state, attributes)
        return None if state == self.state else f"{state!r}, not {self.state!r}"


def _number_mismatch(
    expected: float, unit: str | None, state: str, attributes: Mapping[str, Any]
) -> str | None:
    try:
        value = float(state)
    except ValueError:
        return f"{state!r}, not the number {expected} {unit or ''}"
    shown_unit = attributes.get("unit_of_measurement")
    if unit and shown_unit != unit:
        converter = next((c for c in CONVERTERS if {unit, shown_unit} <= set(c.VALID_UNITS)), None)
        if converter is None:
            return f"{state} {shown_unit}, not {expected} {unit} (no conversion known)"
        expected = converter.convert(expected, unit, shown_unit)
    if math.isclose(value, expected, rel_tol=1e-3, abs_tol=1e-6):
        return None
    return f"{state} {shown_unit or ''}, not {expected} {shown_unit or unit or ''}"


def _on_off(value: bool | None) -> str:
    return UNKNOWN if value is None else ("on" if value else "off")


def catalog_expectations(signals: Mapping[str, Any]) -> dict[str, Expectation]:
    """Per catalog key, what the entity of a delivered signal should show.

    Entities of the vehicle itself and computed times (``Moment`` roles, such as the charge
    completion time) are left to the tests that know the timeline.
    """
    expected: dict[str, Expectation] = {}
    enabled = catalog_keys(signals)
    for spec in SIGNALS:
        body = signals.get(spec.code)
        if body is None:
            continue
        for role in spec.sensors:
            if role.key in enabled and not isinstance(role, Moment):
                expected[role.key] = _sensor_expectation(role, spec.unit, body)
        for flag in spec.flags:
            if flag.key in enabled:
                value = flag.on(flag.read(body))
                expected[flag.key] = Expectation("binary_sensor", state=_on_off(value))
        if spec.tracker is not None and spec.tracker.key in enabled:
            position = (body["latitude"], body["longitude"])
            expected[spec.tracker.key] = Expectation("device_tracker", position=position)
    return expected


def _sensor_expectation(role: Role, unit: str | None, body: Mapping[str, Any]) -> Expectation:
    """A number in its unit, an enum option (lower case) or a text, per the catalog role."""
    if isinstance(role, Number):
        measured = measure(body, role.read, unit or "")
        if measured.value is None:
            return Expectation("sensor", state=UNKNOWN)
        return Expectation(
            "sensor", number=measured.value, unit=(measured.unit or None) if unit else None
        )
    raw = role.read(body)
    if isinstance(role, Choice):
        raw = raw.lower() if isinstance(raw, str) else None
        raw = raw if raw in role.options else None
    return Expectation("sensor", state=raw if isinstance(raw, str) and raw else UNKNOWN)


def plain_expectations(signals: Mapping[str, Any]) -> dict[str, Expectation]:
    """The hand-written table (see the module docstring), keyed by catalog key."""

    def value(code: str) -> Any:
        return signals[code]["value"]

    def cell(code: str, position: str, field: str) -> Any:
        row, column = POSITIONS[position]
        return next(
            item[field]
            for item in signals[code]["values"]
            if (item["row"], item["column"]) == (row, column)
        )

    def number(code: str, unit: str) -> Expectation:
        return Expectation("sensor", number=value(code), unit=unit)

    def flag(on: bool) -> Expectation:
        return Expectation("binary_sensor", state="on" if on else "off")

    doors = [item["isOpen"] for item in signals["closure-doors"]["values"]]
    windows = [item["isOpen"] for item in signals["closure-windows"]["values"]]
    location = signals["location-preciselocation"]
    tires = signals["wheel-tires"]
    table = {
        "battery_level": number("tractionbattery-stateofcharge", "%"),
        "range": number("tractionbattery-range", "km"),
        "charging": flag(value("charge-ischarging")),
        "plugged_in": flag(value("charge-ischargingcableconnected")),
        "charging_status": Expectation(
            "sensor", state=value("charge-detailedchargingstatus").lower()
        ),
        # The lock device class is "on" when unlocked.
        "lock": flag(not value("closure-islocked")),
        "any_door_open": flag(any(doors)),
        "any_window_open": flag(any(windows)),
        "trunk": flag(signals["closure-reartrunk"]["isOpen"]),
        "odometer": number("odometer-traveleddistance", "km"),
        "speed": number("motion-currentspeed", "km/h"),
        "location": Expectation(
            "device_tracker", position=(location["latitude"], location["longitude"])
        ),
        "low_voltage_battery_level": number("lowvoltagebattery-stateofcharge", "%"),
        "online": flag(value("connectivitystatus-isonline")),
    }
    for position in POSITIONS:
        table[f"door_{position}"] = flag(cell("closure-doors", position, "isOpen"))
        table[f"window_{position}"] = flag(cell("closure-windows", position, "isOpen"))
        table[f"tire_pressure_{position}"] = Expectation(
            "sensor", number=cell("wheel-tires", position, "tirePressure"), unit=tires["unit"]
        )
    return table


def catalog_keys(signals: Mapping[str, Any]) -> set[str]:
    """Every catalog key with an enabled entity for the delivered signals.

    The vehicle's own entities are included; entities disabled by default are not.
    """
    return {
        description.key
        for description in (*SENSORS, *BINARY_SENSORS, *TRACKERS)
        if (description.topic in signals or description.vehicle_value is not None)
        and description.entity_registry_enabled_default
    }
