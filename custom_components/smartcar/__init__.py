"""Smartcar vehicle webhooks for Home Assistant."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from aiohttp import hdrs

from homeassistant.components.webhook import async_register, async_unregister
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_WEBHOOK_ID, Platform
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import issue_registry as ir

from .account import (
    async_check_sign_in,
    async_forget_listed_vehicle,
    async_setup_connect,
    async_unsubscribe,
    listed_vehicles,
)
from .call_counter_store import call_counter_store
from .callback_url import async_delete_cloudhooks, async_watch_callback_url
from .const import CONF_ERROR_WEBHOOK_ID, DOMAIN
from .control import async_setup_control
from .issues import (
    CONNECT_V2,
    NO_PUBLIC_URL,
    SIGNATURE_FAILURES,
    STORAGE_LOST,
    SWITCH_REMOVED_ENTITIES,
    entry_issue_id,
)
from .runtime import SmartcarRuntime
from .services import async_setup_services
from .store import fleet_store
from .unique_ids import async_migrate_entry as async_migrate_to_current
from .webhook import SmartcarWebhook

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import device_registry as dr
    from homeassistant.helpers.typing import ConfigType

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.DEVICE_TRACKER,
    Platform.EVENT,
    Platform.LOCK,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

type SmartcarConfigEntry = ConfigEntry[SmartcarRuntime]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's action (smartcar.refresh), which serves every entry."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmartcarConfigEntry) -> bool:
    """Check the sign-in, load stored values, open the webhooks and set up the platforms.

    Returns True: Home Assistant 2026.11 lets setup return None, but up to 2026.10 that
    fails the setup, and 2026.11 still takes True from custom integrations.
    """
    await async_check_sign_in(hass, entry)
    runtime = await SmartcarRuntime.async_load(hass, entry)
    entry.runtime_data = runtime
    # Smartcar Connect entries: devices of the subscribed vehicles; the v2 entries' repair;
    # on API v3, the commands and refreshes.
    async_setup_connect(hass, entry, runtime)
    await async_setup_control(hass, entry, runtime)
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]
    async_register(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        SmartcarWebhook(runtime),
        # GET answers verification probes; HEAD is answered by the webhook component.
        allowed_methods=[hdrs.METH_POST, hdrs.METH_GET],
    )
    entry.async_on_unload(partial(async_unregister, hass, webhook_id))
    if error_webhook_id := entry.options.get(CONF_ERROR_WEBHOOK_ID):
        async_register(
            hass,
            DOMAIN,
            f"{entry.title} (errors)",
            error_webhook_id,
            SmartcarWebhook(runtime, only_errors=True),
            allowed_methods=[hdrs.METH_POST, hdrs.METH_GET],
        )
        entry.async_on_unload(partial(async_unregister, hass, error_webhook_id))
    async_watch_callback_url(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: SmartcarConfigEntry) -> bool:
    """Older entries (ours, and wbyoung/smartcar's) become current (unique_ids.py)."""
    return await async_migrate_to_current(hass, entry)


async def async_unload_entry(hass: HomeAssistant, entry: SmartcarConfigEntry) -> bool:
    """Close the webhook, unload the platforms and write pending values at once."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.async_flush()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: SmartcarConfigEntry) -> None:
    """Unsubscribe the entry's vehicles; delete its cloudhook, stored data and repairs."""
    await async_unsubscribe(hass, entry, listed_vehicles(entry))
    for kind in (
        CONNECT_V2,
        NO_PUBLIC_URL,
        SIGNATURE_FAILURES,
        STORAGE_LOST,
        SWITCH_REMOVED_ENTITIES,
    ):
        ir.async_delete_issue(hass, DOMAIN, entry_issue_id(kind, entry.entry_id))
    await async_delete_cloudhooks(hass, entry)
    await fleet_store(hass, entry.entry_id).async_remove()
    await call_counter_store(hass, entry.entry_id).async_remove()


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: SmartcarConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user remove a vehicle; it comes back if it delivers again."""
    for domain, vehicle_id in device.identifiers:
        if domain == DOMAIN:
            entry.runtime_data.async_forget_vehicle(vehicle_id)
            async_forget_listed_vehicle(hass, entry, vehicle_id)
    return True
