"""Unit tests for reading signal bodies: unit spellings, positions, measure and tire pressures.

Plain Python, no Home Assistant: the canonical unit strings are compared with Home
Assistant's own constants as literals, so a sensor can declare them as native units.
"""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.smartcar.signals import (
    PRESSURE_FALLBACKS,
    PRESSURE_RANGES,
    UNIT_FAMILIES,
    UNIT_SPELLINGS,
    VALUE,
    Measurement,
    Read,
    UnitFamily,
    canonical_unit,
    display_make,
    measure,
    normalise_pressure,
    plausible_number,
)

# Every spelling PROTOCOL.md section 8 "Units" lists, with Home Assistant's unit string.
DOCUMENTED_SPELLINGS: list[tuple[str, str, UnitFamily]] = [
    ("km", "km", UnitFamily.DISTANCE),
    ("kilometers", "km", UnitFamily.DISTANCE),
    ("mi", "mi", UnitFamily.DISTANCE),
    ("miles", "mi", UnitFamily.DISTANCE),
    ("percent", "%", UnitFamily.PERCENT),
    ("percentage", "%", UnitFamily.PERCENT),
    ("kWh", "kWh", UnitFamily.ENERGY),
    ("kWhr", "kWh", UnitFamily.ENERGY),
    ("kilowatt_hours", "kWh", UnitFamily.ENERGY),
    ("kilowatt-hours", "kWh", UnitFamily.ENERGY),
    ("amps", "A", UnitFamily.CURRENT),
    ("ampere", "A", UnitFamily.CURRENT),
    ("volts", "V", UnitFamily.VOLTAGE),
    ("watts", "W", UnitFamily.POWER),
    ("kilowatts", "kW", UnitFamily.POWER),
    ("kph", "km/h", UnitFamily.SPEED),
    ("km/h", "km/h", UnitFamily.SPEED),
    ("mph", "mph", UnitFamily.SPEED),
    ("miles_per_hour", "mph", UnitFamily.SPEED),
    ("celsius", "°C", UnitFamily.TEMPERATURE),
    ("degrees-celsius", "°C", UnitFamily.TEMPERATURE),
    ("fahrenheit", "°F", UnitFamily.TEMPERATURE),
    ("liters", "L", UnitFamily.VOLUME),
    ("gallons", "gal", UnitFamily.VOLUME),
    ("bar", "bar", UnitFamily.PRESSURE),
    ("kPa", "kPa", UnitFamily.PRESSURE),
    ("psi", "psi", UnitFamily.PRESSURE),
    ("minutes", "min", UnitFamily.DURATION),
    ("seconds", "s", UnitFamily.DURATION),
    ("hours", "h", UnitFamily.DURATION),
    ("count", "", UnitFamily.COUNT),
]

# Home Assistant's unit constants (homeassistant.const), as the strings they hold.
HOME_ASSISTANT_UNITS = {
    "km",  # UnitOfLength.KILOMETERS
    "mi",  # UnitOfLength.MILES
    "%",  # PERCENTAGE
    "kWh",  # UnitOfEnergy.KILO_WATT_HOUR
    "Wh",  # UnitOfEnergy.WATT_HOUR
    "A",  # UnitOfElectricCurrent.AMPERE
    "V",  # UnitOfElectricPotential.VOLT
    "W",  # UnitOfPower.WATT
    "kW",  # UnitOfPower.KILO_WATT
    "km/h",  # UnitOfSpeed.KILOMETERS_PER_HOUR
    "mph",  # UnitOfSpeed.MILES_PER_HOUR
    "°C",  # UnitOfTemperature.CELSIUS
    "°F",  # UnitOfTemperature.FAHRENHEIT
    "L",  # UnitOfVolume.LITERS
    "gal",  # UnitOfVolume.GALLONS
    "bar",  # UnitOfPressure.BAR
    "kPa",  # UnitOfPressure.KPA
    "psi",  # UnitOfPressure.PSI
    "min",  # UnitOfTime.MINUTES
    "s",  # UnitOfTime.SECONDS
    "h",  # UnitOfTime.HOURS
    "",  # a plain count
}

