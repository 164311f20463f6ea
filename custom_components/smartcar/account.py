"""A Smartcar Connect entry's side at Smartcar: its API client, devices and subscriptions.

API v3 entries keep the application's API credentials and the user's id; the application
token (api_token.ApplicationToken) lives in memory, one per API client. Nothing is polled: the
API is called at setup (the token, as setup's test), by the flows, to unsubscribe, and for
the commands and refreshes a user asks for (control.py).

Entries made on API v2 (an OAuth token in the data, no Application ID) keep receiving
deliveries, which never need the API, and get a repair that moves them to v3 in place
(repairs.py); until then they make no API call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_TOKEN
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
)
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.hass_dict import HassKey

from .api import DEFAULT_SCOPES, SmartcarClient, SmartcarVehicle
from .api_errors import SmartcarAuthError, SmartcarError
from .api_token import ApplicationToken
from .const import (
    CONF_APPLICATION_ID,
    CONF_SCOPES,
    CONF_SMARTCAR_WEBHOOK_ID,
    CONF_USER_ID,
    CONF_VEHICLES,
    DASHBOARD_URL,
    DOMAIN,
    LOGGER,
)
from .fleet import Vehicle
from .issues import CONNECT_V2, async_set_issue, entry_issue_id

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from homeassistant.config_entries import ConfigEntry

    from .monthly_call_counter import MonthlyCallCounter
    from .runtime import SmartcarRuntime


# The key of a v2 entry's OAuth implementation (Home Assistant's application credentials).
V2_IMPLEMENTATION: Final = "auth_implementation"
# The application tokens, by API client id and secret (kept in memory only).
_TOKENS: HassKey[dict[tuple[str, str], ApplicationToken]] = HassKey(f"{DOMAIN}_tokens")


def is_connect_v3(data: Mapping[str, Any]) -> bool:
    """Whether an entry's data are a Smartcar Connect entry on API v3."""
    return CONF_APPLICATION_ID in data


def is_connect_v2(data: Mapping[str, Any]) -> bool:
    """Whether an entry's data are a Smartcar Connect entry made on API v2."""
    return CONF_TOKEN in data and not is_connect_v3(data)


def application_token(hass: HomeAssistant, data: Mapping[str, Any]) -> ApplicationToken:
    """The token provider for the API credentials in an entry's (or a flow's) data.

    One per API client in Home Assistant: the flow that checked the credentials, the entry
    it creates, other users' entries of the same application and the removal all use the
    one token, so Smartcar is asked for a token about once an hour at most.
    """
    credentials = (str(data[CONF_CLIENT_ID]), str(data[CONF_CLIENT_SECRET]))
    tokens = hass.data.setdefault(_TOKENS, {})
    if (token := tokens.get(credentials)) is None:
        token = tokens[credentials] = ApplicationToken(async_get_clientsession(hass), *credentials)
    return token


def smartcar_client(
    hass: HomeAssistant,
    data: Mapping[str, Any],
    *,
    call_counter: MonthlyCallCounter | None = None,
) -> SmartcarClient:
    """The API client for the credentials, user and permissions in an entry's (or flow's) data.

    ``call_counter`` counts (and limits) the calls about each vehicle: the entry's commands
    and refreshes (control.py). The flows' few calls are not counted.
    """
    return SmartcarClient(
        async_get_clientsession(hass),
        application_token(hass, data),
        str(data.get(CONF_USER_ID, "")),
        scopes=data.get(CONF_SCOPES, DEFAULT_SCOPES),
        call_counter=call_counter,
    )


def entry_client(hass: HomeAssistant, entry: ConfigEntry) -> SmartcarClient:
    """The API client of a v3 Connect entry."""
    return smartcar_client(hass, entry.data)


def v3_data(data: Mapping[str, Any], credentials: Mapping[str, str]) -> dict[str, Any]:
    """An entry's data on API v3: the new credentials in, a v2 entry's OAuth sign-in out."""
    kept = {key: value for key, value in data.items() if key not in {V2_IMPLEMENTATION, CONF_TOKEN}}
    return kept | dict(credentials)


def listed_vehicles(entry: ConfigEntry) -> list[SmartcarVehicle]:
    """The vehicles an entry subscribed through the API (none for webhook-only entries)."""
    return [SmartcarVehicle.from_dict(item) for item in entry.data.get(CONF_VEHICLES, ())]


