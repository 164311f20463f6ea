"""Smartcar Connect: the consent page, and the way back to the flow that opened it.

On API v3 there is no per-user token: Connect asks the owner to grant the application
access to their vehicles, then sends the browser to the application's redirect URI with
the user's id (``user_id``) and the ``state`` it was given. Home Assistant's OAuth callback
passes on only ``code`` and ``state``, so the integration serves its own at
``/api/smartcar/callback``, which hands ``user_id`` to the waiting flow.
"""

from __future__ import annotations

from http import HTTPStatus
import re
import secrets
from typing import TYPE_CHECKING, Final
from urllib.parse import urlencode

from aiohttp import web

from homeassistant.components.http import HomeAssistantView
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import UnknownFlow
from homeassistant.helpers.http import KEY_HASS
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util.hass_dict import HassKey

from .api import SCOPE_VEHICLE_INFO
from .api_hosts import AUTHORIZE_URL
from .const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Collection

CALLBACK_PATH: Final = "/api/smartcar/callback"
# Smartcar's user ids are UUIDs; anything id-like is taken, nothing else.
USER_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,127}")
ERROR_NOT_CODE: Final = re.compile(r"[^A-Za-z0-9_.-]")
# The flows waiting for Connect, by the state each was given.
_PENDING: HassKey[dict[str, str]] = HassKey(f"{DOMAIN}_connect")
_PAGE: Final = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Smartcar</title></head><body>"
    "<p>{message}</p><script>window.close()</script></body></html>"
)


def scope_string(scopes: Collection[str]) -> str:
    """Connect's space-separated ``scope``; vehicle info is always asked for."""
    return " ".join(sorted({*scopes, SCOPE_VEHICLE_INFO}))


def redirect_uri(hass: HomeAssistant) -> str | None:
    """The redirect URI to register in the Dashboard: this instance's URL plus the view.

    The owner's browser follows it, so any address it reaches works; an external one
    (or Home Assistant Cloud's) is preferred, as it works away from home too.
    """
    for options in ({"allow_internal": False, "prefer_external": True}, {}):
        try:
            return f"{get_url(hass, **options)}{CALLBACK_PATH}"
        except NoURLAvailableError:
            continue
    return None


def authorize_url(application_id: str, redirect: str, scopes: Collection[str], state: str) -> str:
    """Smartcar Connect's consent page for the application, live vehicles only."""
    query = {
        "response_type": "code",
        "client_id": application_id,
        "redirect_uri": redirect,
        "scope": scope_string(scopes),
        "mode": "live",
        "state": state,
    }
    return f"{AUTHORIZE_URL}?{urlencode(query)}"


@callback
def async_expect_redirect(hass: HomeAssistant, flow_id: str) -> str:
    """Wait for Connect's redirect for a flow; return the ``state`` to send with it."""
    if _PENDING not in hass.data:
        hass.data[_PENDING] = {}
        hass.http.register_view(ConnectCallbackView())
    state = secrets.token_urlsafe(24)
    hass.data[_PENDING][state] = flow_id
    return state


@callback
def async_forget_redirect(hass: HomeAssistant, flow_id: str) -> None:
    """Stop waiting for a flow's redirect (the flow ended, or was abandoned)."""
    pending = hass.data.get(_PENDING, {})
    for state in [state for state, waiting in pending.items() if waiting == flow_id]:
        del pending[state]


class ConnectCallbackView(HomeAssistantView):
    """Where Smartcar Connect sends the owner's browser back: resumes the waiting flow."""

    url = CALLBACK_PATH
    name = "api:smartcar:callback"
    requires_auth = False  # the browser arrives from Smartcar; the state authenticates it

    async def get(self, request: web.Request) -> web.Response:
        """Hand ``user_id`` (or Connect's ``error``) to the flow that is waiting for it."""
        hass = request.app[KEY_HASS]
        state = request.query.get("state", "")
        flow_id = hass.data.get(_PENDING, {}).pop(state, None)
        if flow_id is None:
            return _page(
                "This sign-in is no longer expected. Start again from Home Assistant.",
                HTTPStatus.BAD_REQUEST,
            )
        user_id = request.query.get("user_id", "")
        user_input = {
            "user_id": user_id if USER_ID_PATTERN.fullmatch(user_id) else "",
            # An OAuth error code ("access_denied"); shown in the flow, so code-like only.
            "error": ERROR_NOT_CODE.sub("", request.query.get("error", ""))[:64],
        }
        try:
            await hass.config_entries.flow.async_configure(flow_id=flow_id, user_input=user_input)
        except UnknownFlow:
            return _page(
                "This sign-in is no longer expected. Start again from Home Assistant.",
                HTTPStatus.BAD_REQUEST,
            )
        if not user_input["user_id"]:
            return _page(
                "Smartcar Connect did not grant access. Close this window: Home Assistant "
                "says what to do next."
            )
        return _page("Done. You can close this window and go back to Home Assistant.")


def _page(message: str, status: int = HTTPStatus.OK) -> web.Response:
    return web.Response(text=_PAGE.format(message=message), status=status, content_type="text/html")
