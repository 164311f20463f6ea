"""The config flow's way to a new entry: Smartcar Connect, or the webhook only.

Smartcar Connect (API v3): choose the permissions, enter the application's API
credentials, grant access on Smartcar Connect's consent page (connect.py brings the user's
id back), give the Application Management Token, create the Dashboard webhook for the
callback URL shown (Home Assistant finds it by that URL), then pick the vehicles to
subscribe to it.

Webhook only: the token, the callback URL and the Dashboard steps; vehicles are connected
and subscribed elsewhere.

Both paths end in the same optional wait for Smartcar's VERIFY (setup_webhook.py). The
consent steps before "authorized" are consent_flow.py's; reauth and reconfigure
(config_flow.py) use them too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigFlowResult
from homeassistant.const import CONF_NAME
from homeassistant.core import callback

from .account import smartcar_client
from .compat import vol
from .consent_flow import ConnectConsentFlow
from .const import (
    CONF_APPLICATION_ID,
    CONF_MANAGEMENT_TOKEN,
    CONF_SCOPES,
    CONF_SMARTCAR_WEBHOOK_ID,
    CONF_USER_ID,
    CONF_VEHICLES,
    DASHBOARD_URL,
)
from .credentials import SECRET_FIELD, checked_token, token_in_use
from .setup_webhook import SetupWebhook, async_new_callback_url
from .subscriptions import VehicleSubscriptions
from .unique_ids import connect_unique_id, webhook_unique_id

if TYPE_CHECKING:
    import asyncio

DEFAULT_NAME: Final = "Smartcar"
VERIFY_OR_FINISH: Final = ["wait_verify", "finish"]


class SmartcarSetupFlow(ConnectConsentFlow):
    """From the menu to a new entry, on either path."""

    def __init__(self) -> None:
        """Start with nothing chosen."""
        super().__init__()
        self._name = DEFAULT_NAME
        self._token = ""
        self._webhook: SetupWebhook | None = None
        self._wait: asyncio.Task[bool] | None = None
        # Smartcar Connect: the vehicles of the user who consented.
        self._subscriptions: VehicleSubscriptions | None = None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Smartcar Connect from Home Assistant, or the webhook only."""
        return self.async_show_menu(step_id="user", menu_options=["connect", "webhook_only"])

    # --- The application's name and token, then its callback URL -----------------------

    async def async_step_application(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the Smartcar application and give its token; make the callback URL.

        Both paths: Smartcar Connect after consent (``application``), or the webhook only
        (``webhook_only``, whose texts do not speak of consent). The URL answers from now on.
        """
        errors: dict[str, str] = {}
        if user_input is not None:
            token, errors = checked_token(user_input)
            # Webhook only: one entry per Smartcar application, known by its token (a
            # Connect entry is one per user, checked when the user consented).
            if not errors and not self._user_id and token_in_use(self.hass, token):
                return self.async_abort(reason="already_configured")
            if not errors:
                callback_url, errors = await async_new_callback_url(self.hass)
                if callback_url is not None:
                    self._name = user_input[CONF_NAME].strip() or DEFAULT_NAME
                    self._token = token
                    self._webhook = SetupWebhook(self.hass, callback_url, token, self._name)
                    if self._user_id:
                        return await self.async_step_smartcar_webhook()
                    await self.async_set_unique_id(webhook_unique_id(callback_url.webhook_id))
                    return await self.async_step_webhook()
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME, default=DEFAULT_NAME): str,
                vol.Required(CONF_MANAGEMENT_TOKEN): SECRET_FIELD,
            }
        )
        return self.async_show_form(
            step_id="application" if self._user_id else "webhook_only",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders={"dashboard_url": DASHBOARD_URL},
        )

    # The webhook-only menu option is this step before any consent; its form's step id,
    # and so its texts, follow the path.
    async_step_webhook_only = async_step_application

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Webhook only: show the callback URL and the Dashboard steps."""
        return self._verify_menu("webhook")

    # --- Smartcar Connect: back from consent, the Dashboard webhook, the vehicles -------

    async def async_step_authorized(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Back from Connect: a new entry goes on to the token; reconfigure ends here."""
        if not self._user_id:
            return self._abort_without_user()
        if self.source == SOURCE_RECONFIGURE:
            return self._async_update_consent(self._get_reconfigure_entry())
        await self.async_set_unique_id(
            connect_unique_id(self._credentials[CONF_APPLICATION_ID], self._user_id)
        )
        self._abort_if_unique_id_configured()
        self._subscriptions = VehicleSubscriptions(
            smartcar_client(
                self.hass,
                {**self._credentials, CONF_USER_ID: self._user_id, CONF_SCOPES: self._scopes},
            )
        )
        return await self.async_step_application()

    @property
    def _vehicles(self) -> VehicleSubscriptions:
        """The vehicles of the user who consented (or of the entry being refreshed)."""
        assert self._subscriptions is not None  # noqa: S101 (only steps after consent ask)
        return self._subscriptions

    async def async_step_smartcar_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the callback URL; find the Dashboard webhook that calls it (or take its id)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            entered = str(user_input.get(CONF_SMARTCAR_WEBHOOK_ID, ""))
            errors = await self._vehicles.async_take_webhook(entered, self._url)
            if not errors:
                errors = await self._vehicles.async_list()
            if not errors and not self._vehicles.listed:
                errors = {"base": "no_vehicles"}
            if not errors:
                return await self.async_step_vehicles()
        return self._smartcar_webhook_form(errors)

    def _smartcar_webhook_form(self, errors: dict[str, str]) -> ConfigFlowResult:
        schema = vol.Schema({vol.Optional(CONF_SMARTCAR_WEBHOOK_ID): str})
        return self.async_show_form(
            step_id="smartcar_webhook",
            data_schema=self.add_suggested_values_to_schema(
                schema, {CONF_SMARTCAR_WEBHOOK_ID: self._vehicles.webhook_id}
            ),
            errors=errors,
            description_placeholders=self._placeholders(),
        )

    async def async_step_vehicles(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the connected vehicles; subscribe the chosen ones to the webhook."""
        errors: dict[str, str] = {}
        if user_input is not None:
            chosen = self._vehicles.chosen(user_input[CONF_VEHICLES])
            errors = await self._vehicles.async_subscribe(chosen)
            if errors.get("base") == "webhook_not_found":
                return self._smartcar_webhook_form({CONF_SMARTCAR_WEBHOOK_ID: "webhook_not_found"})
            if not errors:
                return await self.async_step_subscribed()
        return self._vehicles_form("vehicles", user_input, errors)

    def _vehicles_form(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        errors: dict[str, str],
        **placeholders: str,
    ) -> ConfigFlowResult:
        """Every listed vehicle to choose (all at first), and those subscribed already."""
        return self.async_show_form(
            step_id=step_id,
            data_schema=self._vehicles.vehicles_schema(
                None if user_input is None else user_input[CONF_VEHICLES]
            ),
            errors=errors,
            description_placeholders={
                **self._placeholders(),
                **self._vehicles.placeholders(),
                **placeholders,
            },
        )

    async def async_step_subscribed(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The vehicles are subscribed: wait for Smartcar's VERIFY or finish."""
        return self._verify_menu("subscribed", count=str(len(self._vehicles.subscribed)))

    # --- Verification and the entry -----------------------------------------------------

    def _verify_menu(self, step_id: str, **placeholders: str) -> ConfigFlowResult:
        """The URL is live: wait for Smartcar's VERIFY, or finish (the texts differ by step)."""
        return self.async_show_menu(
            step_id=step_id,
            menu_options=VERIFY_OR_FINISH,
            description_placeholders={**self._placeholders(), **placeholders},
        )

    async def async_step_wait_verify(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Wait until Smartcar's VERIFY reaches the URL."""
        if self._wait is None:
            assert self._webhook is not None  # noqa: S101 (the URL's menu comes first)
            self._wait = self.hass.async_create_task(self._webhook.async_wait_verified())
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

    async def async_step_verify_timeout(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """No VERIFY arrived in time: say what to check; wait again or finish anyway."""
        return self._verify_menu("verify_timeout")

    async def async_step_verified(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Smartcar verified the URL: create the entry and say so."""
        return self._create_entry(description="verified")

    async def async_step_finish(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Create the entry without waiting for VERIFY."""
        return self._create_entry(description="default")

    def _create_entry(self, description: str) -> ConfigFlowResult:
        assert self._webhook is not None  # noqa: S101 (the URL's menu comes first)
        # Another flow may have set the same application up meanwhile.
        if not self._user_id and token_in_use(self.hass, self._token):
            return self.async_abort(reason="already_configured")
        # The entry registers the same webhook id for good when it is set up.
        self._webhook.async_close()
        data = {CONF_MANAGEMENT_TOKEN: self._token, **self._webhook.callback_url.entry_data()}
        if self._user_id:
            data |= self._credentials | self._vehicles.entry_data()
            data |= {CONF_USER_ID: self._user_id, CONF_SCOPES: self._scopes}
            description = f"connect_{description}"
        return self.async_create_entry(
            title=self._name,
            data=data,
            description=description,
            description_placeholders=self._placeholders(),
        )

    @property
    def _url(self) -> str:
        """The callback URL, once made."""
        return self._webhook.callback_url.url if self._webhook is not None else ""

    def _placeholders(self) -> dict[str, str]:
        return {"webhook_url": self._url, "dashboard_url": DASHBOARD_URL}

    @callback
    def async_remove(self) -> None:
        """The flow ended: close the setup webhook and stop waiting for Connect.

        A cloudhook made for an entry that was not created is deleted with it.
        """
        if self._webhook is not None:
            self._webhook.async_flow_ended()
        super().async_remove()
