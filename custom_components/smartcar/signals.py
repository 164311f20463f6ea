"""How to read Smartcar signal bodies: positions, units and plausible ranges.

Plain Python with no Home Assistant imports. The platform files declare which entity each
signal becomes; this module says how a body is read. Units are normalised to the strings
Home Assistant uses for its own units (``km``, ``°C``, ``kPa``...), so a sensor can declare
the delivered unit as its native unit and let Home Assistant convert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Mapping


class UnitFamily(StrEnum):
    """What a number measures; each family accepts only its own units."""

    DISTANCE = "distance"
    PERCENT = "percent"
    ENERGY = "energy"
    CURRENT = "current"
    VOLTAGE = "voltage"
    POWER = "power"
    SPEED = "speed"
    TEMPERATURE = "temperature"
    VOLUME = "volume"
    PRESSURE = "pressure"
    DURATION = "duration"
    COUNT = "count"


# Canonical unit → family. The canonical strings equal Home Assistant's unit constants.
UNIT_FAMILIES: Final[dict[str, UnitFamily]] = {
    "km": UnitFamily.DISTANCE,
    "mi": UnitFamily.DISTANCE,
    "%": UnitFamily.PERCENT,
    "kWh": UnitFamily.ENERGY,
    "Wh": UnitFamily.ENERGY,
    "A": UnitFamily.CURRENT,
    "V": UnitFamily.VOLTAGE,
    "W": UnitFamily.POWER,
    "kW": UnitFamily.POWER,
    "km/h": UnitFamily.SPEED,
    "mph": UnitFamily.SPEED,
    "°C": UnitFamily.TEMPERATURE,
    "°F": UnitFamily.TEMPERATURE,
    "L": UnitFamily.VOLUME,
    "gal": UnitFamily.VOLUME,
    "bar": UnitFamily.PRESSURE,
    "kPa": UnitFamily.PRESSURE,
    "psi": UnitFamily.PRESSURE,
    "min": UnitFamily.DURATION,
    "s": UnitFamily.DURATION,
    "h": UnitFamily.DURATION,
    "": UnitFamily.COUNT,
}

# Every spelling seen in Smartcar's catalog pages, its OpenAPI enum and live captures,
# plus the obvious singular and symbol forms. Keys are compared lower-cased and trimmed.
_SPELLINGS: Final[dict[str, tuple[str, ...]]] = {
    "km": ("km", "kilometer", "kilometers", "kilometre", "kilometres"),
    "mi": ("mi", "mile", "miles"),
    "%": ("%", "percent", "percentage", "pct"),
    "kWh": (
        "kwh",
        "kwhr",
        "kw_h",
        "kilowatt_hour",
        "kilowatt_hours",
        "kilowatt-hour",
        "kilowatt-hours",
        "kilowatt hours",
        "kilowatthours",
    ),
    "Wh": ("wh", "watt_hours", "watt-hours", "watthours"),
    "A": ("a", "amp", "amps", "ampere", "amperes"),
    "V": ("v", "volt", "volts"),
    "W": ("w", "watt", "watts"),
    "kW": ("kw", "kilowatt", "kilowatts"),
    "km/h": (
        "km/h",
        "kph",
        "kmh",
        "kmph",
        "kilometers_per_hour",
        "kilometers-per-hour",
        "kilometres_per_hour",
    ),
    "mph": ("mph", "mi/h", "miles_per_hour", "miles-per-hour"),
    "°C": ("°c", "c", "celsius", "degrees-celsius", "degrees_celsius", "degc"),
    "°F": ("°f", "f", "fahrenheit", "degrees-fahrenheit", "degrees_fahrenheit", "degf"),
    "L": ("l", "liter", "liters", "litre", "litres"),
    "gal": ("gal", "gallon", "gallons"),
    "bar": ("bar", "bars"),
    "kPa": ("kpa", "kilopascal", "kilopascals"),
    "psi": ("psi",),
    "min": ("min", "mins", "minute", "minutes"),
    "s": ("s", "sec", "secs", "second", "seconds"),
    "h": ("h", "hr", "hrs", "hour", "hours"),
    "": ("count",),
}
UNIT_SPELLINGS: Final[dict[str, str]] = {
    spelling: unit for unit, spellings in _SPELLINGS.items() for spelling in spellings
}

# Plausible tire pressures per unit. A live capture said "bar" with values near 258, which
# only kPa explains; see normalise_pressure.
PRESSURE_RANGES: Final[dict[str, tuple[float, float]]] = {
    "bar": (0.5, 7.0),
    "psi": (7.0, 100.0),
    "kPa": (50.0, 700.0),
}
PRESSURE_FALLBACKS: Final = ("kPa", "bar", "psi")


# What a car can report, per quantity in its catalog unit (catalog entries may narrow it):
# a number outside is not shown. The lowest values allow what some cars report, a car
# feeding the grid (negative current and power) or reversing (negative speed).
PLAUSIBLE_RANGES: Final[dict[str, tuple[float, float]]] = {
    "%": (0, 100),
    "km": (0, 5_000_000),  # an odometer's; a car's range is narrower (catalog)
    "kWh": (0, 1000),
    "A": (-1000, 1000),
    "V": (0, 2000),
    "W": (-2_000_000, 2_000_000),
    "km/h": (-100, 5000),  # a speed, or the range charging adds per hour
    "°C": (-70, 100),
    "L": (0, 2000),
    "kPa": (0, 1000),
    "min": (0, 14 * 24 * 60),
    "": (0, 1_000_000),
}

# Each unit as a multiple of its family's unit in PLAUSIBLE_RANGES (temperatures apart).
_FACTORS: Final[dict[str, float]] = {
    "km": 1,
    "mi": 1.609344,
    "%": 1,
    "kWh": 1,
    "Wh": 0.001,
    "A": 1,
    "V": 1,
    "W": 1,
    "kW": 1000,
    "km/h": 1,
    "mph": 1.609344,
    "L": 1,
    "gal": 3.785411784,
    "bar": 100,
    "kPa": 1,
    "psi": 6.894757293168361,
    "min": 1,
    "s": 1 / 60,
    "h": 60,
    "": 1,
}


def convert(value: float, unit: str, to: str) -> float:
    """``value`` in ``unit`` expressed in ``to``, a unit of the same family."""
    if UNIT_FAMILIES[unit] is UnitFamily.TEMPERATURE:
        celsius = (value - 32) * 5 / 9 if unit == "°F" else value
        return celsius * 9 / 5 + 32 if to == "°F" else celsius
    return value * _FACTORS[unit] / _FACTORS[to]


def canonical_unit(raw: Any) -> str | None:
    """Home Assistant's spelling of a Smartcar unit string, or ``None`` if unknown."""
    if not isinstance(raw, str):
        return None
    return UNIT_SPELLINGS.get(raw.strip().lower())


