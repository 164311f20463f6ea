"""Acting on the car and reading it on demand: a Smartcar Connect entry's commands and refreshes.

Only entries on Smartcar's API v3 act (``runtime.control``); a control is offered where its
permission was asked for (the catalog's ``controls`` say which commands each one sends).

A command returns once Smartcar answers: 200 when the car carried it out, 202 while it is
still at it. Neither answer carries the car's new state: the entity shows the commanded
state as pending until the car's signal shows it (``pending_commands``), and the one read
that confirms it, if nothing did sooner, is one more call, tried once.

A refresh reads every signal of the vehicle and hands them to the runtime in a delivery's
envelope, parsed by the protocol core: the same ordering (an older value never replaces a
newer one) and the same change-only writes as a webhook delivery. Nothing is read unless a
user (or an automation) asks, or a command waits for its confirmation.

Every call counts against the vehicle's monthly calls (``MonthlyCallCounter``, kept in
``call_counter_store``); after a rate limit (429) no call about the vehicle is sent until
the wait Smartcar asked for has passed. The last commands and reads are kept for diagnostics
(``control_log``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util

from .account import application_token, is_connect_v3, listed_vehicles, smartcar_client
from .api import api_signal
from .api_commands import VehicleCommand
from .api_errors import SmartcarAuthError, SmartcarError, SmartcarRateLimitError
from .api_hosts import VEHICLE_API_URL
from .api_transport import REQUEST_TIMEOUT, CallPolicy, SmartcarTransport, path_segment
from .call_counter_store import call_counter_store
from .const import CONF_USER_ID, LOGGER
from .control_errors import control_error
from .control_log import CONFIRMING_READ, REFRESH, ControlLog, Outcome
from .dispatch import VehicleTopic
from .fleet import Vehicle
from .freshness import now_ms
from .pending_commands import PendingCommand, PendingCommands
from .protocol import parse_event
from .replaced_entities import async_replace_read_only_entities

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .api import SmartcarClient, SmartcarVehicle
    from .api_commands import CommandResult, VehicleCommands
    from .call_counter_store import CallCounterStore
    from .monthly_call_counter import MonthlyCallCounter
    from .protocol import Event
    from .roles import ControlRole
    from .runtime import SmartcarRuntime

# How long to leave the vehicle alone after a 429 that does not say (Smartcar's vehicle
# bucket refills at 2 requests a minute).
RATE_LIMIT_PAUSE: Final = timedelta(seconds=60)
# A confirming read is one call, whatever Smartcar answers.
ONE_TRY: Final = CallPolicy(attempts=1, timeout=REQUEST_TIMEOUT)
# How a refresh shows in the smartcar_delivery bus event's triggers.
REFRESH_TRIGGER: Final = "REFRESH"

# How each command is sent; ``value`` is the number of a number control.
_SENDERS: Final[
    Mapping[VehicleCommand, Callable[[VehicleCommands, str, Any], Awaitable[CommandResult]]]
] = {
    VehicleCommand.LOCK: lambda commands, vehicle_id, _: commands.async_lock(vehicle_id),
    VehicleCommand.UNLOCK: lambda commands, vehicle_id, _: commands.async_unlock(vehicle_id),
    VehicleCommand.START_CHARGE: lambda commands, vehicle_id, _: commands.async_start_charging(
        vehicle_id
    ),
    VehicleCommand.STOP_CHARGE: lambda commands, vehicle_id, _: commands.async_stop_charging(
        vehicle_id
    ),
    VehicleCommand.SET_CHARGE_LIMIT: lambda commands, vehicle_id, percent: (
        commands.async_set_charge_limit(vehicle_id, percent)
    ),
    VehicleCommand.OPEN_CHARGE_PORT: lambda commands, vehicle_id, _: (
        commands.async_open_charge_port(vehicle_id)
    ),
    VehicleCommand.CLOSE_CHARGE_PORT: lambda commands, vehicle_id, _: (
        commands.async_close_charge_port(vehicle_id)
    ),
}


async def async_setup_control(
    hass: HomeAssistant, entry: ConfigEntry, runtime: SmartcarRuntime
) -> None:
    """Give a Connect entry on API v3 its controls; every entry its read-only entities back.

    Before the platforms are set up: the replacement of read-only entities by controls
    must see each signal before the platforms add its entities.
    """
    if is_connect_v3(entry.data):
        store = call_counter_store(hass, entry.entry_id)
        counter = await store.async_load()
        runtime.control = VehicleControl(runtime, counter, store)
        entry.async_on_unload(runtime.control.async_unload)
    control = runtime.control
    entry.async_on_unload(
        async_replace_read_only_entities(
            hass, entry, runtime, lambda role: control is not None and control.offers(role)
        )
    )


class VehicleControl:
    """The commands and refreshes of one Connect entry's vehicles."""

    def __init__(
        self, runtime: SmartcarRuntime, counter: MonthlyCallCounter, store: CallCounterStore
    ) -> None:
        """Call Smartcar for the runtime's entry, counting each call in ``counter``."""
        self._runtime = runtime
        self._counter = counter
        self._store = store
        hass, data = runtime.hass, runtime.entry.data
        self._client: SmartcarClient = smartcar_client(hass, data, call_counter=counter)
        self._transport = SmartcarTransport(
            async_get_clientsession(hass),
            application_token(hass, data),
            str(data[CONF_USER_ID]),
            call_counter=counter,
        )
        self._paused_until: dict[str, datetime] = {}
        self.log = ControlLog()
        self.pending = PendingCommands(runtime, self._async_confirm, self.log)

    # --- What the entities ask ----------------------------------------------------------

    def offers(self, role: ControlRole) -> bool:
        """Whether the entry asked for every permission the control's commands need."""
        return all(self._client.commands.permitted(command) for command in role.commands)

    @property
    def calls(self) -> MonthlyCallCounter:
        """The vehicles' calls this month."""
        return self._counter

    def calls_this_month(self, vehicle_id: str) -> dict[str, Any]:
        """The vehicle's API calls this month, of how many, and when the count restarts."""
        return {
            "used": self._counter.calls_used(vehicle_id),
            "limit": self._counter.limit,
            "left": self._counter.calls_left(vehicle_id),
            "month_ends_at": self._counter.month_ends_at().isoformat(),
        }

    # --- Commands -----------------------------------------------------------------------

    async def async_command(
        self, vehicle_id: str, code: str, role: ControlRole, target: Any
    ) -> None:
        """Bring the car to ``target`` (locked, charging, a charge limit...) with a command.

        Raises a translated ``HomeAssistantError`` when Smartcar (or the call limit)
        refuses; the entity then shows the car's state again.
        """
        command = role.command(target)
        kind = command.name.lower()
        pending = self.pending.begin(vehicle_id, code, role, target, kind)
        result: CommandResult | None = None
        try:
            result = await self._async_call(
                vehicle_id,
                kind,
                lambda: _SENDERS[command](self._client.commands, vehicle_id, target),
                permission=command.permission,
            )
        finally:
            if result is None and pending is not None:
                self.pending.end(pending)  # refused, or cancelled: the car's state shows again
        outcome = Outcome.PENDING if result.pending else Outcome.DONE
        self.log.record(vehicle_id, kind, outcome, result.request_id)
        if pending is not None:
            self.pending.wait(pending)

    async def _async_confirm(self, pending: PendingCommand) -> None:
        """Read the one signal of a command nothing confirmed yet (one call)."""
        vehicle_id = pending.vehicle_id
        try:
            signals = await self._async_call(
                vehicle_id,
                CONFIRMING_READ,
                lambda: read_signal(self._transport, vehicle_id, pending.code),
            )
        except HomeAssistantError:
            return  # in the log; the wait goes on until a delivery or PENDING_AT_MOST
        self.log.record(vehicle_id, CONFIRMING_READ, self._apply(vehicle_id, signals))

    # --- Refreshes ----------------------------------------------------------------------

    async def async_refresh(self, vehicle_id: str) -> None:
        """Read every signal of the vehicle now and apply them as a delivery.

        Raises a translated ``HomeAssistantError`` when the read fails.
        """
        signals = await self._async_call(
            vehicle_id, REFRESH, lambda: self._client.async_get_signals(vehicle_id)
        )
        self.log.record(vehicle_id, REFRESH, self._apply(vehicle_id, signals))

    def _apply(self, vehicle_id: str, signals: list[dict[str, Any]]) -> Outcome:
        """Hand read signals to the runtime as a delivery of them; return the outcome."""
        if not signals:
            return Outcome.NO_SIGNALS
        listed = {vehicle.id: vehicle for vehicle in listed_vehicles(self._runtime.entry)}
        vehicle = self._runtime.fleet.vehicles.get(vehicle_id) or listed.get(vehicle_id)
        self._runtime.async_apply(refresh_event(vehicle_id, vehicle, signals, now_ms()))
        return Outcome.APPLIED

    # --- Every call ---------------------------------------------------------------------

    async def _async_call[T](
        self,
        vehicle_id: str,
        kind: str,
        call: Callable[[], Awaitable[T]],
        *,
        permission: str | None = None,
    ) -> T:
        """Make one call about a vehicle; a failure is logged and raised translated."""
        try:
            if (wait := self._pause_left(vehicle_id)) > 0:
                raise SmartcarRateLimitError(
                    f"Smartcar asked to wait {wait:.0f} s more", retry_after=wait
                )
            return await call()
        except SmartcarError as err:
            self._learn(vehicle_id, err)
            self.log.record(vehicle_id, kind, Outcome.FAILED, err.request_id, str(err))
            LOGGER.debug("Smartcar %s of vehicle %s failed: %s", kind, vehicle_id, err)
            raise control_error(
                err,
                vehicle=self._name(vehicle_id),
                entry=self._runtime.entry.title,
                permission=permission,
                retry_after=self._pause_left(vehicle_id),
            ) from err
        finally:
            self._store.schedule_save()
            # The vehicle's status entities include its calls this month.
            self._runtime.dispatch.notify(vehicle_id, VehicleTopic.STATUS)

    def _learn(self, vehicle_id: str, err: SmartcarError) -> None:
        """A rate limit pauses the vehicle's calls; refused credentials ask for new ones."""
        if isinstance(err, SmartcarRateLimitError):
            pause = (
                RATE_LIMIT_PAUSE if err.retry_after is None else timedelta(seconds=err.retry_after)
            )
            self._paused_until[vehicle_id] = dt_util.utcnow() + pause
        elif isinstance(err, SmartcarAuthError):
            self._runtime.entry.async_start_reauth(self._runtime.hass)

    def _pause_left(self, vehicle_id: str) -> float:
        """Seconds before a call about the vehicle may be sent again after a rate limit."""
        until = self._paused_until.get(vehicle_id)
        return 0.0 if until is None else (until - dt_util.utcnow()).total_seconds()

    def _name(self, vehicle_id: str) -> str:
        vehicle = self._runtime.fleet.vehicles.get(vehicle_id) or Vehicle(id=vehicle_id)
        return self._runtime.devices.name(vehicle)

    async def async_unload(self) -> None:
        """Stop waiting for confirmations and write the call counts now."""
        self.pending.unload()
        await self._store.async_flush()


