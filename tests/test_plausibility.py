"""Values no car can report, and values no entity can hold, never reach an entity.

Each quantity has a plausible range in the catalog (in its unit; a delivered unit is
converted first). A delivery outside it is acknowledged, not shown, counted per signal in
diagnostics, and the value before it stays, in memory and in storage. Numbers, texts and
times that Home Assistant cannot show or save never make an entity fail, /api/states
break, or a later save fail. Everything goes through the webhook, as Smartcar sends it.
"""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.smartcar.const import DOMAIN, SAVE_DELAY_SECONDS
from custom_components.smartcar.diagnostics import async_get_config_entry_diagnostics

from .conftest import EV_ID, Post, make_state, vehicle_device
from .payloads import ALL_SIGNALS

SOC = "tractionbattery-stateofcharge"
ODOMETER = "odometer-traveleddistance"
OUTSIDE = "climate-externaltemperature"
TIRES = "wheel-tires"
TIME_LEFT = "charge-timetocomplete"
FIRMWARE = "connectivitysoftware-currentfirmwareversion"
LOCATION = "location-preciselocation"
BATTERY = "sensor.kia_ev6_battery"
TRACKER = "device_tracker.kia_ev6_location"
T0 = 1_766_990_000_000
MINUTE = 60_000


def _tires(pressure: Any, unit: str) -> dict[str, Any]:
    body = {**ALL_SIGNALS[TIRES], "unit": unit}
    body["values"] = [{**cell, "tirePressure": pressure} for cell in body["values"]]
    return body


def _shown(hass: HomeAssistant, entity_id: str) -> tuple[str, dict[str, Any]]:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state, dict(state.attributes)


async def _rejected(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, int]:
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    rejected: dict[str, int] = diagnostics["vehicles"][EV_ID]["rejected_values"]
    return rejected


async def _deliver(post: Post, code: str, body: Any, event_id: str, stamp: int) -> None:
    response = await post(make_state({code: body}, event_id=event_id, oem_updated_at=stamp))
    assert response.status == 200
    assert await response.json() == {"result": "applied"}


IMPLAUSIBLE = [
    pytest.param(SOC, BATTERY, {"value": 63, "unit": "percent"}, {"value": 150}, id="soc-150"),
    pytest.param(SOC, BATTERY, {"value": 63}, {"value": -7, "unit": "percent"}, id="soc-minus-7"),
    pytest.param(SOC, BATTERY, {"value": 63}, {"value": [63]}, id="list-for-a-number"),
    pytest.param(SOC, BATTERY, {"value": 63}, {"value": "63"}, id="text-for-a-number"),
    pytest.param(SOC, BATTERY, {"value": 63}, {"value": 2**64}, id="beyond-64-bits"),
    pytest.param(SOC, BATTERY, {"value": 63}, {"value": 1e308}, id="absurd-float"),
    pytest.param(
        ODOMETER,
        "sensor.kia_ev6_odometer",
        {"value": 12_000, "unit": "km"},
        {"value": -5, "unit": "km"},
        id="negative-odometer",
    ),
    pytest.param(
        ODOMETER,
        "sensor.kia_ev6_odometer",
        {"value": 12_000, "unit": "km"},
        {"value": 4_000_000, "unit": "miles"},  # 6.4 million km
        id="odometer-in-miles",
    ),
    pytest.param(
        "tractionbattery-range",
        "sensor.kia_ev6_range",
        {"value": 400, "unit": "km"},
        {"value": 9000, "unit": "km"},
        id="range-of-9000-km",
    ),
    pytest.param(
        OUTSIDE,
        "sensor.kia_ev6_outside_temperature",
        {"value": 12.5, "unit": "celsius"},
        {"value": 250, "unit": "fahrenheit"},  # 121 °C
        id="temperature-in-fahrenheit",
    ),
    pytest.param(
        TIRES,
        "sensor.kia_ev6_tire_pressure_front_left",
        _tires(2.5, "bar"),
        _tires(5000, "psi"),  # 34,474 kPa (500 psi would be read as kPa)
        id="tires-in-psi",
    ),
    pytest.param(
        TIME_LEFT,
        "sensor.kia_ev6_time_to_full_charge",
        {"value": 45, "unit": "minutes"},
        {"value": 1e308, "unit": "hours"},
        id="duration-of-1e308-hours",
    ),
    pytest.param(
        TIME_LEFT,
        "sensor.kia_ev6_charge_complete_at",
        {"value": 45, "unit": "minutes"},
        {"value": 1e308, "unit": "hours"},
        id="moment-of-1e308-hours",
    ),
    pytest.param(
        FIRMWARE,
        "sensor.kia_ev6_firmware_version",
        {"value": "2026.20.1"},
        {"value": "x" * 256},
        id="text-over-255",
    ),
    pytest.param(
        LOCATION,
        TRACKER,
        ALL_SIGNALS[LOCATION],
        {**ALL_SIGNALS[LOCATION], "latitude": 1e6},
        id="latitude-1e6",
    ),
    pytest.param(
        LOCATION,
        TRACKER,
        ALL_SIGNALS[LOCATION],
        {**ALL_SIGNALS[LOCATION], "longitude": -180.5},
        id="longitude-beyond-180",
    ),
    pytest.param(
        LOCATION,
        TRACKER,
        ALL_SIGNALS[LOCATION],
        {**ALL_SIGNALS[LOCATION], "heading": {"degrees": [90]}},
        id="attribute-no-state-can-carry",
    ),
]


