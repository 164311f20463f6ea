"""Refreshing the vehicles of an entry that never kept its Dashboard webhook's id.

An entry switched from wbyoung/smartcar (then moved to API v3) has no Dashboard webhook id:
"refresh vehicles" first finds the webhook by the entry's callback URL, or takes the id the
user pastes, instead of failing.
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.smartcar.const import CONF_SMARTCAR_WEBHOOK_ID, CONF_VEHICLES, DOMAIN

from .conftest import EV_ID, ICE_ID
from .smartcar_api import (
    SMARTCAR_WEBHOOK_ID,
    connect_entry_data,
    connect_unique_id_of_tests,
    mock_api,
    subscriptions,
)

PASTED_ID = "4b3a2c1d-0e9f-4a8b-8c7d-6e5f4a3b2c1d"


pytestmark = pytest.mark.usefixtures("public_url")


async def _switched_entry(hass: HomeAssistant) -> MockConfigEntry:
    data = connect_entry_data()
    del data[CONF_SMARTCAR_WEBHOOK_ID]
    entry = MockConfigEntry(
        domain=DOMAIN, title="Smartcar", data=data, unique_id=connect_unique_id_of_tests()
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _refresh(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await entry.start_reconfigure_flow(hass)
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "refresh_vehicles"}
    )


async def test_the_webhook_is_found_by_the_callback_url(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Submitted empty: found by the callback URL, then the vehicles, then kept."""
    mock_api(aioclient_mock)
    entry = await _switched_entry(hass)
    result = await _refresh(hass, entry)
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "refresh_webhook")
    assert result["description_placeholders"]["webhook_url"].startswith("https://car.example.org")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "refresh_vehicles"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_VEHICLES: [EV_ID, ICE_ID]}
    )
    assert result["reason"] == "vehicles_refreshed"
    assert entry.data[CONF_SMARTCAR_WEBHOOK_ID] == SMARTCAR_WEBHOOK_ID
    assert [item["vehicleId"] for item in subscriptions(aioclient_mock)] == [ICE_ID]


async def test_a_pasted_id_is_taken_and_a_wrong_one_is_refused(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Not found by URL: say so; a pasted id that is no id: say so; a real one: go on."""
    mock_api(aioclient_mock, webhook_id=None)
    entry = await _switched_entry(hass)
    result = await _refresh(hass, entry)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "webhook_not_found_by_url"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SMARTCAR_WEBHOOK_ID: "not an id"}
    )
    assert result["errors"] == {CONF_SMARTCAR_WEBHOOK_ID: "invalid_webhook_id"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SMARTCAR_WEBHOOK_ID: PASTED_ID}
    )
    assert result["step_id"] == "refresh_vehicles"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_VEHICLES: [EV_ID]}
    )
    assert result["reason"] == "vehicles_refreshed"
    assert entry.data[CONF_SMARTCAR_WEBHOOK_ID] == PASTED_ID
