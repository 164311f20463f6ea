"""What the fake Smartcar API's commands (simulator/api.py) do to a simulated car.

A command is ``POST /vehicle/v3/vehicles/{id}/commands/<group>/<action>`` (API-v3.md
section 4). Each one here has the permission it needs and its effect: the signal bodies
the car reports afterwards, which the fake's signal reads then return. The simulated cars
have no motorised charge-port flap: ``charge-port/open`` and ``/close`` are not offered
(the fake answers 501 ``COMPATIBILITY:VEHICLE_NOT_CAPABLE``, as for many real cars).
"""

from __future__ import annotations

from dataclasses import dataclass
import secrets
from typing import TYPE_CHECKING, Any, Final

from .payloads import doors_body

if TYPE_CHECKING:
    from collections.abc import Callable

type SignalBodies = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Command:
    """A command the simulated cars carry out."""

    permission: str
    # The command's JSON body (None without one) -> the signals it changes; ValueError
    # for a body Smartcar would refuse (400 VALIDATION).
    effect: Callable[[Any], SignalBodies]


def _locked(*, locked: bool) -> Callable[[Any], SignalBodies]:
    return lambda _: {
        "closure-islocked": {"value": locked},
        "closure-doors": doors_body(locked=locked),
    }


def _charging(*, charging: bool) -> Callable[[Any], SignalBodies]:
    status = "CHARGING" if charging else "NOT_CHARGING"
    return lambda _: {
        "charge-ischarging": {"value": charging},
        "charge-detailedchargingstatus": {"value": status},
    }


def _charge_limit(payload: Any) -> SignalBodies:
    data = payload.get("data") if isinstance(payload, dict) else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    percent = attributes.get("percent") if isinstance(attributes, dict) else None
    if not isinstance(percent, int) or isinstance(percent, bool) or not 50 <= percent <= 100:  # noqa: PLR2004
        msg = f"data.attributes.percent must be a whole number from 50 to 100, not {percent!r}"
        raise ValueError(msg)
    return {
        "charge-chargelimits": {
            "values": [{"type": "GLOBAL", "limit": percent, "condition": None}],
            "activeLimit": percent,
            "unit": "percent",
        }
    }


COMMANDS: Final[dict[str, Command]] = {
    "security/lock": Command("control_security", _locked(locked=True)),
    "security/unlock": Command("control_security", _locked(locked=False)),
    "charge/start": Command("control_charge", _charging(charging=True)),
    "charge/stop": Command("control_charge", _charging(charging=False)),
    "charge/set-limit": Command("control_charge", _charge_limit),
}


def execution(path: str, payload: Any, *, pending: bool) -> dict[str, Any]:
    """The answer's ``command-execution`` (as Smartcar's set-limit page shows it)."""
    data = payload.get("data") if isinstance(payload, dict) else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    return {
        "data": {
            "id": f"exec_{secrets.token_hex(5)}",
            "type": "command-execution",
            "attributes": {
                "commandType": path.replace("/", "-"),
                "status": {"value": "PENDING" if pending else "SUCCESS"},
                "executionMode": "async" if pending else "sync",
                **({"parameters": attributes} if isinstance(attributes, dict) else {}),
            },
        }
    }