# The default unit passed to measure(); where it differs from the body's, the body's wins.
OTHER_UNIT_OF_FAMILY: dict[UnitFamily, str] = {
    UnitFamily.DISTANCE: "mi",
    UnitFamily.PERCENT: "%",
    UnitFamily.ENERGY: "Wh",
    UnitFamily.CURRENT: "A",
    UnitFamily.VOLTAGE: "V",
    UnitFamily.POWER: "W",
    UnitFamily.SPEED: "mph",
    UnitFamily.TEMPERATURE: "°F",
    UnitFamily.VOLUME: "gal",
    UnitFamily.PRESSURE: "psi",
    UnitFamily.DURATION: "min",
    UnitFamily.COUNT: "",
}


# --- Unit table ------------------------------------------------------------------------


@pytest.mark.parametrize(("spelling", "unit", "family"), DOCUMENTED_SPELLINGS)
def test_documented_spelling_maps_to_home_assistant_unit(
    spelling: str, unit: str, family: UnitFamily
) -> None:
    assert canonical_unit(spelling) == unit
    assert UNIT_FAMILIES[unit] is family


@pytest.mark.parametrize(("spelling", "unit", "family"), DOCUMENTED_SPELLINGS)
@pytest.mark.parametrize(
    "decorate",
    [
        pytest.param(str.upper, id="upper"),
        pytest.param(str.lower, id="lower"),
        pytest.param(str.title, id="title"),
        pytest.param(lambda text: f"  {text}\t", id="padded"),
    ],
)
def test_spellings_ignore_case_and_surrounding_whitespace(
    spelling: str, unit: str, family: UnitFamily, decorate: Any
) -> None:
    assert canonical_unit(decorate(spelling)) == unit


@pytest.mark.parametrize(
    ("spelling", "unit", "family"),
    [item for item in DOCUMENTED_SPELLINGS if item[2] is not UnitFamily.COUNT],
)
def test_measure_takes_the_body_unit_in_its_canonical_form(
    spelling: str, unit: str, family: UnitFamily
) -> None:
    # Pressures must be plausible in their stated unit, or they would be re-read (see below).
    value = {"bar": 2.5, "kPa": 250, "psi": 35}.get(unit, 42)
    result = measure({"value": value, "unit": spelling}, VALUE, OTHER_UNIT_OF_FAMILY[family])
    assert result == Measurement(value=value, unit=unit, note=None)


def test_every_canonical_unit_is_a_home_assistant_unit() -> None:
    assert set(UNIT_FAMILIES) == HOME_ASSISTANT_UNITS
    assert set(UNIT_SPELLINGS.values()) == set(UNIT_FAMILIES)


def test_every_spelling_key_is_already_normalised() -> None:
    for spelling in UNIT_SPELLINGS:
        assert spelling == spelling.strip().lower()


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("degrees", id="degrees-is-ambiguous"),
        pytest.param("furlongs", id="unknown"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("k m", id="inner-space"),
        pytest.param(None, id="null"),
        pytest.param(5, id="number"),
        pytest.param(["km"], id="list"),
    ],
)
def test_unknown_units_have_no_canonical_form(raw: Any) -> None:
    assert canonical_unit(raw) is None


