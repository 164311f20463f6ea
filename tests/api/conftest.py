"""Fixtures and helpers of the API client's tests: a mocked session, recorded waits, a clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from typing import Any, Final

from aiohttp import ClientConnectionError, ClientSession
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from custom_components.smartcar.api import (
    DEFAULT_SCOPES,
    SCOPE_VIN,
    SmartcarClient,
)
from custom_components.smartcar.api_hosts import VEHICLE_API_URL
from custom_components.smartcar.api_token import ApplicationToken
from custom_components.smartcar.catalog import VIN_SIGNAL
from tests.conftest import EV_ID
from tests.smartcar_api import (
    APP_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    USER_ID,
    calls,
    error_body,
)

# Answers a repeatable request is tried again after (and a command is not).
PASSING_TROUBLE: Final[list[dict[str, Any]]] = [
    {"status": 500, "json": error_body("SERVER", "INTERNAL", 500)},
    {"status": 502, "json": error_body("UPSTREAM", "UNKNOWN_ISSUE", 502)},
    {"status": 503, "text": "Service Unavailable"},
    {"status": 504, "text": ""},
    {"exc": ClientConnectionError("reset")},
    {"exc": TimeoutError()},
    {"status": 200, "text": "<html>captive portal</html>"},
]
SIGNALS_URL = f"{VEHICLE_API_URL}/vehicles/{EV_ID}/signals"
VIN_URL = f"{SIGNALS_URL}/{VIN_SIGNAL}"
OTHER_TOKEN_URL = "https://iam.example.test/token"
CALLBACK = "https://ha.example.org/api/smartcar/webhook/5a1c0e9b"
# A signal time in seconds since the epoch, and the same in milliseconds.
SECONDS = 1764576000
MILLISECONDS = SECONDS * 1000


class Sleeps(list[float]):
    """A stand-in for asyncio.sleep that records how long the client would wait."""

    async def __call__(self, seconds: float) -> None:
        """Record the wait instead of waiting."""
        self.append(seconds)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        """Start at an arbitrary time."""
        self.now = 1000.0

    def __call__(self) -> float:
        """The current time."""
        return self.now


@pytest.fixture
async def session(aioclient_mock: AiohttpClientMocker) -> AsyncIterator[ClientSession]:
    """A session whose requests the mocker answers."""
    session = aioclient_mock.create_session(asyncio.get_running_loop())
    yield session
    await session.close()


@pytest.fixture
def sleeps() -> Sleeps:
    """The waits of the client under test."""
    return Sleeps()


@pytest.fixture
def clock() -> Clock:
    """The clock of the token under test."""
    return Clock()


@pytest.fixture
def token(session: ClientSession, clock: Clock) -> ApplicationToken:
    """The application's token, fetched from the faked token service."""
    return ApplicationToken(session, CLIENT_ID, CLIENT_SECRET, clock=clock)


def token_getter(token: str = APP_TOKEN) -> Callable[[], Awaitable[str]]:
    """A token source without ``invalidate``, as any callable may be."""

    async def access_token() -> str:
        return token

    return access_token


@pytest.fixture
def client(session: ClientSession, sleeps: Sleeps) -> SmartcarClient:
    """A client with every default permission."""
    return SmartcarClient(session, token_getter(), USER_ID, sleep=sleeps)


@pytest.fixture
def client_without_vin(session: ClientSession, sleeps: Sleeps) -> SmartcarClient:
    """A client whose user was not asked for the VIN, so listing makes no VIN calls."""
    return make_client(session, sleeps, scopes=[s for s in DEFAULT_SCOPES if s != SCOPE_VIN])


def make_client(
    session: ClientSession,
    sleeps: Sleeps,
    *,
    token: Callable[[], Awaitable[str]] | None = None,
    scopes: Collection[str] = DEFAULT_SCOPES,
    **urls: str,
) -> SmartcarClient:
    """A client with its own token source, permissions or hosts."""
    return SmartcarClient(
        session, token or token_getter(), USER_ID, scopes=scopes, sleep=sleeps, **urls
    )


def answers(*responses: dict[str, Any]) -> Callable[..., Awaitable[AiohttpClientMockResponse]]:
    """A mock side effect answering one request after another with these responses."""
    remaining = iter(responses)

    async def side_effect(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        return AiohttpClientMockResponse(method, url, **next(remaining))

    return side_effect


def by_page(*bodies: Any) -> Callable[..., Awaitable[AiohttpClientMockResponse]]:
    """A mock side effect answering ``page[number]=n`` with the n-th body (the last after)."""

    async def side_effect(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        number = int(url.query["page[number]"])
        return AiohttpClientMockResponse(method, url, json=bodies[min(number, len(bodies)) - 1])

    return side_effect


def page_numbers(aioclient_mock: AiohttpClientMocker, url: str) -> list[str]:
    """The pages asked for, in order."""
    return [call[1].query["page[number]"] for call in calls(aioclient_mock, "get", url)]


def signal(code: str | None, meta: Any = None, **attributes: Any) -> dict[str, Any]:
    """A ``GET /vehicles/{id}/signals`` item."""
    item: dict[str, Any] = {
        "id": code,
        "type": "signal",
        "attributes": {
            "code": code,
            "name": "Name",
            "group": "Group",
            "status": {"value": "SUCCESS"},
            "body": {"value": 1},
            **attributes,
        },
        "links": {"self": "…"},
    }
    if meta is not None:
        item["meta"] = meta
    return item


def webhook(webhook_id: Any, callback_uri: Any) -> dict[str, Any]:
    """A ``GET /webhooks`` item."""
    return {"id": webhook_id, "type": "webhook", "attributes": {"callbackUri": callback_uri}}
