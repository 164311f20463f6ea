"""Diagnostics: what a user can download to show why a vehicle or a delivery misbehaves.

The download answers the usual support questions without the user's secrets: does Smartcar
reach this instance (callback URL kind, last VERIFY, signature failures in a row), what did
the last requests get as an answer, and for each vehicle which signals arrive, which are in
error and why, and which never came at all; for a Connect entry, the last commands and
refreshes and each vehicle's API calls this month. Everything is redacted in one place
(``_redact``): the management token, webhook ids and callback URLs, the VIN, the user id,
the nickname and the coordinates never appear. Vehicle ids stay: they are opaque Smartcar
UUIDs, and they are what links a vehicle's section to Smartcar's dashboard and logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_WEBHOOK_ID
from homeassistant.util import dt as dt_util

from .account import listed_vehicles
from .callback_url import callback_url, cloud_available
from .catalog import PRIVATE_SIGNALS, SIGNALS
from .const import (
    CONF_APPLICATION_ID,
    CONF_CLOUDHOOK_URL,
    CONF_ERROR_CLOUDHOOK_URL,
    CONF_ERROR_WEBHOOK_ID,
    CONF_MANAGEMENT_TOKEN,
    CONF_SMARTCAR_WEBHOOK_ID,
    DOMAIN,
    RECENT_DELIVERIES,
)
from .roles import Number
from .signals import measure
from .vehicle_errors import as_dict

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.device_registry import DeviceEntry

    from . import SmartcarConfigEntry
    from .fleet import SignalState, Vehicle
    from .runtime import Delivery, SmartcarRuntime

# Keys redacted wherever they occur in the download. "url" is the callback URL, which
# embeds the webhook id (or is a cloudhook, just as good as the id for posting to us).
TO_REDACT: Final = frozenset(
    {
        CONF_MANAGEMENT_TOKEN,
        CONF_WEBHOOK_ID,
        CONF_CLOUDHOOK_URL,
        CONF_ERROR_WEBHOOK_ID,
        CONF_ERROR_CLOUDHOOK_URL,
        CONF_SMARTCAR_WEBHOOK_ID,
        # Smartcar Connect: the API v3 credentials, and a v2 entry's OAuth token (the whole
        # dict and its parts wherever they appear).
        CONF_APPLICATION_ID,
        CONF_CLIENT_ID,
        CONF_CLIENT_SECRET,
        "token",
        "access_token",
        "refresh_token",
        "url",
        "vin",
        "user_id",
        "nickname",
        "latitude",
        "longitude",
    }
)
# Every signal some entity is built from: each is listed, delivered or not.
ENTITY_SIGNALS: Final = frozenset(
    spec.code for spec in SIGNALS if spec.sensors or spec.flags or spec.tracker
)

DELIVERED: Final = "delivered"
ERROR: Final = "error"
NEVER_SEEN: Final = "never seen"


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmartcarConfigEntry
) -> dict[str, Any]:
    """The whole entry: its setup, its recent requests and every vehicle."""
    runtime = entry.runtime_data
    vehicle_ids = {*runtime.fleet.vehicles, *(vehicle.id for vehicle in listed_vehicles(entry))}
    return _redact(
        _diagnostics(hass, runtime, runtime.fleet.vehicles.values())
        | _controls(runtime, vehicle_ids)
    )


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: SmartcarConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """One vehicle, with the entry's setup and its recent requests.

    Requests are not attributed to vehicles (a rejected one may name none), so the recent
    requests are the entry's. A device whose vehicle was forgotten has no vehicle section.
    """
    runtime = entry.runtime_data
    vehicle_ids = {identifier for domain, identifier in device.identifiers if domain == DOMAIN}
    vehicles = [
        vehicle
        for vehicle_id, vehicle in runtime.fleet.vehicles.items()
        if vehicle_id in vehicle_ids
    ]
    return _redact(_diagnostics(hass, runtime, vehicles) | _controls(runtime, vehicle_ids))


def _diagnostics(
    hass: HomeAssistant, runtime: SmartcarRuntime, vehicles: Iterable[Vehicle]
) -> dict[str, Any]:
    now_ms = int(dt_util.utcnow().timestamp() * 1000)
    return {
        "entry": _entry(hass, runtime),
        # Oldest first, as they arrived; the runtime keeps no more than these anyway.
        "deliveries": [
            _delivery(delivery) for delivery in list(runtime.deliveries)[-RECENT_DELIVERIES:]
        ],
        "vehicles": {vehicle.id: _vehicle(runtime, vehicle, now_ms) for vehicle in vehicles},
    }


def _controls(runtime: SmartcarRuntime, vehicle_ids: Collection[str]) -> dict[str, Any]:
    """A Connect entry's last commands and reads (oldest first), each vehicle's calls."""
    control = runtime.control
    if control is None:
        return {}  # webhook only: nothing is sent to the car
    return {
        "controls": [
            record.as_dict() for record in control.log if record.vehicle_id in vehicle_ids
        ],
        "api_calls": {
            vehicle_id: control.calls_this_month(vehicle_id) for vehicle_id in sorted(vehicle_ids)
        },
    }


def _entry(hass: HomeAssistant, runtime: SmartcarRuntime) -> dict[str, Any]:
    entry = runtime.entry
    url = callback_url(hass, entry)
    if entry.data.get(CONF_CLOUDHOOK_URL):
        kind: str | None = "cloudhook"
    elif url is not None:
        kind = "external_url"
    else:
        kind = None  # Smartcar cannot reach this instance (a repair says so too)
    return {
        "title": entry.title,
        "data": dict(entry.data),
        "options": dict(entry.options),
        "callback_url": {
            "kind": kind,
            "url": url,
            "cloud_available": cloud_available(hass),
        },
        "last_verified_at": _iso(runtime.last_verified_at),
        "signature_failures_in_a_row": runtime.signature_failures,
        # Why the stored values could not be loaded at this start, if they could not.
        "storage_problem": runtime.store.problem,
    }


def _delivery(delivery: Delivery) -> dict[str, Any]:
    return {
        "at": delivery.at.isoformat(),
        "event_type": delivery.event_type,
        "status": delivery.status,
        "result": delivery.result,
        "signals": delivery.signals,
        "triggers": list(delivery.triggers),
    }


def _vehicle(runtime: SmartcarRuntime, vehicle: Vehicle, now_ms: int) -> dict[str, Any]:
    codes = ENTITY_SIGNALS | vehicle.signals.keys() | vehicle.blocked.keys()
    return {
        "make": vehicle.make,
        "model": vehicle.model,
        "year": vehicle.year,
        "last_delivery_at": _iso_ms(vehicle.last_delivery_at),
        "reporting": runtime.freshness.is_reporting(vehicle.id),
        "signals": {code: _signal(vehicle, code, now_ms) for code in sorted(codes)},
        "unit_notes": _unit_notes(vehicle),
        # Values refused as implausible since the start, per signal: not shown, the value
        # before each stays.
        "rejected_values": dict(sorted(vehicle.rejected.items())),
        "errors": [as_dict(item) for item in vehicle.errors.values()],
    }


def _unit_notes(vehicle: Vehicle) -> dict[str, str]:
    """Per sensor, why its number is not shown as delivered.

    An unknown unit (the value is withheld), or a tire pressure read in another unit than
    the one stated: what the sensor shows is measured the same way, so these are its notes.
    """
    notes = {
        role.key: note
        for spec in SIGNALS
        if spec.unit is not None and (body := vehicle.value(spec.code)) is not None
        for role in spec.sensors
        if isinstance(role, Number) and (note := measure(body, role.read, spec.unit).note)
    }
    return dict(sorted(notes.items()))


def _signal(vehicle: Vehicle, code: str, now_ms: int) -> dict[str, Any]:
    """Where one signal stands: delivered (with its value), in error, or never seen."""
    state = vehicle.signals.get(code)
    # A vehicle error outranks the signal's own state: until Smartcar resolves it, the
    # signal stays unavailable whatever it delivered (see Vehicle.value).
    if (blocked_by := vehicle.blocked.get(code)) is not None:
        error_type, error_code = blocked_by
        return {
            "status": ERROR,
            "source": "vehicle_error",
            "type": error_type,
            "code": error_code,
            "age_seconds": _age(state, now_ms),
        }
    if state is not None and state.error is not None:
        return {
            "status": ERROR,
            "source": "signal",
            "type": state.error.type,
            "code": state.error.code,
            "age_seconds": _age(state, now_ms),
        }
    if state is None or state.body is None:
        return {"status": NEVER_SEEN}
    body = async_redact_data(state.body, {"value"}) if code in PRIVATE_SIGNALS else state.body
    return {"status": DELIVERED, "age_seconds": _age(state, now_ms), "body": body}


def _age(state: SignalState | None, now_ms: int) -> int | None:
    """Seconds since the newest time known for a signal's value; ``None`` without one.

    The newest time seen for the signal (``newest_seen_at``, by ``timestamps.ordering_time``). An
    error carries no time of its own, so a signal in error shows the age of the value it
    still holds, if any. A negative age means the car's clock is ahead of this one.
    """
    if state is None or not state.newest_seen_at:
        return None
    return round((now_ms - state.newest_seen_at) / 1000)


def _redact(data: dict[str, Any]) -> dict[str, Any]:
    return async_redact_data(data, TO_REDACT)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _iso_ms(milliseconds: int | None) -> str | None:
    if milliseconds is None:
        return None
    return dt_util.utc_from_timestamp(milliseconds / 1000).isoformat()
