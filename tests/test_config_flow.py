"""The config, reauth, reconfigure and options flows.

Webhook only: tokens, callback URLs, Cloud, VERIFY; the options. Smartcar Connect's
flows are in test_connect_flow.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.components.webhook import DOMAIN as WEBHOOK_DOMAIN
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component

from custom_components.smartcar.api import (
    SmartcarVehicle,
)
from custom_components.smartcar.const import (
    CONF_CLOUDHOOK_URL,
    CONF_ERROR_CLOUDHOOK_URL,
    CONF_ERROR_WEBHOOK_ID,
    CONF_MANAGEMENT_TOKEN,
    CONF_STALE_AFTER,
    DOMAIN,
)
from custom_components.smartcar.options_flow import CONF_ERROR_CALLBACK
from custom_components.smartcar.setup_webhook import SetupReceiver
from custom_components.smartcar.subscriptions import vehicle_label
from custom_components.smartcar.unique_ids import webhook_unique_id

from .conftest import (
    TOKEN,
    CloudNotConnected,
    fixture_bytes,
    fixture_json,
    sign,
)

EXTERNAL_URL = "https://car.example.org"
OTHER_TOKEN = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
VERIFY_ANSWER = fixture_json("signatures.json")["verify_challenge"]["expected_response_body"]


@pytest.fixture
async def external_url(hass: HomeAssistant) -> None:
    """An instance reachable from the internet over HTTPS."""
    await hass.config.async_update(external_url=EXTERNAL_URL)


async def _start(hass: HomeAssistant) -> str:
    """Open the flow and choose the webhook-only path: the token form."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == ["connect", "webhook_only"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "webhook_only"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "webhook_only"
    assert result["errors"] == {}
    return result["flow_id"]


async def _to_webhook_step(hass: HomeAssistant, token: str = TOKEN) -> tuple[str, dict[str, Any]]:
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: token}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "webhook"
    return flow_id, result


def _webhook_id(result: dict[str, Any]) -> str:
    return result["description_placeholders"]["webhook_url"].rsplit("/", 1)[1]


def _other_entry(token: str) -> MockConfigEntry:
    """Another webhook-only entry, set up earlier with ``token``."""
    return MockConfigEntry(
        domain=DOMAIN,
        data={CONF_MANAGEMENT_TOKEN: token, CONF_WEBHOOK_ID: "other-webhook-0001"},
        unique_id=webhook_unique_id("other-webhook-0001"),
        minor_version=2,
    )


