"""The callback URLs that flows make, and the webhook that answers before the entry exists.

A config flow makes the entry's callback URL when it has the token, and the webhook
answers Smartcar's VERIFY while the flow shows the URL, so that the user can press Verify
in the Smartcar Dashboard before the entry even exists. The options flow makes the
separate error callback URL. A cloudhook made for a flow that ends without storing it
(the user closed the dialog) is deleted: nothing else knows it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import hdrs

from homeassistant.components.webhook import async_generate_id, async_register, async_unregister
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback

from .callback_url import (
    CloudNotConnectedError,
    NoPublicURLError,
    async_create_callback_url,
    async_delete_cloudhook,
)
from .const import CONF_CLOUDHOOK_URL, DOMAIN, VERIFY_TIMEOUT
from .webhook import SmartcarWebhook

if TYPE_CHECKING:
    from .protocol import Event
    from .runtime import Delivery


@dataclass(frozen=True, slots=True)
class NewCallbackURL:
    """A new webhook id and the URL Smartcar calls for it: a cloudhook, or the public URL."""

    webhook_id: str
    url: str
    cloudhook: bool

    def entry_data(self) -> dict[str, Any]:
        """The webhook id as an entry keeps it, and the cloudhook's URL if it is one."""
        if self.cloudhook:
            return {CONF_WEBHOOK_ID: self.webhook_id, CONF_CLOUDHOOK_URL: self.url}
        return {CONF_WEBHOOK_ID: self.webhook_id}

    @callback
    def async_discard(self, hass: HomeAssistant) -> None:
        """Delete the cloudhook of a URL that nothing stored (a public URL needs nothing)."""
        if self.cloudhook:
            hass.async_create_task(
                async_delete_cloudhook(hass, self.webhook_id), "smartcar unused cloudhook"
            )


async def async_new_callback_url(
    hass: HomeAssistant,
) -> tuple[NewCallbackURL | None, dict[str, str]]:
    """A callback URL for a new webhook id, or the translated error why there is none."""
    webhook_id = async_generate_id()
    try:
        url, cloudhook = await async_create_callback_url(hass, webhook_id)
    except CloudNotConnectedError:
        return None, {"base": "cloud_not_connected"}
    except NoPublicURLError:
        return None, {"base": "no_public_url"}
    return NewCallbackURL(webhook_id, url, cloudhook), {}


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


class SetupWebhook:
    """A new entry's webhook while its config flow runs; registered when made.

    It is closed when the entry is created (the entry registers the same webhook id for
    good) or when the flow ends; a cloudhook that no entry took is then deleted.
    """

    def __init__(
        self, hass: HomeAssistant, callback_url: NewCallbackURL, token: str, name: str
    ) -> None:
        """Answer VERIFY at ``callback_url`` with ``token``, as the setup webhook of ``name``."""
        self._hass = hass
        self.callback_url = callback_url
        self._receiver = SetupReceiver(token)
        self._listening = True
        async_register(
            hass,
            DOMAIN,
            f"{name} (setup)",
            callback_url.webhook_id,
            SmartcarWebhook(self._receiver),
            allowed_methods=[hdrs.METH_POST, hdrs.METH_GET],
        )

    async def async_wait_verified(self) -> bool:
        """Whether Smartcar's VERIFY arrives within VERIFY_TIMEOUT."""
        try:
            async with asyncio.timeout(VERIFY_TIMEOUT.total_seconds()):
                await self._receiver.verified.wait()
        except TimeoutError:
            return False
        return True

    @callback
    def async_close(self) -> None:
        """Stop answering (once)."""
        if self._listening:
            async_unregister(self._hass, self.callback_url.webhook_id)
            self._listening = False

    @callback
    def async_flow_ended(self) -> None:
        """The flow ended: stop answering, and delete a cloudhook that no entry took."""
        self.async_close()
        webhook_id = self.callback_url.webhook_id
        if not any(
            entry.data.get(CONF_WEBHOOK_ID) == webhook_id
            for entry in self._hass.config_entries.async_entries(DOMAIN)
        ):
            self.callback_url.async_discard(self._hass)
