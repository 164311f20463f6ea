"""Smartcar Connect on API v3: the config, reauth and reconfigure flows against a fake v3.

Credentials are checked by asking iam.smartcar.com for a token; consent runs through
Smartcar Connect, whose redirect comes back to the integration's own view with the user's
id; vehicles come from ``GET /connections``; the Dashboard webhook is found by its callback
URI and the vehicles subscribed with ``POST /subscriptions``.
"""

from __future__ import annotations

import logging
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from homeassistant.components.webhook import DOMAIN as WEBHOOK_DOMAIN
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.network import NoURLAvailableError

from custom_components.smartcar.api import DEFAULT_SCOPES
from custom_components.smartcar.api_hosts import AUTHORIZE_URL, TOKEN_URL
from custom_components.smartcar.connect import CALLBACK_PATH
from custom_components.smartcar.const import (
    CONF_APPLICATION_ID,
    CONF_MANAGEMENT_TOKEN,
    CONF_SCOPES,
    CONF_SMARTCAR_WEBHOOK_ID,
    CONF_USER_ID,
    CONF_VEHICLES,
    DOMAIN,
)
from custom_components.smartcar.credentials import async_check_credentials

from .conftest import (
    EV_ID,
    ICE_ID,
    TOKEN,
    WEBHOOK_PATH,
    fixture_bytes,
    fixture_json,
    sign,
    vehicle_device,
)
from .smartcar_api import (
    APP_TOKEN,
    APPLICATION_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    CONNECTIONS_URL,
    EV_VIN,
    OLD_ID,
    SMARTCAR_WEBHOOK_ID,
    SUBSCRIPTIONS_URL,
    USER_ID,
    VEHICLES,
    WEBHOOKS_URL,
    calls,
    connect_entry_data,
    connect_unique_id_of_tests,
    error_body,
    mock_api,
    page,
    query,
    setup_connect_entry,
    subscriptions,
    token_requests,
    v2_entry_data,
    v2_unique_id,
)

EXTERNAL_URL = "https://car.example.org"
REDIRECT_URI = f"{EXTERNAL_URL}{CALLBACK_PATH}"
OTHER_TOKEN = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
VERIFY_ANSWER = fixture_json("signatures.json")["verify_challenge"]["expected_response_body"]
CREDENTIALS = {
    CONF_APPLICATION_ID: APPLICATION_ID,
    CONF_CLIENT_ID: CLIENT_ID,
    CONF_CLIENT_SECRET: CLIENT_SECRET,
}


@pytest.fixture(autouse=True)
async def external_url(hass: HomeAssistant) -> None:
    """An instance reachable from the internet over HTTPS."""
    await hass.config.async_update(external_url=EXTERNAL_URL)