# --- measure ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "family", "default"),
    [
        pytest.param("furlongs", UnitFamily.DISTANCE, "km", id="unknown"),
        pytest.param("degrees", UnitFamily.TEMPERATURE, "°C", id="degrees"),
        pytest.param("", UnitFamily.PERCENT, "%", id="empty-string"),
        pytest.param(5, UnitFamily.DISTANCE, "km", id="number"),
        pytest.param("kWh", UnitFamily.DISTANCE, "km", id="energy-for-distance"),
        pytest.param("percent", UnitFamily.ENERGY, "kWh", id="percent-for-energy"),
        pytest.param("km/h", UnitFamily.DISTANCE, "km", id="speed-for-distance"),
        pytest.param("minutes", UnitFamily.SPEED, "km/h", id="duration-for-speed"),
        pytest.param("celsius", UnitFamily.PRESSURE, "kPa", id="temperature-for-pressure"),
        pytest.param("count", UnitFamily.PERCENT, "%", id="count-for-percent"),
    ],
)
def test_unknown_or_foreign_unit_withholds_the_value_with_a_note(
    unit: Any, family: UnitFamily, default: str
) -> None:
    result = measure({"value": 12, "unit": unit}, VALUE, default)
    assert result.value is None  # never guessed
    assert result.unit == default
    assert result.note == f"unknown unit {unit!r}"


@pytest.mark.parametrize(
    ("family", "default"),
    [
        (UnitFamily.DURATION, "min"),
        (UnitFamily.PERCENT, "%"),
        (UnitFamily.DISTANCE, "km"),
        (UnitFamily.COUNT, ""),
    ],
)
def test_missing_unit_uses_the_documented_default(family: UnitFamily, default: str) -> None:
    assert measure({"value": 95}, VALUE, default) == Measurement(95, default)


def test_explicit_null_unit_uses_the_default() -> None:
    assert measure({"value": 95, "unit": None}, VALUE, "min") == Measurement(95, "min")


def test_count_ignores_whatever_unit_is_given() -> None:
    result = measure({"value": 12, "unit": "furlongs"}, VALUE, "")
    assert result == Measurement(value=12, unit="", note=None)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(True, id="true"),
        pytest.param(False, id="false"),
        pytest.param("42", id="numeric-string"),
        pytest.param(None, id="null"),
        pytest.param([42], id="list"),
        pytest.param({"value": 42}, id="object"),
    ],
)
def test_non_numbers_are_not_measured(value: Any) -> None:
    result = measure({"value": value, "unit": "km"}, VALUE, "km")
    assert result == Measurement(value=None, unit="km", note=None)


def test_missing_value_is_not_measured() -> None:
    assert measure({"unit": "km"}, VALUE, "km") == Measurement(None, "km")


@pytest.mark.parametrize("value", [0, -3, 18452.6, 10850])
def test_numbers_are_kept_as_delivered(value: float) -> None:
    result = measure({"value": value, "unit": "km"}, VALUE, "km")
    assert result.value == value
    assert type(result.value) is type(value)


def test_measure_reads_a_named_field() -> None:
    body = {"capacity": 77.4, "source": "SMARTCAR", "unit": "kWhr"}
    assert measure(body, Read("capacity"), "kWh") == Measurement(77.4, "kWh")


def test_measure_reads_a_grid_position_with_the_body_unit() -> None:
    body = {
        "values": [
            {"row": 0, "column": 0, "tirePressure": 2.6},
            {"row": 1, "column": 1, "tirePressure": 2.4},
        ],
        "unit": "bar",
    }
    rear_right = measure(body, Read("tirePressure", 1, 1), "kPa")
    assert rear_right == Measurement(2.4, "bar")
    missing = measure(body, Read("tirePressure", 1, 0), "kPa")
    assert missing == Measurement(None, "kPa")


# --- Read ------------------------------------------------------------------------------

GRID = {
    "values": [
        {"row": 0, "column": 0, "isOpen": False, "isLocked": True},
        {"row": 0, "column": 1, "isOpen": True, "isLocked": False},
        {"row": 1, "column": 0, "isOpen": False},
        "not an item",
        {"row": 1, "column": 1, "isOpen": None},
    ],
    "rowCount": 2,
    "columnCount": 2,
}


def test_default_read_is_the_value_field() -> None:
    assert Read() == VALUE
    assert VALUE({"value": 7}) == 7
    assert VALUE({"other": 7}) is None


def test_named_field_read() -> None:
    assert Read("isOpen")({"isOpen": True, "isLocked": None}) is True
    assert Read("isLocked")({"isOpen": True, "isLocked": None}) is None


