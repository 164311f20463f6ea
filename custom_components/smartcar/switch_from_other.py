"""The switch from wbyoung/smartcar: its entry, devices and entities become ours in place.

The migration (unique_ids.async_migrate_entry) calls this for an entry of version 2,
before the entry is set up. Kept: the entry (its id, title and options), its webhook id
and Application Management Token (the callback URL registered at Smartcar keeps working,
without a new VERIFY), its cloudhook, its vehicles, each device (its id: history, area,
the user's name) and every entity that has a counterpart here (its entity id and registry
settings). Its Smartcar API v2 sign-in is kept as our entries made on v2 keep theirs: the
"connect_v2" repair moves the entry to v3. Entities without a counterpart are removed,
and one repair lists them.

Each step can run again: an entry that fails halfway is taken over at the next start.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_TOKEN, CONF_WEBHOOK_ID
from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir

from .account import V2_IMPLEMENTATION
from .const import CONF_CLOUDHOOK_URL, CONF_MANAGEMENT_TOKEN, CONF_VEHICLES, DOMAIN, LOGGER
from .issues import SWITCH_REMOVED_ENTITIES, entry_issue_id
from .other_integration import OTHER_CLOUDHOOK, OTHER_MANAGEMENT_TOKEN, counterpart, listed_vehicles

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

# A sensor's display unit in its registry options, as the entity settings dialog sets it.
SENSOR_OPTIONS = "sensor"
DISPLAY_UNIT = "unit_of_measurement"


async def async_take_over(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, Any] | None:
    """Give the other integration's devices and entities our ids; return our entry data.

    None, with the entry left as the other integration made it, when it was set up without
    webhooks: this integration only receives them.
    """
    data = entry.data
    webhook_id = data.get(CONF_WEBHOOK_ID)
    token = data.get(OTHER_MANAGEMENT_TOKEN)
    if not webhook_id or not token:
        LOGGER.error(
            "%s was set up by wbyoung/smartcar without webhooks, which this integration "
            "needs: reinstall wbyoung/smartcar, turn webhooks on in its options (with the "
            "Application Management Token and the callback URL in the Smartcar Dashboard), "
            "then switch again",
            entry.title,
        )
        return None
    vehicles = listed_vehicles(data)
    vehicle_ids = {vehicle.vin: vehicle.id for vehicle in vehicles if vehicle.vin}
    # Entities first: those of a device that goes are listed before it takes them along.
    _async_tell_removed(hass, entry, _move_entities(hass, entry, vehicle_ids))
    _move_devices(hass, entry, vehicle_ids)
    ours: dict[str, Any] = {
        CONF_MANAGEMENT_TOKEN: token,
        CONF_WEBHOOK_ID: webhook_id,
        CONF_VEHICLES: [vehicle.as_dict() for vehicle in vehicles],
    }
    ours |= {key: data[key] for key in (V2_IMPLEMENTATION, CONF_TOKEN) if key in data}
    if data.get(OTHER_CLOUDHOOK) and (url := await _async_cloudhook_url(hass, entry, webhook_id)):
        ours[CONF_CLOUDHOOK_URL] = url
    return ours


def _move_devices(hass: HomeAssistant, entry: ConfigEntry, vehicle_ids: Mapping[str, str]) -> None:
    """Identify each vehicle's device by its vehicle id instead of its VIN.

    The device of a VIN the entry no longer lists (a car no longer shared with Smartcar,
    which the other integration leaves behind) is removed.
    """
    registry = dr.async_get(hass)
    ours = set(vehicle_ids.values())
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        by_vin = {
            item for item in device.identifiers if item[0] == DOMAIN and item[1] in vehicle_ids
        }
        if by_vin:
            registry.async_update_device(
                device.id,
                new_identifiers=(device.identifiers - by_vin)
                | {(DOMAIN, vehicle_ids[vin]) for _, vin in by_vin},
            )
        elif not any(item[0] == DOMAIN and item[1] in ours for item in device.identifiers):
            registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


def _move_entities(
    hass: HomeAssistant, entry: ConfigEntry, vehicle_ids: Mapping[str, str]
) -> list[er.RegistryEntry]:
    """Give each entity its counterpart's unique id; remove the others and return them."""
    registry = er.async_get(hass)
    ours = set(vehicle_ids.values())
    removed: list[er.RegistryEntry] = []
    # Enabled entities first: of two that share a counterpart, the enabled one gets it.
    entities = sorted(
        er.async_entries_for_config_entry(registry, entry.entry_id),
        key=lambda item: item.disabled_by is not None,
    )
    for item in entities:
        if item.unique_id.partition("_")[0] in ours:
            continue  # moved at an earlier start that did not finish
        target = counterpart(item.domain, item.unique_id, vehicle_ids)
        if target is None or registry.async_get_entity_id(item.domain, DOMAIN, target.unique_id):
            registry.async_remove(item.entity_id)
            if item.disabled_by is None:
                removed.append(item)
            continue
        # An entity it disabled by default takes our default; the user's choice stays.
        disabled_by = item.disabled_by
        if disabled_by is er.RegistryEntryDisabler.INTEGRATION and target.enabled_by_default:
            disabled_by = None
        registry.async_update_entity(
            item.entity_id, new_unique_id=target.unique_id, disabled_by=disabled_by
        )
        sensor_options: Mapping[str, Any] = item.options.get(SENSOR_OPTIONS, {})
        if target.shown_unit and not sensor_options.get(DISPLAY_UNIT):
            registry.async_update_entity_options(
                item.entity_id,
                SENSOR_OPTIONS,
                {**sensor_options, DISPLAY_UNIT: target.shown_unit},
            )
    return removed