def subscribe_failing(
    aioclient_mock: AiohttpClientMocker, vehicle_id: str, status: int, body: dict[str, Any]
) -> None:
    """``POST /subscriptions`` refuses one vehicle and accepts the others."""

    async def answer(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        if data["data"]["attributes"]["vehicleId"] == vehicle_id:
            return AiohttpClientMockResponse(method, url, status=status, json=body)
        return AiohttpClientMockResponse(method, url, status=202, json={"meta": {}})

    aioclient_mock.post(SUBSCRIPTIONS_URL, side_effect=answer)


async def _consent(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    result: dict[str, Any],
    *,
    user_id: str = USER_ID,
    error: str | None = None,
) -> dict[str, Any]:
    """Smartcar Connect sends the browser back with the user's id (or an error)."""
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    state = query(result["url"])["state"]
    client = await hass_client_no_auth()
    params = {"state": state, **({"error": error} if error else {"user_id": user_id})}
    response = await client.get(CALLBACK_PATH, params=params)
    assert response.status == 200
    assert "close this window" in (await response.text()).lower()
    return await hass.config_entries.flow.async_configure(result["flow_id"])


async def _to_consent(hass: HomeAssistant, scopes: list[str] | None = None) -> dict[str, Any]:
    """Menu → permissions → credentials: the external step to Smartcar Connect."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "connect"}
    )
    assert result["step_id"] == "connect"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SCOPES: scopes or list(DEFAULT_SCOPES)}
    )
    assert result["step_id"] == "credentials"
    return await hass.config_entries.flow.async_configure(result["flow_id"], CREDENTIALS)


async def _to_webhook_step(hass: HomeAssistant, hass_client_no_auth: Any) -> dict[str, Any]:
    result = await _consent(hass, hass_client_no_auth, await _to_consent(hass))
    assert result["step_id"] == "application"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["step_id"] == "smartcar_webhook"
    return result


async def _to_vehicles_step(hass: HomeAssistant, hass_client_no_auth: Any) -> dict[str, Any]:
    result = await _to_webhook_step(hass, hass_client_no_auth)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "vehicles"
    return result


def _webhook_id(result: dict[str, Any]) -> str:
    return result["description_placeholders"]["webhook_url"].rsplit("/", 1)[1]


@pytest.mark.usefixtures("no_setup")
async def test_connect_full_flow(  # noqa: PLR0915 (one user journey, end to end)
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Credentials, consent, token, webhook found by its URL, vehicles: subscribed."""
    mock_api(aioclient_mock)
    caplog.set_level(logging.DEBUG)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "connect"})
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SCOPES: ["read_charge", "read_battery", "read_vin"]}
    )
    assert result["step_id"] == "credentials"
    assert result["description_placeholders"]["redirect_url"] == REDIRECT_URI

    # The credentials: the shapes first, then Smartcar's token service.
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {CONF_APPLICATION_ID: CLIENT_ID, CONF_CLIENT_ID: "x", CONF_CLIENT_SECRET: CLIENT_SECRET},
    )
    assert result["errors"] == {
        CONF_APPLICATION_ID: "invalid_application_id",
        CONF_CLIENT_ID: "invalid_client_id",
    }
    assert token_requests(aioclient_mock) == []
    result = await hass.config_entries.flow.async_configure(
        flow_id, {key: f" {value} " for key, value in CREDENTIALS.items()}
    )
    (_, _, form, headers), *_ = token_requests(aioclient_mock)
    assert form == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert "Authorization" not in headers

    # Smartcar Connect: the Application ID as client_id, the chosen permissions, live.
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert result["url"].startswith(f"{AUTHORIZE_URL}?")
    authorize = query(result["url"])
    assert authorize["client_id"] == APPLICATION_ID
    assert authorize["redirect_uri"] == REDIRECT_URI
    assert authorize["response_type"] == "code"
    assert authorize["mode"] == "live"
    assert authorize["scope"] == "read_battery read_charge read_vehicle_info read_vin"
    result = await _consent(hass, hass_client_no_auth, result)

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

    # Submitted empty: the webhook is found by its callback URI.
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    (_, found, _, headers), *_ = calls(aioclient_mock, "get", WEBHOOKS_URL)
    assert found.query["filter[callbackUri]"] == url
    assert headers["Authorization"] == f"Bearer {APP_TOKEN}"
    (_, listed, _, headers), *_ = calls(aioclient_mock, "get", CONNECTIONS_URL)
    assert listed.query["filter[userId]"] == USER_ID
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
    assert subscriptions(aioclient_mock) == [
        {"webhookId": SMARTCAR_WEBHOOK_ID, "userId": USER_ID, "vehicleId": vehicle_id}
        for vehicle_id in (EV_ID, ICE_ID)
    ]
    assert len(token_requests(aioclient_mock)) == 1  # the check's token serves every call

    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "finish"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "connect_default"
    entry = result["result"]
    assert entry.title == "My cars"
    assert entry.unique_id == connect_unique_id_of_tests()
    assert entry.data == {
        CONF_MANAGEMENT_TOKEN: TOKEN,
        CONF_WEBHOOK_ID: webhook_id,
        **CREDENTIALS,
        CONF_USER_ID: USER_ID,
        CONF_SCOPES: ["read_battery", "read_charge", "read_vin"],
        CONF_SMARTCAR_WEBHOOK_ID: SMARTCAR_WEBHOOK_ID,
        CONF_VEHICLES: [{**VEHICLES[EV_ID], "vin": EV_VIN}, {**VEHICLES[ICE_ID], "vin": None}],
    }
    # Nothing secret or personal in the log, at any level. (Not counted: the web server's
    # access log of the browser's redirect, which Home Assistant keeps at WARNING.)
    logged = "\n".join(
        record.getMessage() for record in caplog.records if record.name != "aiohttp.access"
    )
    for secret in (CLIENT_SECRET, APP_TOKEN, USER_ID, TOKEN):
        assert secret not in logged