@pytest.mark.parametrize(
    ("row", "column", "field", "expected"),
    [
        (0, 0, "isOpen", False),
        (0, 0, "isLocked", True),
        (0, 1, "isOpen", True),
        (1, 0, "isOpen", False),
        (1, 0, "isLocked", None),  # field missing on that item
        (1, 1, "isOpen", None),
        (2, 0, "isOpen", None),  # no such row
    ],
)
def test_grid_position_read(row: int, column: int, field: str, expected: Any) -> None:
    assert Read(field, row, column)(GRID) is expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(GRID, True, id="one-open"),
        pytest.param({"values": [{"isOpen": False}, {"isOpen": False}]}, False, id="all-closed"),
        pytest.param({"values": [{"isOpen": None}, {"isOpen": False}]}, False, id="some-unknown"),
        pytest.param({"values": [{"isOpen": None}, {"other": 1}]}, None, id="all-unknown"),
        pytest.param({"values": [{"isOpen": "yes"}]}, None, id="not-booleans"),
        pytest.param({"values": []}, None, id="empty"),
        pytest.param({}, None, id="no-values"),
        pytest.param({"values": {"isOpen": True}}, None, id="values-not-a-list"),
    ],
)
def test_any_item_read(body: dict[str, Any], expected: bool | None) -> None:
    assert Read("isOpen", any_item=True)(body) is expected


@pytest.mark.parametrize("values", [None, "x", {"row": 0}, 5])
def test_grid_read_of_malformed_values_is_none(values: Any) -> None:
    assert Read("isOpen", 0, 0)({"values": values}) is None


# --- Tire pressures --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stated", "expected"),
    [
        pytest.param(2.5, "bar", Measurement(2.5, "bar"), id="bar-kept"),
        pytest.param(
            258, "bar", Measurement(258, "kPa", "258 bar is implausible; read as kPa"), id="kpa"
        ),
        pytest.param(35, "psi", Measurement(35, "psi"), id="psi-kept"),
        pytest.param(
            2.4, "kPa", Measurement(2.4, "bar", "2.4 kPa is implausible; read as bar"), id="bar"
        ),
        pytest.param(250, "kPa", Measurement(250, "kPa"), id="kpa-kept"),
        pytest.param(
            35, "bar", Measurement(35, "psi", "35 bar is implausible; read as psi"), id="psi"
        ),
        pytest.param(
            36, "kPa", Measurement(36, "psi", "36 kPa is implausible; read as psi"), id="kpa-psi"
        ),
        pytest.param(
            240, "psi", Measurement(240, "kPa", "240 psi is implausible; read as kPa"), id="psi-kpa"
        ),
        pytest.param(
            2.2, "psi", Measurement(2.2, "bar", "2.2 psi is implausible; read as bar"), id="psi-bar"
        ),
        pytest.param(
            0, "bar", Measurement(0, "bar", "0 bar is implausible for a tire"), id="zero-bar"
        ),
        pytest.param(
            0, "kPa", Measurement(0, "kPa", "0 kPa is implausible for a tire"), id="zero-kpa"
        ),
        pytest.param(
            -1, "psi", Measurement(-1, "psi", "-1 psi is implausible for a tire"), id="negative"
        ),
        pytest.param(
            9000, "kPa", Measurement(9000, "kPa", "9000 kPa is implausible for a tire"), id="huge"
        ),
    ],
)
def test_tire_pressure_plausibility(value: float, stated: str, expected: Measurement) -> None:
    assert normalise_pressure(value, stated) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param({"value": 2.5, "unit": "bar"}, Measurement(2.5, "bar"), id="bar"),
        pytest.param(
            {"value": 258, "unit": "bar"},
            Measurement(258, "kPa", "258 bar is implausible; read as kPa"),
            id="bar-that-is-kpa",
        ),
        pytest.param({"value": 35, "unit": "PSI"}, Measurement(35, "psi"), id="psi"),
        pytest.param({"value": 240}, Measurement(240, "kPa"), id="default-unit"),
        pytest.param(
            {"value": 2.4},
            Measurement(2.4, "bar", "2.4 kPa is implausible; read as bar"),
            id="default-unit-that-is-bar",
        ),
        pytest.param(
            {"value": 2.4, "unit": "furlongs"},
            Measurement(None, "kPa", "unknown unit 'furlongs'"),
            id="unknown-unit-not-normalised",
        ),
    ],
)
def test_measure_normalises_pressures(body: dict[str, Any], expected: Measurement) -> None:
    assert measure(body, VALUE, "kPa") == expected


