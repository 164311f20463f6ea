"""One simulated day of one car, as deliveries five minutes apart.

Each delivery carries every signal of an electric car (tests/payloads.py's bodies) and
changes one or two of them, following a commuter's day: charging at home after midnight up
to the charge limit, unplugged, a drive to work with the door and lock used at each end,
parked at work, the drive home, the boot opened in the evening, plugged in again until the
limit. While parked with nothing else going on, the outside temperature moves by 0.1 °C.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from .payloads import ODOMETER, SOC

DELIVERY_MINUTES: Final = 5
DAY_DELIVERIES: Final = 24 * 60 // DELIVERY_MINUTES

CHARGING: Final = "charge-ischarging"
CABLE: Final = "charge-ischargingcableconnected"
DOORS: Final = "closure-doors"
LOCKED: Final = "closure-islocked"
TRUNK: Final = "closure-reartrunk"
AT_HOME: Final = "location-isathome"
LOCATION: Final = "location-preciselocation"
TEMPERATURE: Final = "climate-externaltemperature"
CHARGE_LIMIT: Final = 90
DRIVE_SLOTS: Final = 8  # a 40-minute commute
KM_PER_SLOT: Final = 4.2
WORK_OFFSET: Final = (-0.03, 0.025)  # a few kilometres south-east of home
DRIVE: Final = "drive"  # not a signal: a stretch of a commute, worked out when it comes

type Change = tuple[str, Any]


def _slot(hour: int, minute: int = 0) -> int:
    return (hour * 60 + minute) // DELIVERY_MINUTES


def moments(home: tuple[float, float], work: tuple[float, float]) -> dict[int, list[Change]]:
    """What happens at fixed times of the day, one or two changes each."""
    leave_home, leave_work = _slot(7, 30), _slot(17)
    at_work, at_home = leave_home + 2 + DRIVE_SLOTS, leave_work + 2 + DRIVE_SLOTS
    return {
        leave_home - 1: [(CABLE, False)],
        leave_home: [(LOCKED, False), (DOORS, True)],
        leave_home + 1: [(DOORS, False), (AT_HOME, False)],
        at_work: [(LOCATION, work), (DOORS, True)],
        at_work + 1: [(DOORS, False), (LOCKED, True)],
        leave_work: [(LOCKED, False), (DOORS, True)],
        leave_work + 1: [(DOORS, False)],
        at_home: [(LOCATION, home), (AT_HOME, True)],
        at_home + 1: [(DOORS, True)],
        at_home + 2: [(DOORS, False), (LOCKED, True)],
        _slot(18, 30): [(TRUNK, True)],
        _slot(18, 35): [(TRUNK, False)],
        _slot(19): [(CABLE, True), (CHARGING, True)],
        **{leave_home + 2 + step: [(DRIVE, (step, work))] for step in range(DRIVE_SLOTS)},
        **{leave_work + 2 + step: [(DRIVE, (step, home))] for step in range(DRIVE_SLOTS)},
    }


@dataclass
class Car:
    """The simulated car: its bodies as last delivered, and what moves them."""

    bodies: dict[str, dict[str, Any]]
    home: tuple[float, float]
    timeline: dict[int, list[Change]] = field(init=False)

    def __post_init__(self) -> None:
        """Parked at home after midnight, plugged in and charging from 45 %."""
        work = (self.home[0] + WORK_OFFSET[0], self.home[1] + WORK_OFFSET[1])
        self.timeline = moments(self.home, work)
        self.position = self.home
        for code, value in [
            (SOC, 45),
            (TEMPERATURE, 6.0),
            (CABLE, True),
            (CHARGING, True),
            (LOCKED, True),
            (AT_HOME, True),
            (DOORS, False),
            (TRUNK, False),
            (LOCATION, self.home),
        ]:
            self._apply(code, value)

    def value(self, code: str) -> Any:
        """The value a signal holds now."""
        return self.bodies[code]["value"]

    def _apply(self, code: str, value: Any) -> None:
        body = self.bodies[code]
        if code == DOORS:  # the driver's door (row 0, column 0)
            cells = [
                {**cell, "isOpen": value and (cell["row"], cell["column"]) == (0, 0)}
                for cell in body["values"]
            ]
            self.bodies[code] = {**body, "values": cells}
        elif code == TRUNK:
            self.bodies[code] = {**body, "isOpen": value, "isLocked": not value}
        elif code == LOCATION:
            self.position = value
            self.bodies[code] = {
                **body,
                "latitude": round(value[0], 5),
                "longitude": round(value[1], 5),
            }
        else:
            self.bodies[code] = {**body, "value": value}

    def _drive(self, step: int, destination: tuple[float, float]) -> list[Change]:
        """Five minutes of a commute: further on, and the battery or the place by turns."""
        odometer = (ODOMETER, round(self.value(ODOMETER) + KM_PER_SLOT, 1))
        if step % 2:
            return [odometer, (SOC, self.value(SOC) - 1)]
        (latitude, longitude), share = self.position, 2 / DRIVE_SLOTS
        moved = (
            latitude + (destination[0] - latitude) * share,
            longitude + (destination[1] - longitude) * share,
        )
        return [odometer, (LOCATION, moved)]

    def _idle(self, slot: int) -> list[Change]:
        if self.value(CHARGING) and self.value(SOC) < CHARGE_LIMIT:
            return [(SOC, self.value(SOC) + 1)]
        if self.value(CHARGING):
            return [(CHARGING, False)]
        # Warmer until three in the afternoon, cooler after.
        step = 0.1 if _slot(4) <= slot < _slot(15) else -0.1
        return [(TEMPERATURE, round(self.value(TEMPERATURE) + step, 1))]

    def advance(self, slot: int) -> list[str]:
        """The delivery of ``slot`` (0: the first after midnight); the codes it changes."""
        planned = self.timeline.get(slot) or self._idle(slot)
        if planned[0][0] == DRIVE:
            planned = self._drive(*planned[0][1])
        for code, value in planned:
            self._apply(code, value)
        return [code for code, _ in planned]
