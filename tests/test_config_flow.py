"""The config, reauth, reconfigure and options flows.

Webhook only: tokens, callback URLs, Cloud, VERIFY. Smartcar Connect: the whole OAuth flow
against Smartcar's HTTP API mocked at the aiohttp level (payloads as PROTOCOL.md shows
them), vehicle listing and subscription with each failure class, reauth, reconfigure and
refreshing the vehicles.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
import sys
import time
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.components.webhook import DOMAIN as WEBHOOK_DOMAIN
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_NAME, CONF_TOKEN, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component

from custom_components.smartcar.api import (
    API_URL,
    AUTHORIZE_URL,
    DEFAULT_SCOPES,
    TOKEN_URL,
    SmartcarVehicle,
)
from custom_components.smartcar.config_flow import (
    CONF_ERROR_CALLBACK,
    token_unique_id,
    vehicle_label,
)
from custom_components.smartcar.const import (
    CONF_CLOUDHOOK_URL,
    CONF_ERROR_CLOUDHOOK_URL,
    CONF_ERROR_WEBHOOK_ID,
    CONF_MANAGEMENT_TOKEN,
    CONF_SCOPES,
    CONF_SMARTCAR_WEBHOOK_ID,
    CONF_STALE_AFTER,
    CONF_USER_ID,
    CONF_VEHICLES,
    DOMAIN,
)

from .conftest import (
    EV_ID,
    ICE_ID,
    TOKEN,
    WEBHOOK_PATH,
    CloudNotConnected,
    basic_auth,
    fixture_bytes,
    fixture_json,
    mock_cloud_module,
    sign,
    vehicle_device,
)
from .smartcar_api import (
    CLIENT_ID,
    CLIENT_SECRET,
    EV_VIN,
    OLD_ID,
    REDIRECT_URI,
    SMARTCAR_WEBHOOK_ID,
    USER_ID,
    VEHICLES,
    calls,
    connect_entry_data,
    error_body,
    mock_api,
    query,
    setup_credentials,
    stored_token,
    subscribe_url,
    token_payload,
    token_requests,
)

EXTERNAL_URL = "https://car.example.org"
OTHER_TOKEN = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
VERIFY_ANSWER = fixture_json("signatures.json")["verify_challenge"]["expected_response_body"]


@pytest.fixture
async def external_url(hass: HomeAssistant) -> None:
    """An instance reachable from the internet over HTTPS."""
    await hass.config.async_update(external_url=EXTERNAL_URL)


@pytest.fixture
def no_setup() -> Iterator[None]:
    """Flow tests stop at the entry; setting it up is tested elsewhere."""
    with patch("custom_components.smartcar.async_setup_entry", return_value=True):
        yield


@pytest.fixture
def cloud_logged_in(hass: HomeAssistant) -> Iterator[Any]:
    """Home Assistant Cloud loaded, logged in with a subscription (its API mocked)."""
    hass.config.components.add("cloud")
    cloud = mock_cloud_module(subscribed=True)
    cloud.async_create_cloudhook.return_value = "https://hooks.nabu.casa/abc"
    with patch.dict(sys.modules, {"homeassistant.components.cloud": cloud}):
        yield cloud


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
    assert entry.unique_id == token_unique_id(TOKEN)
    assert TOKEN not in entry.unique_id
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
    with patch("custom_components.smartcar.config_flow.VERIFY_TIMEOUT", timedelta(milliseconds=1)):
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
    MockConfigEntry(domain=DOMAIN, unique_id=token_unique_id(TOKEN), data={}).add_to_hass(hass)
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


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
    assert integration.unique_id == token_unique_id(OTHER_TOKEN)
    assert integration.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.kia_ev6_battery").state == "63"

    body = fixture_bytes("vehicle_state_first_delivery.json")
    assert (await post(body, signature=sign(body, OTHER_TOKEN))).status == 200
    assert (await post(fixture_bytes("vehicle_state_ice.json"))).status == 401  # old token


async def test_reconfigure_refuses_token_of_another_entry(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    """A token that another entry uses is refused."""
    MockConfigEntry(domain=DOMAIN, unique_id=token_unique_id(OTHER_TOKEN), data={}).add_to_hass(
        hass
    )
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

    result = await hass.config_entries.options.async_init(integration.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STALE_AFTER: 24, CONF_ERROR_CALLBACK: False}
    )
    cloud_logged_in.async_delete_cloudhook.assert_awaited_once()


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
    from custom_components.smartcar.config_flow import SetupReceiver

    receiver = SetupReceiver(TOKEN)
    receiver.async_signature_checked(valid=False)
    receiver.async_record(AsyncMock())
    assert receiver.async_apply(AsyncMock()) is None


# --- Smartcar Connect ------------------------------------------------------------------


@pytest.fixture
async def credentials(hass: HomeAssistant) -> None:
    """The client id and secret of the Smartcar application, added in the UI."""
    await setup_credentials(hass)


@pytest.fixture
def fast_retries() -> Iterator[None]:
    """Retries without waiting (the client's backoff is tested in test_api.py)."""
    with patch("custom_components.smartcar.api.BACKOFF_SECONDS", 0):
        yield


async def _sign_in(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    result: dict[str, Any],
    token: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Smartcar Connect redirects back with a code; the flow exchanges it for tokens."""
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    state = query(result["url"])["state"]
    client = await hass_client_no_auth()
    response = await client.get(f"/auth/external/callback?code=abcd&state={state}")
    assert response.status == 200
    aioclient_mock.post(TOKEN_URL, json=token or token_payload(1))
    return await hass.config_entries.flow.async_configure(result["flow_id"])


async def _connect(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    scopes: list[str] | None = None,
) -> dict[str, Any]:
    """Menu → permissions → Smartcar Connect → the application step."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "connect"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "connect"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SCOPES: scopes or list(DEFAULT_SCOPES)}
    )
    return await _sign_in(hass, hass_client_no_auth, aioclient_mock, result)


async def _to_vehicles_step(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> dict[str, Any]:
    result = await _connect(hass, hass_client_no_auth, aioclient_mock)
    assert result["step_id"] == "application"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["step_id"] == "smartcar_webhook"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SMARTCAR_WEBHOOK_ID: SMARTCAR_WEBHOOK_ID}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "vehicles"
    return result


@pytest.mark.usefixtures("current_request_with_host", "credentials", "external_url")
async def test_connect_full_flow(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """Sign in, token, webhook id, vehicles: subscribed, and devices before any delivery."""
    mock_api(aioclient_mock)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "connect"}
    )
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SCOPES: ["read_charge", "read_battery", "read_vin"]}
    )
    # Smartcar Connect: the chosen permissions (vehicle info always), live vehicles.
    authorize = query(result["url"])
    assert result["url"].startswith(f"{AUTHORIZE_URL}?")
    assert authorize["client_id"] == CLIENT_ID
    assert authorize["redirect_uri"] == REDIRECT_URI
    assert authorize["response_type"] == "code"
    assert authorize["mode"] == "live"
    assert authorize["scope"] == "read_battery read_charge read_vehicle_info read_vin"
    result = await _sign_in(hass, hass_client_no_auth, aioclient_mock, result)

    # The code exchange: client credentials as Basic auth, never in the form.
    (_, _, form, headers), *_ = token_requests(aioclient_mock)
    assert headers["Authorization"] == basic_auth(CLIENT_ID, CLIENT_SECRET)
    assert form == {
        "grant_type": "authorization_code",
        "code": "abcd",
        "redirect_uri": REDIRECT_URI,
    }
    (_, _, _, headers), *_ = calls(aioclient_mock, "get", f"{API_URL}/user")
    assert headers["Authorization"] == "Bearer access-1"

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "application"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "My cars", CONF_MANAGEMENT_TOKEN: "not a token"}
    )
    assert result["errors"] == {CONF_MANAGEMENT_TOKEN: "invalid_token"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "My cars", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["step_id"] == "smartcar_webhook"
    url = result["description_placeholders"]["webhook_url"]
    webhook_id = _webhook_id(result)
    assert url == f"{EXTERNAL_URL}/api/webhook/{webhook_id}"
    assert webhook_id in hass.data[WEBHOOK_DOMAIN]  # answers VERIFY from now on

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SMARTCAR_WEBHOOK_ID: "https://dashboard.smartcar.com/x"}
    )
    assert result["errors"] == {CONF_SMARTCAR_WEBHOOK_ID: "invalid_webhook_id"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SMARTCAR_WEBHOOK_ID: f" {SMARTCAR_WEBHOOK_ID} "}
    )
    assert result["step_id"] == "vehicles"
    assert result["description_placeholders"]["count"] == "2"
    assert result["description_placeholders"]["subscribed"] == "-"
    options = result["data_schema"].schema[CONF_VEHICLES].config["options"]
    assert options == [
        {"value": EV_ID, "label": f"Kia EV6 2023 (VIN {EV_VIN})"},
        {"value": ICE_ID, "label": f"Toyota Corolla 2019 ({ICE_ID[:8]})"},  # VIN not granted
    ]

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_VEHICLES: [EV_ID, ICE_ID]}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "subscribed"
    assert result["description_placeholders"]["count"] == "2"
    for vehicle_id in (EV_ID, ICE_ID):
        (_, _, _, headers), *_ = calls(aioclient_mock, "post", subscribe_url(vehicle_id))
        assert headers["Authorization"] == "Bearer access-1"  # the owner's token
    await _finish_and_check_entry(hass, flow_id, webhook_id)


