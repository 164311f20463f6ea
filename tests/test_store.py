"""The fleet's storage: what a stored file holds, and that any stored file loads.

The format is the first release's: tests/fixtures/storage holds a file it wrote. Whatever
part of a file cannot be read is skipped; the rest loads, and the fleet takes deliveries.
A file that cannot be read at all (another version, no envelope, the wrong shape, not
JSON) starts the entry without values and tells the user, on Home Assistant's own Store.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
import json
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.setup import async_setup_component

from custom_components.smartcar.const import DOMAIN, SAVE_DELAY_SECONDS
from custom_components.smartcar.fleet import Fleet, SignalState
from custom_components.smartcar.protocol import SignalError
from custom_components.smartcar.store import STORED_EVENTS_LIMIT, fleet_as_dict, fleet_from_dict

from .conftest import WEBHOOK_PATH, fixture_bytes, sign
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


# --- Files Home Assistant cannot read: the entry starts, and says so --------------------

# Home Assistant's own Store, captured at import: the hass fixture replaces its file access
# with an in-memory dict (hass_storage), which cannot hold a file that is not JSON.
REAL_LOAD = Store._async_load
REAL_WRITE = Store._async_write_data
GOOD_FILE = FIRST_RELEASE_FILE.read_bytes()


@pytest.fixture
def storage_dir(hass: HomeAssistant, tmp_path: Path) -> Iterator[Path]:
    """Real storage files in the test's own configuration directory."""
    hass.config.config_dir = str(tmp_path)
    folder = tmp_path / ".storage"
    folder.mkdir()
    with (
        patch.object(Store, "_async_load", REAL_LOAD),
        patch.object(Store, "_async_write_data", REAL_WRITE),
    ):
        yield folder


def _copies(path: Path) -> list[bytes]:
    """What the files kept next to ``path`` hold (``<name>.unreadable.…``, ``.corrupt.…``)."""
    return [kept.read_bytes() for kept in path.parent.glob(f"{path.name}.*")]


def _envelope(version: int, data: Any) -> bytes:
    return json.dumps({"version": version, "minor_version": 1, "key": "k", "data": data}).encode()


UNREADABLE_FILES = [
    pytest.param(_envelope(99, json.loads(GOOD_FILE)["data"]), "unreadable", id="newer-version"),
    pytest.param(_envelope(0, json.loads(GOOD_FILE)["data"]), "unreadable", id="older-version"),
    pytest.param(
        json.dumps(json.loads(GOOD_FILE)["data"]).encode(), "unreadable", id="no-envelope"
    ),
    pytest.param(b"[1, 2, 3]", "unreadable", id="a-list"),
    pytest.param(b"null", "unreadable", id="null"),
    pytest.param(_envelope(1, [1, 2]), "wrong shape", id="data-a-list"),
    pytest.param(_envelope(1, {"vehicles": ["car-1"]}), "wrong shape", id="vehicles-a-list"),
    pytest.param(_envelope(1, {"cars": {}}), "wrong shape", id="no-vehicles"),
    pytest.param(GOOD_FILE[: len(GOOD_FILE) // 2], "corrupt", id="truncated"),
    pytest.param(b"", "corrupt", id="emptied"),
    pytest.param(b"\x00" * 64, "corrupt", id="zeros"),
]


@pytest.mark.parametrize(("content", "problem"), UNREADABLE_FILES)
async def test_a_file_that_cannot_be_read_never_stops_the_entry(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    storage_dir: Path,
    hass_client_no_auth: Any,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    content: bytes,
    problem: str,
) -> None:
    """Set up, receiving, told once (a repair, a warning), the file kept; healed by a save.

    Before, a file of another version or without Home Assistant's envelope failed the
    setup (the webhook unregistered, Smartcar's deliveries dropped), one of the wrong
    shape loaded silently empty, and a corrupt one moved aside was never mentioned.
    """
    path = storage_dir / f"{DOMAIN}.{config_entry.entry_id}"
    path.write_bytes(content)
    assert await async_setup_component(hass, "homeassistant", {})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert config_entry.runtime_data.store.problem == problem
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"storage_lost_{config_entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"entry": "Smartcar"}
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("custom_components.smartcar") and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1
    assert problem in warnings[0]
    # The content is kept: aside by the integration, or by Home Assistant if not JSON.
    assert _copies(path) == [content]

    client = await hass_client_no_auth()
    body = fixture_bytes("vehicle_state_ev_signal_update.json")
    response = await client.post(WEBHOOK_PATH, data=body, headers={"SC-Signature": sign(body)})
    assert (response.status, await response.json()) == (200, {"result": "applied"})
    await hass.async_block_till_done()
    assert hass.states.get("sensor.kia_ev6_battery").state == "63"
    freezer.tick(timedelta(seconds=SAVE_DELAY_SECONDS + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    saved = json.loads(path.read_bytes())
    assert saved["version"] == 1
    assert EV in saved["data"]["vehicles"]

    # The next start reads the file: the repair is gone, nothing more is logged.
    caplog.clear()
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.runtime_data.store.problem is None
    assert not ir.async_get(hass).async_get_issue(DOMAIN, f"storage_lost_{config_entry.entry_id}")
    assert hass.states.get("sensor.kia_ev6_battery").state == "63"
    assert not [
        r
        for r in caplog.records
        if r.name.startswith("custom_components.smartcar") and r.levelno >= logging.WARNING
    ]


async def test_removing_the_entry_clears_its_storage_repair(
    hass: HomeAssistant, config_entry: MockConfigEntry, storage_dir: Path
) -> None:
    """A removed entry leaves no "stored values lost" repair behind (before, it stayed)."""
    (storage_dir / f"{DOMAIN}.{config_entry.entry_id}").write_bytes(_envelope(99, {}))
    assert await async_setup_component(hass, "homeassistant", {})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"storage_lost_{config_entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id)

    assert (await hass.config_entries.async_remove(config_entry.entry_id))[
        "require_restart"
    ] is False
    await hass.async_block_till_done()
    assert not ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


async def test_a_good_file_raises_no_repair(
    hass: HomeAssistant, config_entry: MockConfigEntry, storage_dir: Path
) -> None:
    (storage_dir / f"{DOMAIN}.{config_entry.entry_id}").write_bytes(GOOD_FILE)
    assert await async_setup_component(hass, "homeassistant", {})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.runtime_data.store.problem is None
    assert not ir.async_get(hass).async_get_issue(DOMAIN, f"storage_lost_{config_entry.entry_id}")
    assert hass.states.get("sensor.kia_ev6_odometer").state == "18452.6"


async def test_a_file_that_cannot_be_moved_aside_is_still_replaced(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    storage_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Keeping the copy is a kindness: when the folder refuses it, the entry starts anyway."""
    (storage_dir / f"{DOMAIN}.{config_entry.entry_id}").write_bytes(_envelope(99, {}))
    assert await async_setup_component(hass, "homeassistant", {})
    config_entry.add_to_hass(hass)
    with patch("custom_components.smartcar.store.os.replace", side_effect=PermissionError("no")):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert "Could not keep" in caplog.text
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"storage_lost_{config_entry.entry_id}")
