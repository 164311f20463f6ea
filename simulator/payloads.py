"""Smartcar's v4 webhook wire format: signing, signal metadata, vehicles and envelopes.

Everything here follows PROTOCOL.md and the observed live shape of
``tests/fixtures/vehicle_state_ev_signal_update.json``: top-level ``triggers`` of type
``SIGNAL_UPDATED``, signals without ``status`` on success, signal ``meta`` with
``oemUpdatedAt``/``retrievedAt`` in milliseconds, upper-case makes, compact JSON on the wire.
Nothing is imported from the integration: the simulator is an independent check of it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
import hashlib
import hmac
import json
from typing import Any, Final
import uuid

SIGNATURE_HEADER: Final = "SC-Signature"
VERSION: Final = "4.0"
USER_AGENT: Final = "Smartcar/4.0 (smartcar-home-assistant simulator)"
WEBHOOK_NAME: Final = "Home Assistant (simulator)"
FIRST_DELIVERY: Final = "FIRST_DELIVERY"
_NAMESPACE: Final = uuid.UUID("8f6d3c1e-2b4a-4e5f-9a7c-0d1e2f3a4b5c")

type JSONObject = dict[str, Any]

# The webhook's selected signals: (code, name, group), in the order they are delivered.
SIGNALS: Final[tuple[tuple[str, str, str], ...]] = (
    ("tractionbattery-stateofcharge", "StateOfCharge", "TractionBattery"),
    ("tractionbattery-range", "Range", "TractionBattery"),
    ("charge-ischargingcableconnected", "IsChargingCableConnected", "Charge"),
    ("charge-ischarging", "IsCharging", "Charge"),
    ("charge-detailedchargingstatus", "DetailedChargingStatus", "Charge"),
    ("charge-chargelimits", "ChargeLimits", "Charge"),
    ("charge-wattage", "Wattage", "Charge"),
    ("charge-energyadded", "EnergyAdded", "Charge"),
    ("charge-timetocomplete", "TimeToComplete", "Charge"),
    ("odometer-traveleddistance", "TraveledDistance", "Odometer"),
    ("motion-currentspeed", "CurrentSpeed", "Motion"),
    ("location-preciselocation", "PreciseLocation", "Location"),
    ("closure-islocked", "IsLocked", "Closure"),
    ("closure-doors", "Doors", "Closure"),
    ("closure-windows", "Windows", "Closure"),
    ("closure-reartrunk", "RearTrunk", "Closure"),
    ("wheel-tires", "Tires", "Wheel"),
    ("lowvoltagebattery-stateofcharge", "StateOfCharge", "LowVoltageBattery"),
    ("connectivitystatus-isonline", "IsOnline", "ConnectivityStatus"),
)
SIGNAL_CODES: Final = tuple(code for code, _, _ in SIGNALS)
_META: Final = {code: (name, group) for code, name, group in SIGNALS}


# --- Signing and encoding --------------------------------------------------------------


def smartcar_hmac(token: str, message: bytes) -> str:
    """Hex HMAC-SHA256 keyed with the Application Management Token (UTF-8).

    This is both the ``SC-Signature`` of a body and the answer to a VERIFY challenge.
    """
    return hmac.new(token.encode("utf-8"), message, hashlib.sha256).hexdigest()


def encode(document: Any) -> bytes:
    """Compact UTF-8 JSON, as Smartcar puts it on the wire (no whitespace)."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def new_id() -> str:
    """A fresh random UUID string (event ids, delivery ids)."""
    return str(uuid.uuid4())


def stable_id(name: str) -> str:
    """A UUID derived from ``name``: the same on every run, so reruns update the same cars."""
    return str(uuid.uuid5(_NAMESPACE, name))


WEBHOOK_ID: Final = stable_id("webhook")
USER_ID: Final = stable_id("user")


# --- Vehicles ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One simulated car: its identity and the values it starts with."""

    index: int
    id: str
    make: str
    model: str
    year: int
    latitude: float
    longitude: float
    state_of_charge: int
    km_per_percent: float
    capacity_kwh: float
    odometer_km: float
    tire_bar: float
    low_voltage_percent: int

    @property
    def label(self) -> str:
        """Make and model, for reports."""
        return f"{self.make} {self.model}"


# make, model, year, home latitude/longitude, SoC %, km per % SoC, kWh, odometer km, bar, 12 V %
_PROFILES: Final = (
    ("KIA", "EV6", 2023, 52.370216, 4.895168, 41, 4.6, 77.4, 18452.6, 2.6, 91),
    ("POLESTAR", "2", 2024, 57.708870, 11.974560, 55, 4.8, 78.0, 9120.3, 2.8, 88),
    ("VOLKSWAGEN", "ID.4", 2022, 52.422700, 10.786500, 33, 4.1, 77.0, 40211.9, 2.7, 93),
    ("TESLA", "Model 3", 2021, 59.913868, 10.752245, 62, 5.0, 75.0, 61877.0, 2.9, 85),
    ("HYUNDAI", "IONIQ 5", 2024, 48.137154, 11.576124, 47, 4.5, 84.0, 5230.4, 2.5, 90),
    ("BMW", "i4", 2023, 51.507351, -0.127758, 28, 5.1, 83.9, 22750.8, 2.6, 87),
    ("NISSAN", "LEAF", 2020, 45.464203, 9.189982, 52, 2.7, 40.0, 73311.2, 2.4, 80),
    ("FORD", "Mustang Mach-E", 2022, 40.416775, -3.703790, 38, 4.4, 91.0, 30560.0, 2.5, 89),
)


