"""Switching from wbyoung/smartcar: what it leaves in Home Assistant, then our setup.

tests/fixtures/other_integration holds what wbyoung/smartcar 0.4 stores, as its code writes
it, for a VW ID.4 with webhooks on: its config entry, the car's device (identified by its
VIN) and every entity its platforms make (unique ids ``<VIN>_<key>``), with what a user
typically changed (entities enabled, "Range" disabled, the tracker renamed, the device
named and placed in an area), and the device and entities it leaves behind for a car no
longer shared with Smartcar. Ids and tokens are made up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
import json
import logging
import sys
from typing import Any
from unittest.mock import patch

from aiohttp import ClientResponse
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.setup import async_setup_component

from custom_components.smartcar.const import CONF_CLOUDHOOK_URL, DOMAIN
from custom_components.smartcar.issues import CONNECT_V2, SWITCH_REMOVED_ENTITIES
from custom_components.smartcar.other_integration import CATALOG_ROLES, COUNTERPARTS
from custom_components.smartcar.unique_ids import VERSION, webhook_unique_id

from .conftest import CloudConnectionState, fixture_bytes, make_state, sign
from .test_cloudhook import CONNECTION_CHANGED, FakeCloud

STORED_ENTRY: dict[str, Any] = json.loads(fixture_bytes("other_integration/config_entry.json"))
STORED_DEVICES: list[dict[str, Any]] = json.loads(
    fixture_bytes("other_integration/device_registry.json")
)
STORED_ENTITIES: list[dict[str, Any]] = json.loads(
    fixture_bytes("other_integration/entity_registry.json")
)
THEIR_DATA: dict[str, Any] = STORED_ENTRY["data"]
VEHICLE_ID, VEHICLE = next(iter(THEIR_DATA["vehicles"].items()))
VIN = VEHICLE["vin"]
THEIR_WEBHOOK_ID = THEIR_DATA["webhook_id"]
THEIR_TOKEN = THEIR_DATA["application_management_token"]
GONE_VIN = "LPSVSEDEEML002398"  # the car no longer shared: its device is the second one
CLOUDHOOK_URL = "https://hooks.nabu.casa/their-cloudhook"

# Their entities that end without a counterpart: the gone car's, and the second of their
# two "time to complete" sensors (disabled by default: the one the user enabled wins).
REMOVED = {
    "sensor.polestar_2_battery",
    "lock.polestar_2_door_lock",
    "binary_sensor.polestar_2_online",
    "sensor.vw_id_4_time_to_complete",
}
# sensor.py's entities of the vehicle itself, which the catalog does not declare.
VEHICLE_ENTITIES = {("sensor", "last_update")}

type Deliver = Callable[[dict[str, dict[str, Any] | None]], Awaitable[ClientResponse]]


def their_entry(
    *, without: tuple[str, ...] = (), entry_id: str | None = None, **data: Any
) -> MockConfigEntry:
    """Their config entry as stored, with ``data`` changed and the keys ``without`` left out.

    ``entry_id`` makes another entry like it (its unique id too).
    """
    stored = STORED_ENTRY
    kept = {key: value for key, value in stored["data"].items() if key not in without}
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id or stored["entry_id"],
        version=stored["version"],
        minor_version=stored["minor_version"],
        title=stored["title"],
        data=kept | data,
        options=stored["options"],
        unique_id=entry_id or stored["unique_id"],
        source=stored["source"],
    )


def leave_as_they_do(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """Their entry, devices and entities in Home Assistant's registries; device ids by VIN."""
    entry.add_to_hass(hass)
    ar.async_get(hass).async_create("Garage")
    devices = dr.async_get(hass)
    device_ids: dict[str, str] = {}
    for stored in STORED_DEVICES:
        device = devices.async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={tuple(item) for item in stored["identifiers"]},
            manufacturer=stored["manufacturer"],
            model=stored["model"],
            name=stored["name"],
        )
        devices.async_update_device(
            device.id, name_by_user=stored["name_by_user"], area_id=stored["area_id"]
        )
        device_ids[stored["identifiers"][0][1]] = device.id
    entities = er.async_get(hass)
    for stored in STORED_ENTITIES:
        domain, object_id = stored["entity_id"].split(".")
        disabled_by = stored["disabled_by"]
        entities.async_get_or_create(
            domain,
            DOMAIN,
            stored["unique_id"],
            config_entry=entry,
            device_id=device_ids[stored["unique_id"].partition("_")[0]],
            suggested_object_id=object_id,
            has_entity_name=True,
            original_name=stored["original_name"],
            disabled_by=er.RegistryEntryDisabler(disabled_by) if disabled_by else None,
        )
        if name := stored.get("name"):
            entities.async_update_entity(stored["entity_id"], name=name)
    return device_ids


