"""Entities: what each delivery shows, for every platform, across restarts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM

from custom_components.smartcar.const import CONF_STALE_AFTER

from .conftest import EV_ID, ICE_ID, Post, fixture_bytes, make_state, vehicle_device
from .payloads import ALL_SIGNALS

NOW = "2025-12-29T08:20:00+00:00"
PAYLOADS = {
    "ev_update": fixture_bytes("vehicle_state_ev_signal_update.json"),
    "ev_first_delivery": fixture_bytes("vehicle_state_first_delivery.json"),
    "ice": fixture_bytes("vehicle_state_ice.json"),
}
SOC = "tractionbattery-stateofcharge"


def _all_signals(event_id: str = "all", **kwargs: Any) -> dict[str, Any]:
    return make_state(ALL_SIGNALS, event_id=event_id, make="KIA", **kwargs)


@pytest.fixture(autouse=True)
def frozen_now(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """A fixed "now", shortly after the fixtures' deliveries."""
    freezer.move_to(NOW)
    return freezer


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platforms",
    [[Platform.SENSOR], [Platform.BINARY_SENSOR], [Platform.DEVICE_TRACKER], [Platform.EVENT]],
    ids=["sensor", "binary_sensor", "device_tracker", "event"],
)
@pytest.mark.parametrize("payload", [*PAYLOADS, "all_signals"])
async def test_platform_snapshot(
    hass: HomeAssistant,
    post: Post,
    integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platforms: list[Platform],
    payload: str,
) -> None:
    """Every entity each fixture vehicle (and a vehicle with every signal) produces."""
    response = await post(PAYLOADS[payload] if payload in PAYLOADS else _all_signals())
    assert response.status == 200
    if not er.async_entries_for_config_entry(entity_registry, integration.entry_id):
        assert platforms == [Platform.DEVICE_TRACKER]  # that car does not deliver its location
        return
    await snapshot_platform(hass, entity_registry, snapshot, integration.entry_id)


async def test_device_describes_the_vehicle(hass: HomeAssistant, post: Post) -> None:
    """One device per vehicle: maker in normal capitalisation, model, year, nickname, VIN."""
    await post(_all_signals())
    device = vehicle_device(hass, EV_ID)
    assert device is not None
    assert (device.manufacturer, device.model, device.model_id) == ("Kia", "EV6", "2023")
    assert device.name == "Blue Thunder"
    assert device.sw_version == "2026.20.1"
    assert device.serial_number == "KNDC3DLC5N5000000"


async def test_device_name_without_nickname(hass: HomeAssistant, post: Post) -> None:
    """Without a nickname the device is called "Make Model"."""
    await post(fixture_bytes("vehicle_state_ice.json"))
    device = vehicle_device(hass, ICE_ID)
    assert device is not None
    assert device.name == "Toyota RAV4"


async def test_only_delivered_signals_get_entities(hass: HomeAssistant, post: Post) -> None:
    """Signals in error before any value (COMPATIBILITY, PERMISSION) create no entity."""
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    assert hass.states.get("sensor.kia_ev6_outside_temperature") is None
    assert hass.states.get("binary_sensor.kia_ev6_cabin_climate") is None
    assert hass.states.get("sensor.kia_ev6_fuel_level") is None
    assert hass.states.get("sensor.kia_ev6_battery").state == "63"


async def test_signal_error_makes_entity_unavailable_until_value(
    hass: HomeAssistant, post: Post
) -> None:
    """A per-signal error after a value: unavailable; the next value brings it back."""
    await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="1"))
    await post(make_state({SOC: None}, event_id="2", oem_updated_at=1_766_996_000_000))
    assert hass.states.get("sensor.kia_ev6_battery").state == STATE_UNAVAILABLE
    await post(
        make_state(
            {SOC: {"value": 52, "unit": "percent"}}, event_id="3", oem_updated_at=1_766_997_000_000
        )
    )
    assert hass.states.get("sensor.kia_ev6_battery").state == "52"


async def test_second_vehicle_appears_without_reload(hass: HomeAssistant, post: Post) -> None:
    """A vehicle seen for the first time gets its device and entities at once."""
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    await post(fixture_bytes("vehicle_state_ice.json"))
    assert vehicle_device(hass, EV_ID)
    assert vehicle_device(hass, ICE_ID)
    assert hass.states.get("sensor.toyota_rav4_fuel_level").state == "41"
    assert hass.states.get("sensor.kia_ev6_battery").state == "63"