def fleet(count: int, first: int = 0) -> list[Vehicle]:
    """``count`` distinct vehicles, with stable ids, cycling through a few makes and models.

    ``first`` skips that many: ``fleet(2, first=2)`` are the third and fourth car of
    ``fleet(4)``, for a second simulator that must not drive the cars of the first.
    """
    vehicles = []
    for index in range(first, first + count):
        make, model, year, lat, lon, soc, kmpp, kwh, odo, bar, lv = _PROFILES[
            index % len(_PROFILES)
        ]
        lap = index // len(_PROFILES)
        vehicles.append(
            Vehicle(
                index=index,
                id=stable_id(f"vehicle-{index}"),
                make=make,
                model=model,
                year=year - lap % 3,
                latitude=round(lat + 0.01 * lap, 6),
                longitude=round(lon + 0.01 * lap, 6),
                state_of_charge=max(10, soc - 3 * lap),
                km_per_percent=kmpp,
                capacity_kwh=kwh,
                odometer_km=round(odo + 1000 * lap, 1),
                tire_bar=bar,
                low_voltage_percent=lv,
            )
        )
    return vehicles


# --- Signal bodies -----------------------------------------------------------------------

_CELLS: Final = ((0, 0), (0, 1), (1, 0), (1, 1))
_DIRECTIONS: Final = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def direction(heading: float) -> str:
    """The compass direction Smartcar reports for a heading in degrees."""
    return _DIRECTIONS[round(heading / 45) % 8]


def doors_body(*, locked: bool, open_cells: frozenset[tuple[int, int]] = frozenset()) -> JSONObject:
    """``closure-doors``: four doors, row 0 in front, column 0 on the left."""
    return {
        "values": [
            {"row": row, "column": col, "isOpen": (row, col) in open_cells, "isLocked": locked}
            for row, col in _CELLS
        ],
        "rowCount": 2,
        "columnCount": 2,
    }


def windows_body(open_cells: frozenset[tuple[int, int]] = frozenset()) -> JSONObject:
    """``closure-windows``: four windows."""
    return {
        "values": [
            {"row": row, "column": col, "isOpen": (row, col) in open_cells} for row, col in _CELLS
        ],
        "rowCount": 2,
        "columnCount": 2,
    }


def tires_body(front_bar: float, rear_bar: float) -> JSONObject:
    """``wheel-tires`` in bar (the unit seen live)."""
    pressures = (front_bar, front_bar, rear_bar, rear_bar)
    return {
        "values": [
            {"row": row, "column": col, "tirePressure": pressure}
            for (row, col), pressure in zip(_CELLS, pressures, strict=True)
        ],
        "rowCount": 2,
        "columnCount": 2,
        "unit": "bar",
    }


def location_body(
    latitude: float, longitude: float, heading: float, location_type: str = "CURRENT"
) -> JSONObject:
    """``location-preciselocation``."""
    return {
        "latitude": round(latitude, 6),
        "longitude": round(longitude, 6),
        "heading": round(heading),
        "direction": direction(heading),
        "locationType": location_type,
    }


def range_body(km: float) -> JSONObject:
    """``tractionbattery-range`` as seen live (``type`` DEFAULT, no additional values)."""
    return {"value": round(km), "type": "DEFAULT", "additionalValues": [], "unit": "km"}


def initial_bodies(vehicle: Vehicle) -> dict[str, Any]:
    """Every selected signal's value when the car is first subscribed: parked, locked."""
    soc = vehicle.state_of_charge
    return {
        "tractionbattery-stateofcharge": {"value": soc, "unit": "percent"},
        "tractionbattery-range": range_body(soc * vehicle.km_per_percent),
        "charge-ischargingcableconnected": {"value": False},
        "charge-ischarging": {"value": False},
        "charge-detailedchargingstatus": {"value": "NOT_CHARGING"},
        "charge-chargelimits": {
            "values": [{"type": "GLOBAL", "limit": 80, "condition": None}],
            "activeLimit": 80,
            "unit": "percent",
        },
        "charge-wattage": {"value": 0, "unit": "watts"},
        "charge-energyadded": {"value": 0.0, "unit": "kWh"},
        "charge-timetocomplete": {"value": 0},
        "odometer-traveleddistance": {"value": vehicle.odometer_km, "unit": "km"},
        "motion-currentspeed": {"value": 0, "unit": "km/h"},
        "location-preciselocation": location_body(
            vehicle.latitude, vehicle.longitude, 184, "LAST_PARKED"
        ),
        "closure-islocked": {"value": True},
        "closure-doors": doors_body(locked=True),
        "closure-windows": windows_body(),
        "closure-reartrunk": {"isOpen": False, "isLocked": True},
        "wheel-tires": tires_body(vehicle.tire_bar, round(vehicle.tire_bar - 0.1, 1)),
        "lowvoltagebattery-stateofcharge": {
            "value": vehicle.low_voltage_percent,
            "unit": "percent",
        },
        "connectivitystatus-isonline": {"value": True},
    }