async def setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Home Assistant starts with our integration in their folder."""
    assert await async_setup_component(hass, "homeassistant", {})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def switch(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """Their entry and registries, then our setup; their device ids by VIN."""
    device_ids = leave_as_they_do(hass, entry)
    await setup(hass, entry)
    return device_ids


@pytest.fixture
async def switched(hass: HomeAssistant) -> tuple[MockConfigEntry, dict[str, str]]:
    """Their entry switched; their device ids by VIN."""
    entry = their_entry()
    return entry, await switch(hass, entry)


@pytest.fixture
async def deliver(hass: HomeAssistant, hass_client_no_auth: Any) -> Deliver:
    """POST a delivery of the car to their webhook, signed with their token."""
    client = await hass_client_no_auth()

    async def _deliver(signals: dict[str, dict[str, Any] | None]) -> ClientResponse:
        body = json.dumps(
            make_state(signals, vehicle_id=VEHICLE_ID, make="VOLKSWAGEN", model="ID.4")
        ).encode()
        response = await client.post(
            f"/api/webhook/{THEIR_WEBHOOK_ID}",
            data=body,
            headers={"Content-Type": "application/json", "SC-Signature": sign(body, THEIR_TOKEN)},
        )
        await hass.async_block_till_done()
        return response

    return _deliver


def registry_state(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """What the registries hold for the entry."""
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    return {
        "entities": {
            item.entity_id: (item.unique_id, item.disabled_by, item.options) for item in entities
        },
        "devices": {device.id: device.identifiers for device in devices},
        "issues": sorted(
            issue_id for domain, issue_id in ir.async_get(hass).issues if domain == DOMAIN
        ),
        "data": dict(entry.data),
    }


def test_every_counterpart_is_an_entity_here() -> None:
    """Each of their keys names one of our entities (a typo would strand its history)."""
    ours = {(domain, key) for domain, keys in COUNTERPARTS.items() for key in keys.values()}
    missing = ours - CATALOG_ROLES.keys() - VEHICLE_ENTITIES
    assert not missing


async def test_entry_keeps_its_callback_url_token_and_sign_in(
    hass: HomeAssistant, switched: tuple[MockConfigEntry, dict[str, str]], deliver: Deliver
) -> None:
    """Same webhook id and token: Smartcar's next delivery is accepted, no new VERIFY."""
    entry, _ = switched
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.unique_id) == (VERSION, webhook_unique_id(THEIR_WEBHOOK_ID))
    assert entry.data == {
        "management_token": THEIR_TOKEN,
        "webhook_id": THEIR_WEBHOOK_ID,
        "vehicles": [{"id": VEHICLE_ID, "make": "VW", "model": "ID.4", "year": 2021, "vin": VIN}],
        "auth_implementation": THEIR_DATA["auth_implementation"],
        "token": THEIR_DATA["token"],
    }
    # Their Smartcar API v2 sign-in: the repair that moves our v2 entries to v3.
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"{CONNECT_V2}_{entry.entry_id}")

    response = await deliver({"tractionbattery-stateofcharge": {"value": 81, "unit": "percent"}})
    assert response.status == 200
    assert hass.states.get("sensor.vw_id_4_battery").state == "81"


async def test_device_keeps_its_id_name_and_area(
    hass: HomeAssistant, switched: tuple[MockConfigEntry, dict[str, str]]
) -> None:
    """The car's device is the same device, known by its vehicle id; the gone car's is removed."""
    _, device_ids = switched
    registry = dr.async_get(hass)
    device = registry.async_get(device_ids[VIN])
    assert device is not None
    assert device.identifiers == {(DOMAIN, VEHICLE_ID)}
    assert (device.name_by_user, device.area_id, device.serial_number) == (
        "Family car",
        "garage",
        VIN,
    )
    assert registry.async_get(device_ids[GONE_VIN]) is None


async def test_entities_keep_their_ids_and_the_next_delivery_feeds_them(
    hass: HomeAssistant, switched: tuple[MockConfigEntry, dict[str, str]], deliver: Deliver
) -> None:
    """Every entity with a counterpart keeps its entity id, now with our unique id."""
    entry, device_ids = switched
    registry = er.async_get(hass)
    kept = [stored for stored in STORED_ENTITIES if stored["entity_id"] not in REMOVED]
    for stored in kept:
        item = registry.async_get(stored["entity_id"])
        assert item is not None, stored["entity_id"]
        domain = stored["entity_id"].split(".")[0]
        key = COUNTERPARTS[domain][stored["unique_id"].partition("_")[2]]
        assert item.unique_id == f"{VEHICLE_ID}_{key}"
        assert (item.config_entry_id, item.device_id) == (entry.entry_id, device_ids[VIN])

    await deliver(
        {
            "charge-ischargingcableconnected": {"value": True},
            "odometer-traveleddistance": {"value": 62041, "unit": "km"},
            "closure-doors": {
                "values": [{"row": 0, "column": 0, "isOpen": True, "isLocked": False}],
                "rowCount": 2,
                "columnCount": 2,
            },
            "location-preciselocation": {"latitude": 52.37, "longitude": 4.89},
            "charge-timetocomplete": {"value": 45, "unit": "minutes"},
        }
    )
    assert hass.states.get("binary_sensor.vw_id_4_charging_cable_plugged_in").state == "on"
    assert hass.states.get("sensor.vw_id_4_odometer").state == "62041"
    assert hass.states.get("binary_sensor.vw_id_4_door_front_left").state == "on"
    assert hass.states.get("device_tracker.id4").attributes["latitude"] == 52.37
    assert hass.states.get("sensor.vw_id_4_charging_time_remaining").state == "45"


