"""Device triggers: plugged in, unplugged, charging started... for each vehicle.

A trigger listens to the ``smartcar_delivery`` bus event, fired with the transitions of
each delivery that causes any, so it keeps working across reloads of the integration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_PLATFORM, CONF_TYPE
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .compat import vol
from .const import DOMAIN, EVENT_DELIVERY
from .transitions import TRANSITION_TYPES, offered

if TYPE_CHECKING:
    from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
    from homeassistant.helpers.typing import ConfigType

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {vol.Required(CONF_TYPE): vol.In(TRANSITION_TYPES)}
)


def _delivered_signals(hass: HomeAssistant, device_id: str) -> list[str]:
    """The signals the device's vehicle has delivered a value for."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        return []
    vehicle_ids = [key for domain, key in device.identifiers if domain == DOMAIN]
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        runtime = entry.runtime_data
        for vehicle_id in vehicle_ids:
            if runtime.devices.device_id(vehicle_id) == device_id and (
                vehicle := runtime.fleet.vehicles.get(vehicle_id)
            ):
                return [code for code, state in vehicle.signals.items() if state.body]
    return []


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """The triggers a vehicle offers: only those its delivered signals can fire."""
    return [
        {CONF_PLATFORM: "device", CONF_DOMAIN: DOMAIN, CONF_DEVICE_ID: device_id, CONF_TYPE: kind}
        for kind in offered(_delivered_signals(hass, device_id))
    ]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Run ``action`` each time the vehicle makes the configured transition."""
    device_id: str = config[CONF_DEVICE_ID]
    kind: str = config[CONF_TYPE]
    job = HassJob(action, f"Smartcar trigger {kind}")
    trigger_data = trigger_info["trigger_data"]

    @callback
    def is_match(event_data: dict[str, Any]) -> bool:
        return event_data.get("device_id") == device_id and kind in event_data.get(
            "transitions", ()
        )

    @callback
    def handle(event: Event[dict[str, Any]]) -> None:
        hass.async_run_hass_job(
            job,
            {
                "trigger": {
                    **trigger_data,
                    CONF_PLATFORM: "device",
                    CONF_DOMAIN: DOMAIN,
                    CONF_DEVICE_ID: device_id,
                    CONF_TYPE: kind,
                    "vehicle_id": event.data.get("vehicle_id"),
                    "description": f"Smartcar {kind.replace('_', ' ')}",
                }
            },
            event.context,
        )

    return hass.bus.async_listen(EVENT_DELIVERY, handle, event_filter=is_match)