async def test_new_signal_of_known_vehicle_adds_entity(hass: HomeAssistant, post: Post) -> None:
    """A signal a vehicle starts delivering later gets its entity then."""
    await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="1"))
    assert hass.states.get("sensor.kia_ev6_odometer") is None
    await post(
        make_state(
            {
                SOC: {"value": 50, "unit": "percent"},
                "odometer-traveleddistance": {"value": 10, "unit": "km"},
            },
            event_id="2",
        )
    )
    assert hass.states.get("sensor.kia_ev6_odometer").state == "10"


async def test_unchanged_delivery_writes_no_state(
    hass: HomeAssistant, post: Post, frozen_now: FrozenDateTimeFactory
) -> None:
    """A delivery that repeats every value writes no state at all (by default)."""
    await post(_all_signals(event_id="1"))
    writes = async_capture_events(hass, EVENT_STATE_CHANGED)
    # Minutes apart, as live deliveries come: "last update" (disabled by default) would
    # write on each of them.
    frozen_now.tick(timedelta(minutes=5))
    # Same values, newer retrieval time: Smartcar re-sent what it already sent.
    repeat = _all_signals(event_id="2")
    for signal in repeat["data"]["signals"]:
        signal["meta"]["retrievedAt"] += 60_000
    await post(repeat)
    assert [event.data["entity_id"] for event in writes] == []

    one_changed = _all_signals(event_id="3", oem_updated_at=1_766_996_000_000)
    one_changed["data"]["signals"][0]["body"] = {"value": 82, "unit": "percent"}
    await post(one_changed)
    assert sorted(event.data["entity_id"] for event in writes) == [
        "sensor.blue_thunder_battery",
    ]


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


async def test_unknown_unit_is_reported_not_guessed(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """A unit outside the table gives no value, and diagnostics say why."""
    await post(make_state({"odometer-traveleddistance": {"value": 100, "unit": "furlongs"}}))
    assert hass.states.get("sensor.kia_ev6_odometer").state == "unknown"
    assert integration.runtime_data.unit_notes == {f"{EV_ID}/odometer": "unknown unit 'furlongs'"}


async def test_tire_pressure_correction_is_recorded(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """kPa-sized values labelled "bar" are read as kPa, and the correction is kept."""
    await post(make_state({"wheel-tires": ALL_SIGNALS["wheel-tires"]}))
    state = hass.states.get("sensor.kia_ev6_tire_pressure_front_left")
    assert (state.state, state.attributes["unit_of_measurement"]) == ("258", "kPa")
    assert integration.runtime_data.unit_notes[f"{EV_ID}/tire_pressure_front_left"] == (
        "258 bar is implausible; read as kPa"
    )


async def test_reporting_turns_off_when_deliveries_stop(
    hass: HomeAssistant, post: Post, frozen_now: FrozenDateTimeFactory
) -> None:
    """No delivery for the staleness time (24 h) turns "reporting" off; the next one on."""
    await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="1"))
    reporting = "binary_sensor.kia_ev6_reporting"
    assert hass.states.get(reporting).state == "on"
    frozen_now.tick(timedelta(hours=23))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="2"))
    frozen_now.tick(timedelta(hours=2))  # 25 h after the first, 2 h after the second
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(reporting).state == "on"
    frozen_now.tick(timedelta(hours=22, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(reporting).state == "off"
    await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="3"))
    assert hass.states.get(reporting).state == "on"


async def test_reporting_timeout_is_an_option(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry, frozen_now: FrozenDateTimeFactory
) -> None:
    """The staleness time comes from the options."""
    hass.config_entries.async_update_entry(integration, options={CONF_STALE_AFTER: 2})
    await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="1"))
    frozen_now.tick(timedelta(hours=2, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.kia_ev6_reporting").state == "off"


async def test_the_cars_battery_is_its_only_battery(hass: HomeAssistant, post: Post) -> None:
    """The device page's battery badge (its first battery-class entity) is the car's charge.

    Of a vehicle delivering every signal, only the traction battery is of device class
    battery; the 12 V battery is a diagnostic percentage. The location is a main entity.
    """
    await post(_all_signals())
    batteries = [
        state.entity_id
        for state in hass.states.async_all()
        if state.attributes.get("device_class") == "battery"
    ]
    assert batteries == ["sensor.blue_thunder_battery"]
    assert (
        hass.states.get("sensor.blue_thunder_12_v_battery").attributes["unit_of_measurement"] == "%"
    )
    entry = er.async_get(hass).async_get("device_tracker.blue_thunder_location")
    assert entry is not None
    assert entry.entity_category is None