@dataclass(frozen=True, slots=True)
class Read:
    """Where a value sits in a signal body.

    ``Read()`` is the plain ``value``; ``Read("isOpen")`` a named field; with ``row`` and
    ``column`` it is that field of the matching item of ``values[]`` (row 0 is the front,
    column 0 the left); with ``any_item`` it is whether any item's field is true.
    """

    field: str = "value"
    row: int | None = None
    column: int | None = None
    any_item: bool = False

    def __call__(self, body: Mapping[str, Any]) -> Any:
        """The value at this position, or ``None`` when the body does not carry it."""
        if self.any_item:
            flags = [item.get(self.field) for item in _items(body)]
            known = [flag for flag in flags if isinstance(flag, bool)]
            return any(known) if known else None
        if self.row is None:
            return body.get(self.field)
        for item in _items(body):
            if item.get("row") == self.row and item.get("column") == self.column:
                return item.get(self.field)
        return None


VALUE: Final = Read()


def _items(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    values = body.get("values")
    if not isinstance(values, list):
        return []
    return [item for item in values if isinstance(item, dict)]


@dataclass(frozen=True, slots=True)
class Measurement:
    """A number with its canonical unit, and a note when the unit needed attention."""

    value: float | int | None
    unit: str | None
    note: str | None = None


def measure(body: Mapping[str, Any], read: Read, default_unit: str) -> Measurement:
    """Read a number and its unit from a body.

    The unit comes from the body's ``unit`` field. A missing unit means the catalog's
    documented default (Smartcar often omits ``minutes``, for example), whose family decides
    which units are accepted. A unit that is not in the table, or that belongs to another
    family, is never guessed: the value is withheld and the note says why, for diagnostics.
    """
    family = UNIT_FAMILIES[default_unit]
    value = read(body)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Measurement(value=None, unit=default_unit)
    raw_unit = body.get("unit")
    if raw_unit is None or family is UnitFamily.COUNT:
        unit = default_unit
    else:
        unit_or_none = canonical_unit(raw_unit)
        if unit_or_none is None or UNIT_FAMILIES[unit_or_none] is not family:
            return Measurement(value=None, unit=default_unit, note=f"unknown unit {raw_unit!r}")
        unit = unit_or_none
    if family is UnitFamily.PRESSURE:
        return normalise_pressure(value, unit)
    if family is UnitFamily.PERCENT:
        return normalise_percent(value)
    return Measurement(value=value, unit=unit)


def plausible_number(
    body: Mapping[str, Any],
    read: Read,
    default_unit: str,
    limits: tuple[float, float] | None = None,
) -> bool:
    """Whether the number at ``read`` could be true: within ``limits`` in ``default_unit``.

    ``limits`` default to the unit's PLAUSIBLE_RANGES. No value (or ``null``) is unknown,
    which is plausible; so is a number of an unknown unit, which is withheld and noted
    (``measure``). Anything else where a number belongs, a list or a text, is not.
    """
    raw = read(body)
    if raw is None:
        return True
    measurement = measure(body, read, default_unit)
    if measurement.value is None:
        return measurement.note is not None
    low, high = limits or PLAUSIBLE_RANGES[default_unit]
    # A NaN fails both comparisons, an infinity one.
    return low <= convert(measurement.value, measurement.unit or default_unit, default_unit) <= high


def normalise_pressure(value: float, unit: str) -> Measurement:
    """Take a tire pressure in its stated unit if plausible there, else in the unit it fits.

    A value that fits the stated unit's range is kept. One that fits kPa (then bar, then
    psi) instead is taken in that unit, and the correction is noted for diagnostics. A
    value that fits nothing (0 from a missing sensor, say) stays as stated, noted.
    """
    low, high = PRESSURE_RANGES[unit]
    if low <= value <= high:
        return Measurement(value=value, unit=unit)
    for candidate in PRESSURE_FALLBACKS:
        low, high = PRESSURE_RANGES[candidate]
        if candidate != unit and low <= value <= high:
            return Measurement(
                value=value,
                unit=candidate,
                note=f"{value} {unit} is implausible; read as {candidate}",
            )
    return Measurement(value=value, unit=unit, note=f"{value} {unit} is implausible for a tire")


def charge_complete_at(body: Mapping[str, Any], recorded_at: int | None) -> datetime | None:
    """When charging completes: the time left, counted from when the car reported it."""
    left = measure(body, VALUE, "min")
    if left.value is None or recorded_at is None:
        return None
    minutes = convert(left.value, left.unit or "min", "min")
    try:
        return datetime.fromtimestamp(recorded_at / 1000, UTC) + timedelta(minutes=minutes)
    except (OverflowError, ValueError):  # past 9999: no moment (plausible ones never are)
        return None


def normalise_percent(value: float) -> Measurement:
    """A percentage as Smartcar documents it (0-100), from one some cars send as a fraction.

    Some payloads carry 0.57 for 57 %. A number strictly between 0 and 1 is read as such a
    fraction, and the correction is noted for diagnostics: no car reports its battery, tank
    or charge limit below 1 %. 0 and 1 are ambiguous and stay as delivered: 1 is read as
    1 %, because the other reading of an empty battery (full) is the worse mistake, and a
    car that sends fractions shows 1 % only while exactly full, until its next delivery.
    """
    if not 0 < value < 1:
        return Measurement(value=value, unit="%")
    # Rounded (0.57 * 100 is 56.99999999999999), and whole as a car sends whole percents.
    rounded = round(value * 100, 6)
    percent = int(rounded) if rounded.is_integer() else rounded
    note = f"{value} is a fraction; read as {percent:g} %"
    return Measurement(value=percent, unit="%", note=note)


# Makes arrive in upper case ("VOLKSWAGEN"); these keep the spelling their makers use
# (Smartcar's brands and their siblings); any other is title-cased ("KIA" is "Kia").
_MAKE_SPELLINGS: Final = {
    make.upper(): make
    for make in (
        *("BMW", "BYD", "CUPRA", "DS", "GMC", "MG", "MINI", "NIO", "VW", "XPENG"),
        *("Citroën", "McLaren", "smart", "Škoda"),
    )
} | {"CITROEN": "Citroën", "SKODA": "Škoda"}


def display_make(make: str | None) -> str | None:
    """A car maker's name as the maker writes it: ``"KIA"`` → ``"Kia"``, ``"BYD"`` stays."""
    if not make:
        return None
    return _MAKE_SPELLINGS.get(make.upper()) or make.title()
