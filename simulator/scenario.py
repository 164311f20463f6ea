"""Scenarios: what happens to each car, when, and what every signal ends up as.

A scenario is a timeline of :class:`Step` objects, each one event for one vehicle at a time
offset in seconds (before ``--speed`` scaling). Steps carry only the signal values that
change; the delivery engine keeps each car's full state, because Smartcar sends all the
webhook's selected signals in every delivery. The same timeline gives
:func:`expected_state`, the last value of every signal per vehicle, for tests to compare
Home Assistant's entities against.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
import math
import random
from typing import TYPE_CHECKING, Any, Final

from .payloads import (
    DEFAULT_AGE_MINUTES,
    INITIAL_AGE_MINUTES,
    SIGNAL_CODES,
    JSONObject,
    Vehicle,
    asleep_error,
    doors_body,
    fleet,
    initial_bodies,
    location_body,
    range_body,
    signal_entry,
    tires_body,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

SCENARIOS: Final = ("full", "idle", "stream")
DEFAULT_COUNT: Final = 100
DEFAULT_INTERVAL: Final = 1.0
VEHICLE_OFFSET: Final = 0.5  # seconds between the cars' timelines in "full" and "idle"
CHARGE_LIMIT: Final = 80
CHARGER_WATTS: Final = 11_000
OEM_LAG_MS: Final = 1_500  # how long before a delivery the OEM recorded a change
RETRIEVE_LAG_MS: Final = 400  # how long before a delivery Smartcar fetched the values


@dataclass(frozen=True, slots=True)
class Step:
    """One event for one vehicle.

    ``changes`` maps signal codes to new bodies. ``first`` marks the FIRST_DELIVERY.
    ``triggers`` names trigger signals when no value changes (the "idle" scenario); otherwise
    the changed signals are the triggers. ``error`` makes it a VEHICLE_ERROR with that item.
    """

    at: float
    vehicle: Vehicle
    label: str
    changes: Mapping[str, Any] = field(default_factory=dict)
    first: bool = False
    triggers: tuple[str, ...] = ()
    error: JSONObject | None = None


@dataclass(frozen=True, slots=True)
class ExpectedVehicle:
    """What a receiver should know about one vehicle after a whole scenario."""

    vehicle: Vehicle
    signals: dict[str, Any]
    active_errors: tuple[str, ...]

    @property
    def id(self) -> str:
        """The Smartcar vehicle id."""
        return self.vehicle.id

    def value(self, code: str) -> Any:
        """The ``value`` field of a scalar signal's last body."""
        return self.signals[code]["value"]


class _Script:
    """Builds one vehicle's steps while tracking the values they lead to."""

    def __init__(self, vehicle: Vehicle, at: float = 0.0) -> None:
        self.vehicle = vehicle
        self.at = at
        self.bodies = initial_bodies(vehicle)
        self.errors: dict[str, str] = {}
        self.steps: list[Step] = []

    def first(self) -> None:
        self.steps.append(Step(self.at, self.vehicle, "first delivery", first=True))

    def state(
        self,
        wait: float,
        label: str,
        changes: Mapping[str, Any] | None = None,
        triggers: tuple[str, ...] = (),
    ) -> None:
        self.at += wait
        changes = copy.deepcopy(dict(changes or {}))
        self.bodies.update(copy.deepcopy(changes))
        self.steps.append(Step(self.at, self.vehicle, label, changes, triggers=triggers))

    def error(self, wait: float, label: str, item: JSONObject) -> None:
        self.at += wait
        self.errors[item["code"]] = item["state"]
        self.steps.append(Step(self.at, self.vehicle, label, error=item))

    def value(self, code: str) -> Any:
        return self.bodies[code]["value"]


# --- "full": a day in the life of an EV --------------------------------------------------


def _move(lat: float, lon: float, km: float, heading: float) -> tuple[float, float]:
    """Where a car ends up after ``km`` in direction ``heading`` (flat-earth is plenty)."""
    rad = math.radians(heading)
    lat2 = lat + km * math.cos(rad) / 111.2
    lon2 = lon + km * math.sin(rad) / (111.2 * math.cos(math.radians(lat)))
    return lat2, lon2


def _minutes_to_limit(vehicle: Vehicle, soc: int) -> int:
    kwh = (CHARGE_LIMIT - soc) / 100 * vehicle.capacity_kwh
    return max(0, round(kwh / (CHARGER_WATTS / 1000) * 60))


