"""The cloudhook's lifecycle: kept registered as Cloud connects, checked as it logs out."""

from __future__ import annotations

from collections.abc import Iterator
import logging
import sys
from unittest.mock import AsyncMock, MagicMock, patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send
from homeassistant.setup import async_setup_component

from custom_components.smartcar.const import (
    CONF_CLOUDHOOK_URL,
    CONF_ERROR_CLOUDHOOK_URL,
    CONF_ERROR_WEBHOOK_ID,
    DOMAIN,
)

from .conftest import WEBHOOK_ID, CloudConnectionState, CloudNotConnected, mock_cloud_module

STORED_URL = "https://hooks.nabu.casa/stored"
NEW_URL = f"https://hooks.nabu.casa/new-{WEBHOOK_ID}"
ERROR_WEBHOOK_ID = "error-webhook-id"
EXTERNAL_URL = "https://car.example.org"
CONNECTION_CHANGED = "test_cloud_connection_state"


class FakeCloud:
    """Home Assistant Cloud as the integration sees it: its login, connection and cloudhooks.

    ``hooks`` holds the cloudhook URL Cloud has for each webhook id; one it does not have
    yet it makes, with a new URL, when asked while connected.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Logged in with a subscription and connected, knowing the stored cloudhook."""
        self.hass = hass
        self.hooks = {WEBHOOK_ID: STORED_URL}
        self.connected = True
        self.listen = MagicMock(
            side_effect=lambda hass, target: async_dispatcher_connect(
                hass, CONNECTION_CHANGED, target
            )
        )
        self.get_or_create = AsyncMock(side_effect=self._get_or_create)
        self.module = mock_cloud_module(subscribed=True)
        self.subscribed: MagicMock = self.module.async_active_subscription  # type: ignore[attr-defined]
        vars(self.module).update(
            async_is_connected=lambda _hass: self.connected,
            async_listen_connection_change=self.listen,
            async_get_or_create_cloudhook=self.get_or_create,
        )

    async def _get_or_create(self, _hass: HomeAssistant, webhook_id: str) -> str:
        if not self.connected:
            raise CloudNotConnected
        return self.hooks.setdefault(webhook_id, f"https://hooks.nabu.casa/new-{webhook_id}")

    async def connect(self) -> None:
        """Cloud (re)connects, as after a login or a lost connection."""
        self.connected = True
        async_dispatcher_send(self.hass, CONNECTION_CHANGED, CloudConnectionState.CLOUD_CONNECTED)
        await self.hass.async_block_till_done()

    async def disconnect(self) -> None:
        """Cloud's connection drops (it reconnects by itself)."""
        self.connected = False
        async_dispatcher_send(
            self.hass, CONNECTION_CHANGED, CloudConnectionState.CLOUD_DISCONNECTED
        )
        await self.hass.async_block_till_done()

    async def logout(self) -> None:
        """The user logs out: Cloud forgets the login, then closes its connection."""
        self.subscribed.return_value = False
        await self.disconnect()

    async def login(self) -> None:
        """The user logs in again: Cloud connects."""
        self.subscribed.return_value = True
        await self.connect()


@pytest.fixture
def cloud(hass: HomeAssistant) -> Iterator[FakeCloud]:
    """Home Assistant Cloud loaded (its API faked), logged in and connected."""
    hass.config.components.add("cloud")
    fake = FakeCloud(hass)
    with patch.dict(sys.modules, {"homeassistant.components.cloud": fake.module}):
        yield fake


@pytest.fixture
async def cloudhook_entry(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """An entry set up with Home Assistant Cloud (not loaded yet)."""
    assert await async_setup_component(hass, "homeassistant", {})
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_CLOUDHOOK_URL: STORED_URL}
    )
    return config_entry


@pytest.fixture
async def loaded(hass: HomeAssistant, cloud: FakeCloud, cloudhook_entry: MockConfigEntry) -> None:
    """The entry set up, with Cloud logged in and connected."""
    assert await hass.config_entries.async_setup(cloudhook_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def _no_public_url_repair(hass: HomeAssistant, entry: MockConfigEntry) -> bool:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"no_public_url_{entry.entry_id}") is not None


