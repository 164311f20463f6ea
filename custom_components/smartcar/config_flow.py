"""The config flow of Smartcar: set up (setup_flow.py), reauth, reconfigure and options.

Reauth takes a Connect entry's API credentials again. Reconfigure replaces a webhook-only
entry's token; a Connect entry's menu also refreshes its vehicles, grants access again on
Smartcar Connect or replaces its API credentials; an entry made on API v2 moves to v3.
Devices, entities and the callback URL stay through all of them. The options flow is in
options_flow.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import callback

from .account import (
    async_remove_vehicles,
    entry_client,
    is_connect_v2,
    is_connect_v3,
    listed_vehicles,
)
from .api import DEFAULT_SCOPES
from .callback_url import callback_url
from .compat import vol
from .consent_flow import ConnectConsentFlow
from .const import (
    CONF_MANAGEMENT_TOKEN,
    CONF_SCOPES,
    CONF_SMARTCAR_WEBHOOK_ID,
    CONF_VEHICLES,
    DASHBOARD_URL,
    DOMAIN,
)
from .credentials import (
    TOKEN_SCHEMA,
    async_check_credentials,
    checked_replacement_token,
    stored_credentials,
)
from .options_flow import SmartcarOptionsFlow
from .setup_flow import SmartcarSetupFlow
from .subscriptions import VehicleSubscriptions, vehicle_label
from .unique_ids import MINOR_VERSION, VERSION

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.config_entries import ConfigFlowResult

    from . import SmartcarConfigEntry


class SmartcarConfigFlow(SmartcarSetupFlow, domain=DOMAIN):
    """Set up (the inherited steps), then reauth and reconfigure an entry."""

    VERSION = VERSION
    MINOR_VERSION = MINOR_VERSION

    def __init__(self) -> None:
        """Nothing found yet."""
        super().__init__()
        # The Dashboard webhook refresh_webhook found for an entry that never kept it.
        self._found_webhook_id = ""

    # --- Reauth -------------------------------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Smartcar refused the API credentials: take them again for the same entry."""
        self._credentials = stored_credentials(entry_data)
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Say why, then ask for the credentials."""
        if user_input is None:
            return self.async_show_form(
                step_id="reauth_confirm",
                description_placeholders={"name": self._get_reauth_entry().title},
            )
        return await self.async_step_credentials()

    # --- Reconfigure --------------------------------------------------------------------

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Webhook only: replace the token. Connect entries: a menu of what to change."""
        entry = self._get_reconfigure_entry()
        if not _is_connect(entry):
            return await self.async_step_reconfigure_token(user_input)
        self._scopes = list(entry.data.get(CONF_SCOPES, DEFAULT_SCOPES))
        self._credentials = stored_credentials(entry.data)
        if is_connect_v2(entry.data):
            return await self.async_step_reconfigure_v2()
        return await self.async_step_reconfigure_connect()

    async def async_step_reconfigure_connect(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """What to change in a Connect entry."""
        return self.async_show_menu(
            step_id="reconfigure_connect",
            menu_options=[
                "refresh_vehicles",
                "sign_in",
                "replace_credentials",
                "reconfigure_token",
            ],
        )

    async def async_step_reconfigure_v2(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """An entry made on Smartcar's API v2: move it to v3, or replace the token."""
        return self.async_show_menu(
            step_id="reconfigure_v2", menu_options=["connect_v3", "reconfigure_token"]
        )

    async def async_step_reconfigure_token(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Replace the token (after rotating it in the Dashboard); the entry and its id stay.

        A webhook-only entry's reconfigure step; a Connect entry's menu option.
        """
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            token, errors = checked_replacement_token(self.hass, entry, user_input)
            if not errors:
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={CONF_MANAGEMENT_TOKEN: token},
                    reason="reconfigure_successful",
                )
        return self.async_show_form(
            step_id="reconfigure_token" if _is_connect(entry) else "reconfigure",
            data_schema=TOKEN_SCHEMA,
            errors=errors,
            description_placeholders={
                "webhook_url": callback_url(self.hass, entry) or "-",
                "dashboard_url": DASHBOARD_URL,
            },
        )

    # The "Move to API v3" menu option: new credentials and Connect's consent; the rest of
    # the entry stays.
    async_step_connect_v3 = ConnectConsentFlow.async_step_credentials

    async def async_step_sign_in(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Grant access again on Connect: other permissions, the same user and entry."""
        return await self._async_scopes_step("sign_in", user_input, self.async_step_authorize)

    async def async_step_replace_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """New API credentials for a v3 entry (after rotating the secret in the Dashboard)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._credentials, errors = await async_check_credentials(self.hass, user_input)
            if not errors:
                return self._async_update_credentials(self._get_reconfigure_entry())
        return self._credentials_form("replace_credentials", errors)

    async def async_step_refresh_vehicles(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """List the account's vehicles again: subscribe new ones, drop the others."""
        entry = self._get_reconfigure_entry()
        known = {vehicle.id: vehicle for vehicle in listed_vehicles(entry)}
        webhook_id = entry.data.get(CONF_SMARTCAR_WEBHOOK_ID) or self._found_webhook_id
        if not webhook_id:
            return await self.async_step_refresh_webhook()
        if self._subscriptions is None:
            vehicles = VehicleSubscriptions(entry_client(self.hass, entry), webhook_id)
            if errors := await vehicles.async_list():
                return self._refresh_failed(errors["base"])
            vehicles.subscribed = {
                vehicle_id: vehicle
                for vehicle_id, vehicle in vehicles.listed.items()
                if vehicle_id in known
            }
            self._subscriptions = vehicles
        vehicles = self._subscriptions
        errors = {}
        if user_input is not None:
            chosen = vehicles.chosen(user_input[CONF_VEHICLES])
            errors = await vehicles.async_subscribe(chosen)
            if not errors:
                errors = await vehicles.async_unsubscribe(
                    [vehicle for vehicle in vehicles.subscribed.values() if vehicle not in chosen]
                )
            if not errors:
                async_remove_vehicles(self.hass, entry, known.keys() - vehicles.subscribed.keys())
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates=vehicles.entry_data(),
                    reason="vehicles_refreshed",
                )
        gone = [vehicle_label(known[v]) for v in known.keys() - vehicles.listed.keys()]
        new = [vehicle_label(vehicles.listed[v]) for v in vehicles.listed.keys() - known.keys()]
        return self._vehicles_form(
            "refresh_vehicles",
            user_input,
            errors,
            new=", ".join(sorted(new)) or "-",
            gone=", ".join(sorted(gone)) or "-",
        )

    async def async_step_refresh_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Find the Dashboard webhook an entry never kept (one switched from wbyoung/smartcar).

        By the entry's callback URL, or by the id the user pastes; then refresh the vehicles.
        """
        entry = self._get_reconfigure_entry()
        url = callback_url(self.hass, entry) or ""
        errors: dict[str, str] = {}
        if user_input is not None:
            finder = VehicleSubscriptions(entry_client(self.hass, entry))
            entered = str(user_input.get(CONF_SMARTCAR_WEBHOOK_ID, ""))
            errors = await finder.async_take_webhook(entered, url)
            if not errors:
                self._found_webhook_id = finder.webhook_id
                return await self.async_step_refresh_vehicles()
        return self.async_show_form(
            step_id="refresh_webhook",
            data_schema=vol.Schema({vol.Optional(CONF_SMARTCAR_WEBHOOK_ID): str}),
            errors=errors,
            description_placeholders={"webhook_url": url or "-", "dashboard_url": DASHBOARD_URL},
        )

    def _refresh_failed(self, error: str) -> ConfigFlowResult:
        """Smartcar cannot list the vehicles: new credentials, or come back later."""
        if error == "invalid_auth":
            # New credentials right here (a reauth flow cannot start while this runs).
            return self._credentials_form("replace_credentials", {"base": "invalid_auth"})
        return self.async_abort(
            reason="rate_limited" if error == "rate_limited" else "cannot_connect"
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: SmartcarConfigEntry) -> SmartcarOptionsFlow:
        """Options: the reporting timeout and a separate error callback URL."""
        return SmartcarOptionsFlow()


def _is_connect(entry: SmartcarConfigEntry) -> bool:
    """Whether the entry was made with Smartcar Connect (on API v2 or v3)."""
    return is_connect_v2(entry.data) or is_connect_v3(entry.data)
