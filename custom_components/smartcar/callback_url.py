"""Where Smartcar must send deliveries, and the one owner of an entry's cloudhooks.

Smartcar reaches this instance through a Home Assistant Cloud cloudhook or under the HTTPS
external URL. This module makes the URL for a new webhook, keeps an entry's cloudhooks
registered while Cloud connects and disconnects, raises the "cannot reach" repair while
Smartcar has no way in, and deletes the cloudhooks with the entry.

Home Assistant Cloud is an optional after-dependency and a heavy import, so it is imported
only when it is loaded.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID, EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import callback
from homeassistant.helpers.network import NoURLAvailableError, get_url

from .const import CONF_CLOUDHOOK_URL, CONF_ERROR_CLOUDHOOK_URL, CONF_ERROR_WEBHOOK_ID, LOGGER
from .issues import NO_PUBLIC_URL, async_set_issue, entry_issue_id

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import Event, HomeAssistant


class NoPublicURLError(Exception):
    """Smartcar cannot reach this instance: no HTTPS external URL and no Cloud."""


class CloudNotConnectedError(Exception):
    """Home Assistant Cloud is logged in but not connected right now."""


def public_webhook_url(hass: HomeAssistant, webhook_id: str) -> str:
    """The webhook's URL under the instance's HTTPS external URL.

    Smartcar only calls public HTTPS URLs with a trusted certificate, so an internal or
    plain-HTTP address is no answer.
    """
    try:
        base = get_url(
            hass,
            allow_internal=False,
            allow_cloud=False,
            require_ssl=True,
            prefer_external=True,
        )
    except NoURLAvailableError as err:
        raise NoPublicURLError from err
    return f"{base}{webhook.async_generate_path(webhook_id)}"


def cloud_available(hass: HomeAssistant) -> bool:
    """Whether Home Assistant Cloud is logged in with an active subscription."""
    if "cloud" not in hass.config.components:
        return False
    from homeassistant.components import cloud  # noqa: PLC0415

    return cloud.async_active_subscription(hass)


async def async_create_callback_url(hass: HomeAssistant, webhook_id: str) -> tuple[str, bool]:
    """Create the URL to give Smartcar; the flag says whether it is a cloudhook.

    Raises CloudNotConnectedError when Cloud is logged in but not connected, and
    NoPublicURLError when neither Cloud nor an HTTPS external URL is available.
    """
    if not cloud_available(hass):
        return public_webhook_url(hass, webhook_id), False
    from homeassistant.components import cloud  # noqa: PLC0415

    try:
        return await cloud.async_create_cloudhook(hass, webhook_id), True
    except cloud.CloudNotConnected as err:
        raise CloudNotConnectedError from err


async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
    """Delete a cloudhook; one that Cloud no longer knows is already gone.

    Cloud answers ValueError for a cloudhook it does not know (the user turned it off in
    Cloud's settings) and CloudNotAvailable when it is not set up.
    """
    if "cloud" not in hass.config.components:
        return
    from homeassistant.components import cloud  # noqa: PLC0415

    with contextlib.suppress(cloud.CloudNotAvailable, ValueError):
        await cloud.async_delete_cloudhook(hass, webhook_id)


def callback_url(
    hass: HomeAssistant, entry: ConfigEntry, webhook_id: str | None = None
) -> str | None:
    """The URL Smartcar calls for an entry (or another of its webhook ids), if it has one."""
    if webhook_id is None:
        if cloudhook := entry.data.get(CONF_CLOUDHOOK_URL):
            return str(cloudhook)
        webhook_id = str(entry.data[CONF_WEBHOOK_ID])
    try:
        return public_webhook_url(hass, webhook_id)
    except NoPublicURLError:
        return None


# --- The lifecycle of an entry's callback URLs --------------------------------------------


def _cloudhooks(entry: ConfigEntry) -> dict[str, str]:
    """The entry's cloudhook URLs by webhook id: the main one and the error one, if any."""
    hooks: dict[str, str] = {}
    if url := entry.data.get(CONF_CLOUDHOOK_URL):
        hooks[entry.data[CONF_WEBHOOK_ID]] = url
    if url := entry.options.get(CONF_ERROR_CLOUDHOOK_URL):
        hooks[entry.options[CONF_ERROR_WEBHOOK_ID]] = url
    return hooks


def reachable(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Whether Smartcar can reach every callback URL the entry gave it.

    A cloudhook works only while Cloud is logged in with an active subscription; any other
    URL lies under the HTTPS external URL. A Cloud that lost its connection while logged in
    reconnects by itself (and is not connected yet when Home Assistant starts), so that
    alone is nothing the user has to fix.
    """
    webhook_ids = [entry.data[CONF_WEBHOOK_ID]]
    if error_webhook_id := entry.options.get(CONF_ERROR_WEBHOOK_ID):
        webhook_ids.append(error_webhook_id)
    cloudhooks = _cloudhooks(entry)
    return all(
        cloud_available(hass) if webhook_id in cloudhooks else _has_public_url(hass, webhook_id)
        for webhook_id in webhook_ids
    )


def _has_public_url(hass: HomeAssistant, webhook_id: str) -> bool:
    try:
        public_webhook_url(hass, webhook_id)
    except NoPublicURLError:
        return False
    return True


@callback
def async_check_reachable(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Raise a repair while Smartcar has no way to reach this instance, remove it after."""
    async_set_issue(
        hass,
        entry_issue_id(NO_PUBLIC_URL, entry.entry_id),
        active=not reachable(hass, entry),
        translation_key=NO_PUBLIC_URL,
        placeholders={"entry": entry.title},
    )


@callback
def async_watch_callback_url(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Keep the repair and the entry's cloudhooks in step with the network settings and Cloud.

    Like Withings, the one owner of the entry's cloudhooks: on every Cloud connection
    (after a login too) it makes sure Cloud knows them and keeps a URL that changed; a
    connection lost or a logout re-checks whether Smartcar can still reach this instance.
    Everything it starts stops when the entry unloads.
    """
    async_check_reachable(hass, entry)

    @callback
    def _handle_core_config_update(_event: Event[Any]) -> None:
        async_check_reachable(hass, entry)

    entry.async_on_unload(
        hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, _handle_core_config_update)
    )
    if not _cloudhooks(entry) or "cloud" not in hass.config.components:
        return
    from homeassistant.components import cloud  # noqa: PLC0415

    async def _handle_cloud_connection(state: cloud.CloudConnectionState) -> None:
        # Cloud forgets the login before it reports the connection closed after a logout.
        async_check_reachable(hass, entry)
        if state is cloud.CloudConnectionState.CLOUD_CONNECTED:
            await _async_refresh_cloudhooks(hass, entry)

    entry.async_on_unload(cloud.async_listen_connection_change(hass, _handle_cloud_connection))
    if cloud.async_is_connected(hass):
        entry.async_create_background_task(
            hass, _async_refresh_cloudhooks(hass, entry), "smartcar refresh cloudhooks"
        )


async def _async_refresh_cloudhooks(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Make sure Cloud knows the entry's cloudhooks, and keep a URL that changed.

    Cloud answers the cloudhook it has for a webhook id, or makes a new one (with a new
    URL) if it lost it, e.g. after logging in to another account.
    """
    from homeassistant.components import cloud  # noqa: PLC0415

    for webhook_id, stored_url in _cloudhooks(entry).items():
        try:
            url = await cloud.async_get_or_create_cloudhook(hass, webhook_id)
        except cloud.CloudNotAvailable:
            return  # disconnected or logged out again: the next connection tries again
        if url == stored_url:
            continue
        LOGGER.warning(
            "Home Assistant Cloud gave %s a new cloudhook URL; Smartcar calls the old one "
            "until its webhook in the Smartcar Dashboard gets the new one (the entry's "
            "Reconfigure and Configure dialogs show the URLs)",
            entry.title,
        )
        if webhook_id == entry.data[CONF_WEBHOOK_ID]:
            hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_CLOUDHOOK_URL: url}
            )
        else:
            hass.config_entries.async_update_entry(
                entry, options={**entry.options, CONF_ERROR_CLOUDHOOK_URL: url}
            )


async def async_delete_cloudhooks(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Delete the cloudhooks of an entry being removed: the main one and the error one."""
    for webhook_id in _cloudhooks(entry):
        await async_delete_cloudhook(hass, webhook_id)
