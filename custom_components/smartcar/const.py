"""Constants of the Smartcar integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "smartcar"
LOGGER = logging.getLogger(__package__)

CONF_MANAGEMENT_TOKEN: Final = "management_token"
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"
CONF_STALE_AFTER: Final = "stale_after_hours"
CONF_ERROR_WEBHOOK_ID: Final = "error_webhook_id"
CONF_ERROR_CLOUDHOOK_URL: Final = "error_cloudhook_url"

DEFAULT_STALE_AFTER: Final = timedelta(hours=24)
# How long the config flow waits for Smartcar's VERIFY before offering to finish anyway.
VERIFY_TIMEOUT: Final = timedelta(minutes=10)

# Smartcar's payload limit is 50 KB; anything larger is refused before it is parsed.
MAX_BODY_BYTES: Final = 64 * 1024
# Values are saved at most this long after they arrive (a hard kill loses no more).
SAVE_DELAY_SECONDS: Final = 10
STORAGE_VERSION: Final = 1
RECENT_DELIVERIES: Final = 20

DASHBOARD_URL: Final = "https://dashboard.smartcar.com"

# Fired on Home Assistant's bus for every accepted delivery and vehicle error.
EVENT_DELIVERY: Final = "smartcar_delivery"
# Signature failures in a row before the user is told (Smartcar retries each event 3 times).
SIGNATURE_FAILURES_FOR_REPAIR: Final = 5

# Smartcar Connect entries also keep: the application's API v3 credentials (its
# Application ID, Connect's client_id, and the API client id and secret the token is asked
# for with), the permissions asked for, the Smartcar user, the Dashboard webhook the
# vehicles are subscribed to, and the subscribed vehicles (their devices exist before any
# delivery). Entries made on API v2 have Home Assistant's "auth_implementation" and
# "token" instead of the credentials.
CONF_APPLICATION_ID: Final = "application_id"
CONF_SCOPES: Final = "scopes"
CONF_USER_ID: Final = "user_id"
CONF_SMARTCAR_WEBHOOK_ID: Final = "smartcar_webhook_id"
CONF_VEHICLES: Final = "vehicles"
