"""Unit tests for the fleet: de-duplication, ordering, change detection and errors.

Plain Python, no Home Assistant. Events are built as the webhook builds them
(tests/fleet_events.py), with realistic timestamps.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from custom_components.smartcar.fleet import SEEN_EVENTS_LIMIT, Fleet, SignalState, Vehicle
from custom_components.smartcar.json_body import load_object
from custom_components.smartcar.protocol import VehicleInfo, VehicleState
from custom_components.smartcar.timestamps import ordering_time
from custom_components.smartcar.vehicle_errors import TRANSIENT_ERRORS

from .fleet_events import (
    AT_HOME,
    CHARGING,
    NO_PERMISSION,
    NOT_CAPABLE,
    NOW,
    ODOMETER,
    OTHER,
    SOC,
    T0,
    VEHICLE,
    failed,
    fixture_event,
    item,
    read,
    state,
    value,
    vehicle_error,
)

# --- New vehicles and vehicle info -----------------------------------------------------


def test_first_event_creates_the_vehicle_with_its_values() -> None:
    fleet = Fleet()
    applied = fleet.apply_state(
        state(value(ODOMETER, 100, oem=T0), failed(AT_HOME, NOT_CAPABLE), delivered_at=T0 + 5),
        NOW,
    )
    assert applied.new_vehicle
    assert applied.info_changed
    assert not applied.duplicate
    assert applied.signals == {ODOMETER, AT_HOME}
    assert applied.first_values == {ODOMETER}
    assert applied.previous == {ODOMETER: None, AT_HOME: None}
    vehicle = fleet.vehicles["car-1"]
    assert applied.vehicle is vehicle
    assert (vehicle.make, vehicle.model, vehicle.year) == ("KIA", "EV6", 2023)
    assert vehicle.last_delivery_at == NOW
    assert vehicle.value(ODOMETER) == {"value": 100, "unit": "km"}
    assert vehicle.value(AT_HOME) is None
    assert vehicle.value("never-delivered") is None


def test_fixture_deliveries_build_two_vehicles() -> None:
    fleet = Fleet()
    ev = fleet.apply_state(fixture_event("vehicle_state_ev_signal_update.json"), NOW)
    ice = fleet.apply_state(fixture_event("vehicle_state_ice.json"), NOW)
    assert ev.new_vehicle
    assert ice.new_vehicle
    assert len(fleet.vehicles) == 2
    # 26 signals; the sunroof's {"isOpen": null} carries no value, two are in error.
    assert len(ev.signals) == 25
    assert "closure-sunroof" not in fleet.vehicles[ev.vehicle.id].signals
    assert len(ev.first_values) == 23
    assert "climate-externaltemperature" not in ev.first_values
    assert ice.first_values == ice.signals


def test_later_event_of_known_vehicle_is_not_new() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(oem=T0)), NOW)
    applied = fleet.apply_state(state(value(oem=T0 + 1)), NOW + 1)
    assert not applied.new_vehicle
    assert not applied.info_changed
    assert fleet.vehicles["car-1"].last_delivery_at == NOW + 1


@pytest.mark.parametrize(
    ("info", "changed", "expected"),
    [
        pytest.param(VEHICLE, False, ("KIA", "EV6", 2023), id="same"),
        pytest.param(
            VehicleInfo("car-1", "KIA", "EV9", 2023), True, ("KIA", "EV9", 2023), id="model"
        ),
        pytest.param(
            VehicleInfo("car-1", "KIA", "EV6", 2024), True, ("KIA", "EV6", 2024), id="year"
        ),
        pytest.param(
            VehicleInfo("car-1", None, None, None), False, ("KIA", "EV6", 2023), id="nothing-known"
        ),
        pytest.param(
            VehicleInfo("car-1", "HYUNDAI", None, None),
            True,
            ("HYUNDAI", "EV6", 2023),
            id="partial",
        ),
    ],
)
def test_vehicle_info_changes(
    info: VehicleInfo, changed: bool, expected: tuple[str, str, int]
) -> None:
    fleet = Fleet()
    fleet.apply_state(state(), NOW)
    applied = fleet.apply_state(state(vehicle=info), NOW)
    assert applied.info_changed is changed
    vehicle = fleet.vehicles["car-1"]
    assert (vehicle.make, vehicle.model, vehicle.year) == expected


def test_vehicle_error_can_create_a_vehicle() -> None:
    fleet = Fleet()
    applied = fleet.apply_error(vehicle_error(item(), vehicle=OTHER))
    assert applied.new_vehicle
    assert applied.info_changed
    assert fleet.vehicles["car-2"].make == "TOYOTA"
    assert fleet.vehicles["car-2"].last_delivery_at is None  # errors are not deliveries of data


def test_vehicles_are_kept_apart() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(number=1, oem=T0)), NOW)
    fleet.apply_state(state(value(number=2, oem=T0 - 10), vehicle=OTHER), NOW)
    assert fleet.vehicles["car-1"].value(ODOMETER) == {"value": 1, "unit": "km"}
    assert fleet.vehicles["car-2"].value(ODOMETER) == {"value": 2, "unit": "km"}


# --- De-duplication --------------------------------------------------------------------


def test_duplicate_state_event_changes_nothing() -> None:
    fleet = Fleet()
    event = state(value(number=1, oem=T0), event_id="retry-me")
    fleet.apply_state(event, NOW)
    before = copy.deepcopy(fleet.vehicles)
    again = fleet.apply_state(event, NOW + 25_000)
    assert again.duplicate
    assert again.signals == frozenset()
    assert again.first_values == frozenset()
    assert not again.new_vehicle
    assert again.vehicle is fleet.vehicles["car-1"]
    assert fleet.vehicles == before  # not even the delivery time moved


def test_retry_with_same_event_id_but_other_content_is_still_a_duplicate() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(number=1, oem=T0), event_id="same"), NOW)
    applied = fleet.apply_state(state(value(number=2, oem=T0 + 1), event_id="same"), NOW)
    assert applied.duplicate
    assert fleet.vehicles["car-1"].value(ODOMETER) == {"value": 1, "unit": "km"}


def test_duplicate_error_event_changes_nothing() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(SOC, 50, oem=T0)), NOW)
    fleet.apply_error(vehicle_error(item("PERMISSION", None, SOC), event_id="err-1"))
    fleet.apply_state(state(value(SOC, 51, oem=T0 + 1)), NOW)  # unblocks SOC
    applied = fleet.apply_error(vehicle_error(item("PERMISSION", None, SOC), event_id="err-1"))
    assert applied.duplicate
    assert applied.signals == frozenset()
    assert not applied.errors_changed
    assert fleet.vehicles["car-1"].value(SOC) == {"value": 51, "unit": "km"}


def test_event_ids_are_shared_between_event_types() -> None:
    fleet = Fleet()
    fleet.apply_state(state(event_id="shared"), NOW)
    assert fleet.apply_error(vehicle_error(item(), event_id="shared")).duplicate
    assert fleet.vehicles["car-1"].errors == {}


def test_events_without_id_are_never_duplicates() -> None:
    fleet = Fleet()
    first = fleet.apply_state(state(value(number=1, oem=T0), event_id=None), NOW)
    second = fleet.apply_state(state(value(number=2, oem=T0 + 1), event_id=None), NOW)
    assert not first.duplicate
    assert not second.duplicate
    assert second.signals == {ODOMETER}
    assert not fleet.seen(None)
    assert len(fleet._seen) == 0


def test_seen_ids_are_bounded_and_the_oldest_is_forgotten() -> None:
    fleet = Fleet()
    for number in range(SEEN_EVENTS_LIMIT + 1):
        fleet.apply_state(state(event_id=f"id-{number}"), NOW)
    assert SEEN_EVENTS_LIMIT == 4096
    assert len(fleet._seen) == SEEN_EVENTS_LIMIT
    assert not fleet.seen("id-0")
    assert fleet.seen("id-1")
    assert fleet.seen(f"id-{SEEN_EVENTS_LIMIT}")
    # The forgotten event is applied again if it is retried; the newest stay de-duplicated.
    assert not fleet.apply_state(state(event_id="id-0"), NOW).duplicate
    assert not fleet.seen("id-1")
    assert fleet.apply_state(state(event_id=f"id-{SEEN_EVENTS_LIMIT}"), NOW).duplicate


def test_seen_ids_stay_bounded_over_many_events() -> None:
    fleet = Fleet()
    for number in range(3 * SEEN_EVENTS_LIMIT):
        fleet.apply_error(vehicle_error(event_id=f"e{number}"))
    assert len(fleet._seen) == SEEN_EVENTS_LIMIT
    assert fleet.seen(f"e{3 * SEEN_EVENTS_LIMIT - 1}")
    assert not fleet.seen(f"e{2 * SEEN_EVENTS_LIMIT - 1}")


def test_retry_of_a_state_for_a_forgotten_vehicle_is_a_duplicate() -> None:
    """The user removed the vehicle; Smartcar still retries an event that was applied."""
    fleet = Fleet()
    event = state(value(oem=T0), event_id="before-removal")
    fleet.apply_state(event, NOW)
    del fleet.vehicles["car-1"]
    applied = fleet.apply_state(event, NOW)
    assert applied.duplicate
    assert applied.vehicle.id == "car-1"
    assert "car-1" not in fleet.vehicles  # a retry does not bring it back


def test_retry_of_an_error_for_a_forgotten_vehicle_is_a_duplicate() -> None:
    fleet = Fleet()
    event = vehicle_error(item(), event_id="before-removal")
    fleet.apply_error(event)
    del fleet.vehicles["car-1"]
    applied = fleet.apply_error(event)
    assert applied.duplicate
    assert applied.vehicle.id == "car-1"
    assert "car-1" not in fleet.vehicles


# --- Ordering --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param({"oem": T0 + 100}, {"oem": T0}, id="oem"),
        pytest.param({"retrieved": T0 + 100}, {"retrieved": T0}, id="retrieved"),
        pytest.param({"delivered": T0 + 100}, {"delivered": T0}, id="delivered"),
        pytest.param(
            {"oem": T0 + 100, "retrieved": T0 + 200},
            {"oem": T0 + 50, "retrieved": T0 + 900},
            id="oem-wins-over-newer-retrieval",
        ),
    ],
)
def test_older_value_never_replaces_newer(old: dict[str, int], new: dict[str, int]) -> None:
    fleet = Fleet()
    fleet.apply_state(
        state(
            value(number=2, oem=old.get("oem"), retrieved=old.get("retrieved")),
            delivered_at=old.get("delivered"),
        ),
        NOW,
    )
    applied = fleet.apply_state(
        state(
            value(number=1, oem=new.get("oem"), retrieved=new.get("retrieved")),
            delivered_at=new.get("delivered"),
        ),
        NOW + 1,
    )
    assert applied.signals == frozenset()
    assert applied.previous == {}
    assert fleet.vehicles["car-1"].value(ODOMETER) == {"value": 2, "unit": "km"}
    assert fleet.vehicles["car-1"].last_delivery_at == NOW + 1  # the delivery itself counts


def test_out_of_order_deliveries_end_with_the_newest_value() -> None:
    fleet = Fleet()
    newest = state(value(number=3, oem=T0 + 300), delivered_at=T0 + 400)
    older = state(value(number=2, oem=T0 + 200), delivered_at=T0 + 500)
    oldest = state(value(number=1, oem=T0 + 100), delivered_at=T0 + 600)
    for event in (newest, oldest, older):
        fleet.apply_state(event, NOW)
    assert fleet.vehicles["car-1"].value(ODOMETER) == {"value": 3, "unit": "km"}


def test_newer_value_replaces_older_and_reports_the_previous_body() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(number=1, oem=T0, retrieved=T0 + 10)), NOW)
    applied = fleet.apply_state(state(value(number=2, oem=T0 + 60_000, retrieved=T0 + 60_010)), NOW)
    assert applied.signals == {ODOMETER}
    assert applied.first_values == frozenset()
    assert applied.previous == {ODOMETER: {"value": 1, "unit": "km"}}
    held = fleet.vehicles["car-1"].signals[ODOMETER]
    assert held.body == {"value": 2, "unit": "km"}
    assert (held.recorded_at, held.retrieved_at, held.newest_seen_at) == (
        T0 + 60_000,
        T0 + 60_010,
        T0 + 60_000,
    )


def test_value_with_the_same_time_replaces_the_held_one() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(number=1, oem=T0)), NOW)
    applied = fleet.apply_state(state(value(number=2, oem=T0)), NOW)
    assert applied.signals == {ODOMETER}
    assert fleet.vehicles["car-1"].value(ODOMETER) == {"value": 2, "unit": "km"}


def test_each_signal_is_ordered_on_its_own() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(ODOMETER, 1, oem=T0 + 100), value(SOC, 50, oem=T0)), NOW)
    applied = fleet.apply_state(
        state(value(ODOMETER, 0, oem=T0), value(SOC, 60, oem=T0 + 100)), NOW
    )
    assert applied.signals == {SOC}
    vehicle = fleet.vehicles["car-1"]
    assert vehicle.value(ODOMETER) == {"value": 1, "unit": "km"}
    assert vehicle.value(SOC) == {"value": 60, "unit": "km"}


# --- Change detection ------------------------------------------------------------------


@pytest.mark.parametrize("field", ["retrieved", "delivered", "oem"])
def test_same_value_delivered_again_is_no_change_and_keeps_its_times(field: str) -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(oem=T0, retrieved=T0 + 10), delivered_at=T0 + 20), NOW)
    later = {"oem": T0, "retrieved": T0 + 10, "delivered": T0 + 20}
    later[field] += 3_600_000
    applied = fleet.apply_state(
        state(
            value(oem=later["oem"], retrieved=later["retrieved"]), delivered_at=later["delivered"]
        ),
        NOW + 3_600_000,
    )
    assert applied.signals == frozenset()
    assert applied.first_values == frozenset()
    held = fleet.vehicles["car-1"].signals[ODOMETER]
    assert held.recorded_at == T0  # the value's own times, from its first delivery
    assert held.retrieved_at == T0 + 10
    signal = read(value(oem=later["oem"], retrieved=later["retrieved"]))
    assert signal is not None
    assert held.newest_seen_at == ordering_time(
        signal.oem_updated_at, signal.retrieved_at, later["delivered"], NOW + 3_600_000
    )


ISO_LATER = "2025-12-29T09:00:00Z"  # T0 + ~2.5 h (before NOW), as an ISO string
ISO_LATER_MS = 1_766_998_800_000


@pytest.mark.parametrize(
    ("repeat", "stamp"),
    [
        pytest.param({"meta": {"oemUpdatedAt": T0 + 500}}, T0 + 500, id="live-shape"),
        pytest.param(
            {"meta": {"oemUpdatedAt": T0 + 500}, "status": {"value": "SUCCESS"}},
            T0 + 500,
            id="status-success",
        ),
        pytest.param(
            {"meta": {"oemUpdatedAt": 0, "retrievedAt": T0 + 600}}, T0 + 600, id="oem-zero"
        ),
        pytest.param({"meta": {"fetchedAt": T0 + 700}}, T0 + 700, id="fetched-at"),
        pytest.param({"meta": {"oemUpdatedAt": ISO_LATER}}, ISO_LATER_MS, id="iso-time"),
        pytest.param({"meta": {}}, T0 + 900, id="no-times: delivery time"),
        pytest.param({"meta": "x"}, T0 + 900, id="meta-not-an-object"),
        pytest.param({"code": "Odometer-TraveledDistance"}, T0 + 900, id="upper-case-code"),
        pytest.param(
            {"code": None, "group": "Odometer", "name": "TraveledDistance"},
            T0 + 900,
            id="group-and-name",
        ),
    ],
)
def test_repeated_value_in_any_shape_only_moves_the_ordering_time(
    repeat: dict[str, Any], stamp: int
) -> None:
    """Repeats are settled without reading them when they can be; the outcome is the same."""
    fleet = Fleet()
    fleet.apply_state(state(value(oem=T0), delivered_at=T0 + 100), NOW)
    again = {**value(), "meta": {}, **repeat}
    applied = fleet.apply_state(state(again, delivered_at=T0 + 900), NOW)
    assert applied.signals == frozenset()
    held = fleet.vehicles["car-1"].signals[ODOMETER]
    assert (held.body, held.recorded_at, held.newest_seen_at) == (
        {"value": 100, "unit": "km"},
        T0,
        stamp,
    )
    # A different value recorded between the two deliveries arrives late: it is older.
    late = fleet.apply_state(state(value(number=99, oem=T0 + 1), delivered_at=T0 + 1), NOW)
    assert late.signals == frozenset()
    assert held.body == {"value": 100, "unit": "km"}


@pytest.mark.parametrize("later", [0, 1], ids=["same-car-time", "later-car-time"])
def test_repeated_value_with_an_error_status_is_the_error(later: int) -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(oem=T0)), NOW)
    broken = {**value(oem=T0 + later), "status": {"value": "ERROR", "error": {"type": "SERVER"}}}
    applied = fleet.apply_state(state(broken), NOW)
    assert applied.signals == {ODOMETER}
    assert fleet.vehicles["car-1"].value(ODOMETER) is None


def test_signal_object_with_a_code_that_is_not_text_is_skipped() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(oem=T0)), NOW)
    applied = fleet.apply_state(state({**value(oem=T0 + 1), "code": 5}), NOW)
    assert applied.signals == frozenset()
    assert fleet.vehicles["car-1"].signals.keys() == {ODOMETER}


def test_repeat_in_other_json_text_is_no_change() -> None:
    """Equal values written differently (key order, spacing) are still the same value."""
    fleet = Fleet()
    fleet.apply_state(state(value(oem=T0)), NOW)
    reordered = {"code": ODOMETER, "body": {"unit": "km", "value": 100}, "meta": {}}
    applied = fleet.apply_state(state(reordered, delivered_at=T0 + 5), NOW)
    assert applied.signals == frozenset()
    held = fleet.vehicles["car-1"].signals[ODOMETER]
    assert (held.body, held.newest_seen_at) == ({"value": 100, "unit": "km"}, T0 + 5)


def test_signal_whose_body_cannot_be_read_changes_nothing() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(oem=T0)), NOW)
    body = b'{"data": {"signals": [{"code": "%s", "body": {"value": 1e999}}]}}' % ODOMETER.encode()
    unreadable = load_object(body)["data"]["signals"]
    event = state()
    applied = fleet.apply_state(
        VehicleState(
            event_id="unreadable",
            vehicle=VEHICLE,
            signal_objects=tuple(unreadable),
            triggers=event.triggers,
            delivered_at=None,
            mode=None,
        ),
        NOW,
    )
    assert applied.signals == frozenset()
    assert fleet.vehicles["car-1"].value(ODOMETER) == {"value": 100, "unit": "km"}


def test_retrieved_at_falls_back_to_delivery_time() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(), delivered_at=T0 + 20), NOW)
    held = fleet.vehicles["car-1"].signals[ODOMETER]
    assert held.recorded_at is None
    assert held.retrieved_at == T0 + 20
    assert held.newest_seen_at == T0 + 20


def test_only_changed_signals_are_reported() -> None:
    fleet = Fleet()
    fleet.apply_state(
        state(
            value(ODOMETER, 1, oem=T0),
            value(SOC, 50, oem=T0),
            value(CHARGING, body={"value": True}, oem=T0),
        ),
        NOW,
    )
    applied = fleet.apply_state(
        state(
            value(ODOMETER, 1, oem=T0 + 1),
            value(SOC, 51, oem=T0 + 1),
            value(CHARGING, body={"value": True}, oem=T0 + 1),
        ),
        NOW,
    )
    assert applied.signals == {SOC}
    assert applied.previous == {SOC: {"value": 50, "unit": "km"}}


def test_first_values_only_for_a_signal_first_value() -> None:
    fleet = Fleet()
    first = fleet.apply_state(state(value(number=1, oem=T0)), NOW)
    second = fleet.apply_state(state(value(number=2, oem=T0 + 1), value(SOC, 50, oem=T0)), NOW)
    assert first.first_values == {ODOMETER}
    assert second.first_values == {SOC}
    assert second.signals == {ODOMETER, SOC}


def test_signal_absent_from_a_delivery_keeps_its_value() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(ODOMETER, 1, oem=T0), value(SOC, 50, oem=T0)), NOW)
    applied = fleet.apply_state(state(value(SOC, 51, oem=T0 + 1)), NOW)
    assert applied.signals == {SOC}
    assert fleet.vehicles["car-1"].value(ODOMETER) == {"value": 1, "unit": "km"}


# --- Signal errors ---------------------------------------------------------------------


def test_compatibility_error_on_never_delivered_signal_creates_no_first_value() -> None:
    fleet = Fleet()
    applied = fleet.apply_state(state(failed(AT_HOME, NOT_CAPABLE), delivered_at=T0), NOW)
    assert applied.first_values == frozenset()
    assert applied.signals == {AT_HOME}
    held = fleet.vehicles["car-1"].signals[AT_HOME]
    assert held.body is None
    assert held.error == NOT_CAPABLE
    assert not held.has_value
    assert fleet.vehicles["car-1"].value(AT_HOME) is None


def test_repeated_identical_error_is_no_change() -> None:
    fleet = Fleet()
    fleet.apply_state(state(failed(AT_HOME, NOT_CAPABLE), delivered_at=T0), NOW)
    applied = fleet.apply_state(state(failed(AT_HOME, NOT_CAPABLE), delivered_at=T0 + 60_000), NOW)
    assert applied.signals == frozenset()


def test_a_different_error_is_a_change() -> None:
    fleet = Fleet()
    fleet.apply_state(state(failed(AT_HOME, NOT_CAPABLE), delivered_at=T0), NOW)
    applied = fleet.apply_state(state(failed(AT_HOME, NO_PERMISSION), delivered_at=T0 + 1), NOW)
    assert applied.signals == {AT_HOME}
    assert fleet.vehicles["car-1"].signals[AT_HOME].error == NO_PERMISSION


def test_error_then_value_again_are_both_transitions() -> None:
    """A value, then an error (e.g. a revoked permission), then the value once more.

    As on the wire, the error carries no timestamps (its order is the delivery time), and the
    value that comes back was recorded by the car before the error was delivered.
    """
    fleet = Fleet()
    odometer = value(number=18452.6, oem=T0, retrieved=T0 + 100_000)
    fleet.apply_state(state(odometer, delivered_at=T0 + 100_500), NOW)

    broken = fleet.apply_state(state(failed(ODOMETER), delivered_at=T0 + 200_000), NOW)
    assert broken.signals == {ODOMETER}
    assert broken.first_values == frozenset()
    assert broken.previous == {ODOMETER: {"value": 18452.6, "unit": "km"}}
    vehicle = fleet.vehicles["car-1"]
    assert vehicle.value(ODOMETER) is None
    assert vehicle.signals[ODOMETER].body == {"value": 18452.6, "unit": "km"}  # kept for later

    # Permission restored: the same value, with the car's same (older) time, comes back.
    back = fleet.apply_state(
        state(value(number=18452.6, oem=T0, retrieved=T0 + 300_000), delivered_at=T0 + 300_500),
        NOW,
    )
    assert back.signals == {ODOMETER}
    assert back.first_values == frozenset()
    assert vehicle.value(ODOMETER) == {"value": 18452.6, "unit": "km"}
    held = vehicle.signals[ODOMETER]
    assert held.recorded_at == T0
    assert held.retrieved_at == T0 + 100_000  # same value: its first delivery's times

    # And a new value after that is a plain change.
    moved = fleet.apply_state(state(value(number=18500.0, oem=T0 + 250_000)), NOW)
    assert moved.signals == {ODOMETER}
    assert moved.previous == {ODOMETER: {"value": 18452.6, "unit": "km"}}


def test_value_recorded_before_an_error_still_clears_it_with_a_new_value() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(number=1, oem=T0)), NOW)
    fleet.apply_state(state(failed(), delivered_at=T0 + 200_000), NOW)
    applied = fleet.apply_state(state(value(number=2, oem=T0 + 100_000)), NOW)
    assert applied.signals == {ODOMETER}
    assert applied.previous == {ODOMETER: {"value": 1, "unit": "km"}}
    assert fleet.vehicles["car-1"].value(ODOMETER) == {"value": 2, "unit": "km"}


def test_error_older_than_the_held_value_is_ignored() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(oem=T0 + 500)), NOW)
    applied = fleet.apply_state(state(failed(), delivered_at=T0), NOW)
    assert applied.signals == frozenset()
    assert fleet.vehicles["car-1"].value(ODOMETER) == {"value": 100, "unit": "km"}


def test_value_older_than_the_held_one_does_not_clear_an_error() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(number=2, oem=T0 + 500)), NOW)
    fleet.apply_state(state(failed(), delivered_at=T0 + 600), NOW)
    applied = fleet.apply_state(state(value(number=1, oem=T0)), NOW)
    assert applied.signals == frozenset()
    assert fleet.vehicles["car-1"].value(ODOMETER) is None


def test_first_value_after_a_compatibility_error_is_a_first_value() -> None:
    fleet = Fleet()
    fleet.apply_state(state(failed(AT_HOME, NOT_CAPABLE), delivered_at=T0), NOW)
    applied = fleet.apply_state(
        state(value(AT_HOME, body={"value": True}, oem=T0 + 10), delivered_at=T0 + 20), NOW
    )
    assert applied.signals == {AT_HOME}
    assert applied.first_values == {AT_HOME}
    assert applied.previous == {AT_HOME: None}


# --- Vehicle errors --------------------------------------------------------------------


def test_vehicle_error_opens_errors_keyed_by_type_and_code() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(SOC, 50, oem=T0), value(ODOMETER, 1, oem=T0)), NOW)
    account = item("CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", SOC)
    capable = item("COMPATIBILITY", "VEHICLE_NOT_CAPABLE", "climate-externaltemperature")
    applied = fleet.apply_error(vehicle_error(account, capable))
    vehicle = fleet.vehicles["car-1"]
    assert applied.errors_changed
    assert not applied.new_vehicle
    assert applied.signals == {SOC, "climate-externaltemperature"}
    assert vehicle.errors == {
        ("CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED"): account,
        ("COMPATIBILITY", "VEHICLE_NOT_CAPABLE"): capable,
    }
    assert vehicle.value(SOC) is None  # blocked by the open error
    assert vehicle.value(ODOMETER) == {"value": 1, "unit": "km"}
    assert not vehicle.out_of_reach


def test_fixture_vehicle_error_then_resolution() -> None:
    fleet = Fleet()
    fleet.apply_state(fixture_event("vehicle_state_ev_signal_update.json"), NOW)
    opened = fleet.apply_error(fixture_event("vehicle_error.json"))
    assert opened.errors_changed
    assert opened.signals == {
        "tractionbattery-stateofcharge",
        "location-preciselocation",
        "climate-externaltemperature",
    }
    vehicle = fleet.vehicles["9d2c4e6a-1b3f-4c5d-8e7f-6a5b4c3d2e1f"]
    assert vehicle.value("location-preciselocation") is None
    # The resolved fixture clears a different error (UNREACHABLE), which was never open.
    resolved = fleet.apply_error(fixture_event("vehicle_error_resolved.json"))
    assert not resolved.errors_changed
    assert resolved.signals == frozenset()
    assert len(vehicle.errors) == 2


def test_same_vehicle_error_again_is_no_change() -> None:
    fleet = Fleet()
    fleet.apply_error(vehicle_error(item("PERMISSION", None, SOC)))
    applied = fleet.apply_error(vehicle_error(item("PERMISSION", None, SOC)))
    assert not applied.errors_changed
    assert applied.signals == frozenset()


def test_updated_description_of_an_open_error_is_an_error_change() -> None:
    fleet = Fleet()
    fleet.apply_error(vehicle_error(item("PERMISSION", None, SOC)))
    applied = fleet.apply_error(vehicle_error(item("PERMISSION", None, SOC, description="New")))
    assert applied.errors_changed
    assert applied.signals == frozenset()
    assert len(fleet.vehicles["car-1"].errors) == 1


def test_resolved_clears_the_error_and_unblocks_its_signals() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(SOC, 50, oem=T0)), NOW)
    fleet.apply_error(vehicle_error(item("PERMISSION", None, SOC, CHARGING)))
    applied = fleet.apply_error(vehicle_error(item("PERMISSION", None, resolved=True)))
    vehicle = fleet.vehicles["car-1"]
    assert applied.errors_changed
    assert applied.signals == {SOC, CHARGING}
    assert vehicle.errors == {}
    assert vehicle.blocked == {}
    assert vehicle.value(SOC) == {"value": 50, "unit": "km"}


def test_resolved_clears_only_the_matching_type_and_code() -> None:
    fleet = Fleet()
    fleet.apply_error(
        vehicle_error(
            item("PERMISSION", None, SOC),
            item("COMPATIBILITY", "VEHICLE_NOT_CAPABLE", AT_HOME),
        )
    )
    applied = fleet.apply_error(vehicle_error(item("PERMISSION", "OTHER", resolved=True)))
    assert not applied.errors_changed
    applied = fleet.apply_error(
        vehicle_error(item("COMPATIBILITY", "VEHICLE_NOT_CAPABLE", resolved=True))
    )
    vehicle = fleet.vehicles["car-1"]
    assert applied.signals == {AT_HOME}
    assert list(vehicle.errors) == [("PERMISSION", None)]
    assert vehicle.blocked == {SOC: ("PERMISSION", None)}


def test_signal_stays_blocked_while_another_error_names_it() -> None:
    """Two open errors name one signal: resolving one leaves the other blocking it."""
    fleet = Fleet()
    fleet.apply_state(state(value(SOC, 50, oem=T0)), NOW)
    fleet.apply_error(vehicle_error(item("PERMISSION", None, SOC)))
    fleet.apply_error(vehicle_error(item("CONNECTED_SERVICES_ACCOUNT", "SUBSCRIPTION", SOC)))
    applied = fleet.apply_error(
        vehicle_error(item("CONNECTED_SERVICES_ACCOUNT", "SUBSCRIPTION", resolved=True))
    )
    vehicle = fleet.vehicles["car-1"]
    assert vehicle.blocked == {SOC: ("PERMISSION", None)}
    assert vehicle.value(SOC) is None
    assert applied.signals == {SOC}  # the blocking error changed; the entity re-checks
    fleet.apply_error(vehicle_error(item("PERMISSION", None, resolved=True)))
    assert vehicle.value(SOC) == {"value": 50, "unit": "km"}


def test_resolving_an_error_that_was_never_open_changes_nothing() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(SOC, 50, oem=T0)), NOW)
    applied = fleet.apply_error(vehicle_error(item("VEHICLE_STATE", "ASLEEP", resolved=True)))
    assert not applied.errors_changed
    assert applied.signals == frozenset()


@pytest.mark.parametrize("code", sorted(TRANSIENT_ERRORS))
def test_transient_error_marks_the_car_out_of_reach_but_keeps_values(code: str) -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(SOC, 50, oem=T0)), NOW)
    opened = fleet.apply_error(vehicle_error(item("VEHICLE_STATE", code, SOC)))
    vehicle = fleet.vehicles["car-1"]
    assert opened.errors_changed
    assert opened.signals == frozenset()
    assert vehicle.out_of_reach
    assert vehicle.value(SOC) == {"value": 50, "unit": "km"}
    closed = fleet.apply_error(vehicle_error(item("VEHICLE_STATE", code, resolved=True)))
    assert closed.errors_changed
    assert not vehicle.out_of_reach


def test_vehicle_wide_error_without_signals_blocks_nothing() -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(SOC, 50, oem=T0)), NOW)
    applied = fleet.apply_error(vehicle_error(item("CONNECTED_SERVICES_ACCOUNT", "SUBSCRIPTION")))
    assert applied.errors_changed
    assert applied.signals == frozenset()
    assert fleet.vehicles["car-1"].value(SOC) == {"value": 50, "unit": "km"}


@pytest.mark.parametrize("later", [0, 1], ids=["same-car-time", "later-car-time"])
def test_fresh_value_outranks_a_vehicle_error_naming_the_signal(later: int) -> None:
    fleet = Fleet()
    fleet.apply_state(state(value(SOC, 50, oem=T0)), NOW)
    fleet.apply_error(vehicle_error(item("PERMISSION", None, SOC)))
    # The same value again: no value change, but the entity becomes available again.
    applied = fleet.apply_state(state(value(SOC, 50, oem=T0 + later)), NOW)
    vehicle = fleet.vehicles["car-1"]
    assert applied.signals == {SOC}
    assert applied.previous == {}
    assert vehicle.value(SOC) == {"value": 50, "unit": "km"}
    assert vehicle.blocked == {}
    assert ("PERMISSION", None) in vehicle.errors  # the error itself stays open


def test_signal_error_does_not_unblock_a_vehicle_error() -> None:
    fleet = Fleet()
    fleet.apply_error(vehicle_error(item("PERMISSION", None, SOC)))
    fleet.apply_state(state(failed(SOC), delivered_at=T0), NOW)
    assert fleet.vehicles["car-1"].blocked == {SOC: ("PERMISSION", None)}


# --- Signal and vehicle state ------------------------------------------------------


def test_signal_state_has_value_only_without_error() -> None:
    assert not SignalState().has_value
    assert SignalState(body={"value": 1}).has_value
    assert not SignalState(body={"value": 1}, error=NO_PERMISSION).has_value


def test_vehicle_value_respects_blocking() -> None:
    vehicle = Vehicle(id="v", signals={SOC: SignalState(body={"value": 1})})
    assert vehicle.value(SOC) == {"value": 1}
    vehicle.blocked[SOC] = ("PERMISSION", None)
    assert vehicle.value(SOC) is None


def test_a_first_null_value_is_not_held_and_a_later_one_is() -> None:
    """``{"value": null}`` first: nothing held, no first value; after a value: unknown."""
    fleet = Fleet()
    first = fleet.apply_state(state(value(number=None, oem=T0)), NOW)
    assert not first.signals
    assert not first.first_values
    assert ODOMETER not in fleet.vehicles["car-1"].signals
    real = fleet.apply_state(state(value(number=120, oem=T0 + 1)), NOW + 1)
    assert real.first_values == {ODOMETER}
    gone = fleet.apply_state(state(value(number=None, oem=T0 + 2)), NOW + 2)
    assert gone.signals == {ODOMETER}
    assert fleet.vehicles["car-1"].value(ODOMETER) == {"value": None, "unit": "km"}


def test_a_null_field_of_a_signal_the_catalog_does_not_know_is_held() -> None:
    """Only the catalog knows which fields a signal's entities read."""
    fleet = Fleet()
    fleet.apply_state(state(value("charge-somethingnew", None, oem=T0)), NOW)
    assert "charge-somethingnew" in fleet.vehicles["car-1"].signals