def _full(script: _Script) -> None:
    v = script.vehicle
    script.first()
    unlocked = {
        "closure-islocked": {"value": False},
        "closure-doors": doors_body(locked=False),
        "closure-reartrunk": {"isOpen": False, "isLocked": False},
    }
    script.state(2, "unlocked", unlocked)
    driver = frozenset({(0, 0)})
    script.state(
        2, "driver door opened", {"closure-doors": doors_body(locked=False, open_cells=driver)}
    )
    script.state(2, "driver door closed", {"closure-doors": doors_body(locked=False)})

    lat, lon = v.latitude, v.longitude
    odometer, soc = v.odometer_km, v.state_of_charge
    legs = ((35, 40.0, 2.4), (82, 95.0, 6.8), (54, 130.0, 4.1), (0, 150.0, 0.9))
    for speed, heading, km in legs:
        lat, lon = _move(lat, lon, km, heading)
        odometer = round(odometer + km, 1)
        soc -= 1
        script.state(
            3,
            f"driving at {speed} km/h" if speed else "parked",
            {
                "location-preciselocation": location_body(lat, lon, heading),
                "odometer-traveleddistance": {"value": odometer, "unit": "km"},
                "motion-currentspeed": {"value": speed, "unit": "km/h"},
                "tractionbattery-stateofcharge": {"value": soc, "unit": "percent"},
                "tractionbattery-range": range_body(soc * v.km_per_percent),
            },
        )

    script.state(2, "rear trunk opened", {"closure-reartrunk": {"isOpen": True, "isLocked": False}})
    script.state(
        2, "rear trunk closed", {"closure-reartrunk": {"isOpen": False, "isLocked": False}}
    )
    locked = {
        "closure-islocked": {"value": True},
        "closure-doors": doors_body(locked=True),
        "closure-reartrunk": {"isOpen": False, "isLocked": True},
    }
    script.state(2, "locked", locked)

    script.state(2, "plugged in", {"charge-ischargingcableconnected": {"value": True}})
    start_soc = soc
    script.state(
        2,
        "charging started",
        {
            "charge-ischarging": {"value": True},
            "charge-detailedchargingstatus": {"value": "CHARGING"},
            "charge-wattage": {"value": CHARGER_WATTS, "unit": "watts"},
            "charge-energyadded": {"value": 0.0, "unit": "kWh"},
            "charge-timetocomplete": {"value": _minutes_to_limit(v, soc)},
        },
    )
    steps = 5
    for k in range(1, steps):
        soc = start_soc + (CHARGE_LIMIT - start_soc) * k // steps
        energy = round((soc - start_soc) / 100 * v.capacity_kwh, 1)
        script.state(
            3,
            f"charging, {soc} %",
            {
                "tractionbattery-stateofcharge": {"value": soc, "unit": "percent"},
                "tractionbattery-range": range_body(soc * v.km_per_percent),
                "charge-wattage": {"value": CHARGER_WATTS - 40 * k, "unit": "watts"},
                "charge-energyadded": {"value": energy, "unit": "kWh"},
                "charge-timetocomplete": {"value": _minutes_to_limit(v, soc)},
            },
        )
    energy = round((CHARGE_LIMIT - start_soc) / 100 * v.capacity_kwh, 1)
    script.state(
        3,
        "charge complete",
        {
            "tractionbattery-stateofcharge": {"value": CHARGE_LIMIT, "unit": "percent"},
            "tractionbattery-range": range_body(CHARGE_LIMIT * v.km_per_percent),
            "charge-ischarging": {"value": False},
            "charge-detailedchargingstatus": {"value": "FULLY_CHARGED"},
            "charge-wattage": {"value": 0, "unit": "watts"},
            "charge-energyadded": {"value": energy, "unit": "kWh"},
            "charge-timetocomplete": {"value": 0},
        },
    )
    script.state(
        2,
        "unplugged",
        {
            "charge-ischargingcableconnected": {"value": False},
            "charge-detailedchargingstatus": {"value": "NOT_CHARGING"},
        },
    )
    script.error(2, "asleep (error)", asleep_error("ERROR"))
    script.error(3, "asleep (resolved)", asleep_error("RESOLVED"))
    script.state(
        2,
        "awake, 12 V battery updated",
        {
            "lowvoltagebattery-stateofcharge": {
                "value": v.low_voltage_percent - 1,
                "unit": "percent",
            }
        },
    )


# --- "idle": deliveries where nothing changes --------------------------------------------


def _idle(script: _Script, deliveries: int = 3) -> None:
    script.first()
    for _ in range(deliveries):
        script.state(5, "no change", triggers=("connectivitystatus-isonline",))


# --- "stream": one or two signals change per delivery ------------------------------------