async def test_connect_creates_devices_before_any_delivery(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """Set up for real: the subscribed vehicles' devices are there at once."""
    mock_api(aioclient_mock)
    result = await _to_vehicles_step(hass, hass_client_no_auth)
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

    # Deliveries to the new entry's webhook are applied.
    body = fixture_bytes("vehicle_state_ev_signal_update.json")
    client = await hass_client_no_auth()
    path = f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"
    response = await client.post(path, data=body, headers={"SC-Signature": sign(body)})
    assert response.status == 200
    await hass.async_block_till_done()
    assert hass.states.get("sensor.kia_ev6_battery").state == "63"


@pytest.mark.usefixtures("no_setup")
async def test_connect_waits_for_verify(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """After subscribing, the flow can wait for Smartcar's VERIFY like the webhook path."""
    mock_api(aioclient_mock)
    result = await _to_vehicles_step(hass, hass_client_no_auth)
    flow_id = result["flow_id"]
    path = f"/api/webhook/{_webhook_id(result)}"
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_VEHICLES: []})
    assert result["step_id"] == "subscribed"
    assert result["description_placeholders"]["count"] == "0"
    assert subscriptions(aioclient_mock) == []
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
    ("status", "body", "errors"),
    [
        (401, {"error": "invalid_client"}, {CONF_CLIENT_SECRET: "invalid_client"}),
        (400, {"error": "invalid_request"}, {CONF_CLIENT_SECRET: "invalid_client"}),
        (503, None, {"base": "cannot_connect"}),
    ],
)
@pytest.mark.usefixtures("no_setup", "fast_retries")
async def test_refused_credentials_can_be_corrected(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    body: dict[str, str] | None,
    errors: dict[str, str],
) -> None:
    """Smartcar refuses the client id and secret: the form names the field; a retry goes on."""
    aioclient_mock.post(TOKEN_URL, status=status, json=body, text=None if body else "<html>")
    result = await _to_consent(hass)
    assert result["step_id"] == "credentials"
    assert result["errors"] == errors
    aioclient_mock.clear_requests()
    mock_api(aioclient_mock)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], CREDENTIALS)
    assert result["type"] is FlowResultType.EXTERNAL_STEP


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("access_denied", "connect_refused"),
        ("server_error", "connect_failed"),
        ("[click](https://evil.example)", "connect_failed"),
    ],
)
@pytest.mark.usefixtures("no_setup")
async def test_consent_refused(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    error: str,
    reason: str,
) -> None:
    """The owner declines on Smartcar Connect (or it fails): the flow ends and says why."""
    mock_api(aioclient_mock)
    result = await _consent(hass, hass_client_no_auth, await _to_consent(hass), error=error)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    shown = result["description_placeholders"]["error"]
    assert shown in {error, "clickhttpsevil.example"}  # code-like only, no markup
    assert hass.config_entries.async_entries(DOMAIN) == []


@pytest.mark.usefixtures("no_setup")
async def test_callback_without_a_waiting_flow(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """A redirect with an unknown or used state changes nothing and says so."""
    mock_api(aioclient_mock)
    result = await _to_consent(hass)
    state = query(result["url"])["state"]
    client = await hass_client_no_auth()
    response = await client.get(CALLBACK_PATH, params={"state": "forged", "user_id": USER_ID})
    assert response.status == 400
    result = await _consent(hass, hass_client_no_auth, result)
    assert result["step_id"] == "application"
    response = await client.get(CALLBACK_PATH, params={"state": state, "user_id": USER_ID})
    assert response.status == 400  # used once already
    response = await client.get(CALLBACK_PATH)
    assert response.status == 400


@pytest.mark.usefixtures("no_setup")
async def test_malformed_user_id_is_not_taken(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """A user id that is not id-like is treated as none: the flow ends."""
    mock_api(aioclient_mock)
    result = await _consent(hass, hass_client_no_auth, await _to_consent(hass), user_id="not an id")
    assert result["reason"] == "connect_failed"


@pytest.mark.usefixtures("no_setup")
async def test_abandoned_consent_is_forgotten(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """A flow closed while Connect is open: its redirect later finds no flow."""
    mock_api(aioclient_mock)
    result = await _to_consent(hass)
    hass.config_entries.flow.async_abort(result["flow_id"])
    client = await hass_client_no_auth()
    state = query(result["url"])["state"]
    response = await client.get(CALLBACK_PATH, params={"state": state, "user_id": USER_ID})
    assert response.status == 400


async def test_no_url_for_the_redirect(hass: HomeAssistant) -> None:
    """Without any Home Assistant URL, Connect cannot bring the user back: say so."""
    await hass.config.async_update(external_url=None, internal_url=None)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "connect"}
    )
    with patch("custom_components.smartcar.connect.get_url", side_effect=_no_url):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_SCOPES: list(DEFAULT_SCOPES)}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_url_available"


