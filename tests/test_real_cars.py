"""What real cars send, through the webhook: captured-style deliveries of three makes.

A Tesla Model Y reports each door's lock and a frunk unlocked while the car is locked; a
BYD ATTO 3 sends its percentages as fractions and a frunk lock and range that are null; a
BMW X3 sends its fuel level as a fraction, one rear door unlocked and a null temperature.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.core import HomeAssistant

from custom_components.smartcar.diagnostics import async_get_config_entry_diagnostics

from .conftest import Post, fixture_json, vehicle_device

TESLA = fixture_json("real_cars/tesla_model_y.json")
BYD = fixture_json("real_cars/byd_atto3.json")
BMW = fixture_json("real_cars/bmw_x3.json")
pytestmark = pytest.mark.usefixtures("frozen_now")


def _states(hass: HomeAssistant, entity_ids: dict[str, str]) -> dict[str, str | None]:
    return {
        name: state.state if (state := hass.states.get(entity_id)) else None
        for name, entity_id in entity_ids.items()
    }


def _later(document: dict[str, Any], event_id: str, bodies: dict[str, Any]) -> bytes:
    """The same car a minute later, with these signals' bodies changed."""
    later = copy.deepcopy(document)
    later["eventId"] = event_id
    for item in later["data"]["signals"]:
        item["meta"]["oemUpdatedAt"] += 60_000
        item["body"] = bodies.get(item["code"], item["body"])
    return json.dumps(later).encode()


async def test_each_door_trunk_and_frunk_shows_its_lock(hass: HomeAssistant, post: Post) -> None:
    """On means unlocked: the Tesla's front left door and its frunk, the BMW's rear right."""
    await post(TESLA)
    await post(BMW)
    assert _states(
        hass,
        {
            "car": "binary_sensor.tesla_model_y_lock",
            "front_left": "binary_sensor.tesla_model_y_door_front_left_lock",
            "front_right": "binary_sensor.tesla_model_y_door_front_right_lock",
            "rear_left": "binary_sensor.tesla_model_y_door_rear_left_lock",
            "rear_right": "binary_sensor.tesla_model_y_door_rear_right_lock",
            "trunk": "binary_sensor.tesla_model_y_trunk_lock",
            "frunk": "binary_sensor.tesla_model_y_frunk_lock",
            "bmw_rear_right": "binary_sensor.bmw_x3_door_rear_right_lock",
            "bmw_front_left": "binary_sensor.bmw_x3_door_front_left_lock",
            "bmw_frunk": "binary_sensor.bmw_x3_frunk_lock",
        },
    ) == {
        "car": "off",
        "front_left": "on",
        "front_right": "off",
        "rear_left": "off",
        "rear_right": "off",
        "trunk": "off",
        "frunk": "on",
        "bmw_rear_right": "on",
        "bmw_front_left": "off",
        "bmw_frunk": None,
    }
    state = hass.states.get("binary_sensor.tesla_model_y_frunk_lock")
    assert state.attributes["device_class"] == "lock"
    assert state.attributes["friendly_name"] == "Tesla Model Y Frunk lock"


