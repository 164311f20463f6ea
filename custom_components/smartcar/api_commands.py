"""Commands to a vehicle through Smartcar's API v3: locks, charging, charge limit, charge port.

Plain Python, no Home Assistant imports. A command is ``POST /vehicles/{id}/commands/…`` with
the user's ``sc-user-id`` (API-v3.md section 4). Smartcar answers 200 when the car carried
it out and 202 when it is still being carried out (a long-running command); a 202's body,
which can hold the outcome, is waited for a few seconds at most. Neither answer carries the
vehicle's new state: the vehicle's signals confirm it (a delivery, or a refresh read).

Commands are never retried: a timeout or a server error can come after the car acted, a
second try costs another of the vehicle's monthly calls, and a rate limit (429) is the
caller's to wait out (``SmartcarRateLimitError.retry_after`` says how long). The one second
try is with a new token after Smartcar refused the token, before doing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final

import aiohttp

from .api_errors import SmartcarError, SmartcarPermissionError, error_from_answer
from .api_json import nonempty_text
from .api_transport import CallPolicy, path_segment

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from .api_transport import Answer, SmartcarTransport

SCOPE_CONTROL_SECURITY: Final = "control_security"
SCOPE_CONTROL_CHARGE: Final = "control_charge"
# Smartcar's range for set-limit, in percent (v3 sends a percentage, v2 a fraction).
CHARGE_LIMIT_PERCENT_RANGE: Final = range(50, 101)
# Smartcar answers a command that takes under about 175 s in one answer, a longer one with a
# 202 (C6 of API-v3.md's sources, from Smartcar's docs): a command is not cut short at 30 s.
COMMAND_POLICY: Final = CallPolicy(
    attempts=1, timeout=aiohttp.ClientTimeout(total=190), pending_body_seconds=5.0
)
# The outcomes of a command execution that are failures (Smartcar documents only SUCCESS).
_FAILED: Final = frozenset({"FAILED", "FAILURE", "ERROR"})


class VehicleCommand(StrEnum):
    """A command of Smartcar's API v3; its value is its path under ``/commands``."""

    LOCK = "security/lock"
    UNLOCK = "security/unlock"
    START_CHARGE = "charge/start"
    STOP_CHARGE = "charge/stop"
    SET_CHARGE_LIMIT = "charge/set-limit"
    OPEN_CHARGE_PORT = "charge-port/open"
    CLOSE_CHARGE_PORT = "charge-port/close"

    @property
    def permission(self) -> str:
        """The permission (Connect's scope) the command needs, by its group.

        Smartcar documents them on its v2 pages; its v3 pages name none, and the charge
        port's is taken to be charging's.
        """
        locks = self.value.startswith("security/")
        return SCOPE_CONTROL_SECURITY if locks else SCOPE_CONTROL_CHARGE


@dataclass(frozen=True, slots=True)
class CommandResult:
    """Smartcar's answer to a command it accepted."""

    command: VehicleCommand
    # True: Smartcar is still carrying it out (202); the signals will tell.
    pending: bool
    # Smartcar's id of the request (sc-request-id), to quote to its support.
    request_id: str | None
    # Smartcar's id of the execution ("exec_…"), when its body named one.
    execution_id: str | None