def _no_url(*args: Any, **kwargs: Any) -> str:
    raise NoURLAvailableError


@pytest.mark.usefixtures("no_setup")
async def test_webhook_not_found_by_url_then_entered(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """No webhook calls the URL yet: the form says so; the id can be pasted instead."""
    mock_api(aioclient_mock, webhook_id=None)
    result = await _to_webhook_step(hass, hass_client_no_auth)
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["errors"] == {"base": "webhook_not_found_by_url"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SMARTCAR_WEBHOOK_ID: "https://dashboard.smartcar.com/x"}
    )
    assert result["errors"] == {CONF_SMARTCAR_WEBHOOK_ID: "invalid_webhook_id"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SMARTCAR_WEBHOOK_ID: f" {SMARTCAR_WEBHOOK_ID} "}
    )
    assert result["step_id"] == "vehicles"
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_VEHICLES: [EV_ID]})
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "finish"})
    assert result["data"][CONF_SMARTCAR_WEBHOOK_ID] == SMARTCAR_WEBHOOK_ID


@pytest.mark.usefixtures("no_setup")
async def test_abandoned_connect_flow_deletes_its_cloudhook(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    cloud_logged_in: Any,
) -> None:
    """Closed at the Dashboard webhook step: the cloudhook made for it is deleted."""
    mock_api(aioclient_mock)
    result = await _to_webhook_step(hass, hass_client_no_auth)
    assert result["description_placeholders"]["webhook_url"] == "https://hooks.nabu.casa/abc"
    ((_, webhook_id), _) = cloud_logged_in.async_create_cloudhook.call_args
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done()
    cloud_logged_in.async_delete_cloudhook.assert_awaited_once_with(hass, webhook_id)


@pytest.mark.usefixtures("no_setup", "fast_retries")
async def test_webhook_listing_fails(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """Smartcar cannot list the webhooks now: the form says so; the next try goes on."""
    aioclient_mock.get(WEBHOOKS_URL, status=500, json=error_body("SERVER", "INTERNAL", 500))
    mock_api(aioclient_mock)
    result = await _to_webhook_step(hass, hass_client_no_auth)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "cannot_connect"}
    aioclient_mock.clear_requests()
    mock_api(aioclient_mock)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "vehicles"


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
        (430, error_body("BILLING", "VEHICLE_REQUEST_LIMIT", 430), None, "billing_limit"),
        (200, {"data": "not a list"}, None, "cannot_connect"),
    ],
)
@pytest.mark.usefixtures("no_setup", "fast_retries")
async def test_listing_errors_can_be_retried(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None,
    error: str,
) -> None:
    """A failed listing says why on the webhook form; the next try goes on."""
    aioclient_mock.get(CONNECTIONS_URL, status=status, json=body, headers=headers)
    mock_api(aioclient_mock)
    result = await _to_webhook_step(hass, hass_client_no_auth)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "smartcar_webhook"
    assert result["errors"] == {"base": error}

    aioclient_mock.clear_requests()
    mock_api(aioclient_mock)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "vehicles"


@pytest.mark.usefixtures("no_setup")
async def test_account_without_vehicles(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """A user with no connected vehicle cannot go on until one is connected."""
    mock_api(aioclient_mock, vehicles=())
    result = await _to_webhook_step(hass, hass_client_no_auth)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "no_vehicles"}


