"""Scenarios: what happens to each car, when, and what every signal ends up as.

A scenario is a timeline of :class:`Step` objects, each one event for one vehicle at a time
offset in seconds (before ``--speed`` scaling). Steps carry only the signal values that
change; the delivery engine keeps each car's full state, because Smartcar sends all the
webhook's selected signals in every delivery. The same timeline gives
:func:`expected_state`, the last value of every signal per vehicle, for tests to compare
Home Assistant's entities against.

The cars behave as cars do, in every scenario and from one run to the next:

* A run starts with each car at rest where the previous run left it (``start``, see
  :func:`start_bodies`; without one, the car's initial values): parked, doors, windows and
  trunk closed, locked, unplugged, tires cold. Nothing else changes between runs.
* The odometer never decreases. The car moves (location and odometer) only while driving:
  its speed is above 0 before or after the change, the doors and trunk are closed and the
  cable is unplugged.
* The state of charge rises only while the car is plugged in and charging, never above the
  charge limit, and falls only while driving.
* The lock changes only when a trip begins (unlocked before a door opens) or ends (locked
  once everything is closed), or when a charge session does neither; doors and the trunk
  open only while the car is parked and unlocked.
"""

from __future__ import annotations

from collections import deque
import copy
from dataclasses import dataclass, field
from functools import partial
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
    windows_body,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

SCENARIOS: Final = ("full", "idle", "stream")
DEFAULT_COUNT: Final = 100
DEFAULT_INTERVAL: Final = 1.0
VEHICLE_OFFSET: Final = 0.5  # seconds between the cars' timelines in "full" and "idle"
CHARGE_LIMIT: Final = 80  # the cars' charge limit (charge-chargelimits)
CHARGER_WATTS: Final = 11_000
OEM_LAG_MS: Final = 1_500  # how long before a delivery the OEM recorded a change
RETRIEVE_LAG_MS: Final = 400  # how long before a delivery Smartcar fetched the values
# "stream": a trip is a few legs of LEG_MINUTES each; below LOW_CHARGE % the car charges.
LEG_MINUTES: Final = 3.0
SPEEDS: Final = (30, 50, 60, 80, 100, 120)
LOW_CHARGE: Final = 40
HOME_RADIUS_KM: Final = 5.0  # farther from home than this, the next trip heads back
LOW_VOLTAGE_DRAIN: Final = 5  # parked, the 12 V battery loses up to this many points

SOC: Final = "tractionbattery-stateofcharge"
ODOMETER: Final = "odometer-traveleddistance"
SPEED: Final = "motion-currentspeed"
LOCATION: Final = "location-preciselocation"
TIRES: Final = "wheel-tires"
LOW_VOLTAGE: Final = "lowvoltagebattery-stateofcharge"
DRIVER_DOOR: Final = frozenset({(0, 0)})

type Start = Mapping[str, Mapping[str, Any]]  # vehicle id -> signal code -> body
type Changes = dict[str, Any]


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


# --- The car at rest, and the bodies of common changes ----------------------------------


def cold_tires(vehicle: Vehicle) -> JSONObject:
    """``wheel-tires`` of a car that has not driven for a while."""
    return tires_body(vehicle.tire_bar, round(vehicle.tire_bar - 0.1, 1))


def _warm_tires(vehicle: Vehicle) -> JSONObject:
    return tires_body(round(vehicle.tire_bar + 0.1, 1), vehicle.tire_bar)


def _lock_changes(*, locked: bool) -> Changes:
    return {
        "closure-islocked": {"value": locked},
        "closure-doors": doors_body(locked=locked),
        "closure-reartrunk": {"isOpen": False, "isLocked": locked},
    }


def _not_charging(*, plugged: bool) -> Changes:
    return {
        "charge-ischargingcableconnected": {"value": plugged},
        "charge-ischarging": {"value": False},
        "charge-detailedchargingstatus": {"value": "NOT_CHARGING"},
        "charge-wattage": {"value": 0, "unit": "watts"},
        "charge-timetocomplete": {"value": 0},
    }


