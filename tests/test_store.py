"""The fleet's storage codec: what a stored file holds, and that any stored file loads.

The format is the first release's: tests/fixtures/storage holds a file it wrote. Whatever
part of a file cannot be read is skipped; the rest loads, and the fleet takes deliveries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.smartcar.fleet import Fleet, SignalState
from custom_components.smartcar.protocol import SignalError
from custom_components.smartcar.store import STORED_EVENTS_LIMIT, fleet_as_dict, fleet_from_dict

from .fleet_events import (
    AT_HOME,
    NOT_CAPABLE,
    NOW,
    ODOMETER,
    OTHER,
    SOC,
    T0,
    failed,
    fixture_event,
    item,
    state,
    value,
    vehicle_error,
)

FIRST_RELEASE_FILE = Path(__file__).parent / "fixtures" / "storage" / "smartcar_v0.2.0.json"
EV = "9d2c4e6a-1b3f-4c5d-8e7f-6a5b4c3d2e1f"
ICE = "1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b"


def populated_fleet() -> Fleet:
    """A fleet with values, a signal error, vehicle errors and a blocked signal."""
    fleet = Fleet()
    fleet.apply_state(fixture_event("vehicle_state_ev_signal_update.json"), NOW)
    fleet.apply_state(fixture_event("vehicle_state_ice.json"), NOW + 1)
    fleet.apply_error(fixture_event("vehicle_error.json"))
    fleet.apply_error(vehicle_error(item("VEHICLE_STATE", "ASLEEP", ODOMETER), vehicle=OTHER))
    return fleet


def test_storage_round_trip_through_json() -> None:
    fleet = populated_fleet()
    stored = json.loads(json.dumps(fleet_as_dict(fleet)))
    restored = fleet_from_dict(stored)
    assert fleet_as_dict(restored) == fleet_as_dict(fleet)
    for vehicle_id, vehicle in fleet.vehicles.items():
        again = restored.vehicles[vehicle_id]
        assert again.signals == vehicle.signals
        assert again.errors == vehicle.errors
        assert again.blocked == vehicle.blocked
        assert (again.make, again.model, again.year) == (vehicle.make, vehicle.model, vehicle.year)
        assert again.last_delivery_at == vehicle.last_delivery_at
        assert again.out_of_reach == vehicle.out_of_reach
        for code in vehicle.signals:
            assert again.value(code) == vehicle.value(code)


def test_restored_fleet_still_refuses_older_values() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(number=2, oem=T0 + 100)), NOW)
    restored = fleet_from_dict(json.loads(json.dumps(fleet_as_dict(fleet))))
    applied = restored.apply_state(state(value(number=1, oem=T0)), NOW)
    assert applied.signals == frozenset()
    assert not applied.new_vehicle
    assert restored.vehicles["car-1"].value(ODOMETER) == {"value": 2, "unit": "km"}


def test_retry_after_restore_is_a_duplicate() -> None:
    """Smartcar's retry of an event applied before a restart is known: it runs nothing."""
    fleet = Fleet()
    event = state(value(number=2, oem=T0 + 100), failed(SOC), delivered_at=T0 + 200)
    fleet.apply_state(event, NOW)
    restored = fleet_from_dict(fleet_as_dict(fleet))
    assert restored.apply_state(event, NOW + 1).duplicate


def test_replay_of_a_forgotten_event_changes_nothing_visible() -> None:
    """An event older than the stored ids (another id, same values) changes nothing."""
    fleet = Fleet()
    fleet.apply_state(state(value(number=2, oem=T0 + 100), failed(SOC), delivered_at=T0 + 200), NOW)
    restored = fleet_from_dict(fleet_as_dict(fleet))
    again = state(
        value(number=2, oem=T0 + 100), failed(SOC), delivered_at=T0 + 200, event_id="evt-old"
    )
    applied = restored.apply_state(again, NOW + 1)
    assert not applied.duplicate
    assert applied.signals == frozenset()
    assert applied.first_values == frozenset()