@pytest.mark.usefixtures("no_setup")
async def test_vehicles_across_pages(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """Every page of ``GET /connections`` is followed."""
    from .smartcar_api import connection

    aioclient_mock.get(
        f"{CONNECTIONS_URL}?page[number]=1", json=page([connection(EV_ID)], total=51)
    )
    aioclient_mock.get(
        f"{CONNECTIONS_URL}?page[number]=2",
        json=page([connection(ICE_ID)], number=2, total=51),
    )
    mock_api(aioclient_mock)
    result = await _to_vehicles_step(hass, hass_client_no_auth)
    assert result["description_placeholders"]["count"] == "2"


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
        (400, error_body("VALIDATION", "MISSING_PARAMETER", 400), "cannot_connect"),
    ],
)
@pytest.mark.usefixtures("no_setup", "fast_retries")
async def test_subscription_failures_can_be_retried(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    body: dict[str, Any],
    error: str,
) -> None:
    """Each failure class has its message; a retry subscribes only what is left."""
    subscribe_failing(aioclient_mock, ICE_ID, status, body)
    mock_api(aioclient_mock)
    result = await _to_vehicles_step(hass, hass_client_no_auth)
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
    assert [item["vehicleId"] for item in subscriptions(aioclient_mock)] == [ICE_ID]


@pytest.mark.usefixtures("no_setup")
async def test_already_subscribed_counts_as_subscribed(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """``409`` from ``POST /subscriptions`` means the subscription exists: fine."""
    subscribe_failing(aioclient_mock, EV_ID, 409, error_body("CONFLICT", status=409))
    mock_api(aioclient_mock)
    result = await _to_vehicles_step(hass, hass_client_no_auth)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_VEHICLES: [EV_ID, ICE_ID]}
    )
    assert result["step_id"] == "subscribed"
    assert result["description_placeholders"]["count"] == "2"


@pytest.mark.usefixtures("no_setup")
async def test_unknown_webhook_id_goes_back(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """Smartcar does not know the webhook id: the flow asks for it again."""
    subscribe_failing(aioclient_mock, EV_ID, 404, error_body("RESOURCE_NOT_FOUND", "PATH", 404))
    mock_api(aioclient_mock)
    result = await _to_vehicles_step(hass, hass_client_no_auth)
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_VEHICLES: [EV_ID]})
    assert result["step_id"] == "smartcar_webhook"
    assert result["errors"] == {CONF_SMARTCAR_WEBHOOK_ID: "webhook_not_found"}

    aioclient_mock.clear_requests()
    mock_api(aioclient_mock)
    other = "0d1c2b3a-4f5e-4a6b-8c7d-9e0f1a2b3c4d"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SMARTCAR_WEBHOOK_ID: other}
    )
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_VEHICLES: [EV_ID]})
    assert result["step_id"] == "subscribed"
    assert subscriptions(aioclient_mock)[0]["webhookId"] == other
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "finish"})
    assert result["data"][CONF_SMARTCAR_WEBHOOK_ID] == other


@pytest.mark.usefixtures("no_setup")
async def test_same_user_twice_aborts_another_user_is_welcome(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """One entry per Smartcar user: the same user again aborts; a second user gets one."""
    MockConfigEntry(
        domain=DOMAIN, unique_id=connect_unique_id_of_tests(), data=connect_entry_data()
    ).add_to_hass(hass)
    mock_api(aioclient_mock)
    result = await _consent(hass, hass_client_no_auth, await _to_consent(hass))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    other_user = "c8f2dae3-5b4a-4f7c-8d9e-2a3b4c5d6e7f"
    result = await _consent(hass, hass_client_no_auth, await _to_consent(hass), user_id=other_user)
    assert result["step_id"] == "application"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Second driver", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["step_id"] == "smartcar_webhook"  # the same token is fine for another user


# --- Reauth ----------------------------------------------------------------------------


@pytest.fixture
async def connect_entry(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> MockConfigEntry:
    """A set-up Smartcar Connect entry (API v3) with one subscribed vehicle; no mocks left."""
    entry = await setup_connect_entry(hass, aioclient_mock, entry_id="01JSMARTCARCONNECT000000000")
    aioclient_mock.clear_requests()
    return entry


async def test_reauth_takes_new_credentials_and_keeps_everything(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, connect_entry: MockConfigEntry
) -> None:
    """Smartcar refused the credentials: new ones, checked; the entry and devices stay."""
    device = vehicle_device(hass, EV_ID)
    assert device is not None
    result = await connect_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {"name": "Smartcar"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "credentials"
    assert result["data_schema"]({CONF_CLIENT_SECRET: "s3cret-value"})[CONF_CLIENT_ID] == CLIENT_ID
    aioclient_mock.post(TOKEN_URL, status=401, json={"error": "invalid_client"})
    new = {**CREDENTIALS, CONF_CLIENT_SECRET: "sc-secret-new-0000"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], new)
    assert result["errors"] == {CONF_CLIENT_SECRET: "invalid_client"}
    aioclient_mock.clear_requests()
    mock_api(aioclient_mock)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], new)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert connect_entry.data[CONF_CLIENT_SECRET] == "sc-secret-new-0000"
    assert connect_entry.data[CONF_USER_ID] == USER_ID
    assert connect_entry.state is ConfigEntryState.LOADED
    assert vehicle_device(hass, EV_ID).id == device.id


