"""Application credentials: the client id and secret of a Smartcar application."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.application_credentials import (
    AuthorizationServer,
    ClientCredential,
)
from homeassistant.helpers.config_entry_oauth2_flow import MY_AUTH_CALLBACK_PATH

from .api import AUTHORIZE_URL, TOKEN_URL
from .const import DASHBOARD_URL
from .oauth import SmartcarOAuth2Implementation

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.config_entry_oauth2_flow import AbstractOAuth2Implementation


async def async_get_authorization_server(hass: HomeAssistant) -> AuthorizationServer:
    """Smartcar Connect's authorize and token endpoints."""
    return AuthorizationServer(authorize_url=AUTHORIZE_URL, token_url=TOKEN_URL)


async def async_get_auth_implementation(
    hass: HomeAssistant, auth_domain: str, credential: ClientCredential
) -> AbstractOAuth2Implementation:
    """Sign in the way Smartcar wants (Basic auth, permissions, live mode)."""
    return SmartcarOAuth2Implementation(
        hass, auth_domain, credential, await async_get_authorization_server(hass)
    )


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Where to find the credentials, and the redirect URI to register."""
    return {"dashboard_url": DASHBOARD_URL, "redirect_url": MY_AUTH_CALLBACK_PATH}
