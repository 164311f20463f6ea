"""Events for fleet and storage tests, built as the webhook builds them.

Timestamps are realistic: a car maker's ``oemUpdatedAt`` is usually minutes or hours older
than Smartcar's ``retrievedAt``, which is a little older than the delivery's ``deliveredAt``.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import orjson

from custom_components.smartcar.json_body import JSONObject, load_object
from custom_components.smartcar.protocol import (
    SignalError,
    Trigger,
    VehicleError,
    VehicleErrorItem,
    VehicleInfo,
    VehicleState,
    parse_event,
    read_signal,
)

FIXTURES = Path(__file__).parent / "fixtures"
VEHICLE = VehicleInfo(id="car-1", make="KIA", model="EV6", year=2023)
OTHER = VehicleInfo(id="car-2", make="TOYOTA", model="RAV4", year=2022)
ODOMETER = "odometer-traveleddistance"
SOC = "tractionbattery-stateofcharge"
CHARGING = "charge-ischarging"
AT_HOME = "location-isathome"
NOW = 1_767_000_000_000
T0 = 1_766_990_000_000  # a car maker's time; deliveries come a while later
NOT_CAPABLE = SignalError(type="COMPATIBILITY", code="VEHICLE_NOT_CAPABLE")
NO_PERMISSION = SignalError(type="PERMISSION", code=None)

_ids = itertools.count()


def value(
    code: str = ODOMETER,
    number: Any = 100,
    *,
    oem: int | None = None,
    retrieved: int | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A delivered signal object carrying a value, in the live shape (no ``status``)."""
    meta = {
        key: stamp
        for key, stamp in (("oemUpdatedAt", oem), ("retrievedAt", retrieved))
        if stamp is not None
    }
    return {
        "code": code,
        "body": {"value": number, "unit": "km"} if body is None else body,
        "meta": meta,
    }


def failed(code: str = ODOMETER, error: SignalError = NO_PERMISSION) -> dict[str, Any]:
    """A delivered signal object in error, as Smartcar sends it: no body and no meta."""
    return {
        "code": code,
        "status": {"value": "ERROR", "error": {"type": error.type, "code": error.code}},
    }


def signal_objects(*signals: dict[str, Any]) -> tuple[JSONObject, ...]:
    """Signal objects as the webhook decodes them from a delivery's bytes."""
    return tuple(load_object(orjson.dumps({"data": {"signals": list(signals)}}))["data"]["signals"])


def read(signal: dict[str, Any]) -> Any:
    """One signal object read as the fleet reads a changed one."""
    (decoded,) = signal_objects(signal)
    return read_signal(decoded)


def state(
    *signals: dict[str, Any],
    event_id: str | None = "",
    delivered_at: int | None = None,
    vehicle: VehicleInfo = VEHICLE,
) -> VehicleState:
    """A VEHICLE_STATE; a fresh event id unless one (or None) is given."""
    return VehicleState(
        event_id=f"state-{next(_ids)}" if event_id == "" else event_id,
        vehicle=vehicle,
        signal_objects=signal_objects(*signals),
        triggers=(Trigger("SIGNAL_UPDATED", None),),
        delivered_at=delivered_at,
        mode="LIVE",
    )


def item(
    error_type: str | None = "CONNECTED_SERVICES_ACCOUNT",
    code: str | None = "AUTHENTICATION_FAILED",
    *signals: str,
    resolved: bool = False,
    description: str = "Smartcar could not sign in",
) -> VehicleErrorItem:
    """One entry of a VEHICLE_ERROR."""
    return VehicleErrorItem(
        type=error_type,
        code=code,
        state="RESOLVED" if resolved else "ERROR",
        description=description,
        suggested_user_message=None if resolved else "Reconnect your car",
        doc_url=None if resolved else "https://example.com/doc",
        resolution=None if resolved else "REAUTHENTICATE",
        signals=signals,
    )


def vehicle_error(
    *items: VehicleErrorItem, event_id: str | None = "", vehicle: VehicleInfo = VEHICLE
) -> VehicleError:
    """A VEHICLE_ERROR; a fresh event id unless one (or None) is given."""
    return VehicleError(
        event_id=f"error-{next(_ids)}" if event_id == "" else event_id,
        vehicle=vehicle,
        errors=items,
        mode="LIVE",
    )


def fixture_event(name: str) -> Any:
    """A fixture file parsed into its event."""
    return parse_event(load_object((FIXTURES / name).read_bytes()))
