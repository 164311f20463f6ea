"""Set up a Smartcar application: token, callback URL, and a wait for Smartcar's VERIFY.

The webhook is live while the flow shows the URL, so the user can press "Verify" in the
Smartcar Dashboard and watch Home Assistant confirm it, before the entry even exists.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from typing import TYPE_CHECKING, Any, Final

from aiohttp import hdrs
import voluptuous as vol

from homeassistant.components.webhook import (
    async_generate_id,
    async_register,
    async_unregister,
)
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .callback_url import (
    CloudNotConnectedError,
    NoPublicURLError,
    async_create_callback_url,
    async_delete_cloudhook,
    callback_url,
)
from .const import (
    CONF_CLOUDHOOK_URL,
    CONF_ERROR_CLOUDHOOK_URL,
    CONF_ERROR_WEBHOOK_ID,
    CONF_MANAGEMENT_TOKEN,
    CONF_STALE_AFTER,
    DASHBOARD_URL,
    DEFAULT_STALE_AFTER,
    DOMAIN,
    VERIFY_TIMEOUT,
)
from .webhook import SmartcarWebhook

if TYPE_CHECKING:
    from .protocol import Event
    from .runtime import Delivery

DEFAULT_NAME: Final = "Smartcar"
CONF_ERROR_CALLBACK: Final = "error_callback"
# Management tokens are UUID-like; accept any plausible token, refuse obvious mistakes
# (an empty field, a pasted URL or sentence, stray inner whitespace).
TOKEN_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~+/=-]{15,255}")
TOKEN_FIELD: Final = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def token_unique_id(token: str) -> str:
    """One entry per Smartcar application, identified by a hash of its token."""
    return hashlib.sha256(f"smartcar-amt:{token}".encode()).hexdigest()[:32]


def check_token(
    hass: HomeAssistant, raw: str, entry_id: str | None = None
) -> tuple[str, str | None]:
    """The cleaned token and the translated error key for it (``None`` when it is fine).

    Used by the config, reconfigure and repair flows alike: a token must look like one and
    must not belong to another entry.
    """
    token = raw.strip()
    if not TOKEN_PATTERN.fullmatch(token):
        return token, "invalid_token"
    unique_id = token_unique_id(token)
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.unique_id == unique_id and entry.entry_id != entry_id:
            return token, "token_in_use"
    return token, None


class SetupReceiver:
    """Answers Smartcar's VERIFY for a flow whose entry does not exist yet."""

    def __init__(self, token: str) -> None:
        """Answer with ``token``; deliveries are refused until the entry exists."""
        self._token = token
        self.verified = asyncio.Event()

    @property
    def token(self) -> str:
        """The token being set up."""
        return self._token

    def async_verified(self) -> None:
        """Wake the flow's progress step."""
        self.verified.set()

    def async_signature_checked(self, *, valid: bool) -> None:
        """Nothing to count before setup."""

    def async_record(self, delivery: Delivery) -> None:
        """Nothing to keep before setup."""

    def async_apply(self, event: Event) -> str | None:
        """Refuse (503, so Smartcar retries) until the entry exists."""
        return None