async def _finish_and_check_entry(hass: HomeAssistant, flow_id: str, webhook_id: str) -> None:
    """Finish without waiting: the entry holds the sign-in, the webhook and the vehicles."""
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "finish"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "connect_default"
    entry = result["result"]
    assert entry.title == "My cars"
    assert entry.unique_id == token_unique_id(TOKEN)
    token = entry.data[CONF_TOKEN]
    assert token["refresh_token"] == "refresh-1"
    assert token["expires_at"] == pytest.approx(time.time() + 7200, abs=60)
    assert {key: value for key, value in entry.data.items() if key != CONF_TOKEN} == {
        CONF_MANAGEMENT_TOKEN: TOKEN,
        CONF_WEBHOOK_ID: webhook_id,
        "auth_implementation": DOMAIN,
        CONF_USER_ID: USER_ID,
        CONF_SCOPES: ["read_battery", "read_charge", "read_vin"],
        CONF_SMARTCAR_WEBHOOK_ID: SMARTCAR_WEBHOOK_ID,
        CONF_VEHICLES: [
            {**VEHICLES[EV_ID], "vin": EV_VIN},
            {**VEHICLES[ICE_ID], "vin": None},
        ],
    }


@pytest.mark.usefixtures("current_request_with_host", "credentials", "external_url")
async def test_connect_creates_devices_before_any_delivery(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """Set up for real: the subscribed vehicles' devices are there at once."""
    mock_api(aioclient_mock)
    result = await _to_vehicles_step(hass, hass_client_no_auth, aioclient_mock)
    flow_id = result["flow_id"]
    await hass.config_entries.flow.async_configure(flow_id, {CONF_VEHICLES: [EV_ID, ICE_ID]})
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "finish"})
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    ev = vehicle_device(hass, EV_ID)
    assert ev is not None
    assert (ev.manufacturer, ev.model, ev.name, ev.serial_number) == (
        "Kia",
        "EV6",
        "Kia EV6",
        EV_VIN,
    )
    ice = vehicle_device(hass, ICE_ID)
    assert ice is not None
    assert (ice.name, ice.serial_number) == ("Toyota Corolla", None)
    assert hass.states.async_all("sensor") == []  # entities come with the first delivery


