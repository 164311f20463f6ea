"""Fix flows for repair issues: enter the new token when signatures keep failing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow

from .compat import vol
from .config_flow import TOKEN_FIELD, check_token, token_unique_id
from .const import CONF_MANAGEMENT_TOKEN, DASHBOARD_URL

if TYPE_CHECKING:
    import sys

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
            token, error = check_token(self.hass, user_input[CONF_MANAGEMENT_TOKEN], entry.entry_id)
            if error is None:
                self.hass.config_entries.async_update_entry(
                    entry,
                    unique_id=token_unique_id(token),
                    data={**entry.data, CONF_MANAGEMENT_TOKEN: token},
                )
                self.hass.config_entries.async_schedule_reload(entry.entry_id)
                return self.async_create_entry(data={})
            errors[CONF_MANAGEMENT_TOKEN] = error
        return self.async_show_form(
            step_id="token",
            data_schema=vol.Schema({vol.Required(CONF_MANAGEMENT_TOKEN): TOKEN_FIELD}),
            errors=errors,
            description_placeholders={"entry": entry.title, "dashboard_url": DASHBOARD_URL},
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """The fix flow of a fixable issue (only the signature repair has one)."""
    return TokenRepairFlow(str((data or {})["entry_id"]))