async def test_charging_power_keeps_the_unit_it_showed(
    hass: HomeAssistant, switched: tuple[MockConfigEntry, dict[str, str]], deliver: Deliver
) -> None:
    """Theirs showed kW: automations comparing its number keep their meaning."""
    await deliver({"charge-wattage": {"value": 7400, "unit": "watts"}})
    state = hass.states.get("sensor.vw_id_4_charging_power")
    assert (state.state, state.attributes["unit_of_measurement"]) == ("7.4", "kW")


async def test_defaults_are_ours_and_choices_the_users(
    hass: HomeAssistant, switched: tuple[MockConfigEntry, dict[str, str]]
) -> None:
    """What they disabled by default takes our default; what the user chose stays."""
    registry = er.async_get(hass)
    disabled = {
        entity_id: registry.async_get(entity_id).disabled_by
        for entity_id in (
            "sensor.vw_id_4_tire_pressure_front_left",  # theirs off, ours on
            "binary_sensor.vw_id_4_digital_key_paired",  # off in both
            "sensor.vw_id_4_range",  # the user turned it off
            "sensor.vw_id_4_last_webhook_received",  # on in theirs, off by default here
        )
    }
    assert disabled == {
        "sensor.vw_id_4_tire_pressure_front_left": None,
        "binary_sensor.vw_id_4_digital_key_paired": er.RegistryEntryDisabler.INTEGRATION,
        "sensor.vw_id_4_range": er.RegistryEntryDisabler.USER,
        "sensor.vw_id_4_last_webhook_received": None,
    }


async def test_removed_entities_are_listed_once(
    hass: HomeAssistant, switched: tuple[MockConfigEntry, dict[str, str]]
) -> None:
    """Entities without a counterpart leave the registry; the repair names those shown."""
    entry, _ = switched
    registry = er.async_get(hass)
    assert not [entity_id for entity_id in REMOVED if registry.async_get(entity_id)]
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{SWITCH_REMOVED_ENTITIES}_{entry.entry_id}"
    )
    assert issue is not None
    assert (issue.is_fixable, issue.is_persistent, issue.translation_key) == (
        False,
        True,
        SWITCH_REMOVED_ENTITIES,
    )
    # Disabled ones were never seen: only the enabled ones are named.
    assert issue.translation_placeholders == {
        "entry": "Smartcar",
        "entities": (
            "- sensor.polestar_2_battery (Battery)\n- lock.polestar_2_door_lock (Door Lock)"
        ),
    }


async def test_second_start_changes_nothing(
    hass: HomeAssistant, switched: tuple[MockConfigEntry, dict[str, str]]
) -> None:
    """After the switch, a restart is an ordinary start."""
    entry, _ = switched
    before = registry_state(hass, entry)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert registry_state(hass, entry) == before


