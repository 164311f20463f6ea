"""Smartcar Connect in Home Assistant: the OAuth2 implementation and an entry's API client.

Smartcar's token endpoint wants the client credentials as HTTP Basic auth, and Connect
takes the permissions (``scope``) and ``mode=live`` in the authorize URL. Every refresh
returns a new refresh token (the old one stops working a minute later): Home Assistant's
``OAuth2Session`` writes the whole new token into the entry each time it refreshes.

Deliveries never need the sign-in (they are signed with the Application Management Token),
so a dead sign-in starts a reauth flow but never stops the webhook. Nothing is polled: the
only scheduled call is a token refresh at most once a week, which keeps the 60-day refresh
token alive.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
import time
from typing import TYPE_CHECKING, Any, Final, cast

from aiohttp import ClientError, ClientResponseError, hdrs

from homeassistant.components.application_credentials import AuthImplementation
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import (
    ImplementationUnavailableError,
    OAuth2Session,
    async_get_config_entry_implementation,
)
from homeassistant.helpers.event import async_track_time_interval

from .api import (
    DEFAULT_SCOPES,
    SCOPE_VEHICLE_INFO,
    SmartcarAuthError,
    SmartcarClient,
    SmartcarError,
    SmartcarVehicle,
    TokenGetter,
    async_access_token,
)
from .compat import raise_token_request_error
from .const import CONF_SCOPES, CONF_VEHICLES, DOMAIN, LOGGER
from .fleet import Vehicle

if TYPE_CHECKING:
    from collections.abc import Collection

    from homeassistant.config_entries import ConfigEntry

    from .runtime import SmartcarRuntime

# How often the sign-in is checked, and how old its token may get before it is refreshed.
KEEPALIVE_INTERVAL: Final = timedelta(hours=12)
REFRESH_AFTER: Final = timedelta(days=7)


def scope_string(scopes: Collection[str]) -> str:
    """Connect's space-separated ``scope``; vehicle info is always asked for."""
    return " ".join(sorted({*scopes, SCOPE_VEHICLE_INFO}))


class SmartcarOAuth2Implementation(AuthImplementation):
    """Application credentials, as Smartcar Connect and its token endpoint want them."""

    @property
    def extra_authorize_data(self) -> dict[str, Any]:
        """Live vehicles (not simulated ones), with every permission the entities use.

        The config flow replaces ``scope`` with the permissions the user chose.
        """
        return {"scope": scope_string(DEFAULT_SCOPES), "mode": "live"}

    async def _token_request(self, data: dict[str, Any]) -> dict[str, Any]:
        """Send a token request with the client credentials as HTTP Basic auth.

        A refusal is raised as the error Home Assistant expects for it (see compat.py).
        """
        # The credentials go in the header only, as Smartcar's SDKs send them.
        form = {k: v for k, v in data.items() if k not in {"client_id", "client_secret"}}
        session = async_get_clientsession(self.hass)
        response = await session.post(
            self.token_url,
            data=form,
            headers={hdrs.AUTHORIZATION: basic_authorization(self.client_id, self.client_secret)},
        )
        if response.status >= 400:  # noqa: PLR2004
            try:
                error = await response.json()
            except (ClientError, ValueError):
                error = {}
            LOGGER.error(
                "Smartcar refused the token request (%s): %s",
                error.get("error", response.status),
                error.get("error_description", "no description"),
            )
        try:
            response.raise_for_status()
        except ClientResponseError as err:
            raise_token_request_error(err, DOMAIN)
        return cast("dict[str, Any]", await response.json())


