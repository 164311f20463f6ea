"""Transitions: device triggers, the event entity and the bus event."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_get_device_automations,
)

from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component

from custom_components.smartcar.const import DOMAIN, EVENT_DELIVERY
from custom_components.smartcar.transitions import TRANSITION_TYPES, detect, offered

from .conftest import EV_ID, Post, fixture_bytes, make_state, vehicle_device

PLUG = "charge-ischargingcableconnected"
CHARGING = "charge-ischarging"
STATUS = "charge-detailedchargingstatus"
LOCK = "closure-islocked"
DOORS = "closure-doors"
WINDOWS = "closure-windows"
TRUNK = "closure-reartrunk"
HOME = "location-isathome"


def _grid(*open_cells: tuple[int, int]) -> dict[str, Any]:
    return {
        "values": [
            {"row": row, "column": column, "isOpen": (row, column) in open_cells}
            for row in (0, 1)
            for column in (0, 1)
        ]
    }


@pytest.mark.parametrize(
    ("signal", "old", "new", "expected"),
    [
        (PLUG, {"value": False}, {"value": True}, ["plugged_in"]),
        (PLUG, {"value": True}, {"value": False}, ["unplugged"]),
        (PLUG, {"value": True}, {"value": True}, []),
        (PLUG, {"value": None}, {"value": True}, []),
        (CHARGING, {"value": False}, {"value": True}, ["charging_started"]),
        (CHARGING, {"value": True}, {"value": False}, ["charging_stopped"]),
        (STATUS, {"value": "CHARGING"}, {"value": "FULLY_CHARGED"}, ["charge_complete"]),
        (STATUS, {"value": "FULLY_CHARGED"}, {"value": "FULLY_CHARGED"}, []),
        (LOCK, {"value": False}, {"value": True}, ["locked"]),
        (LOCK, {"value": True}, {"value": False}, ["unlocked"]),
        (DOORS, _grid(), _grid((0, 0)), ["door_opened"]),
        (DOORS, _grid((0, 0)), _grid((0, 0), (1, 1)), ["door_opened"]),
        (DOORS, _grid((0, 0), (1, 1)), _grid((1, 1)), []),
        (DOORS, _grid((1, 1)), _grid(), ["doors_closed"]),
        (DOORS, _grid(), _grid(), []),
        (DOORS, {"values": []}, _grid((0, 0)), []),
        (DOORS, {}, _grid((0, 0)), []),
        (TRUNK, {"isOpen": False}, {"isOpen": True}, ["trunk_opened"]),
        (WINDOWS, _grid(), _grid((1, 0)), ["window_opened"]),
        (HOME, {"value": False}, {"value": True}, ["arrived_home"]),
        (HOME, {"value": True}, {"value": False}, ["left_home"]),
    ],
)
def test_transition_table(
    signal: str, old: dict[str, Any], new: dict[str, Any], expected: list[str]
) -> None:
    """Transitions fire on a change between known values, never on a repeat."""
    assert detect([(signal, old, new)]) == expected


def test_first_value_fires_nothing() -> None:
    """A signal's first value has nothing to change from."""
    assert detect([(PLUG, None, {"value": True})]) == []


def test_offered_follows_delivered_signals() -> None:
    """Only transitions the vehicle's delivered signals can fire are offered."""
    assert offered([PLUG, "odometer-traveleddistance"]) == ["plugged_in", "unplugged"]
    assert offered([]) == []


async def _deliver(post: Post, event_id: str, signals: dict[str, Any], stamp: int) -> None:
    response = await post(make_state(signals, event_id=event_id, oem_updated_at=stamp))
    assert response.status == 200


