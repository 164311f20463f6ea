"""Commands (api_commands.py): each command's request, sync and pending answers, failures."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any
from unittest.mock import patch

from aiohttp import ClientSession
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from custom_components.smartcar.api import CONTROL_SCOPES, DEFAULT_SCOPES, SmartcarClient
from custom_components.smartcar.api_commands import (
    COMMAND_POLICY,
    CommandResult,
    VehicleCommand,
    VehicleCommands,
)
from custom_components.smartcar.api_errors import (
    SmartcarAccountError,
    SmartcarAuthError,
    SmartcarBillingError,
    SmartcarCompatibilityError,
    SmartcarError,
    SmartcarNotFoundError,
    SmartcarPermissionError,
    SmartcarRateLimitError,
    SmartcarServerError,
    SmartcarTimeoutError,
)
from custom_components.smartcar.api_hosts import TOKEN_URL, VEHICLE_API_URL
from custom_components.smartcar.api_token import ApplicationToken
from tests.conftest import EV_ID
from tests.smartcar_api import (
    APP_TOKEN,
    USER_ID,
    calls,
    command_execution,
    command_url,
    documented_error_body,
    error_body,
    mock_command,
    token_payload,
)

from .conftest import PASSING_TROUBLE, Sleeps, answers, make_client

# The commands without a body, by the client method that sends each.
PLAIN_COMMANDS = [
    ("async_lock", VehicleCommand.LOCK),
    ("async_unlock", VehicleCommand.UNLOCK),
    ("async_start_charging", VehicleCommand.START_CHARGE),
    ("async_stop_charging", VehicleCommand.STOP_CHARGE),
    ("async_open_charge_port", VehicleCommand.OPEN_CHARGE_PORT),
    ("async_close_charge_port", VehicleCommand.CLOSE_CHARGE_PORT),
]
LOCK_URL = command_url(EV_ID, "security/lock")


@pytest.fixture
def commands(session: ClientSession, sleeps: Sleeps) -> VehicleCommands:
    """The commands of a client whose user granted control of the car."""
    return make_client(session, sleeps, scopes=[*DEFAULT_SCOPES, *CONTROL_SCOPES]).commands


async def send(commands: VehicleCommands, method: str) -> CommandResult:
    """Send the EV the command of ``method``."""
    result: CommandResult = await getattr(commands, method)(EV_ID)
    return result


class SlowBody(AiohttpClientMockResponse):
    """A 202 whose body (the command's outcome) would come only when the command ends."""

    async def text(self, encoding: str | None = None, errors: str = "strict") -> str:
        """Never arrive."""
        await asyncio.Event().wait()
        return ""  # pragma: no cover


# --- Each command -------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "command"), PLAIN_COMMANDS)
async def test_command_is_sent_and_carried_out(
    commands: VehicleCommands,
    aioclient_mock: AiohttpClientMocker,
    sleeps: Sleeps,
    method: str,
    command: VehicleCommand,
) -> None:
    """POST to the command's path, no body, for the user; 200: done, with Smartcar's ids."""
    url = mock_command(aioclient_mock, command)
    assert await send(commands, method) == CommandResult(
        command=command, pending=False, request_id="req-7f3e", execution_id="exec_9876543210"
    )
    ((_, called, data, headers),) = calls(aioclient_mock, "post", url)
    assert called == URL(url)
    assert data is None
    assert headers["sc-user-id"] == USER_ID
    assert headers["Authorization"] == f"Bearer {APP_TOKEN}"
    assert sleeps == []


def test_command_paths() -> None:
    """The paths of Smartcar's command reference (charge port: its OpenAPI spec, per C6)."""
    assert [command.value for command in VehicleCommand] == [
        "security/lock",
        "security/unlock",
        "charge/start",
        "charge/stop",
        "charge/set-limit",
        "charge-port/open",
        "charge-port/close",
    ]


@pytest.mark.parametrize("percent", [50, 80, 100])
async def test_charge_limit_is_sent_in_percent(
    commands: VehicleCommands, aioclient_mock: AiohttpClientMocker, percent: int
) -> None:
    """v3 takes a whole percentage (v2 took a fraction)."""
    body = command_execution("charge/set-limit", parameters={"percent": percent})
    url = mock_command(aioclient_mock, "charge/set-limit", json=body)
    result = await commands.async_set_charge_limit(EV_ID, percent)
    assert result.command is VehicleCommand.SET_CHARGE_LIMIT
    assert not result.pending
    ((_, _, data, _),) = calls(aioclient_mock, "post", url)
    assert data == {"data": {"attributes": {"percent": percent}}}


@pytest.mark.parametrize("percent", [49, 101, 0, -80, 0.8, 80.5, 80.0, True, "80", None])
async def test_charge_limit_out_of_range_is_not_sent(
    commands: VehicleCommands, aioclient_mock: AiohttpClientMocker, percent: Any
) -> None:
    """Anything but a whole percentage from 50 to 100 (a fraction too) is refused here."""
    with pytest.raises(ValueError, match="from 50 to 100"):
        await commands.async_set_charge_limit(EV_ID, percent)
    assert aioclient_mock.call_count == 0


async def test_vehicle_id_is_quoted_in_the_path(
    commands: VehicleCommands, aioclient_mock: AiohttpClientMocker
) -> None:
    """An id never changes the path it is put in."""
    aioclient_mock.post(
        f"{VEHICLE_API_URL}/vehicles/a%2Fb%3Fc/commands/security/lock",
        json=command_execution("security/lock"),
    )
    assert not (await commands.async_lock("a/b?c")).pending


# --- Permissions --------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "command"), PLAIN_COMMANDS)
async def test_command_without_its_permission_is_not_sent(
    session: ClientSession,
    aioclient_mock: AiohttpClientMocker,
    method: str,
    command: VehicleCommand,
) -> None:
    """The read permissions asked for by default do not let a command go out."""
    client = SmartcarClient(session, lambda: asyncio.sleep(0, APP_TOKEN), USER_ID)
    assert not client.commands.permitted(command)
    with pytest.raises(SmartcarPermissionError, match=command.permission) as caught:
        await send(client.commands, method)
    assert caught.value.code == command.permission
    assert aioclient_mock.call_count == 0


@pytest.mark.parametrize(
    ("granted", "permitted"),
    [
        (["control_security"], {VehicleCommand.LOCK, VehicleCommand.UNLOCK}),
        (["control_charge"], set(VehicleCommand) - {VehicleCommand.LOCK, VehicleCommand.UNLOCK}),
        (list(CONTROL_SCOPES), set(VehicleCommand)),
    ],
)
def test_permissions_of_the_commands(
    session: ClientSession, sleeps: Sleeps, granted: list[str], permitted: set[VehicleCommand]
) -> None:
    """Locks need control_security, charging and the charge port control_charge."""
    commands = make_client(session, sleeps, scopes=granted).commands
    assert {command for command in VehicleCommand if commands.permitted(command)} == permitted


def test_control_permissions_are_not_asked_for_by_default() -> None:
    """The control permissions are offered on their own; the defaults stay read-only."""
    assert CONTROL_SCOPES == ("control_security", "control_charge")
    assert not set(CONTROL_SCOPES) & set(DEFAULT_SCOPES)
    assert {command.permission for command in VehicleCommand} == set(CONTROL_SCOPES)


# --- Pending (202) and outcomes in the body -----------------------------------------------


@pytest.mark.parametrize(
    ("status", "answer", "pending"),
    [
        (202, {"json": command_execution("security/lock", status="PENDING", mode="async")}, True),
        (202, {"text": ""}, True),
        (202, {"json": {"meta": {"message": "command in progress"}}}, True),
        # The outcome came within the wait: done.
        (202, {"json": command_execution("security/lock", mode="async")}, False),
        (200, {"json": command_execution("security/lock", status="IN_PROGRESS")}, True),
        (200, {"json": command_execution("security/lock", status=None)}, False),
        (200, {"json": {"data": {"id": "exec_1", "attributes": []}}}, False),
        (200, {"text": ""}, False),
        (204, {"text": ""}, False),
    ],
)
async def test_pending_or_done(
    commands: VehicleCommands,
    aioclient_mock: AiohttpClientMocker,
    status: int,
    answer: dict[str, Any],
    pending: bool,
) -> None:
    """202 is pending unless its body says SUCCESS; any outcome but SUCCESS is pending."""
    aioclient_mock.post(LOCK_URL, status=status, headers={"sc-request-id": "req-1"}, **answer)
    result = await commands.async_lock(EV_ID)
    assert result.pending is pending
    assert result.request_id == "req-1"
    assert aioclient_mock.call_count == 1


async def test_pending_command_returns_without_its_outcome(
    commands: VehicleCommands, aioclient_mock: AiohttpClientMocker
) -> None:
    """A 202 whose body would come only when the car is done is not waited for."""

    async def accepted(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        return SlowBody(method, url, status=202, headers={"sc-request-id": "req-2"})

    aioclient_mock.post(LOCK_URL, side_effect=accepted)
    policy = replace(COMMAND_POLICY, pending_body_seconds=0.01)
    with patch("custom_components.smartcar.api_commands.COMMAND_POLICY", policy):
        async with asyncio.timeout(5):  # waiting for the outcome would fail, not hang
            result = await commands.async_lock(EV_ID)
    assert result == CommandResult(
        command=VehicleCommand.LOCK, pending=True, request_id="req-2", execution_id=None
    )


@pytest.mark.parametrize("status", [200, 202])
async def test_failure_in_the_body(
    commands: VehicleCommands, aioclient_mock: AiohttpClientMocker, status: int
) -> None:
    """An execution that FAILED is its error, typed as if Smartcar had answered with it."""
    body = command_execution(
        "charge/start", status="FAILED", error={"type": "VEHICLE_STATE", "code": "ASLEEP"}
    )
    mock_command(aioclient_mock, "charge/start", status=status, json=body)
    with pytest.raises(SmartcarError) as caught:
        await commands.async_start_charging(EV_ID)
    err = caught.value
    assert (err.error_type, err.code, err.request_id) == ("VEHICLE_STATE", "ASLEEP", "req-7f3e")
    assert str(err) == f"VEHICLE_STATE:ASLEEP {status}"


async def test_failed_execution_without_details(
    commands: VehicleCommands, aioclient_mock: AiohttpClientMocker
) -> None:
    """A failure that says nothing more is still a failure."""
    mock_command(aioclient_mock, "charge/stop", json=command_execution("x", status="ERROR"))
    with pytest.raises(SmartcarError, match="HTTP 200"):
        await commands.async_stop_charging(EV_ID)


async def test_pending_command_ending_in_an_error_body(
    commands: VehicleCommands, aioclient_mock: AiohttpClientMocker
) -> None:
    """A 202 whose body is an error: its own status (409) and message count, not the 202."""
    body = error_body("VEHICLE_STATE", "CHARGING_PLUG_NOT_CONNECTED", 409)
    body["suggestedUserMessage"] = "Plug in your vehicle to set its charge limit."
    mock_command(aioclient_mock, "charge/set-limit", status=202, json=body)
    with pytest.raises(SmartcarError) as caught:
        await commands.async_set_charge_limit(EV_ID, 80)
    err = caught.value
    assert (err.status, err.code) == (409, "CHARGING_PLUG_NOT_CONNECTED")
    assert err.user_message == "Plug in your vehicle to set its charge limit."


# --- Errors: each documented one, never retried -------------------------------------------

COMMAND_ERRORS = [
    (400, "VALIDATION", "PARAMETER", None, SmartcarError),
    (400, "CONNECTED_SERVICES_ACCOUNT", "VIRTUAL_KEY_REQUIRED", None, SmartcarAccountError),
    (401, "AUTHENTICATION", None, "REAUTHENTICATE", SmartcarAuthError),
    (403, "PERMISSION", None, "REAUTHENTICATE", SmartcarPermissionError),
    (404, "RESOURCE_NOT_FOUND", "PATH", None, SmartcarNotFoundError),
    (409, "VEHICLE_STATE", "ASLEEP", "RETRY_LATER", SmartcarError),
    (409, "VEHICLE_STATE", "UNREACHABLE", "RETRY_LATER", SmartcarError),
    (409, "VEHICLE_STATE", "REMOTE_ACCESS_DISABLED", None, SmartcarError),
    (429, "RATE_LIMIT", "VEHICLE", "RETRY_LATER", SmartcarRateLimitError),
    (430, "BILLING", "VEHICLE_REQUEST_LIMIT", None, SmartcarBillingError),
    (500, "SERVER", "INTERNAL", "RETRY_LATER", SmartcarServerError),
    (501, "COMPATIBILITY", "VEHICLE_NOT_CAPABLE", None, SmartcarCompatibilityError),
    (502, "UPSTREAM", "NO_RESPONSE", "RETRY_LATER", SmartcarServerError),
    (502, "UPSTREAM", "RATE_LIMIT", "RETRY_LATER", SmartcarRateLimitError),
]


@pytest.mark.parametrize(("status", "error_type", "code", "resolution", "error"), COMMAND_ERRORS)
@pytest.mark.parametrize("shape", ["v3", "documented"])
async def test_command_errors(
    session: ClientSession,
    aioclient_mock: AiohttpClientMocker,
    sleeps: Sleeps,
    shape: str,
    status: int,
    error_type: str,
    code: str | None,
    resolution: str | None,
    error: type[SmartcarError],
) -> None:
    """Both error bodies: the typed error with Smartcar's fields; one request, no wait."""
    message = "Your car is asleep. Try again in a few minutes."
    if shape == "v3":
        body = error_body(error_type, code, status, resolution)
        body["suggestedUserMessage"] = message
    else:
        body = documented_error_body(
            error_type, code, status, resolution=resolution, user_message=message
        )
    aioclient_mock.post(TOKEN_URL, json=token_payload())
    mock_command(aioclient_mock, "security/unlock", status=status, json=body)
    token = ApplicationToken(session, "client_x", "secret")
    client = make_client(session, sleeps, token=token, scopes=CONTROL_SCOPES)
    with pytest.raises(error) as caught:
        await client.commands.async_unlock(EV_ID)
    err = caught.value
    assert type(err) is error or error is SmartcarAuthError  # a refused token's own class
    assert (err.status, err.error_type, err.code) == (status, error_type, code)
    assert (err.resolution, err.user_message) == (resolution, message)
    assert err.request_id == ("req-7f3e" if shape == "v3" else "req-in-body")
    # A refused token is tried once with a new one: Smartcar did nothing with it.
    sent = 2 if error is SmartcarAuthError else 1
    assert len(calls(aioclient_mock, "post", command_url(EV_ID, "security/unlock"))) == sent
    assert sleeps == []


@pytest.mark.parametrize(
    "failure",
    [{"status": 429, "json": error_body("RATE_LIMIT", "VEHICLE", 429)}, *PASSING_TROUBLE],
)
async def test_commands_are_never_retried(
    commands: VehicleCommands,
    aioclient_mock: AiohttpClientMocker,
    sleeps: Sleeps,
    failure: dict[str, Any],
) -> None:
    """What a read would try again is reported at once for a command: it may have acted."""
    aioclient_mock.post(
        LOCK_URL, side_effect=answers(failure, {"json": command_execution("security/lock")})
    )
    with pytest.raises(SmartcarError):
        await commands.async_lock(EV_ID)
    assert aioclient_mock.call_count == 1
    assert sleeps == []


@pytest.mark.parametrize("retry_after", ["5", "1", "3600"])
async def test_rate_limited_command_says_when_to_try_again(
    commands: VehicleCommands, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps, retry_after: str
) -> None:
    """429 with Retry-After: not waited for, not retried; the error says how long to wait."""
    mock_command(
        aioclient_mock,
        "charge/start",
        status=429,
        json=error_body("RATE_LIMIT", "VEHICLE", 429),
        headers={"Retry-After": retry_after},
    )
    with pytest.raises(SmartcarRateLimitError) as caught:
        await commands.async_start_charging(EV_ID)
    assert caught.value.retry_after == float(retry_after)
    assert aioclient_mock.call_count == 1
    assert sleeps == []


async def test_command_timeout(
    commands: VehicleCommands, aioclient_mock: AiohttpClientMocker, sleeps: Sleeps
) -> None:
    """No answer in time: a timeout (the car may still act), not retried."""
    aioclient_mock.post(LOCK_URL, exc=TimeoutError())
    with pytest.raises(SmartcarTimeoutError, match="did not answer within 190 s"):
        await commands.async_lock(EV_ID)
    assert aioclient_mock.call_count == 1
    assert sleeps == []
