"""Constants of the Smartcar integration."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final

DOMAIN: Final = "smartcar"
LOGGER = logging.getLogger(__package__)

CONF_MANAGEMENT_TOKEN: Final = "management_token"
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"
CONF_STALE_AFTER: Final = "stale_after_hours"

DEFAULT_STALE_AFTER: Final = timedelta(hours=24)

# Smartcar's payload limit is 50 KB; anything larger is refused before it is parsed.
MAX_BODY_BYTES: Final = 64 * 1024
# Values are saved at most this long after they arrive (a hard kill loses no more).
SAVE_DELAY_SECONDS: Final = 10
STORAGE_VERSION: Final = 1
RECENT_DELIVERIES: Final = 20

DASHBOARD_URL: Final = "https://dashboard.smartcar.com"