async def test_an_interrupted_switch_finishes_at_the_next_start(hass: HomeAssistant) -> None:
    """Registries moved, entry not yet: the next start moves nothing twice, removes nothing."""
    entry = their_entry()
    leave_as_they_do(hass, entry)
    with patch.object(hass.config_entries, "async_update_entry", side_effect=RuntimeError):
        await setup(hass, entry)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    moved = registry_state(hass, entry)["entities"]

    entry.mock_state(hass, ConfigEntryState.NOT_LOADED)  # Home Assistant starts again
    await setup(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert registry_state(hass, entry)["entities"] == moved


@pytest.fixture
def cloud(hass: HomeAssistant) -> Iterator[FakeCloud]:
    """Home Assistant Cloud logged in, connected, keeping their cloudhook."""
    hass.config.components.add("cloud")
    fake = FakeCloud(hass)
    fake.hooks = {THEIR_WEBHOOK_ID: CLOUDHOOK_URL}
    with patch.dict(sys.modules, {"homeassistant.components.cloud": fake.module}):
        yield fake


async def test_cloudhook_is_kept(hass: HomeAssistant, cloud: FakeCloud) -> None:
    """Their callback URL was a cloudhook: the entry knows its URL, Smartcar keeps calling it."""
    entry = their_entry(cloudhook=True)
    await switch(hass, entry)
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    assert not ir.async_get(hass).async_get_issue(DOMAIN, f"no_public_url_{entry.entry_id}")


@pytest.fixture
async def switched_before_cloud_connects(hass: HomeAssistant, cloud: FakeCloud) -> MockConfigEntry:
    """Their entry with a cloudhook switched while Cloud is not connected yet."""
    cloud.connected = False
    entry = their_entry(cloudhook=True)
    await switch(hass, entry)
    return entry


async def test_cloudhook_is_learnt_when_cloud_connects(
    hass: HomeAssistant, cloud: FakeCloud, switched_before_cloud_connects: MockConfigEntry
) -> None:
    """Cloud connects after Home Assistant started: the URL is stored then, and used."""
    entry = switched_before_cloud_connects
    assert entry.state is ConfigEntryState.LOADED
    assert CONF_CLOUDHOOK_URL not in entry.data

    await cloud.connect()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    assert entry.state is ConfigEntryState.LOADED
    assert not ir.async_get(hass).async_get_issue(DOMAIN, f"no_public_url_{entry.entry_id}")
    cloud.get_or_create.reset_mock()
    await cloud.connect()
    cloud.get_or_create.assert_awaited_once()  # the entry's own refresh, not a second learning


async def test_cloudhook_learning_waits_for_a_connection_that_lasts(
    hass: HomeAssistant, cloud: FakeCloud, switched_before_cloud_connects: MockConfigEntry
) -> None:
    """A disconnection, or a connection lost before Cloud answers, leaves it to the next one."""
    entry = switched_before_cloud_connects
    await cloud.disconnect()
    # Connected, and gone again before Cloud is asked.
    async_dispatcher_send(hass, CONNECTION_CHANGED, CloudConnectionState.CLOUD_CONNECTED)
    await hass.async_block_till_done()
    assert cloud.get_or_create.await_count == 1
    assert CONF_CLOUDHOOK_URL not in entry.data
    await cloud.connect()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL


async def test_cloudhook_learning_follows_the_entry(hass: HomeAssistant, cloud: FakeCloud) -> None:
    """An entry unloaded meanwhile gets the URL for its next setup; a removed one nothing."""
    cloud.connected = False
    unloaded = their_entry(cloudhook=True)
    removed = their_entry(
        entry_id="01JWBYOUNGSMARTCAR00000001", webhook_id="a" * 64, cloudhook=True
    )
    for entry in (unloaded, removed):
        entry.add_to_hass(hass)
        await setup(hass, entry)
    assert await hass.config_entries.async_unload(unloaded.entry_id)
    assert await hass.config_entries.async_remove(removed.entry_id)
    await cloud.connect()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert unloaded.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    assert unloaded.state is ConfigEntryState.NOT_LOADED
    cloud.get_or_create.assert_awaited_once()  # for the unloaded entry only


async def test_cloudhook_without_cloud_is_logged(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """Cloud not set up: the entry loads on the external URL, and the log says what to do."""
    caplog.set_level(logging.WARNING)
    await hass.config.async_update(external_url="https://car.example.org")
    entry = their_entry(cloudhook=True)
    await switch(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert CONF_CLOUDHOOK_URL not in entry.data
    assert "Cloud is not set up" in caplog.text


@pytest.mark.parametrize(
    ("entry", "log"),
    [
        # Set up without webhooks: it polled, with no token or webhook.
        (
            their_entry(without=("application_management_token", "webhook_id", "cloudhook")),
            "without webhooks",
        ),
        # Its 0.1 releases: version 1, neither vehicles nor webhook.
        (
            MockConfigEntry(
                domain=DOMAIN,
                version=1,
                data={"auth_implementation": DOMAIN, "token": {"scope": "read_vin"}},
            ),
            "0.1 release",
        ),
    ],
    ids=["without_webhooks", "release_0_1"],
)
async def test_entries_it_cannot_take_stay_as_they_are(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, entry: MockConfigEntry, log: str
) -> None:
    """Not set up, unchanged (the other integration can take them back), and the log says why."""
    caplog.set_level(logging.ERROR)
    entry.add_to_hass(hass)
    stored = (entry.version, dict(entry.data))
    await setup(hass, entry)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert (entry.version, dict(entry.data)) == stored
    assert log in caplog.text


async def test_entry_of_a_version_above_ours_is_not_set_up(hass: HomeAssistant) -> None:
    """After a downgrade of this integration its newer entries wait, unchanged."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=VERSION + 1,
        data={"management_token": THEIR_TOKEN, "webhook_id": THEIR_WEBHOOK_ID},
    )
    entry.add_to_hass(hass)
    await setup(hass, entry)
    assert (entry.state, entry.version) == (ConfigEntryState.MIGRATION_ERROR, VERSION + 1)
