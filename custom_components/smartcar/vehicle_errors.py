"""What a VEHICLE_ERROR means: which errors pass, which need the owner, how they are named.

Plain Python with no Home Assistant imports. The fleet, the repairs, the "vehicle error"
sensor, diagnostics and storage all read vehicle errors through this one vocabulary, and
all show one entry as the same dict (``as_dict``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from .catalog import BY_CODE
from .protocol import ERROR_TEXT_FIELDS, VehicleErrorItem

if TYPE_CHECKING:
    from collections.abc import Iterable

# Errors that only say the car is out of reach for now: the data goes stale, but the values
# shown stay the last known ones instead of turning unavailable.
TRANSIENT_ERRORS: Final = frozenset({"ASLEEP", "UNREACHABLE"})

# Errors only the owner can clear (sign in again, renew, enable remote access).
ACTIONABLE_ERROR_CODES: Final = frozenset(
    {
        "ACCOUNT_ISSUE",
        "AUTHENTICATION_FAILED",
        "PERMISSION",
        "SUBSCRIPTION",
        "VIRTUAL_KEY_REQUIRED",
        "REMOTE_ACCESS_DISABLED",
    }
)

# The states of the "vehicle error" sensor: "none" without an error, "other" for an error
# this list does not name.
ERROR_STATES: Final = (
    "none",
    "account_issue",
    "authentication_failed",
    "permission",
    "subscription",
    "virtual_key_required",
    "remote_access_disabled",
    "asleep",
    "unreachable",
    "make_not_compatible",
    "smartcar_not_capable",
    "vehicle_not_capable",
    "other",
)


def is_actionable(item: VehicleErrorItem) -> bool:
    """Whether an error needs the owner to act (and so gets a repair).

    Not a missing permission for signals nothing here shows unless the user enables it
    (the account role, say): granting it again would bring nothing the user sees.
    """
    if _is_permission(item) and item.signals and not any(map(_shown, item.signals)):
        return False
    return (
        item.code in ACTIONABLE_ERROR_CODES
        or item.type == "PERMISSION"
        or item.resolution == "REAUTHENTICATE"
    )


def _is_permission(item: VehicleErrorItem) -> bool:
    return "PERMISSION" in (item.type, item.code)


def _shown(code: str) -> bool:
    """Whether a signal feeds something of a new vehicle: an entity, a device field, a trigger.

    An entity disabled by default does not count; a signal the catalog does not know
    feeds nothing.
    """
    spec = BY_CODE.get(code)
    if spec is None:
        return False
    roles = (*spec.sensors, *spec.flags, *spec.controls)
    return (
        any(role.enabled for role in roles)
        or spec.tracker is not None
        or spec.device_field is not None
        or bool(spec.transitions)
    )


def error_state(item: VehicleErrorItem) -> str:
    """The sensor state naming an error: its code, else its type, lower-cased."""
    state = (item.code or item.type or "other").lower()
    return state if state in ERROR_STATES else "other"


def most_pressing(errors: Iterable[VehicleErrorItem]) -> list[VehicleErrorItem]:
    """The errors with the ones the owner must act on first, otherwise in their order."""
    return sorted(errors, key=lambda item: not is_actionable(item))


def as_dict(item: VehicleErrorItem) -> dict[str, Any]:
    """An entry as JSON-safe data: for storage, diagnostics and the sensor's attributes."""
    data: dict[str, Any] = {name: getattr(item, name) for name in ERROR_TEXT_FIELDS}
    data["signals"] = list(item.signals)
    return data


def from_dict(data: dict[str, Any]) -> VehicleErrorItem:
    """An entry from ``as_dict`` output; a field of the wrong type becomes None (or empty)."""
    signals = data.get("signals")
    codes = [code for code in signals if isinstance(code, str)] if isinstance(signals, list) else []
    return VehicleErrorItem.from_fields(data, codes)