class VehicleCommands:
    """Sends commands to the user's vehicles; each costs one of the vehicle's monthly calls."""

    def __init__(
        self, transport: SmartcarTransport, vehicle_url: str, scopes: Collection[str]
    ) -> None:
        """Send through ``transport`` to the vehicle API at ``vehicle_url``.

        ``scopes`` are the permissions asked for: a command needing another is refused
        without a call.
        """
        self._transport = transport
        self._vehicle_url = vehicle_url.rstrip("/")
        self._scopes = frozenset(scopes)

    def permitted(self, command: VehicleCommand) -> bool:
        """Whether the permission the command needs was asked for."""
        return command.permission in self._scopes

    async def async_lock(self, vehicle_id: str) -> CommandResult:
        """Lock the vehicle's doors."""
        return await self._send(vehicle_id, VehicleCommand.LOCK)

    async def async_unlock(self, vehicle_id: str) -> CommandResult:
        """Unlock the vehicle's doors."""
        return await self._send(vehicle_id, VehicleCommand.UNLOCK)

    async def async_start_charging(self, vehicle_id: str) -> CommandResult:
        """Start charging (the cable must be plugged in)."""
        return await self._send(vehicle_id, VehicleCommand.START_CHARGE)

    async def async_stop_charging(self, vehicle_id: str) -> CommandResult:
        """Stop charging."""
        return await self._send(vehicle_id, VehicleCommand.STOP_CHARGE)

    async def async_set_charge_limit(self, vehicle_id: str, percent: int) -> CommandResult:
        """Charge up to ``percent`` (a whole number from 50 to 100).

        Raises ``ValueError`` for any other value, without a call.
        """
        # A float is "in" a range too (80.0): only a whole number is a percentage here.
        if not isinstance(percent, int) or percent not in CHARGE_LIMIT_PERCENT_RANGE:
            low, high = CHARGE_LIMIT_PERCENT_RANGE[0], CHARGE_LIMIT_PERCENT_RANGE[-1]
            msg = f"A charge limit is a whole percentage from {low} to {high}, not {percent!r}"
            raise ValueError(msg)
        payload = {"data": {"attributes": {"percent": percent}}}
        return await self._send(vehicle_id, VehicleCommand.SET_CHARGE_LIMIT, payload)

    async def async_open_charge_port(self, vehicle_id: str) -> CommandResult:
        """Open the charge port's flap."""
        return await self._send(vehicle_id, VehicleCommand.OPEN_CHARGE_PORT)

    async def async_close_charge_port(self, vehicle_id: str) -> CommandResult:
        """Close the charge port's flap."""
        return await self._send(vehicle_id, VehicleCommand.CLOSE_CHARGE_PORT)

    async def _send(
        self, vehicle_id: str, command: VehicleCommand, payload: dict[str, Any] | None = None
    ) -> CommandResult:
        if not self.permitted(command):
            permission = command.permission
            msg = f"{command.name} needs the {permission} permission, which was not asked for"
            raise SmartcarPermissionError(msg, code=permission)
        answer = await self._transport.async_request(
            "POST",
            f"{self._vehicle_url}/vehicles/{path_segment(vehicle_id)}/commands/{command}",
            json=payload,
            vehicle=vehicle_id,
            policy=COMMAND_POLICY,
        )
        return command_result(command, answer)


def command_result(command: VehicleCommand, answer: Answer) -> CommandResult:
    """What Smartcar's 2xx answer says of the command; a failure in its body is raised.

    ``data.attributes.status.value`` SUCCESS is done, a failure raises the typed error of
    its ``status.error`` (or of a whole error body, which a 202 can end with), any other
    outcome is pending; without one, a 202 is pending and any other answer done.
    """
    data = answer.body.get("data")
    execution = data if isinstance(data, dict) else {}
    attributes = execution.get("attributes")
    status = attributes.get("status") if isinstance(attributes, dict) else None
    outcome = nonempty_text(status.get("value")) if isinstance(status, dict) else None
    if outcome is None and not execution and nonempty_text(answer.body.get("type")):
        raise _failure(answer, answer.body)
    if isinstance(status, dict) and outcome in _FAILED:
        error = status.get("error")
        raise _failure(answer, error if isinstance(error, dict) else {})
    pending = outcome != "SUCCESS" if outcome else answer.status == HTTPStatus.ACCEPTED
    return CommandResult(
        command=command,
        pending=pending,
        request_id=answer.request_id,
        execution_id=nonempty_text(execution.get("id")),
    )


def _failure(answer: Answer, error: Mapping[str, Any]) -> SmartcarError:
    """The typed error of a failure Smartcar reported in a 2xx body (its status if it says)."""
    status = error.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or status < HTTPStatus.BAD_REQUEST:
        status = answer.status
    return error_from_answer(status, error, request_id=answer.request_id)