@pytest.mark.usefixtures("current_request_with_host", "credentials", "external_url", "no_setup")
async def test_connect_waits_for_verify(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """After subscribing, the flow can wait for Smartcar's VERIFY like the webhook path."""
    mock_api(aioclient_mock)
    result = await _to_vehicles_step(hass, hass_client_no_auth, aioclient_mock)
    flow_id = result["flow_id"]
    path = f"/api/webhook/{_webhook_id(result)}"
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_VEHICLES: []})
    assert result["step_id"] == "subscribed"
    assert result["description_placeholders"]["count"] == "0"
    assert calls(aioclient_mock, "post", subscribe_url(EV_ID)) == []
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "wait_verify"}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    client = await hass_client_no_auth()
    response = await client.post(path, data=fixture_bytes("verify.json"))
    assert await response.json() == VERIFY_ANSWER
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "connect_verified"
    assert result["data"][CONF_VEHICLES] == []


@pytest.mark.parametrize(
    ("status", "body", "headers", "error"),
    [
        (401, error_body("AUTHENTICATION", status=401), None, "invalid_auth"),
        (
            429,
            error_body("RATE_LIMIT", "SMARTCAR_API", 429),
            {"retry-after": "600"},
            "rate_limited",
        ),
        (500, error_body("SERVER", "INTERNAL", 500), None, "cannot_connect"),
        (430, error_body("BILLING", "VEHICLE_LIMIT", 430), None, "billing_limit"),
    ],
)
@pytest.mark.usefixtures(
    "current_request_with_host", "credentials", "external_url", "no_setup", "fast_retries"
)
async def test_listing_errors_can_be_retried(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None,
    error: str,
) -> None:
    """A failed listing says why on the webhook id form; the next try goes on."""
    aioclient_mock.get(f"{API_URL}/vehicles", status=status, json=body, headers=headers)
    mock_api(aioclient_mock)
    result = await _connect(hass, hass_client_no_auth, aioclient_mock)
    flow_id = result["flow_id"]
    await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SMARTCAR_WEBHOOK_ID: SMARTCAR_WEBHOOK_ID}
    )
    assert result["step_id"] == "smartcar_webhook"
    assert result["errors"] == {"base": error}

    aioclient_mock.clear_requests()
    mock_api(aioclient_mock)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SMARTCAR_WEBHOOK_ID: SMARTCAR_WEBHOOK_ID}
    )
    assert result["step_id"] == "vehicles"