@pytest.mark.parametrize("unit", ["bar", "kPa", "psi"])
def test_pressure_range_boundaries_are_plausible(unit: str) -> None:
    low, high = PRESSURE_RANGES[unit]
    assert normalise_pressure(low, unit) == Measurement(low, unit)
    assert normalise_pressure(high, unit) == Measurement(high, unit)


def test_pressure_fallbacks_prefer_kpa_then_bar_then_psi() -> None:
    assert PRESSURE_FALLBACKS == ("kPa", "bar", "psi")
    assert set(PRESSURE_FALLBACKS) == set(PRESSURE_RANGES)
    assert {UNIT_FAMILIES[unit] for unit in PRESSURE_RANGES} == {UnitFamily.PRESSURE}


# --- display_make ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        ("KIA", "Kia"),
        ("VOLKSWAGEN", "Volkswagen"),
        ("POLESTAR", "Polestar"),
        ("JAGUAR", "Jaguar"),
        ("TOYOTA", "Toyota"),
        ("MERCEDES-BENZ", "Mercedes-Benz"),
        ("LAND ROVER", "Land Rover"),
        ("BMW", "BMW"),
        ("bmw", "BMW"),
        ("GMC", "GMC"),
        ("MINI", "MINI"),
        ("DS", "DS"),
        ("MG", "MG"),
        ("VW", "VW"),
        ("MCLAREN", "McLaren"),
        ("BYD", "BYD"),
        ("CUPRA", "CUPRA"),
        ("CITROEN", "Citroën"),
        ("SKODA", "Škoda"),
        ("ALFA ROMEO", "Alfa Romeo"),
        ("SMART", "smart"),
        ("Tesla", "Tesla"),
        ("", None),
        (None, None),
    ],
)
def test_display_make(make: str | None, expected: str | None) -> None:
    assert display_make(make) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(0.64, Measurement(64, "%", "0.64 is a fraction; read as 64 %"), id="fraction"),
        pytest.param(
            0.575, Measurement(57.5, "%", "0.575 is a fraction; read as 57.5 %"), id="half"
        ),
        # 0 and 1 read the same as a fraction and as a percentage would be 0 % and 100 %:
        # 1 stays 1 %, the safer mistake (an empty battery is never shown full).
        pytest.param(0, Measurement(0, "%"), id="zero"),
        pytest.param(1, Measurement(1, "%"), id="one"),
        pytest.param(1.0, Measurement(1.0, "%"), id="one_float"),
        pytest.param(1.5, Measurement(1.5, "%"), id="above_one"),
        pytest.param(100, Measurement(100, "%"), id="full"),
        pytest.param(-0.5, Measurement(-0.5, "%"), id="negative"),
    ],
)
def test_percentages_sent_as_fractions(value: float, expected: Measurement) -> None:
    assert measure({"value": value, "unit": "percent"}, VALUE, "%") == expected


def test_a_fraction_is_plausible_as_the_percentage_it_stands_for() -> None:
    """0.9 of a charge limit is 90 %, within 0-100; 150 % is not."""
    limit = Read("activeLimit")
    assert plausible_number({"activeLimit": 0.9, "unit": "percent"}, limit, "%")
    assert not plausible_number({"activeLimit": 150, "unit": "percent"}, limit, "%")
