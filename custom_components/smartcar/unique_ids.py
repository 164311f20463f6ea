"""What identifies a Smartcar entry for good, and the migration of older entries to it.

A Smartcar Connect entry is one user of one Smartcar application: the Application ID and
the user's id never change.

A webhook-only entry knows its application only by the Application Management Token, which
the user rotates. Smartcar's API v3 does not take that token as a credential and no claim
in it names the application, so nothing the entry holds identifies the application for
good. What the entry is, for its whole life, is the callback URL it gave Smartcar (a new
token keeps it): its id is derived from its webhook id. Whether an application is set up
already is told by the token it has now (credentials.token_in_use). Entries made on API v2
are known the same way until they move to v3.

Up to minor version 1 a webhook-only or v2 entry's id was a hash of its token, and changed
with it.

Version 3 is above the other Smartcar integration's entries (wbyoung/smartcar, version 2,
same domain), so that Home Assistant hands them to this migration: Home Assistant 2026.10
calls no migration for an entry of a version above the integration's, and an entry of version
3 is one the other integration refuses ("prevent rollbacks"), so a downgrade stops cleanly.
Our own entries were version 1; nothing of ours had version 2.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import CONF_WEBHOOK_ID

from .account import is_connect_v3
from .const import LOGGER
from .other_integration import OTHER_VERSION, is_other_entry
from .switch_from_other import async_take_over

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

VERSION: Final = 3
MINOR_VERSION: Final = 2


def connect_unique_id(application_id: str, user_id: str) -> str:
    """One Smartcar Connect entry per user of an application (several users, one token)."""
    return f"{application_id.lower()}_{user_id}"


def webhook_unique_id(webhook_id: str) -> str:
    """A webhook-only (or API v2) entry's id: a hash of its webhook id.

    Hashed because the webhook id is the secret part of a callback URL under the external
    URL, and unique ids are shown in places the entry's data is not.
    """
    return hashlib.sha256(f"smartcar-webhook:{webhook_id}".encode()).hexdigest()[:32]


def token_unique_id(token: str) -> str:
    """The id a webhook-only entry had up to minor version 1: a hash of its token."""
    return hashlib.sha256(f"smartcar-amt:{token}".encode()).hexdigest()[:32]


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Bring an entry to version 3: ours of version 1, or the other integration's.

    Ours of minor version 1 get the id that a new token does not change (Connect entries
    on API v3 keep theirs); one of a newer minor version is fine as it is. The other
    integration's entries become ours (switch_from_other.py). An entry of a newer major
    version, or of version 2 not made by the other integration, is not set up (False).
    """
    if entry.version > VERSION:
        return False
    if entry.version == OTHER_VERSION:
        return await _async_switch(hass, entry)
    if CONF_WEBHOOK_ID not in entry.data:
        LOGGER.error(
            "%s was made by a 0.1 release of wbyoung/smartcar: update wbyoung/smartcar to "
            "its latest release and turn its webhooks on, then switch again",
            entry.title,
        )
        return False
    updates: dict[str, Any] = {}
    if entry.minor_version < MINOR_VERSION and not is_connect_v3(entry.data):
        updates["unique_id"] = webhook_unique_id(entry.data[CONF_WEBHOOK_ID])
    hass.config_entries.async_update_entry(
        entry,
        version=VERSION,
        minor_version=max(entry.minor_version, MINOR_VERSION),
        **updates,
    )
    return True


async def _async_switch(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Take over an entry of the other integration, known by its id as our v2 entries are."""
    data = await async_take_over(hass, entry) if is_other_entry(entry.data) else None
    if data is None:
        return False
    hass.config_entries.async_update_entry(
        entry,
        data=data,
        unique_id=webhook_unique_id(data[CONF_WEBHOOK_ID]),
        version=VERSION,
        minor_version=MINOR_VERSION,
    )
    return True