def refresh_event(
    vehicle_id: str,
    vehicle: Vehicle | SmartcarVehicle | None,
    signals: list[dict[str, Any]],
    at_ms: int,
) -> Event:
    """Read signals as the webhook reads a delivery of them.

    No event id (a read is never a retry), the vehicle's make, model and year as known
    (a delivery names them too, so the device keeps them), and a ``REFRESH`` trigger.
    """
    known = {
        name: getattr(vehicle, name)
        for name in ("make", "model", "year")
        if getattr(vehicle, name, None) is not None
    }
    return parse_event(
        {
            "eventType": "VEHICLE_STATE",
            "data": {"vehicle": {"id": vehicle_id, **known}, "signals": signals},
            "triggers": [{"type": REFRESH_TRIGGER}],
            "meta": {"deliveredAt": at_ms},
        }
    )


async def read_signal(
    transport: SmartcarTransport, vehicle_id: str, code: str
) -> list[dict[str, Any]]:
    """``GET /vehicles/{id}/signals/{code}``, tried once, in a delivery's shape (or none)."""
    answer = await transport.async_request(
        "GET",
        f"{VEHICLE_API_URL}/vehicles/{path_segment(vehicle_id)}/signals/{path_segment(code)}",
        vehicle=vehicle_id,
        policy=ONE_TRY,
    )
    signal = api_signal(answer.body.get("data"))
    return [signal] if signal is not None else []
