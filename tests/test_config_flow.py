"""The config and options flows: token checks, callback URLs, Cloud and duplicates."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from unittest.mock import AsyncMock, patch

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartcar.config_flow import token_unique_id
from custom_components.smartcar.const import (
    CONF_CLOUDHOOK_URL,
    CONF_MANAGEMENT_TOKEN,
    CONF_STALE_AFTER,
    DOMAIN,
)

from .conftest import TOKEN, CloudNotConnected, mock_cloud_module

EXTERNAL_URL = "https://car.example.org"


@pytest.fixture
async def external_url(hass: HomeAssistant) -> None:
    """An instance reachable from the internet over HTTPS."""
    await hass.config.async_update(external_url=EXTERNAL_URL)


@pytest.fixture
def no_setup() -> Iterator[None]:
    """Flow tests stop at the entry; setting it up is tested elsewhere."""
    with patch("custom_components.smartcar.async_setup_entry", return_value=True):
        yield


async def _start(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return result["flow_id"]


@pytest.mark.usefixtures("external_url", "no_setup")
async def test_user_step_creates_entry_and_shows_url(hass: HomeAssistant) -> None:
    """A valid token gives an entry, a random webhook id and the URL with Dashboard steps."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: " My cars ", CONF_MANAGEMENT_TOKEN: f"  {TOKEN}\n"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "My cars"
    data = result["data"]
    assert data[CONF_MANAGEMENT_TOKEN] == TOKEN
    assert CONF_CLOUDHOOK_URL not in data
    webhook_id = data[CONF_WEBHOOK_ID]
    assert len(webhook_id) >= 32  # at least 128 random bits, hex
    int(webhook_id, 16)
    url = result["description_placeholders"]["webhook_url"]
    assert url == f"{EXTERNAL_URL}/api/webhook/{webhook_id}"
    entry = result["result"]
    assert entry.unique_id == token_unique_id(TOKEN)
    assert TOKEN not in entry.unique_id


@pytest.mark.usefixtures("external_url", "no_setup")
async def test_empty_name_falls_back_to_default(hass: HomeAssistant) -> None:
    """A blank name still gives a readable title."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "  ", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["title"] == "Smartcar"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "   ",
        "short",
        "4f6b2a90 3c1d 4e8f 9a7b 5c2d1e0f3a6b",
        "https://dashboard.smartcar.com/x",
        "x" * 300,
    ],
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
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("no_setup")
async def test_no_public_url_says_how_to_fix(hass: HomeAssistant) -> None:
    """Without an HTTPS external URL or Cloud the flow explains; after the fix it completes."""
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
    assert result["type"] is FlowResultType.CREATE_ENTRY


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


@pytest.fixture
def cloud_logged_in(hass: HomeAssistant) -> Iterator[AsyncMock]:
    """Home Assistant Cloud loaded, logged in with a subscription (its API mocked)."""
    hass.config.components.add("cloud")
    cloud = mock_cloud_module(subscribed=True)
    cloud.async_create_cloudhook.return_value = "https://hooks.nabu.casa/abc"
    with patch.dict(sys.modules, {"homeassistant.components.cloud": cloud}):
        yield cloud.async_create_cloudhook


@pytest.mark.usefixtures("no_setup")
async def test_cloudhook_used_when_cloud_logged_in(
    hass: HomeAssistant, cloud_logged_in: AsyncMock
) -> None:
    """With Cloud, Smartcar gets a cloudhook URL, which is kept in the entry."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_CLOUDHOOK_URL] == "https://hooks.nabu.casa/abc"
    assert result["description_placeholders"]["webhook_url"] == "https://hooks.nabu.casa/abc"
    cloud_logged_in.assert_awaited_once_with(hass, result["data"][CONF_WEBHOOK_ID])


@pytest.mark.usefixtures("no_setup")
async def test_cloud_not_connected_can_be_retried(
    hass: HomeAssistant, cloud_logged_in: AsyncMock
) -> None:
    """Cloud logged in but disconnected: a clear error, and a retry once it connects."""
    cloud_logged_in.side_effect = CloudNotConnected
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["errors"] == {"base": "cloud_not_connected"}
    cloud_logged_in.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_options_set_reporting_timeout(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    """The options flow stores the staleness time and reloads the entry."""
    result = await hass.config_entries.options.async_init(integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STALE_AFTER: 6}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert integration.options == {CONF_STALE_AFTER: 6}
