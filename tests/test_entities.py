"""Entities of every platform: devices, which entities exist, availability, change-only writes."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
)

from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .conftest import (
    EV_ID,
    ICE_ID,
    Post,
    all_signals,
    fixture_bytes,
    make_state,
    vehicle_device,
)

SOC = "tractionbattery-stateofcharge"
pytestmark = pytest.mark.usefixtures("frozen_now")


async def test_device_describes_the_vehicle(hass: HomeAssistant, post: Post) -> None:
    """One device per vehicle: maker in normal capitalisation, model, year, nickname, VIN."""
    await post(all_signals())
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
    await post(all_signals(event_id="1"))
    writes = async_capture_events(hass, EVENT_STATE_CHANGED)
    # Minutes apart, as live deliveries come: "last update" (disabled by default) would
    # write on each of them.
    frozen_now.tick(timedelta(minutes=5))
    # Same values, newer retrieval time: Smartcar re-sent what it already sent.
    repeat = all_signals(event_id="2")
    for signal in repeat["data"]["signals"]:
        signal["meta"]["retrievedAt"] += 60_000
    await post(repeat)
    assert [event.data["entity_id"] for event in writes] == []

    one_changed = all_signals(event_id="3", oem_updated_at=1_766_996_000_000)
    one_changed["data"]["signals"][0]["body"] = {"value": 82, "unit": "percent"}
    await post(one_changed)
    assert sorted(event.data["entity_id"] for event in writes) == [
        "sensor.blue_thunder_battery",
    ]


async def test_the_cars_battery_is_its_only_battery(hass: HomeAssistant, post: Post) -> None:
    """The device page's battery badge (its first battery-class entity) is the car's charge.

    Of a vehicle delivering every signal, only the traction battery is of device class
    battery; the 12 V battery is a diagnostic percentage. The location is a main entity.
    """
    await post(all_signals())
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
