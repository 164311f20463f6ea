"""Set up a Smartcar application, with Smartcar Connect or with the webhook only.

Smartcar Connect (API v3): choose the permissions, enter the application's API
credentials, grant access on Smartcar Connect's consent page (connect.py brings the user's
id back), give the Application Management Token, create the Dashboard webhook for the
callback URL shown (Home Assistant finds it by that URL), then pick the vehicles to
subscribe to it.

Webhook only: the token, the callback URL and the Dashboard steps; vehicles are connected
and subscribed elsewhere.

Both paths end in the same optional wait for Smartcar's VERIFY: the webhook is live while
the flow shows the URL, so the user can press "Verify" in the Smartcar Dashboard and watch
Home Assistant confirm it, before the entry even exists.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from typing import TYPE_CHECKING, Any, Final

from aiohttp import hdrs

from homeassistant.components.webhook import (
    async_generate_id,
    async_register,
    async_unregister,
)
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import (
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_NAME,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .account import (
    application_token,
    entry_client,
    is_connect_v2,
    is_connect_v3,
    listed_vehicles,
    smartcar_client,
    v3_data,
)
from .api import (
    DEFAULT_SCOPES,
    SCOPES,
    SmartcarAccountError,
    SmartcarAuthError,
    SmartcarBillingError,
    SmartcarClient,
    SmartcarCompatibilityError,
    SmartcarError,
    SmartcarNotFoundError,
    SmartcarPermissionError,
    SmartcarRateLimitError,
    SmartcarVehicle,
)
from .callback_url import (
    CloudNotConnectedError,
    NoPublicURLError,
    async_create_callback_url,
    async_delete_cloudhook,
    callback_url,
)
from .compat import vol
from .connect import async_begin, async_end, authorize_url, redirect_uri
from .const import (
    CONF_APPLICATION_ID,
    CONF_CLOUDHOOK_URL,
    CONF_ERROR_CLOUDHOOK_URL,
    CONF_ERROR_WEBHOOK_ID,
    CONF_MANAGEMENT_TOKEN,
    CONF_SCOPES,
    CONF_SMARTCAR_WEBHOOK_ID,
    CONF_STALE_AFTER,
    CONF_USER_ID,
    CONF_VEHICLES,
    DASHBOARD_URL,
    DEFAULT_STALE_AFTER,
    DOMAIN,
    LOGGER,
    VERIFY_TIMEOUT,
)
from .signals import display_make
from .webhook import SmartcarWebhook

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from . import SmartcarConfigEntry
    from .protocol import Event
    from .runtime import Delivery

DEFAULT_NAME: Final = "Smartcar"
CONF_ERROR_CALLBACK: Final = "error_callback"
MAX_STALE_HOURS: Final = 168
# Management tokens are UUID-like; accept any plausible token, refuse obvious mistakes
# (an empty field, a pasted URL or sentence, stray inner whitespace).
TOKEN_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~+/=-]{15,255}")
TOKEN_FIELD: Final = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
# Dashboard webhook ids are UUIDs; accept any id-like string, refuse URLs and sentences.
WEBHOOK_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{7,127}")
# The Application ID (Dashboard > Configuration > Application details) is documented as a
# UUID; "app_…" ids were seen too, so any id-like value is taken, except the API client id
# ("client_…"), the likeliest mix-up.
APPLICATION_ID_PATTERN: Final = re.compile(r"(?!client_)[A-Za-z0-9][A-Za-z0-9_-]{7,127}")
# API credentials: the client id looks like "client_…"; both are one word.
CREDENTIAL_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~+/=-]{7,255}")
CONNECT_KEYS: Final = (CONF_APPLICATION_ID, CONF_CLIENT_ID, CONF_CLIENT_SECRET)
SCOPES_FIELD: Final = SelectSelector(
    SelectSelectorConfig(
        options=list(SCOPES),
        multiple=True,
        mode=SelectSelectorMode.LIST,
        translation_key=CONF_SCOPES,
    )
)


def vehicle_label(vehicle: SmartcarVehicle) -> str:
    """How the flow names a vehicle: "Kia EV6 2023 (VIN KNA…)", or with its id's start."""
    year = str(vehicle.year) if vehicle.year else None
    name = " ".join(part for part in (display_make(vehicle.make), vehicle.model, year) if part)
    tag = f"VIN {vehicle.vin}" if vehicle.vin else vehicle.id[:8]
    return f"{name or 'Vehicle'} ({tag})"