# How long before the start each signal was last updated by the OEM (minutes).
INITIAL_AGE_MINUTES: Final = {
    "location-preciselocation": 190,
    "odometer-traveleddistance": 190,
    "motion-currentspeed": 190,
    "closure-islocked": 185,
    "closure-doors": 185,
    "closure-windows": 185,
    "closure-reartrunk": 185,
    "wheel-tires": 190,
    "charge-chargelimits": 4000,
}
DEFAULT_AGE_MINUTES: Final = 12


# --- Envelopes ---------------------------------------------------------------------------


def signal_entry(code: str, body: Any, oem_updated_at: int, retrieved_at: int) -> JSONObject:
    """One entry of ``data.signals`` in the live shape (no ``status`` on success)."""
    name, group = _META[code]
    return {
        "code": code,
        "name": name,
        "group": group,
        "body": copy.deepcopy(body),
        "meta": {"oemUpdatedAt": oem_updated_at, "retrievedAt": retrieved_at},
    }


def signal_ref(code: str) -> JSONObject:
    """``{code, name, group}`` as triggers and error items name a signal."""
    name, group = _META[code]
    return {"code": code, "name": name, "group": group}


def vehicle_block(vehicle: Vehicle) -> JSONObject:
    """``data.vehicle``: make in upper case, as seen live."""
    return {"id": vehicle.id, "make": vehicle.make, "model": vehicle.model, "year": vehicle.year}


def vehicle_state(
    event_id: str,
    vehicle: Vehicle,
    signals: list[JSONObject],
    trigger_codes: tuple[str, ...],
    *,
    first: bool,
) -> JSONObject:
    """A VEHICLE_STATE envelope without its per-attempt ``meta`` (see :func:`stamp`)."""
    triggers: list[JSONObject] = (
        [{"type": FIRST_DELIVERY}]
        if first
        else [{"type": "SIGNAL_UPDATED", "signal": signal_ref(code)} for code in trigger_codes]
    )
    return {
        "eventId": event_id,
        "eventType": "VEHICLE_STATE",
        "data": {"user": {"id": USER_ID}, "vehicle": vehicle_block(vehicle), "signals": signals},
        "triggers": triggers,
        "meta": {"signalCount": len(signals)},
    }


def vehicle_error(event_id: str, vehicle: Vehicle, errors: list[JSONObject]) -> JSONObject:
    """A VEHICLE_ERROR envelope without its per-attempt ``meta``."""
    return {
        "eventId": event_id,
        "eventType": "VEHICLE_ERROR",
        "data": {
            "user": {"id": USER_ID},
            "vehicle": vehicle_block(vehicle),
            "errors": copy.deepcopy(errors),
        },
        "meta": {},
    }


def asleep_error(state: str) -> JSONObject:
    """The ``ASLEEP`` item of ``data.errors`` (``state`` is ERROR or RESOLVED)."""
    return {
        "type": "VEHICLE_STATE",
        "code": "ASLEEP",
        "state": state,
        "description": "The vehicle is asleep and did not respond to Smartcar's request."
        if state == "ERROR"
        else "The vehicle is awake again.",
        "suggestedUserMessage": "Your car is asleep. Its data updates when it wakes up.",
        "docURL": "https://smartcar.com/docs/errors/api-errors/vehicle-state-errors#asleep",
        "resolution": {"type": "RETRY_LATER"},
    }


def stamp(document: JSONObject, delivery_id: str, delivered_at: int) -> JSONObject:
    """A copy of ``document`` with the ``meta`` of one delivery attempt.

    ``deliveryId`` and ``deliveredAt`` are new on every attempt; ``eventId`` never changes.
    """
    stamped = dict(document)
    meta: JSONObject = {
        "deliveryId": delivery_id,
        "deliveredAt": delivered_at,
        "version": VERSION,
        "webhookId": WEBHOOK_ID,
        "webhookName": WEBHOOK_NAME,
        "mode": "LIVE",
    }
    meta.update(document.get("meta", {}))
    stamped["meta"] = meta
    return stamped


def verify_request(challenge: str, delivered_at_iso: str) -> JSONObject:
    """A v4 VERIFY (its ``deliveredAt`` is an ISO string, as in Smartcar's example)."""
    return {
        "eventId": new_id(),
        "eventType": "VERIFY",
        "data": {"challenge": challenge},
        "meta": {
            "version": VERSION,
            "webhookId": WEBHOOK_ID,
            "webhookName": WEBHOOK_NAME,
            "deliveryId": new_id(),
            "deliveredAt": delivered_at_iso,
        },
    }