def test_stored_event_ids_are_bounded() -> None:
    """Only the newest ids are stored; all are still known in memory."""
    fleet = Fleet()
    for number in range(STORED_EVENTS_LIMIT + 10):
        fleet.apply_state(
            state(value(number=number % 100), delivered_at=T0 + number, event_id=f"e{number}"),
            NOW,
        )
    stored = fleet_as_dict(fleet)["recent_events"]
    assert len(stored) == STORED_EVENTS_LIMIT
    assert stored[-1] == f"e{STORED_EVENTS_LIMIT + 9}"
    restored = fleet_from_dict({"recent_events": [*stored, 7, None], "vehicles": {}})
    assert restored.seen(f"e{STORED_EVENTS_LIMIT + 9}")
    assert not restored.seen("e0")
    assert fleet.seen("e0")


def test_stored_signal_error_round_trips() -> None:
    fleet = Fleet()
    fleet.apply_state(state(failed(AT_HOME, NOT_CAPABLE), delivered_at=T0), NOW)
    stored = fleet_as_dict(fleet)
    assert stored["vehicles"]["car-1"]["signals"][AT_HOME] == {
        "body": None,
        "recorded_at": None,
        "retrieved_at": None,
        "stamp": 0,  # an error does not move the ordering time of values
        "error": {"type": "COMPATIBILITY", "code": "VEHICLE_NOT_CAPABLE"},
    }
    restored = fleet_from_dict(stored)
    assert restored.vehicles["car-1"].signals[AT_HOME].error == NOT_CAPABLE


def test_empty_fleet_round_trips() -> None:
    assert fleet_as_dict(Fleet()) == {"vehicles": {}, "recent_events": []}
    assert fleet_from_dict({"vehicles": {}}).vehicles == {}


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(None, id="nothing-stored"),
        pytest.param({}, id="empty"),
        pytest.param([], id="list"),
        pytest.param("vehicles", id="string"),
        pytest.param({"vehicles": None}, id="vehicles-null"),
        pytest.param({"vehicles": []}, id="vehicles-list"),
        pytest.param({"vehicles": "car-1"}, id="vehicles-string"),
    ],
)
def test_unusable_storage_gives_an_empty_fleet(data: Any) -> None:
    assert fleet_from_dict(data).vehicles == {}


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param({"car-1": None}, id="vehicle-null"),
        pytest.param({"car-1": "x"}, id="vehicle-string"),
        pytest.param({"car-1": [1, 2]}, id="vehicle-list"),
    ],
)
def test_malformed_vehicle_entries_are_skipped(stored: dict[str, Any]) -> None:
    fleet = fleet_from_dict({"vehicles": {**stored, "car-2": {"make": "TOYOTA"}}})
    assert list(fleet.vehicles) == ["car-2"]
    assert fleet.vehicles["car-2"].make == "TOYOTA"


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param({}, id="empty"),
        pytest.param({"signals": None, "errors": None, "blocked": None}, id="nulls"),
        pytest.param({"signals": [], "errors": {}, "blocked": []}, id="wrong-containers"),
        pytest.param({"signals": "x", "errors": 5, "blocked": "y"}, id="scalars"),
        pytest.param(
            {"signals": {ODOMETER: None, SOC: [1]}, "errors": [None, "x"], "blocked": {SOC: 1}},
            id="wrong-items",
        ),
        pytest.param({"blocked": {SOC: ["PERMISSION"]}}, id="blocked-key-too-short"),
        pytest.param({"blocked": {SOC: ["a", "b", "c"]}}, id="blocked-key-too-long"),
        pytest.param({"make": 5, "model": [], "year": "2023", "last_delivery_at": "x"}, id="info"),
    ],
)
def test_malformed_vehicle_parts_are_skipped(stored: dict[str, Any]) -> None:
    fleet = fleet_from_dict({"vehicles": {"car-1": stored}})
    vehicle = fleet.vehicles["car-1"]
    assert vehicle.signals == {}
    assert vehicle.errors == {}
    assert vehicle.blocked == {}
    assert vehicle.make is None
    assert vehicle.model is None
    assert vehicle.year is None
    assert vehicle.last_delivery_at is None
    # And the restored vehicle takes deliveries as usual.
    applied = fleet.apply_state(state(value(oem=T0)), NOW)
    assert applied.first_values == {ODOMETER}
    assert applied.info_changed