# --- Reconfigure -----------------------------------------------------------------------


async def _reconfigure(hass: HomeAssistant, entry: MockConfigEntry, option: str) -> dict[str, Any]:
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "reconfigure_connect"
    assert result["menu_options"] == [
        "refresh_vehicles",
        "sign_in",
        "replace_credentials",
        "reconfigure_token",
    ]
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": option}
    )


async def test_reconfigure_connect_token(
    hass: HomeAssistant, connect_entry: MockConfigEntry
) -> None:
    """A Connect entry's Application Management Token can be replaced; its id stays."""
    result = await _reconfigure(hass, connect_entry, "reconfigure_token")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MANAGEMENT_TOKEN: OTHER_TOKEN}
    )
    assert result["reason"] == "reconfigure_successful"
    assert connect_entry.data[CONF_MANAGEMENT_TOKEN] == OTHER_TOKEN
    assert connect_entry.unique_id == connect_unique_id_of_tests()


async def test_reconfigure_replace_credentials(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, connect_entry: MockConfigEntry
) -> None:
    """A rotated client secret: checked, stored, the entry reloaded."""
    result = await _reconfigure(hass, connect_entry, "replace_credentials")
    assert result["step_id"] == "replace_credentials"
    mock_api(aioclient_mock)
    new = {**CREDENTIALS, CONF_CLIENT_SECRET: "sc-secret-rotated-1"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], new)
    assert result["reason"] == "connect_updated"
    await hass.async_block_till_done()
    assert connect_entry.data[CONF_CLIENT_SECRET] == "sc-secret-rotated-1"
    assert connect_entry.state is ConfigEntryState.LOADED


async def test_reconfigure_grant_access_again(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    connect_entry: MockConfigEntry,
) -> None:
    """Other permissions on Connect: the same user, the same entry."""
    mock_api(aioclient_mock)
    result = await _reconfigure(hass, connect_entry, "sign_in")
    assert result["step_id"] == "sign_in"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SCOPES: ["read_location", "read_battery"]}
    )
    assert query(result["url"])["client_id"] == APPLICATION_ID
    assert query(result["url"])["scope"] == "read_battery read_location read_vehicle_info"
    result = await _consent(hass, hass_client_no_auth, result)
    assert result["reason"] == "connect_updated"
    assert connect_entry.data[CONF_SCOPES] == ["read_battery", "read_location"]


async def test_reconfigure_with_another_user_aborts(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    connect_entry: MockConfigEntry,
) -> None:
    """Granting access as another Smartcar user would lose the vehicles: refused."""
    mock_api(aioclient_mock)
    result = await _reconfigure(hass, connect_entry, "sign_in")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SCOPES: list(DEFAULT_SCOPES)}
    )
    result = await _consent(
        hass, hass_client_no_auth, result, user_id="c8f2dae3-5b4a-4f7c-8d9e-2a3b4c5d6e7f"
    )
    assert result["reason"] == "wrong_account"
    assert connect_entry.data[CONF_USER_ID] == USER_ID


