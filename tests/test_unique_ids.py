"""What identifies an entry: a new token keeps it, and an application is set up only once.

Entries of minor version 1 had their token's hash as unique id; at setup they get the id
of their webhook (Connect entries on API v3 keep theirs).
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.smartcar.const import CONF_MANAGEMENT_TOKEN, DOMAIN
from custom_components.smartcar.unique_ids import (
    token_unique_id,
    webhook_unique_id,
)

from .conftest import TOKEN, WEBHOOK_ID
from .smartcar_api import (
    connect_entry_data,
    connect_unique_id_of_tests,
    mock_api,
    v2_entry_data,
)

OTHER_TOKEN = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


pytestmark = pytest.mark.usefixtures("public_url")


def _entry_of_minor_version_1(
    data: dict[str, Any], *, version: int = 1, minor_version: int = 1
) -> MockConfigEntry:
    """An entry as the integration made it up to minor version 1 (unless told otherwise)."""
    return MockConfigEntry(
        domain=DOMAIN,
        data=data,
        unique_id=token_unique_id(TOKEN),
        version=version,
        minor_version=minor_version,
    )


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _webhook_only_flow(hass: HomeAssistant, token: str) -> dict[str, Any]:
    """The webhook-only path up to the token form, submitted with ``token``."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "webhook_only"}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Smartcar", CONF_MANAGEMENT_TOKEN: token}
    )


@pytest.mark.parametrize(
    "data",
    [{CONF_MANAGEMENT_TOKEN: TOKEN, CONF_WEBHOOK_ID: WEBHOOK_ID}, v2_entry_data()],
    ids=["webhook_only", "v2"],
)
async def test_entry_of_minor_version_1_gets_its_webhook_id(
    hass: HomeAssistant, data: dict[str, Any]
) -> None:
    """A webhook-only or API v2 entry known by its token's hash is known by its webhook."""
    entry = _entry_of_minor_version_1(data)
    await _setup(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.unique_id == webhook_unique_id(WEBHOOK_ID)
    assert entry.minor_version == 2


async def test_connect_entry_keeps_its_id(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """A Connect entry on API v3 is its user's already: only its minor version changes."""
    mock_api(aioclient_mock)
    entry = MockConfigEntry(
        domain=DOMAIN, data=connect_entry_data(), unique_id=connect_unique_id_of_tests()
    )
    await _setup(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.unique_id, entry.minor_version) == (connect_unique_id_of_tests(), 2)


@pytest.mark.parametrize(
    ("version", "minor_version", "state"),
    [(2, 1, ConfigEntryState.MIGRATION_ERROR), (1, 3, ConfigEntryState.LOADED)],
)
async def test_entry_of_a_newer_version(
    hass: HomeAssistant, version: int, minor_version: int, state: ConfigEntryState
) -> None:
    """A newer major version is not set up; a newer minor version is, and keeps its id."""
    entry = _entry_of_minor_version_1(
        {CONF_MANAGEMENT_TOKEN: TOKEN, CONF_WEBHOOK_ID: WEBHOOK_ID},
        version=version,
        minor_version=minor_version,
    )
    await _setup(hass, entry)
    assert entry.state is state
    assert entry.unique_id == token_unique_id(TOKEN)


async def test_new_token_keeps_the_id_and_still_finds_the_application(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    """After a token rotation the entry has its id; the new token is set up already."""
    unique_id = integration.unique_id
    result = await integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MANAGEMENT_TOKEN: OTHER_TOKEN}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert integration.unique_id == unique_id == webhook_unique_id(WEBHOOK_ID)

    result = await _webhook_only_flow(hass, OTHER_TOKEN)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    result = await _webhook_only_flow(hass, TOKEN)  # the retired token: another application
    assert result["type"] is FlowResultType.MENU


@pytest.mark.usefixtures("no_setup")
async def test_connect_entry_token_does_not_block_webhook_only(hass: HomeAssistant) -> None:
    """A Connect entry is one user of an application: its token may have a webhook entry too."""
    MockConfigEntry(
        domain=DOMAIN, data=connect_entry_data(), unique_id=connect_unique_id_of_tests()
    ).add_to_hass(hass)
    result = await _webhook_only_flow(hass, TOKEN)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "webhook"