def _stream_step(script: _Script, rng: random.Random, at: float) -> None:
    v = script.vehicle
    kind = rng.choice(("soc", "move", "speed", "lock", "12v", "tires"))
    wait = at - script.at
    if kind == "soc":
        soc = script.value("tractionbattery-stateofcharge")
        soc = soc + 1 if soc < 50 else soc - 1  # noqa: PLR2004 (stays near the middle)
        script.state(
            wait,
            f"state of charge {soc} %",
            {
                "tractionbattery-stateofcharge": {"value": soc, "unit": "percent"},
                "tractionbattery-range": range_body(soc * v.km_per_percent),
            },
        )
    elif kind == "move":
        here = script.bodies["location-preciselocation"]
        heading = float(rng.randrange(0, 360, 5))
        km = round(rng.uniform(0.2, 1.5), 1)
        lat, lon = _move(here["latitude"], here["longitude"], km, heading)
        odometer = round(script.value("odometer-traveleddistance") + km, 1)
        script.state(
            wait,
            f"moved {km} km",
            {
                "location-preciselocation": location_body(lat, lon, heading),
                "odometer-traveleddistance": {"value": odometer, "unit": "km"},
            },
        )
    elif kind == "speed":
        speed = script.value("motion-currentspeed")
        new = rng.choice([s for s in (0, 30, 50, 80, 100, 120) if s != speed])
        script.state(
            wait, f"speed {new} km/h", {"motion-currentspeed": {"value": new, "unit": "km/h"}}
        )
    elif kind == "lock":
        locked = not script.value("closure-islocked")
        script.state(
            wait, "locked" if locked else "unlocked", {"closure-islocked": {"value": locked}}
        )
    elif kind == "12v":
        level = script.value("lowvoltagebattery-stateofcharge")
        level = level - 1 if level > 80 else level + 1  # noqa: PLR2004
        script.state(
            wait,
            f"12 V battery {level} %",
            {"lowvoltagebattery-stateofcharge": {"value": level, "unit": "percent"}},
        )
    else:
        front = script.bodies["wheel-tires"]["values"][0]["tirePressure"]
        rear = script.bodies["wheel-tires"]["values"][2]["tirePressure"]
        front = round(front + (0.1 if front < v.tire_bar else -0.1), 1)
        script.state(wait, f"front tires {front} bar", {"wheel-tires": tires_body(front, rear)})


def _build(
    scenario: str, vehicles: int, count: int, interval: float
) -> tuple[list[Step], list[_Script]]:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")
    if vehicles < 1:
        raise ValueError("at least one vehicle is needed")
    cars = fleet(vehicles)
    if scenario == "stream":
        scripts = [_Script(car) for car in cars]
        rngs = [random.Random(f"stream-{car.index}") for car in cars]  # noqa: S311 (not crypto)
        for k in range(count):
            script = scripts[k % vehicles]
            at = k * interval
            if not script.steps:
                script.at = at
                script.first()
            else:
                _stream_step(script, rngs[k % vehicles], at)
    else:
        scripts = [_Script(car, car.index * VEHICLE_OFFSET) for car in cars]
        for script in scripts:
            (_full if scenario == "full" else _idle)(script)
    steps = sorted(
        (step for script in scripts for step in script.steps),
        key=lambda step: (step.at, step.vehicle.index),
    )
    return steps, scripts


def timeline(
    scenario: str = "full",
    vehicles: int = 1,
    *,
    count: int = DEFAULT_COUNT,
    interval: float = DEFAULT_INTERVAL,
) -> list[Step]:
    """Every event of a scenario, in time order (``count``/``interval``: "stream" only)."""
    return _build(scenario, vehicles, count, interval)[0]


def expected_state(
    scenario: str = "full",
    vehicles: int = 1,
    *,
    count: int = DEFAULT_COUNT,
    interval: float = DEFAULT_INTERVAL,
) -> dict[str, ExpectedVehicle]:
    """The last value of every signal per vehicle id after the whole scenario.

    Fault injection (duplicates, reordering, forged and malformed bodies) does not change
    it: a correct receiver ends in this state whatever was injected. Vehicles that got no
    event (a "stream" with fewer deliveries than vehicles) are left out.
    """
    _, scripts = _build(scenario, vehicles, count, interval)
    return {
        script.vehicle.id: ExpectedVehicle(
            vehicle=script.vehicle,
            signals=copy.deepcopy(script.bodies),
            active_errors=tuple(code for code, state in script.errors.items() if state == "ERROR"),
        )
        for script in scripts
        if script.steps
    }


class LiveVehicle:
    """A car's current values and the OEM timestamp of each, while a scenario runs.

    ``oemUpdatedAt`` moves only when that signal's value changes; ``retrievedAt`` is the
    fetch time of every delivery. Change timestamps never go backwards per vehicle.
    """

    def __init__(self, vehicle: Vehicle, start_ms: int) -> None:
        """Start with the initial values, last updated some minutes to hours ago."""
        self.vehicle = vehicle
        self.bodies = initial_bodies(vehicle)
        self.oem = {
            code: start_ms - INITIAL_AGE_MINUTES.get(code, DEFAULT_AGE_MINUTES) * 60_000
            for code in SIGNAL_CODES
        }
        self.clock = max(self.oem.values())

    def apply(self, changes: Mapping[str, Any], now_ms: int) -> tuple[str, ...]:
        """Take new values; return the codes whose value really changed."""
        changed = tuple(
            code for code in SIGNAL_CODES if code in changes and changes[code] != self.bodies[code]
        )
        if changed:
            self.clock = max(now_ms - OEM_LAG_MS, self.clock + 1)
            for code in changed:
                self.bodies[code] = copy.deepcopy(changes[code])
                self.oem[code] = self.clock
        return changed

    def signals(self, now_ms: int) -> list[JSONObject]:
        """``data.signals``: every selected signal with its timestamps."""
        retrieved = max(now_ms - RETRIEVE_LAG_MS, self.clock)
        return [
            signal_entry(code, self.bodies[code], self.oem[code], retrieved)
            for code in SIGNAL_CODES
        ]