async def test_refresh_vehicles_adds_new_and_removes_gone(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """A new vehicle is subscribed and gets its device; a vanished one loses its device."""
    entry = await setup_connect_entry(hass, aioclient_mock, vehicles=(EV_ID, OLD_ID))
    assert vehicle_device(hass, OLD_ID) is not None
    aioclient_mock.clear_requests()
    mock_api(aioclient_mock, vehicles=(EV_ID, ICE_ID))

    result = await _reconfigure(hass, entry, "refresh_vehicles")
    assert result["step_id"] == "refresh_vehicles"
    placeholders = result["description_placeholders"]
    assert placeholders["new"] == f"Toyota Corolla 2019 ({ICE_ID[:8]})"
    assert placeholders["gone"] == f"Nissan Leaf 2018 ({OLD_ID[:8]})"
    assert placeholders["subscribed"] == f"Kia EV6 2023 (VIN {EV_VIN})"
    assert token_requests(aioclient_mock) == []  # the loaded entry's token is reused
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_VEHICLES: [EV_ID, ICE_ID]}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "vehicles_refreshed"
    await hass.async_block_till_done()
    assert [item["vehicleId"] for item in subscriptions(aioclient_mock)] == [ICE_ID]
    assert [item["id"] for item in entry.data[CONF_VEHICLES]] == [EV_ID, ICE_ID]
    assert vehicle_device(hass, OLD_ID) is None
    assert vehicle_device(hass, ICE_ID) is not None
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("fast_retries")
async def test_refresh_vehicles_unsubscribes_left_out(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    aioclient_mock: AiohttpClientMocker,
    connect_entry: MockConfigEntry,
) -> None:
    """A vehicle left out is unsubscribed (found, then deleted) and forgotten."""
    body = fixture_bytes("vehicle_state_ev_signal_update.json")
    client = await hass_client_no_auth()
    response = await client.post(WEBHOOK_PATH, data=body, headers={"SC-Signature": sign(body)})
    assert response.status == 200
    await hass.async_block_till_done()
    assert EV_ID in connect_entry.runtime_data.fleet.vehicles
    aioclient_mock.delete(
        f"{SUBSCRIPTIONS_URL}/sub-1", status=500, json=error_body("SERVER", "INTERNAL", 500)
    )
    mock_api(aioclient_mock)
    result = await _reconfigure(hass, connect_entry, "refresh_vehicles")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_VEHICLES: []})
    assert result["errors"] == {"base": "cannot_connect"}
    (_, listed, _, _), *_ = calls(aioclient_mock, "get", SUBSCRIPTIONS_URL)
    assert dict(listed.query) | {"page[number]": "1"} == {
        "filter[webhookId]": SMARTCAR_WEBHOOK_ID,
        "filter[vehicleId]": EV_ID,
        "filter[userId]": USER_ID,
        "page[number]": "1",
        "page[size]": "50",
    }

    aioclient_mock.clear_requests()
    mock_api(aioclient_mock)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_VEHICLES: []})
    assert result["reason"] == "vehicles_refreshed"
    await hass.async_block_till_done()
    assert len(calls(aioclient_mock, "delete", f"{SUBSCRIPTIONS_URL}/sub-1")) == 1
    assert connect_entry.data[CONF_VEHICLES] == []
    assert vehicle_device(hass, EV_ID) is None
    assert EV_ID not in connect_entry.runtime_data.fleet.vehicles


async def test_refresh_vehicles_subscription_failure(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, connect_entry: MockConfigEntry
) -> None:
    """A new vehicle that cannot be subscribed is reported; leaving it out finishes."""
    subscribe_failing(aioclient_mock, ICE_ID, 430, error_body("BILLING", "VEHICLE_LIMIT", 430))
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
    aioclient_mock.get(CONNECTIONS_URL, status=status, json=body)
    result = await _reconfigure(hass, connect_entry, "refresh_vehicles")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert hass.config_entries.flow.async_progress() == []


async def test_refresh_vehicles_with_refused_credentials_takes_new_ones(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, connect_entry: MockConfigEntry
) -> None:
    """Revoked credentials found while refreshing: enter new ones right there."""
    aioclient_mock.get(CONNECTIONS_URL, status=401, json=error_body("AUTHENTICATION", status=401))
    aioclient_mock.post(TOKEN_URL, json={"access_token": "fresh-token", "expires_in": 3600})
    result = await _reconfigure(hass, connect_entry, "refresh_vehicles")
    assert result["step_id"] == "replace_credentials"
    assert result["errors"] == {"base": "invalid_auth"}
    assert connect_entry.state is ConfigEntryState.LOADED  # deliveries keep arriving
    aioclient_mock.clear_requests()
    mock_api(aioclient_mock)
    new = {**CREDENTIALS, CONF_CLIENT_SECRET: "sc-secret-rotated-2"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], new)
    assert result["reason"] == "connect_updated"
    assert connect_entry.data[CONF_CLIENT_SECRET] == "sc-secret-rotated-2"