@pytest.mark.usefixtures("current_request_with_host", "credentials", "external_url", "no_setup")
async def test_account_without_vehicles(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """An account with no connected vehicle cannot go on until one is connected."""
    mock_api(aioclient_mock, vehicles=())
    result = await _connect(hass, hass_client_no_auth, aioclient_mock)
    await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SMARTCAR_WEBHOOK_ID: SMARTCAR_WEBHOOK_ID}
    )
    assert result["errors"] == {"base": "no_vehicles"}


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            403,
            error_body("PERMISSION", status=403, resolution="REAUTHENTICATE"),
            "permission_missing",
        ),
        (430, error_body("BILLING", "VEHICLE_LIMIT", 430), "billing_limit"),
        (501, error_body("COMPATIBILITY", "MAKE_NOT_COMPATIBLE", 501), "not_compatible"),
        (400, error_body("CONNECTED_SERVICES_ACCOUNT", "SUBSCRIPTION", 400), "account_issue"),
        (429, error_body("RATE_LIMIT", "VEHICLE", 429), "rate_limited"),
        (401, error_body("AUTHENTICATION", status=401), "invalid_auth"),
        (409, error_body("VEHICLE_STATE", "ASLEEP", 409), "cannot_connect"),
    ],
)
@pytest.mark.usefixtures(
    "current_request_with_host", "credentials", "external_url", "no_setup", "fast_retries"
)
async def test_subscription_failures_can_be_retried(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    body: dict[str, Any],
    error: str,
) -> None:
    """Each failure class has its message; a retry subscribes only what is left."""
    aioclient_mock.post(subscribe_url(ICE_ID), status=status, json=body)
    mock_api(aioclient_mock)
    result = await _to_vehicles_step(hass, hass_client_no_auth, aioclient_mock)
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_VEHICLES: [EV_ID, ICE_ID]}
    )
    assert result["step_id"] == "vehicles"
    assert result["errors"] == {"base": error}
    assert result["description_placeholders"]["subscribed"] == f"Kia EV6 2023 (VIN {EV_VIN})"

    aioclient_mock.clear_requests()
    mock_api(aioclient_mock)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_VEHICLES: [EV_ID, ICE_ID]}
    )
    assert result["step_id"] == "subscribed"
    assert calls(aioclient_mock, "post", subscribe_url(EV_ID)) == []  # done before
    assert len(calls(aioclient_mock, "post", subscribe_url(ICE_ID))) == 1