@pytest.mark.parametrize(
    "signal",
    [
        pytest.param({}, id="empty"),
        pytest.param({"body": [1], "stamp": None}, id="body-list"),
        pytest.param({"body": "x", "stamp": "soon"}, id="stamp-string"),
        pytest.param({"body": None, "stamp": True, "error": "ERROR"}, id="stamp-bool"),
        pytest.param({"recorded_at": "x", "retrieved_at": [], "stamp": 1.5}, id="times"),
    ],
)
def test_malformed_stored_signal_is_read_as_empty(signal: dict[str, Any]) -> None:
    fleet = fleet_from_dict({"vehicles": {"car-1": {"signals": {ODOMETER: signal}}}})
    held = fleet.vehicles["car-1"].signals[ODOMETER]
    assert held == SignalState()
    applied = fleet.apply_state(state(value(oem=T0)), NOW)  # no TypeError on ordering
    assert applied.signals == {ODOMETER}
    assert applied.first_values == {ODOMETER}


def test_stored_error_with_odd_fields_is_kept_with_what_is_readable() -> None:
    fleet = fleet_from_dict(
        {
            "vehicles": {
                "car-1": {
                    "errors": [
                        {"type": "PERMISSION", "code": 5, "state": None, "signals": ["a", 3, None]},
                        {"type": "VEHICLE_STATE", "code": "ASLEEP", "signals": "a"},
                    ],
                    "blocked": {"a": ["PERMISSION", None], "b": [1, 2]},
                }
            }
        }
    )
    vehicle = fleet.vehicles["car-1"]
    permission = vehicle.errors[("PERMISSION", None)]
    assert permission.signals == ("a",)
    assert permission.state is None
    assert vehicle.errors[("VEHICLE_STATE", "ASLEEP")].signals == ()
    assert vehicle.out_of_reach
    assert vehicle.blocked == {"a": ("PERMISSION", None)}  # "b" names no possible error
    assert vehicle.value("a") is None


def test_stored_signal_error_with_odd_fields() -> None:
    fleet = fleet_from_dict(
        {"vehicles": {"car-1": {"signals": {AT_HOME: {"error": {"type": 3, "code": "X"}}}}}}
    )
    assert fleet.vehicles["car-1"].signals[AT_HOME].error == SignalError(type=None, code="X")


def test_a_file_of_the_first_release_loads_unchanged() -> None:
    """Values, errors, blocked signals and event ids come back, and are written alike."""
    stored = json.loads(FIRST_RELEASE_FILE.read_bytes())["data"]
    fleet = fleet_from_dict(stored)
    assert fleet_as_dict(fleet) == stored
    ev, ice = fleet.vehicles[EV], fleet.vehicles[ICE]
    assert (ev.make, ev.model, ev.year) == ("KIA", "EV6", 2023)
    assert ev.value(ODOMETER) == {"value": 18452.6, "unit": "km"}
    assert ev.value(SOC) is None  # blocked by the open AUTHENTICATION_FAILED error
    assert ev.signals[SOC].body == {"value": 63, "unit": "percent"}
    assert ev.signals[SOC].newest_seen_at == 1766995980000
    assert ev.signals["climate-externaltemperature"].error == NOT_CAPABLE
    assert set(ev.errors) == {
        ("CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED"),
        ("COMPATIBILITY", "VEHICLE_NOT_CAPABLE"),
    }
    assert ice.out_of_reach
    assert fleet.seen("asleep-1")
    # And it still orders what arrives: an older odometer reading changes nothing.
    ev_info = fixture_event("vehicle_state_ev_signal_update.json").vehicle
    older = value(ODOMETER, 18000.0, oem=ev.signals[ODOMETER].newest_seen_at - 1)
    changes = fleet.apply_state(state(older, vehicle=ev_info), NOW)
    assert changes.signals == frozenset()
    assert ev.value(ODOMETER) == {"value": 18452.6, "unit": "km"}
