"""Options: the "reporting" timeout, and an optional second URL for VEHICLE_ERROR only."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .callback_url import async_delete_cloudhook, callback_url
from .compat import vol
from .const import (
    CONF_ERROR_CLOUDHOOK_URL,
    CONF_ERROR_WEBHOOK_ID,
    CONF_STALE_AFTER,
    DASHBOARD_URL,
    DEFAULT_STALE_AFTER,
)
from .setup_webhook import NewCallbackURL, async_new_callback_url

CONF_ERROR_CALLBACK: Final = "error_callback"
MAX_STALE_HOURS: Final = 168
ERROR_URL_KEYS: Final = (CONF_ERROR_WEBHOOK_ID, CONF_ERROR_CLOUDHOOK_URL)


def _is_stale_after(hours: Any) -> bool:
    """Whether a reporting timeout is a whole number of hours from 1 to a week."""
    return isinstance(hours, int | float) and hours == int(hours) and 1 <= hours <= MAX_STALE_HOURS


class SmartcarOptionsFlow(OptionsFlowWithReload):
    """The "reporting" timeout, and an optional second URL for VEHICLE_ERROR only."""

    def __init__(self) -> None:
        """Nothing chosen yet."""
        self._options: dict[str, Any] = {}
        # An error callback URL made by this flow, until the options store it.
        self._new_error_url: NewCallbackURL | None = None

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the staleness time and whether errors get their own callback URL."""
        options = self.config_entry.options
        errors: dict[str, str] = {}
        if user_input is not None and not _is_stale_after(user_input[CONF_STALE_AFTER]):
            errors[CONF_STALE_AFTER] = "stale_after_range"
        elif user_input is not None:
            self._options = {CONF_STALE_AFTER: int(user_input[CONF_STALE_AFTER])}
            if not user_input[CONF_ERROR_CALLBACK]:
                if options.get(CONF_ERROR_CLOUDHOOK_URL):
                    await async_delete_cloudhook(self.hass, options[CONF_ERROR_WEBHOOK_ID])
                return self.async_create_entry(data=self._options)
            if CONF_ERROR_WEBHOOK_ID in options:
                self._options |= {key: options[key] for key in ERROR_URL_KEYS if key in options}
                return await self.async_step_error_url()
            self._new_error_url, errors = await async_new_callback_url(self.hass)
            if self._new_error_url is not None:
                self._options[CONF_ERROR_WEBHOOK_ID] = self._new_error_url.webhook_id
                if self._new_error_url.cloudhook:
                    self._options[CONF_ERROR_CLOUDHOOK_URL] = self._new_error_url.url
                return await self.async_step_error_url()
        default_hours = int(DEFAULT_STALE_AFTER.total_seconds() // 3600)
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_STALE_AFTER, default=options.get(CONF_STALE_AFTER, default_hours)
                ): NumberSelector(
                    # No min or max here: the schema's own range check answers in English
                    # only ("Value 0.0 is too small"); the step checks it and says it better.
                    NumberSelectorConfig(
                        step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="h"
                    )
                ),
                vol.Required(
                    CONF_ERROR_CALLBACK, default=CONF_ERROR_WEBHOOK_ID in options
                ): BooleanSelector(),
            }
        )
        return self.async_show_form(
            step_id="init",
            # After an error the form shows what was entered, not the stored option again.
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
        )

    async def async_step_error_url(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the error callback URL to enter as the Dashboard's error callback URI."""
        if user_input is not None:
            return self.async_create_entry(data=self._options)
        url = self._options.get(CONF_ERROR_CLOUDHOOK_URL) or callback_url(
            self.hass, self.config_entry, self._options[CONF_ERROR_WEBHOOK_ID]
        )
        return self.async_show_form(
            step_id="error_url",
            description_placeholders={"error_url": url or "-", "dashboard_url": DASHBOARD_URL},
        )

    @callback
    def async_remove(self) -> None:
        """Delete the error cloudhook this flow made if the options did not store it.

        Home Assistant calls this however the flow ends (after storing the options, if it
        did), on every supported version. The entry may be gone by then.
        """
        if self._new_error_url is None:
            return
        entry = self.hass.config_entries.async_get_entry(self.handler)
        if entry is None or (
            entry.options.get(CONF_ERROR_WEBHOOK_ID) != self._new_error_url.webhook_id
        ):
            self._new_error_url.async_discard(self.hass)
