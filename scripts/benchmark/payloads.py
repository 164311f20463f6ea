"""Signed VEHICLE_STATE deliveries of simulated vehicles, in Smartcar's wire shape.

The bodies are ``tests/payloads.py``'s ALL_SIGNALS (one for every catalog signal and a few
Smartcar attributes the catalog does not show); signatures are computed here, independently
of the integration's code.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import hmac
import itertools
from typing import Any, Final

import orjson

# The test suite's example Application Management Token (tests/conftest.py).
TOKEN: Final = "4f6b2a90-3c1d-4e8f-9a7b-5c2d1e0f3a6b"  # noqa: S105
SIGNATURE_HEADER: Final = "SC-Signature"
SOC: Final = "tractionbattery-stateofcharge"
ODOMETER: Final = "odometer-traveleddistance"
NICKNAME: Final = "vehicleidentification-nickname"
VIN: Final = "vehicleidentification-vin"
FIRST_VEHICLE_ID: Final = "9d2c4e6a-1b3f-4c5d-8e7f-6a5b4c3d2e1f"
# The car maker's times of the timing runs' values (2025-12-29), as in tests/conftest.py.
BASE_TIME_MS: Final = 1_766_995_980_000

type Signed = tuple[bytes, str]


def load_all_signals() -> dict[str, dict[str, Any]]:
    """ALL_SIGNALS of tests/payloads.py.

    Imported only once the integration is set up: tests/payloads.py imports the
    integration, which must first be loaded by Home Assistant, with the bench's wrapper of
    ``webhook.async_register`` in place (see seams.HandlerCapture).
    """
    from tests.payloads import ALL_SIGNALS  # noqa: PLC0415

    return {code: dict(body) for code, body in ALL_SIGNALS.items()}


def electric_car_signals() -> dict[str, dict[str, Any]]:
    """Every signal an electric car can send: ALL_SIGNALS without the combustion engine's.

    ALL_SIGNALS has both kinds (a hybrid no maker builds): the recorder's day is a real
    car's, whose fuel level, amount and range would add three statistics of their own.
    """
    return {
        code: body
        for code, body in load_all_signals().items()
        if not code.startswith("internalcombustionengine-")
    }


def subset(all_codes: list[str], size: int) -> list[str]:
    """The first ``size`` codes, always including the two that change."""
    others = [code for code in all_codes if code not in (SOC, ODOMETER)]
    return [SOC, ODOMETER, *others][:size]


def sign(body: bytes) -> str:
    """SC-Signature as Smartcar computes it."""
    return hmac.new(TOKEN.encode(), body, hashlib.sha256).hexdigest()


_event_ids = itertools.count(1)


@dataclass
class VehicleModel:
    """What the bench has told the integration about one vehicle: values and their times."""

    number: int
    vehicle_id: str
    bodies: dict[str, dict[str, Any]]
    stamps: dict[str, int]
    changes: int = 0

    @classmethod
    def create(
        cls, number: int, all_signals: dict[str, dict[str, Any]], *, at_ms: int = BASE_TIME_MS
    ) -> VehicleModel:
        """A vehicle with every signal; name and VIN differ per vehicle, as in a real fleet."""
        vehicle_id = FIRST_VEHICLE_ID if number == 0 else f"00000000-0000-4000-8000-{number:012d}"
        bodies = {code: dict(body) for code, body in all_signals.items()}
        bodies[NICKNAME] = {"value": f"Bench car {number:03d}"}
        bodies[VIN] = {"value": f"BENCHVIN{number:09d}"}
        return cls(number, vehicle_id, bodies, dict.fromkeys(bodies, at_ms))

    def set(self, code: str, body: dict[str, Any], at_ms: int) -> None:
        """A new value of one signal, measured by the car at ``at_ms``."""
        self.bodies[code] = body
        self.stamps[code] = at_ms

    def change_two(self) -> None:
        """Change state of charge (alternating) and odometer (growing), with newer times."""
        self.changes += 1
        stamp = BASE_TIME_MS + self.changes * 1000
        self.set(SOC, {**self.bodies[SOC], "value": 80 + self.changes % 2}, stamp)
        odometer = round(12345.6 + self.changes / 10, 1)
        self.set(ODOMETER, {**self.bodies[ODOMETER], "value": odometer}, stamp)

    def render(
        self, codes: list[str], *, triggers: tuple[str, ...], retrieved_at_ms: int | None = None
    ) -> bytes:
        """A VEHICLE_STATE in the wire shape of tests/conftest.make_state, new eventId.

        Smartcar fetches every signal for each delivery: ``retrievedAt`` (and the delivery
        time) move on for all of them, by a second per delivery unless given.
        """
        sequence = next(_event_ids)
        event_id = f"bench-{sequence:09d}"
        retrieved_at = retrieved_at_ms or BASE_TIME_MS + sequence * 1000
        signals = []
        for code in codes:
            group, name = code.split("-", 1)
            signals.append(
                {
                    "code": code,
                    "name": name,
                    "group": group,
                    "body": self.bodies[code],
                    "meta": {"oemUpdatedAt": self.stamps[code], "retrievedAt": retrieved_at},
                }
            )
        return orjson.dumps(
            {
                "eventId": event_id,
                "eventType": "VEHICLE_STATE",
                "data": {
                    "user": {"id": "user-1"},
                    "vehicle": {
                        "id": self.vehicle_id,
                        "make": "KIA",
                        "model": "EV6",
                        "year": 2023,
                    },
                    "signals": signals,
                },
                "triggers": [
                    {"type": "SIGNAL_UPDATED", "signal": {"code": code}} for code in triggers
                ],
                "meta": {
                    "version": "4.0",
                    "deliveryId": f"delivery-{event_id}",
                    "deliveredAt": retrieved_at + 500,
                    "webhookId": "webhook-1",
                    "webhookName": "Home Assistant",
                    "mode": "LIVE",
                    "signalCount": len(codes),
                },
            }
        )

    def deliveries(self, codes: list[str], count: int, *, change: bool) -> list[Signed]:
        """``count`` signed bodies; each changes two values, or none."""
        out = []
        for _ in range(count):
            if change:
                self.change_two()
            body = self.render(codes, triggers=(SOC, ODOMETER) if change else (SOC,))
            out.append((body, sign(body)))
        return out
