"""What identifies a Smartcar entry for good, and the migration to ids a new token keeps.

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
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Final

from homeassistant.const import CONF_WEBHOOK_ID

from .account import is_connect_v3

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

VERSION: Final = 1
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
    """Give an entry of minor version 1 the id that a new token does not change.

    Connect entries on API v3 keep theirs. An entry made by a newer major version of the
    integration is not set up (False); one of a newer minor version is fine as it is.
    """
    if entry.version > VERSION:
        return False
    if entry.minor_version < MINOR_VERSION:
        unique_id = (
            entry.unique_id
            if is_connect_v3(entry.data)
            else webhook_unique_id(entry.data[CONF_WEBHOOK_ID])
        )
        hass.config_entries.async_update_entry(
            entry, unique_id=unique_id, minor_version=MINOR_VERSION
        )
    return True
