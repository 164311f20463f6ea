"""Binary sensors: the catalog's flags, and whether the vehicle keeps reporting."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from homeassistant.const import EVENT_STATE_CHANGED, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from custom_components.smartcar.const import CONF_STALE_AFTER
from custom_components.smartcar.options_flow import CONF_ERROR_CALLBACK

from .conftest import (
    SNAPSHOT_PAYLOADS,
    Post,
    make_state,
)

SOC = "tractionbattery-stateofcharge"
pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the binary sensor platform."""
    return [Platform.BINARY_SENSOR]


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
    """Every binary sensor each fixture vehicle (and a vehicle with every signal) produces."""
    response = await post(SNAPSHOT_PAYLOADS[payload])
    assert response.status == 200
    await snapshot_platform(hass, entity_registry, snapshot, integration.entry_id)


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
    """The staleness time comes from the options, set in the options flow."""
    flow = await hass.config_entries.options.async_init(integration.entry_id)
    await hass.config_entries.options.async_configure(
        flow["flow_id"], {CONF_STALE_AFTER: 2, CONF_ERROR_CALLBACK: False}
    )
    await hass.async_block_till_done()  # the entry reloads with the new timeout
    await post(make_state({SOC: {"value": 50, "unit": "percent"}}, event_id="1"))
    frozen_now.tick(timedelta(hours=2, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.kia_ev6_reporting").state == "off"


def _doors(*open_positions: tuple[int, int]) -> dict[str, object]:
    cells = [(0, 0), (0, 1), (1, 0), (1, 1)]
    return {
        "values": [
            {"row": row, "column": column, "isOpen": (row, column) in open_positions}
            for row, column in cells
        ],
        "rowCount": 2,
        "columnCount": 2,
    }


async def test_a_door_opening_writes_only_what_it_changes(hass: HomeAssistant, post: Post) -> None:
    """The front left door and "Doors" change; the three closed doors write nothing.

    They share one signal, whose time moves with it: writing them too would put three
    rows in the recorder that say nothing new.
    """
    await post(make_state({"closure-doors": _doors()}, event_id="1"))
    writes = async_capture_events(hass, EVENT_STATE_CHANGED)
    await post(
        make_state(
            {"closure-doors": _doors((0, 0))}, event_id="2", oem_updated_at=1_766_996_000_000
        )
    )
    assert sorted(event.data["entity_id"] for event in writes) == [
        "binary_sensor.kia_ev6_door_front_left",
        "binary_sensor.kia_ev6_doors",
    ]
    assert hass.states.get("binary_sensor.kia_ev6_door_front_left").state == "on"
    assert hass.states.get("binary_sensor.kia_ev6_door_front_right").state == "off"