@pytest.mark.usefixtures("external_url", "no_setup")
async def test_user_step_shows_url_then_finishes(hass: HomeAssistant) -> None:
    """A valid token: the URL with the Dashboard steps, then an entry (without waiting)."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: " My cars ", CONF_MANAGEMENT_TOKEN: f"  {TOKEN}\n"}
    )
    assert result["type"] is FlowResultType.MENU
    url = result["description_placeholders"]["webhook_url"]
    webhook_id = _webhook_id(result)
    assert url == f"{EXTERNAL_URL}/api/webhook/{webhook_id}"
    assert len(webhook_id) >= 32  # at least 128 random bits, hex
    int(webhook_id, 16)

    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "finish"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "My cars"
    assert result["description"] == "default"
    assert result["data"] == {CONF_MANAGEMENT_TOKEN: TOKEN, CONF_WEBHOOK_ID: webhook_id}
    entry = result["result"]
    assert entry.unique_id == webhook_unique_id(webhook_id)
    assert TOKEN not in entry.unique_id
    assert webhook_id not in entry.unique_id
    # The setup webhook is closed; the entry registers the id for good.
    assert webhook_id not in hass.data.get(WEBHOOK_DOMAIN, {})


@pytest.mark.usefixtures("external_url", "no_setup")
async def test_empty_name_falls_back_to_default(hass: HomeAssistant) -> None:
    """A blank name still gives a readable title."""
    flow_id = await _start(hass)
    await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "  ", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "finish"})
    assert result["title"] == "Smartcar"


@pytest.mark.usefixtures("external_url", "no_setup")
async def test_flow_waits_for_verify_and_confirms_it(
    hass: HomeAssistant, hass_client_no_auth: Any
) -> None:
    """The webhook answers VERIFY during the flow, and the flow confirms it by itself."""
    assert await async_setup_component(hass, "webhook", {})
    flow_id, result = await _to_webhook_step(hass)
    path = f"/api/webhook/{_webhook_id(result)}"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "wait_verify"}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["progress_action"] == "wait_verify"
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.SHOW_PROGRESS  # still waiting

    client = await hass_client_no_auth()
    # Deliveries before the entry exists are refused for a retry, not lost.
    event = fixture_bytes("vehicle_state_ev_signal_update.json")
    response = await client.post(path, data=event, headers={"SC-Signature": sign(event)})
    assert response.status == 503
    response = await client.post(path, data=fixture_bytes("verify.json"))
    assert response.status == 200
    assert await response.json() == VERIFY_ANSWER
    await hass.async_block_till_done()

    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "verified"


@pytest.mark.usefixtures("external_url", "no_setup")
async def test_verify_timeout_offers_help_then_finish(hass: HomeAssistant) -> None:
    """Without VERIFY the flow says what to check; waiting again or finishing both work."""
    flow_id, _ = await _to_webhook_step(hass)
    with patch(
        "custom_components.smartcar.setup_webhook.VERIFY_TIMEOUT", timedelta(milliseconds=1)
    ):
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"next_step_id": "wait_verify"}
        )
        assert result["type"] is FlowResultType.SHOW_PROGRESS
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(flow_id)
        assert result["type"] is FlowResultType.MENU
        assert result["step_id"] == "verify_timeout"
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"next_step_id": "wait_verify"}
        )
        assert result["type"] is FlowResultType.SHOW_PROGRESS
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["step_id"] == "verify_timeout"
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "finish"})
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("external_url", "no_setup")
async def test_finish_while_waiting_stops_the_wait(hass: HomeAssistant) -> None:
    """Leaving the progress step for good cancels the wait and closes the setup webhook."""
    flow_id, result = await _to_webhook_step(hass)
    webhook_id = _webhook_id(result)
    await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "wait_verify"})
    hass.config_entries.flow.async_abort(flow_id)
    await hass.async_block_till_done()
    assert webhook_id not in hass.data.get(WEBHOOK_DOMAIN, {})


@pytest.mark.usefixtures("external_url", "no_setup")
async def test_abandoned_flow_closes_setup_webhook(hass: HomeAssistant) -> None:
    """A flow the user closes leaves no webhook behind."""
    flow_id, result = await _to_webhook_step(hass)
    webhook_id = _webhook_id(result)
    assert webhook_id in hass.data[WEBHOOK_DOMAIN]
    hass.config_entries.flow.async_abort(flow_id)
    assert webhook_id not in hass.data[WEBHOOK_DOMAIN]


@pytest.mark.parametrize(
    "token",
    ["", "   ", "short", "4f6b2a90 3c1d 4e8f 9a7b 5c2d1e0f3a6b", "https://x.example/y", "x" * 300],
)
@pytest.mark.usefixtures("external_url", "no_setup")
async def test_malformed_token_can_be_corrected(hass: HomeAssistant, token: str) -> None:
    """An empty or malformed token is refused with a translated error, then fixed."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: token}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_MANAGEMENT_TOKEN: "invalid_token"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.MENU


@pytest.mark.usefixtures("no_setup")
async def test_no_public_url_says_how_to_fix(hass: HomeAssistant) -> None:
    """Without an HTTPS external URL or Cloud the flow explains; after the fix it goes on."""
    flow_id = await _start(hass)
    await hass.config.async_update(external_url="http://car.example.org")
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_public_url"}
    await hass.config.async_update(external_url=EXTERNAL_URL)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.MENU