async def test_fractions_show_as_percentages_and_are_noted(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """0.64 of a battery is 64 %, and diagnostics say it was read as a fraction."""
    await post(BYD)
    await post(BMW)
    await post(TESLA)
    assert _states(
        hass,
        {
            "battery": "sensor.byd_atto_3_battery",
            "charge_limit": "sensor.byd_atto_3_charge_limit",
            "twelve_volt": "sensor.byd_atto_3_12_v_battery",
            "fuel": "sensor.bmw_x3_fuel_level",
            "oil": "sensor.bmw_x3_oil_life",
            "tesla_battery": "sensor.tesla_model_y_battery",
        },
    ) == {
        "battery": "64",
        "charge_limit": "90",
        "twelve_volt": "87",
        "fuel": "42",
        "oil": "71",
        "tesla_battery": "78",
    }
    diagnostics = await async_get_config_entry_diagnostics(hass, integration)
    notes = {vehicle["make"]: vehicle["unit_notes"] for vehicle in diagnostics["vehicles"].values()}
    assert notes == {
        "BYD": {
            "battery_level": "0.64 is a fraction; read as 64 %",
            "charge_limit": "0.9 is a fraction; read as 90 %",
            "low_voltage_battery_level": "0.87 is a fraction; read as 87 %",
        },
        "BMW": {"fuel_level": "0.42 is a fraction; read as 42 %"},
        "TESLA": {},
    }


async def test_a_null_value_makes_no_entity_until_a_real_one(
    hass: HomeAssistant, post: Post
) -> None:
    """A range, a frunk lock or a temperature that is null: no entity; it comes with a value."""
    await post(BYD)
    await post(BMW)
    await post(TESLA)
    waiting = {
        "range": "sensor.byd_atto_3_range",
        "frunk_lock": "binary_sensor.byd_atto_3_frunk_lock",
        "outside": "sensor.bmw_x3_outside_temperature",
        "speed": "sensor.tesla_model_y_speed",
    }
    assert _states(hass, waiting) == dict.fromkeys(waiting)
    assert hass.states.get("binary_sensor.byd_atto_3_frunk").state == "off"

    await post(
        _later(
            BYD,
            "byd-2",
            {
                "tractionbattery-range": {"value": 288, "unit": "km"},
                "closure-fronttrunk": {"isOpen": False, "isLocked": True},
            },
        )
    )
    await post(_later(BMW, "bmw-2", {"climate-externaltemperature": {"value": 3.5, "unit": "C"}}))
    assert _states(hass, waiting) == {
        "range": "288",
        "frunk_lock": "off",
        "outside": "3.5",
        "speed": None,
    }


def _tires(rear_left: float | None) -> dict[str, Any]:
    """The Tesla's tire body with the rear-left pressure as given (``None``: not reported)."""
    pressures = {(0, 0): 2.9, (0, 1): 2.9, (1, 0): rear_left, (1, 1): 2.9}
    cells = [
        {"row": row, "column": column, "tirePressure": pressure}
        for (row, column), pressure in pressures.items()
    ]
    return {"values": cells, "rowCount": 2, "columnCount": 2, "unit": "bar"}


async def test_a_sensor_whose_field_is_null_comes_with_its_first_value(
    hass: HomeAssistant, post: Post
) -> None:
    """One tire without a pressure: its sensor waits for one, the other three show theirs."""
    tesla = copy.deepcopy(TESLA)
    for item in tesla["data"]["signals"]:
        if item["code"] == "wheel-tires":
            item["body"] = _tires(rear_left=None)
    await post(json.dumps(tesla).encode())
    tires = {
        "front_left": "sensor.tesla_model_y_tire_pressure_front_left",
        "rear_left": "sensor.tesla_model_y_tire_pressure_rear_left",
    }
    assert _states(hass, tires) == {"front_left": "2.9", "rear_left": None}

    await post(_later(tesla, "tesla-2", {"wheel-tires": _tires(rear_left=2.875)}))
    assert _states(hass, tires) == {"front_left": "2.9", "rear_left": "2.875"}


async def test_a_sensor_whose_value_went_null_is_back_after_a_reload(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """A tire that had a pressure and lost it shows unknown, before and after a restart."""
    await post(TESLA)
    await post(_later(TESLA, "tesla-2", {"wheel-tires": _tires(rear_left=None)}))
    tire = {"rear_left": "sensor.tesla_model_y_tire_pressure_rear_left"}
    assert _states(hass, tire) == {"rear_left": "unknown"}

    assert await hass.config_entries.async_reload(integration.entry_id)
    await hass.async_block_till_done()
    assert _states(hass, tire) == {"rear_left": "unknown"}


async def test_makes_are_written_as_their_makers_write_them(
    hass: HomeAssistant, post: Post
) -> None:
    """BYD and BMW stay in capitals; TESLA is Tesla."""
    for document in (BYD, BMW, TESLA):
        await post(document)
    makes = {
        (device := vehicle_device(hass, document["data"]["vehicle"]["id"])) and device.manufacturer
        for document in (BYD, BMW, TESLA)
    }
    assert makes == {"BYD", "BMW", "Tesla"}