@pytest.mark.usefixtures("current_request_with_host", "credentials", "external_url", "no_setup")
async def test_unknown_webhook_id_goes_back(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """Smartcar does not know the webhook id: the flow asks for it again."""
    aioclient_mock.post(
        subscribe_url(EV_ID),
        status=404,
        json=error_body("RESOURCE_NOT_FOUND", "PATH", 404),
    )
    mock_api(aioclient_mock)
    result = await _to_vehicles_step(hass, hass_client_no_auth, aioclient_mock)
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_VEHICLES: [EV_ID]})
    assert result["step_id"] == "smartcar_webhook"
    assert result["errors"] == {CONF_SMARTCAR_WEBHOOK_ID: "webhook_not_found"}

    other = "0d1c2b3a-4f5e-4a6b-8c7d-9e0f1a2b3c4d"
    aioclient_mock.post(subscribe_url(EV_ID, other), json={"vehicleId": EV_ID, "webhookId": other})
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SMARTCAR_WEBHOOK_ID: other}
    )
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_VEHICLES: [EV_ID]})
    assert result["step_id"] == "subscribed"
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "finish"})
    assert result["data"][CONF_SMARTCAR_WEBHOOK_ID] == other


@pytest.mark.parametrize(
    ("status", "reason"), [(401, "oauth_unauthorized"), (503, "cannot_connect")]
)
@pytest.mark.usefixtures("current_request_with_host", "credentials", "no_setup", "fast_retries")
async def test_sign_in_without_user(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    reason: str,
) -> None:
    """A sign-in whose token Smartcar's API then refuses (or cannot check) aborts."""
    aioclient_mock.get(f"{API_URL}/user", status=status, json=error_body("X", status=status))
    result = await _connect(hass, hass_client_no_auth, aioclient_mock)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (401, {"error": "invalid_client", "error_description": "Bad secret"}, "oauth_unauthorized"),
        (500, None, "oauth_failed"),
    ],
)
@pytest.mark.usefixtures("current_request_with_host", "credentials", "no_setup")
async def test_code_exchange_refused(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    body: dict[str, str] | None,
    reason: str,
) -> None:
    """A refused code exchange (wrong client secret, say) aborts with the reason."""
    aioclient_mock.post(TOKEN_URL, status=status, json=body, text=None if body else "<html>")
    result = await _connect(hass, hass_client_no_auth, aioclient_mock)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


@pytest.mark.usefixtures("current_request_with_host", "no_setup")
async def test_connect_without_credentials(hass: HomeAssistant) -> None:
    """Without application credentials, Home Assistant asks for them first."""
    assert await async_setup_component(hass, "application_credentials", {})
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "connect"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SCOPES: list(DEFAULT_SCOPES)}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_credentials"