@pytest.mark.usefixtures("external_url", "no_setup")
async def test_same_application_twice_aborts(hass: HomeAssistant) -> None:
    """One entry per Smartcar application: the same token again is already configured."""
    _other_entry(TOKEN).add_to_hass(hass)
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.usefixtures("external_url", "no_setup")
async def test_same_application_in_two_flows_at_once(hass: HomeAssistant) -> None:
    """Two dialogs with the same token: the first one to finish sets it up, not both."""
    first, _ = await _to_webhook_step(hass)
    second, result = await _to_webhook_step(hass)
    webhook_id = _webhook_id(result)
    result = await hass.config_entries.flow.async_configure(first, {"next_step_id": "finish"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    result = await hass.config_entries.flow.async_configure(second, {"next_step_id": "finish"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    assert webhook_id not in hass.data[WEBHOOK_DOMAIN]  # the second one's URL is closed


@pytest.mark.usefixtures("no_setup")
async def test_cloudhook_used_when_cloud_logged_in(
    hass: HomeAssistant, cloud_logged_in: Any
) -> None:
    """With Cloud, Smartcar gets a cloudhook URL, which is kept in the entry."""
    flow_id, result = await _to_webhook_step(hass)
    assert result["description_placeholders"]["webhook_url"] == "https://hooks.nabu.casa/abc"
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "finish"})
    assert result["data"][CONF_CLOUDHOOK_URL] == "https://hooks.nabu.casa/abc"
    cloud_logged_in.async_create_cloudhook.assert_awaited_once_with(
        hass, result["data"][CONF_WEBHOOK_ID]
    )
    await hass.async_block_till_done()
    cloud_logged_in.async_delete_cloudhook.assert_not_awaited()  # the entry's now


@pytest.mark.usefixtures("no_setup")
async def test_abandoned_flow_deletes_its_cloudhook(
    hass: HomeAssistant, cloud_logged_in: Any
) -> None:
    """A flow closed after its cloudhook was made leaves no cloudhook behind at Cloud."""
    flow_id, _ = await _to_webhook_step(hass)
    ((_, webhook_id), _) = cloud_logged_in.async_create_cloudhook.call_args
    hass.config_entries.flow.async_abort(flow_id)
    await hass.async_block_till_done()
    cloud_logged_in.async_delete_cloudhook.assert_awaited_once_with(hass, webhook_id)
    assert hass.config_entries.async_entries(DOMAIN) == []


@pytest.mark.usefixtures("no_setup")
async def test_cloud_not_connected_can_be_retried(
    hass: HomeAssistant, cloud_logged_in: Any
) -> None:
    """Cloud logged in but disconnected: a clear error, and a retry once it connects."""
    cloud_logged_in.async_create_cloudhook.side_effect = CloudNotConnected
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["errors"] == {"base": "cloud_not_connected"}
    cloud_logged_in.async_create_cloudhook.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.MENU


# --- Reconfigure ---------------------------------------------------------------------


async def test_reconfigure_replaces_token_and_keeps_entities(
    hass: HomeAssistant, integration: MockConfigEntry, post: Any
) -> None:
    """Token rotation: the same entry, device and entities, now verified with the new token."""
    unique_id = integration.unique_id
    await post(fixture_bytes("vehicle_state_ev_signal_update.json"))
    await hass.config.async_update(external_url=EXTERNAL_URL)
    result = await integration.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"]["webhook_url"].startswith(EXTERNAL_URL)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MANAGEMENT_TOKEN: "bad token"}
    )
    assert result["errors"] == {CONF_MANAGEMENT_TOKEN: "invalid_token"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MANAGEMENT_TOKEN: OTHER_TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert integration.data[CONF_MANAGEMENT_TOKEN] == OTHER_TOKEN
    assert integration.unique_id == unique_id  # a new token, the same entry
    assert integration.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.kia_ev6_battery").state == "63"

    body = fixture_bytes("vehicle_state_first_delivery.json")
    assert (await post(body, signature=sign(body, OTHER_TOKEN))).status == 200
    assert (await post(fixture_bytes("vehicle_state_ice.json"))).status == 401  # old token


async def test_reconfigure_refuses_token_of_another_entry(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    """A token that another entry uses is refused."""
    _other_entry(OTHER_TOKEN).add_to_hass(hass)
    result = await integration.start_reconfigure_flow(hass)
    assert result["description_placeholders"]["webhook_url"] == "-"  # no public URL yet
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MANAGEMENT_TOKEN: OTHER_TOKEN}
    )
    assert result["errors"] == {CONF_MANAGEMENT_TOKEN: "token_in_use"}


# --- Options -------------------------------------------------------------------------


async def test_options_set_reporting_timeout(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    """The options flow stores the staleness time and reloads the entry."""
    result = await hass.config_entries.options.async_init(integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STALE_AFTER: 6, CONF_ERROR_CALLBACK: False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert integration.options == {CONF_STALE_AFTER: 6}


async def test_options_error_callback_url(
    hass: HomeAssistant, integration: MockConfigEntry, hass_client_no_auth: Any
) -> None:
    """A second URL takes only vehicle errors; it is shown, kept, and can be turned off."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    result = await hass.config_entries.options.async_init(integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STALE_AFTER: 24, CONF_ERROR_CALLBACK: True}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "error_url"
    error_url = result["description_placeholders"]["error_url"]
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    error_id = integration.options[CONF_ERROR_WEBHOOK_ID]
    assert error_url == f"{EXTERNAL_URL}/api/webhook/{error_id}"

    client = await hass_client_no_auth()
    error = fixture_bytes("vehicle_error.json")
    state = fixture_bytes("vehicle_state_ev_signal_update.json")
    path = f"/api/webhook/{error_id}"
    response = await client.post(path, data=state, headers={"SC-Signature": sign(state)})
    assert await response.json() == {"result": "ignored"}
    response = await client.post(path, data=error, headers={"SC-Signature": sign(error)})
    assert await response.json() == {"result": "applied"}

    # Opening the options again shows the same URL; turning it off closes it.
    result = await hass.config_entries.options.async_init(integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STALE_AFTER: 24, CONF_ERROR_CALLBACK: True}
    )
    assert result["description_placeholders"]["error_url"] == error_url
    await hass.config_entries.options.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STALE_AFTER: 24, CONF_ERROR_CALLBACK: False}
    )
    await hass.async_block_till_done()
    assert CONF_ERROR_WEBHOOK_ID not in integration.options
    assert error_id not in hass.data[WEBHOOK_DOMAIN]


async def test_options_error_callback_with_cloud(
    hass: HomeAssistant, integration: MockConfigEntry, cloud_logged_in: Any
) -> None:
    """With Cloud the error URL is a cloudhook too, deleted when turned off."""
    result = await hass.config_entries.options.async_init(integration.entry_id)
    cloud_logged_in.async_create_cloudhook.side_effect = CloudNotConnected
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STALE_AFTER: 24, CONF_ERROR_CALLBACK: True}
    )
    assert result["errors"] == {"base": "cloud_not_connected"}
    cloud_logged_in.async_create_cloudhook.side_effect = None
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STALE_AFTER: 24, CONF_ERROR_CALLBACK: True}
    )
    assert result["description_placeholders"]["error_url"] == "https://hooks.nabu.casa/abc"
    await hass.config_entries.options.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert integration.options[CONF_ERROR_CLOUDHOOK_URL] == "https://hooks.nabu.casa/abc"
    cloud_logged_in.async_delete_cloudhook.assert_not_awaited()  # stored: the entry's now

    result = await hass.config_entries.options.async_init(integration.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STALE_AFTER: 24, CONF_ERROR_CALLBACK: False}
    )
    cloud_logged_in.async_delete_cloudhook.assert_awaited_once()


@pytest.mark.parametrize("entry_removed", [False, True])
async def test_abandoned_options_delete_their_error_cloudhook(
    hass: HomeAssistant, integration: MockConfigEntry, cloud_logged_in: Any, entry_removed: bool
) -> None:
    """Options closed at the error URL store nothing and leave no cloudhook behind.

    Also when the entry was removed meanwhile (its removal knows only stored cloudhooks).
    """
    result = await hass.config_entries.options.async_init(integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STALE_AFTER: 6, CONF_ERROR_CALLBACK: True}
    )
    assert result["step_id"] == "error_url"
    ((_, error_webhook_id), _) = cloud_logged_in.async_create_cloudhook.call_args
    if entry_removed:
        await hass.config_entries.async_remove(integration.entry_id)
    hass.config_entries.options.async_abort(result["flow_id"])
    await hass.async_block_till_done()
    cloud_logged_in.async_delete_cloudhook.assert_awaited_once_with(hass, error_webhook_id)
    assert integration.options == {}


async def test_options_error_callback_needs_public_url(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    """Without a public URL the error URL cannot be made, and the form says why."""
    result = await hass.config_entries.options.async_init(integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STALE_AFTER: 24, CONF_ERROR_CALLBACK: True}
    )
    assert result["errors"] == {"base": "no_public_url"}


def test_setup_receiver_keeps_nothing() -> None:
    """Before the entry exists nothing is counted or kept, and events wait for a retry."""
    receiver = SetupReceiver(TOKEN)
    receiver.async_signature_checked(valid=False)
    receiver.async_record(AsyncMock())
    assert receiver.async_apply(AsyncMock()) is None


def test_vehicle_label_without_details() -> None:
    """A vehicle the API says nothing about is still named."""
    assert vehicle_label(SmartcarVehicle(id="abcdef123456")) == "Vehicle (abcdef12)"


@pytest.mark.parametrize("hours", [0, -3, 169, 2.5])
async def test_options_reporting_timeout_out_of_range(
    hass: HomeAssistant, integration: MockConfigEntry, hours: float
) -> None:
    """A timeout outside 1-168 whole hours gets a translated error; nothing is stored."""
    result = await hass.config_entries.options.async_init(integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STALE_AFTER: hours, CONF_ERROR_CALLBACK: False}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_STALE_AFTER: "stale_after_range"}
    (marker,) = [key for key in result["data_schema"].schema if key == CONF_STALE_AFTER]
    assert marker.description == {"suggested_value": hours}  # what was entered, shown again
    assert integration.options == {}