async def test_refresh_vehicles_of_entry_not_loaded(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """An entry that is not set up (and has no devices yet) can be refreshed too."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=connect_entry_data(vehicles=(EV_ID, OLD_ID)),
        unique_id=connect_unique_id_of_tests(),
    )
    entry.add_to_hass(hass)
    mock_api(aioclient_mock, vehicles=(EV_ID,))
    result = await _reconfigure(hass, entry, "refresh_vehicles")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_VEHICLES: [EV_ID]}
    )
    assert result["reason"] == "vehicles_refreshed"
    assert [item["id"] for item in entry.data[CONF_VEHICLES]] == [EV_ID]
    await hass.async_block_till_done()


# --- Entries made on API v2 ------------------------------------------------------------


async def test_v2_entry_moves_to_v3_in_place(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """Reconfigure > Move to API v3: credentials and consent; webhook and devices stay."""
    entry = MockConfigEntry(
        domain=DOMAIN, title="Smartcar", data=v2_entry_data(), unique_id=v2_unique_id()
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    device = vehicle_device(hass, EV_ID)
    assert device is not None
    mock_api(aioclient_mock)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_v2"
    assert result["menu_options"] == ["connect_v3", "reconfigure_token"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "connect_v3"}
    )
    assert result["step_id"] == "credentials"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], CREDENTIALS)
    result = await _consent(hass, hass_client_no_auth, result)
    assert result["reason"] == "connect_updated"
    await hass.async_block_till_done()
    assert entry.data == connect_entry_data()
    assert entry.unique_id == connect_unique_id_of_tests()
    assert entry.state is ConfigEntryState.LOADED
    assert vehicle_device(hass, EV_ID).id == device.id


async def test_grant_access_again_without_a_url(
    hass: HomeAssistant, connect_entry: MockConfigEntry
) -> None:
    """Granting access again needs a URL to come back to, as the first time did."""
    result = await _reconfigure(hass, connect_entry, "sign_in")
    with patch("custom_components.smartcar.connect.get_url", side_effect=_no_url):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_SCOPES: list(DEFAULT_SCOPES)}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_url_available"


async def test_replace_credentials_refused(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, connect_entry: MockConfigEntry
) -> None:
    """New credentials that Smartcar refuses are not stored; the form says which field."""
    result = await _reconfigure(hass, connect_entry, "replace_credentials")
    aioclient_mock.post(TOKEN_URL, status=401, json={"error": "invalid_client"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**CREDENTIALS, CONF_CLIENT_SECRET: "sc-secret-wrong-00"}
    )
    assert result["step_id"] == "replace_credentials"
    assert result["errors"] == {CONF_CLIENT_SECRET: "invalid_client"}
    assert connect_entry.data[CONF_CLIENT_SECRET] == CLIENT_SECRET


async def test_callback_for_a_flow_that_is_gone(
    hass: HomeAssistant, hass_client_no_auth: Any, aioclient_mock: AiohttpClientMocker
) -> None:
    """A state whose flow vanished without saying so is refused like an unknown one."""
    from custom_components.smartcar import connect

    mock_api(aioclient_mock)
    result = await _to_consent(hass)
    state = query(result["url"])["state"]
    hass.data[connect._PENDING][state] = "no-such-flow"
    client = await hass_client_no_auth()
    response = await client.get(CALLBACK_PATH, params={"state": state, "user_id": USER_ID})
    assert response.status == 400


@pytest.mark.parametrize(
    ("application_id", "error"),
    [
        (APPLICATION_ID, None),
        (APPLICATION_ID.upper(), None),
        ("app_3f2e1d0c9b8a4765", None),  # the form seen in Dashboard test payloads
        (CLIENT_ID, "invalid_application_id"),  # the API client id, the likeliest mix-up
        ("https://dashboard.smartcar.com/app", "invalid_application_id"),
        ("", "invalid_application_id"),
    ],
)
async def test_application_id_shapes(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    application_id: str,
    error: str | None,
) -> None:
    """The documented UUID and the app_ form are taken; a client id or a URL is named."""
    mock_api(aioclient_mock)
    _, errors = await async_check_credentials(
        hass, {**CREDENTIALS, CONF_APPLICATION_ID: application_id}
    )
    assert errors.get(CONF_APPLICATION_ID) == error
