"""Smartcar Connect's consent, as the config flow asks for it: permissions, credentials.

Choose the permissions, enter the application's API credentials (checked with Smartcar),
then grant access on Smartcar Connect's consent page; connect.py brings the user's id
back to the "authorized" step. A new entry goes on from there (setup_flow.py); reauth takes
only the credentials, and reconfigure's "grant access again" and the move from API v2 end
by updating their entry here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.core import callback
from homeassistant.helpers.selector import SelectSelector, SelectSelectorConfig, SelectSelectorMode

from .account import is_connect_v3, v3_data
from .api import CONTROL_SCOPES, DEFAULT_SCOPES, SCOPES
from .compat import vol
from .connect import async_expect_redirect, async_forget_redirect, authorize_url, redirect_uri
from .const import CONF_APPLICATION_ID, CONF_SCOPES, CONF_USER_ID, DASHBOARD_URL, LOGGER
from .credentials import async_check_credentials, credentials_schema
from .unique_ids import connect_unique_id

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

# The read permissions, and those to act on the car (lock, charging). The control ones are
# not ticked by default: unlocking a car from Home Assistant is the owner's choice to make,
# and Smartcar's consent page lists it for the owner to approve.
SCOPES_FIELD: Final = SelectSelector(
    SelectSelectorConfig(
        options=[*SCOPES, *CONTROL_SCOPES],
        multiple=True,
        mode=SelectSelectorMode.LIST,
        translation_key=CONF_SCOPES,
    )
)


class ConnectConsentFlow(ConfigFlow):
    """The consent steps that setup, reauth and reconfigure share."""

    def __init__(self) -> None:
        """Nothing chosen yet: the default permissions, no credentials, no user."""
        super().__init__()
        self._scopes: list[str] = list(DEFAULT_SCOPES)
        self._credentials: dict[str, str] = {}
        # The user who consented, or Connect's error code why not.
        self._user_id = ""
        self._connect_error = ""

    async def async_step_connect(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the permissions to ask for, then give the application's credentials."""
        return await self._async_scopes_step("connect", user_input, self.async_step_credentials)

    async def _async_scopes_step(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        next_step: Callable[[], Awaitable[ConfigFlowResult]],
    ) -> ConfigFlowResult:
        """The permissions form (its texts differ by step), then the next step."""
        if user_input is not None:
            self._scopes = sorted(user_input[CONF_SCOPES])
            return await next_step()
        return self.async_show_form(
            step_id=step_id,
            data_schema=vol.Schema({vol.Required(CONF_SCOPES, default=self._scopes): SCOPES_FIELD}),
            description_placeholders={"dashboard_url": DASHBOARD_URL},
        )

    async def async_step_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The Application ID and the API client id and secret, checked with Smartcar."""
        # Connect comes next (not in a reauth): it needs an address to come back to.
        redirect = redirect_uri(self.hass)
        if redirect is None and self.source != SOURCE_REAUTH:
            return self.async_abort(reason="no_url_available")
        errors: dict[str, str] = {}
        if user_input is not None:
            self._credentials, errors = await async_check_credentials(self.hass, user_input)
            if not errors and self.source == SOURCE_REAUTH:
                return self._async_update_credentials(self._get_reauth_entry())
            if not errors:
                return await self.async_step_authorize()
        return self._credentials_form("credentials", errors, redirect_url=redirect or "-")

    def _credentials_form(
        self, step_id: str, errors: dict[str, str], **placeholders: str
    ) -> ConfigFlowResult:
        """The API credentials form, the ids filled in with the last ones given."""
        return self.async_show_form(
            step_id=step_id,
            data_schema=credentials_schema(self._credentials),
            errors=errors,
            description_placeholders={"dashboard_url": DASHBOARD_URL, **placeholders},
        )

    async def async_step_authorize(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Smartcar Connect's consent page; its redirect (connect.py) brings the user id."""
        if user_input is None:
            redirect = redirect_uri(self.hass)
            if redirect is None:
                return self.async_abort(reason="no_url_available")
            state = async_expect_redirect(self.hass, self.flow_id)
            return self.async_external_step(
                step_id="authorize",
                url=authorize_url(
                    self._credentials[CONF_APPLICATION_ID], redirect, self._scopes, state
                ),
            )
        self._user_id = str(user_input.get(CONF_USER_ID, ""))
        self._connect_error = str(user_input.get("error", ""))
        return self.async_external_step_done(next_step_id="authorized")

    def _abort_without_user(self) -> ConfigFlowResult:
        """Connect came back without a user: the owner declined, or it failed."""
        LOGGER.warning("Smartcar Connect came back without a user (%s)", self._connect_error or "-")
        return self.async_abort(
            reason="connect_refused"
            if self._connect_error == "access_denied"
            else "connect_failed",
            description_placeholders={"error": self._connect_error or "-"},
        )

    @callback
    def _async_update_consent(self, entry: ConfigEntry) -> ConfigFlowResult:
        """Access granted again (or the move from API v2): the same user, or nothing changes."""
        if is_connect_v3(entry.data) and entry.data.get(CONF_USER_ID) != self._user_id:
            return self.async_abort(reason="wrong_account")
        return self._async_update_credentials(entry, consented=True)

    @callback
    def _async_update_credentials(
        self, entry: ConfigEntry, *, consented: bool = False
    ) -> ConfigFlowResult:
        """Store the new credentials (and the new consent) in an entry, and reload it.

        An entry made on API v2 loses its OAuth sign-in here: it is on v3 from now on, with
        the same webhook, devices and entities.
        """
        data = v3_data(entry.data, self._credentials)
        unique_id = entry.unique_id
        if consented:
            data |= {CONF_USER_ID: self._user_id, CONF_SCOPES: self._scopes}
            unique_id = connect_unique_id(self._credentials[CONF_APPLICATION_ID], self._user_id)
        # The reason is named: from 2026.11 Home Assistant words an unnamed one itself.
        return self.async_update_reload_and_abort(
            entry,
            unique_id=unique_id,
            data=data,
            reason="reauth_successful" if self.source == SOURCE_REAUTH else "connect_updated",
        )

    @callback
    def async_remove(self) -> None:
        """The flow ended: stop waiting for Connect's redirect."""
        async_forget_redirect(self.hass, self.flow_id)
