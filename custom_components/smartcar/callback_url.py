"""Where Smartcar must send deliveries: a Home Assistant Cloud cloudhook or the public URL.

Home Assistant Cloud is an optional after-dependency and a heavy import, so it is imported
only when it is loaded.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.helpers.network import NoURLAvailableError, get_url

from .const import CONF_CLOUDHOOK_URL

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant


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
    """Delete a cloudhook; one that Cloud no longer knows is already gone."""
    if "cloud" not in hass.config.components:
        return
    from homeassistant.components import cloud  # noqa: PLC0415

    with contextlib.suppress(cloud.CloudNotAvailable):
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