@pytest.mark.parametrize(
    ("hooks", "expected_url"), [({WEBHOOK_ID: STORED_URL}, STORED_URL), ({}, NEW_URL)]
)
async def test_setup_makes_sure_cloud_knows_the_cloudhook(
    hass: HomeAssistant,
    cloud: FakeCloud,
    cloudhook_entry: MockConfigEntry,
    hooks: dict[str, str],
    expected_url: str,
) -> None:
    """With Cloud connected, setup asks for the cloudhook; a new URL replaces the stored one."""
    cloud.hooks = hooks
    assert await hass.config_entries.async_setup(cloudhook_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    cloud.get_or_create.assert_awaited_once_with(hass, WEBHOOK_ID)
    assert cloudhook_entry.data[CONF_CLOUDHOOK_URL] == expected_url
    assert not _no_public_url_repair(hass, cloudhook_entry)


async def test_cloud_connection_refreshes_both_cloudhooks(
    hass: HomeAssistant, cloud: FakeCloud, cloudhook_entry: MockConfigEntry
) -> None:
    """A Cloud that (re)connects re-registers the cloudhooks and the entry keeps new URLs."""
    hass.config_entries.async_update_entry(
        cloudhook_entry,
        options={
            CONF_ERROR_WEBHOOK_ID: ERROR_WEBHOOK_ID,
            CONF_ERROR_CLOUDHOOK_URL: "https://hooks.nabu.casa/stored-errors",
        },
    )
    cloud.connected = False  # as when Home Assistant starts: Cloud connects after setup
    assert await hass.config_entries.async_setup(cloudhook_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    cloud.get_or_create.assert_not_awaited()

    cloud.hooks.clear()  # e.g. logged in to another Cloud account
    await cloud.connect()
    assert cloudhook_entry.data[CONF_CLOUDHOOK_URL] == NEW_URL
    assert (
        cloudhook_entry.options[CONF_ERROR_CLOUDHOOK_URL]
        == f"https://hooks.nabu.casa/new-{ERROR_WEBHOOK_ID}"
    )


@pytest.mark.usefixtures("loaded")
async def test_logout_raises_the_repair_and_login_clears_it(
    hass: HomeAssistant, cloud: FakeCloud, cloudhook_entry: MockConfigEntry
) -> None:
    """After a Cloud logout the stored cloudhook reaches nothing, external URL or not."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    await hass.async_block_till_done()
    assert not _no_public_url_repair(hass, cloudhook_entry)

    await cloud.logout()
    assert _no_public_url_repair(hass, cloudhook_entry)

    await cloud.login()
    assert not _no_public_url_repair(hass, cloudhook_entry)


@pytest.mark.usefixtures("loaded")
async def test_lost_connection_alone_raises_no_repair(
    hass: HomeAssistant, cloud: FakeCloud, cloudhook_entry: MockConfigEntry
) -> None:
    """A logged-in Cloud that drops its connection reconnects by itself: nothing to fix."""
    await cloud.disconnect()
    assert not _no_public_url_repair(hass, cloudhook_entry)
    cloud.get_or_create.reset_mock()
    await cloud.connect()
    cloud.get_or_create.assert_awaited_once_with(hass, WEBHOOK_ID)


@pytest.mark.usefixtures("loaded")
async def test_unloaded_entry_stops_listening_to_cloud(
    hass: HomeAssistant, cloud: FakeCloud, cloudhook_entry: MockConfigEntry
) -> None:
    """Once the entry unloads, Cloud's connection changes leave it alone."""
    assert await hass.config_entries.async_unload(cloudhook_entry.entry_id)
    cloud.hooks.clear()
    cloud.get_or_create.reset_mock()
    await cloud.connect()
    cloud.get_or_create.assert_not_awaited()
    assert cloudhook_entry.data[CONF_CLOUDHOOK_URL] == STORED_URL


@pytest.mark.parametrize("external_url", [EXTERNAL_URL, None])
async def test_entry_without_cloudhook_leaves_cloud_alone(
    hass: HomeAssistant, cloud: FakeCloud, config_entry: MockConfigEntry, external_url: str | None
) -> None:
    """An entry set up with the external URL neither listens to Cloud nor asks it anything.

    Smartcar calls that URL, so without it a logged-in Cloud does not reach the entry.
    """
    await hass.config.async_update(external_url=external_url)
    assert await async_setup_component(hass, "homeassistant", {})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    cloud.listen.assert_not_called()
    cloud.get_or_create.assert_not_awaited()
    assert _no_public_url_repair(hass, config_entry) is (external_url is None)


async def test_cloud_not_loaded_is_not_imported(
    hass: HomeAssistant, cloudhook_entry: MockConfigEntry
) -> None:
    """Without Cloud loaded nothing imports it, and a cloudhook entry cannot be reached."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    # An import of Cloud would raise ImportError and fail the setup.
    with patch.dict(sys.modules, {"homeassistant.components.cloud": None}):
        assert await hass.config_entries.async_setup(cloudhook_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert _no_public_url_repair(hass, cloudhook_entry)


async def test_cloud_disconnected_again_before_the_cloudhook_answer(
    hass: HomeAssistant,
    cloud: FakeCloud,
    cloudhook_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A connection that drops before Cloud answers keeps the stored URL for next time."""
    cloud.get_or_create.side_effect = CloudNotConnected
    assert await hass.config_entries.async_setup(cloudhook_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert cloudhook_entry.data[CONF_CLOUDHOOK_URL] == STORED_URL
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