@pytest.mark.usefixtures("current_request_with_host", "credentials", "external_url", "no_setup")
async def test_connect_same_application_twice_aborts(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """One entry per Smartcar application on the Connect path too."""
    MockConfigEntry(domain=DOMAIN, unique_id=token_unique_id(TOKEN), data={}).add_to_hass(hass)
    mock_api(aioclient_mock)
    result = await _connect(hass, hass_client_no_auth, aioclient_mock)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# --- Reauth --------------------------------------------------------------------------


@pytest.fixture
async def connect_entry(hass: HomeAssistant, credentials: None) -> MockConfigEntry:
    """A set-up Smartcar Connect entry with one subscribed vehicle."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Smartcar",
        data=connect_entry_data(),
        unique_id=token_unique_id(TOKEN),
        entry_id="01JSMARTCARCONNECT000000000",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.mark.usefixtures("current_request_with_host")
async def test_reauth_keeps_entry_and_devices(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    connect_entry: MockConfigEntry,
) -> None:
    """A new sign-in replaces the tokens; the entry, device and data stay."""
    mock_api(aioclient_mock)
    device = vehicle_device(hass, EV_ID)
    assert device is not None
    result = await connect_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {"name": "Smartcar"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert query(result["url"])["scope"] == " ".join(sorted({*DEFAULT_SCOPES, "read_vehicle_info"}))
    result = await _sign_in(hass, hass_client_no_auth, aioclient_mock, result, token_payload(2))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert connect_entry.data[CONF_TOKEN]["refresh_token"] == "refresh-2"
    assert connect_entry.data[CONF_VEHICLES] == connect_entry_data()[CONF_VEHICLES]
    assert connect_entry.state is ConfigEntryState.LOADED
    assert vehicle_device(hass, EV_ID).id == device.id
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


@pytest.mark.usefixtures("current_request_with_host")
async def test_reauth_with_another_account_aborts(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    connect_entry: MockConfigEntry,
) -> None:
    """Signing in with another Smartcar user would lose the vehicles: refused."""
    mock_api(aioclient_mock, user_id="another-user")
    result = await connect_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await _sign_in(hass, hass_client_no_auth, aioclient_mock, result, token_payload(2))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert connect_entry.data[CONF_TOKEN]["refresh_token"] == "refresh-1"


# --- Reconfigure (Connect entries) ------------------------------------------------------


async def _reconfigure(hass: HomeAssistant, entry: MockConfigEntry, option: str) -> dict[str, Any]:
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "reconfigure_connect"
    assert result["menu_options"] == ["refresh_vehicles", "sign_in", "reconfigure_token"]
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": option}
    )


async def test_reconfigure_connect_token(
    hass: HomeAssistant, connect_entry: MockConfigEntry
) -> None:
    """A Connect entry's Application Management Token can be replaced too."""
    result = await _reconfigure(hass, connect_entry, "reconfigure_token")
    assert result["step_id"] == "reconfigure_token"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MANAGEMENT_TOKEN: OTHER_TOKEN}
    )
    assert result["reason"] == "reconfigure_successful"
    assert connect_entry.data[CONF_MANAGEMENT_TOKEN] == OTHER_TOKEN
    assert connect_entry.data[CONF_TOKEN]["refresh_token"] == "refresh-1"


@pytest.mark.usefixtures("current_request_with_host")
async def test_reconfigure_sign_in_with_new_credentials(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    connect_entry: MockConfigEntry,
) -> None:
    """Other permissions and new client credentials: the same entry, new tokens."""
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential("new-client-id", "new-secret"), "smartcar_new"
    )
    mock_api(aioclient_mock)
    result = await _reconfigure(hass, connect_entry, "sign_in")
    assert result["step_id"] == "sign_in"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SCOPES: ["read_location", "read_battery"]}
    )
    assert result["step_id"] == "pick_implementation"  # two credentials now
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"implementation": "smartcar_new"}
    )
    assert query(result["url"])["client_id"] == "new-client-id"
    assert query(result["url"])["scope"] == "read_battery read_location read_vehicle_info"
    result = await _sign_in(hass, hass_client_no_auth, aioclient_mock, result, token_payload(5))
    assert result["reason"] == "reconfigure_successful"
    assert connect_entry.data["auth_implementation"] == "smartcar_new"
    assert connect_entry.data[CONF_SCOPES] == ["read_battery", "read_location"]
    assert connect_entry.data[CONF_TOKEN]["access_token"] == "access-5"
    (_, _, _, headers), *_ = token_requests(aioclient_mock)
    assert headers["Authorization"] == basic_auth("new-client-id", "new-secret")