def at_rest(vehicle: Vehicle, bodies: Mapping[str, Any]) -> dict[str, Any]:
    """``bodies`` once the car has come to rest where it is.

    Stopped (speed 0, same place), unplugged and not charging, everything closed and
    locked, tires cold. The charge, the odometer, the location and the energy of the last
    charge session stay as they are: nothing that only driving or charging can change.
    """
    rest = copy.deepcopy(dict(bodies))
    rest[SPEED] = {"value": 0, "unit": "km/h"}
    rest.update(_not_charging(plugged=False))
    rest.update(_lock_changes(locked=True))
    rest["closure-windows"] = windows_body()
    rest[TIRES] = cold_tires(vehicle)
    return rest


def start_bodies(vehicle: Vehicle, saved: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every signal's body when a run begins, at rest (:func:`at_rest`).

    That is ``saved`` (where a previous run left the car, e.g. the engine's state file says)
    or else the initial values, which are at rest already and so come back unchanged.
    """
    bodies = initial_bodies(vehicle)
    if saved:
        bodies.update({code: copy.deepcopy(body) for code, body in saved.items() if code in bodies})
    return at_rest(vehicle, bodies)


def _charge_level(vehicle: Vehicle, soc: int) -> Changes:
    return {
        SOC: {"value": soc, "unit": "percent"},
        "tractionbattery-range": range_body(soc * vehicle.km_per_percent),
    }


def _minutes_to(vehicle: Vehicle, soc: int, target: int = CHARGE_LIMIT) -> int:
    kwh = (target - soc) / 100 * vehicle.capacity_kwh
    return max(0, round(kwh / (CHARGER_WATTS / 1000) * 60))


def _energy(vehicle: Vehicle, start_soc: int, soc: int) -> JSONObject:
    return {"value": round((soc - start_soc) / 100 * vehicle.capacity_kwh, 1), "unit": "kWh"}


def _charging_started(vehicle: Vehicle, soc: int, target: int) -> Changes:
    return {
        "charge-ischarging": {"value": True},
        "charge-detailedchargingstatus": {"value": "CHARGING"},
        "charge-wattage": {"value": CHARGER_WATTS, "unit": "watts"},
        "charge-energyadded": {"value": 0.0, "unit": "kWh"},
        "charge-timetocomplete": {"value": _minutes_to(vehicle, soc, target)},
    }


def _charging(vehicle: Vehicle, start_soc: int, target: int, k: int, steps: int) -> Changes:
    """The ``k``-th of ``steps`` parts of a charge from ``start_soc`` to ``target``."""
    soc = start_soc + (target - start_soc) * k // steps
    return {
        **_charge_level(vehicle, soc),
        "charge-wattage": {"value": CHARGER_WATTS - 40 * k, "unit": "watts"},
        "charge-energyadded": _energy(vehicle, start_soc, soc),
        "charge-timetocomplete": {"value": _minutes_to(vehicle, soc, target)},
    }


def _charge_complete(vehicle: Vehicle, start_soc: int, target: int) -> Changes:
    """The end of a charge, which has topped up the 12 V battery as well."""
    return {
        **_charge_level(vehicle, target),
        "charge-ischarging": {"value": False},
        "charge-detailedchargingstatus": {"value": "FULLY_CHARGED"},
        "charge-wattage": {"value": 0, "unit": "watts"},
        "charge-energyadded": _energy(vehicle, start_soc, target),
        "charge-timetocomplete": {"value": 0},
        LOW_VOLTAGE: {"value": vehicle.low_voltage_percent, "unit": "percent"},
    }


UNPLUGGED: Final = {
    "charge-ischargingcableconnected": {"value": False},
    "charge-detailedchargingstatus": {"value": "NOT_CHARGING"},
}


class _Script:
    """Builds one vehicle's steps while tracking the values they lead to."""

    def __init__(
        self, vehicle: Vehicle, at: float = 0.0, start: Mapping[str, Any] | None = None
    ) -> None:
        self.vehicle = vehicle
        self.at = at
        self.bodies = start_bodies(vehicle, start)
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


def _full(script: _Script) -> None:
    """Unlock, a door, a drive, the trunk, lock, a charge to the limit, unplug, asleep."""
    v = script.vehicle
    script.first()
    script.state(2, "unlocked", _lock_changes(locked=False))
    script.state(
        2,
        "driver door opened",
        {"closure-doors": doors_body(locked=False, open_cells=DRIVER_DOOR)},
    )
    script.state(2, "driver door closed", {"closure-doors": doors_body(locked=False)})

    here = script.bodies[LOCATION]
    lat, lon = here["latitude"], here["longitude"]
    odometer, soc = script.value(ODOMETER), script.value(SOC)
    legs = ((35, 40.0, 2.4), (82, 95.0, 6.8), (54, 130.0, 4.1), (0, 150.0, 0.9))
    for speed, heading, km in legs:
        lat, lon = _move(lat, lon, km, heading)
        odometer = round(odometer + km, 1)
        soc = max(0, soc - 1)
        script.state(
            3,
            f"driving at {speed} km/h" if speed else "parked",
            {
                LOCATION: location_body(lat, lon, heading),
                ODOMETER: {"value": odometer, "unit": "km"},
                SPEED: {"value": speed, "unit": "km/h"},
                **_charge_level(v, soc),
            },
        )

    script.state(2, "rear trunk opened", {"closure-reartrunk": {"isOpen": True, "isLocked": False}})
    script.state(
        2, "rear trunk closed", {"closure-reartrunk": {"isOpen": False, "isLocked": False}}
    )
    script.state(2, "locked", _lock_changes(locked=True))

    script.state(2, "plugged in", {"charge-ischargingcableconnected": {"value": True}})
    start_soc, target = soc, max(CHARGE_LIMIT, soc)  # never charged above the limit
    script.state(2, "charging started", _charging_started(v, start_soc, target))
    steps = 5
    for k in range(1, steps):
        changes = _charging(v, start_soc, target, k, steps)
        script.state(3, f"charging, {changes[SOC]['value']} %", changes)
    script.state(3, "charge complete", _charge_complete(v, start_soc, target))
    script.state(2, "unplugged", UNPLUGGED)
    script.error(2, "asleep (error)", asleep_error("ERROR"))
    script.error(3, "asleep (resolved)", asleep_error("RESOLVED"))
    # Awake after the charge, which topped up the 12 V battery; it reads one point less.
    script.state(
        2,
        "awake, 12 V battery updated",
        {LOW_VOLTAGE: {"value": v.low_voltage_percent - 1, "unit": "percent"}},
    )


# --- "idle": deliveries where nothing changes --------------------------------------------


def _idle(script: _Script, deliveries: int = 3) -> None:
    script.first()
    for _ in range(deliveries):
        script.state(5, "no change", triggers=("connectivitystatus-isonline",))


# --- "stream": a car's life, one change per delivery -------------------------------------

type _Action = Callable[[], tuple[str, Changes]]


class _Stream:
    """One car of the "stream": trips and charge sessions, one step per delivery.

    When the car is at rest with nothing planned, it plans its next activity from its
    values: a charge session when the charge is low (sometimes earlier), otherwise a trip
    (unlock, a door, a few legs of driving, perhaps the trunk, lock, then parked changes).
    Every step changes at least one signal. Each action computes its changes from the
    values as they are when it runs.
    """

    def __init__(self, script: _Script, rng: random.Random) -> None:
        self.script = script
        self.rng = rng
        self.todo: deque[_Action] = deque()
        self.driven_km = 0.0  # driven since the last percent of charge was used

    def step(self, at: float) -> None:
        if not self.todo:
            self.todo.extend(self._plan())
        label, changes = self.todo.popleft()()
        self.script.state(at - self.script.at, label, changes)

    def _plan(self) -> list[_Action]:
        soc = self.script.value(SOC)
        soon = soc < CHARGE_LIMIT - 10 and self.rng.random() < 0.25  # noqa: PLR2004
        return self._charge() if soc < LOW_CHARGE or soon else self._trip()

    # A trip.

    def _trip(self) -> list[_Action]:
        rng = self.rng
        heading = self._heading()
        legs = [
            (rng.choice(SPEEDS), (heading + rng.uniform(-35, 35)) % 360)
            for _ in range(rng.randint(4, 8))
        ]
        actions: list[_Action] = [
            lambda: ("unlocked", _lock_changes(locked=False)),
            lambda: (
                "driver door opened",
                {"closure-doors": doors_body(locked=False, open_cells=DRIVER_DOOR)},
            ),
            lambda: ("driver door closed", {"closure-doors": doors_body(locked=False)}),
        ]
        actions += [
            partial(self._leg, speed, leg_heading, first=index == 0)
            for index, (speed, leg_heading) in enumerate(legs)
        ]
        actions.append(partial(self._leg, 0, legs[-1][1], first=False))
        if rng.random() < 0.3:  # noqa: PLR2004
            actions += [
                lambda: (
                    "rear trunk opened",
                    {"closure-reartrunk": {"isOpen": True, "isLocked": False}},
                ),
                lambda: (
                    "rear trunk closed",
                    {"closure-reartrunk": {"isOpen": False, "isLocked": False}},
                ),
            ]
        actions.append(lambda: ("locked", _lock_changes(locked=True)))
        actions.append(lambda: ("tires cooled down", {TIRES: cold_tires(self.script.vehicle)}))
        actions += [self._low_voltage_drain] * rng.randint(0, 2)
        return actions

    def _heading(self) -> float:
        """Back towards home when far from it, else anywhere."""
        v = self.script.vehicle
        here = self.script.bodies[LOCATION]
        north = (v.latitude - here["latitude"]) * 111.2
        east = (v.longitude - here["longitude"]) * 111.2 * math.cos(math.radians(v.latitude))
        if math.hypot(north, east) > HOME_RADIUS_KM:
            return math.degrees(math.atan2(east, north)) % 360
        return self.rng.uniform(0, 360)

    def _leg(self, speed: int, heading: float, *, first: bool) -> tuple[str, Changes]:
        """Driving on for a leg at ``speed`` (0: the last bit, then parked)."""
        script = self.script
        v = script.vehicle
        here = script.bodies[LOCATION]
        km = round(speed * LEG_MINUTES / 60 if speed else self.rng.uniform(0.2, 0.6), 1)
        lat, lon = _move(here["latitude"], here["longitude"], km, heading)
        changes: Changes = {
            LOCATION: location_body(lat, lon, heading),
            ODOMETER: {"value": round(script.value(ODOMETER) + km, 1), "unit": "km"},
            SPEED: {"value": speed, "unit": "km/h"},
        }
        self.driven_km += km
        used = int(self.driven_km // v.km_per_percent)
        if used:
            self.driven_km -= used * v.km_per_percent
            changes |= _charge_level(v, max(0, script.value(SOC) - used))
        if first:  # tires warm up; the 12 V battery is charged while the car is on
            changes[TIRES] = _warm_tires(v)
            if script.value(LOW_VOLTAGE) != v.low_voltage_percent:
                changes[LOW_VOLTAGE] = {"value": v.low_voltage_percent, "unit": "percent"}
        return (f"driving at {speed} km/h" if speed else "parked"), changes

    def _low_voltage_drain(self) -> tuple[str, Changes]:
        nominal = self.script.vehicle.low_voltage_percent
        level = max(nominal - LOW_VOLTAGE_DRAIN, self.script.value(LOW_VOLTAGE) - 1)
        return f"12 V battery {level} %", {LOW_VOLTAGE: {"value": level, "unit": "percent"}}

    # A charge session, to the limit.

    def _charge(self) -> list[_Action]:
        v = self.script.vehicle
        start_soc = self.script.value(SOC)
        target = max(CHARGE_LIMIT, start_soc)
        steps = max(2, min(8, math.ceil((target - start_soc) / 5)))

        def progress(k: int) -> tuple[str, Changes]:
            changes = _charging(v, start_soc, target, k, steps)
            return f"charging, {changes[SOC]['value']} %", changes

        return [
            lambda: ("plugged in", {"charge-ischargingcableconnected": {"value": True}}),
            lambda: ("charging started", _charging_started(v, start_soc, target)),
            *(partial(progress, k) for k in range(1, steps)),
            lambda: ("charge complete", _charge_complete(v, start_soc, target)),
            lambda: ("unplugged", UNPLUGGED),
        ]


def _build(  # noqa: PLR0913
    scenario: str,
    vehicles: int,
    count: int,
    interval: float,
    *,
    first_vehicle: int = 0,
    start: Start | None = None,
) -> tuple[list[Step], list[_Script]]:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")
    if vehicles < 1:
        raise ValueError("at least one vehicle is needed")
    if first_vehicle < 0:
        raise ValueError("the first vehicle's index must not be negative")
    cars = fleet(vehicles, first_vehicle)
    saved = start or {}
    if scenario == "stream":
        scripts = [_Script(car, start=saved.get(car.id)) for car in cars]
        streams = [
            _Stream(script, random.Random(f"stream-{script.vehicle.index}"))  # noqa: S311 (not crypto)
            for script in scripts
        ]
        for k in range(count):
            stream = streams[k % vehicles]
            at = k * interval
            if not stream.script.steps:
                stream.script.at = at
                stream.script.first()
            else:
                stream.step(at)
    else:
        scripts = [
            _Script(car, position * VEHICLE_OFFSET, saved.get(car.id))
            for position, car in enumerate(cars)
        ]
        for script in scripts:
            (_full if scenario == "full" else _idle)(script)
    steps = sorted(
        (step for script in scripts for step in script.steps),
        key=lambda step: (step.at, step.vehicle.index),
    )
    return steps, scripts


def timeline(  # noqa: PLR0913
    scenario: str = "full",
    vehicles: int = 1,
    *,
    count: int = DEFAULT_COUNT,
    interval: float = DEFAULT_INTERVAL,
    first_vehicle: int = 0,
    start: Start | None = None,
) -> list[Step]:
    """Every event of a scenario, in time order (``count``/``interval``: "stream" only).

    ``first_vehicle`` skips that many cars of the fleet; ``start`` gives, per vehicle id,
    where a previous run left the car (its signal bodies), for it to continue from there.
    """
    return _build(scenario, vehicles, count, interval, first_vehicle=first_vehicle, start=start)[0]


def expected_state(  # noqa: PLR0913
    scenario: str = "full",
    vehicles: int = 1,
    *,
    count: int = DEFAULT_COUNT,
    interval: float = DEFAULT_INTERVAL,
    first_vehicle: int = 0,
    start: Start | None = None,
) -> dict[str, ExpectedVehicle]:
    """The last value of every signal per vehicle id after the whole scenario.

    Fault injection (duplicates, reordering, forged and malformed bodies) does not change
    it: a correct receiver ends in this state whatever was injected. Vehicles that got no
    event (a "stream" with fewer deliveries than vehicles) are left out. The arguments are
    those of :func:`timeline`.
    """
    _, scripts = _build(
        scenario, vehicles, count, interval, first_vehicle=first_vehicle, start=start
    )
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

    def __init__(
        self,
        vehicle: Vehicle,
        start_ms: int,
        *,
        start: Mapping[str, Any] | None = None,
        stamps: Mapping[str, int] | None = None,
    ) -> None:
        """Start as :func:`start_bodies` says, the timestamps those of the previous run.

        Without ``stamps`` (or for a signal without one) the values were last updated some
        minutes to hours before ``start_ms``; a value that coming to rest changed
        (:func:`at_rest`) changed just now, after the stamp it had.
        """
        self.vehicle = vehicle
        self.bodies = start_bodies(vehicle, start)
        self.oem: dict[str, int] = {}
        for code in SIGNAL_CODES:
            stamp = (stamps or {}).get(code)
            if stamp is None:
                stamp = start_ms - INITIAL_AGE_MINUTES.get(code, DEFAULT_AGE_MINUTES) * 60_000
            elif start is None or start.get(code) != self.bodies[code]:
                stamp = max(stamp + 1, start_ms - OEM_LAG_MS)
            self.oem[code] = stamp
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
