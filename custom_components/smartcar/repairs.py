"""Fix flows for repair issues: enter the new token when signatures keep failing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow

from .account import is_connect_v2, smartcar_client, v3_data
from .api_errors import SmartcarError
from .const import CONF_APPLICATION_ID, CONF_MANAGEMENT_TOKEN, CONF_USER_ID, DASHBOARD_URL, LOGGER
from .credentials import (
    TOKEN_SCHEMA,
    async_check_credentials,
    checked_replacement_token,
    credentials_schema,
)
from .issues import CONNECT_V2
from .unique_ids import connect_unique_id

if TYPE_CHECKING:
    import sys

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    # Repair flows have their own result type from 2026.3 (Python 3.14: see compat.py).
    if sys.version_info >= (3, 14):
        from homeassistant.components.repairs import RepairsFlowResult
    else:
        from homeassistant.data_entry_flow import FlowResult as RepairsFlowResult


class TokenRepairFlow(RepairsFlow):
    """Deliveries keep failing their signature: take the current token from the user."""

    def __init__(self, entry_id: str) -> None:
        """Fix the entry whose deliveries fail."""
        self._entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Start at the token form (the init step receives the issue data, not user input)."""
        return await self.async_step_token()

    async def async_step_token(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Ask for the Application Management Token as the Dashboard shows it now."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_removed")
        errors: dict[str, str] = {}
        if user_input is not None:
            token, errors = checked_replacement_token(self.hass, entry, user_input)
            if not errors:
                self.hass.config_entries.async_update_entry(
                    entry, data={**entry.data, CONF_MANAGEMENT_TOKEN: token}
                )
                self.hass.config_entries.async_schedule_reload(entry.entry_id)
                return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="token",
            data_schema=TOKEN_SCHEMA,
            errors=errors,
            description_placeholders={"entry": entry.title, "dashboard_url": DASHBOARD_URL},
        )


class ConnectV3RepairFlow(RepairsFlow):
    """An entry made on Smartcar's API v2: take the application's v3 credentials.

    The user's id is known from v2. Once Smartcar's v3 lists that user's vehicles with the
    new credentials, the entry moves to v3 in place: same webhook, devices and entities.
    A user v3 does not know needs Connect's consent: the reconfigure flow has it.
    """

    def __init__(self, entry_id: str) -> None:
        """Fix this entry."""
        self._entry_id = entry_id
        self._credentials: dict[str, str] = {}

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Start at the credentials form."""
        return await self.async_step_credentials()

    async def async_step_credentials(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """The Application ID and API credentials from the Dashboard; checked, then used."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or not is_connect_v2(entry.data):
            return self.async_abort(reason="entry_removed" if entry is None else "already_v3")
        errors: dict[str, str] = {}
        if user_input is not None:
            self._credentials, errors = await async_check_credentials(self.hass, user_input)
            if not errors:
                errors = await self._async_move(entry)
            if not errors:
                return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="credentials",
            data_schema=credentials_schema(self._credentials),
            errors=errors,
            description_placeholders={"entry": entry.title, "dashboard_url": DASHBOARD_URL},
        )

    async def _async_move(self, entry: ConfigEntry) -> dict[str, str]:
        """Move the entry to v3 if Smartcar's v3 knows its user; the errors to show."""
        user_id = str(entry.data.get(CONF_USER_ID, ""))
        client = smartcar_client(self.hass, {**self._credentials, CONF_USER_ID: user_id})
        try:
            vehicles = await client.async_list_vehicles() if user_id else []
        except SmartcarError as err:
            LOGGER.warning("Smartcar's API v3 does not list the user of %s: %s", entry.title, err)
            vehicles = []
        if not vehicles:
            return {"base": "consent_needed"}
        self.hass.config_entries.async_update_entry(
            entry,
            unique_id=connect_unique_id(self._credentials[CONF_APPLICATION_ID], user_id),
            data=v3_data(entry.data, self._credentials),
        )
        self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return {}


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """The fix flow of a fixable issue: the v2 move, or the signature repair's token."""
    entry_id = str((data or {})["entry_id"])
    if issue_id.startswith(CONNECT_V2):
        return ConnectV3RepairFlow(entry_id)
    return TokenRepairFlow(entry_id)
