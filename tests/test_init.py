"""Entry lifecycle: cloudhook cleanup and removing a vehicle from the UI."""

from __future__ import annotations

import sys
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from custom_components.smartcar.const import (
    CONF_CLOUDHOOK_URL,
    CONF_ERROR_CLOUDHOOK_URL,
    CONF_ERROR_WEBHOOK_ID,
)

from .conftest import (
    EV_ID,
    CloudNotAvailable,
    Post,
    fixture_bytes,
    mock_cloud_module,
    remove_device,
    vehicle_device,
)


# Cloud answers ValueError for a cloudhook it does not know (turned off in its settings),
# CloudNotAvailable when it is not set up.
@pytest.mark.parametrize("cloud_forgot_it", [None, CloudNotAvailable, ValueError])
async def test_removing_entry_deletes_its_cloudhook(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    cloud_forgot_it: type[Exception] | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The cloudhook made for this entry is deleted with it (gone already is fine)."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_CLOUDHOOK_URL: "https://hooks.nabu.casa/x"}
    )
    hass.config.components.add("cloud")
    cloud = mock_cloud_module(subscribed=True)
    cloud.async_delete_cloudhook.side_effect = cloud_forgot_it
    with patch.dict(sys.modules, {"homeassistant.components.cloud": cloud}):
        await hass.config_entries.async_remove(config_entry.entry_id)
    cloud.async_delete_cloudhook.assert_awaited_once()
    assert "Error calling entry remove callback" not in caplog.text


async def test_removing_entry_without_cloud(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """Without Cloud loaded there is nothing to delete and nothing fails."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_CLOUDHOOK_URL: "https://hooks.nabu.casa/x"}
    )
    assert (await hass.config_entries.async_remove(config_entry.entry_id))[
        "require_restart"
    ] is False


async def test_vehicle_can_be_removed_and_comes_back(
    hass: HomeAssistant, post: Post, integration: MockConfigEntry, hass_ws_client: Any
) -> None:
    """Removing a vehicle's device works; its next delivery brings it back."""
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    device = vehicle_device(hass, EV_ID)
    assert device is not None
    await remove_device(hass, hass_ws_client, integration.entry_id, device.id)
    assert vehicle_device(hass, EV_ID) is None
    assert EV_ID not in integration.runtime_data.fleet.vehicles

    edited = fixture_bytes("vehicle_state_ev_signal_update.json").replace(
        b"3f9a1c52-8e4d-4b17-a6c0-5d2e8f1b7a94", b"3f9a1c52-8e4d-4b17-a6c0-000000000000"
    )
    assert (await post(edited)).status == 200
    assert vehicle_device(hass, EV_ID) is not None
    assert hass.states.get("sensor.kia_ev6_battery").state == "63"


async def test_removing_entry_deletes_its_error_cloudhook(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """The separate error URL's cloudhook goes with the entry too."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry,
        data={**config_entry.data, CONF_CLOUDHOOK_URL: "https://hooks.nabu.casa/x"},
        options={
            CONF_ERROR_WEBHOOK_ID: "error-webhook-id",
            CONF_ERROR_CLOUDHOOK_URL: "https://hooks.nabu.casa/y",
        },
    )
    hass.config.components.add("cloud")
    cloud = mock_cloud_module(subscribed=True)
    with patch.dict(sys.modules, {"homeassistant.components.cloud": cloud}):
        await hass.config_entries.async_remove(config_entry.entry_id)
    deleted = [call.args[1] for call in cloud.async_delete_cloudhook.await_args_list]
    assert deleted == [config_entry.data[CONF_WEBHOOK_ID], "error-webhook-id"]