async def async_check_sign_in(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Setup's test of a v3 Connect entry: Smartcar issues a token for its credentials.

    Raises ``ConfigEntryAuthFailed`` when Smartcar refuses the credentials (Home Assistant
    asks for them again), ``ConfigEntryNotReady`` when it cannot be reached (retried).
    """
    if not is_connect_v3(entry.data):
        return
    try:
        await application_token(hass, entry.data)()
    except SmartcarAuthError as err:
        raise _setup_error(ConfigEntryAuthFailed, "credentials_refused", entry) from err
    except SmartcarError as err:
        raise _setup_error(ConfigEntryNotReady, "api_unreachable", entry) from err


def _setup_error[E: HomeAssistantError](kind: type[E], key: str, entry: ConfigEntry) -> E:
    """A setup error with its translated message (translations/en.json "exceptions")."""
    return kind(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"entry": entry.title},
    )


@callback
def async_setup_connect(hass: HomeAssistant, entry: ConfigEntry, runtime: SmartcarRuntime) -> None:
    """Create the devices of the subscribed vehicles; ask v2 entries to move to v3."""
    for vehicle in listed_vehicles(entry):
        runtime.async_add_listed_vehicle(
            Vehicle(id=vehicle.id, make=vehicle.make, model=vehicle.model, year=vehicle.year),
            vehicle.vin,
        )
    async_set_issue(
        hass,
        entry_issue_id(CONNECT_V2, entry.entry_id),
        active=is_connect_v2(entry.data),
        translation_key=CONNECT_V2,
        placeholders={"entry": entry.title, "dashboard_url": DASHBOARD_URL},
        fixable=True,
        data={"entry_id": entry.entry_id},
        severity=ir.IssueSeverity.WARNING,
    )


async def async_unsubscribe(
    hass: HomeAssistant, entry: ConfigEntry, vehicles: Iterable[SmartcarVehicle]
) -> None:
    """Unsubscribe vehicles leaving Home Assistant; a failure is logged, not raised."""
    if not is_connect_v3(entry.data) or not (
        webhook_id := entry.data.get(CONF_SMARTCAR_WEBHOOK_ID)
    ):
        return
    client = entry_client(hass, entry)
    for vehicle in vehicles:
        try:
            await client.async_unsubscribe(vehicle.id, str(webhook_id))
        except SmartcarError as err:
            LOGGER.warning(
                "Cannot unsubscribe vehicle %s of %s from the Smartcar webhook (%s); "
                "remove its subscription in the Smartcar Dashboard",
                vehicle.id,
                entry.title,
                err,
            )


@callback
def async_forget_listed_vehicle(hass: HomeAssistant, entry: ConfigEntry, vehicle_id: str) -> None:
    """Drop a vehicle whose device the user removed, and unsubscribe it.

    Setup does not bring it back; a delivery would (a vehicle subscribed elsewhere).
    """
    vehicles = entry.data.get(CONF_VEHICLES)
    if not vehicles:
        return
    kept = [item for item in vehicles if item.get("id") != vehicle_id]
    if len(kept) == len(vehicles):
        return
    gone = [SmartcarVehicle.from_dict(item) for item in vehicles if item.get("id") == vehicle_id]
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_VEHICLES: kept})
    entry.async_create_background_task(
        hass, async_unsubscribe(hass, entry, gone), "Smartcar unsubscribe"
    )


@callback
def async_remove_vehicles(
    hass: HomeAssistant, entry: ConfigEntry, vehicle_ids: Iterable[str]
) -> None:
    """Remove the devices and stored values of vehicles gone from a Connect entry."""
    gone = {(DOMAIN, vehicle_id) for vehicle_id in vehicle_ids}
    if entry.state is ConfigEntryState.LOADED:
        runtime: SmartcarRuntime = entry.runtime_data
        for _, vehicle_id in gone:
            runtime.async_forget_vehicle(vehicle_id)
    registry = dr.async_get(hass)
    # The entry's own devices: identifiers are unique per entry (Home Assistant 2026.8).
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if device.identifiers & gone:
            registry.async_remove_device(device.id)