class SmartcarConfigFlow(ConfigFlow, domain=DOMAIN):
    """Token → callback URL and Dashboard steps → wait for VERIFY (or finish now)."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._name = DEFAULT_NAME
        self._token = ""
        self._webhook_id = ""
        self._url = ""
        self._cloudhook = False
        self._receiver: SetupReceiver | None = None
        self._wait: asyncio.Task[bool] | None = None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for a name and the Application Management Token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            token, error = check_token(self.hass, user_input[CONF_MANAGEMENT_TOKEN])
            if error == "token_in_use":
                return self.async_abort(reason="already_configured")
            if error is not None:
                errors[CONF_MANAGEMENT_TOKEN] = error
            else:
                await self.async_set_unique_id(token_unique_id(token))
                webhook_id = async_generate_id()
                try:
                    url, cloudhook = await async_create_callback_url(self.hass, webhook_id)
                except CloudNotConnectedError:
                    errors["base"] = "cloud_not_connected"
                except NoPublicURLError:
                    errors["base"] = "no_public_url"
                else:
                    self._name = user_input[CONF_NAME].strip() or DEFAULT_NAME
                    self._token, self._webhook_id = token, webhook_id
                    self._url, self._cloudhook = url, cloudhook
                    return await self.async_step_webhook()
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME, default=DEFAULT_NAME): str,
                vol.Required(CONF_MANAGEMENT_TOKEN): TOKEN_FIELD,
            }
        )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders={"dashboard_url": DASHBOARD_URL},
        )

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the callback URL and the Dashboard steps; the webhook answers from now on."""
        self._receiver = SetupReceiver(self._token)
        async_register(
            self.hass,
            DOMAIN,
            f"{self._name} (setup)",
            self._webhook_id,
            SmartcarWebhook(self._receiver),
            allowed_methods=[hdrs.METH_POST, hdrs.METH_GET],
        )
        return self.async_show_menu(
            step_id="webhook",
            menu_options=["wait_verify", "finish"],
            description_placeholders=self._placeholders(),
        )

    async def async_step_wait_verify(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Wait until Smartcar's VERIFY reaches the URL."""
        assert self._receiver is not None  # noqa: S101 (the webhook step always comes first)
        if self._wait is None:
            self._wait = self.hass.async_create_task(self._wait_for_verify(self._receiver))
        if not self._wait.done():
            return self.async_show_progress(
                step_id="wait_verify",
                progress_action="wait_verify",
                progress_task=self._wait,
                description_placeholders=self._placeholders(),
            )
        verified = self._wait.result()
        self._wait = None
        return self.async_show_progress_done(
            next_step_id="verified" if verified else "verify_timeout"
        )

    @staticmethod
    async def _wait_for_verify(receiver: SetupReceiver) -> bool:
        try:
            async with asyncio.timeout(VERIFY_TIMEOUT.total_seconds()):
                await receiver.verified.wait()
        except TimeoutError:
            return False
        return True

    async def async_step_verify_timeout(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """No VERIFY arrived in time: say what to check; wait again or finish anyway."""
        return self.async_show_menu(
            step_id="verify_timeout",
            menu_options=["wait_verify", "finish"],
            description_placeholders=self._placeholders(),
        )

    async def async_step_verified(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Smartcar verified the URL: create the entry and say so."""
        return self._create_entry(description="verified")

    async def async_step_finish(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Create the entry without waiting for VERIFY."""
        return self._create_entry(description="default")

    def _create_entry(self, description: str) -> ConfigFlowResult:
        self._stop_listening()
        data = {CONF_MANAGEMENT_TOKEN: self._token, CONF_WEBHOOK_ID: self._webhook_id}
        if self._cloudhook:
            data[CONF_CLOUDHOOK_URL] = self._url
        return self.async_create_entry(
            title=self._name,
            data=data,
            description=description,
            description_placeholders=self._placeholders(),
        )

    def _placeholders(self) -> dict[str, str]:
        return {"webhook_url": self._url, "dashboard_url": DASHBOARD_URL}

    def _stop_listening(self) -> None:
        # The entry registers the same webhook id for good when it is set up.
        if self._receiver is not None:
            async_unregister(self.hass, self._webhook_id)
            self._receiver = None
        if self._wait is not None:
            self._wait.cancel()
            self._wait = None

    @callback
    def async_remove(self) -> None:
        """Close the setup webhook when the user abandons the flow."""
        self._stop_listening()

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Replace the token (after rotating it in the Dashboard); devices and entities stay."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            token, error = check_token(self.hass, user_input[CONF_MANAGEMENT_TOKEN], entry.entry_id)
            if error is None:
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=token_unique_id(token),
                    data_updates={CONF_MANAGEMENT_TOKEN: token},
                )
            errors[CONF_MANAGEMENT_TOKEN] = error
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=vol.Schema({vol.Required(CONF_MANAGEMENT_TOKEN): TOKEN_FIELD}),
            errors=errors,
            description_placeholders={
                "webhook_url": callback_url(self.hass, entry) or "-",
                "dashboard_url": DASHBOARD_URL,
            },
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> SmartcarOptionsFlow:
        """Options: the reporting timeout and a separate error callback URL."""
        return SmartcarOptionsFlow()


class SmartcarOptionsFlow(OptionsFlowWithReload):
    """The "reporting" timeout, and an optional second URL for VEHICLE_ERROR only."""

    def __init__(self) -> None:
        """Nothing chosen yet."""
        self._options: dict[str, Any] = {}

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the staleness time and whether errors get their own callback URL."""
        options = self.config_entry.options
        errors: dict[str, str] = {}
        if user_input is not None:
            self._options = {CONF_STALE_AFTER: int(user_input[CONF_STALE_AFTER])}
            if not user_input[CONF_ERROR_CALLBACK]:
                if options.get(CONF_ERROR_CLOUDHOOK_URL):
                    await async_delete_cloudhook(self.hass, options[CONF_ERROR_WEBHOOK_ID])
                return self.async_create_entry(data=self._options)
            if CONF_ERROR_WEBHOOK_ID in options:
                self._options |= {
                    key: options[key]
                    for key in (CONF_ERROR_WEBHOOK_ID, CONF_ERROR_CLOUDHOOK_URL)
                    if key in options
                }
                return await self.async_step_error_url()
            webhook_id = async_generate_id()
            try:
                url, cloudhook = await async_create_callback_url(self.hass, webhook_id)
            except CloudNotConnectedError:
                errors["base"] = "cloud_not_connected"
            except NoPublicURLError:
                errors["base"] = "no_public_url"
            else:
                self._options[CONF_ERROR_WEBHOOK_ID] = webhook_id
                if cloudhook:
                    self._options[CONF_ERROR_CLOUDHOOK_URL] = url
                return await self.async_step_error_url()
        default_hours = int(DEFAULT_STALE_AFTER.total_seconds() // 3600)
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_STALE_AFTER, default=options.get(CONF_STALE_AFTER, default_hours)
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=1, max=168, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="h"
                    )
                ),
                vol.Required(
                    CONF_ERROR_CALLBACK, default=CONF_ERROR_WEBHOOK_ID in options
                ): BooleanSelector(),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema, errors=errors)

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
