"""Set up a Smartcar application: its management token, then the callback URL to enter."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Final

import voluptuous as vol
from homeassistant.components import webhook
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .callback_url import CloudNotConnectedError, NoPublicURLError, async_create_callback_url
from .const import (
    CONF_CLOUDHOOK_URL,
    CONF_MANAGEMENT_TOKEN,
    CONF_STALE_AFTER,
    DASHBOARD_URL,
    DEFAULT_STALE_AFTER,
    DOMAIN,
)

DEFAULT_NAME: Final = "Smartcar"
# Management tokens are UUID-like; accept any plausible token, refuse obvious mistakes
# (an empty field, a pasted URL or sentence, stray inner whitespace).
TOKEN_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~+/=-]{15,255}")


def token_unique_id(token: str) -> str:
    """One entry per Smartcar application, identified by a hash of its token."""
    return hashlib.sha256(f"smartcar-amt:{token}".encode()).hexdigest()[:32]


class SmartcarConfigFlow(ConfigFlow, domain=DOMAIN):
    """Ask for the Application Management Token, then show the URL for the Dashboard."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for a name and the Application Management Token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            token = user_input[CONF_MANAGEMENT_TOKEN].strip()
            if not TOKEN_PATTERN.fullmatch(token):
                errors[CONF_MANAGEMENT_TOKEN] = "invalid_token"
            else:
                await self.async_set_unique_id(token_unique_id(token))
                self._abort_if_unique_id_configured()
                webhook_id = webhook.async_generate_id()
                try:
                    url, is_cloudhook = await async_create_callback_url(self.hass, webhook_id)
                except CloudNotConnectedError:
                    errors["base"] = "cloud_not_connected"
                except NoPublicURLError:
                    errors["base"] = "no_public_url"
                else:
                    data = {CONF_MANAGEMENT_TOKEN: token, CONF_WEBHOOK_ID: webhook_id}
                    if is_cloudhook:
                        data[CONF_CLOUDHOOK_URL] = url
                    return self.async_create_entry(
                        title=user_input[CONF_NAME].strip() or DEFAULT_NAME,
                        data=data,
                        description_placeholders={
                            "webhook_url": url,
                            "dashboard_url": DASHBOARD_URL,
                        },
                    )
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME, default=DEFAULT_NAME): str,
                vol.Required(CONF_MANAGEMENT_TOKEN): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.PASSWORD)
                ),
            }
        )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders={"dashboard_url": DASHBOARD_URL},
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> SmartcarOptionsFlow:
        """Options: how long without deliveries before a vehicle counts as not reporting."""
        return SmartcarOptionsFlow()


class SmartcarOptionsFlow(OptionsFlowWithReload):
    """Tune the staleness time of the "reporting" sensors."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the staleness time in hours."""
        if user_input is not None:
            return self.async_create_entry(
                data={CONF_STALE_AFTER: int(user_input[CONF_STALE_AFTER])}
            )
        default = DEFAULT_STALE_AFTER.total_seconds() // 3600
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_STALE_AFTER,
                    default=self.config_entry.options.get(CONF_STALE_AFTER, default),
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=1,
                        max=168,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="h",
                    )
                ),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)