async def test_event_entity_and_bus_event_follow_transitions(
    hass: HomeAssistant, post: Post
) -> None:
    """Plugging in fires the event entity and the bus event; the rest fires nothing.

    The bus event is for what happened: a first value or a repeat is no transition, so no
    event (and no row in the recorder's events).
    """
    deliveries = async_capture_events(hass, EVENT_DELIVERY)
    await _deliver(post, "1", {PLUG: {"value": False}}, 1_766_990_000_000)
    entity = "event.kia_ev6_vehicle_event"
    assert hass.states.get(entity).state == "unknown"
    assert hass.states.get(entity).attributes["event_types"] == list(TRANSITION_TYPES)

    await _deliver(post, "2", {PLUG: {"value": True}}, 1_766_990_100_000)
    state = hass.states.get(entity)
    assert state.attributes["event_type"] == "plugged_in"
    fired_at = state.state

    await _deliver(post, "3", {PLUG: {"value": True}}, 1_766_990_200_000)
    assert hass.states.get(entity).state == fired_at

    device = vehicle_device(hass, EV_ID)
    assert [event.data for event in deliveries] == [
        {
            "vehicle_id": EV_ID,
            "device_id": device.id,
            "event_type": "VEHICLE_STATE",
            "triggers": [PLUG],
            "transitions": ["plugged_in"],
        }
    ]


async def test_bus_event_for_vehicle_errors(hass: HomeAssistant, post: Post) -> None:
    """Vehicle errors are announced on the bus with their type, code and state."""
    deliveries = async_capture_events(hass, EVENT_DELIVERY)
    await post(fixture_bytes("vehicle_error.json"))
    assert deliveries[0].data["event_type"] == "VEHICLE_ERROR"
    assert deliveries[0].data["errors"] == [
        {"type": "CONNECTED_SERVICES_ACCOUNT", "code": "AUTHENTICATION_FAILED", "state": "ERROR"},
        {"type": "COMPATIBILITY", "code": "VEHICLE_NOT_CAPABLE", "state": "ERROR"},
    ]


async def test_device_triggers_offered_for_delivered_signals(
    hass: HomeAssistant, post: Post
) -> None:
    """The automation editor lists only triggers the vehicle's signals can fire."""
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    device = vehicle_device(hass, EV_ID)
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, device.id)
    types = {trigger["type"] for trigger in triggers if trigger["domain"] == DOMAIN}
    assert types == {
        "plugged_in",
        "unplugged",
        "charging_started",
        "charging_stopped",
        "charge_complete",
        "locked",
        "unlocked",
        "door_opened",
        "doors_closed",
        "trunk_opened",
        "window_opened",
    }


async def test_device_triggers_of_unknown_device(hass: HomeAssistant) -> None:
    """A device this integration does not know offers nothing."""
    from custom_components.smartcar.device_trigger import async_get_triggers

    assert await async_get_triggers(hass, "no-such-device") == []


async def test_device_trigger_runs_automation_once_per_change(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry
) -> None:
    """An automation on "plugged in" runs when plugged in, not on repeats, and after reload."""
    await _deliver(post, "1", {PLUG: {"value": False}}, 1_766_990_000_000)
    device = vehicle_device(hass, EV_ID)
    calls: list[ServiceCall] = []
    hass.services.async_register("test", "automation", calls.append)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "trigger": {
                        "platform": "device",
                        "domain": DOMAIN,
                        "device_id": device.id,
                        "type": "plugged_in",
                    },
                    "action": {
                        "service": "test.automation",
                        "data": {"what": "{{ trigger.description }}"},
                    },
                }
            ]
        },
    )
    await _deliver(post, "2", {PLUG: {"value": True}}, 1_766_990_100_000)
    await _deliver(post, "3", {PLUG: {"value": True}}, 1_766_990_200_000)
    await hass.async_block_till_done()
    assert [call.data["what"] for call in calls] == ["Smartcar plugged in"]

    await _deliver(post, "4", {PLUG: {"value": False}}, 1_766_990_300_000)
    assert await hass.config_entries.async_reload(integration.entry_id)
    await _deliver(post, "5", {PLUG: {"value": True}}, 1_766_990_400_000)
    await hass.async_block_till_done()
    assert len(calls) == 2