@callback
def _async_tell_removed(
    hass: HomeAssistant, entry: ConfigEntry, removed: list[er.RegistryEntry]
) -> None:
    """One repair listing the removed entities the user saw; it stays until ignored."""
    if not removed:
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        entry_issue_id(SWITCH_REMOVED_ENTITIES, entry.entry_id),
        is_fixable=False,
        # Nothing detects this again after a restart: Home Assistant keeps it until ignored.
        is_persistent=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=SWITCH_REMOVED_ENTITIES,
        translation_placeholders={
            "entry": entry.title,
            "entities": "\n".join(
                f"- {item.entity_id} ({item.name or item.original_name or '-'})" for item in removed
            ),
        },
    )


async def _async_cloudhook_url(
    hass: HomeAssistant, entry: ConfigEntry, webhook_id: str
) -> str | None:
    """The URL of the cloudhook Home Assistant Cloud keeps for the webhook.

    Cloud connects only after Home Assistant started, so it is asked now if it is
    connected, else when it connects.
    """
    if "cloud" not in hass.config.components:
        LOGGER.warning(
            "%s received deliveries through a Home Assistant Cloud cloudhook, and Cloud is "
            "not set up: give Smartcar another callback URL (Reconfigure shows it)",
            entry.title,
        )
        return None
    from homeassistant.components import cloud  # noqa: PLC0415 (optional and heavy)

    if cloud.async_is_connected(hass):
        with contextlib.suppress(cloud.CloudNotAvailable):
            return await cloud.async_get_or_create_cloudhook(hass, webhook_id)
    _async_learn_cloudhook_url(hass, entry.entry_id, webhook_id)
    return None


@callback
def _async_learn_cloudhook_url(hass: HomeAssistant, entry_id: str, webhook_id: str) -> None:
    """Once Cloud connects, store the cloudhook's URL and set the entry up again with it."""
    from homeassistant.components import cloud  # noqa: PLC0415 (optional and heavy)

    async def _handle_connection(state: cloud.CloudConnectionState) -> None:
        if state is not cloud.CloudConnectionState.CLOUD_CONNECTED:
            return
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or CONF_MANAGEMENT_TOKEN not in entry.data:
            stop()  # removed, or the switch did not finish (it starts again next time)
            return
        try:
            url = await cloud.async_get_or_create_cloudhook(hass, webhook_id)
        except cloud.CloudNotAvailable:
            return  # disconnected again: the next connection tries again
        stop()
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_CLOUDHOOK_URL: url})
        if entry.state is ConfigEntryState.LOADED:
            hass.config_entries.async_schedule_reload(entry_id)

    stop = cloud.async_listen_connection_change(hass, _handle_connection)