def _error_key(err: SmartcarError) -> str:
    """The translated error for a failed Smartcar call."""
    for kind, key in (
        (SmartcarAuthError, "invalid_auth"),
        (SmartcarPermissionError, "permission_missing"),
        (SmartcarRateLimitError, "rate_limited"),
        (SmartcarBillingError, "billing_limit"),
        (SmartcarCompatibilityError, "not_compatible"),
        (SmartcarAccountError, "account_issue"),
        (SmartcarNotFoundError, "webhook_not_found"),
    ):
        if isinstance(err, kind):
            return key
    return "cannot_connect"


def token_unique_id(token: str) -> str:
    """One webhook-only entry per Smartcar application, identified by a hash of its token."""
    return hashlib.sha256(f"smartcar-amt:{token}".encode()).hexdigest()[:32]


def connect_unique_id(application_id: str, user_id: str) -> str:
    """One Smartcar Connect entry per user of an application (several users, one token)."""
    return f"{application_id.lower()}_{user_id}"


def unique_id_with_token(entry: ConfigEntry, token: str) -> str | None:
    """An entry's unique id once its token changed (v3 Connect entries: their user's)."""
    return entry.unique_id if is_connect_v3(entry.data) else token_unique_id(token)


async def async_check_credentials(
    hass: HomeAssistant, user_input: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """The cleaned API v3 credentials and the errors to show, by field.

    The Application ID's shape is checked (it is never sent to the API); the client id and
    secret by asking Smartcar for a token with them.
    """
    values = {key: str(user_input.get(key, "")).strip() for key in CONNECT_KEYS}
    errors: dict[str, str] = {}
    if not APPLICATION_ID_PATTERN.fullmatch(values[CONF_APPLICATION_ID]):
        errors[CONF_APPLICATION_ID] = "invalid_application_id"
    for key in (CONF_CLIENT_ID, CONF_CLIENT_SECRET):
        if not CREDENTIAL_PATTERN.fullmatch(values[key]):
            errors[key] = f"invalid_{key}"
    if errors:
        return values, errors
    try:
        await application_token(hass, values)()
    except SmartcarAuthError as err:
        LOGGER.warning("Smartcar refused the API credentials: %s", err)
        return values, {CONF_CLIENT_SECRET: "invalid_client"}
    except SmartcarError as err:
        LOGGER.warning("Cannot reach Smartcar's token service: %s", err)
        return values, {"base": "cannot_connect"}
    return values, {}


def credentials_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """The three API v3 credentials, the secret hidden."""
    return vol.Schema(
        {
            vol.Required(
                CONF_APPLICATION_ID, default=str(defaults.get(CONF_APPLICATION_ID, ""))
            ): str,
            vol.Required(CONF_CLIENT_ID, default=str(defaults.get(CONF_CLIENT_ID, ""))): str,
            vol.Required(CONF_CLIENT_SECRET): TOKEN_FIELD,
        }
    )


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
    """Connect (credentials → consent → token → webhook → vehicles) or webhook only."""

    DOMAIN = DOMAIN
    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing chosen."""
        super().__init__()
        self._name = DEFAULT_NAME
        self._token = ""
        self._webhook_id = ""
        self._url = ""
        self._cloudhook = False
        self._receiver: SetupReceiver | None = None
        self._wait: asyncio.Task[bool] | None = None
        # Smartcar Connect: the permissions, the API credentials, the user who consented.
        self._scopes: list[str] = list(DEFAULT_SCOPES)
        self._credentials: dict[str, str] = {}
        self._user_id = ""
        self._connect_error = ""
        self._smartcar_webhook_id = ""
        # Vehicles the account lists, and those subscribed to the webhook.
        self._listed: dict[str, SmartcarVehicle] = {}
        self._subscribed: dict[str, SmartcarVehicle] = {}
        self._client: SmartcarClient | None = None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Smartcar Connect from Home Assistant, or the webhook only."""
        return self.async_show_menu(step_id="user", menu_options=["connect", "webhook_only"])

    # --- Webhook only -------------------------------------------------------------------

    async def async_step_webhook_only(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a name and the Application Management Token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await self._async_take_application(user_input)
            if not errors:
                return await self.async_step_webhook()
        return self._application_form("webhook_only", user_input, errors)

    async def _async_take_application(self, user_input: dict[str, Any]) -> dict[str, str]:
        """Check the name and token and make the callback URL; return the errors to show."""
        token, error = check_token(self.hass, user_input[CONF_MANAGEMENT_TOKEN])
        if error == "invalid_token":
            return {CONF_MANAGEMENT_TOKEN: error}
        if not self._user_id:
            # Webhook only: one entry per Smartcar application, known by its token (a
            # Connect entry is one per user, set when the user consented).
            await self.async_set_unique_id(token_unique_id(token))
            self._abort_if_unique_id_configured()
        webhook_id = async_generate_id()
        try:
            url, cloudhook = await async_create_callback_url(self.hass, webhook_id)
        except CloudNotConnectedError:
            return {"base": "cloud_not_connected"}
        except NoPublicURLError:
            return {"base": "no_public_url"}
        self._name = user_input[CONF_NAME].strip() or DEFAULT_NAME
        self._token, self._webhook_id = token, webhook_id
        self._url, self._cloudhook = url, cloudhook
        return {}

    def _application_form(
        self, step_id: str, user_input: dict[str, Any] | None, errors: dict[str, str]
    ) -> ConfigFlowResult:
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME, default=DEFAULT_NAME): str,
                vol.Required(CONF_MANAGEMENT_TOKEN): TOKEN_FIELD,
            }
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders={"dashboard_url": DASHBOARD_URL},
        )

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the callback URL and the Dashboard steps; the webhook answers from now on."""
        self._start_listening()
        return self.async_show_menu(
            step_id="webhook",
            menu_options=["wait_verify", "finish"],
            description_placeholders=self._placeholders(),
        )

    def _start_listening(self) -> None:
        """Open the setup webhook (once), so that Smartcar's VERIFY gets its answer."""
        if self._receiver is not None:
            return
        self._receiver = SetupReceiver(self._token)
        async_register(
            self.hass,
            DOMAIN,
            f"{self._name} (setup)",
            self._webhook_id,
            SmartcarWebhook(self._receiver),
            allowed_methods=[hdrs.METH_POST, hdrs.METH_GET],
        )

    # --- Smartcar Connect ---------------------------------------------------------------

    async def async_step_connect(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the permissions to ask for, then give the application's credentials."""
        if user_input is not None:
            self._scopes = sorted(user_input[CONF_SCOPES])
            return await self.async_step_credentials()
        return self._scopes_form("connect")

    def _scopes_form(self, step_id: str) -> ConfigFlowResult:
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
            if not errors:
                if self.source == SOURCE_REAUTH:
                    return self._async_update_credentials(self._get_reauth_entry())
                return await self.async_step_authorize()
        return self.async_show_form(
            step_id="credentials",
            data_schema=credentials_schema(self._credentials),
            errors=errors,
            description_placeholders={
                "dashboard_url": DASHBOARD_URL,
                "redirect_url": redirect or "-",
            },
        )

    async def async_step_authorize(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Smartcar Connect's consent page; its redirect (connect.py) brings the user id."""
        if user_input is None:
            redirect = redirect_uri(self.hass)
            if redirect is None:
                return self.async_abort(reason="no_url_available")
            state = async_begin(self.hass, self.flow_id)
            return self.async_external_step(
                step_id="authorize",
                url=authorize_url(
                    self._credentials[CONF_APPLICATION_ID], redirect, self._scopes, state
                ),
            )
        self._user_id = str(user_input.get(CONF_USER_ID, ""))
        self._connect_error = str(user_input.get("error", ""))
        return self.async_external_step_done(next_step_id="authorized")

    async def async_step_authorized(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Back from Connect: the user who consented, or why not."""
        if not self._user_id:
            LOGGER.warning(
                "Smartcar Connect came back without a user (%s)", self._connect_error or "-"
            )
            return self.async_abort(
                reason="connect_refused"
                if self._connect_error == "access_denied"
                else "connect_failed",
                description_placeholders={"error": self._connect_error or "-"},
            )
        self._client = smartcar_client(
            self.hass, {**self._credentials, CONF_USER_ID: self._user_id, CONF_SCOPES: self._scopes}
        )
        if self.source == SOURCE_RECONFIGURE:
            entry = self._get_reconfigure_entry()
            if is_connect_v3(entry.data) and entry.data.get(CONF_USER_ID) != self._user_id:
                return self.async_abort(reason="wrong_account")
            return self._async_update_credentials(
                entry,
                unique_id=connect_unique_id(self._credentials[CONF_APPLICATION_ID], self._user_id),
                user_id=self._user_id,
                scopes=self._scopes,
            )
        await self.async_set_unique_id(
            connect_unique_id(self._credentials[CONF_APPLICATION_ID], self._user_id)
        )
        self._abort_if_unique_id_configured()
        return await self.async_step_application()

    @callback
    def _async_update_credentials(
        self,
        entry: ConfigEntry,
        *,
        unique_id: str | None = None,
        user_id: str | None = None,
        scopes: list[str] | None = None,
    ) -> ConfigFlowResult:
        """Store new credentials (and consent) in an entry, in place, and reload it.

        An entry made on API v2 loses its OAuth sign-in here: it is on v3 from now on, with
        the same webhook, devices and entities.
        """
        data = v3_data(entry.data, self._credentials)
        if user_id is not None:
            data[CONF_USER_ID] = user_id
        if scopes is not None:
            data[CONF_SCOPES] = scopes
        # The reason is named: from 2026.11 Home Assistant words an unnamed one itself.
        return self.async_update_reload_and_abort(
            entry,
            unique_id=unique_id or entry.unique_id,
            data=data,
            reason="reauth_successful" if self.source == SOURCE_REAUTH else "connect_updated",
        )

    async def async_step_application(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the Smartcar application and give its Application Management Token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await self._async_take_application(user_input)
            if not errors:
                return await self.async_step_smartcar_webhook()
        return self._application_form("application", user_input, errors)

    async def async_step_smartcar_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the callback URL; find the Dashboard webhook that calls it (or take its id)."""
        self._start_listening()
        errors: dict[str, str] = {}
        if user_input is not None:
            webhook_id = str(user_input.get(CONF_SMARTCAR_WEBHOOK_ID, "")).strip()
            if not webhook_id:
                errors = await self._async_find_webhook()
            elif not WEBHOOK_ID_PATTERN.fullmatch(webhook_id):
                errors[CONF_SMARTCAR_WEBHOOK_ID] = "invalid_webhook_id"
            else:
                self._smartcar_webhook_id = webhook_id
            if not errors:
                errors = await self._async_list_vehicles()
            if not errors:
                return await self.async_step_vehicles()
        return self._smartcar_webhook_form(errors)

    async def _async_find_webhook(self) -> dict[str, str]:
        """The Dashboard webhook whose callback URI is this entry's URL; the errors to show."""
        assert self._client is not None  # noqa: S101 (set when the user consented)
        try:
            webhook_id = await self._client.async_find_webhook(self._url)
        except SmartcarError as err:
            LOGGER.warning("Cannot list the Smartcar webhooks: %s", err)
            return {"base": _error_key(err)}
        if webhook_id is None:
            return {"base": "webhook_not_found_by_url"}
        self._smartcar_webhook_id = webhook_id
        return {}

    def _smartcar_webhook_form(self, errors: dict[str, str]) -> ConfigFlowResult:
        schema = vol.Schema({vol.Optional(CONF_SMARTCAR_WEBHOOK_ID): str})
        return self.async_show_form(
            step_id="smartcar_webhook",
            data_schema=self.add_suggested_values_to_schema(
                schema, {CONF_SMARTCAR_WEBHOOK_ID: self._smartcar_webhook_id}
            ),
            errors=errors,
            description_placeholders=self._placeholders(),
        )

    async def _async_list_vehicles(self) -> dict[str, str]:
        """List the account's vehicles; return the errors to show."""
        assert self._client is not None  # noqa: S101 (set when the user consented)
        try:
            vehicles = await self._client.async_list_vehicles()
        except SmartcarError as err:
            LOGGER.warning("Cannot list the Smartcar vehicles: %s", err)
            return {"base": _error_key(err)}
        if not vehicles:
            return {"base": "no_vehicles"}
        self._listed = {vehicle.id: vehicle for vehicle in vehicles}
        return {}

    async def async_step_vehicles(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the connected vehicles; subscribe the chosen ones to the webhook."""
        errors: dict[str, str] = {}
        if user_input is not None:
            chosen = [self._listed[vehicle_id] for vehicle_id in user_input[CONF_VEHICLES]]
            errors = await self._async_subscribe(chosen)
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
        placeholders: dict[str, str] | None = None,
    ) -> ConfigFlowResult:
        """Every listed vehicle to choose (all at first), and those subscribed already."""
        chosen = user_input[CONF_VEHICLES] if user_input is not None else list(self._listed)
        field = SelectSelector(
            SelectSelectorConfig(
                options=[
                    SelectOptionDict(value=vehicle.id, label=vehicle_label(vehicle))
                    for vehicle in self._listed.values()
                ],
                multiple=True,
                mode=SelectSelectorMode.LIST,
            )
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=vol.Schema({vol.Optional(CONF_VEHICLES, default=chosen): field}),
            errors=errors,
            description_placeholders={
                **self._placeholders(),
                "count": str(len(self._listed)),
                "subscribed": ", ".join(map(vehicle_label, self._subscribed.values())) or "-",
                **(placeholders or {}),
            },
        )

    async def _async_subscribe(self, vehicles: Iterable[SmartcarVehicle]) -> dict[str, str]:
        """Subscribe each vehicle not subscribed yet; stop at the first failure.

        Return the errors to show; a new submit goes on from there (the ones done stay
        done, and the form lists them).
        """
        assert self._client is not None  # noqa: S101 (set by the consent or the refresh)
        for vehicle in vehicles:
            if vehicle.id in self._subscribed:
                continue
            try:
                await self._client.async_subscribe(vehicle.id, self._smartcar_webhook_id)
            except SmartcarError as err:
                LOGGER.warning("Cannot subscribe %s: %s", vehicle_label(vehicle), err)
                return {"base": _error_key(err)}
            self._subscribed[vehicle.id] = vehicle
        return {}

    async def async_step_subscribed(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The vehicles are subscribed: wait for Smartcar's VERIFY or finish."""
        return self.async_show_menu(
            step_id="subscribed",
            menu_options=["wait_verify", "finish"],
            description_placeholders={
                **self._placeholders(),
                "count": str(len(self._subscribed)),
            },
        )

    # --- Verification and the entry -----------------------------------------------------

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
        data: dict[str, Any] = {
            CONF_MANAGEMENT_TOKEN: self._token,
            CONF_WEBHOOK_ID: self._webhook_id,
        }
        if self._cloudhook:
            data[CONF_CLOUDHOOK_URL] = self._url
        if self._user_id:
            data |= self._credentials | {
                CONF_USER_ID: self._user_id,
                CONF_SCOPES: self._scopes,
                CONF_SMARTCAR_WEBHOOK_ID: self._smartcar_webhook_id,
                CONF_VEHICLES: [vehicle.as_dict() for vehicle in self._subscribed.values()],
            }
            description = f"connect_{description}"
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
        """Close the setup webhook and forget Connect's state when the flow ends."""
        self._stop_listening()
        async_end(self.hass, self.flow_id)

    # --- Reauth and reconfigure ---------------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Smartcar refused the API credentials: take them again for the same entry."""
        self._credentials = {key: str(entry_data.get(key, "")) for key in CONNECT_KEYS[:2]}
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

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Connect entries: refresh vehicles, sign in again or replace the token."""
        entry = self._get_reconfigure_entry()
        if is_connect_v2(entry.data):
            return await self.async_step_reconfigure_v2()
        if not is_connect_v3(entry.data):
            return await self._async_token_step("reconfigure", user_input)
        return await self.async_step_reconfigure_connect()

    async def async_step_reconfigure_connect(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """What to change in a Connect entry."""
        entry = self._get_reconfigure_entry()
        self._scopes = list(entry.data.get(CONF_SCOPES, DEFAULT_SCOPES))
        self._credentials = {key: str(entry.data[key]) for key in CONNECT_KEYS}
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
        entry = self._get_reconfigure_entry()
        self._scopes = list(entry.data.get(CONF_SCOPES, DEFAULT_SCOPES))
        return self.async_show_menu(
            step_id="reconfigure_v2", menu_options=["connect_v3", "reconfigure_token"]
        )

    async def async_step_connect_v3(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move to API v3: new credentials and Connect's consent; the rest stays."""
        return await self.async_step_credentials(user_input)

    async def async_step_replace_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """New API credentials for a v3 entry (after rotating the secret in the Dashboard)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            self._credentials, errors = await async_check_credentials(self.hass, user_input)
            if not errors:
                return self._async_update_credentials(entry)
        return self.async_show_form(
            step_id="replace_credentials",
            data_schema=credentials_schema(self._credentials),
            errors=errors,
            description_placeholders={"dashboard_url": DASHBOARD_URL},
        )

    async def async_step_reconfigure_token(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Replace the Application Management Token of a Connect entry."""
        return await self._async_token_step("reconfigure_token", user_input)

    async def _async_token_step(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Replace the token (after rotating it in the Dashboard); devices and entities stay."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            token, error = check_token(self.hass, user_input[CONF_MANAGEMENT_TOKEN], entry.entry_id)
            if error is None:
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=unique_id_with_token(entry, token),
                    data_updates={CONF_MANAGEMENT_TOKEN: token},
                    reason="reconfigure_successful",
                )
            errors[CONF_MANAGEMENT_TOKEN] = error
        return self.async_show_form(
            step_id=step_id,
            data_schema=vol.Schema({vol.Required(CONF_MANAGEMENT_TOKEN): TOKEN_FIELD}),
            errors=errors,
            description_placeholders={
                "webhook_url": callback_url(self.hass, entry) or "-",
                "dashboard_url": DASHBOARD_URL,
            },
        )

    async def async_step_sign_in(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Grant access again on Connect: other permissions, the same user and entry."""
        if user_input is not None:
            self._scopes = sorted(user_input[CONF_SCOPES])
            return await self.async_step_authorize()
        return self._scopes_form("sign_in")

    async def async_step_refresh_vehicles(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """List the account's vehicles again: subscribe new ones, drop the others."""
        entry = self._get_reconfigure_entry()
        known = {vehicle.id: vehicle for vehicle in listed_vehicles(entry)}
        if self._client is None:
            try:
                self._client = entry_client(self.hass, entry)
                vehicles = await self._client.async_list_vehicles()
            except SmartcarAuthError as err:
                # New credentials right here (a reauth flow cannot start while this runs).
                LOGGER.warning("Smartcar refused the credentials of %s: %s", entry.title, err)
                self._client = None
                return self.async_show_form(
                    step_id="replace_credentials",
                    data_schema=credentials_schema(self._credentials),
                    errors={"base": "invalid_auth"},
                    description_placeholders={"dashboard_url": DASHBOARD_URL},
                )
            except SmartcarRateLimitError:
                return self.async_abort(reason="rate_limited")
            except SmartcarError as err:
                LOGGER.warning("Cannot list the Smartcar vehicles: %s", err)
                return self.async_abort(reason="cannot_connect")
            self._listed = {vehicle.id: vehicle for vehicle in vehicles}
            self._smartcar_webhook_id = entry.data[CONF_SMARTCAR_WEBHOOK_ID]
            self._subscribed = {
                vehicle_id: vehicle
                for vehicle_id, vehicle in self._listed.items()
                if vehicle_id in known
            }
        errors: dict[str, str] = {}
        if user_input is not None:
            chosen = [self._listed[vehicle_id] for vehicle_id in user_input[CONF_VEHICLES]]
            errors = await self._async_subscribe(chosen)
            if not errors:
                errors = await self._async_unsubscribe(
                    entry, [v for v in self._subscribed.values() if v not in chosen]
                )
            if not errors:
                self._remove_devices(entry, known.keys() - self._subscribed.keys())
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={CONF_VEHICLES: [v.as_dict() for v in self._subscribed.values()]},
                    reason="vehicles_refreshed",
                )
        gone = [vehicle_label(known[v]) for v in known.keys() - self._listed.keys()]
        new = [vehicle_label(self._listed[v]) for v in self._listed.keys() - known.keys()]
        return self._vehicles_form(
            "refresh_vehicles",
            user_input,
            errors,
            {"new": ", ".join(sorted(new)) or "-", "gone": ", ".join(sorted(gone)) or "-"},
        )

    async def _async_unsubscribe(
        self, entry: ConfigEntry, vehicles: Iterable[SmartcarVehicle]
    ) -> dict[str, str]:
        """Unsubscribe vehicles the user no longer wants (with the management token)."""
        assert self._client is not None  # noqa: S101 (set by the refresh)
        for vehicle in vehicles:
            try:
                await self._client.async_unsubscribe(vehicle.id, self._smartcar_webhook_id)
            except SmartcarError as err:
                LOGGER.warning("Cannot unsubscribe %s: %s", vehicle_label(vehicle), err)
                return {"base": _error_key(err)}
            del self._subscribed[vehicle.id]
        return {}

    def _remove_devices(self, entry: SmartcarConfigEntry, vehicle_ids: Iterable[str]) -> None:
        """Remove the devices (and stored values) of vehicles gone from the entry."""
        registry = dr.async_get(self.hass)
        gone = {(DOMAIN, vehicle_id) for vehicle_id in vehicle_ids}
        if entry.state is ConfigEntryState.LOADED:
            for _, vehicle_id in gone:
                entry.runtime_data.async_forget_vehicle(vehicle_id)
        # The entry's own devices: identifiers are unique per entry (Home Assistant 2026.8).
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
            if device.identifiers & gone:
                registry.async_remove_device(device.id)

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: SmartcarConfigEntry) -> SmartcarOptionsFlow:
        """Options: the reporting timeout and a separate error callback URL."""
        return SmartcarOptionsFlow()


def _is_stale_after(hours: Any) -> bool:
    """Whether a reporting timeout is a whole number of hours from 1 to a week."""
    return isinstance(hours, int | float) and hours == int(hours) and 1 <= hours <= MAX_STALE_HOURS


class SmartcarOptionsFlow(OptionsFlowWithReload):
    """The "reporting" timeout, and an optional second URL for VEHICLE_ERROR only."""

    def __init__(self) -> None:
        """Nothing chosen yet."""
        self._options: dict[str, Any] = {}

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