async def test_refresh_vehicles_adds_new_and_removes_gone(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, credentials: None
) -> None:
    """A new vehicle is subscribed and gets its device; a vanished one loses its device."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Smartcar",
        data=connect_entry_data(vehicles=(EV_ID, OLD_ID)),
        unique_id=token_unique_id(TOKEN),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert vehicle_device(hass, OLD_ID) is not None
    mock_api(aioclient_mock, vehicles=(EV_ID, ICE_ID))

    result = await _reconfigure(hass, entry, "refresh_vehicles")
    assert result["step_id"] == "refresh_vehicles"
    placeholders = result["description_placeholders"]
    assert placeholders["new"] == f"Toyota Corolla 2019 ({ICE_ID[:8]})"
    assert placeholders["gone"] == f"Nissan Leaf 2018 ({OLD_ID[:8]})"
    assert placeholders["subscribed"] == f"Kia EV6 2023 (VIN {EV_VIN})"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_VEHICLES: [EV_ID, ICE_ID]}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "vehicles_refreshed"
    await hass.async_block_till_done()
    assert calls(aioclient_mock, "post", subscribe_url(EV_ID)) == []  # subscribed before
    assert len(calls(aioclient_mock, "post", subscribe_url(ICE_ID))) == 1
    assert [item["id"] for item in entry.data[CONF_VEHICLES]] == [EV_ID, ICE_ID]
    assert vehicle_device(hass, OLD_ID) is None
    assert vehicle_device(hass, ICE_ID) is not None
    assert entry.state is ConfigEntryState.LOADED


async def test_refresh_vehicles_unsubscribes_left_out(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    connect_entry: MockConfigEntry,
) -> None:
    """A vehicle left out is unsubscribed with the management token and forgotten."""
    body = fixture_bytes("vehicle_state_ev_signal_update.json")
    client = await hass_client_no_auth()
    response = await client.post(WEBHOOK_PATH, data=body, headers={"SC-Signature": sign(body)})
    assert response.status == 200
    await hass.async_block_till_done()
    assert EV_ID in connect_entry.runtime_data.fleet.vehicles
    aioclient_mock.delete(
        subscribe_url(EV_ID), status=500, json=error_body("SERVER", "INTERNAL", 500)
    )
    mock_api(aioclient_mock)
    result = await _reconfigure(hass, connect_entry, "refresh_vehicles")
    with patch("custom_components.smartcar.api.BACKOFF_SECONDS", 0):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_VEHICLES: []}
        )
    assert result["errors"] == {"base": "cannot_connect"}
    (_, _, _, headers), *_ = calls(aioclient_mock, "delete", subscribe_url(EV_ID))
    assert headers["Authorization"] == f"Bearer {TOKEN}"  # the management token

    aioclient_mock.clear_requests()
    aioclient_mock.delete(
        subscribe_url(EV_ID), status=404, json=error_body("RESOURCE_NOT_FOUND", status=404)
    )
    mock_api(aioclient_mock)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_VEHICLES: []})
    assert result["reason"] == "vehicles_refreshed"
    await hass.async_block_till_done()
    assert connect_entry.data[CONF_VEHICLES] == []
    assert vehicle_device(hass, EV_ID) is None
    assert EV_ID not in connect_entry.runtime_data.fleet.vehicles


async def test_refresh_vehicles_subscription_failure(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, connect_entry: MockConfigEntry
) -> None:
    """A new vehicle that cannot be subscribed is reported; leaving it out finishes."""
    aioclient_mock.post(
        subscribe_url(ICE_ID), status=430, json=error_body("BILLING", "VEHICLE_LIMIT", 430)
    )
    mock_api(aioclient_mock)
    result = await _reconfigure(hass, connect_entry, "refresh_vehicles")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_VEHICLES: [EV_ID, ICE_ID]}
    )
    assert result["errors"] == {"base": "billing_limit"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_VEHICLES: [EV_ID]}
    )
    assert result["reason"] == "vehicles_refreshed"
    assert [item["id"] for item in connect_entry.data[CONF_VEHICLES]] == [EV_ID]


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (429, error_body("RATE_LIMIT", "SMARTCAR_API", 429), "rate_limited"),
        (502, error_body("UPSTREAM", "UNKNOWN_ISSUE", 502), "cannot_connect"),
    ],
)
@pytest.mark.usefixtures("fast_retries")
async def test_refresh_vehicles_listing_fails(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    connect_entry: MockConfigEntry,
    status: int,
    body: dict[str, Any],
    reason: str,
) -> None:
    """Smartcar cannot list the vehicles now: nothing changes, the user is told why."""
    aioclient_mock.get(f"{API_URL}/vehicles", status=status, json=body)
    result = await _reconfigure(hass, connect_entry, "refresh_vehicles")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert hass.config_entries.flow.async_progress() == []


@pytest.mark.usefixtures("current_request_with_host")
async def test_refresh_vehicles_with_dead_sign_in_signs_in_again(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    credentials: None,
) -> None:
    """An expired token that Smartcar will not refresh: sign in again, same entry."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=connect_entry_data(token=stored_token(1, age=3 * 3600)),
        unique_id=token_unique_id(TOKEN),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    aioclient_mock.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})
    result = await _reconfigure(hass, entry, "refresh_vehicles")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "sign_in"
    assert result["errors"] == {"base": "invalid_auth"}
    assert entry.state is ConfigEntryState.LOADED  # deliveries keep arriving

    aioclient_mock.clear_requests()
    mock_api(aioclient_mock)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SCOPES: list(DEFAULT_SCOPES)}
    )
    result = await _sign_in(hass, hass_client_no_auth, aioclient_mock, result, token_payload(3))
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_TOKEN]["refresh_token"] == "refresh-3"


