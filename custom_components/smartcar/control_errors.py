"""Smartcar's errors as the translated messages a user sees when a command or refresh fails.

Each failure is a ``HomeAssistantError`` (a ``ServiceValidationError`` when the user's setup
is what must change) with a key of translations/en.json "exceptions". Smartcar's own
``suggestedUserMessage`` goes along as ``{smartcar_message}`` where it sent one.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api_errors import (
    SmartcarAccountError,
    SmartcarAuthError,
    SmartcarBillingError,
    SmartcarCompatibilityError,
    SmartcarConnectionError,
    SmartcarError,
    SmartcarNotFoundError,
    SmartcarPermissionError,
    SmartcarRateLimitError,
    SmartcarTimeoutError,
)
from .const import DOMAIN
from .monthly_call_counter import CallLimitReachedError
from .vehicle_errors import TRANSIENT_ERRORS

# The error type of Smartcar's "the car cannot do this now" errors (asleep, unreachable...).
VEHICLE_STATE: Final = "VEHICLE_STATE"


def control_error(
    err: SmartcarError,
    *,
    vehicle: str,
    entry: str,
    permission: str | None = None,
    retry_after: float = 0.0,
) -> HomeAssistantError:
    """The translated error for a failed call about ``vehicle`` (its name) of ``entry``.

    ``permission`` is what a command needs: a refusal names it for the user to grant.
    ``retry_after`` is how many seconds no call about the vehicle is sent after a rate limit.
    """
    placeholders: dict[str, str] = {"vehicle": vehicle, "smartcar_message": err.user_message or ""}
    key = _key(err, placeholders, entry=entry, permission=permission, retry_after=retry_after)
    kind = ServiceValidationError if key.startswith("permission_") else HomeAssistantError
    return kind(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _key(
    err: SmartcarError,
    placeholders: dict[str, Any],
    *,
    entry: str,
    permission: str | None,
    retry_after: float,
) -> str:
    """The translation key of an error; its own placeholders are added to ``placeholders``."""
    match err:
        case CallLimitReachedError():
            placeholders |= {
                "used": str(err.used),
                "limit": str(err.limit),
                "month_ends_at": f"{err.month_ends_at:%Y-%m-%d %H:%M}",
            }
            return "call_limit_reached"
        case SmartcarRateLimitError():
            placeholders["retry_after"] = str(max(1, round(retry_after)))
            return "rate_limited"
        case SmartcarPermissionError() if err.code or permission:
            placeholders["permission"] = err.code or permission
            return "permission_missing"
        case SmartcarAuthError():
            placeholders["entry"] = entry
            return "credentials_refused"
    return _plain_key(err, placeholders)


# The errors whose message needs only the vehicle's name and Smartcar's message; the first
# class the error is an instance of decides (a timeout is also a connection error).
_PLAIN_KEYS: Final[tuple[tuple[type[SmartcarError], str], ...]] = (
    (SmartcarBillingError, "plan_limit"),
    (SmartcarPermissionError, "permission_refused"),
    (SmartcarTimeoutError, "smartcar_timeout"),
    (SmartcarConnectionError, "smartcar_unreachable"),
    (SmartcarAccountError, "car_maker_account"),
    (SmartcarCompatibilityError, "not_capable"),
    (SmartcarNotFoundError, "vehicle_unknown"),
)


def _plain_key(err: SmartcarError, placeholders: dict[str, Any]) -> str:
    for kind, key in _PLAIN_KEYS:
        if isinstance(err, kind):
            return key
    if err.error_type == VEHICLE_STATE and err.code in TRANSIENT_ERRORS:
        return "vehicle_asleep"
    if err.error_type == VEHICLE_STATE:
        placeholders["code"] = err.code or "-"
        return "vehicle_state"
    placeholders["error"] = str(err)
    return "smartcar_error"
