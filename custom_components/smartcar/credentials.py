"""What a Smartcar entry is set up with, as the flows ask for it and check it.

The Application Management Token signs every delivery; Smartcar Connect entries also keep
their application's API v3 credentials. The config, reconfigure and repair flows share
these fields, forms and checks, so each mistake gets the same translated error everywhere.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType

from .account import application_token, is_connect_v3
from .api_errors import SmartcarAuthError, SmartcarError
from .compat import vol
from .const import CONF_APPLICATION_ID, CONF_MANAGEMENT_TOKEN, DOMAIN, LOGGER

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

# Management tokens are UUID-like; accept any plausible token, refuse obvious mistakes
# (an empty field, a pasted URL or sentence, stray inner whitespace).
TOKEN_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~+/=-]{15,255}")
SECRET_FIELD: Final = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
# The form that replaces an entry's token (reconfigure and the signature repair).
TOKEN_SCHEMA: Final = vol.Schema({vol.Required(CONF_MANAGEMENT_TOKEN): SECRET_FIELD})
# The Application ID (Dashboard > Configuration > Application details) is documented as a
# UUID; "app_…" ids were seen too, so any id-like value is taken, except the API client id
# ("client_…"), the likeliest mix-up.
APPLICATION_ID_PATTERN: Final = re.compile(r"(?!client_)[A-Za-z0-9][A-Za-z0-9_-]{7,127}")
# API credentials: the client id looks like "client_…"; both are one word.
CREDENTIAL_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~+/=-]{7,255}")
CREDENTIAL_KEYS: Final = (CONF_APPLICATION_ID, CONF_CLIENT_ID, CONF_CLIENT_SECRET)


def checked_token(user_input: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """The token from a form, cleaned, and the errors to show for it, by field."""
    token = str(user_input[CONF_MANAGEMENT_TOKEN]).strip()
    if not TOKEN_PATTERN.fullmatch(token):
        return token, {CONF_MANAGEMENT_TOKEN: "invalid_token"}
    return token, {}


def token_in_use(hass: HomeAssistant, token: str, entry_id: str | None = None) -> bool:
    """Whether another entry known by its token (webhook only, or made on API v2) has it.

    One such entry per Smartcar application; a Connect entry is one per user, and several
    users of an application share its token.
    """
    return any(
        entry.entry_id != entry_id
        and not is_connect_v3(entry.data)
        and entry.data.get(CONF_MANAGEMENT_TOKEN) == token
        for entry in hass.config_entries.async_entries(DOMAIN)
    )


def checked_replacement_token(
    hass: HomeAssistant, entry: ConfigEntry, user_input: Mapping[str, Any]
) -> tuple[str, dict[str, str]]:
    """The new token for an entry (TOKEN_SCHEMA's form) and the errors to show for it."""
    token, errors = checked_token(user_input)
    if not errors and token_in_use(hass, token, entry.entry_id):
        errors = {CONF_MANAGEMENT_TOKEN: "token_in_use"}
    return token, errors


def stored_credentials(data: Mapping[str, Any]) -> dict[str, str]:
    """The API v3 credentials in an entry's data (empty strings where there are none)."""
    return {key: str(data.get(key, "")) for key in CREDENTIAL_KEYS}


async def async_check_credentials(
    hass: HomeAssistant, user_input: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """The cleaned API v3 credentials and the errors to show, by field.

    The Application ID's shape is checked (it is never sent to the API); the client id and
    secret by asking Smartcar for a token with them.
    """
    values = {key: str(user_input.get(key, "")).strip() for key in CREDENTIAL_KEYS}
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
    """The three API v3 credentials; the ids filled in from ``defaults``, the secret never."""
    return vol.Schema(
        {
            vol.Required(
                CONF_APPLICATION_ID, default=str(defaults.get(CONF_APPLICATION_ID, ""))
            ): str,
            vol.Required(CONF_CLIENT_ID, default=str(defaults.get(CONF_CLIENT_ID, ""))): str,
            vol.Required(CONF_CLIENT_SECRET): SECRET_FIELD,
        }
    )