async def test_refresh_vehicles_refreshes_and_rotates_token(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, credentials: None
) -> None:
    """An expired access token is refreshed first, and the new refresh token is kept."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=connect_entry_data(token=stored_token(1, age=3 * 3600)),
        unique_id=token_unique_id(TOKEN),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    aioclient_mock.post(TOKEN_URL, json=token_payload(2))
    mock_api(aioclient_mock, vehicles=(EV_ID,))
    result = await _reconfigure(hass, entry, "refresh_vehicles")
    assert result["step_id"] == "refresh_vehicles"
    (_, _, form, _), *_ = token_requests(aioclient_mock)
    assert form == {"grant_type": "refresh_token", "refresh_token": "refresh-1"}
    assert entry.data[CONF_TOKEN]["refresh_token"] == "refresh-2"
    (_, _, _, headers), *_ = calls(aioclient_mock, "get", f"{API_URL}/vehicles")
    assert headers["Authorization"] == "Bearer access-2"


async def test_refresh_vehicles_without_credentials(
    hass: HomeAssistant, connect_entry: MockConfigEntry
) -> None:
    """Application credentials deleted: say so instead of failing."""
    hass.config_entries.async_update_entry(
        connect_entry, data={**connect_entry.data, "auth_implementation": "gone"}
    )
    result = await _reconfigure(hass, connect_entry, "refresh_vehicles")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_credentials"


def test_vehicle_label_without_details() -> None:
    """A vehicle the API says nothing about is still named."""
    assert vehicle_label(SmartcarVehicle(id="abcdef123456")) == "Vehicle (abcdef12)"


async def test_refresh_vehicles_of_entry_not_loaded(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, credentials: None
) -> None:
    """An entry that is not set up (and has no devices yet) can be refreshed too."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=connect_entry_data(vehicles=(EV_ID, OLD_ID)),
        unique_id=token_unique_id(TOKEN),
    )
    entry.add_to_hass(hass)
    mock_api(aioclient_mock, vehicles=(EV_ID,))
    result = await _reconfigure(hass, entry, "refresh_vehicles")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_VEHICLES: [EV_ID]}
    )
    assert result["reason"] == "vehicles_refreshed"
    assert [item["id"] for item in entry.data[CONF_VEHICLES]] == [EV_ID]
