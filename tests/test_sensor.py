"""Sensors: numbers in the delivered unit, enums, texts, times and the vehicle's own."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM

from custom_components.smartcar.diagnostics import async_get_config_entry_diagnostics

from .conftest import (
    EV_ID,
    NOW,
    SNAPSHOT_PAYLOADS,
    Post,
    all_signals,
    make_state,
)
from .payloads import ALL_SIGNALS

SOC = "tractionbattery-stateofcharge"
pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the sensor platform."""
    return [Platform.SENSOR]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("payload", list(SNAPSHOT_PAYLOADS))
async def test_snapshot(
    hass: HomeAssistant,
    post: Post,
    integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    payload: str,
) -> None:
    """Every sensor each fixture vehicle (and a vehicle with every signal) produces."""
    response = await post(SNAPSHOT_PAYLOADS[payload])
    assert response.status == 200
    await snapshot_platform(hass, entity_registry, snapshot, integration.entry_id)


async def test_units_follow_the_payload_and_convert(hass: HomeAssistant, post: Post) -> None:
    """Native units come from the payload; Home Assistant converts to the user's system."""
    hass.config.units = US_CUSTOMARY_SYSTEM
    await post(
        make_state(
            {
                "odometer-traveleddistance": {"value": 100, "unit": "kilometers"},
                "tractionbattery-range": {"value": 100, "unit": "miles"},
                "climate-externaltemperature": {"value": 20, "unit": "celsius"},
            }
        )
    )
    odometer = hass.states.get("sensor.kia_ev6_odometer")
    assert float(odometer.state) == pytest.approx(62.137, abs=0.001)
    assert odometer.attributes["unit_of_measurement"] == "mi"
    range_ = hass.states.get("sensor.kia_ev6_range")
    assert (range_.state, range_.attributes["unit_of_measurement"]) == ("100", "mi")
    assert hass.states.get("sensor.kia_ev6_outside_temperature").state == "68.0"


async def _unit_notes(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """What the diagnostics download says about the units of the test car's numbers."""
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    notes: dict[str, str] = diagnostics["vehicles"][EV_ID]["unit_notes"]
    return notes


async def test_unknown_unit_is_reported_not_guessed(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """A unit outside the table gives no value, and diagnostics say why."""
    await post(make_state({"odometer-traveleddistance": {"value": 100, "unit": "furlongs"}}))
    assert hass.states.get("sensor.kia_ev6_odometer").state == "unknown"
    notes = await _unit_notes(hass, integration)
    assert notes == {"odometer": "unknown unit 'furlongs'"}


async def test_tire_pressure_correction_is_recorded(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """kPa-sized values labelled "bar" are read as kPa, and the correction is kept."""
    await post(make_state({"wheel-tires": ALL_SIGNALS["wheel-tires"]}))
    state = hass.states.get("sensor.kia_ev6_tire_pressure_front_left")
    assert (state.state, state.attributes["unit_of_measurement"]) == ("258", "kPa")
    notes = await _unit_notes(hass, integration)
    assert notes["tire_pressure_front_left"] == "258 bar is implausible; read as kPa"


async def test_last_update_is_disabled_by_default(hass: HomeAssistant, post: Post) -> None:
    """It would write a state on every delivery; a user who wants it enables it."""
    await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="1"))
    entry = er.async_get(hass).async_get("sensor.kia_ev6_last_update")
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get("sensor.kia_ev6_last_update") is None


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_last_update_follows_deliveries(
    hass: HomeAssistant, post: Post, frozen_now: FrozenDateTimeFactory
) -> None:
    """The vehicle's "last update" is the time of the last accepted delivery."""
    await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="1"))
    assert hass.states.get("sensor.kia_ev6_last_update").state == NOW
    frozen_now.tick(timedelta(minutes=5))
    await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="2"))
    assert hass.states.get("sensor.kia_ev6_last_update").state == "2025-12-29T08:25:00+00:00"


async def test_statistics_only_for_quantities_people_graph(hass: HomeAssistant, post: Post) -> None:
    """Long-term statistics for charge, range, fuel, distance, energy and temperatures.

    None for values that hardly change (capacity, limits, tire pressures...), each of which
    would add statistics rows every 5 minutes and every hour.
    """
    await post(all_signals())
    with_statistics = {
        state.entity_id.removeprefix("sensor.blue_thunder_"): state.attributes["state_class"]
        for state in hass.states.async_all("sensor")
        if "state_class" in state.attributes
    }
    assert with_statistics == {
        "battery": "measurement",
        "range": "measurement",
        "fuel_level": "measurement",
        "fuel_remaining": "measurement",
        "fuel_range": "measurement",
        "outside_temperature": "measurement",
        "cabin_temperature": "measurement",
        "odometer": "total_increasing",
        "energy_added": "total_increasing",
    }