@pytest.mark.parametrize(("code", "entity_id", "good", "bad"), IMPLAUSIBLE)
async def test_implausible_value_is_not_shown_and_the_previous_stays(
    hass: HomeAssistant,
    post: Post,
    integration: MockConfigEntry,
    code: str,
    entity_id: str,
    good: dict[str, Any],
    bad: dict[str, Any],
) -> None:
    """Acknowledged and counted in diagnostics; the entity shows what it showed.

    Also after a restart; and the refused value's time holds no later value back.
    """
    await _deliver(post, code, good, "good", T0)
    before = _shown(hass, entity_id)
    await _deliver(post, code, bad, "bad", T0 + MINUTE)
    assert _shown(hass, entity_id) == before
    assert await _rejected(hass, integration) == {code: 1}
    assert integration.runtime_data.fleet.vehicles[EV_ID].signals[code].newest_seen_at == T0

    assert await hass.config_entries.async_reload(integration.entry_id)
    await hass.async_block_till_done()
    assert _shown(hass, entity_id) == before


async def test_a_first_value_that_is_implausible_makes_no_entity(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    await _deliver(post, SOC, {"value": 150, "unit": "percent"}, "bad", T0)
    assert hass.states.get(BATTERY) is None
    await _deliver(post, SOC, {"value": 80, "unit": "percent"}, "good", T0 + MINUTE)
    assert hass.states.get(BATTERY).state == "80"


@pytest.mark.parametrize(
    ("code", "entity_id", "body"),
    [
        # 2897 km of 3000; 48.9 °C of 100; 248 kPa (fits psi); 18000 min of 20160.
        ("tractionbattery-range", "sensor.kia_ev6_range", {"value": 1800, "unit": "mi"}),
        (OUTSIDE, "sensor.kia_ev6_outside_temperature", {"value": 120, "unit": "F"}),
        (TIRES, "sensor.kia_ev6_tire_pressure_front_left", _tires(36, "psi")),
        (TIME_LEFT, "sensor.kia_ev6_time_to_full_charge", {"value": 300, "unit": "hours"}),
    ],
)
async def test_the_range_is_in_the_catalogs_unit_whatever_the_delivered_one(
    hass: HomeAssistant,
    post: Post,
    integration: MockConfigEntry,
    code: str,
    entity_id: str,
    body: dict[str, Any],
) -> None:
    """Near the top of its range in the catalog's unit, a value in another unit is shown."""
    await _deliver(post, code, body, "1", T0)
    assert hass.states.get(entity_id).state not in ("unknown", "unavailable")
    assert await _rejected(hass, integration) == {}


async def test_values_no_entity_can_hold_break_neither_states_nor_storage(
    hass: HomeAssistant,
    post: Post,
    integration: MockConfigEntry,
    hass_client: Any,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One delivery of every kind of value Home Assistant cannot show or save, and a good one.

    Before, such values made an entity fail to be added, /api/states fail for every client
    and every later save fail.
    """
    assert await async_setup_component(hass, "api", {})
    deep: dict[str, Any] = {"value": 1}
    for _ in range(300):
        deep = {"nested": deep}
    hostile: dict[str, Any] = {
        "charge-wattage": {"value": 2**70, "unit": "W"},
        "charge-voltage": {"value": -(2**64), "unit": "V"},
        "charge-amperage": {"value": 1e308, "unit": "A"},
        TIME_LEFT: {"value": 1e308, "unit": "hours"},
        FIRMWARE: {"value": "v" * 10_000},
        "transmission-drivemode": {"canonical": "x" * 300},
        ODOMETER: {"value": [1, 2, 3], "unit": "km"},
        LOCATION: {"latitude": 2**80, "longitude": 4.9},
        "futuregroup-deepsignal": deep,
        "futuregroup-hugenumber": {"value": 10**30},
        SOC: {"value": 63, "unit": "percent"},
    }
    with caplog.at_level(logging.WARNING):
        response = await post(make_state(hostile, event_id="hostile", oem_updated_at=T0))
        assert response.status == 200
        client = await hass_client()
        states = await client.get("/api/states")
        assert states.status == 200
        assert BATTERY in {state["entity_id"] for state in await states.json()}
        freezer.tick(timedelta(seconds=SAVE_DELAY_SECONDS + 1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    stored = hass_storage[f"{DOMAIN}.{integration.entry_id}"]["data"]["vehicles"][EV_ID]
    assert stored["signals"][SOC]["body"] == {"value": 63, "unit": "percent"}
    assert set(stored["signals"]) == {SOC}
    assert set(await _rejected(hass, integration)) == set(hostile) - {SOC}
    # Home Assistant's and the integration's (asyncio times the frozen clock's tick).
    assert [
        record
        for record in caplog.records
        if record.levelno >= logging.WARNING and record.name.split(".")[0] != "asyncio"
    ] == []


async def test_a_car_time_in_the_far_future_does_not_freeze_the_signal(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """A value stamped in 9999 is shown, and the next real value replaces it.

    Before, every later value was "older" and ignored for good.
    """
    far_future = 253_402_300_000_000
    await _deliver(post, SOC, {"value": 70}, "future", far_future)
    assert hass.states.get(BATTERY).state == "70"
    await _deliver(post, SOC, {"value": 71}, "real", T0)
    assert hass.states.get(BATTERY).state == "71"
    assert await hass.config_entries.async_reload(integration.entry_id)
    await hass.async_block_till_done()
    await _deliver(post, SOC, {"value": 72}, "after-restart", T0 + MINUTE)
    assert hass.states.get(BATTERY).state == "72"


@pytest.mark.parametrize(
    "stamp",
    [
        pytest.param("10000-01-01T00:00:00Z", id="year-10000"),
        pytest.param(-T0, id="negative"),
        pytest.param(T0 * 1000, id="microseconds"),
        pytest.param(T0 // 1000, id="seconds"),
        pytest.param(10**30, id="beyond-64-bits"),
    ],
)
async def test_times_outside_reason_make_no_entity_fail(
    hass: HomeAssistant, post: Post, stamp: Any
) -> None:
    """The value is shown, without a time it cannot have; its charge-complete moment too."""
    document = make_state({TIME_LEFT: {"value": 45, "unit": "minutes"}, SOC: {"value": 55}})
    for signal in document["data"]["signals"]:
        signal["meta"] = {"oemUpdatedAt": stamp, "retrievedAt": stamp}
    document["meta"]["deliveredAt"] = stamp
    assert (await post(document)).status == 200
    battery = hass.states.get(BATTERY)
    assert battery.state == "55"
    assert battery.attributes["recorded_at"] is None
    assert hass.states.get("sensor.kia_ev6_time_to_full_charge").state == "45"
    assert hass.states.get("sensor.kia_ev6_charge_complete_at").state == "unknown"


async def test_stored_values_no_delivery_could_bring_are_dropped_at_start(
    hass: HomeAssistant,
    post: Post,
    integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A file of an earlier release: its impossible values and times are dropped.

    Its times in the future order nothing, and the plausible rest is shown.
    """
    config_entry = integration
    assert await hass.config_entries.async_unload(config_entry.entry_id)

    def stored(body: Any, stamp: Any) -> dict[str, Any]:
        return {"body": body, "recorded_at": stamp, "retrieved_at": stamp, "stamp": stamp}

    hass_storage[f"{DOMAIN}.{config_entry.entry_id}"] = {
        "version": 1,
        "key": f"{DOMAIN}.{config_entry.entry_id}",
        "data": {
            "vehicles": {
                EV_ID: {
                    "make": "KIA",
                    "model": "EV6",
                    "year": 10**30,
                    "last_delivery_at": 10**20,
                    "signals": {
                        SOC: stored({"value": 150, "unit": "percent"}, T0),
                        ODOMETER: stored({"value": 12_000, "unit": "km"}, 10**15),
                        OUTSIDE: stored({"value": 11, "unit": "celsius"}, 253_402_300_000_000),
                    },
                }
            },
            "recent_events": [],
        },
    }
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(BATTERY) is None
    odometer = hass.states.get("sensor.kia_ev6_odometer")
    assert (odometer.state, odometer.attributes["recorded_at"]) == ("12000", None)
    assert hass.states.get("sensor.kia_ev6_outside_temperature").state == "11"
    await _deliver(post, OUTSIDE, {"value": 12, "unit": "celsius"}, "real", T0)
    assert hass.states.get("sensor.kia_ev6_outside_temperature").state == "12"


async def test_a_charge_completing_after_9999_shows_no_moment(
    hass: HomeAssistant, post: Post
) -> None:
    """The car's time is the last minute of 9999; 45 minutes later is no datetime."""
    await _deliver(post, TIME_LEFT, {"value": 45, "unit": "minutes"}, "1", 253_402_300_740_000)
    assert hass.states.get("sensor.kia_ev6_time_to_full_charge").state == "45"
    assert hass.states.get("sensor.kia_ev6_charge_complete_at").state == "unknown"


async def test_a_name_no_device_can_have_is_not_taken(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    nickname = "vehicleidentification-nickname"
    await _deliver(post, nickname, {"value": "Blue Thunder"}, "1", T0)
    await _deliver(post, nickname, {"value": "x" * 256}, "2", T0 + MINUTE)
    assert vehicle_device(hass, EV_ID).name == "Blue Thunder"
    assert await _rejected(hass, integration) == {nickname: 1}