def basic_authorization(user: str, password: str) -> str:
    """An HTTP Basic ``Authorization`` value (RFC 7617; aiohttp's BasicAuth is deprecated)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


class CredentialsUnavailableError(Exception):
    """The application credentials of an entry are gone (removed, or not loaded yet)."""


async def async_entry_token_getter(hass: HomeAssistant, entry: ConfigEntry) -> TokenGetter:
    """A getter of a valid access token for an entry, refreshing (and storing) it when due."""
    try:
        implementation = await async_get_config_entry_implementation(hass, entry)
    except (ImplementationUnavailableError, ValueError) as err:
        raise CredentialsUnavailableError(str(err) or type(err).__name__) from err
    session = OAuth2Session(hass, entry, implementation)

    async def access_token() -> str:
        await session.async_ensure_token_valid()
        return str(session.token["access_token"])

    return access_token


async def async_entry_client(hass: HomeAssistant, entry: ConfigEntry) -> SmartcarClient:
    """The API client of a Smartcar Connect entry."""
    return SmartcarClient(
        async_get_clientsession(hass),
        await async_entry_token_getter(hass, entry),
        scopes=entry.data.get(CONF_SCOPES, DEFAULT_SCOPES),
    )


def listed_vehicles(entry: ConfigEntry) -> list[SmartcarVehicle]:
    """The vehicles an entry subscribed through the API (none for webhook-only entries)."""
    return [SmartcarVehicle.from_dict(item) for item in entry.data.get(CONF_VEHICLES, ())]


@callback
def async_setup_connect(hass: HomeAssistant, entry: ConfigEntry, runtime: SmartcarRuntime) -> None:
    """Create the devices of the subscribed vehicles and keep the sign-in alive."""
    for vehicle in listed_vehicles(entry):
        runtime.async_add_listed_vehicle(
            Vehicle(id=vehicle.id, make=vehicle.make, model=vehicle.model, year=vehicle.year),
            vehicle.vin,
        )
    if CONF_TOKEN not in entry.data:
        return

    async def keep_alive(_now: datetime) -> None:
        await async_keep_sign_in_alive(hass, entry)

    entry.async_on_unload(
        # Cancelled on unload, and on shutdown too (Home Assistant does not unload then).
        async_track_time_interval(
            hass,
            keep_alive,
            KEEPALIVE_INTERVAL,
            name="Smartcar sign-in keepalive",
            cancel_on_shutdown=True,
        )
    )


async def async_check_sign_in(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Check a Connect entry's sign-in, refreshing a token older than a week (setup's test).

    Nothing is asked of Smartcar while the token is younger (no polling). Raises
    ``ConfigEntryAuthFailed`` when the sign-in is refused or its application credentials
    are gone (signing in again fixes both), ``ConfigEntryNotReady`` when Smartcar or the
    credentials cannot be reached now. Webhook-only entries have nothing to check.
    """
    if CONF_TOKEN not in entry.data:
        return
    try:
        access_token = await async_entry_token_getter(hass, entry)
    except CredentialsUnavailableError as err:
        if isinstance(err.__cause__, ImplementationUnavailableError):
            raise _setup_error(ConfigEntryNotReady, "credentials_unavailable", entry) from err
        raise _setup_error(ConfigEntryAuthFailed, "credentials_missing", entry) from err
    token = entry.data[CONF_TOKEN]
    issued_at = float(token.get("expires_at", 0)) - float(token.get("expires_in", 0))
    if time.time() - issued_at < REFRESH_AFTER.total_seconds():
        return
    try:
        await async_access_token(access_token)
    except SmartcarAuthError as err:
        raise _setup_error(ConfigEntryAuthFailed, "sign_in_refused", entry) from err
    except SmartcarError as err:
        raise _setup_error(ConfigEntryNotReady, "sign_in_unreachable", entry) from err


def _setup_error[E: HomeAssistantError](kind: type[E], key: str, entry: ConfigEntry) -> E:
    """A setup error with its translated message (translations/en.json "exceptions")."""
    return kind(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"entry": entry.title},
    )


async def async_keep_sign_in_alive(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The weekly refresh of a running entry: ask to sign in again if Smartcar refuses.

    The entry keeps running either way: deliveries never need the sign-in.
    """
    try:
        await async_check_sign_in(hass, entry)
    except ConfigEntryAuthFailed as err:
        LOGGER.warning("Smartcar refused the sign-in of %s: %s", entry.title, err.__cause__)
        entry.async_start_reauth(hass)
    except ConfigEntryNotReady as err:
        LOGGER.info("Cannot refresh the Smartcar sign-in of %s now: %s", entry.title, err.__cause__)


@callback
def async_forget_listed_vehicle(hass: HomeAssistant, entry: ConfigEntry, vehicle_id: str) -> None:
    """Drop a vehicle whose device the user removed, so that setup does not bring it back."""
    vehicles = entry.data.get(CONF_VEHICLES)
    if not vehicles:
        return
    kept = [item for item in vehicles if item.get("id") != vehicle_id]
    if len(kept) != len(vehicles):
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_VEHICLES: kept})
